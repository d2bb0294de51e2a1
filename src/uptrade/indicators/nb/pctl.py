"""Rolling nearest-rank percentiles of a whole series: two ranks tracked across the window.

The batch counterpart of ``machines.pctl_step_nb`` (which the live oscillators keep): the same
definition (``shared/spec/INDICATORS.md``: window of the last ``min(count, m)`` values from the
first non-NaN one, NaN while a NaN is inside, rank ``ceil(p*L/100) - 1`` clamped to the window),
so both select the same values. A selection does no arithmetic, so any exact method gives the
same numbers; this one is cheaper per bar than keeping a sorted copy.

Method. Each value gets an int64 key whose signed order is the float order (the sign bit flips
the other bits of negatives). Once the window is full and NaN-free, each rank keeps ``y``, the
key at that rank, and the counts of window keys below and equal to it. A bar changes the counts
by at most one each; only when the rank leaves the run of keys equal to ``y`` does ``y`` move to
its neighbour in the window, found by a scan of the window's keys (integer min/max and counts
vectorise; float min/max with NaN semantics do not). Warm-up windows and the first full window
after a NaN are sorted directly. No library offers this (pandas' rolling quantile interpolates
on ``q*(L-1)``, bottleneck has only the median), hence the hand-written kernel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_FLIP = np.int64(0x7FFFFFFFFFFFFFFF)
_KEY_MIN = int(np.iinfo(np.int64).min)
_KEY_MAX = int(np.iinfo(np.int64).max)


@njit(cache=True, error_model="numpy")
def float_keys_nb(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """int64 keys of ``x`` whose signed order is the float order (-0.0 just below +0.0)."""
    b = x.view(np.int64)
    for i in range(x.shape[0]):
        k = b[i]
        out[i] = k ^ ((k >> 63) & _FLIP)
    return out


@njit(cache=True, error_model="numpy", inline="always")
def _value_nb(key: int, buf: np.ndarray, val: np.ndarray) -> float:
    """The float whose key is ``key`` (the key map is its own inverse); ``val`` views ``buf``."""
    buf[0] = key ^ ((key >> 63) & _FLIP)
    return val[0]


@njit(cache=True, error_model="numpy")
def _below_nb(k: np.ndarray, a: int, b: int, y: int) -> int:
    """Largest key of ``k[a:b]`` below ``y``."""
    best = _KEY_MIN
    for i in range(a, b):
        v = k[i]
        best = max(best, v if v < y else _KEY_MIN)
    return best


@njit(cache=True, error_model="numpy")
def _above_nb(k: np.ndarray, a: int, b: int, y: int) -> int:
    """Smallest key of ``k[a:b]`` above ``y``."""
    best = _KEY_MAX
    for i in range(a, b):
        v = k[i]
        best = min(best, v if v > y else _KEY_MAX)
    return best


@njit(cache=True, error_model="numpy")
def _count_nb(k: np.ndarray, a: int, b: int, y: int) -> tuple[int, int]:
    """Keys of ``k[a:b]`` below ``y`` and equal to it."""
    lt = 0
    eq = 0
    for i in range(a, b):
        lt += k[i] < y
        eq += k[i] == y
    return lt, eq


@njit(cache=True, error_model="numpy", inline="always")
def _track_nb(
    k: np.ndarray, a: int, b: int, r: int, y: int, lt: int, eq: int, old: int, new: int
) -> tuple[int, int, int]:
    """Rank ``r`` of the window ``k[a:b]`` after ``old`` left and ``new`` came: (key, below, equal)."""
    lt += int(new < y) - int(old < y)  # no branch: which side each key falls is unpredictable
    eq += int(new == y) - int(old == y)
    while r < lt:
        y = _below_nb(k, a, b, y)
        eq = _count_nb(k, a, b, y)[1]
        lt -= eq
    while r >= lt + eq:
        lt += eq
        y = _above_nb(k, a, b, y)
        eq = _count_nb(k, a, b, y)[1]
    return y, lt, eq


@njit(cache=True, error_model="numpy", inline="always")
def _rank_nb(p: float, size: int) -> int:
    """Nearest rank ``ceil(p*size/100) - 1`` clamped to ``[0, size-1]`` (as ``pctl_step_nb``)."""
    return min(max(math.ceil(p * size / 100.0) - 1, 0), size - 1)


@njit(cache=True, error_model="numpy", inline="always")
def _key_nb(v: float, buf: np.ndarray, val: np.ndarray) -> int:
    """The key of one float (as :func:`float_keys_nb`); ``val`` views ``buf``."""
    val[0] = v
    k = buf[0]
    return k ^ ((k >> 63) & _FLIP)


@njit(cache=True, error_model="numpy")
def rolling_pctl2_nb(
    x: np.ndarray, m: int, pa: float, pb: float, out_a: np.ndarray, out_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-rank percentiles ``pa`` and ``pb`` of the last ``min(count, m)`` values of ``x``.

    The keys of the window live in a ring of ``m`` slots (``ring[t % m]`` holds bar ``t``'s),
    so the scans read a few cache lines and no key array of the whole series is made.
    """
    n = x.shape[0]
    start = 0
    while start < n and np.isnan(x[start]):
        start += 1
    out_a[:start] = np.nan
    out_b[:start] = np.nan
    srt = np.empty(m)
    ring = np.empty(m, dtype=np.int64)
    buf = np.empty(1, dtype=np.int64)
    val = buf.view(np.float64)  # a key's bits read back as the float
    ra = _rank_nb(pa, m)
    rb = _rank_nb(pb, m)
    last_nan = -1
    tracking = False  # (ya, la, ea), (yb, lb, eb) describe the current full window
    ya = yb = _KEY_MIN
    la = ea = lb = eb = 0
    pos = start % m  # the ring slot of bar t
    for t in range(start, n):
        xt = x[t]
        new = _key_nb(xt, buf, val)
        old = ring[pos]
        ring[pos] = new
        pos = pos + 1 if pos + 1 < m else 0
        if np.isnan(xt):
            last_nan = t
        size = min(t - start + 1, m)
        a = t + 1 - size
        if tracking and last_nan < a:
            ya, la, ea = _track_nb(ring, 0, m, ra, ya, la, ea, old, new)
            yb, lb, eb = _track_nb(ring, 0, m, rb, yb, lb, eb, old, new)
            out_a[t] = _value_nb(ya, buf, val)
            out_b[t] = _value_nb(yb, buf, val)
        elif last_nan >= a:
            out_a[t] = np.nan
            out_b[t] = np.nan
            tracking = False
        else:
            srt[:size] = x[a : t + 1]
            srt[:size].sort()
            out_a[t] = srt[_rank_nb(pa, size)]
            out_b[t] = srt[_rank_nb(pb, size)]
            if size == m:
                tracking = True
                # start from the key of the value at each rank, then settle +-0 (distinct keys)
                ya = _key_nb(srt[ra], buf, val)
                yb = _key_nb(srt[rb], buf, val)
                la, ea = _count_nb(ring, 0, m, ya)
                lb, eb = _count_nb(ring, 0, m, yb)
                ya, la, ea = _track_nb(ring, 0, m, ra, ya, la, ea, ya, ya)
                yb, lb, eb = _track_nb(ring, 0, m, rb, yb, lb, eb, yb, yb)
    return out_a, out_b
