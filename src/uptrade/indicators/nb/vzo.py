"""VZOProX as a state machine: one call per bar; batch runs the same per-bar functions over arrays.

The state is one float64 array: a block of scalars (``st[S_...]``) then three MA machines and
a sorted window for the percentile zones at offsets ``lay[L_...]`` computed once by
:func:`vzo_layout_nb`. A bar writes its float outputs into ``fo[F_...]`` and its booleans into
``bo[B_...]`` and returns the int signal; the signed volume, vzo and the flags are pure
functions of scalars (:func:`_sv`, :func:`_vzo_value`, :func:`_vzo_flags`) that batch calls
too. Parameters are ``p[P_...]``; :data:`PARAMS`,
:data:`FLOATS` and :data:`BOOLS` are those constants' names in index order. Definitions:
``shared/spec/INDICATORS.md`` section 3 and ``docs/indicators.md``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.indicators.nb.jma3 import jma_coefs_nb, jma_lead_nb, jma_step_nb
from uptrade.indicators.nb.ma_batch import has_gap_nb
from uptrade.indicators.nb.ma_step import ma_size_nb
from uptrade.indicators.nb.machines import pctl_size, pctl_step_nb
from uptrade.indicators.nb.osc_common import layout_names, ma_next_nb, ma_series_nb, ma_start_nb, sign_nb
from uptrade.indicators.nb.pctl import rolling_pctl2_nb
from uptrade.indicators.nb.rolling import first_valid_nb

# Parameters p[P_...] (the names are the wrapper's keyword arguments; the MA type as a code)
P_VZO_LENGTH = 0  # window of the two volume MAs
P_MA_TYPE = 1  # MA code of every average
P_PHASE = 2  # JMA phase
P_POWER = 3  # JMA power
P_NOISE_LENGTH = 4  # window of the smoothing MA (vzo_smoothed)
P_DATA_SAMPLE = 5  # window of the percentile zones
P_PCNT_ABOVE = 6  # upper zone percentile
P_PCNT_BELOW = 7  # the lower zone is the (100 - pcnt_below) percentile
P_MINOR_SELL_VAL = 8  # level above which a down turn is a minor sell
P_MINOR_BUY_VAL = 9  # level below which an up turn is a minor buy
P_MINOR_MAJOR_RANGE = 10  # distance beyond the minor levels for a major signal
P_ZERO_CROSS_FILTER_RANGE = 11  # move vzo_smoothed - vzo[-2] a zero or zone cross needs
PARAMS = layout_names(globals(), "P_")
JMA_CODE = 8  # the default MA type, Jurik's: its three stages run in one loop (vzo_jma_nb)

# Float outputs fo[F_...]
F_VZO = 0
F_VZO_SMOOTHED = 1
F_UPPER = 2
F_LOWER = 3
FLOATS = layout_names(globals(), "F_")

# Boolean outputs bo[B_...]
B_MINOR_BUY = 0
B_MAJOR_BUY = 1
B_MINOR_SELL = 2
B_MAJOR_SELL = 3
B_ZERO_CROSS_UP = 4
B_ZERO_CROSS_DOWN = 5
B_ADAPTIVE_CROSS_UP = 6
B_ADAPTIVE_CROSS_DOWN = 7
B_ADAPTIVE_BUY = 8
B_ADAPTIVE_SELL = 9
BOOLS = layout_names(globals(), "B_")

# Scalar state st[S_...] (slot 3 is unused)
S_CLOSE = 0  # the last non-NaN close
S_VZO_1 = 1  # vzo of the last bar
S_VZO_2 = 2  # vzo of the bar before it
S_BARS = 4  # bars seen
S_SCALARS = 8  # size of the scalar block: the sub-machines follow

# Sub-machine offsets lay[L_...] (vzo_layout_nb)
L_SV = 0  # MA of the signed volume
L_VOL = 1  # MA of the volume
L_SMOOTH = 2  # MA of vzo (vzo_smoothed)
L_PCTL = 3  # sorted window of vzo for the zones
L_SIZE = 4  # total state size


@njit(cache=True, error_model="numpy")
def vzo_layout_nb(p: np.ndarray) -> np.ndarray:
    """Offsets of the sub-machines in a VZOProX state (``lay[L_SIZE]`` is the total size)."""
    code = int(p[P_MA_TYPE])
    lay = np.zeros(L_SIZE + 1, dtype=np.int64)
    o = S_SCALARS
    lay[L_SV] = o
    o += ma_size_nb(code, int(p[P_VZO_LENGTH]))
    lay[L_VOL] = o
    o += ma_size_nb(code, int(p[P_VZO_LENGTH]))
    lay[L_SMOOTH] = o
    o += ma_size_nb(code, int(p[P_NOISE_LENGTH]))
    lay[L_PCTL] = o
    o += pctl_size(int(p[P_DATA_SAMPLE]))
    lay[L_SIZE] = o
    return lay


@njit(cache=True, error_model="numpy")
def vzo_init_nb(p: np.ndarray, lay: np.ndarray, st: np.ndarray) -> None:
    """Fresh VZOProX state."""
    st[:] = 0.0
    code = int(p[P_MA_TYPE])
    ma_start_nb(st, lay[L_SV], code, int(p[P_VZO_LENGTH]))
    ma_start_nb(st, lay[L_VOL], code, int(p[P_VZO_LENGTH]))
    ma_start_nb(st, lay[L_SMOOTH], code, int(p[P_NOISE_LENGTH]))
    st[S_CLOSE] = np.nan
    st[S_VZO_1] = np.nan
    st[S_VZO_2] = np.nan


@njit(cache=True, error_model="numpy", inline="always")
def _vzo_flags(
    p: np.ndarray, vzo: float, v1: float, v2: float, sm: float, upper: float, lower: float
) -> tuple[bool, bool, bool, bool, bool, bool, bool, bool, bool, bool, int]:
    """The ten flags of one bar in ``B_...`` order, then its signal (v1, v2: vzo of the two bars before).

    Shared by batch and live; written with ``&`` and selects, no branch (the flags are
    unpredictable, the arithmetic a few cycles).
    """
    turns = not (np.isnan(vzo) | np.isnan(v1) | np.isnan(v2))
    s_now = sign_nb(vzo - v1)
    s_prev = sign_nb(v1 - v2)
    up_turn = turns & (s_now > s_prev)
    down_turn = turns & (s_now < s_prev)
    buy_val = p[P_MINOR_BUY_VAL]
    sell_val = p[P_MINOR_SELL_VAL]
    rng = p[P_MINOR_MAJOR_RANGE]
    filt = p[P_ZERO_CROSS_FILTER_RANGE]
    rise = sm - v2 > filt
    fall = v2 - sm > filt
    major_buy = up_turn & (vzo < buy_val - rng)
    major_sell = down_turn & (vzo > sell_val + rng)
    return (
        up_turn & (vzo < buy_val),
        major_buy,
        down_turn & (vzo > sell_val),
        major_sell,
        (vzo >= 0.0) & (v1 < 0.0) & rise,
        (vzo <= 0.0) & (v1 > 0.0) & fall,
        (vzo >= lower) & (v1 < lower) & rise,
        (vzo <= upper) & (v1 > upper) & fall,
        up_turn & (vzo < lower),
        down_turn & (vzo > upper),
        int(major_buy) - int(major_sell),
    )


@njit(cache=True, error_model="numpy", inline="always")
def _sv(first: bool, cl: float, prev: float, vol: float) -> tuple[float, float]:
    """Signed volume (the sign of the change from the last non-NaN close ``prev``, times volume;
    0 on the first bar) and the last non-NaN close after this bar."""
    sv = 0.0 if first else sign_nb(cl - prev) * vol
    gap = np.isnan(cl)
    return (np.nan if gap else sv), (prev if gap else cl)


@njit(cache=True, error_model="numpy", inline="always")
def _vzo_value(a_sv: float, a_v: float) -> float:
    """100 * MA(signed volume) / MA(volume); 0 where the volume average is 0, NaN until both exist."""
    v = 100.0 * a_sv / a_v if a_v != 0.0 else 0.0
    return np.nan if np.isnan(a_sv) | np.isnan(a_v) else v


@njit(cache=True, error_model="numpy")
def vzo_step_nb(
    p: np.ndarray, lay: np.ndarray, st: np.ndarray, cl: float, vol: float, fo: np.ndarray, bo: np.ndarray
) -> int:
    """One bar of VZOProX: floats into ``fo``, booleans into ``bo``; returns the signal."""
    code = int(p[P_MA_TYPE])
    n = int(p[P_VZO_LENGTH])
    sv, st[S_CLOSE] = _sv(st[S_BARS] == 0, cl, st[S_CLOSE], vol)
    st[S_BARS] += 1
    a_sv = ma_next_nb(st, lay[L_SV], code, n, p[P_PHASE], p[P_POWER], sv)
    a_v = ma_next_nb(st, lay[L_VOL], code, n, p[P_PHASE], p[P_POWER], vol)
    vzo = _vzo_value(a_sv, a_v)
    sm = ma_next_nb(st, lay[L_SMOOTH], code, int(p[P_NOISE_LENGTH]), p[P_PHASE], p[P_POWER], vzo)
    v1 = st[S_VZO_1]
    v2 = st[S_VZO_2]
    st[S_VZO_2] = v1
    st[S_VZO_1] = vzo
    upper, lower = pctl_step_nb(st, lay[L_PCTL], int(p[P_DATA_SAMPLE]), vzo, p[P_PCNT_ABOVE], 100.0 - p[P_PCNT_BELOW])
    fo[F_VZO] = vzo
    fo[F_VZO_SMOOTHED] = sm
    fo[F_UPPER] = upper
    fo[F_LOWER] = lower
    f = _vzo_flags(p, vzo, v1, v2, sm, upper, lower)
    bo[B_MINOR_BUY], bo[B_MAJOR_BUY], bo[B_MINOR_SELL], bo[B_MAJOR_SELL] = f[0], f[1], f[2], f[3]
    bo[B_ZERO_CROSS_UP], bo[B_ZERO_CROSS_DOWN] = f[4], f[5]
    bo[B_ADAPTIVE_CROSS_UP], bo[B_ADAPTIVE_CROSS_DOWN], bo[B_ADAPTIVE_BUY], bo[B_ADAPTIVE_SELL] = f[6], f[7], f[8], f[9]
    return f[10]


@njit(cache=True, error_model="numpy", inline="always")
def _flag_row(
    p: np.ndarray, vzo: float, v1: float, v2: float, sm: float, upper: float, lower: float, bo: np.ndarray, i: int
) -> int:
    """:func:`_vzo_flags` into column ``i`` of the batch rows ``bo``; returns the signal."""
    f = _vzo_flags(p, vzo, v1, v2, sm, upper, lower)
    bo[B_MINOR_BUY, i], bo[B_MAJOR_BUY, i], bo[B_MINOR_SELL, i], bo[B_MAJOR_SELL, i] = f[0], f[1], f[2], f[3]
    bo[B_ZERO_CROSS_UP, i], bo[B_ZERO_CROSS_DOWN, i] = f[4], f[5]
    bo[B_ADAPTIVE_CROSS_UP, i], bo[B_ADAPTIVE_CROSS_DOWN, i] = f[6], f[7]
    bo[B_ADAPTIVE_BUY, i], bo[B_ADAPTIVE_SELL, i] = f[8], f[9]
    return f[10]


@njit(cache=True, error_model="numpy")
def vzo_jma_nb(
    sv: np.ndarray, vol: np.ndarray, n: int, noise: int, phase: float, power: float, vz: np.ndarray, sm: np.ndarray
) -> bool:
    """vzo and vzo_smoothed with Jurik MAs, the three JMAs in one loop (inputs without an interior NaN).

    The arithmetic is ``jma_nb``'s and :func:`_vzo_value`'s, so the values are those of the
    stage-by-stage path. False (``sm`` unfinished) when vzo has a NaN after its start (an
    overflow): the caller then smooths ``vz`` the general way.
    """
    size = sv.shape[0]
    s0 = first_valid_nb(sv)
    s1 = first_valid_nb(vol)
    b = max(s0, s1)  # vzo's first value
    if b >= size:
        vz[:] = np.nan
        sm[:] = np.nan
        return True
    a, be, pr = jma_coefs_nb(n, phase, power)
    # the two volume averages up to b (written into the scratch rows, then overwritten)
    t0 = jma_lead_nb(sv, sm, s0, b + 1, a, be, pr)
    t1 = jma_lead_nb(vol, vz, s1, b + 1, a, be, pr)
    vz[:b] = np.nan
    sm[:b] = np.nan
    v = _vzo_value(t0[3], t1[3])
    vz[b] = v
    sm[b] = v
    t2 = (v, 0.0, 0.0, v)
    a2, b2, p2 = jma_coefs_nb(noise, phase, power)
    gap = np.isnan(v)
    for i in range(b + 1, size):
        t0 = jma_step_nb(t0, sv[i], a, be, pr)
        t1 = jma_step_nb(t1, vol[i], a, be, pr)
        v = _vzo_value(t0[3], t1[3])
        gap |= np.isnan(v)
        t2 = jma_step_nb(t2, v, a2, b2, p2)
        vz[i] = v
        sm[i] = t2[3]
    return not gap


@njit(cache=True, error_model="numpy")
def vzo_nb(p: np.ndarray, cl: np.ndarray, vol: np.ndarray, fo: np.ndarray, bo: np.ndarray, sig: np.ndarray) -> None:
    """Batch VZOProX: ``fo`` (4, n), ``bo`` (10, n), int8 ``sig``.

    Signed volume, the MAs (Jurik's three in one loop when there is no gap), the zones of the
    whole vzo series (:func:`rolling_pctl2_nb`, the same values as the live sorted window),
    then the flags of each bar (the live step's :func:`_vzo_flags`).
    """
    n = cl.shape[0]
    code = int(p[P_MA_TYPE])
    length = int(p[P_VZO_LENGTH])
    noise = int(p[P_NOISE_LENGTH])
    phase = p[P_PHASE]
    power = p[P_POWER]
    sv = fo[F_UPPER]  # scratch until the zones
    prev = np.nan
    for i in range(n):
        sv[i], prev = _sv(i == 0, cl[i], prev, vol[i])
    vz = fo[F_VZO]
    sm = fo[F_VZO_SMOOTHED]
    fast = code == JMA_CODE and not (has_gap_nb(sv) or has_gap_nb(vol))
    if fast:
        done = vzo_jma_nb(sv, vol, length, noise, phase, power, vz, sm)
    else:
        a_sv = ma_series_nb(code, sv, length, phase, power)
        a_v = ma_series_nb(code, vol, length, phase, power)
        for i in range(n):
            vz[i] = _vzo_value(a_sv[i], a_v[i])
        done = False
    if not done:
        sm[:] = ma_series_nb(code, vz, noise, phase, power)
    upper = fo[F_UPPER]
    lower = fo[F_LOWER]
    rolling_pctl2_nb(vz, int(p[P_DATA_SAMPLE]), p[P_PCNT_ABOVE], 100.0 - p[P_PCNT_BELOW], upper, lower)
    for i in range(min(n, 2)):
        v1 = vz[i - 1] if i == 1 else np.nan
        sig[i] = _flag_row(p, vz[i], v1, np.nan, sm[i], upper[i], lower[i], bo, i)
    for i in range(2, n):
        sig[i] = _flag_row(p, vz[i], vz[i - 1], vz[i - 2], sm[i], upper[i], lower[i], bo, i)
