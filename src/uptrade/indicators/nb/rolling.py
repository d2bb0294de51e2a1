"""Windowed and recursive building blocks: O(n) numba kernels (``*_nb``) over 1-D float64 arrays.

Conventions (``shared/spec/INDICATORS.md``): output is NaN until defined; a series that starts
with NaNs starts at its first finite value; windowed kernels give NaN while a NaN is inside
the window (the running sums carry it as 0 and a count, so they recover exactly when it leaves);
recursive kernels hold their state through a NaN bar and repeat the previous value there.
Updates are arranged for short dependency chains (``e*(1-a) + a*x``, one addition per bar for
running sums); results agree with TA-Lib to ~1e-13 relative.
Only plain numba is used, so the kernels also run under numba 0.61 / numpy 2.2.

Every kernel writes into ``out``, an array the caller allocates with NumPy (``np.empty_like``):
NumPy backs large arrays with transparent huge pages and numba's allocator does not, which made
the same loop twice as slow on 10M bars (page faults, not arithmetic).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def first_valid_nb(x: np.ndarray) -> int:
    """Index of the first finite value (len(x) when there is none)."""
    for i in range(x.shape[0]):
        if np.isfinite(x[i]):
            return i
    return x.shape[0]


@njit(cache=True, error_model="numpy")
def _nan_head_nb(out: np.ndarray, upto: int) -> np.ndarray:
    """``out`` with its first ``upto`` values set to NaN (the kernel writes the rest)."""
    out[: min(upto, out.shape[0])] = np.nan
    return out


@njit(cache=True, error_model="numpy")
def sma_nb(x: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
    """Mean of the last ``n`` values; NaN while the window holds a NaN.

    ``w`` is the sum of the previous ``n - 1`` values, so the only loop-carried work per bar
    is one addition of ``(new - leaving)``: half TA-Lib's dependency chain (add, then
    subtract), which is what bounds a running sum's speed.
    """
    size = x.shape[0]
    start = first_valid_nb(x)
    _nan_head_nb(out, start + n - 1)
    w = 0.0
    nans = 0
    for i in range(start, min(start + n - 1, size)):
        v = x[i]
        if np.isnan(v):
            nans += 1
        else:
            w += v
    for i in range(start + n - 1, size):
        v = x[i]
        old = x[i - n + 1]
        v_nan = np.isnan(v)
        fv = 0.0 if v_nan else v
        fold = 0.0 if np.isnan(old) else old
        nans += v_nan
        out[i] = (w + fv) / n if nans == 0 else np.nan
        nans -= np.isnan(old)
        w += fv - fold
    return out


@njit(cache=True, error_model="numpy")
def _position_weighted_nb(x: np.ndarray, n: int, out: np.ndarray, lsma: bool) -> np.ndarray:
    """WMA or LSMA from the same two running sums over the window, O(1) per bar.

    ``sy`` is the sum of the window and ``sty`` the sum of position * value (positions 0 oldest
    .. n-1 newest); a NaN counts as 0 in both and blanks the output while it is inside.
    """
    start = first_valid_nb(x)
    _nan_head_nb(out, start + n - 1)
    sum_t = n * (n - 1) / 2.0
    div = n * (n * (n - 1) * (2 * n - 1) / 6.0) - sum_t * sum_t
    denom = n * (n + 1) / 2.0
    sy = 0.0
    sty = 0.0
    nans = 0
    for i in range(start, x.shape[0]):
        v = x[i]
        fv = 0.0 if np.isnan(v) else v
        if np.isnan(v):
            nans += 1
        k = i - start
        if k < n:
            sty += k * fv
            sy += fv
        else:
            old = x[i - n]
            fold = 0.0 if np.isnan(old) else old
            if np.isnan(old):
                nans -= 1
            sty += (n - 1) * fv - (sy - fold)
            sy += fv - fold
        if k >= n - 1:
            if nans > 0:
                out[i] = np.nan
            elif not lsma:
                out[i] = (sty + sy) / denom  # weights 1..n = position + 1
            elif n == 1:
                out[i] = sy
            else:
                slope = (n * sty - sum_t * sy) / div
                out[i] = (sy - slope * sum_t) / n + slope * (n - 1)
    return out


@njit(cache=True, error_model="numpy")
def wma_nb(x: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
    """Linearly weighted mean (weights 1..n, newest heaviest), updated in O(1) per bar."""
    return _position_weighted_nb(x, n, out, False)


@njit(cache=True, error_model="numpy")
def ema_nb(x: np.ndarray, n: int, alpha: float, out: np.ndarray) -> np.ndarray:
    """EMA with factor ``alpha`` (NaN: 2/(n+1)), seeded with the SMA of the first ``n`` finite values.

    A NaN bar after the seed holds the state (the previous value is repeated).
    """
    a = 2.0 / (n + 1.0) if np.isnan(alpha) else alpha
    b = 1.0 - a
    start = first_valid_nb(x)
    _nan_head_nb(out, start)
    seen = 0
    total = 0.0
    e = np.nan
    for i in range(start, x.shape[0]):
        v = x[i]
        if seen < n:
            out[i] = np.nan
            if not np.isnan(v):
                total += v
                seen += 1
                if seen == n:
                    e = total / n
                    out[i] = e
            continue
        if not np.isnan(v):
            e = e * b + a * v
        out[i] = e
    return out


@njit(cache=True, error_model="numpy")
def linreg_nb(x: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
    """End point of the least-squares line over the last ``n`` values (LSMA), O(1) per bar."""
    return _position_weighted_nb(x, n, out, True)


@njit(cache=True, error_model="numpy")
def rolling_extreme_nb(x: np.ndarray, n: int, highest: bool, out: np.ndarray) -> np.ndarray:
    """Highest (or lowest) of the last ``n`` values; NaN while a NaN is inside the window.

    van Herk / Gil-Werman: running extremes forward and backward within blocks of ``n`` bars,
    so every output is one comparison of two precomputed values: O(n) whatever the data (TA-Lib
    rescans the window when its extreme leaves, O(n*w) on a falling series).
    """
    size = x.shape[0]
    start = first_valid_nb(x)
    _nan_head_nb(out, start + n - 1)
    m = size - start
    if m < n:
        return out
    sign = 1.0 if highest else -1.0
    # backward extremes within blocks, written into `out` (no large scratch arrays: see above)
    pos = (m - 1) % n
    for j in range(m - 1, -1, -1):
        v = x[start + j]
        val = sign * v if not np.isnan(v) else -np.inf
        if pos != n - 1 and j != m - 1:
            nxt = out[start + j + 1]
            val = max(val, nxt)
        out[start + j] = val
        pos -= 1
        if pos < 0:
            pos = n - 1
    # forward pass: running extreme of the block so far; the last n backward values in a ring
    ring = np.empty(n)
    run = -np.inf
    p = 0
    last_nan = -1
    for j in range(m):
        i = start + j
        v = x[i]
        val = sign * v if not np.isnan(v) else -np.inf
        if np.isnan(v):
            last_nan = i
        run = val if p == 0 or val > run else run
        ring[p] = out[i]
        q = p + 1
        if q == n:
            q = 0
        if j >= n - 1:
            a = ring[q]
            out[i] = sign * (a if a > run else run) if last_nan <= i - n else np.nan
        else:
            out[i] = np.nan
        p = q
    return out
