"""Live (one bar per call) forms of the sliding Goertzel and the per-bar dominant cycle.

Each call appends the bar to a buffer, slides (or re-anchors) the sums of
:mod:`uptrade.indicators.nb.spectral` on the batch kernels' schedule and evaluates them, all on
arrays the caller keeps, so a live series gives the batch kernels' values bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.indicators.nb.spectral import _advance_nb, _dominant_sums_nb, _spectrum_nb


@njit(cache=True, error_model="numpy", inline="always")
def _push_nb(value: float, buf: np.ndarray, state: np.ndarray, window: int) -> int:
    """Append a live bar to ``buf``; its index there, or -1 while a NaN is inside the window.

    ``state`` holds (bars used in ``buf``, bars seen, index of the last NaN bar, ready). The
    buffer keeps ``2 window + 1`` bars and moves its last ``window + 1`` to the front when full.
    """
    used = state[0]
    if used == buf.shape[0]:
        buf[: window + 1] = buf[used - window - 1 : used]
        used = window + 1
    buf[used] = value
    state[0] = used + 1
    if not np.isfinite(value):  # as the batch kernels: a missing bar
        state[2] = state[1]
    state[1] += 1
    if state[1] - 1 - state[2] < window:
        state[3] = 0
        return -1
    return used


@njit(cache=True, error_model="numpy")
def goertzel_live_nb(
    value: float,
    buf: np.ndarray,
    state: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    br: np.ndarray,
    bi: np.ndarray,
    st: np.ndarray,
    coef: np.ndarray,
    c0: np.ndarray,
    c1: np.ndarray,
    detrend: bool,
    out: np.ndarray,
) -> bool:
    """One live bar of :func:`goertzel_nb` (re-anchored every window): ``X`` into ``out``; False while undefined."""
    tr, ti, rr, ri = tables
    window = tr.shape[0]
    t = _push_nb(value, buf, state, window)
    if t < 0:
        return False
    _advance_nb(buf, t, window, tr, ti, rr, ri, br, bi, st, state[3] == 0 or st[3] + 1.0 >= window)
    state[3] = 1
    _spectrum_nb(br, bi, st, coef, c0, c1, window, detrend, out)
    return True


@njit(cache=True, error_model="numpy")
def dominant_live_nb(
    value: float,
    buf: np.ndarray,
    state: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    br: np.ndarray,
    bi: np.ndarray,
    st: np.ndarray,
    coef: np.ndarray,
    c0: np.ndarray,
    c1: np.ndarray,
    periods: np.ndarray,
    sines: np.ndarray,
    whiten: bool,
    work: np.ndarray,
) -> tuple[float, float]:
    """One live bar of :func:`dominant_goertzel_nb` (detrended, re-anchored every window): (period, share)."""
    tr, ti, rr, ri = tables
    window = tr.shape[0]
    t = _push_nb(value, buf, state, window)
    if t < 0:
        return np.nan, np.nan
    _advance_nb(buf, t, window, tr, ti, rr, ri, br, bi, st, state[3] == 0 or st[3] + 1.0 >= window)
    state[3] = 1
    return _dominant_sums_nb(br, bi, st, coef, c0, c1, window, True, periods, sines, whiten, work)
