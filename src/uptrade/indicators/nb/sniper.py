"""SniperProX as a state machine: one call per bar; batch runs the same per-bar functions over arrays.

The state is one float64 array: a block of scalars (``st[S_...]``) then sub-machines (deques
for the stochastic ranges, MA machines, the DMI, a volume SMA, a sorted window for the
percentile zones) at offsets ``lay[L_...]`` computed once by :func:`sniper_layout_nb`. A bar
writes its float outputs into ``fo[F_...]`` and its booleans into ``bo[B_...]`` and returns the
int signal. The Fisher step, the state counter and the flags are pure functions of scalars
(:func:`_fisher`, :func:`_count`, :func:`_sniper_core`) that the live step and the batch loops
both call, so the live and batch values are the same arithmetic. Parameters are ``p[P_...]``;
:data:`PARAMS`, :data:`FLOATS` and :data:`BOOLS` are those constants' names in index order.
Definitions: ``shared/spec/INDICATORS.md`` section 2 and ``docs/indicators.md``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from uptrade.indicators.nb.dmi import dmi_init_nb, dmi_nb, dmi_size_nb, dmi_step_nb
from uptrade.indicators.nb.jma3 import jma_chain3_nb, jma_parallel3_nb
from uptrade.indicators.nb.ma_batch import has_gap_nb
from uptrade.indicators.nb.ma_step import ma_size_nb
from uptrade.indicators.nb.machines import (
    ext_init_nb,
    ext_size,
    ext_step_nb,
    pctl_size,
    pctl_step_nb,
    sma_size,
    sma_step_nb,
)
from uptrade.indicators.nb.osc_common import layout_names, ma_next_nb, ma_series_nb, ma_start_nb, sign_nb
from uptrade.indicators.nb.pctl import rolling_pctl2_nb
from uptrade.indicators.nb.rolling import first_valid_nb, rolling_extreme_nb, sma_nb

# Parameters p[P_...] (the names are the wrapper's keyword arguments; MA types as codes)
P_LENGTH = 0  # window of the three MAs of tavg
P_MA_TYPE = 1  # MA code of the %K smoothing and of tavg
P_PHASE = 2  # JMA phase
P_POWER = 3  # JMA power
P_OVERBOUGHT_OVERSOLD = 4  # |f3| beyond which a turn is a minor signal
P_TRAIL_THRESHOLD = 5  # |f3| beyond which a turn is a trail signal
P_DMI_LEN = 6  # DMI window
P_DMI_MA_TYPE = 7  # DMI smoothing code (3, RMA: Wilder's)
P_ADX_THRESH = 8  # ADX above which a trend is strong
P_VOL_AVG_LEN = 9  # window of the volume average
P_VOL_PER_THRESH = 10  # volume strength (% of the average) a major signal needs
P_DATA_SAMPLE = 11  # window of the percentile zones
P_PCNT_ABOVE = 12  # upper zone percentile
P_PCNT_BELOW = 13  # the lower zone is the (100 - pcnt_below) percentile
PARAMS = layout_names(globals(), "P_")
JMA_CODE = 8  # the default MA type, Jurik's: its stages run three at a time (nb/jma3.py)

# Float outputs fo[F_...]
F_F3 = 0
F_SC = 1
F_K1V = 2
F_K2V = 3
F_K3V = 4
F_TAVG = 5
F_PLUS_DI = 6  # +DI, -DI, ADX: consecutive (dmi_step_nb writes the three)
F_MINUS_DI = 7
F_ADX = 8
F_VOL_STRENGTH = 9
F_UPPER = 10
F_LOWER = 11
FLOATS = layout_names(globals(), "F_")

# Boolean outputs bo[B_...]
B_MINOR_BUY = 0
B_MAJOR_BUY = 1
B_MINOR_SELL = 2
B_MAJOR_SELL = 3
B_BUY_TRAIL = 4
B_SELL_TRAIL = 5
B_ADAPTIVE_CROSS_UP = 6
B_ADAPTIVE_CROSS_DOWN = 7
BOOLS = layout_names(globals(), "B_")
if (F_MINUS_DI, F_ADX) != (F_PLUS_DI + 1, F_PLUS_DI + 2):
    raise ValueError("F_PLUS_DI, F_MINUS_DI, F_ADX must be consecutive rows")

# Scalar state st[S_...]
S_F3 = 0  # f3 of the last bar
S_F3_1 = 1  # f3 one bar before it
S_F3_2 = 2  # f3 two bars before it
S_K1V = 3  # k1v of the last bar
S_K2V = 4  # k2v of the last bar
S_SC = 5  # the state counter
S_BARS = 6  # bars seen
S_VOL_AVG = 7  # volume average up to the last bar
S_SCALARS = 16  # size of the scalar block: the sub-machines follow

# Sub-machine offsets lay[L_...] (sniper_layout_nb; lay[0] is unused)
L_HI5 = 1  # highest high / lowest low deques of the 5, 8 and 17-bar stochastics
L_LO5 = 2
L_HI8 = 3
L_LO8 = 4
L_HI17 = 5
L_LO17 = 6
L_K1 = 7  # MA machines smoothing %K5 (3 bars), %K8 (5) and %K17 (5)
L_K2 = 8
L_K3 = 9
L_T1 = 10  # the three chained MAs of tavg
L_T2 = 11
L_T3 = 12
L_DMI = 13
L_VOL = 14  # volume SMA
L_PCTL = 15  # sorted window of f3 for the zones
L_SIZE = 16  # total state size


@njit(cache=True, error_model="numpy")
def sniper_layout_nb(p: np.ndarray) -> np.ndarray:
    """Offsets of the sub-machines in a SniperProX state (``lay[L_SIZE]`` is the total size)."""
    length = int(p[P_LENGTH])
    code = int(p[P_MA_TYPE])
    lay = np.zeros(L_SIZE + 1, dtype=np.int64)
    o = S_SCALARS
    for slot, w in ((L_HI5, 5), (L_LO5, 5), (L_HI8, 8), (L_LO8, 8), (L_HI17, 17), (L_LO17, 17)):
        lay[slot] = o
        o += ext_size(w)
    for slot, w in ((L_K1, 3), (L_K2, 5), (L_K3, 5)):
        lay[slot] = o
        o += ma_size_nb(code, w)
    for slot in (L_T1, L_T2, L_T3):
        lay[slot] = o
        o += ma_size_nb(code, length)
    lay[L_DMI] = o
    o += dmi_size_nb(int(p[P_DMI_LEN]), int(p[P_DMI_MA_TYPE]))
    lay[L_VOL] = o
    o += sma_size(int(p[P_VOL_AVG_LEN]))
    lay[L_PCTL] = o
    o += pctl_size(int(p[P_DATA_SAMPLE]))
    lay[L_SIZE] = o
    return lay


@njit(cache=True, error_model="numpy")
def sniper_init_nb(p: np.ndarray, lay: np.ndarray, st: np.ndarray) -> None:
    """Fresh SniperProX state."""
    st[:] = 0.0
    for slot in (L_HI5, L_LO5, L_HI8, L_LO8, L_HI17, L_LO17):
        ext_init_nb(st, lay[slot])
    code = int(p[P_MA_TYPE])
    for slot, w in ((L_K1, 3), (L_K2, 5), (L_K3, 5)):
        ma_start_nb(st, lay[slot], code, w)
    for slot in (L_T1, L_T2, L_T3):
        ma_start_nb(st, lay[slot], code, int(p[P_LENGTH]))
    dmi_init_nb(st, lay[L_DMI], int(p[P_DMI_LEN]), int(p[P_DMI_MA_TYPE]))
    st[S_K1V] = np.nan
    st[S_K2V] = np.nan
    st[S_VOL_AVG] = np.nan


@njit(cache=True, error_model="numpy")
def _stoch(st: np.ndarray, o_hi: int, o_lo: int, w: int, hi: float, lo: float, cl: float) -> float:
    """%K over ``w`` bars from the two extreme deques at ``o_hi`` and ``o_lo``."""
    hh = ext_step_nb(st, o_hi, w, hi, 1.0)
    ll = ext_step_nb(st, o_lo, w, lo, -1.0)
    if st[o_hi] < w or np.isnan(hh) or np.isnan(ll) or np.isnan(cl):
        return np.nan
    rng = hh - ll
    return 50.0 if rng == 0.0 else 100.0 * (cl - ll) / rng


@njit(cache=True, error_model="numpy")
def _centre(k: float) -> float:
    """A smoothed %K clipped to [0, 100] and mapped into (-1, 1) for the Fisher transform."""
    return (min(max(k, 0.0), 100.0) - 50.0) / 50.01


@njit(cache=True, error_model="numpy", inline="always")
def _fisher(k3v: float, f1: float) -> float:
    """Fisher step of k3v on the last f3 ``f1``; a NaN k3v or a non-finite step keeps ``f1``."""
    step = 0.5 * math.log((1.0 + k3v) / (1.0 - k3v)) + 0.5 * f1
    return step if np.isfinite(step) else f1


@njit(cache=True, error_model="numpy", inline="always")
def _count(sc: float, k1v: float, k2v: float, k1p: float, k2p: float) -> float:
    """State counter after a bar (k1p, k2p: the bar before); it holds while k1v or k2v is NaN."""
    under = (k1v < k2v) & (k1p >= k2p) & (k2p > 0.0)
    over = (k1v > k2v) & (k1p <= k2p) & (k2p <= 0.0)
    down = min(sc, 0.0) - (1.0 if under else 0.0)
    up = max(sc, 0.0) + (1.0 if over else 0.0)
    moved = down if k2v > 0.0 else up
    return sc if np.isnan(k1v) | np.isnan(k2v) else moved


@njit(cache=True, error_model="numpy", inline="always")
def _sniper_core(
    p: np.ndarray,
    turns: bool,
    f3: float,
    f1: float,
    f2: float,
    sc: float,
    pdi: float,
    mdi: float,
    adx: float,
    vs: float,
) -> tuple[bool, bool, bool, bool, bool, bool, int]:
    """The flags of one bar that need no zone, and its signal (batch and live).

    ``turns``: three f3 values exist (f3 now, f1 and f2 the two bars before). Written with
    ``&`` and selects, no branch: the flags are unpredictable, the arithmetic is a few cycles.
    """
    adx_ok = adx > p[P_ADX_THRESH]
    strong_down = adx_ok & (mdi > pdi)
    strong_up = adx_ok & (pdi > mdi)
    volume_ok = vs >= p[P_VOL_PER_THRESH]
    s_now = sign_nb(f3 - f1)
    s_prev = sign_nb(f1 - f2)
    up_turn = turns & (s_now > s_prev)
    down_turn = turns & (s_now < s_prev)
    obos = p[P_OVERBOUGHT_OVERSOLD]
    trail = p[P_TRAIL_THRESHOLD]
    minor_buy = up_turn & (f3 < -obos)
    major_buy = minor_buy & (sc >= 2.0) & (not strong_down) & volume_ok
    minor_sell = down_turn & (f3 > obos)
    major_sell = minor_sell & (sc <= -2.0) & (not strong_up) & volume_ok
    buy_trail = up_turn & (f3 > trail)
    sell_trail = down_turn & (f3 < -trail)
    return minor_buy, major_buy, minor_sell, major_sell, buy_trail, sell_trail, int(major_buy) - int(major_sell)


@njit(cache=True, error_model="numpy", inline="always")
def _flag_row(
    p: np.ndarray,
    turns: bool,
    f3: float,
    f1: float,
    f2: float,
    sc: float,
    pdi: float,
    mdi: float,
    adx: float,
    vs: float,
    bo: np.ndarray,
    sig: np.ndarray,
    i: int,
) -> None:
    """:func:`_sniper_core` of bar ``i`` into column ``i`` of the batch outputs."""
    flags = _sniper_core(p, turns, f3, f1, f2, sc, pdi, mdi, adx, vs)
    bo[B_MINOR_BUY, i], bo[B_MAJOR_BUY, i], bo[B_MINOR_SELL, i] = flags[0], flags[1], flags[2]
    bo[B_MAJOR_SELL, i], bo[B_BUY_TRAIL, i], bo[B_SELL_TRAIL, i] = flags[3], flags[4], flags[5]
    sig[i] = flags[6]


@njit(cache=True, error_model="numpy", inline="always")
def _sniper_live(
    p: np.ndarray, st: np.ndarray, k1v: float, k2v: float, k3v: float, fo: np.ndarray, bo: np.ndarray
) -> int:
    """The per-bar core on the live state: f3, the counter and the flags into ``fo``/``bo``."""
    f1 = st[S_F3]
    f2 = st[S_F3_1]
    f3 = _fisher(k3v, f1)
    bars = st[S_BARS]
    sc = _count(st[S_SC], k1v, k2v, st[S_K1V], st[S_K2V])
    st[S_F3_2] = f2
    st[S_F3_1] = f1
    st[S_F3] = f3
    st[S_BARS] = bars + 1
    st[S_SC] = sc
    st[S_K1V] = k1v
    st[S_K2V] = k2v
    flags = _sniper_core(p, bars >= 2, f3, f1, f2, sc, fo[F_PLUS_DI], fo[F_MINUS_DI], fo[F_ADX], fo[F_VOL_STRENGTH])
    fo[F_F3] = f3
    fo[F_SC] = sc
    bo[B_MINOR_BUY], bo[B_MAJOR_BUY], bo[B_MINOR_SELL], bo[B_MAJOR_SELL] = flags[0], flags[1], flags[2], flags[3]
    bo[B_BUY_TRAIL], bo[B_SELL_TRAIL] = flags[4], flags[5]
    return flags[6]


@njit(cache=True, error_model="numpy", inline="always")
def _zone_crosses(bars: float, f3: float, f1: float, f2: float, upper: float, lower: float) -> tuple[bool, bool]:
    """Adaptive crosses of f3 (f1, f2: the two bars before) with the current bar's zones."""
    up = bars >= 2 and f3 >= lower and f1 < lower and f3 - f2 > 0.01
    down = bars >= 2 and f3 <= upper and f1 > upper and f2 - f3 > 0.01
    return up, down


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
    length = int(p[P_LENGTH])
    code = int(p[P_MA_TYPE])
    phase = p[P_PHASE]
    power = p[P_POWER]
    k5 = _stoch(st, lay[L_HI5], lay[L_LO5], 5, hi, lo, cl)
    k8 = _stoch(st, lay[L_HI8], lay[L_LO8], 8, hi, lo, cl)
    k17 = _stoch(st, lay[L_HI17], lay[L_LO17], 17, hi, lo, cl)
    # windows as int64, not literals: a literal argument makes numba compile another copy of
    # the whole MA machine for that value (minutes of cold-start compilation)
    w3 = np.int64(3)
    w5 = np.int64(5)
    k1v = _centre(ma_next_nb(st, lay[L_K1], code, w3, phase, power, k5))
    k2v = _centre(ma_next_nb(st, lay[L_K2], code, w5, phase, power, k8))
    k3v = _centre(ma_next_nb(st, lay[L_K3], code, w5, phase, power, k17))
    m1 = ma_next_nb(st, lay[L_T1], code, length, phase, power, cl)
    m2 = ma_next_nb(st, lay[L_T2], code, length, phase, power, m1)
    m3 = ma_next_nb(st, lay[L_T3], code, length, phase, power, m2)
    dmi = fo[F_PLUS_DI : F_ADX + 1]
    dmi_step_nb(st, lay[L_DMI], int(p[P_DMI_LEN]), int(p[P_DMI_MA_TYPE]), hi, lo, cl, dmi)
    avg_prev = st[S_VOL_AVG]
    st[S_VOL_AVG] = sma_step_nb(st, lay[L_VOL], int(p[P_VOL_AVG_LEN]), vol)
    vs = 100.0 * vol / avg_prev if avg_prev > 0.0 else np.nan
    fo[F_K1V] = k1v
    fo[F_K2V] = k2v
    fo[F_K3V] = k3v
    fo[F_TAVG] = 3.0 * m1 - 3.0 * m2 + m3
    fo[F_VOL_STRENGTH] = vs
    sig = _sniper_live(p, st, k1v, k2v, k3v, fo, bo)
    m = int(p[P_DATA_SAMPLE])
    f3 = st[S_F3]
    upper, lower = pctl_step_nb(st, lay[L_PCTL], m, f3, p[P_PCNT_ABOVE], 100.0 - p[P_PCNT_BELOW])
    fo[F_UPPER] = upper
    fo[F_LOWER] = lower
    up, down = _zone_crosses(st[S_BARS] - 1.0, f3, st[S_F3_1], st[S_F3_2], upper, lower)
    bo[B_ADAPTIVE_CROSS_UP] = up
    bo[B_ADAPTIVE_CROSS_DOWN] = down
    return sig


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


@njit(cache=True, error_model="numpy", inline="always")
def _k_of(hh: float, ll: float, cl: float, gap: bool) -> float:
    """%K from a window's extremes (NaN where the window holds a gap), as :func:`stoch_nb`."""
    rng = hh - ll
    k = 50.0 if rng == 0.0 else 100.0 * (cl - ll) / rng
    return np.nan if gap or np.isnan(rng) or np.isnan(cl) else k


STOCH_BLOCK = 512  # bars per block of the fused stochastics (their scratch stays in L1)


@njit(cache=True, error_model="numpy", inline="always")
def _hi(a: float, b: float) -> float:
    """The larger of two values (either when they are equal or one is NaN)."""
    return a if a > b else b


@njit(cache=True, error_model="numpy", inline="always")
def _lo(a: float, b: float) -> float:
    """The smaller of two values (either when they are equal or one is NaN)."""
    return a if a < b else b


@njit(cache=True, error_model="numpy")
def stoch_5_8_17_nb(
    hi: np.ndarray, lo: np.ndarray, cl: np.ndarray, k5: np.ndarray, k8: np.ndarray, k17: np.ndarray
) -> None:
    """:func:`stoch_nb` over 5, 8 and 17 bars in one pass: the windows' extremes by doubling.

    In blocks of :data:`STOCH_BLOCK` bars: extremes of 2, 4 and 8 bars (each the pair of the
    half-width ones), then 5 = 4 + 1, 8, 17 = 8 + 8 + 1; every step is one comparison per bar
    over an array, which the compiler vectorises. A window holds a gap (NaN out) where a high
    or low inside is NaN or comes before the first finite high and low: a 0/NaN marker summed
    the same way tells. Where no NaN is inside,
    the extremes are the window's whatever the order of the comparisons, so the values are
    :func:`stoch_nb`'s (the deque and the block kernels give them too).
    """
    n = cl.shape[0]
    lim = max(first_valid_nb(hi), first_valid_nb(lo))  # bars before it are not usable
    for i in range(min(n, 16)):  # windows that reach before bar 0
        for w, out in ((5, k5), (8, k8), (17, k17)):
            if i < w - 1:
                out[i] = np.nan
                continue
            hh = hi[i]
            ll = lo[i]
            gap = i - w + 1 < lim or np.isnan(hi[i]) or np.isnan(lo[i])
            for j in range(i - w + 1, i):
                hh = hi[j] if hi[j] > hh else hh
                ll = lo[j] if lo[j] < ll else ll
                gap |= np.isnan(hi[j]) or np.isnan(lo[j])
            out[i] = _k_of(hh, ll, cl[i], gap)
    size = STOCH_BLOCK + 16
    h2 = np.empty(size)
    h4 = np.empty(size)
    h8 = np.empty(size)
    l2 = np.empty(size)
    l4 = np.empty(size)
    l8 = np.empty(size)
    z1 = np.empty(size)  # 0, or NaN where the high or the low is NaN
    z2 = np.empty(size)
    z4 = np.empty(size)
    z8 = np.empty(size)
    for b0 in range(16, n, STOCH_BLOCK):
        b1 = min(n, b0 + STOCH_BLOCK)
        m = b1 - b0 + 16  # local j is bar b0 - 16 + j
        hb = hi[b0 - 16 : b1]
        lb = lo[b0 - 16 : b1]
        for j in range(m):
            z1[j] = np.nan if (b0 - 16 + j < lim) | np.isnan(hb[j]) | np.isnan(lb[j]) else 0.0
        # one output array per loop and indices j + d with j from 0: few aliasing checks and
        # numba's negative-index wrap provably not taken, so each loop vectorises
        for j in range(m - 1):
            h2[j + 1] = _hi(hb[j + 1], hb[j])
        for j in range(m - 1):
            l2[j + 1] = _lo(lb[j + 1], lb[j])
        for j in range(m - 1):
            z2[j + 1] = z1[j + 1] + z1[j]
        for j in range(m - 3):
            h4[j + 3] = _hi(h2[j + 3], h2[j + 1])
        for j in range(m - 3):
            l4[j + 3] = _lo(l2[j + 3], l2[j + 1])
        for j in range(m - 3):
            z4[j + 3] = z2[j + 3] + z2[j + 1]
        for j in range(m - 7):
            h8[j + 7] = _hi(h4[j + 7], h4[j + 3])
        for j in range(m - 7):
            l8[j + 7] = _lo(l4[j + 7], l4[j + 3])
        for j in range(m - 7):
            z8[j + 7] = z4[j + 7] + z4[j + 3]
        c = cl[b0:b1]  # bar b0 + j is local index j + 16
        o5 = k5[b0:b1]
        o8 = k8[b0:b1]
        o17 = k17[b0:b1]
        for j in range(m - 16):
            gap = np.isnan(z4[j + 16] + z1[j + 12])
            o5[j] = _k_of(_hi(h4[j + 16], hb[j + 12]), _lo(l4[j + 16], lb[j + 12]), c[j], gap)
        for j in range(m - 16):
            o8[j] = _k_of(h8[j + 16], l8[j + 16], c[j], np.isnan(z8[j + 16]))
        for j in range(m - 16):
            hh = _hi(_hi(h8[j + 16], h8[j + 8]), hb[j])
            ll = _lo(_lo(l8[j + 16], l8[j + 8]), lb[j])
            o17[j] = _k_of(hh, ll, c[j], np.isnan(z8[j + 16] + z8[j + 8] + z1[j]))


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
    """Batch SniperProX: ``fo`` (12, n), ``bo`` (8, n), int8 ``sig``.

    Array passes (%K, MAs, DMI, volume strength), then the two recursions of the live core
    (f3 and the state counter, in local variables), then its flags in a second loop that only
    reads (no loop-carried state, no branch), then the zones of the whole f3 series
    (:func:`rolling_pctl2_nb`, the same values as the live sorted window) and the crosses.
    """
    n = cl.shape[0]
    length = int(p[P_LENGTH])
    code = int(p[P_MA_TYPE])
    phase = p[P_PHASE]
    power = p[P_POWER]
    k5 = fo[F_K1V]  # the raw %K first, smoothed in place
    k8 = fo[F_K2V]
    k17 = fo[F_K3V]
    stoch_5_8_17_nb(hi, lo, cl, k5, k8, k17)
    if code == JMA_CODE and not (has_gap_nb(k5) or has_gap_nb(k8) or has_gap_nb(k17)):
        jma_parallel3_nb(k5, k8, k17, 3, 5, 5, phase, power, k5, k8, k17)
    else:
        for row, mw in ((F_K1V, 3), (F_K2V, 5), (F_K3V, 5)):
            fo[row] = ma_series_nb(code, fo[row], mw, phase, power)
    for row in (F_K1V, F_K2V, F_K3V):
        for i in range(n):
            fo[row, i] = _centre(fo[row, i])
    m1 = fo[F_UPPER]  # the zone rows are scratch until the zones
    m2 = fo[F_LOWER]
    m3 = fo[F_TAVG]
    fast = code == JMA_CODE and not has_gap_nb(cl) and jma_chain3_nb(cl, length, phase, power, m1, m2, m3)
    if not fast:
        m1 = ma_series_nb(code, cl, length, phase, power)
        m2 = ma_series_nb(code, m1, length, phase, power)
        m3[:] = ma_series_nb(code, m2, length, phase, power)
    for i in range(n):
        m3[i] = 3.0 * m1[i] - 3.0 * m2[i] + m3[i]
    dmi_nb(hi, lo, cl, int(p[P_DMI_LEN]), int(p[P_DMI_MA_TYPE]), fo[F_PLUS_DI], fo[F_MINUS_DI], fo[F_ADX])
    avg = sma_nb(vol, int(p[P_VOL_AVG_LEN]), fo[F_UPPER])
    fo[F_VOL_STRENGTH, 0] = np.nan
    for i in range(1, n):
        a = avg[i - 1]
        fo[F_VOL_STRENGTH, i] = 100.0 * vol[i] / a if a > 0.0 else np.nan
    f3s = fo[F_F3]
    scs = fo[F_SC]
    k1s = fo[F_K1V]
    k2s = fo[F_K2V]
    k3s = fo[F_K3V]
    pdi = fo[F_PLUS_DI]
    mdi = fo[F_MINUS_DI]
    adx = fo[F_ADX]
    vst = fo[F_VOL_STRENGTH]
    # the two recursions from the live machine's initial state (sniper_init_nb), in locals
    f3 = 0.0
    sc = 0.0
    k1p = k2p = np.nan
    for i in range(n):
        k1v = k1s[i]
        k2v = k2s[i]
        f3 = _fisher(k3s[i], f3)
        sc = _count(sc, k1v, k2v, k1p, k2p)
        k1p = k1v
        k2p = k2v
        f3s[i] = f3
        scs[i] = sc
    # then the flags, which only read: no loop-carried state, the compiler may vectorise
    for i in range(min(n, 2)):  # fewer than three f3 values: no turn
        f1 = f3s[i - 1] if i == 1 else 0.0
        _flag_row(p, False, f3s[i], f1, 0.0, scs[i], pdi[i], mdi[i], adx[i], vst[i], bo, sig, i)
    for i in range(2, n):
        _flag_row(p, True, f3s[i], f3s[i - 1], f3s[i - 2], scs[i], pdi[i], mdi[i], adx[i], vst[i], bo, sig, i)
    f3 = fo[F_F3]
    upper = fo[F_UPPER]
    lower = fo[F_LOWER]
    rolling_pctl2_nb(f3, int(p[P_DATA_SAMPLE]), p[P_PCNT_ABOVE], 100.0 - p[P_PCNT_BELOW], upper, lower)
    for i in range(n):
        f1 = f3[i - 1] if i >= 1 else 0.0
        f2 = f3[i - 2] if i >= 2 else 0.0
        up, down = _zone_crosses(float(i), f3[i], f1, f2, upper[i], lower[i])
        bo[B_ADAPTIVE_CROSS_UP, i] = up
        bo[B_ADAPTIVE_CROSS_DOWN, i] = down
