"""SniperProX and VZOProX as state machines: one call per bar, batch = the same step in a loop.

Each oscillator's state is one float64 array made of sub-machines (deques for the stochastic
ranges, MA machines, Wilder's DMI, a sorted window for the percentile zones) at offsets given
by ``lay`` (computed once by ``*_layout_nb``). A bar writes its float outputs into ``fo`` and
its boolean outputs (as 0/1) into ``bo`` and returns the int signal, so the live and batch
values are the same arithmetic. Definitions: ``shared/spec/INDICATORS.md`` sections 2-3 and
``docs/indicators.md``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from uptrade.indicators.nb.ma_batch import has_gap_nb, ma_1d_nb
from uptrade.indicators.nb.ma_step import ma_init_nb, ma_size_nb, ma_step_nb
from uptrade.indicators.nb.machines import (
    ext_init_nb,
    ext_size,
    ext_step_nb,
    pctl_size,
    pctl_step_nb,
    sma_size,
    sma_step_nb,
)
from uptrade.indicators.nb.rolling import first_valid_nb, rolling_extreme_nb, sma_nb

WILDER = 3  # RMA code: the DMI then follows TA-Lib's Wilder sums exactly

SNIPER_FLOATS = (
    "f3",
    "sc",
    "k1v",
    "k2v",
    "k3v",
    "tavg",
    "plus_di",
    "minus_di",
    "adx",
    "vol_strength",
    "upper",
    "lower",
)
SNIPER_BOOLS = (
    "minor_buy",
    "major_buy",
    "minor_sell",
    "major_sell",
    "buy_trail",
    "sell_trail",
    "adaptive_cross_up",
    "adaptive_cross_down",
)
VZO_FLOATS = ("vzo", "vzo_smoothed", "upper", "lower")
VZO_BOOLS = (
    "minor_buy",
    "major_buy",
    "minor_sell",
    "major_sell",
    "zero_cross_up",
    "zero_cross_down",
    "adaptive_cross_up",
    "adaptive_cross_down",
    "adaptive_buy",
    "adaptive_sell",
)


@njit(cache=True, error_model="numpy")
def _sign(v: float) -> float:
    return 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)


@njit(cache=True, error_model="numpy")
def _ma(st: np.ndarray, o: int, code: int, n: int, phase: float, power: float, x: float) -> float:
    return ma_step_nb(code, n, phase, power, st, o, x, x, x, x)


@njit(cache=True, error_model="numpy")
def _ma_init(st: np.ndarray, o: int, code: int, n: int) -> None:
    ma_init_nb(code, n, st, o)


# --- DMI: +DI, -DI, ADX ---------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def dmi_size_nb(n: int, code: int) -> int:
    """State size of :func:`dmi_step_nb`."""
    return 12 + (0 if code == WILDER else 4 * ma_size_nb(code, n))


@njit(cache=True, error_model="numpy")
def dmi_init_nb(st: np.ndarray, o: int, n: int, code: int) -> None:
    """Fresh DMI state."""
    st[o : o + dmi_size_nb(n, code)] = 0.0
    if code != WILDER:
        size = ma_size_nb(code, n)
        for k in range(4):
            _ma_init(st, o + 12 + k * size, code, n)


@njit(cache=True, error_model="numpy", inline="always")
def dmi_step_nb(st: np.ndarray, o: int, n: int, code: int, hi: float, lo: float, cl: float, res: np.ndarray) -> None:
    """+DI, -DI and ADX into ``res[0:3]``; Wilder (``code`` 3) is TA-Lib's own recursion.

    A bar with a NaN input is skipped (the previous values are repeated).
    """
    if np.isnan(hi) or np.isnan(lo) or np.isnan(cl):
        if st[o] == 0:
            res[0] = res[1] = res[2] = np.nan
        else:
            res[0] = st[o + 9]
            res[1] = st[o + 10]
            res[2] = st[o + 11]
        return
    t = int(st[o])
    st[o] = t + 1
    res[0] = res[1] = res[2] = np.nan
    if t == 0:
        st[o + 1] = hi
        st[o + 2] = lo
        st[o + 3] = cl
        st[o + 9] = st[o + 10] = st[o + 11] = np.nan
        return
    dp = hi - st[o + 1]
    dm = st[o + 2] - lo
    pdm = 0.0
    mdm = 0.0
    if dm > 0.0 and dp < dm:
        mdm = dm
    elif dp > 0.0 and dp > dm:
        pdm = dp
    pc = st[o + 3]
    tr = max(hi - lo, abs(hi - pc), abs(lo - pc))
    st[o + 1] = hi
    st[o + 2] = lo
    st[o + 3] = cl
    if code == WILDER:
        if t < n:
            st[o + 4] += pdm
            st[o + 5] += mdm
            st[o + 6] += tr
            return
        sp = st[o + 4] - st[o + 4] / n + pdm
        sm = st[o + 5] - st[o + 5] / n + mdm
        st_tr = st[o + 6] - st[o + 6] / n + tr
        st[o + 4] = sp
        st[o + 5] = sm
        st[o + 6] = st_tr
        zero_tr = st_tr == 0.0
        pdi = 0.0 if zero_tr else 100.0 * (sp / st_tr)
        mdi = 0.0 if zero_tr else 100.0 * (sm / st_tr)
        dx = np.nan
        if not zero_tr:
            s = mdi + pdi
            if s != 0.0:
                dx = 100.0 * (abs(mdi - pdi) / s)
        adx = np.nan
        if t < 2 * n:
            if not np.isnan(dx):
                st[o + 7] += dx
            if t == 2 * n - 1:
                adx = st[o + 7] / n
                st[o + 8] = adx
        else:
            adx = st[o + 8]
            if not np.isnan(dx):
                adx = (adx * (n - 1) + dx) / n
                st[o + 8] = adx
    else:
        size = ma_size_nb(code, n)
        b = o + 12
        ap = _ma(st, b, code, n, 0.0, 2.0, pdm)
        am = _ma(st, b + size, code, n, 0.0, 2.0, mdm)
        at = _ma(st, b + 2 * size, code, n, 0.0, 2.0, tr)
        pdi = 100.0 * ap / at if at != 0.0 else (0.0 if not np.isnan(at) else np.nan)
        mdi = 100.0 * am / at if at != 0.0 else (0.0 if not np.isnan(at) else np.nan)
        s = pdi + mdi
        dx = 100.0 * abs(pdi - mdi) / s if s != 0.0 else (0.0 if not np.isnan(s) else np.nan)
        adx = _ma(st, b + 3 * size, code, n, 0.0, 2.0, dx)
    res[0] = pdi
    res[1] = mdi
    res[2] = adx
    st[o + 9] = pdi
    st[o + 10] = mdi
    st[o + 11] = adx


# --- SniperProX -----------------------------------------------------------------------------
# p: length, ma_code, phase, power, obos, trail, dmi_len, dmi_code, adx_thresh, vol_avg_len,
#    vol_per_thresh, data_sample, pcnt_above, pcnt_below
S_SCAL = 16


@njit(cache=True, error_model="numpy")
def sniper_layout_nb(p: np.ndarray) -> np.ndarray:
    """Offsets of the sub-machines in a SniperProX state (the last entry is the total size)."""
    length = int(p[0])
    code = int(p[1])
    lay = np.zeros(17, dtype=np.int64)
    o = S_SCAL
    for k, w in enumerate((5, 5, 8, 8, 17, 17)):
        lay[1 + k] = o
        o += ext_size(w)
    for k, w in enumerate((3, 5, 5)):
        lay[7 + k] = o
        o += ma_size_nb(code, w)
    for k in range(3):
        lay[10 + k] = o
        o += ma_size_nb(code, length)
    lay[13] = o
    o += dmi_size_nb(int(p[6]), int(p[7]))
    lay[14] = o
    o += sma_size(int(p[9]))
    lay[15] = o
    o += pctl_size(int(p[11]))
    lay[16] = o
    return lay


@njit(cache=True, error_model="numpy")
def sniper_init_nb(p: np.ndarray, lay: np.ndarray, st: np.ndarray) -> None:
    """Fresh SniperProX state."""
    st[:] = 0.0
    for k in range(6):
        ext_init_nb(st, lay[1 + k])
    code = int(p[1])
    for k, w in enumerate((3, 5, 5)):
        _ma_init(st, lay[7 + k], code, w)
    for k in range(3):
        _ma_init(st, lay[10 + k], code, int(p[0]))
    dmi_init_nb(st, lay[13], int(p[6]), int(p[7]))
    # scalars: 0 f3, 1 f3[-1], 2 f3[-2], 3 k1v[-1], 4 k2v[-1], 5 sc, 6 bars, 7 vol avg[-1]
    st[3] = np.nan
    st[4] = np.nan
    st[7] = np.nan


@njit(cache=True, error_model="numpy")
def _stoch(st: np.ndarray, o_hi: int, o_lo: int, w: int, hi: float, lo: float, cl: float) -> float:
    hh = ext_step_nb(st, o_hi, w, hi, 1.0)
    ll = ext_step_nb(st, o_lo, w, lo, -1.0)
    if st[o_hi] < w or np.isnan(hh) or np.isnan(ll) or np.isnan(cl):
        return np.nan
    rng = hh - ll
    return 50.0 if rng == 0.0 else 100.0 * (cl - ll) / rng


@njit(cache=True, error_model="numpy")
def _centre(k: float) -> float:
    return (min(max(k, 0.0), 100.0) - 50.0) / 50.01


@njit(cache=True, error_model="numpy", inline="always")
def _sniper_tail(
    p: np.ndarray,
    lay: np.ndarray,
    st: np.ndarray,
    k1v: float,
    k2v: float,
    k3v: float,
    pdi: float,
    mdi: float,
    adx: float,
    vs: float,
    fo: np.ndarray,
    bo: np.ndarray,
) -> int:
    """Fisher transform, state counter, zones and flags of one bar (shared by batch and live)."""
    # Fisher transform of k3v, 0 until defined, a non-finite step keeps the previous value
    f1 = st[0]
    f2 = st[1]
    f3 = f1
    if not np.isnan(k3v):
        step = 0.5 * math.log((1.0 + k3v) / (1.0 - k3v)) + 0.5 * f1
        if np.isfinite(step):
            f3 = step
    bars = st[6]
    st[2] = f2
    st[1] = f1
    st[0] = f3
    st[6] = bars + 1
    # state counter
    sc = st[5]
    k1p = st[3]
    k2p = st[4]
    if np.isnan(k1v) or np.isnan(k2v):
        pass  # no crossing can be judged: the count holds
    elif k2v > 0.0:
        under = k1v < k2v and k1p >= k2p > 0.0
        sc = min(sc, 0.0) - 1.0 if under else min(sc, 0.0)
    else:
        over = k1v > k2v and k1p <= k2p <= 0.0
        sc = max(sc, 0.0) + 1.0 if over else max(sc, 0.0)
    st[5] = sc
    st[3] = k1v
    st[4] = k2v
    strong_down = adx > p[8] and mdi > pdi
    strong_up = adx > p[8] and pdi > mdi
    volume_ok = vs >= p[10]
    # turning points of f3 (three values needed)
    up_turn = False
    down_turn = False
    if bars >= 2:
        s_now = _sign(f3 - f1)
        s_prev = _sign(f1 - f2)
        up_turn = s_now > s_prev
        down_turn = s_now < s_prev
    obos = p[4]
    minor_buy = up_turn and f3 < -obos
    major_buy = minor_buy and sc >= 2.0 and not strong_down and volume_ok
    minor_sell = down_turn and f3 > obos
    major_sell = minor_sell and sc <= -2.0 and not strong_up and volume_ok
    upper, lower = pctl_step_nb(st, lay[15], int(p[11]), f3, p[12], 100.0 - p[13])
    fo[0] = f3
    fo[1] = sc
    fo[10] = upper
    fo[11] = lower
    bo[0] = minor_buy
    bo[1] = major_buy
    bo[2] = minor_sell
    bo[3] = major_sell
    bo[4] = up_turn and f3 > p[5]
    bo[5] = down_turn and f3 < -p[5]
    bo[6] = bars >= 2 and f3 >= lower and f1 < lower and f3 - f2 > 0.01
    bo[7] = bars >= 2 and f3 <= upper and f1 > upper and f2 - f3 > 0.01
    return 1 if major_buy else (-1 if major_sell else 0)


@njit(cache=True, error_model="numpy")
def sniper_step_nb(
    p: np.ndarray,
    lay: np.ndarray,
    st: np.ndarray,
    hi: float,
    lo: float,
    cl: float,
    vol: float,
    fo: np.ndarray,
    bo: np.ndarray,
) -> int:
    """One bar of SniperProX: floats into ``fo``, booleans into ``bo``; returns the signal."""
    length = int(p[0])
    code = int(p[1])
    phase = p[2]
    power = p[3]
    k5 = _stoch(st, lay[1], lay[2], 5, hi, lo, cl)
    k8 = _stoch(st, lay[3], lay[4], 8, hi, lo, cl)
    k17 = _stoch(st, lay[5], lay[6], 17, hi, lo, cl)
    # windows as int64, not literals: a literal argument makes numba compile another copy of
    # the whole MA machine for that value (minutes of cold-start compilation)
    w3 = np.int64(3)
    w5 = np.int64(5)
    k1v = _centre(_ma(st, lay[7], code, w3, phase, power, k5))
    k2v = _centre(_ma(st, lay[8], code, w5, phase, power, k8))
    k3v = _centre(_ma(st, lay[9], code, w5, phase, power, k17))
    m1 = _ma(st, lay[10], code, length, phase, power, cl)
    m2 = _ma(st, lay[11], code, length, phase, power, m1)
    m3 = _ma(st, lay[12], code, length, phase, power, m2)
    dmi = fo[6:9]
    dmi_step_nb(st, lay[13], int(p[6]), int(p[7]), hi, lo, cl, dmi)
    avg_prev = st[7]
    st[7] = sma_step_nb(st, lay[14], int(p[9]), vol)
    vs = 100.0 * vol / avg_prev if avg_prev > 0.0 else np.nan
    fo[2] = k1v
    fo[3] = k2v
    fo[4] = k3v
    fo[5] = 3.0 * m1 - 3.0 * m2 + m3
    fo[9] = vs
    return _sniper_tail(p, lay, st, k1v, k2v, k3v, fo[6], fo[7], fo[8], vs, fo, bo)


@njit(cache=True, error_model="numpy")
def stoch_nb(hi: np.ndarray, lo: np.ndarray, cl: np.ndarray, w: int, out: np.ndarray) -> np.ndarray:
    """%K over ``w`` bars from O(n) rolling extremes; 50 where the range is zero."""
    hh = rolling_extreme_nb(hi, w, True, np.empty_like(hi))
    ll = rolling_extreme_nb(lo, w, False, out)
    for i in range(cl.shape[0]):
        rng = hh[i] - ll[i]
        if np.isnan(rng) or np.isnan(cl[i]):
            out[i] = np.nan
        else:
            out[i] = 50.0 if rng == 0.0 else 100.0 * (cl[i] - ll[i]) / rng
    return out


@njit(cache=True, error_model="numpy")
def _ma_arr(code: int, x: np.ndarray, n: int, phase: float, power: float) -> np.ndarray:
    return ma_1d_nb(code, x, n, phase, power, x, x, x, np.empty_like(x))


@njit(cache=True, error_model="numpy")
def sniper_nb(
    p: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
    cl: np.ndarray,
    vol: np.ndarray,
    fo: np.ndarray,
    bo: np.ndarray,
    sig: np.ndarray,
) -> None:
    """Batch SniperProX: ``fo`` (12, n) floats, ``bo`` (8, n) booleans, ``sig`` (n,) int8.

    The windowed and averaged inputs are whole-array passes (van Herk extremes, the MA
    dispatcher); the state machine part runs the same tail as :func:`sniper_step_nb`.
    """
    n = cl.shape[0]
    length = int(p[0])
    code = int(p[1])
    phase = p[2]
    power = p[3]
    tmp = np.empty(n)
    for row, w, mw in ((2, 5, 3), (3, 8, 5), (4, 17, 5)):
        k = _ma_arr(code, stoch_nb(hi, lo, cl, w, tmp), mw, phase, power)
        for i in range(n):
            fo[row, i] = _centre(k[i])
    m1 = _ma_arr(code, cl, length, phase, power)
    m2 = _ma_arr(code, m1, length, phase, power)
    m3 = _ma_arr(code, m2, length, phase, power)
    for i in range(n):
        fo[5, i] = 3.0 * m1[i] - 3.0 * m2[i] + m3[i]
    dmi_nb(hi, lo, cl, int(p[6]), int(p[7]), fo[6], fo[7], fo[8])
    avg = sma_nb(vol, int(p[9]), tmp)
    fo[9, 0] = np.nan
    for i in range(1, n):
        a = avg[i - 1]
        fo[9, i] = 100.0 * vol[i] / a if a > 0.0 else np.nan
    lay = sniper_layout_nb(p)
    st = np.empty(lay[16])
    sniper_init_nb(p, lay, st)
    frow = np.empty(fo.shape[0])
    brow = np.empty(bo.shape[0], dtype=np.bool_)
    for i in range(n):
        sig[i] = _sniper_tail(
            p, lay, st, fo[2, i], fo[3, i], fo[4, i], fo[6, i], fo[7, i], fo[8, i], fo[9, i], frow, brow
        )
        fo[0, i] = frow[0]
        fo[1, i] = frow[1]
        fo[10, i] = frow[10]
        fo[11, i] = frow[11]
        for k in range(brow.shape[0]):
            bo[k, i] = brow[k]


@njit(cache=True, error_model="numpy")
def _wilder_dmi_nb(
    hi: np.ndarray, lo: np.ndarray, cl: np.ndarray, n: int, pdi: np.ndarray, mdi: np.ndarray, adx: np.ndarray
) -> None:
    """TA-Lib's +DI/-DI/ADX with local state: the same arithmetic as :func:`dmi_step_nb`."""
    size = cl.shape[0]
    sp = 0.0
    sm = 0.0
    str_ = 0.0
    sdx = 0.0
    a = np.nan
    for i in range(size):
        pdi[i] = np.nan
        mdi[i] = np.nan
        adx[i] = np.nan
        if i == 0:
            continue
        dp = hi[i] - hi[i - 1]
        dm = lo[i - 1] - lo[i]
        pdm = 0.0
        mdm = 0.0
        if dm > 0.0 and dp < dm:
            mdm = dm
        elif dp > 0.0 and dp > dm:
            pdm = dp
        pc = cl[i - 1]
        tr = max(hi[i] - lo[i], abs(hi[i] - pc), abs(lo[i] - pc))
        if i < n:
            sp += pdm
            sm += mdm
            str_ += tr
            continue
        sp = sp - sp / n + pdm
        sm = sm - sm / n + mdm
        str_ = str_ - str_ / n + tr
        zero_tr = str_ == 0.0
        p = 0.0 if zero_tr else 100.0 * (sp / str_)
        m = 0.0 if zero_tr else 100.0 * (sm / str_)
        pdi[i] = p
        mdi[i] = m
        dx = np.nan
        if not zero_tr and p + m != 0.0:
            dx = 100.0 * (abs(m - p) / (m + p))
        if i < 2 * n:
            if not np.isnan(dx):
                sdx += dx
            if i == 2 * n - 1:
                a = sdx / n
                adx[i] = a
        else:
            if not np.isnan(dx):
                a = (a * (n - 1) + dx) / n
            adx[i] = a


@njit(cache=True, error_model="numpy", inline="always")
def _has_nan(x: np.ndarray) -> bool:
    """Any NaN at all: a leading one (first_valid > 0) or a gap after it."""
    return first_valid_nb(x) > 0 or has_gap_nb(x)


@njit(cache=True, error_model="numpy")
def dmi_nb(
    hi: np.ndarray, lo: np.ndarray, cl: np.ndarray, n: int, code: int, pdi: np.ndarray, mdi: np.ndarray, adx: np.ndarray
) -> None:
    """+DI, -DI, ADX over whole arrays (Wilder on clean data: a one-pass kernel; else the machine)."""
    if code == WILDER and not (_has_nan(hi) or _has_nan(lo) or _has_nan(cl)):
        _wilder_dmi_nb(hi, lo, cl, n, pdi, mdi, adx)
        return
    st = np.empty(dmi_size_nb(n, code))
    dmi_init_nb(st, 0, n, code)
    res = np.empty(3)
    for i in range(cl.shape[0]):
        dmi_step_nb(st, 0, n, code, hi[i], lo[i], cl[i], res)
        pdi[i] = res[0]
        mdi[i] = res[1]
        adx[i] = res[2]


# --- VZOProX --------------------------------------------------------------------------------
# p: vzo_length, ma_code, phase, power, noise_length, data_sample, pcnt_above, pcnt_below,
#    minor_sell_val, minor_buy_val, minor_major_range, zero_cross_filter_range
V_SCAL = 8


@njit(cache=True, error_model="numpy")
def vzo_layout_nb(p: np.ndarray) -> np.ndarray:
    """Offsets of the sub-machines in a VZOProX state (the last entry is the total size)."""
    code = int(p[1])
    lay = np.zeros(5, dtype=np.int64)
    o = V_SCAL
    lay[0] = o
    o += ma_size_nb(code, int(p[0]))
    lay[1] = o
    o += ma_size_nb(code, int(p[0]))
    lay[2] = o
    o += ma_size_nb(code, int(p[4]))
    lay[3] = o
    o += pctl_size(int(p[5]))
    lay[4] = o
    return lay


@njit(cache=True, error_model="numpy")
def vzo_init_nb(p: np.ndarray, lay: np.ndarray, st: np.ndarray) -> None:
    """Fresh VZOProX state."""
    st[:] = 0.0
    code = int(p[1])
    _ma_init(st, lay[0], code, int(p[0]))
    _ma_init(st, lay[1], code, int(p[0]))
    _ma_init(st, lay[2], code, int(p[4]))
    # scalars: 0 close[-1], 1 vzo[-1], 2 vzo[-2], 3 defined vzo values, 4 bars
    st[0] = np.nan
    st[1] = np.nan
    st[2] = np.nan


@njit(cache=True, error_model="numpy", inline="always")
def _vzo_tail(
    p: np.ndarray, lay: np.ndarray, st: np.ndarray, vzo: float, sm: float, fo: np.ndarray, bo: np.ndarray
) -> int:
    """Turning points, zones and flags of one bar (shared by batch and live)."""
    v1 = st[1]
    v2 = st[2]
    st[2] = v1
    st[1] = vzo
    up_turn = False
    down_turn = False
    if not (np.isnan(vzo) or np.isnan(v1) or np.isnan(v2)):
        s_now = _sign(vzo - v1)
        s_prev = _sign(v1 - v2)
        up_turn = s_now > s_prev
        down_turn = s_now < s_prev
    sell_val = p[8]
    buy_val = p[9]
    rng = p[10]
    filt = p[11]
    upper, lower = pctl_step_nb(st, lay[3], int(p[5]), vzo, p[6], 100.0 - p[7])
    fo[0] = vzo
    fo[1] = sm
    fo[2] = upper
    fo[3] = lower
    bo[0] = up_turn and vzo < buy_val
    bo[1] = up_turn and vzo < buy_val - rng
    bo[2] = down_turn and vzo > sell_val
    bo[3] = down_turn and vzo > sell_val + rng
    bo[4] = vzo >= 0.0 and v1 < 0.0 and sm - v2 > filt
    bo[5] = vzo <= 0.0 and v1 > 0.0 and v2 - sm > filt
    bo[6] = vzo >= lower and v1 < lower and sm - v2 > filt
    bo[7] = vzo <= upper and v1 > upper and v2 - sm > filt
    bo[8] = up_turn and vzo < lower
    bo[9] = down_turn and vzo > upper
    return 1 if bo[1] else (-1 if bo[3] else 0)


@njit(cache=True, error_model="numpy", inline="always")
def _sv(st: np.ndarray, cl: float, vol: float) -> float:
    """Signed volume: the sign of the change from the previous non-NaN close times volume."""
    sv = 0.0 if st[4] == 0 else _sign(cl - st[0]) * vol
    if np.isnan(cl):
        sv = np.nan
    else:
        st[0] = cl
    st[4] += 1
    return sv


@njit(cache=True, error_model="numpy", inline="always")
def _vzo_value(a_sv: float, a_v: float) -> float:
    if np.isnan(a_sv) or np.isnan(a_v):
        return np.nan
    return 100.0 * a_sv / a_v if a_v != 0.0 else 0.0


@njit(cache=True, error_model="numpy")
def vzo_step_nb(
    p: np.ndarray, lay: np.ndarray, st: np.ndarray, cl: float, vol: float, fo: np.ndarray, bo: np.ndarray
) -> int:
    """One bar of VZOProX: floats into ``fo``, booleans into ``bo``; returns the signal."""
    code = int(p[1])
    n = int(p[0])
    sv = _sv(st, cl, vol)
    a_sv = _ma(st, lay[0], code, n, p[2], p[3], sv)
    a_v = _ma(st, lay[1], code, n, p[2], p[3], vol)
    vzo = _vzo_value(a_sv, a_v)
    sm = _ma(st, lay[2], code, int(p[4]), p[2], p[3], vzo)
    return _vzo_tail(p, lay, st, vzo, sm, fo, bo)


@njit(cache=True, error_model="numpy")
def vzo_nb(p: np.ndarray, cl: np.ndarray, vol: np.ndarray, fo: np.ndarray, bo: np.ndarray, sig: np.ndarray) -> None:
    """Batch VZOProX: ``fo`` (4, n) floats, ``bo`` (10, n) booleans, ``sig`` (n,) int8.

    The averages are whole-array passes; the rest runs the same tail as :func:`vzo_step_nb`.
    """
    n = cl.shape[0]
    code = int(p[1])
    lay = vzo_layout_nb(p)
    st = np.empty(lay[4])
    vzo_init_nb(p, lay, st)
    sv = np.empty(n)
    for i in range(n):
        sv[i] = _sv(st, cl[i], vol[i])
    a_sv = _ma_arr(code, sv, int(p[0]), p[2], p[3])
    a_v = _ma_arr(code, vol, int(p[0]), p[2], p[3])
    vz = sv
    for i in range(n):
        vz[i] = _vzo_value(a_sv[i], a_v[i])
    sm = _ma_arr(code, vz, int(p[4]), p[2], p[3])
    frow = np.empty(fo.shape[0])
    brow = np.empty(bo.shape[0], dtype=np.bool_)
    for i in range(n):
        sig[i] = _vzo_tail(p, lay, st, vz[i], sm[i], frow, brow)
        for k in range(frow.shape[0]):
            fo[k, i] = frow[k]
        for k in range(brow.shape[0]):
            bo[k, i] = brow[k]
