"""DMI (+DI, -DI, ADX) as a state machine (one bar per call) and over whole arrays.

With Wilder's smoothing (``code`` 3, RMA) the arithmetic is TA-Lib's own recursion, so the
values agree with ``talib.PLUS_DI``/``MINUS_DI``/``ADX``; any other MA type smooths +DM, -DM,
TR and DX with that type's machine. SniperProX's DMI filter (``shared/spec/INDICATORS.md``
section 2) is this kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.indicators.nb.ma_batch import has_gap_nb
from uptrade.indicators.nb.ma_step import ma_size_nb
from uptrade.indicators.nb.osc_common import ma_next_nb, ma_start_nb
from uptrade.indicators.nb.rolling import first_valid_nb

WILDER = 3  # RMA code: the DMI then follows TA-Lib's Wilder sums exactly

# State st[o + D_...]
D_BARS = 0  # bars seen (bars with a NaN input are skipped)
D_HIGH = 1  # previous high, low, close
D_LOW = 2
D_CLOSE = 3
D_PDM = 4  # Wilder: running sums of +DM, -DM and TR
D_MDM = 5
D_TR = 6
D_DX = 7  # Wilder: sum of the first DX values (the ADX seed)
D_ADX = 8  # Wilder: the running ADX
D_PDI_OUT = 9  # the last +DI, -DI, ADX (repeated over a bar with a NaN input)
D_MDI_OUT = 10
D_ADX_OUT = 11
D_MA = 12  # other types: four MA machines (+DM, -DM, TR, DX) from here


@njit(cache=True, error_model="numpy")
def dmi_size_nb(n: int, code: int) -> int:
    """State size of :func:`dmi_step_nb`."""
    return D_MA + (0 if code == WILDER else 4 * ma_size_nb(code, n))


@njit(cache=True, error_model="numpy")
def dmi_init_nb(st: np.ndarray, o: int, n: int, code: int) -> None:
    """Fresh DMI state."""
    st[o : o + dmi_size_nb(n, code)] = 0.0
    if code != WILDER:
        size = ma_size_nb(code, n)
        for k in range(4):
            ma_start_nb(st, o + D_MA + k * size, code, n)


@njit(cache=True, error_model="numpy")
def moves_nb(hi: float, lo: float, prev_hi: float, prev_lo: float, prev_close: float) -> tuple[float, float, float]:
    """Wilder's +DM, -DM and true range of a bar after the previous one."""
    dp = hi - prev_hi
    dm = prev_lo - lo
    pdm = 0.0
    mdm = 0.0
    if dm > 0.0 and dp < dm:
        mdm = dm
    elif dp > 0.0 and dp > dm:
        pdm = dp
    return pdm, mdm, max(hi - lo, abs(hi - prev_close), abs(lo - prev_close))


@njit(cache=True, error_model="numpy", inline="always")
def dmi_step_nb(st: np.ndarray, o: int, n: int, code: int, hi: float, lo: float, cl: float, res: np.ndarray) -> None:
    """+DI, -DI, ADX into ``res[0:3]`` (Wilder: TA-Lib's recursion); a NaN input repeats the last ones."""
    if np.isnan(hi) or np.isnan(lo) or np.isnan(cl):
        if st[o + D_BARS] == 0:
            res[0] = res[1] = res[2] = np.nan
        else:
            res[0] = st[o + D_PDI_OUT]
            res[1] = st[o + D_MDI_OUT]
            res[2] = st[o + D_ADX_OUT]
        return
    t = int(st[o + D_BARS])
    st[o + D_BARS] = t + 1
    res[0] = res[1] = res[2] = np.nan
    if t == 0:
        st[o + D_HIGH] = hi
        st[o + D_LOW] = lo
        st[o + D_CLOSE] = cl
        st[o + D_PDI_OUT] = st[o + D_MDI_OUT] = st[o + D_ADX_OUT] = np.nan
        return
    pdm, mdm, tr = moves_nb(hi, lo, st[o + D_HIGH], st[o + D_LOW], st[o + D_CLOSE])
    st[o + D_HIGH] = hi
    st[o + D_LOW] = lo
    st[o + D_CLOSE] = cl
    if code == WILDER:
        if t < n:
            st[o + D_PDM] += pdm
            st[o + D_MDM] += mdm
            st[o + D_TR] += tr
            return
        sp = st[o + D_PDM] - st[o + D_PDM] / n + pdm
        sm = st[o + D_MDM] - st[o + D_MDM] / n + mdm
        st_tr = st[o + D_TR] - st[o + D_TR] / n + tr
        st[o + D_PDM] = sp
        st[o + D_MDM] = sm
        st[o + D_TR] = st_tr
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
                st[o + D_DX] += dx
            if t == 2 * n - 1:
                adx = st[o + D_DX] / n
                st[o + D_ADX] = adx
        else:
            adx = st[o + D_ADX]
            if not np.isnan(dx):
                adx = (adx * (n - 1) + dx) / n
                st[o + D_ADX] = adx
    else:
        size = ma_size_nb(code, n)
        b = o + D_MA
        ap = ma_next_nb(st, b, code, n, 0.0, 2.0, pdm)
        am = ma_next_nb(st, b + size, code, n, 0.0, 2.0, mdm)
        at = ma_next_nb(st, b + 2 * size, code, n, 0.0, 2.0, tr)
        pdi = 100.0 * ap / at if at != 0.0 else (0.0 if not np.isnan(at) else np.nan)
        mdi = 100.0 * am / at if at != 0.0 else (0.0 if not np.isnan(at) else np.nan)
        s = pdi + mdi
        dx = 100.0 * abs(pdi - mdi) / s if s != 0.0 else (0.0 if not np.isnan(s) else np.nan)
        adx = ma_next_nb(st, b + 3 * size, code, n, 0.0, 2.0, dx)
    res[0] = pdi
    res[1] = mdi
    res[2] = adx
    st[o + D_PDI_OUT] = pdi
    st[o + D_MDI_OUT] = mdi
    st[o + D_ADX_OUT] = adx


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
        pdm, mdm, tr = moves_nb(hi[i], lo[i], hi[i - 1], lo[i - 1], cl[i - 1])
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
