"""DMI (+DI, -DI, ADX) as a state machine (one bar per call) and over whole arrays.

With Wilder's smoothing (``code`` 3, RMA) the arithmetic is TA-Lib's own recursion, so the
values agree with ``talib.PLUS_DI``/``MINUS_DI``/``ADX``; any other MA type smooths +DM, -DM,
TR and DX with that type's machine. SniperProX's DMI filter (``shared/spec/INDICATORS.md``
section 2) is this kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.indicators.nb.ma_step import ma_size_nb
from uptrade.indicators.nb.osc_common import ma_next_nb, ma_start_nb

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
    # TA-Lib's if/else written as two independent selections (the same values: dp > dm and
    # dp < dm exclude each other), so the compiler can avoid unpredictable branches
    pdm = dp if (dp > 0.0 and dp > dm) else 0.0
    mdm = dm if (dm > 0.0 and dp < dm) else 0.0
    return pdm, mdm, max(hi - lo, abs(hi - prev_close), abs(lo - prev_close))


@njit(cache=True, error_model="numpy", inline="always")
def _wilder_sum_nb(s: float, v: float, n: int) -> float:
    """One bar of Wilder's running sum, as TA-Lib: ``s - s/n + v``."""
    return s - s / n + v


@njit(cache=True, error_model="numpy", inline="always")
def _wilder_di_nb(sp: float, sm: float, s_tr: float) -> tuple[float, float, float]:
    """+DI, -DI and DX from Wilder's sums; DX is NaN where TA-Lib leaves it out (a sum exactly 0)."""
    if s_tr == 0.0:
        return 0.0, 0.0, np.nan
    p = 100.0 * (sp / s_tr)
    m = 100.0 * (sm / s_tr)
    s = m + p
    if s == 0.0:
        return p, m, np.nan
    return p, m, 100.0 * (abs(m - p) / s)


@njit(cache=True, error_model="numpy", inline="always")
def _wilder_adx_nb(adx: float, dx: float, n: int) -> float:
    """One bar of the ADX after its seed, as TA-Lib: ``(adx*(n-1) + dx)/n``."""
    return (adx * (n - 1) + dx) / n


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
        sp = _wilder_sum_nb(st[o + D_PDM], pdm, n)
        sm = _wilder_sum_nb(st[o + D_MDM], mdm, n)
        st[o + D_PDM] = sp
        st[o + D_MDM] = sm
        st[o + D_TR] = s_tr = _wilder_sum_nb(st[o + D_TR], tr, n)
        pdi, mdi, dx = _wilder_di_nb(sp, sm, s_tr)
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
                adx = _wilder_adx_nb(adx, dx, n)
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
def _wilder_run_nb(
    hi: np.ndarray,
    lo: np.ndarray,
    cl: np.ndarray,
    n: int,
    st: np.ndarray,
    pdi: np.ndarray,
    mdi: np.ndarray,
    adx: np.ndarray,
) -> None:
    """Wilder's DMI from a machine state ``st`` whose ADX is seeded: the machine's arithmetic on local state.

    A bar with a NaN input repeats the last values and leaves the state alone, as the machine does.
    """
    ph, pl, pc = st[D_HIGH], st[D_LOW], st[D_CLOSE]
    sp, sm, s_tr = st[D_PDM], st[D_MDM], st[D_TR]
    a = st[D_ADX]
    p, m = st[D_PDI_OUT], st[D_MDI_OUT]
    for i in range(cl.shape[0]):
        h = hi[i]
        lw = lo[i]
        c = cl[i]
        if np.isnan(h) or np.isnan(lw) or np.isnan(c):
            pdi[i] = p
            mdi[i] = m
            adx[i] = a
            continue
        pdm, mdm, tr = moves_nb(h, lw, ph, pl, pc)
        ph = h
        pl = lw
        pc = c
        sp = _wilder_sum_nb(sp, pdm, n)
        sm = _wilder_sum_nb(sm, mdm, n)
        s_tr = _wilder_sum_nb(s_tr, tr, n)
        p, m, dx = _wilder_di_nb(sp, sm, s_tr)
        if not np.isnan(dx):
            a = _wilder_adx_nb(a, dx, n)
        pdi[i] = p
        mdi[i] = m
        adx[i] = a


@njit(cache=True, error_model="numpy")
def dmi_nb(
    hi: np.ndarray, lo: np.ndarray, cl: np.ndarray, n: int, code: int, pdi: np.ndarray, mdi: np.ndarray, adx: np.ndarray
) -> None:
    """+DI, -DI, ADX over whole arrays: the machine bar by bar (Wilder: until ADX is seeded, then a local loop)."""
    st = np.empty(dmi_size_nb(n, code))
    dmi_init_nb(st, 0, n, code)
    res = np.empty(3)
    size = cl.shape[0]
    i = 0
    while i < size and (code != WILDER or st[D_BARS] < 2 * n):
        dmi_step_nb(st, 0, n, code, hi[i], lo[i], cl[i], res)
        pdi[i] = res[0]
        mdi[i] = res[1]
        adx[i] = res[2]
        i += 1
    if i < size:
        # slices from i: the loop indexes from 0, so no negative-index wraparound code
        _wilder_run_nb(hi[i:], lo[i:], cl[i:], n, st, pdi[i:], mdi[i:], adx[i:])
