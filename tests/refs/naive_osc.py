"""Naive O(n*w) reference implementations of SniperProX and VZOProX.

Straight transcriptions of ``shared/spec/INDICATORS.md`` sections 2 and 3 and of the choices in
``docs/indicators.md``, written independently of ``uptrade.indicators``. Every window is re-scanned
on every bar (no running sums, deques or sorted windows); recursions are plain loops. They serve as
test oracles and as the O(n*w) baseline of the benchmarks.

Moving averages (``ma_type``, case-insensitive; anything else raises ``ValueError``):

- ``"Jurik Moving Average"``/``"JMA"``: spec row 8 with ``phase`` and ``power``; seeded on the
  first non-NaN bar with ``e0 = j = x``, ``e1 = e2 = 0`` (output ``j``).
- ``"EMA"`` (``a = 2/(n+1)``) and ``"RMA"``/``"Wilder"`` (``a = 1/n``): ``e = a*x + (1-a)*e[-1]``,
  seeded with the SMA of the first ``n`` non-NaN values, on the bar of the n-th one.
- ``"SMA"``: mean of the last ``n`` bars, NaN while a NaN is among them.

NaN rules: leading NaNs are skipped (an MA starts at its input's first non-NaN value, so nested
MAs start where the inner one does). The recursive types skip a NaN bar: the state is untouched and
the previous output repeated (NaN if there was none yet). Windowed steps (stochastics, SMA, the
volume average, rolling percentiles) are NaN while a NaN is inside their window.

Choices where the spec and docs leave room (each also stated at its step):

1. ``%K`` is NaN while a NaN is in the ``high``/``low`` window or ``close`` is NaN; 50 exactly where
   ``HH == LL``. ``kv`` is NaN where ``k`` is NaN.
2. ``f3``: 0.0 on every bar before ``k3v`` is defined (so it is never NaN); a bar whose ``k3v`` is
   NaN, or whose step is not finite, repeats the previous ``f3``.
3. ``sc`` is 0.0 from bar 0 (it is a counter that starts at 0, not NaN during warm-up). Crosses are
   TradingView's: ``k1v`` crosses below ``k2v`` at bar t when ``k1v < k2v`` and
   ``k1v[-1] >= k2v[-1]``; crosses above when ``k1v > k2v`` and ``k1v[-1] <= k2v[-1]`` (all four
   values defined). A bar where ``k1v`` or ``k2v`` is NaN holds ``sc`` unchanged (instead of
   taking the "otherwise" branch, which would reset a negative count); with clean input this only
   affects warm-up, where both readings give 0.
4. DMI/ADX: Wilder as TA-Lib computes it (``dmi_len >= 2``): ``+DM = dH`` if ``dH > 0`` and
   ``dH > dL``, ``-DM = dL`` if ``dL > 0`` and ``dL > dH`` (``dH = H - H[-1]``, ``dL = L[-1] - L``),
   TR the true range; sums seeded with the sum of the first ``n-1`` one-bar values, then
   ``s = s - s/n + v``; ``DI = 100*DM_s/TR_s`` (0 where ``TR_s == 0``) from bar ``n``;
   ``DX = 100*|+DI - -DI|/(+DI + -DI)``; ADX = mean of the first ``n`` DX (bar ``2n-1``), then
   ``(ADX*(n-1) + DX)/n``; a bar with ``TR_s == 0`` or ``+DI + -DI == 0`` adds 0 to the initial sum
   and leaves ADX unchanged afterwards (TA-Lib 0.8 tests these for exact zero). The DMI follows the
   windowed rule by restarting: it is computed as above on each maximal run of bars where
   ``high``, ``low`` and ``close`` are all non-NaN, NaN elsewhere (leading NaNs are the first case).
5. ``strong_up``/``strong_down`` are False where ADX or a DI is NaN (warm-up), so the trend filter
   does not block ``major_buy``/``major_sell`` there.
6. ``vol_strength[t] = 100*volume[t]/SMA(volume, vol_avg_len)[t-1]``; NaN on bar 0, where that
   average is NaN or 0, or where ``volume[t]`` is NaN; ``volume_ok`` is False wherever it is NaN.
7. Turning points of a series ``x`` at bar t need ``t >= 2`` and ``x, x[-1], x[-2]`` all non-NaN;
   ``up_turn = sign(x - x[-1]) > sign(x[-1] - x[-2])``, ``down_turn`` with ``<``. For SniperProX
   ``x = f3``, which is 0.0 (defined) during warm-up, so a turn can fire on ``k3v``'s first bar.
8. Rolling nearest-rank percentile at bar t: ``f`` = first non-NaN index of the series,
   ``L = min(t - f + 1, data_sample)``, window ``x[t-L+1 .. t]`` (the current bar included), NaN if
   it holds a NaN; sorted ascending, rank ``ceil(p*L/100) - 1`` clamped to ``[0, L-1]``. (Written
   ``p*L/100`` rather than ``p/100*L``: equal mathematically, but the product form is exact when
   ``p*L/100`` is an integer, e.g. ``p = 28, L = 25``.) ``upper`` uses ``pcnt_above``, ``lower``
   uses ``100 - pcnt_below``.
9. SniperProX adaptive crosses compare with the CURRENT bar's zone, as the spec writes them:
   ``adaptive_cross_up = f3 >= lower and f3[-1] < lower and f3 - f3[-2] > 0.01``;
   ``adaptive_cross_down = f3 <= upper and f3[-1] > upper and f3[-2] - f3 > 0.01`` (t >= 2, all
   values non-NaN).
10. VZO ``sv``: NaN where ``close`` or ``volume`` is NaN; 0 on the first non-NaN close; otherwise
    ``volume``, ``-volume`` or 0 by the sign of ``close`` minus the previous non-NaN close.
    ``vzo`` is NaN while either MA is NaN, 0 where ``MA(volume) == 0`` exactly, else
    ``100*MA(sv)/MA(volume)``.
11. VZO zero crosses (t >= 2, all values non-NaN):
    ``zero_cross_up = vzo >= 0 and vzo[-1] < 0 and vzo_smoothed - vzo[-2] > zero_cross_filter_range``;
    ``zero_cross_down = vzo <= 0 and vzo[-1] > 0 and vzo[-2] - vzo_smoothed > zero_cross_filter_range``.
12. VZO adaptive crosses are the zero crosses with 0 replaced by the current bar's zone (``lower``
    for up, ``upper`` for down, as in SniperProX) and the same ``zero_cross_filter_range`` filter:
    ``adaptive_cross_up = vzo >= lower and vzo[-1] < lower and vzo_smoothed - vzo[-2] > range``;
    ``adaptive_cross_down = vzo <= upper and vzo[-1] > upper and vzo[-2] - vzo_smoothed > range``.
13. ``signal`` is int8: 1 on ``major_buy``, -1 on ``major_sell``, else 0 (they never coincide).
    VZOProX returns ``vzo, vzo_smoothed, upper, lower`` (float), its ten events (bool) and
    ``signal``; ``sv`` and the turning points are internal.
14. Windows (``length``, ``vol_avg_len``, ``data_sample``, ``vzo_length``, ``noise_length``) must be
    integers >= 1, ``dmi_len`` >= 2 (TA-Lib's range); otherwise ``ValueError``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_MA_KINDS: dict[str, int] = {
    "jurik moving average": 0,
    "jma": 0,
    "ema": 1,
    "rma": 2,
    "wilder": 2,
    "sma": 3,
}


# --------------------------------------------------------------------------- moving averages


@nb.njit
def _sma_nb(x: np.ndarray, n: int) -> np.ndarray:
    """Mean of the last ``n`` bars, re-summed on every bar; NaN while a NaN is in the window."""
    out = np.full(x.size, np.nan)
    for t in range(n - 1, x.size):
        s = 0.0
        ok = True
        for j in range(t - n + 1, t + 1):
            if np.isnan(x[j]):
                ok = False
                break
            s += x[j]
        if ok:
            out[t] = s / n
    return out


@nb.njit
def _ema_nb(x: np.ndarray, n: int, a: float) -> np.ndarray:
    """``e = a*x + (1-a)*e[-1]`` seeded with the SMA of the first ``n`` non-NaN values; NaN bars skipped."""
    out = np.full(x.size, np.nan)
    count = 0
    seed_sum = 0.0
    e = np.nan
    for t in range(x.size):
        v = x[t]
        if np.isnan(v):
            out[t] = e
            continue
        if count < n:
            count += 1
            seed_sum += v
            if count == n:
                e = seed_sum / n
        else:
            e = a * v + (1.0 - a) * e
        out[t] = e
    return out


@nb.njit
def _jma_nb(x: np.ndarray, n: int, phase: float, power: float) -> np.ndarray:
    """Jurik MA per the spec's recursion, seeded on the first non-NaN bar; NaN bars skipped."""
    out = np.full(x.size, np.nan)
    beta = 0.45 * (n - 1) / (0.45 * (n - 1) + 2.0)
    alpha = beta**power
    pr = min(max(phase / 100.0 + 1.5, 0.5), 2.5)
    started = False
    e0 = 0.0
    e1 = 0.0
    e2 = 0.0
    j = np.nan
    for t in range(x.size):
        v = x[t]
        if np.isnan(v):
            out[t] = j
            continue
        if not started:
            started = True
            e0 = v
            j = v
            e1 = 0.0
            e2 = 0.0
        else:
            e0 = (1.0 - alpha) * v + alpha * e0
            e1 = (v - e0) * (1.0 - beta) + beta * e1
            e2 = (e0 + pr * e1 - j) * (1.0 - alpha) ** 2 + alpha**2 * e2
            j = j + e2
        out[t] = j
    return out


def _ma_kind(ma_type: str) -> int:
    key = str(ma_type).strip().lower()
    if key not in _MA_KINDS:
        raise ValueError(
            f"unknown ma_type {ma_type!r}; valid: 'Jurik Moving Average'/'JMA', 'EMA', 'RMA'/'Wilder', 'SMA'"
        )
    return _MA_KINDS[key]


def _ma(x: np.ndarray, n: int, ma_type: str, phase: float, power: float) -> np.ndarray:
    """Dispatch to the naive moving average named by ``ma_type``."""
    kind = _ma_kind(ma_type)
    if kind == 0:
        return _jma_nb(x, n, float(phase), float(power))
    if kind == 1:
        return _ema_nb(x, n, 2.0 / (n + 1))
    if kind == 2:
        return _ema_nb(x, n, 1.0 / n)
    return _sma_nb(x, n)


# --------------------------------------------------------------------------- building blocks


@nb.njit
def _stoch_nb(high: np.ndarray, low: np.ndarray, close: np.ndarray, p: int) -> np.ndarray:
    """``100*(close - LL)/(HH - LL)`` over the last ``p`` bars, scanned per bar; 50 where HH == LL."""
    out = np.full(close.size, np.nan)
    for t in range(p - 1, close.size):
        if np.isnan(close[t]):
            continue
        hh = -np.inf
        ll = np.inf
        ok = True
        for j in range(t - p + 1, t + 1):
            if np.isnan(high[j]) or np.isnan(low[j]):
                ok = False
                break
            hh = max(hh, high[j])
            ll = min(ll, low[j])
        if not ok:
            continue
        out[t] = 50.0 if hh == ll else 100.0 * (close[t] - ll) / (hh - ll)
    return out


@nb.njit
def _center_nb(k: np.ndarray) -> np.ndarray:
    """``(clamp(k, 0, 100) - 50)/50.01``; NaN stays NaN."""
    out = np.full(k.size, np.nan)
    for t in range(k.size):
        if not np.isnan(k[t]):
            out[t] = (min(max(k[t], 0.0), 100.0) - 50.0) / 50.01
    return out


@nb.njit
def _fisher_nb(kv: np.ndarray) -> np.ndarray:
    """``f = 0.5*ln((1+kv)/(1-kv)) + 0.5*f[-1]``; 0 before defined, non-finite steps keep ``f``."""
    out = np.zeros(kv.size)
    f = 0.0
    for t in range(kv.size):
        v = kv[t]
        if not np.isnan(v):
            step = 0.5 * math.log((1.0 + v) / (1.0 - v)) + 0.5 * f
            if np.isfinite(step):
                f = step
        out[t] = f
    return out


@nb.njit
def _state_counter_nb(k1v: np.ndarray, k2v: np.ndarray) -> np.ndarray:
    """SniperProX step 5; holds ``sc`` on bars where ``k1v`` or ``k2v`` is NaN."""
    out = np.zeros(k1v.size)
    sc = 0.0
    for t in range(k1v.size):
        a = k1v[t]
        b = k2v[t]
        if np.isnan(a) or np.isnan(b):
            out[t] = sc
            continue
        pa = k1v[t - 1] if t > 0 else np.nan
        pb = k2v[t - 1] if t > 0 else np.nan
        prev_ok = not (np.isnan(pa) or np.isnan(pb))
        if b > 0.0:
            cross_under = prev_ok and a < b and pa >= pb
            sc = min(sc, 0.0) - 1.0 if (cross_under and pb > 0.0) else min(sc, 0.0)
        else:
            cross_over = prev_ok and a > b and pa <= pb
            sc = max(sc, 0.0) + 1.0 if (cross_over and pb <= 0.0) else max(sc, 0.0)
        out[t] = sc
    return out


@nb.njit
def _dmi_run_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    n: int,
    s: int,
    e: int,
    pdi_out: np.ndarray,
    mdi_out: np.ndarray,
    adx_out: np.ndarray,
) -> None:
    """Wilder +DI/-DI/ADX (TA-Lib's algorithm) on the NaN-free run ``[s, e)``, written in place."""
    m = e - s
    if m < n + 1:
        return
    pdm = 0.0
    mdm = 0.0
    tr = 0.0
    sum_dx = 0.0
    adx = 0.0
    for i in range(1, m):
        t = s + i
        d_p = high[t] - high[t - 1]
        d_m = low[t - 1] - low[t]
        plus = 0.0
        minus = 0.0
        if d_m > 0.0 and d_p < d_m:
            minus = d_m
        elif d_p > 0.0 and d_p > d_m:
            plus = d_p
        tr1 = max(high[t] - low[t], abs(high[t] - close[t - 1]), abs(low[t] - close[t - 1]))
        if i < n:  # seed: plain sums of the first n-1 one-bar values
            pdm += plus
            mdm += minus
            tr += tr1
            continue
        pdm = pdm - pdm / n + plus
        mdm = mdm - mdm / n + minus
        tr = tr - tr / n + tr1
        pdi = 0.0
        mdi = 0.0
        if tr != 0.0:
            pdi = 100.0 * (pdm / tr)
            mdi = 100.0 * (mdm / tr)
        pdi_out[t] = pdi
        mdi_out[t] = mdi
        dx_ok = tr != 0.0 and pdi + mdi != 0.0
        dx = 100.0 * (abs(mdi - pdi) / (mdi + pdi)) if dx_ok else 0.0
        if i < 2 * n - 1:
            sum_dx += dx
        elif i == 2 * n - 1:
            sum_dx += dx
            adx = sum_dx / n
            adx_out[t] = adx
        else:
            if dx_ok:
                adx = (adx * (n - 1) + dx) / n
            adx_out[t] = adx


@nb.njit
def _dmi_nb(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """+DI, -DI, ADX computed afresh on every maximal run of bars whose high, low and close are all non-NaN."""
    size = close.size
    pdi = np.full(size, np.nan)
    mdi = np.full(size, np.nan)
    adx = np.full(size, np.nan)
    t = 0
    while t < size:
        if np.isnan(high[t]) or np.isnan(low[t]) or np.isnan(close[t]):
            t += 1
            continue
        s = t
        while t < size and not (np.isnan(high[t]) or np.isnan(low[t]) or np.isnan(close[t])):
            t += 1
        _dmi_run_nb(high, low, close, n, s, t, pdi, mdi, adx)
    return pdi, mdi, adx


@nb.njit
def _vol_strength_nb(volume: np.ndarray, n: int) -> np.ndarray:
    """``100*volume/SMA(volume, n)[-1]``; NaN where that previous average is undefined or 0."""
    avg = _sma_nb(volume, n)
    out = np.full(volume.size, np.nan)
    for t in range(1, volume.size):
        prev = avg[t - 1]
        if np.isnan(prev) or prev == 0.0 or np.isnan(volume[t]):
            continue
        out[t] = 100.0 * volume[t] / prev
    return out


@nb.njit
def _sign(x: float) -> int:
    if x > 0.0:
        return 1
    if x < 0.0:
        return -1
    return 0


@nb.njit
def _turns_nb(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sign(x - x[-1])`` versus ``sign(x[-1] - x[-2])``: (up_turn, down_turn); needs three non-NaN values."""
    up = np.zeros(x.size, dtype=np.bool_)
    down = np.zeros(x.size, dtype=np.bool_)
    for t in range(2, x.size):
        if np.isnan(x[t]) or np.isnan(x[t - 1]) or np.isnan(x[t - 2]):
            continue
        s_now = _sign(x[t] - x[t - 1])
        s_before = _sign(x[t - 1] - x[t - 2])
        up[t] = s_now > s_before
        down[t] = s_now < s_before
    return up, down


@nb.njit
def _pctl_nb(x: np.ndarray, window: int, p: float) -> np.ndarray:
    """Rolling nearest-rank percentile: copy, sort and index the last ``min(t-f+1, window)`` values."""
    out = np.full(x.size, np.nan)
    first = -1
    for t in range(x.size):
        if not np.isnan(x[t]):
            first = t
            break
    if first < 0:
        return out
    for t in range(first, x.size):
        length = min(t - first + 1, window)
        window_values = x[t - length + 1 : t + 1]
        if np.isnan(window_values).any():
            continue
        w = np.sort(window_values)  # a sorted copy
        rank = math.ceil(p * length / 100.0) - 1
        rank = min(max(rank, 0), length - 1)
        out[t] = w[rank]
    return out


@nb.njit
def _level_cross_nb(x: np.ndarray, level: np.ndarray, filt: np.ndarray, thresh: float, up: bool) -> np.ndarray:
    """Cross of ``x`` through the current bar's ``level`` with ``filt - x[-2] > thresh`` (mirrored for down).

    up:   ``x >= level and x[-1] < level and filt - x[-2] > thresh``;
    down: ``x <= level and x[-1] > level and x[-2] - filt > thresh``.
    """
    out = np.zeros(x.size, dtype=np.bool_)
    for t in range(2, x.size):
        a = x[t]
        a1 = x[t - 1]
        a2 = x[t - 2]
        lv = level[t]
        f = filt[t]
        if np.isnan(a) or np.isnan(a1) or np.isnan(a2) or np.isnan(lv) or np.isnan(f):
            continue
        if up:
            out[t] = a >= lv and a1 < lv and f - a2 > thresh
        else:
            out[t] = a <= lv and a1 > lv and a2 - f > thresh
    return out


@nb.njit
def _signed_volume_nb(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """``sign(close - previous non-NaN close)*volume``; 0 on the first non-NaN close; NaN if either is NaN."""
    out = np.full(close.size, np.nan)
    prev = np.nan
    for t in range(close.size):
        c = close[t]
        if np.isnan(c):
            continue
        if not np.isnan(volume[t]):
            if np.isnan(prev):
                out[t] = 0.0
            else:
                d = c - prev
                out[t] = volume[t] if d > 0.0 else (-volume[t] if d < 0.0 else 0.0)
        prev = c
    return out


@nb.njit
def _ratio_nb(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``100*num/den``; NaN where either is NaN, 0 where ``den == 0``."""
    out = np.full(num.size, np.nan)
    for t in range(num.size):
        if np.isnan(num[t]) or np.isnan(den[t]):
            continue
        out[t] = 0.0 if den[t] == 0.0 else 100.0 * num[t] / den[t]
    return out


# --------------------------------------------------------------------------- helpers


def _arr(x: object, name: str) -> np.ndarray:
    a = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D")
    return a


def _window(value: object, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or int(value) != value or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _signal(buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    sig = np.zeros(buy.size, dtype=np.int8)
    sig[buy] = 1
    sig[sell] = -1
    return sig


# --------------------------------------------------------------------------- public


def naive_sniper(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    *,
    length: int = 28,
    ma_type: str = "Jurik Moving Average",
    phase: float = 0.0,
    power: float = 2.0,
    overbought_oversold: float = 1.386,
    trail_threshold: float = 0.986,
    dmi_len: int = 14,
    dmi_ma_type: str = "RMA",
    adx_thresh: float = 20.0,
    vol_avg_len: int = 20,
    vol_per_thresh: float = 50.0,
    data_sample: int = 55,
    pcnt_above: float = 88.0,
    pcnt_below: float = 88.0,
) -> dict[str, np.ndarray]:
    """SniperProX (spec section 2), naive O(n*w); see the module docstring for every choice."""
    h, lo, c, v = _arr(high, "high"), _arr(low, "low"), _arr(close, "close"), _arr(volume, "volume")
    if not (h.size == lo.size == c.size == v.size):
        raise ValueError("high, low, close and volume must have the same length")
    length = _window(length, "length")
    dmi_len = _window(dmi_len, "dmi_len", 2)
    vol_avg_len = _window(vol_avg_len, "vol_avg_len")
    data_sample = _window(data_sample, "data_sample")
    _ma_kind(ma_type)
    if str(dmi_ma_type).strip().lower() not in ("rma", "wilder"):
        raise ValueError(f"unsupported dmi_ma_type {dmi_ma_type!r}; valid: 'RMA'/'Wilder'")

    # 1-3: stochastics, smoothing, centring, Fisher
    k1v = _center_nb(_ma(_stoch_nb(h, lo, c, 5), 3, ma_type, phase, power))
    k2v = _center_nb(_ma(_stoch_nb(h, lo, c, 8), 5, ma_type, phase, power))
    k3v = _center_nb(_ma(_stoch_nb(h, lo, c, 17), 5, ma_type, phase, power))
    f3 = _fisher_nb(k3v)

    # 4: trend average
    m1 = _ma(c, length, ma_type, phase, power)
    m2 = _ma(m1, length, ma_type, phase, power)
    m3 = _ma(m2, length, ma_type, phase, power)
    tavg = 3.0 * m1 - 3.0 * m2 + m3

    # 5: state counter
    sc = _state_counter_nb(k1v, k2v)

    # 6: trend filter
    plus_di, minus_di, adx = _dmi_nb(h, lo, c, dmi_len)
    strong_down = (adx > adx_thresh) & (minus_di > plus_di)  # NaN compares False
    strong_up = (adx > adx_thresh) & (plus_di > minus_di)

    # 7: volume filter
    vol_strength = _vol_strength_nb(v, vol_avg_len)
    volume_ok = vol_strength >= vol_per_thresh

    # 8: turning points
    up_turn, down_turn = _turns_nb(f3)
    minor_buy = up_turn & (f3 < -overbought_oversold)
    major_buy = minor_buy & (sc >= 2) & ~strong_down & volume_ok
    minor_sell = down_turn & (f3 > overbought_oversold)
    major_sell = minor_sell & (sc <= -2) & ~strong_up & volume_ok
    buy_trail = up_turn & (f3 > trail_threshold)
    sell_trail = down_turn & (f3 < -trail_threshold)

    # 9: adaptive zones and crosses (0.01 filter on f3 - f3[-2])
    upper = _pctl_nb(f3, data_sample, float(pcnt_above))
    lower = _pctl_nb(f3, data_sample, 100.0 - float(pcnt_below))
    adaptive_cross_up = _level_cross_nb(f3, lower, f3, 0.01, True)
    adaptive_cross_down = _level_cross_nb(f3, upper, f3, 0.01, False)

    return {
        "f3": f3,
        "sc": sc,
        "k1v": k1v,
        "k2v": k2v,
        "k3v": k3v,
        "tavg": tavg,
        "plus_di": plus_di,
        "minus_di": minus_di,
        "adx": adx,
        "vol_strength": vol_strength,
        "upper": upper,
        "lower": lower,
        "minor_buy": minor_buy,
        "major_buy": major_buy,
        "minor_sell": minor_sell,
        "major_sell": major_sell,
        "buy_trail": buy_trail,
        "sell_trail": sell_trail,
        "adaptive_cross_up": adaptive_cross_up,
        "adaptive_cross_down": adaptive_cross_down,
        "signal": _signal(major_buy, major_sell),
    }


def naive_vzo(
    close: np.ndarray,
    volume: np.ndarray,
    *,
    vzo_length: int = 14,
    ma_type: str = "Jurik Moving Average",
    phase: float = 50.0,
    power: float = 2.0,
    noise_length: int = 2,
    data_sample: int = 55,
    pcnt_above: float = 80.0,
    pcnt_below: float = 80.0,
    minor_sell_val: float = 40.0,
    minor_buy_val: float = -40.0,
    minor_major_range: float = 20.0,
    zero_cross_filter_range: float = 20.0,
) -> dict[str, np.ndarray]:
    """VZOProX (spec section 3), naive O(n*w); see the module docstring for every choice."""
    c, v = _arr(close, "close"), _arr(volume, "volume")
    if c.size != v.size:
        raise ValueError("close and volume must have the same length")
    vzo_length = _window(vzo_length, "vzo_length")
    noise_length = _window(noise_length, "noise_length")
    data_sample = _window(data_sample, "data_sample")
    _ma_kind(ma_type)

    # 1-3
    sv = _signed_volume_nb(c, v)
    vzo = _ratio_nb(_ma(sv, vzo_length, ma_type, phase, power), _ma(v, vzo_length, ma_type, phase, power))
    vzo_smoothed = _ma(vzo, noise_length, ma_type, phase, power)

    # 4: turning points
    up_turn, down_turn = _turns_nb(vzo)
    minor_buy = up_turn & (vzo < minor_buy_val)
    major_buy = up_turn & (vzo < minor_buy_val - minor_major_range)
    minor_sell = down_turn & (vzo > minor_sell_val)
    major_sell = down_turn & (vzo > minor_sell_val + minor_major_range)

    # 5: zero crosses
    zero = np.zeros(c.size)
    zcr = float(zero_cross_filter_range)
    zero_cross_up = _level_cross_nb(vzo, zero, vzo_smoothed, zcr, True)
    zero_cross_down = _level_cross_nb(vzo, zero, vzo_smoothed, zcr, False)

    # 6: zones, adaptive crosses, adaptive buy/sell
    upper = _pctl_nb(vzo, data_sample, float(pcnt_above))
    lower = _pctl_nb(vzo, data_sample, 100.0 - float(pcnt_below))
    adaptive_cross_up = _level_cross_nb(vzo, lower, vzo_smoothed, zcr, True)
    adaptive_cross_down = _level_cross_nb(vzo, upper, vzo_smoothed, zcr, False)
    adaptive_buy = up_turn & (vzo < lower)
    adaptive_sell = down_turn & (vzo > upper)

    return {
        "vzo": vzo,
        "vzo_smoothed": vzo_smoothed,
        "upper": upper,
        "lower": lower,
        "minor_buy": minor_buy,
        "major_buy": major_buy,
        "minor_sell": minor_sell,
        "major_sell": major_sell,
        "zero_cross_up": zero_cross_up,
        "zero_cross_down": zero_cross_down,
        "adaptive_cross_up": adaptive_cross_up,
        "adaptive_cross_down": adaptive_cross_down,
        "adaptive_buy": adaptive_buy,
        "adaptive_sell": adaptive_sell,
        "signal": _signal(major_buy, major_sell),
    }
