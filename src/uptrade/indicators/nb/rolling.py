"""Windowed and recursive building blocks: O(n) numba kernels (``*_nb``) over 1-D float64 arrays.

Conventions (``shared/spec/INDICATORS.md``): output is NaN until defined; a series that starts
with NaNs starts at its first finite value; windowed kernels give NaN while a NaN is inside
the window (the running sums carry it as 0 and a count, so they recover exactly when it leaves);
recursive kernels hold their state through a NaN bar and repeat the previous value there.
The windowed averages run finite stretches through a loop without that bookkeeping (a NaN
bar ends it, found with one compare per bar; no extra pass over the series) and take the
NaN-aware loop only until the window is clean again; both loops do the same arithmetic.
Updates are arranged for short dependency chains (the EMA's ``e*(1-a) + a*x`` as one fused
multiply-add, :mod:`.fma`; one addition per bar for running sums); results agree with TA-Lib to
~1e-13 relative.
Only plain numba is used (and its public extension API for the FMA intrinsic), so the kernels also
run under numba 0.61 / numpy 2.2.

Every kernel writes into ``out``, an array the caller allocates with NumPy (``np.empty_like``):
NumPy backs large arrays with transparent huge pages and numba's allocator does not, which made
the same loop twice as slow on 10M bars (page faults, not arithmetic).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.indicators.nb.fma import fma_nb


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
def _sma_run_nb(x: np.ndarray, n: int, i0: int, w: float, out: np.ndarray) -> tuple[int, float]:
    """SMA fast path from bar ``i0`` (window before it finite): stops at the next NaN bar."""
    lead = x[i0:]  # slices indexed from 0: no negative-index handling in the loop
    trail = x[i0 - n + 1 :]
    dst = out[i0:]
    r = 1.0 / n
    for k in range(lead.shape[0]):
        v = lead[k]
        if np.isnan(v):
            return i0 + k, w
        dst[k] = (w + v) * r
        w += v - trail[k]
    return x.shape[0], w


@njit(cache=True, error_model="numpy")
def sma_nb(x: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
    """Mean of the last ``n`` values; NaN while the window holds a NaN.

    ``w`` is the sum of the previous ``n - 1`` values, so the only loop-carried work per bar
    is one addition of ``(new - leaving)``: half TA-Lib's dependency chain (add, then
    subtract), which is what bounds a running sum's speed; the mean multiplies by ``1/n``
    (a division per bar would bound the loop instead, at about twice the time). Finite stretches run a loop with
    no NaN bookkeeping (``_sma_run_nb``); from a NaN bar until the window is clean again the
    sums carry NaN as 0 and a count. Both paths do the same arithmetic on finite values.
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
    i = start + n - 1
    while i < size:
        if nans == 0:
            i, w = _sma_run_nb(x, n, i, w, out)
            if i >= size:
                break
        v = x[i]
        old = x[i - n + 1]
        v_nan = np.isnan(v)
        fv = 0.0 if v_nan else v
        fold = 0.0 if np.isnan(old) else old
        nans += v_nan
        out[i] = (w + fv) * (1.0 / n) if nans == 0 else np.nan
        nans -= np.isnan(old)
        w += fv - fold
        i += 1
    return out


@njit(cache=True, error_model="numpy")
def _pw_run_nb(
    x: np.ndarray, n: int, i0: int, sy: float, sty: float, lsma: bool, out: np.ndarray
) -> tuple[int, float, float]:
    """WMA / LSMA fast path from bar ``i0`` (the ``n`` bars before it finite): stops at a NaN bar."""
    lead = x[i0:]
    trail = x[i0 - n :]
    dst = out[i0:]
    for k in range(lead.shape[0]):
        v = lead[k]
        if np.isnan(v):
            return i0 + k, sy, sty
        old = trail[k]
        sty += (n - 1) * v - (sy - old)
        sy += v - old
        dst[k] = _pw_out_nb(n, sy, sty, lsma)
    return x.shape[0], sy, sty


@njit(cache=True, error_model="numpy", inline="always")
def _pw_out_nb(n: int, sy: float, sty: float, lsma: bool) -> float:
    """WMA (weights position + 1) or LSMA end point from the window sums ``sy`` and ``sty``."""
    if not lsma:
        return (sty + sy) * (1.0 / (n * (n + 1) / 2.0))
    if n == 1:
        return sy
    sum_t = n * (n - 1) / 2.0
    div = n * (n * (n - 1) * (2 * n - 1) / 6.0) - sum_t * sum_t
    slope = (n * sty - sum_t * sy) * (1.0 / div)
    return (sy - slope * sum_t) * (1.0 / n) + slope * (n - 1)


@njit(cache=True, error_model="numpy")
def _position_weighted_nb(x: np.ndarray, n: int, out: np.ndarray, lsma: bool) -> np.ndarray:
    """WMA or LSMA from the same two running sums over the window, O(1) per bar.

    ``sy`` is the sum of the window and ``sty`` the sum of position * value (positions 0 oldest
    .. n-1 newest); a NaN counts as 0 in both and blanks the output while it is inside. Once
    the window is full and clean the bars run through ``_pw_run_nb`` (no NaN bookkeeping).
    """
    start = first_valid_nb(x)
    size = x.shape[0]
    _nan_head_nb(out, start + n - 1)
    sy = 0.0
    sty = 0.0
    nans = 0
    i = start
    while i < size:
        if nans == 0 and i - start >= n:
            i, sy, sty = _pw_run_nb(x, n, i, sy, sty, lsma, out)
            if i >= size:
                break
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
            out[i] = np.nan if nans > 0 else _pw_out_nb(n, sy, sty, lsma)
        i += 1
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
            e = fma_nb(e, b, a * v)
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
