"""Kernels of the cycle-adaptive moving average: one MA state per candidate length, stepped together.

Every length from ``lo`` to ``hi`` keeps its own moving-average machine (:mod:`ma_step`), all fed
every bar, and a bar's output is the average of the length chosen for it (the rounded dominant
cycle). Batch is the same per-bar step in a loop, so a live stream agrees with it bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.indicators.nb.ma_step import ma_init_nb, ma_size_nb, ma_step_nb


@njit(cache=True)
def cycle_ma_layout_nb(code: int, lo: int, hi: int) -> np.ndarray:
    """Offsets of each length's MA state in one flat array (the last entry is the total size)."""
    offs = np.zeros(hi - lo + 2, dtype=np.int64)
    for j in range(hi - lo + 1):
        offs[j + 1] = offs[j] + ma_size_nb(code, lo + j)
    return offs


@njit(cache=True)
def cycle_ma_init_nb(code: int, lo: int, hi: int, offs: np.ndarray, st: np.ndarray) -> None:
    """Prepare the flat state ``st`` (size ``offs[-1]``) of every length's MA."""
    for j in range(hi - lo + 1):
        ma_init_nb(code, lo + j, st, offs[j])


@njit(cache=True, error_model="numpy")
def cycle_ma_step_nb(
    code: int,
    lo: int,
    hi: int,
    phase: float,
    power: float,
    offs: np.ndarray,
    st: np.ndarray,
    x: float,
    h: float,
    lw: float,
    v: float,
    length: int,
) -> float:
    """Feed one bar to every length's MA; the average of ``length`` (NaN when it is outside [lo, hi])."""
    out = np.nan
    for j in range(hi - lo + 1):
        value = ma_step_nb(code, lo + j, phase, power, st, offs[j], x, h, lw, v)
        if lo + j == length:
            out = value
    return out


@njit(cache=True, error_model="numpy")
def cycle_ma_nb(
    code: int,
    lo: int,
    hi: int,
    phase: float,
    power: float,
    close: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    volume: np.ndarray,
    length: np.ndarray,
) -> np.ndarray:
    """The cycle-adaptive MA over whole series: :func:`cycle_ma_step_nb` bar by bar."""
    offs = cycle_ma_layout_nb(code, lo, hi)
    st = np.empty(offs[-1])
    cycle_ma_init_nb(code, lo, hi, offs, st)
    n = close.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = cycle_ma_step_nb(code, lo, hi, phase, power, offs, st, close[i], high[i], low[i], volume[i], length[i])
    return out
