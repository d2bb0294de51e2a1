"""Streaming building blocks: state machines that take one value per call (``*_step_nb``).

Every machine keeps its whole state in a slice of one float64 array (``st[o : o + size]``), so
an indicator made of several machines is one array and one numba call per bar, whether it runs
live (``update(bar)``) or in a batch loop. Sizes are given by ``*_SZ`` / ``*_size(n)``; a fresh
state is ``np.zeros`` except where an ``*_init_nb`` says otherwise.

Every machine skips leading NaNs (nothing is stored until the first non-NaN value), so a machine
fed by another one starts where its input does, as the spec's NaN-aware seeding asks. Windowed
machines count a NaN inside the window and give NaN until it leaves; the running sums of the
property types are recomputed exactly from the ring every ``n`` values, which bounds rounding
drift on long series (the TA-Lib-referenced kernels in ``rolling.py`` keep TA-Lib's own order
instead, to agree with it to ~1e-12).

Only plain numba features and its public extension API (the FMA intrinsic, ``fma.py``): numba
0.61 / numpy 2.2 compatible.
"""

from __future__ import annotations

import math
from typing import TypeAlias

import numpy as np
from numba import njit

from uptrade.indicators.nb.fma import fma_nb

NEG_INF = -np.inf
#: Where a machine's state starts in its array: an int, or np.int64 where a literal offset would
#: make numba compile another copy of the machine.
Offset: TypeAlias = int | np.int64


@njit(cache=True, error_model="numpy", inline="always")
def kadd_nb(st: np.ndarray, i: Offset, v: float) -> None:
    """Neumaier-compensated ``st[i] += v`` with the running error in ``st[i + 1]``.

    Windows of wildly different magnitudes (a 1e11 product leaving a window of 1e-3 ones) would
    otherwise leave rounding residue larger than what remains in the window.
    """
    s = st[i]
    t = s + v
    if abs(s) >= abs(v):
        st[i + 1] += (s - t) + v
    else:
        st[i + 1] += (v - t) + s
    st[i] = t


# --- simple moving sum ------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def sma_size(n: int) -> int:
    """State size of :func:`sma_step_nb`."""
    return 4 + n


@njit(cache=True, error_model="numpy", inline="always")
def sma_step_nb(st: np.ndarray, o: Offset, n: int, x: float) -> float:
    """Mean of the last ``n`` values (the same arithmetic as ``rolling.sma_nb``).

    Layout: ``st[o]`` sum of the previous n-1 values, ``o+1`` NaNs among the last n, ``o+2``
    count, ``o+3`` ring position, ring of the last n values from ``o+4``.
    """
    cnt = st[o + 2]
    if cnt == 0 and np.isnan(x):
        return np.nan
    pos = int(st[o + 3])
    st[o + 4 + pos] = x
    st[o + 2] = cnt + 1
    x_nan = np.isnan(x)
    fv = 0.0 if x_nan else x
    if x_nan:
        st[o + 1] += 1
    pos += 1
    if pos == n:
        pos = 0
    st[o + 3] = pos
    if cnt < n - 1:
        st[o] += fv
        return np.nan
    res = (st[o] + fv) * (1.0 / n) if st[o + 1] == 0 else np.nan
    old = st[o + 4 + pos]  # the oldest of the last n: it leaves with the next value
    fold = 0.0
    if np.isnan(old):
        st[o + 1] -= 1
    else:
        fold = old
    st[o] += fv - fold
    return res


# --- EMA with SMA seed ------------------------------------------------------------------
EMA_SZ = 3


@njit(cache=True, error_model="numpy")
def ema_init_nb(st: np.ndarray, o: Offset) -> None:
    """Fresh EMA state (no value yet)."""
    st[o] = 0.0
    st[o + 1] = 0.0
    st[o + 2] = np.nan


@njit(cache=True, error_model="numpy", inline="always")
def ema_step_nb(st: np.ndarray, o: Offset, n: int, a: float, x: float) -> float:
    """EMA with factor ``a`` seeded by the SMA of the first ``n`` values; NaN holds the state."""
    if np.isnan(x):
        return st[o + 2]
    seen = st[o]
    if seen < n:
        st[o + 1] += x
        seen += 1
        st[o] = seen
        if seen == n:
            st[o + 2] = st[o + 1] / n
        return st[o + 2]
    e = fma_nb(st[o + 2], 1.0 - a, a * x)  # as ema_nb and the cascade: one rounding
    st[o + 2] = e
    return e


# --- position-weighted sums: WMA, LSMA, ILRS, IE/2, Alexander ------------------------------
WMA, LSMA, ILRS, IE2, ALEX = 0, 1, 2, 3, 4


@njit(cache=True, error_model="numpy")
def wsum_size(n: int) -> int:
    """State size of :func:`wsum_step_nb`."""
    return 5 + n


@njit(cache=True, error_model="numpy", inline="always")
def wsum_step_nb(st: np.ndarray, o: Offset, n: int, x: float, mode: int) -> float:
    """Window sums ``sy`` and ``sty`` (position 0 oldest) and what ``mode`` builds from them."""
    cnt = st[o + 3]
    if cnt == 0 and np.isnan(x):
        return np.nan
    fv = 0.0 if np.isnan(x) else x
    if np.isnan(x):
        st[o + 2] += 1
    pos = int(st[o + 4])
    r = o + 5
    sy = st[o]
    sty = st[o + 1]
    if cnt < n:
        sty += cnt * fv
        sy += fv
    else:
        old = st[r + pos]
        fold = 0.0
        if np.isnan(old):
            st[o + 2] -= 1
        else:
            fold = old
        sty += (n - 1) * fv - (sy - fold)
        sy += fv - fold
    st[o] = sy
    st[o + 1] = sty
    st[r + pos] = x
    pos += 1
    if pos == n:
        pos = 0
    st[o + 4] = pos
    st[o + 3] = cnt + 1
    if cnt < n - 1 or st[o + 2] > 0:
        return np.nan
    if mode == WMA:
        return (sty + sy) / (n * (n + 1) / 2.0)
    if mode == ALEX:
        return (sty - sy) / (n * (n - 3) / 2.0)
    if n == 1:
        return sy
    sum_t = n * (n - 1) / 2.0
    div = n * (n * (n - 1) * (2 * n - 1) / 6.0) - sum_t * sum_t
    slope = (n * sty - sum_t * sy) / div
    lsma = (sy - slope * sum_t) / n + slope * (n - 1)
    if mode == LSMA:
        return lsma
    ilrs = sy / n + slope
    if mode == ILRS:
        return ilrs
    return (ilrs + lsma) / 2.0


# --- rolling extreme: monotonic deque ---------------------------------------------------
@njit(cache=True, error_model="numpy")
def ext_size(n: int) -> int:
    """State size of :func:`ext_step_nb`."""
    return 5 + 2 * n


@njit(cache=True, error_model="numpy")
def ext_init_nb(st: np.ndarray, o: Offset) -> None:
    """Fresh deque state."""
    st[o : o + 5] = 0.0
    st[o + 1] = -1e300


@njit(cache=True, error_model="numpy", inline="always")
def ext_step_nb(st: np.ndarray, o: Offset, n: int, x: float, sign: float) -> float:
    """Highest (sign 1) or lowest (sign -1) of the last ``min(count, n)`` values.

    A monotonic deque of (value, bar) pairs: amortised O(1) per bar. NaN while a NaN is inside
    the window. ``st[o]`` is the count of values seen, for callers that need a full window.
    """
    cnt = st[o]
    if cnt == 0 and np.isnan(x):
        return np.nan
    t = cnt
    st[o] = cnt + 1
    head = int(st[o + 2])
    ln = int(st[o + 3])
    vals = o + 5
    idx = o + 5 + n
    while ln > 0 and st[idx + head] <= t - n:
        head += 1
        if head == n:
            head = 0
        ln -= 1
    val = NEG_INF
    if np.isnan(x):
        st[o + 1] = t
    else:
        val = sign * x
    while ln > 0:
        b = head + ln - 1
        if b >= n:
            b -= n
        if st[vals + b] <= val:
            ln -= 1
        else:
            break
    b = head + ln
    if b >= n:
        b -= n
    st[vals + b] = val
    st[idx + b] = t
    ln += 1
    st[o + 2] = head
    st[o + 3] = ln
    if st[o + 1] > t - n:
        return np.nan
    return sign * st[vals + head]


# --- rolling mean and population stdev ----------------------------------------------------
@njit(cache=True, error_model="numpy")
def mv_size(n: int) -> int:
    """State size of :func:`mv_step_nb`."""
    return 6 + n


@njit(cache=True, error_model="numpy", inline="always")
def mv_step_nb(st: np.ndarray, o: Offset, n: int, x: float) -> tuple[float, float]:
    """(mean, population stdev) of the last ``n`` values, from sums shifted by a recent mean."""
    cnt = st[o + 3]
    if cnt == 0 and np.isnan(x):
        return np.nan, np.nan
    if cnt == 0:
        st[o + 5] = x
    k = st[o + 5]
    pos = int(st[o + 4])
    r = o + 6
    if cnt >= n:
        old = st[r + pos]
        if np.isnan(old):
            st[o + 2] -= 1
        else:
            st[o] -= old - k
            st[o + 1] -= (old - k) * (old - k)
    st[r + pos] = x
    if np.isnan(x):
        st[o + 2] += 1
    else:
        st[o] += x - k
        st[o + 1] += (x - k) * (x - k)
    pos += 1
    if pos == n:
        pos = 0
        # exact recomputation around the current mean: no drift, no cancellation
        tot = 0.0
        m = 0
        for i in range(n):
            v = st[r + i]
            if not np.isnan(v):
                tot += v
                m += 1
        k = tot / m if m > 0 else k
        s1 = 0.0
        s2 = 0.0
        for i in range(n):
            v = st[r + i]
            if not np.isnan(v):
                s1 += v - k
                s2 += (v - k) * (v - k)
        st[o] = s1
        st[o + 1] = s2
        st[o + 5] = k
    st[o + 4] = pos
    st[o + 3] = cnt + 1
    if cnt < n - 1 or st[o + 2] > 0:
        return np.nan, np.nan
    mean_d = st[o] / n
    var = st[o + 1] / n - mean_d * mean_d
    return k + mean_d, math.sqrt(var) if var > 0.0 else 0.0


# --- weighted window mean: sum(w*x)/sum(w), plain mean where all weights are 0 --------------
@njit(cache=True, error_model="numpy")
def wavg_size(n: int) -> int:
    """State size of :func:`wavg_step_nb`."""
    return 11 + 2 * n


@njit(cache=True, error_model="numpy", inline="always")
def wavg_step_nb(st: np.ndarray, o: Offset, n: int, x: float, w: float) -> float:
    """``sum(w*x)/sum(w)`` over the last ``n`` pairs; the plain mean of ``x`` where all ``w`` are 0.

    Layout: compensated sums (sw, swx, sx) at o, o+2, o+4; nans o+6; nonzero weights o+7;
    count o+8; ring position o+9; rings of w and x from o+11.
    """
    cnt = st[o + 8]
    if cnt == 0 and (np.isnan(x) or np.isnan(w)):
        return np.nan
    pos = int(st[o + 9])
    rw = o + 11
    rx = o + 11 + n
    if cnt >= n:
        ow = st[rw + pos]
        ox = st[rx + pos]
        if np.isnan(ow) or np.isnan(ox):
            st[o + 6] -= 1
        else:
            kadd_nb(st, o, -ow)
            kadd_nb(st, o + 2, -(ow * ox))
            kadd_nb(st, o + 4, -ox)
            if ow != 0.0:
                st[o + 7] -= 1
    st[rw + pos] = w
    st[rx + pos] = x
    if np.isnan(x) or np.isnan(w):
        st[o + 6] += 1
    else:
        kadd_nb(st, o, w)
        kadd_nb(st, o + 2, w * x)
        kadd_nb(st, o + 4, x)
        if w != 0.0:
            st[o + 7] += 1
    pos += 1
    if pos == n:
        pos = 0
    st[o + 9] = pos
    st[o + 8] = cnt + 1
    if cnt < n - 1 or st[o + 6] > 0:
        return np.nan
    if st[o + 7] == 0:
        return (st[o + 4] + st[o + 5]) / n
    return (st[o + 2] + st[o + 3]) / (st[o] + st[o + 1])


# --- Ehlers 2-pole Super Smoother ----------------------------------------------------------
SS_SZ = 4


@njit(cache=True, error_model="numpy", inline="always")
def ss_step_nb(st: np.ndarray, o: Offset, period: float, x: float) -> float:
    """Super Smoother of ``period``; equals its input on its first two values."""
    cnt = st[o]
    if cnt == 0 and np.isnan(x):
        return np.nan
    if np.isnan(x):
        return st[o + 2]
    if cnt < 2:
        s = x
    else:
        a1 = math.exp(-math.sqrt(2.0) * math.pi / period)
        c2 = 2.0 * a1 * math.cos(math.sqrt(2.0) * math.pi / period)
        c3 = -a1 * a1
        c1 = 1.0 - c2 - c3
        s = c1 * (x + st[o + 1]) / 2.0 + c2 * st[o + 2] + c3 * st[o + 3]
    st[o + 3] = st[o + 2]
    st[o + 2] = s
    st[o + 1] = x
    st[o] = cnt + 1
    return s


# --- sorted window: rolling nearest-rank percentile -----------------------------------------
@njit(cache=True, error_model="numpy")
def pctl_size(m: int) -> int:
    """State size of :func:`pctl_step_nb`."""
    return 5 + 2 * m


@njit(cache=True, error_model="numpy", inline="always")
def _lower_bound(st: np.ndarray, srt: Offset, ln: int, v: float) -> int:
    """Number of sorted values below ``v``: bisection whose steps compile to selects, not branches."""
    if ln == 0:
        return 0
    base = 0
    n = ln
    while n > 1:
        half = n >> 1
        base = base + half if st[srt + base + half] < v else base
        n -= half
    return base + (1 if st[srt + base] < v else 0)


@njit(cache=True, error_model="numpy", inline="always")
def _upper_bound(st: np.ndarray, srt: Offset, ln: int, v: float) -> int:
    """Number of sorted values at or below ``v`` (branch-free bisection)."""
    if ln == 0:
        return 0
    base = 0
    n = ln
    while n > 1:
        half = n >> 1
        base = base + half if st[srt + base + half] <= v else base
        n -= half
    return base + (1 if st[srt + base] <= v else 0)


@njit(cache=True, error_model="numpy", inline="always")
def pctl_step_nb(st: np.ndarray, o: Offset, m: int, x: float, pa: float, pb: float) -> tuple[float, float]:
    """Nearest-rank percentiles ``pa`` and ``pb`` of the last ``min(count, m)`` values.

    A sorted copy of the window is kept beside the ring; each bar replaces the value that leaves
    by the new one: bisection finds the old value (O(log m)), then a walk towards the new
    value's place moves the values it passes (O(distance), O(m) at worst). For windows of tens
    to hundreds of values a flat array beats a tree or skip list (no pointers, contiguous).
    Both are NaN while a NaN is inside the window.
    """
    cnt = st[o]
    if cnt == 0 and np.isnan(x):
        return np.nan, np.nan
    pos = int(st[o + 1])
    ring = o + 5
    srt = o + 5 + m
    ln = int(st[o + 3])
    old = st[ring + pos] if cnt >= m else np.nan
    if cnt >= m and not np.isnan(old) and not np.isnan(x):
        # replace old by x: find old, then walk towards x's place moving the values passed
        i = _lower_bound(st, srt, ln, old)
        if x > old:
            while i + 1 < ln and st[srt + i + 1] < x:
                st[srt + i] = st[srt + i + 1]
                i += 1
        else:
            while i > 0 and st[srt + i - 1] > x:
                st[srt + i] = st[srt + i - 1]
                i -= 1
        st[srt + i] = x
        st[ring + pos] = x
    else:
        if cnt >= m:
            if np.isnan(old):
                st[o + 2] -= 1
            else:
                r = _lower_bound(st, srt, ln, old)
                for i in range(r, ln - 1):
                    st[srt + i] = st[srt + i + 1]
                ln -= 1
        st[ring + pos] = x
        if np.isnan(x):
            st[o + 2] += 1
        else:
            q = _upper_bound(st, srt, ln, x)
            for i in range(ln, q, -1):
                st[srt + i] = st[srt + i - 1]
            st[srt + q] = x
            ln += 1
    pos += 1
    if pos == m:
        pos = 0
    st[o + 1] = pos
    st[o + 3] = ln
    st[o] = cnt + 1
    if st[o + 2] > 0:
        return np.nan, np.nan
    size = min(cnt + 1, m)
    # rank ceil(p*L/100) - 1: p*L/100 is exact for integer p and L (p/100*L is not always)
    ra = min(max(math.ceil(pa * size / 100.0) - 1, 0), ln - 1)
    rb = min(max(math.ceil(pb * size / 100.0) - 1, 0), ln - 1)
    return st[srt + ra], st[srt + rb]
