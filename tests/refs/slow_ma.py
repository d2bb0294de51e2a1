"""Slow, obviously-correct reference moving averages (test oracles).

Every one of the 34 types of ``shared/spec/INDICATORS.md`` section 1 is written here straight
from its definition, with the choices of ``docs/indicators.md`` where the spec is silent:
explicit per-bar loops over each window (O(n*w) on purpose) and plain Python loops for the
recursions. Nothing here is shared with, or copied from, ``uptrade.indicators``.

NaN rules (``docs/indicators.md``):

- windowed types (``WINDOWED``): a bar is NaN while any window feeding it holds a NaN (or is not
  full yet); composite types are the composition of their windowed steps.
- recursive types: a bar where any input the type uses is NaN is skipped. This is done by
  :func:`_skip_nan_bars`: drop those bars, compute on the compacted series, put each output
  back on its bar and repeat the previous output on skipped bars.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np

FloatArray = np.ndarray

# (code, names and aliases exactly as in the spec table)
_TABLE: tuple[tuple[int, tuple[str, ...]], ...] = (
    (0, ("Simple Moving Average", "SMA")),
    (1, ("Exponential Moving Average", "EMA")),
    (2, ("Weighted Moving Average", "WMA")),
    (3, ("Relative / Smoothed Moving Average", "RMA", "SMMA", "Wilder")),
    (4, ("Double Exponential Moving Average", "DEMA")),
    (5, ("Triple Exponential Moving Average", "TEMA")),
    (6, ("Hull Moving Average", "HMA")),
    (7, ("Arnaud Legoux Moving Average", "ALMA")),
    (8, ("Jurik Moving Average", "JMA")),
    (9, ("Kaufman's Adaptive Moving Average", "KAMA")),
    (10, ("Fractal Adaptive Moving Average", "FRAMA")),
    (11, ("Volatility Adjusted Moving Average", "VAMA")),
    (12, ("Tilson T3 Moving Average", "T3")),
    (13, ("Tilson T3 (early version)", "IE/2")),
    (14, ("Zero-Lag Exponential Moving Average", "ZLEMA")),
    (15, ("McGinley Dynamic",)),
    (16, ("Modular Filter",)),
    (17, ("Coefficient of Variation Weighted MA", "COVWMA")),
    (18, ("Ehlers Dynamic Smoothed MA", "EDSMA")),
    (19, ("Ehlers Super Smoother",)),
    (20, ("Ehlers EMA Smoother",)),
    (21, ("Ahrens Moving Average",)),
    (22, ("Alexander Moving Average",)),
    (23, ("Average Directional Volatility MA", "ADXVMA")),
    (24, ("Integral of Linear Regression Slope", "ILRS")),
    (25, ("Leader Exponential Moving Average",)),
    (26, ("Recursive Moving Trendline", "RMTA")),
    (27, ("Simple Decycler",)),
    (28, ("Triangular Moving Average", "TRIMA")),
    (29, ("Exponential MA Optimized", "XEMA")),
    (30, ("Donchian",)),
    (31, ("Donchian v2",)),
    (32, ("Volume Weighted Moving Average", "VWMA")),
    (33, ("Least Squares Moving Average", "LSMA", "linear regression")),
)

CODES: dict[str, int] = {name.lower(): code for code, names in _TABLE for name in names}

# SMA, WMA, HMA, ALMA, IE/2, COVWMA, Alexander, ILRS, TRIMA, Donchian, Donchian v2, VWMA, LSMA
WINDOWED: frozenset[int] = frozenset({0, 2, 6, 7, 13, 17, 22, 24, 28, 30, 31, 32, 33})

_NAN = float("nan")


# --------------------------------------------------------------------------- generic helpers


def _nans(length: int) -> FloatArray:
    return np.full(length, np.nan)


def _first_valid(y: FloatArray) -> int:
    """Index of the first non-NaN value of ``y`` (``len(y)`` if there is none)."""
    for i in range(len(y)):
        if not math.isnan(y[i]):
            return i
    return len(y)


def _windowed(fn: Callable[..., float], w: int, *arrays: FloatArray) -> FloatArray:
    """``out[t] = fn(a[t-w+1:t+1] for a in arrays)``; NaN until full or while a NaN is inside."""
    length = len(arrays[0])
    out = _nans(length)
    for t in range(w - 1, length):
        windows = [a[t - w + 1 : t + 1] for a in arrays]
        if any(np.isnan(win).any() for win in windows):
            continue
        out[t] = fn(*windows)
    return out


def _skip_nan_bars(fn: Callable[..., FloatArray], *arrays: FloatArray) -> FloatArray:
    """Run recursive ``fn`` on the bars where no input is NaN; skipped bars repeat the last output."""
    length = len(arrays[0])
    keep = np.ones(length, dtype=bool)
    for a in arrays:
        keep &= ~np.isnan(a)
    idx = np.flatnonzero(keep)
    compact = fn(*[a[idx] for a in arrays]) if len(idx) else np.empty(0)
    out = _nans(length)
    k = 0
    for t in range(length):
        if keep[t]:
            out[t] = compact[k]
            k += 1
        elif t > 0:
            out[t] = out[t - 1]
    return out


# --------------------------------------------------------------------------- windowed pieces


def _sma(y: FloatArray, w: int) -> FloatArray:
    return _windowed(lambda win: float(np.mean(win)), w, y)


def _weighted(y: FloatArray, weights: Sequence[float]) -> FloatArray:
    """Weighted average; ``weights[i]`` applies to the value ``i`` places from the oldest."""
    wts = np.asarray(weights, dtype=np.float64)
    total = float(np.sum(wts))

    def one(win: FloatArray) -> float:
        acc = 0.0
        for i in range(len(wts)):
            acc += wts[i] * win[i]
        return acc / total

    return _windowed(one, len(wts), y)


def _wma(y: FloatArray, w: int) -> FloatArray:
    return _weighted(y, [float(i) for i in range(1, w + 1)])


def _ls_fit(win: FloatArray) -> tuple[float, float]:
    """Least-squares line through ``(i, win[i])``, i = 0 (oldest) .. w-1: (mean, slope per bar)."""
    w = len(win)
    ybar = float(np.mean(win))
    if w == 1:
        return ybar, 0.0
    xs = np.arange(w, dtype=np.float64)
    xc = xs - xs.mean()
    slope = float(np.sum(xc * (win - ybar)) / np.sum(xc * xc))
    return ybar, slope


def _lsma(y: FloatArray, w: int) -> FloatArray:
    def one(win: FloatArray) -> float:
        ybar, slope = _ls_fit(win)
        return ybar + slope * (len(win) - 1) / 2.0  # the line's value at the newest bar

    return _windowed(one, w, y)


def _ilrs(y: FloatArray, w: int) -> FloatArray:
    def one(win: FloatArray) -> float:
        ybar, slope = _ls_fit(win)
        return ybar + slope

    return _windowed(one, w, y)


def _donchian(y: FloatArray, hi: FloatArray, lo: FloatArray, w: int) -> FloatArray:
    def one(_src: FloatArray, h: FloatArray, low: FloatArray) -> float:
        highest = h[0]
        lowest = low[0]
        for i in range(1, len(h)):
            highest = max(highest, h[i])
            lowest = min(lowest, low[i])
        return (highest + lowest) / 2.0

    return _windowed(one, w, y, hi, lo)


# --------------------------------------------------------------------------- recursive pieces
# These take series that may start with NaNs (an average of an average) but have no NaN after
# their first value: the top level compacts interior NaN bars away first.


def _ema(y: FloatArray, w: int, a: float) -> FloatArray:
    """EMA with factor ``a``, seeded ``w-1`` bars after ``y``'s first value with the SMA of ``w``."""
    out = _nans(len(y))
    f = _first_valid(y)
    seed = f + w - 1
    if seed >= len(y):
        return out
    e = float(np.mean(y[f : seed + 1]))
    out[seed] = e
    for t in range(seed + 1, len(y)):
        e = a * y[t] + (1.0 - a) * e
        out[t] = e
    return out


def _ema_n(y: FloatArray, n: int) -> FloatArray:
    return _ema(y, n, 2.0 / (n + 1.0))


def _xema(y: FloatArray, a: float) -> FloatArray:
    """EMA with factor ``a`` seeded with ``y``'s first value (no warm-up)."""
    out = _nans(len(y))
    f = _first_valid(y)
    if f >= len(y):
        return out
    e = y[f]
    out[f] = e
    for t in range(f + 1, len(y)):
        e = a * y[t] + (1.0 - a) * e
        out[t] = e
    return out


def _super_smoother(y: FloatArray, n: float) -> FloatArray:
    """Ehlers' 2-pole Super Smoother; equal to ``y`` on its first two values."""
    a1 = math.exp(-math.sqrt(2.0) * math.pi / n)
    c2 = 2.0 * a1 * math.cos(math.sqrt(2.0) * math.pi / n)
    c3 = -a1 * a1
    c1 = 1.0 - c2 - c3
    out = _nans(len(y))
    f = _first_valid(y)
    for t in range(f, len(y)):
        if t < f + 2:
            out[t] = y[t]
        else:
            out[t] = c1 * (y[t] + y[t - 1]) / 2.0 + c2 * out[t - 1] + c3 * out[t - 2]
    return out


# --------------------------------------------------------------------------- the 34 types
# Each ``_t_*`` below takes the (compacted, for recursive types) inputs and returns an array.


def _t_dema(x: FloatArray, n: int) -> FloatArray:
    e1 = _ema_n(x, n)
    e2 = _ema_n(e1, n)
    return 2.0 * e1 - e2


def _t_tema(x: FloatArray, n: int) -> FloatArray:
    e1 = _ema_n(x, n)
    e2 = _ema_n(e1, n)
    e3 = _ema_n(e2, n)
    return 3.0 * e1 - 3.0 * e2 + e3


def _t_hma(x: FloatArray, n: int) -> FloatArray:
    half = max(n // 2, 1)
    s = max(round(math.sqrt(n)), 1)
    raw = 2.0 * _wma(x, half) - _wma(x, n)
    return _wma(raw, s)


def _t_alma(x: FloatArray, n: int) -> FloatArray:
    m = 0.85 * (n - 1)
    s = n / 6.0
    return _weighted(x, [math.exp(-((i - m) ** 2) / (2.0 * s * s)) for i in range(n)])


def _t_jma(x: FloatArray, n: int, phase: float, power: float) -> FloatArray:
    out = _nans(len(x))
    if len(x) == 0:
        return out
    beta = 0.45 * (n - 1) / (0.45 * (n - 1) + 2.0)
    alpha = beta**power
    pr = min(max(phase / 100.0 + 1.5, 0.5), 2.5)
    e0 = x[0]
    j = x[0]
    e1 = 0.0
    e2 = 0.0
    out[0] = j
    for t in range(1, len(x)):
        e0 = (1.0 - alpha) * x[t] + alpha * e0
        e1 = (x[t] - e0) * (1.0 - beta) + beta * e1
        e2 = (e0 + pr * e1 - j) * (1.0 - alpha) ** 2 + alpha**2 * e2
        j = j + e2
        out[t] = j
    return out


def _t_kama(x: FloatArray, n: int) -> FloatArray:
    fast = 2.0 / (2.0 + 1.0)
    slow = 2.0 / (30.0 + 1.0)
    out = _nans(len(x))
    if n >= len(x):
        return out
    kama = x[n - 1]
    for t in range(n, len(x)):
        change = abs(x[t] - x[t - n])
        volatility = 0.0
        for i in range(t - n + 1, t + 1):
            volatility += abs(x[i] - x[i - 1])
        # TA-Lib: ER = 1 when the volatility is (near) zero or not above the change.
        er = 1.0 if volatility <= change or abs(volatility) < 1e-8 else change / volatility
        sc = (er * (fast - slow) + slow) ** 2
        kama = kama + sc * (x[t] - kama)
        out[t] = kama
    return out


def _t_frama(x: FloatArray, hi: FloatArray, lo: FloatArray, n: int) -> FloatArray:
    big = n + (n % 2)  # odd windows are rounded up to even; n = 1 gives 2
    half = big // 2
    out = _nans(len(x))
    d = 1.0
    f = _NAN
    for t in range(big - 1, len(x)):
        newer_h, newer_l = hi[t - half + 1 : t + 1], lo[t - half + 1 : t + 1]
        older_h, older_l = hi[t - big + 1 : t - half + 1], lo[t - big + 1 : t - half + 1]
        all_h, all_l = hi[t - big + 1 : t + 1], lo[t - big + 1 : t + 1]
        n1 = (max(newer_h) - min(newer_l)) / half
        n2 = (max(older_h) - min(older_l)) / half
        n3 = (max(all_h) - min(all_l)) / big
        if n1 > 0 and n2 > 0 and n3 > 0:
            d = (math.log(n1 + n2) - math.log(n3)) / math.log(2.0)
        alpha = min(max(math.exp(-4.6 * (d - 1.0)), 0.01), 1.0)
        f = x[t] if t == big - 1 else alpha * x[t] + (1.0 - alpha) * f
        out[t] = f
    return out


def _t_vama(x: FloatArray, n: int) -> FloatArray:
    mid = _ema_n(x, n)
    dev = x - mid
    spread = _windowed(lambda win: (float(np.max(win)) + float(np.min(win))) / 2.0, 10, dev)
    return mid + spread


def _t_t3(x: FloatArray, n: int) -> FloatArray:
    v = 0.7
    c1 = -(v**3)
    c2 = 3.0 * v**2 + 3.0 * v**3
    c3 = -6.0 * v**2 - 3.0 * v - 3.0 * v**3
    c4 = 1.0 + 3.0 * v + v**3 + 3.0 * v**2
    e1 = _ema_n(x, n)
    e2 = _ema_n(e1, n)
    e3 = _ema_n(e2, n)
    e4 = _ema_n(e3, n)
    e5 = _ema_n(e4, n)
    e6 = _ema_n(e5, n)
    return c1 * e6 + c2 * e5 + c3 * e4 + c4 * e3


def _t_zlema(x: FloatArray, n: int) -> FloatArray:
    lag = (n - 1) // 2
    y = _nans(len(x))
    for t in range(lag, len(x)):
        y[t] = x[t] + (x[t] - x[t - lag])
    return _ema_n(y, n)


def _t_mcginley(x: FloatArray, n: int) -> FloatArray:
    out = _nans(len(x))
    if len(x) == 0:
        return out
    md = x[0]
    out[0] = md
    for t in range(1, len(x)):
        with np.errstate(all="ignore"):
            denom = float(n * (np.float64(x[t]) / np.float64(md)) ** 4)
        if denom != 0.0 and math.isfinite(denom):
            md = md + (x[t] - md) / denom
        out[t] = md
    return out


def _t_modular(x: FloatArray, n: int) -> FloatArray:
    alpha = 2.0 / (n + 1.0)
    beta = 0.8
    z = 0.5
    out = _nans(len(x))
    ts = b = c = None
    os_ = 0.0
    for t in range(len(x)):
        src = x[t]
        s = z * src + (1.0 - z) * (src if ts is None else ts)
        b_prev = s if b is None else b
        c_prev = s if c is None else c
        b_ema = alpha * s + (1.0 - alpha) * b_prev
        c_ema = alpha * s + (1.0 - alpha) * c_prev
        b = s if s > b_ema else b_ema
        c = s if s < c_ema else c_ema
        if s == b:
            os_ = 1.0
        elif s == c:
            os_ = 0.0
        upper = beta * b + (1.0 - beta) * c
        lower = beta * c + (1.0 - beta) * b
        ts = os_ * upper + (1.0 - os_) * lower
        out[t] = ts
    return out


def _t_covwma(x: FloatArray, n: int) -> FloatArray:
    with np.errstate(all="ignore"):
        cv = _windowed(lambda win: float(np.std(win) / np.mean(win)), n, x)

    def one(xs: FloatArray, cvs: FloatArray) -> float:
        num = 0.0
        den = 0.0
        for i in range(len(xs)):
            num += xs[i] * cvs[i]
            den += cvs[i]
        if den == 0.0:
            return float(np.mean(xs))
        return num / den

    with np.errstate(all="ignore"):
        return _windowed(one, n, x, cv)


def _t_edsma(x: FloatArray, n: int) -> FloatArray:
    length = len(x)
    z = _nans(length)
    for t in range(2, length):
        z[t] = x[t] - x[t - 2]
    az = _nans(length)
    for t in range(3, length):
        az[t] = (z[t] + z[t - 1]) / 2.0
    ss = _super_smoother(az, 20.0)
    sd = _windowed(lambda win: float(np.std(win)), n, ss)  # population stdev, from bar n+2
    out = _nans(length)
    start = n + 2
    e = _NAN
    for t in range(start, length):
        k = 0.0 if sd[t] == 0.0 else ss[t] / sd[t]
        alpha = min(5.0 * abs(k) / n, 1.0)
        prev = x[t - 1] if t == start else e
        e = alpha * x[t] + (1.0 - alpha) * prev
        out[t] = e
    return out


def _t_ehlers_ema_smoother(x: FloatArray, n: int) -> FloatArray:
    return _super_smoother(_xema(x, 2.0 / (n + 1.0)), 3.0)


def _t_ahrens(x: FloatArray, n: int) -> FloatArray:
    out = _nans(len(x))
    if len(x) == 0:
        return out
    out[0] = x[0]
    for t in range(1, len(x)):
        prev = out[t - 1]
        lagged = out[t - n] if t - n >= 0 else x[0]
        out[t] = prev + (x[t] - (prev + lagged) / 2.0) / n
    return out


def _t_alexander(x: FloatArray, n: int) -> FloatArray:
    # weight n-2-k on x[t-k], k = 0..n-1; listed from the oldest (k = n-1) to the newest (k = 0)
    return _weighted(x, [float(n - 2 - k) for k in range(n - 1, -1, -1)])


def _t_adxvma(x: FloatArray, n: int) -> FloatArray:
    k = 1.0 / n
    out = _nans(len(x))
    pdm = mdm = pdis = mdis = adx = 0.0
    adx_hist: list[float] = []
    m = _NAN
    for t in range(len(x)):
        up = max(x[t] - x[t - 1], 0.0) if t > 0 else 0.0
        dn = max(x[t - 1] - x[t], 0.0) if t > 0 else 0.0
        pdm = (1.0 - k) * pdm + k * up
        mdm = (1.0 - k) * mdm + k * dn
        s = pdm + mdm
        pdi = pdm / s if s != 0.0 else 0.0
        mdi = mdm / s if s != 0.0 else 0.0
        pdis = (1.0 - k) * pdis + k * pdi
        mdis = (1.0 - k) * mdis + k * mdi
        s1 = pdis + mdis
        inc = k * abs(pdis - mdis) / s1 if s1 != 0.0 else 0.0
        adx = (1.0 - k) * adx + inc
        adx_hist.append(adx)
        recent = adx_hist[-n:]  # the last min(t+1, n) values
        hi = max(recent)
        lo = min(recent)
        v = (adx - lo) / (hi - lo) if hi != lo else 0.0
        m = x[0] if t == 0 else ((n - v) * m + v * x[t]) / n
        out[t] = m
    return out


def _t_leader(x: FloatArray, n: int) -> FloatArray:
    a = 2.0 / (n + 1.0)
    out = _nans(len(x))
    if len(x) == 0:
        return out
    l1 = x[0]
    l2 = 0.0
    out[0] = l1 + l2
    for t in range(1, len(x)):
        l1 = l1 + a * (x[t] - l1)
        l2 = l2 + a * (x[t] - l1 - l2)
        out[t] = l1 + l2
    return out


def _t_rmta(x: FloatArray, n: int) -> FloatArray:
    a = 2.0 / (n + 1.0)
    out = _nans(len(x))
    if len(x) == 0:
        return out
    b = x[0]
    r = x[0]
    out[0] = r
    for t in range(1, len(x)):
        b_new = (1.0 - a) * b + x[t]
        r = (1.0 - a) * r + a * (x[t] + b_new - b)
        b = b_new
        out[t] = r
    return out


def _t_decycler(x: FloatArray, n: int) -> FloatArray:
    w = 2.0 * math.pi / (n * math.sqrt(2.0))
    alpha = (math.cos(w) + math.sin(w) - 1.0) / math.cos(w)
    hp = np.zeros(len(x))
    for t in range(2, len(x)):
        hp[t] = (
            (1.0 - alpha / 2.0) ** 2 * (x[t] - 2.0 * x[t - 1] + x[t - 2])
            + 2.0 * (1.0 - alpha) * hp[t - 1]
            - (1.0 - alpha) ** 2 * hp[t - 2]
        )
    return x - hp


def _t_trima(x: FloatArray, n: int) -> FloatArray:
    if n % 2 == 1:
        first = second = (n + 1) // 2
    else:
        first, second = n // 2 + 1, n // 2
    return _sma(_sma(x, first), second)


def _t_vwma(x: FloatArray, vol: FloatArray, n: int) -> FloatArray:
    def one(xs: FloatArray, vs: FloatArray) -> float:
        num = 0.0
        den = 0.0
        for i in range(len(xs)):
            num += xs[i] * vs[i]
            den += vs[i]
        if den == 0.0:
            return float(np.mean(xs))
        return num / den

    return _windowed(one, n, x, vol)


# --------------------------------------------------------------------------- public API


def _resolve(ma_type: int | str) -> int:
    if isinstance(ma_type, str):
        code = CODES.get(ma_type.strip().lower())
        if code is None:
            raise ValueError(f"unknown ma_type {ma_type!r}; valid: 0..33 or one of {sorted(CODES)}")
        return code
    if isinstance(ma_type, (int, np.integer)) and not isinstance(ma_type, bool) and 0 <= int(ma_type) <= 33:
        return int(ma_type)
    raise ValueError(f"unknown ma_type {ma_type!r}; valid: 0..33 or one of {sorted(CODES)}")


def _as_series(a: object, length: int, what: str) -> FloatArray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 1 or len(arr) != length:
        raise ValueError(f"{what} must be 1-D with the length of x ({length})")
    return arr


def slow_ma(
    x: Sequence[float] | np.ndarray,
    n: int,
    ma_type: int | str,
    *,
    volume: Sequence[float] | np.ndarray | None = None,
    high: Sequence[float] | np.ndarray | None = None,
    low: Sequence[float] | np.ndarray | None = None,
    phase: float = 0.0,
    power: float = 2.0,
) -> np.ndarray:
    """Reference moving average of type ``ma_type`` (code 0..33 or name) over window ``n``."""
    src = np.asarray(x, dtype=np.float64)
    if src.ndim != 1:
        raise ValueError("x must be 1-D")
    code = _resolve(ma_type)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"window must be an integer, got {n!r}")
    n = int(n)
    if n < 1:
        raise ValueError(f"window must be >= 1, got {n}")
    if code == 22 and n < 4:
        raise ValueError(f"Alexander Moving Average needs window >= 4, got {n}")
    if code == 27 and n < 2:
        raise ValueError(f"Simple Decycler needs window >= 2, got {n}")
    length = len(src)
    use_hl = high is not None and low is not None
    hi = _as_series(high, length, "high") if use_hl else src
    lo = _as_series(low, length, "low") if use_hl else src
    vol = None if volume is None else _as_series(volume, length, "volume")

    a = 2.0 / (n + 1.0)
    if code == 10:  # FRAMA: a bar is skipped when src, or high/low when used, is NaN
        if use_hl:
            return _skip_nan_bars(lambda y, h, low_: _t_frama(y, h, low_, n), src, hi, lo)
        return _skip_nan_bars(lambda y: _t_frama(y, y, y, n), src)
    if code == 32:
        if vol is None:
            raise ValueError("Volume Weighted Moving Average (VWMA) needs volume")
        return _t_vwma(src, vol, n)

    windowed: dict[int, Callable[[], FloatArray]] = {
        0: lambda: _sma(src, n),
        2: lambda: _wma(src, n),
        6: lambda: _t_hma(src, n),
        7: lambda: _t_alma(src, n),
        13: lambda: (_ilrs(src, n) + _lsma(src, n)) / 2.0,
        17: lambda: _t_covwma(src, n),
        22: lambda: _t_alexander(src, n),
        24: lambda: _ilrs(src, n),
        28: lambda: _t_trima(src, n),
        30: lambda: _donchian(src, hi, lo, n),
        31: lambda: (_donchian(src, hi, lo, n) + _donchian(src, hi, lo, max(n // 2, 1))) / 2.0,
        33: lambda: _lsma(src, n),
    }
    if code in windowed:
        return windowed[code]()

    recursive: dict[int, Callable[[FloatArray], FloatArray]] = {
        1: lambda y: _ema(y, n, a),
        3: lambda y: _ema(y, n, 1.0 / n),
        4: lambda y: _t_dema(y, n),
        5: lambda y: _t_tema(y, n),
        8: lambda y: _t_jma(y, n, phase, power),
        9: lambda y: _t_kama(y, n),
        11: lambda y: _t_vama(y, n),
        12: lambda y: _t_t3(y, n),
        14: lambda y: _t_zlema(y, n),
        15: lambda y: _t_mcginley(y, n),
        16: lambda y: _t_modular(y, n),
        18: lambda y: _t_edsma(y, n),
        19: lambda y: _super_smoother(y, float(n)),
        20: lambda y: _t_ehlers_ema_smoother(y, n),
        21: lambda y: _t_ahrens(y, n),
        23: lambda y: _t_adxvma(y, n),
        25: lambda y: _t_leader(y, n),
        26: lambda y: _t_rmta(y, n),
        27: lambda y: _t_decycler(y, n),
        29: lambda y: _xema(y, a),
    }
    return _skip_nan_bars(recursive[code], src)


def slow_rolling_percentile(x: Sequence[float] | np.ndarray, sample: int, pct: float) -> np.ndarray:
    """Nearest-rank rolling percentile over the last ``min(t+1, sample)`` values from the first non-NaN."""
    src = np.asarray(x, dtype=np.float64)
    if sample < 1:
        raise ValueError(f"sample must be >= 1, got {sample}")
    out = _nans(len(src))
    f = _first_valid(src)
    for t in range(f, len(src)):
        win = src[max(f, t - sample + 1) : t + 1]
        if np.isnan(win).any():
            continue
        ordered = sorted(float(v) for v in win)
        # exact rational ceil(pct/100*len): the float product can land just above an integer
        # (7/100*100 == 7.000000000000001) and pick the next rank
        rank = math.ceil(Fraction(pct) * len(ordered) / 100) - 1
        rank = min(max(rank, 0), len(ordered) - 1)
        out[t] = ordered[rank]
    return out
