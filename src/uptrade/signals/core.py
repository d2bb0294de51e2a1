"""The arithmetic of signals, on checked NumPy arrays only: flags to a signal, and the four combiners.

:func:`~uptrade.signals.conventions.from_flags` and :func:`~uptrade.signals.combine.combine`
check their inputs and call these; the Hummingbot controllers run the same functions (the bundle
copies this module's code into each controller file, see :mod:`uptrade.execution.bundle`), so
they import nothing but NumPy. Inputs are assumed valid: ``s`` is a ``(k, n)`` stack of int8
signals in ``{-1, 0, 1}``, weights are finite, >= 0 and sum to more than 0, ``primary`` is a row
of ``s`` and ``window >= 1``.
"""

from __future__ import annotations

import numpy as np

#: Scores of ``weighted`` are sums of a few weights: compared with the threshold within this margin.
WEIGHTED_EPS = 1e-12


def flags_signal(buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    """1 where ``buy``, -1 where ``sell``, 0 where neither or both (int8)."""
    return (np.asarray(buy, dtype=bool).astype(np.int8) - np.asarray(sell, dtype=bool).astype(np.int8)).astype(np.int8)


def combine_and(s: np.ndarray) -> np.ndarray:
    """The common direction where every signal is non-zero and they all agree, else 0."""
    first = s[0]
    return np.where((first != 0) & np.all(s == first, axis=0), first, 0).astype(np.int8)


def combine_or(s: np.ndarray) -> np.ndarray:
    """Any non-zero signal; the majority of the non-zero ones when they conflict (a tie gives 0)."""
    return np.sign(s.sum(axis=0, dtype=np.int64)).astype(np.int8)


def combine_weighted(s: np.ndarray, w: np.ndarray, threshold: float) -> np.ndarray:
    """1 where ``sum(w s) / sum(w) >= threshold``, -1 where it is ``<= -threshold``, else 0."""
    score = (w @ s.astype(np.float64)) / w.sum()
    out = np.where(score >= threshold - WEIGHTED_EPS, 1, np.where(score <= -threshold + WEIGHTED_EPS, -1, 0))
    return out.astype(np.int8)


def confirmed(sec: np.ndarray, direction: int, window: int) -> np.ndarray:
    """Per bar: did ``sec`` equal ``direction`` within the last ``window`` bars (this one included)?"""
    hits = np.cumsum(sec == direction, dtype=np.int64)
    before = np.concatenate([np.zeros(window, dtype=np.int64), hits[:-window]]) if window < len(hits) else 0
    return (hits - before) > 0


def combine_confirm(s: np.ndarray, primary: int, window: int) -> np.ndarray:
    """Row ``primary`` where every other row showed the same direction within the last ``window`` bars."""
    p = s[primary]
    long_ok = p == 1
    short_ok = p == -1
    for i in range(s.shape[0]):
        if i != primary:
            long_ok &= confirmed(s[i], 1, window)
            short_ok &= confirmed(s[i], -1, window)
    return np.where(long_ok, 1, np.where(short_ok, -1, 0)).astype(np.int8)


__all__ = [
    "WEIGHTED_EPS",
    "combine_and",
    "combine_confirm",
    "combine_or",
    "combine_weighted",
    "confirmed",
    "flags_signal",
]
