"""Three Jurik MAs in one loop: the oscillators' JMA stages with their dependency chains overlapped.

One JMA is a serial chain (each value needs the last through ``e2`` and ``j``): about 16 cycles a
bar, whatever else the core could do. SniperProX runs six (three %K smoothings, the three
chained MAs of tavg); one loop that advances three at once lets the core overlap the chains.
The arithmetic per value is ``ma_batch.jma_nb``'s, expression for expression, so the results
are bit for bit the same (tests compare them); like ``jma_nb`` these loops are only for inputs
without an interior NaN, which the callers check (``has_gap_nb``) before taking them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.indicators.nb.rolling import first_valid_nb


@njit(cache=True, error_model="numpy", inline="always")
def jma_coefs_nb(n: int, phase: float, power: float) -> tuple[float, float, float]:
    """(alpha, beta, phase ratio) of a JMA of window ``n``."""
    beta = 0.45 * (n - 1) / (0.45 * (n - 1) + 2.0)
    return beta**power, beta, min(max(phase / 100.0 + 1.5, 0.5), 2.5)


@njit(cache=True, error_model="numpy", inline="always")
def jma_step_nb(
    s: tuple[float, float, float, float], v: float, alpha: float, beta: float, pr: float
) -> tuple[float, float, float, float]:
    """State (e0, e1, e2, j) after value ``v`` (``jma_nb``'s update)."""
    e0, e1, e2, j = s
    e0 = (1.0 - alpha) * v + alpha * e0
    e1 = (v - e0) * (1.0 - beta) + beta * e1
    e2 = (e0 + pr * e1 - j) * (1.0 - alpha) ** 2 + alpha * alpha * e2
    j = j + e2
    return e0, e1, e2, j


@njit(cache=True, error_model="numpy", inline="always")
def jma_lead_nb(
    x: np.ndarray, out: np.ndarray, start: int, stop: int, alpha: float, beta: float, pr: float
) -> tuple[float, float, float, float]:
    """One JMA from its first finite value ``start`` up to (not including) ``stop``; its state there."""
    out[:start] = np.nan
    s = (x[start], 0.0, 0.0, x[start])
    out[start] = x[start]
    for i in range(start + 1, stop):
        s = jma_step_nb(s, x[i], alpha, beta, pr)
        out[i] = s[3]
    return s


@njit(cache=True, error_model="numpy")
def jma_parallel3_nb(
    x0: np.ndarray,
    x1: np.ndarray,
    x2: np.ndarray,
    n0: int,
    n1: int,
    n2: int,
    phase: float,
    power: float,
    out0: np.ndarray,
    out1: np.ndarray,
    out2: np.ndarray,
) -> None:
    """JMA of ``x0``, ``x1``, ``x2`` (windows ``n0``, ``n1``, ``n2``; no interior NaN) into ``out0..2``."""
    size = x0.shape[0]
    s0 = first_valid_nb(x0)
    s1 = first_valid_nb(x1)
    s2 = first_valid_nb(x2)
    if max(s0, s1, s2) >= size:  # a series without a value: one at a time
        for x, n, out in ((x0, n0, out0), (x1, n1, out1), (x2, n2, out2)):
            st = first_valid_nb(x)
            if st >= size:
                out[:] = np.nan
            else:
                a, b, pr = jma_coefs_nb(n, phase, power)
                jma_lead_nb(x, out, st, size, a, b, pr)
        return
    both = max(s0, s1, s2) + 1
    a0, b0, p0 = jma_coefs_nb(n0, phase, power)
    a1, b1, p1 = jma_coefs_nb(n1, phase, power)
    a2, b2, p2 = jma_coefs_nb(n2, phase, power)
    t0 = jma_lead_nb(x0, out0, s0, both, a0, b0, p0)
    t1 = jma_lead_nb(x1, out1, s1, both, a1, b1, p1)
    t2 = jma_lead_nb(x2, out2, s2, both, a2, b2, p2)
    for i in range(both, size):
        t0 = jma_step_nb(t0, x0[i], a0, b0, p0)
        t1 = jma_step_nb(t1, x1[i], a1, b1, p1)
        t2 = jma_step_nb(t2, x2[i], a2, b2, p2)
        out0[i] = t0[3]
        out1[i] = t1[3]
        out2[i] = t2[3]


@njit(cache=True, error_model="numpy")
def jma_chain3_nb(
    x: np.ndarray, n: int, phase: float, power: float, out1: np.ndarray, out2: np.ndarray, out3: np.ndarray
) -> bool:
    """JMA of ``x`` (no interior NaN), JMA of that and JMA of that, in one loop.

    False when the first or second stage has a NaN after its start (an overflow): its next
    stage would then not be ``jma_nb``'s and the caller recomputes it the general way.
    """
    size = x.shape[0]
    start = first_valid_nb(x)
    if start >= size:
        out1[:] = np.nan
        out2[:] = np.nan
        out3[:] = np.nan
        return True
    a, b, pr = jma_coefs_nb(n, phase, power)
    out1[:start] = np.nan
    out2[:start] = np.nan
    out3[:start] = np.nan
    v = x[start]
    t1 = (v, 0.0, 0.0, v)
    t2 = t1
    t3 = t1
    out1[start] = v
    out2[start] = v
    out3[start] = v
    gap = False
    for i in range(start + 1, size):
        t1 = jma_step_nb(t1, x[i], a, b, pr)
        t2 = jma_step_nb(t2, t1[3], a, b, pr)
        t3 = jma_step_nb(t3, t2[3], a, b, pr)
        gap |= np.isnan(t1[3]) | np.isnan(t2[3])
        out1[i] = t1[3]
        out2[i] = t2[3]
        out3[i] = t3[3]
    return not gap
