"""VZOProX as a state machine: one call per bar, batch = the same per-bar tail in a loop.

The state is one float64 array: a block of scalars (``st[S_...]``) then three MA machines and
a sorted window for the percentile zones at offsets ``lay[L_...]`` computed once by
:func:`vzo_layout_nb`. A bar writes its float outputs into ``fo[F_...]`` and its booleans into
``bo[B_...]`` and returns the int signal. Parameters are ``p[P_...]``; :data:`PARAMS`,
:data:`FLOATS` and :data:`BOOLS` are those constants' names in index order. Definitions:
``shared/spec/INDICATORS.md`` section 3 and ``docs/indicators.md``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.indicators.nb.ma_step import ma_size_nb
from uptrade.indicators.nb.machines import pctl_size, pctl_step_nb
from uptrade.indicators.nb.osc_common import layout_names, ma_next_nb, ma_series_nb, ma_start_nb, sign_nb
from uptrade.indicators.nb.pctl import rolling_pctl2_nb

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
def _turns(vzo: float, v1: float, v2: float) -> tuple[bool, bool]:
    """Up and down turning points of vzo (v1, v2: the two bars before)."""
    if np.isnan(vzo) or np.isnan(v1) or np.isnan(v2):
        return False, False
    s_now = sign_nb(vzo - v1)
    s_prev = sign_nb(v1 - v2)
    return s_now > s_prev, s_now < s_prev


@njit(cache=True, error_model="numpy", inline="always")
def _vzo_core(p: np.ndarray, st: np.ndarray, vzo: float, sm: float, fo: np.ndarray, bo: np.ndarray) -> int:
    """Turning points and the flags of one bar that need no zone (shared by batch and live)."""
    v1 = st[S_VZO_1]
    v2 = st[S_VZO_2]
    st[S_VZO_2] = v1
    st[S_VZO_1] = vzo
    up_turn, down_turn = _turns(vzo, v1, v2)
    sell_val = p[P_MINOR_SELL_VAL]
    buy_val = p[P_MINOR_BUY_VAL]
    rng = p[P_MINOR_MAJOR_RANGE]
    filt = p[P_ZERO_CROSS_FILTER_RANGE]
    fo[F_VZO] = vzo
    fo[F_VZO_SMOOTHED] = sm
    bo[B_MINOR_BUY] = up_turn and vzo < buy_val
    bo[B_MAJOR_BUY] = up_turn and vzo < buy_val - rng
    bo[B_MINOR_SELL] = down_turn and vzo > sell_val
    bo[B_MAJOR_SELL] = down_turn and vzo > sell_val + rng
    bo[B_ZERO_CROSS_UP] = vzo >= 0.0 and v1 < 0.0 and sm - v2 > filt
    bo[B_ZERO_CROSS_DOWN] = vzo <= 0.0 and v1 > 0.0 and v2 - sm > filt
    return 1 if bo[B_MAJOR_BUY] else (-1 if bo[B_MAJOR_SELL] else 0)


@njit(cache=True, error_model="numpy", inline="always")
def _vzo_zones(
    filt: float, vzo: float, v1: float, v2: float, sm: float, upper: float, lower: float
) -> tuple[bool, bool, bool, bool]:
    """Adaptive cross up, cross down, buy and sell of one bar (v1, v2: vzo of the two bars before)."""
    up_turn, down_turn = _turns(vzo, v1, v2)
    return (
        vzo >= lower and v1 < lower and sm - v2 > filt,
        vzo <= upper and v1 > upper and v2 - sm > filt,
        up_turn and vzo < lower,
        down_turn and vzo > upper,
    )


@njit(cache=True, error_model="numpy", inline="always")
def _sv(st: np.ndarray, cl: float, vol: float) -> float:
    """Signed volume: the sign of the change from the previous non-NaN close times volume."""
    sv = 0.0 if st[S_BARS] == 0 else sign_nb(cl - st[S_CLOSE]) * vol
    if np.isnan(cl):
        sv = np.nan
    else:
        st[S_CLOSE] = cl
    st[S_BARS] += 1
    return sv


@njit(cache=True, error_model="numpy", inline="always")
def _vzo_value(a_sv: float, a_v: float) -> float:
    """100 * MA(signed volume) / MA(volume); 0 where the volume average is 0, NaN until both exist."""
    if np.isnan(a_sv) or np.isnan(a_v):
        return np.nan
    return 100.0 * a_sv / a_v if a_v != 0.0 else 0.0


@njit(cache=True, error_model="numpy")
def vzo_step_nb(
    p: np.ndarray, lay: np.ndarray, st: np.ndarray, cl: float, vol: float, fo: np.ndarray, bo: np.ndarray
) -> int:
    """One bar of VZOProX: floats into ``fo``, booleans into ``bo``; returns the signal."""
    code = int(p[P_MA_TYPE])
    n = int(p[P_VZO_LENGTH])
    sv = _sv(st, cl, vol)
    a_sv = ma_next_nb(st, lay[L_SV], code, n, p[P_PHASE], p[P_POWER], sv)
    a_v = ma_next_nb(st, lay[L_VOL], code, n, p[P_PHASE], p[P_POWER], vol)
    vzo = _vzo_value(a_sv, a_v)
    sm = ma_next_nb(st, lay[L_SMOOTH], code, int(p[P_NOISE_LENGTH]), p[P_PHASE], p[P_POWER], vzo)
    v1 = st[S_VZO_1]
    v2 = st[S_VZO_2]
    sig = _vzo_core(p, st, vzo, sm, fo, bo)
    upper, lower = pctl_step_nb(st, lay[L_PCTL], int(p[P_DATA_SAMPLE]), vzo, p[P_PCNT_ABOVE], 100.0 - p[P_PCNT_BELOW])
    fo[F_UPPER] = upper
    fo[F_LOWER] = lower
    zones = _vzo_zones(p[P_ZERO_CROSS_FILTER_RANGE], vzo, v1, v2, sm, upper, lower)
    bo[B_ADAPTIVE_CROSS_UP], bo[B_ADAPTIVE_CROSS_DOWN], bo[B_ADAPTIVE_BUY], bo[B_ADAPTIVE_SELL] = zones
    return sig


@njit(cache=True, error_model="numpy")
def vzo_nb(p: np.ndarray, cl: np.ndarray, vol: np.ndarray, fo: np.ndarray, bo: np.ndarray, sig: np.ndarray) -> None:
    """Batch VZOProX: ``fo`` (4, n), ``bo`` (10, n), int8 ``sig``.

    Array passes, the live machine's per-bar core in a loop, then the zones of the whole vzo
    series (:func:`rolling_pctl2_nb`, the same values as the live sorted window) and the flags
    that use them.
    """
    n = cl.shape[0]
    code = int(p[P_MA_TYPE])
    lay = vzo_layout_nb(p)
    st = np.empty(lay[L_SIZE])
    vzo_init_nb(p, lay, st)
    sv = np.empty(n)
    for i in range(n):
        sv[i] = _sv(st, cl[i], vol[i])
    a_sv = ma_series_nb(code, sv, int(p[P_VZO_LENGTH]), p[P_PHASE], p[P_POWER])
    a_v = ma_series_nb(code, vol, int(p[P_VZO_LENGTH]), p[P_PHASE], p[P_POWER])
    vz = sv
    for i in range(n):
        vz[i] = _vzo_value(a_sv[i], a_v[i])
    sm = ma_series_nb(code, vz, int(p[P_NOISE_LENGTH]), p[P_PHASE], p[P_POWER])
    frow = np.empty(fo.shape[0])
    brow = np.empty(bo.shape[0], dtype=np.bool_)
    for i in range(n):
        sig[i] = _vzo_core(p, st, vz[i], sm[i], frow, brow)
        for j in (B_MINOR_BUY, B_MAJOR_BUY, B_MINOR_SELL, B_MAJOR_SELL, B_ZERO_CROSS_UP, B_ZERO_CROSS_DOWN):
            bo[j, i] = brow[j]
    fo[F_VZO] = vz
    fo[F_VZO_SMOOTHED] = sm
    upper = fo[F_UPPER]
    lower = fo[F_LOWER]
    rolling_pctl2_nb(vz, int(p[P_DATA_SAMPLE]), p[P_PCNT_ABOVE], 100.0 - p[P_PCNT_BELOW], upper, lower)
    filt = p[P_ZERO_CROSS_FILTER_RANGE]
    for i in range(n):
        v1 = vz[i - 1] if i >= 1 else np.nan
        v2 = vz[i - 2] if i >= 2 else np.nan
        zones = _vzo_zones(filt, vz[i], v1, v2, sm[i], upper[i], lower[i])
        bo[B_ADAPTIVE_CROSS_UP, i], bo[B_ADAPTIVE_CROSS_DOWN, i], bo[B_ADAPTIVE_BUY, i], bo[B_ADAPTIVE_SELL, i] = zones
