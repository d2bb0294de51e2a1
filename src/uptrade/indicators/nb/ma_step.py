"""The 34 moving-average types as streaming state machines (one bar per call).

``ma_size_nb(code, n)`` gives the state size, ``ma_init_nb`` prepares a fresh state and
``ma_step_nb`` consumes one bar and returns the average. The batch form of the property types
is a loop over the same step (so batch and streaming are the same arithmetic); the
TA-Lib-referenced types have faster batch kernels in ``rolling.py`` and are checked against these
machines. A machine lives at offset ``o`` of a state array (so indicators can hold several in one
array): ``st[o]`` last output, ``st[o + 1]`` bars consumed, type state from ``st[o + HEAD]``.

Recursive types skip a bar where an input they use is NaN (state untouched, last output
repeated); windowed types let the NaN into their windows. The building blocks of
``machines.py`` are inlined; the per-type functions here are not, which keeps the cold compile
of the whole machine around half a minute instead of minutes (one giant inlined function).
Choices the spec leaves open are in ``docs/indicators.md``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from uptrade.indicators.nb.fma import fma_nb
from uptrade.indicators.nb.machines import (
    ALEX,
    EMA_SZ,
    IE2,
    ILRS,
    LSMA,
    SS_SZ,
    WMA,
    Offset,
    ema_init_nb,
    ema_step_nb,
    ext_init_nb,
    ext_size,
    ext_step_nb,
    mv_size,
    mv_step_nb,
    sma_size,
    sma_step_nb,
    ss_step_nb,
    wavg_size,
    wavg_step_nb,
    wsum_size,
    wsum_step_nb,
)

HEAD = 3
N_TYPES = 34
# codes whose missing bars are skipped (recursive); the others are windowed
RECURSIVE = np.array(
    [0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0],
    dtype=np.bool_,
)
T3_VFACTOR = 0.7


@njit(cache=True, error_model="numpy")
def t3_coefficients_nb(b: float) -> tuple[float, float, float, float]:
    """Tilson's weights of E6, E5, E4, E3 for volume factor ``b``."""
    c1 = -b * b * b
    c2 = 3.0 * b * b + 3.0 * b * b * b
    c3 = -6.0 * b * b - 3.0 * b - 3.0 * b * b * b
    c4 = 1.0 + 3.0 * b + b * b * b + 3.0 * b * b
    return c1, c2, c3, c4


@njit(cache=True, error_model="numpy")
def hma_lengths_nb(n: int) -> tuple[int, int]:
    """HMA's inner half window and outer sqrt window."""
    return max(n // 2, 1), max(math.floor(math.sqrt(n) + 0.5), 1)


@njit(cache=True, error_model="numpy")
def trima_lengths_nb(n: int) -> tuple[int, int]:
    """TRIMA's two SMA lengths, as TA-Lib."""
    if n % 2 == 1:
        return (n + 1) // 2, (n + 1) // 2
    return n // 2 + 1, n // 2


@njit(cache=True, error_model="numpy")
def frama_window_nb(n: int) -> int:
    """FRAMA's even window (an odd ``n`` is rounded up)."""
    return max(n + n % 2, 2)


@njit(cache=True, error_model="numpy")
def ma_size_nb(code: int, n: int) -> int:
    """State size for type ``code`` with window ``n``."""
    h = HEAD
    if code == 0:
        return h + sma_size(n)
    if code in (1, 3, 29):
        return h + EMA_SZ
    if code in (2, 13, 22, 24, 33):
        return h + wsum_size(n)
    if code == 4:
        return h + 2 * EMA_SZ
    if code == 5:
        return h + 3 * EMA_SZ
    if code == 6:
        a, b = hma_lengths_nb(n)
        return h + wsum_size(a) + wsum_size(n) + wsum_size(b)
    if code == 7:
        return h + 2 * n + 2
    if code == 8:
        return h + 7
    if code == 9:
        return h + 4 + n + 1
    if code == 10:
        half = frama_window_nb(n) // 2
        return h + 4 + 2 * ext_size(half) + 2 * half
    if code == 11:
        return h + EMA_SZ + 2 * ext_size(10)
    if code == 12:
        return h + 6 * EMA_SZ
    if code == 14:
        return h + EMA_SZ + 2 + (n - 1) // 2 + 1
    if code in (15, 25):
        return h + 3
    if code == 16:
        return h + 4
    if code == 17:
        return h + mv_size(n) + wavg_size(n)
    if code == 18:
        return h + 4 + SS_SZ + mv_size(n)
    if code == 19:
        return h + SS_SZ
    if code == 20:
        return h + 1 + SS_SZ
    if code == 21:
        return h + 1 + n
    if code == 23:
        return h + 8 + 2 * ext_size(n)
    if code in (26, 27):
        return h + 5
    if code == 28:
        a, b = trima_lengths_nb(n)
        return h + sma_size(a) + sma_size(b)
    if code == 30:
        return h + 2 * ext_size(n)
    if code == 31:
        return h + 2 * ext_size(n) + 2 * ext_size(max(n // 2, 1))
    if code == 32:
        return h + wavg_size(n)
    return -1


@njit(cache=True, error_model="numpy")
def ma_init_nb(code: int, n: int, st: np.ndarray, o: Offset = 0) -> None:
    """Prepare a zeroed state array for type ``code``."""
    st[o : o + ma_size_nb(code, n)] = 0.0
    st[o] = np.nan
    h = o + HEAD
    if code in (1, 3):
        ema_init_nb(st, h)
    elif code == 4:
        ema_init_nb(st, h)
        ema_init_nb(st, h + EMA_SZ)
    elif code == 5:
        for k in range(3):
            ema_init_nb(st, h + k * EMA_SZ)
    elif code == 12:
        for k in range(6):
            ema_init_nb(st, h + k * EMA_SZ)
    elif code == 7:
        m = 0.85 * (n - 1)
        s = n / 6.0
        for i in range(n):
            st[h + 2 + n + i] = math.exp(-((i - m) ** 2) / (2.0 * s * s))
    elif code == 10:
        half = frama_window_nb(n) // 2
        ext_init_nb(st, h + 4)
        ext_init_nb(st, h + 4 + ext_size(half))
        st[h + 1] = 1.0  # D
    elif code == 11:
        ema_init_nb(st, h)
        ext_init_nb(st, h + EMA_SZ)
        ext_init_nb(st, h + EMA_SZ + ext_size(10))
    elif code == 14:
        ema_init_nb(st, h)
    elif code == 23:
        ext_init_nb(st, h + 8)
        ext_init_nb(st, h + 8 + ext_size(n))
    elif code == 30:
        ext_init_nb(st, h)
        ext_init_nb(st, h + ext_size(n))
    elif code == 31:
        ext_init_nb(st, h)
        ext_init_nb(st, h + ext_size(n))
        q = max(n // 2, 1)
        ext_init_nb(st, h + 2 * ext_size(n))
        ext_init_nb(st, h + 2 * ext_size(n) + ext_size(q))


@njit(cache=True, error_model="numpy")
def _alma(st: np.ndarray, o: Offset, n: int, x: float) -> float:
    h = o + HEAD
    cnt = st[h]
    if cnt == 0 and np.isnan(x):
        return np.nan
    pos = int(cnt % n)
    ring = h + 2
    w = h + 2 + n
    if cnt >= n and np.isnan(st[ring + pos]):
        st[h + 1] -= 1
    st[ring + pos] = x
    if np.isnan(x):
        st[h + 1] += 1
    st[h] = cnt + 1
    if cnt < n - 1 or st[h + 1] > 0:
        return np.nan
    num = 0.0
    den = 0.0
    for i in range(n):
        j = pos + 1 + i
        if j >= n:
            j -= n
        num += st[w + i] * st[ring + j]
        den += st[w + i]
    return num / den


@njit(cache=True, error_model="numpy")
def _jma(st: np.ndarray, o: Offset, n: int, phase: float, power: float, x: float) -> float:
    h = o + HEAD
    if st[o + 1] == 0:
        st[h] = x
        st[h + 1] = 0.0
        st[h + 2] = 0.0
        st[h + 3] = x
        beta = 0.45 * (n - 1) / (0.45 * (n - 1) + 2.0)
        st[h + 4] = beta
        st[h + 5] = beta**power
        st[h + 6] = min(max(phase / 100.0 + 1.5, 0.5), 2.5)
        return x
    beta = st[h + 4]
    alpha = st[h + 5]
    pr = st[h + 6]
    e0 = (1.0 - alpha) * x + alpha * st[h]
    e1 = (x - e0) * (1.0 - beta) + beta * st[h + 1]
    j = st[h + 3]
    e2 = (e0 + pr * e1 - j) * (1.0 - alpha) ** 2 + alpha * alpha * st[h + 2]
    j = j + e2
    st[h] = e0
    st[h + 1] = e1
    st[h + 2] = e2
    st[h + 3] = j
    return j


@njit(cache=True, error_model="numpy")
def kama_update_nb(prev: float, x: float, roc: float, s: float) -> float:
    """KAMA after bar ``x``: TA-Lib's efficiency ratio of the window's change ``roc`` over its path ``s``, fused."""
    er = 1.0 if (s <= roc or (-1e-8 < s < 1e-8)) else abs(roc / s)
    sc = fma_nb(er, 2.0 / 3.0 - 2.0 / 31.0, 2.0 / 31.0)
    sc *= sc
    return fma_nb(prev, 1.0 - sc, sc * x)  # the EMA's update


@njit(cache=True, error_model="numpy")
def _kama(st: np.ndarray, o: Offset, n: int, x: float) -> float:
    """TA-Lib's KAMA: ER over ``n`` changes, fast 2, slow 30, seed = value at bar ``n-1``."""
    h = o + HEAD
    t = int(st[o + 1])
    ring = h + 4
    m = n + 1
    prev_x = st[ring + (t - 1) % m] if t > 0 else np.nan
    if t > 0:
        st[h] += abs(x - prev_x) if t <= n else 0.0
    st[ring + t % m] = x
    if t < n:
        if t == n - 1:
            st[h + 1] = x  # prevKAMA seed
        return np.nan
    trailing = st[ring + (t - n) % m]
    if t > n:
        st[h] += abs(x - prev_x) - abs(st[h + 2] - trailing)
    st[h + 2] = trailing
    roc = x - trailing
    s = st[h]
    k = kama_update_nb(st[h + 1], x, roc, s)
    st[h + 1] = k
    return k


@njit(cache=True, error_model="numpy")
def _frama(st: np.ndarray, o: Offset, n: int, x: float, hi: float, lo: float) -> float:
    h = o + HEAD
    nn = frama_window_nb(n)
    half = nn // 2
    t = int(st[o + 1])
    e1 = h + 4
    e2 = e1 + ext_size(half)
    rh = e2 + ext_size(half)
    rl = rh + half
    hh1 = ext_step_nb(st, e1, half, hi, 1.0)
    ll1 = ext_step_nb(st, e2, half, lo, -1.0)
    slot = t % half
    hh2 = st[rh + slot]
    ll2 = st[rl + slot]
    st[rh + slot] = hh1
    st[rl + slot] = ll1
    if t < nn - 1:
        return np.nan
    n1 = (hh1 - ll1) / half
    n2 = (hh2 - ll2) / half
    n3 = (max(hh1, hh2) - min(ll1, ll2)) / nn
    if n1 > 0.0 and n2 > 0.0 and n3 > 0.0:
        st[h + 1] = (math.log(n1 + n2) - math.log(n3)) / math.log(2.0)
    if t == nn - 1:
        st[h + 2] = x
        return x
    alpha = min(max(math.exp(-4.6 * (st[h + 1] - 1.0)), 0.01), 1.0)
    f = alpha * x + (1.0 - alpha) * st[h + 2]
    st[h + 2] = f
    return f


@njit(cache=True, error_model="numpy")
def _vama(st: np.ndarray, o: Offset, n: int, x: float) -> float:
    h = o + HEAD
    mid = ema_step_nb(st, h, n, 2.0 / (n + 1.0), x)
    d = x - mid
    o1 = h + EMA_SZ
    o2 = o1 + ext_size(10)
    hi = ext_step_nb(st, o1, 10, d, 1.0)
    lo = ext_step_nb(st, o2, 10, d, -1.0)
    if st[o1] < 10:
        return np.nan
    return mid + (hi + lo) / 2.0


@njit(cache=True, error_model="numpy")
def _zlema(st: np.ndarray, o: Offset, n: int, x: float) -> float:
    h = o + HEAD
    lag = (n - 1) // 2
    m = lag + 1
    t = int(st[o + 1])
    ring = h + EMA_SZ + 2
    st[ring + t % m] = x
    if t < lag:
        return np.nan
    y = x + (x - st[ring + (t - lag) % m])
    return ema_step_nb(st, h, n, 2.0 / (n + 1.0), y)


@njit(cache=True, error_model="numpy")
def _modular(st: np.ndarray, o: Offset, n: int, x: float) -> float:
    h = o + HEAD
    alpha = 2.0 / (n + 1.0)
    beta = 0.8
    z = 0.5
    first = st[o + 1] == 0
    ts_prev = x if first else st[o]
    s = z * x + (1.0 - z) * ts_prev
    b_prev = s if first else st[h]
    c_prev = s if first else st[h + 1]
    bb = alpha * s + (1.0 - alpha) * b_prev
    b = s if s > bb else bb
    cc = alpha * s + (1.0 - alpha) * c_prev
    c = s if s < cc else cc
    os = st[h + 2]
    if s == b:
        os = 1.0
    elif s == c:
        os = 0.0
    upper = beta * b + (1.0 - beta) * c
    lower = beta * c + (1.0 - beta) * b
    st[h] = b
    st[h + 1] = c
    st[h + 2] = os
    return os * upper + (1.0 - os) * lower


@njit(cache=True, error_model="numpy")
def _edsma(st: np.ndarray, o: Offset, n: int, x: float) -> float:
    h = o + HEAD
    t = int(st[o + 1])
    # st[h]: x[-1], st[h+1]: x[-2], st[h+2]: z[-1], st[h+3]: e
    x1 = st[h]
    x2 = st[h + 1]
    st[h + 1] = x1
    st[h] = x
    if t < 2:
        st[h + 3] = x
        return np.nan
    z = x - x2
    if t == 2:
        st[h + 2] = z
        st[h + 3] = x
        return np.nan
    az = (z + st[h + 2]) / 2.0
    st[h + 2] = z
    ss = ss_step_nb(st, h + 4, 20.0, az)
    _, sd = mv_step_nb(st, h + 4 + SS_SZ, n, ss)
    if np.isnan(sd):
        st[h + 3] = x
        return np.nan
    k = ss / sd if sd > 0.0 else 0.0
    alpha = min(5.0 * abs(k) / n, 1.0)
    e = alpha * x + (1.0 - alpha) * st[h + 3]
    st[h + 3] = e
    return e


@njit(cache=True, error_model="numpy")
def _adxvma(st: np.ndarray, o: Offset, n: int, x: float) -> float:
    h = o + HEAD
    k = 1.0 / n
    if st[o + 1] == 0:
        st[h] = x  # x[-1]
        st[h + 6] = x  # m
        adx = 0.0
    else:
        up = max(x - st[h], 0.0)
        dn = max(st[h] - x, 0.0)
        st[h] = x
        pdm = (1.0 - k) * st[h + 1] + k * up
        mdm = (1.0 - k) * st[h + 2] + k * dn
        st[h + 1] = pdm
        st[h + 2] = mdm
        s = pdm + mdm
        pdi = pdm / s if s > 0.0 else 0.0
        mdi = mdm / s if s > 0.0 else 0.0
        pdis = (1.0 - k) * st[h + 3] + k * pdi
        mdis = (1.0 - k) * st[h + 4] + k * mdi
        st[h + 3] = pdis
        st[h + 4] = mdis
        s1 = pdis + mdis
        inc = abs(pdis - mdis) / s1 if s1 > 0.0 else 0.0
        adx = (1.0 - k) * st[h + 5] + k * inc
    st[h + 5] = adx
    o1 = h + 8
    hi = ext_step_nb(st, o1, n, adx, 1.0)
    lo = ext_step_nb(st, o1 + ext_size(n), n, adx, -1.0)
    v = (adx - lo) / (hi - lo) if hi > lo else 0.0
    if st[o + 1] == 0:
        return x
    m = ((n - v) * st[h + 6] + v * x) / n
    st[h + 6] = m
    return m


@njit(cache=True, error_model="numpy")
def _donchian(st: np.ndarray, o: Offset, n: int, hi: float, lo: float) -> float:
    a = ext_step_nb(st, o, n, hi, 1.0)
    b = ext_step_nb(st, o + ext_size(n), n, lo, -1.0)
    if st[o] < n:
        return np.nan
    return (a + b) / 2.0


@njit(cache=True, error_model="numpy")
def _step_recursive(
    code: int, st: np.ndarray, o: Offset, n: int, phase: float, power: float, x: float, hi: float, lo: float
) -> float:
    """One non-missing bar of a recursive type."""
    h = o + HEAD
    a = 2.0 / (n + 1.0)
    if code == 1:
        return ema_step_nb(st, h, n, a, x)
    if code == 3:
        return ema_step_nb(st, h, n, 1.0 / n, x)
    if code == 4:
        e1 = ema_step_nb(st, h, n, a, x)
        e2 = ema_step_nb(st, h + EMA_SZ, n, a, e1)
        return 2.0 * e1 - e2
    if code == 5:
        e1 = ema_step_nb(st, h, n, a, x)
        e2 = ema_step_nb(st, h + EMA_SZ, n, a, e1)
        e3 = ema_step_nb(st, h + 2 * EMA_SZ, n, a, e2)
        return 3.0 * e1 - 3.0 * e2 + e3
    if code == 8:
        return _jma(st, o, n, phase, power, x)
    if code == 9:
        return _kama(st, o, n, x)
    if code == 10:
        return _frama(st, o, n, x, hi, lo)
    if code == 11:
        return _vama(st, o, n, x)
    if code == 12:
        e1 = ema_step_nb(st, h, n, a, x)
        e2 = ema_step_nb(st, h + EMA_SZ, n, a, e1)
        e3 = ema_step_nb(st, h + 2 * EMA_SZ, n, a, e2)
        e4 = ema_step_nb(st, h + 3 * EMA_SZ, n, a, e3)
        e5 = ema_step_nb(st, h + 4 * EMA_SZ, n, a, e4)
        e6 = ema_step_nb(st, h + 5 * EMA_SZ, n, a, e5)
        c1, c2, c3, c4 = t3_coefficients_nb(T3_VFACTOR)
        return fma_nb(c1, e6, fma_nb(c2, e5, fma_nb(c3, e4, c4 * e3)))  # as the batch cascade
    if code == 14:
        return _zlema(st, o, n, x)
    if code == 15:
        if st[o + 1] == 0:
            st[h] = x
            return x
        md = st[h]
        den = n * (x / md) ** 4
        if den != 0.0 and np.isfinite(den):
            md = md + (x - md) / den
            st[h] = md
        return md
    if code == 16:
        return _modular(st, o, n, x)
    if code == 18:
        return _edsma(st, o, n, x)
    if code == 19:
        return ss_step_nb(st, h, float(n), x)
    if code == 20:
        e = x if st[o + 1] == 0 else st[h] + a * (x - st[h])
        st[h] = e
        return ss_step_nb(st, h + 1, 3.0, e)
    if code == 21:
        t = int(st[o + 1])
        ring = h + 1
        if t == 0:
            for i in range(n):
                st[ring + i] = x
            return x
        prev = st[o]
        old = st[ring + t % n]
        aa = prev + (x - (prev + old) / 2.0) / n
        st[ring + t % n] = aa
        return aa
    if code == 23:
        return _adxvma(st, o, n, x)
    if code == 25:
        if st[o + 1] == 0:
            st[h] = x
            st[h + 1] = 0.0
            return x
        l1 = st[h] + a * (x - st[h])
        l2 = st[h + 1] + a * (x - l1 - st[h + 1])
        st[h] = l1
        st[h + 1] = l2
        return l1 + l2
    if code == 26:
        if st[o + 1] == 0:
            st[h] = x
            st[h + 1] = x
            return x
        b_old = st[h]
        b_new = (1.0 - a) * b_old + x
        r = (1.0 - a) * st[h + 1] + a * (x + b_new - b_old)
        st[h] = b_new
        st[h + 1] = r
        return r
    if code == 27:
        t = int(st[o + 1])
        # st[h]: x[-1], st[h+1]: x[-2], st[h+2]: hp[-1], st[h+3]: hp[-2]
        hp = 0.0
        if t >= 2:
            w = 2.0 * math.pi / (n * math.sqrt(2.0))
            al = (math.cos(w) + math.sin(w) - 1.0) / math.cos(w)
            hp = (1.0 - al / 2.0) ** 2 * (x - 2.0 * st[h] + st[h + 1])
            hp += 2.0 * (1.0 - al) * st[h + 2] - (1.0 - al) ** 2 * st[h + 3]
        st[h + 1] = st[h]
        st[h] = x
        st[h + 3] = st[h + 2]
        st[h + 2] = hp
        return x - hp
    if code == 29:
        e = x if st[o + 1] == 0 else st[h] + a * (x - st[h])
        st[h] = e
        return e
    return np.nan


@njit(cache=True, error_model="numpy")
def _step_windowed(code: int, st: np.ndarray, o: Offset, n: int, x: float, hi: float, lo: float, vol: float) -> float:
    """One bar of a windowed type (NaN enters the windows)."""
    h = o + HEAD
    if code == 0:
        return sma_step_nb(st, h, n, x)
    if code == 2:
        return wsum_step_nb(st, h, n, x, WMA)
    if code == 33:
        return wsum_step_nb(st, h, n, x, LSMA)
    if code == 24:
        return wsum_step_nb(st, h, n, x, ILRS)
    if code == 13:
        return wsum_step_nb(st, h, n, x, IE2)
    if code == 22:
        return wsum_step_nb(st, h, n, x, ALEX)
    if code == 6:
        a, b = hma_lengths_nb(n)
        o2 = h + wsum_size(a)
        o3 = o2 + wsum_size(n)
        w1 = wsum_step_nb(st, h, a, x, WMA)
        w2 = wsum_step_nb(st, o2, n, x, WMA)
        return wsum_step_nb(st, o3, b, 2.0 * w1 - w2, WMA)
    if code == 7:
        return _alma(st, o, n, x)
    if code == 17:
        mean, sd = mv_step_nb(st, h, n, x)
        cv = sd / mean
        return wavg_step_nb(st, h + mv_size(n), n, x, cv)
    if code == 28:
        a, b = trima_lengths_nb(n)
        return sma_step_nb(st, h + sma_size(a), b, sma_step_nb(st, h, a, x))
    if code == 30:
        return _donchian(st, h, n, hi, lo)
    if code == 31:
        q = max(n // 2, 1)
        d1 = _donchian(st, h, n, hi, lo)
        d2 = _donchian(st, h + 2 * ext_size(n), q, hi, lo)
        return (d1 + d2) / 2.0
    if code == 32:
        return wavg_step_nb(st, h, n, x, vol)
    return np.nan


@njit(cache=True, error_model="numpy")
def ma_step_nb(
    code: int, n: int, phase: float, power: float, st: np.ndarray, o: Offset, x: float, hi: float, lo: float, vol: float
) -> float:
    """Consume one bar and return the average (pass ``x`` as ``hi``/``lo`` when there are none)."""
    if RECURSIVE[code]:
        if np.isnan(x) or np.isnan(hi) or np.isnan(lo):
            return st[o]
        out = _step_recursive(code, st, o, n, phase, power, x, hi, lo)
    else:
        if st[o + 1] == 0 and np.isnan(x):
            return np.nan
        out = _step_windowed(code, st, o, n, x, hi, lo, vol)
    st[o] = out
    st[o + 1] += 1
    return out
