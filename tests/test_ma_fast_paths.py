"""Fast paths of the TA-Lib-referenced averages: the same values, bit for bit, as the NaN-aware loop.

SMA, WMA, LSMA, TRIMA and KAMA run finite stretches through a loop without NaN bookkeeping and
hand over to the NaN-aware loop at a NaN bar. References here take the NaN-aware path on every
bar: plain-Python loops with the kernels' arithmetic (SMA, WMA, LSMA) and the streaming machines
(SMA, TRIMA, KAMA), on series with gaps at the start, middle and end, at the edges of the
window, single NaN bars, all-NaN and shorter-than-window series. Where TA-Lib is defined (a
finite stretch) the values agree with it too.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from uptrade.indicators.nb.ma_batch import kama_nb, ma_loop_nb, trima_nb
from uptrade.indicators.nb.rolling import linreg_nb, sma_nb, wma_nb


def _nan_aware_sma(x: np.ndarray, n: int) -> np.ndarray:
    """``sma_nb``'s NaN-aware loop on every bar (sum of the previous n - 1 values, NaN as 0)."""
    out = np.full(len(x), np.nan)
    fin = np.flatnonzero(np.isfinite(x))
    if not len(fin):
        return out
    start = int(fin[0])
    w, nans = 0.0, 0
    for i in range(start, min(start + n - 1, len(x))):
        if math.isnan(x[i]):
            nans += 1
        else:
            w += x[i]
    for i in range(start + n - 1, len(x)):
        v, old = x[i], x[i - n + 1]
        fv = 0.0 if math.isnan(v) else v
        nans += math.isnan(v)
        out[i] = (w + fv) * (1.0 / n) if nans == 0 else np.nan
        nans -= math.isnan(old)
        w += fv - (0.0 if math.isnan(old) else old)
    return out


def _nan_aware_pw(x: np.ndarray, n: int, lsma: bool) -> np.ndarray:
    """``_position_weighted_nb``'s NaN-aware loop on every bar (WMA, or LSMA with ``lsma``)."""
    out = np.full(len(x), np.nan)
    fin = np.flatnonzero(np.isfinite(x))
    if not len(fin):
        return out
    start = int(fin[0])
    sy = sty = 0.0
    nans = 0
    sum_t = n * (n - 1) / 2.0
    div = n * (n * (n - 1) * (2 * n - 1) / 6.0) - sum_t * sum_t
    for i in range(start, len(x)):
        v = x[i]
        fv = 0.0 if math.isnan(v) else v
        nans += math.isnan(v)
        k = i - start
        if k < n:
            sty += k * fv
            sy += fv
        else:
            old = x[i - n]
            fold = 0.0 if math.isnan(old) else old
            nans -= math.isnan(old)
            sty += (n - 1) * fv - (sy - fold)
            sy += fv - fold
        if k < n - 1 or nans > 0:
            continue
        if not lsma:
            out[i] = (sty + sy) * (1.0 / (n * (n + 1) / 2.0))
        elif n == 1:
            out[i] = sy
        else:
            slope = (n * sty - sum_t * sy) * (1.0 / div)
            out[i] = (sy - slope * sum_t) * (1.0 / n) + slope * (n - 1)
    return out


def _machine(code: int, x: np.ndarray, n: int) -> np.ndarray:
    return ma_loop_nb(code, x, n, 0.0, 2.0, x, x, x, np.empty_like(x))


KERNELS = {
    "sma": (lambda x, n: sma_nb(x, n, np.empty_like(x)), [_nan_aware_sma, lambda x, n: _machine(0, x, n)]),
    "wma": (lambda x, n: wma_nb(x, n, np.empty_like(x)), [lambda x, n: _nan_aware_pw(x, n, False)]),
    "lsma": (lambda x, n: linreg_nb(x, n, np.empty_like(x)), [lambda x, n: _nan_aware_pw(x, n, True)]),
    "trima": (lambda x, n: trima_nb(x, n, np.empty_like(x)), [lambda x, n: _machine(28, x, n)]),
    "kama": (lambda x, n: kama_nb(x, n, np.empty_like(x)), [lambda x, n: _machine(9, x, n)]),
}
TALIB = {"sma": talib.SMA, "wma": talib.WMA, "lsma": talib.LINEARREG, "trima": talib.TRIMA, "kama": talib.KAMA}


def _walk(size: int, seed: int = 7) -> np.ndarray:
    return 100.0 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, size)))


def _edge_cases(n: int) -> list[np.ndarray]:
    """Series whose NaN bars sit where the fast path starts, stops and resumes."""
    size = 6 * n + 40
    cases = [np.full(size, np.nan), _walk(n - 1), _walk(n), _walk(n + 1), np.empty(0), _walk(size)]
    # leading gaps, a gap ending exactly where the first window fills, single NaN bars at the
    # first output, one bar after it, at the window's far edge, at the last bar
    for bars in (
        [0],
        list(range(5)),
        [n - 1],
        [n],
        [n + 1],
        [2 * n - 1],
        [2 * n],
        [2 * n + 1],
        [size - 1],
        [size - n],
        [3 * n, 3 * n + n - 1],  # two NaNs exactly a window apart
        list(range(2 * n, 3 * n - 1)),  # a gap of n - 1 bars
        list(range(2 * n, 3 * n)),  # n bars
        list(range(2 * n, 3 * n + 1)),  # n + 1 bars
        list(range(size - n, size)),  # trailing gap
        list(range(3, size, n)),  # a NaN every n bars: the window is never clean
        list(range(3, size, n + 1)),  # every n + 1 bars: clean for one bar at a time
        list(range(3, size, 2 * n + 2)),
    ):
        x = _walk(size, seed=len(cases))
        x[bars] = np.nan
        cases.append(x)
    return cases


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize("n", [1, 2, 3, 5, 30])
def test_fast_path_equals_the_nan_aware_loop_at_the_edges(name: str, n: int) -> None:
    if name == "kama" and n < 2:
        n = 2  # TA-Lib's KAMA needs two bars
    kernel, refs = KERNELS[name]
    for x in _edge_cases(n):
        got = kernel(x, n)
        for ref in refs:
            np.testing.assert_array_equal(got, ref(x, n))


gappy = st.lists(
    st.one_of(st.just(np.nan), st.floats(-1e3, 1e3), st.just(0.0), st.just(5.0)),
    min_size=0,
    max_size=90,
)


@settings(max_examples=150, deadline=None)
@given(values=gappy, n=st.integers(1, 12))
def test_fast_path_equals_the_nan_aware_loop_on_random_gaps(values: list[float], n: int) -> None:
    x = np.array(values, dtype=np.float64)
    for name, (kernel, refs) in KERNELS.items():
        w = max(n, 2) if name == "kama" else n
        got = kernel(x, w)
        for ref in refs:
            np.testing.assert_array_equal(got, ref(x, w), err_msg=name)


@pytest.mark.parametrize("name", list(KERNELS))
def test_around_gaps_the_values_agree_with_talib(name: str) -> None:
    """Windowed types restart after a gap (TA-Lib on the finite stretch); KAMA skips NaN bars."""
    x = _walk(3000)
    x[[0, 1, 700, 1500, 1501, 1502]] = np.nan
    n = 14
    got = KERNELS[name][0](x, n)
    if name == "kama":  # a NaN bar is skipped: TA-Lib over the finite bars, the last value held
        fin = ~np.isnan(x)
        want = talib.KAMA(x[fin], n)
        np.testing.assert_allclose(got[fin], want, rtol=1e-9)
        np.testing.assert_array_equal(got[[700, 1500, 1501, 1502]], got[[699, 1499, 1499, 1499]])
        return
    tail = got[1503:]
    want = TALIB[name](x[1503:].copy(), n)
    np.testing.assert_array_equal(np.isnan(tail), np.isnan(want))  # NaN while the gap is inside
    ok = ~np.isnan(want)
    assert ok.sum() > 1400
    np.testing.assert_allclose(tail[ok], want[ok], rtol=1e-9)
    mid = got[2:700]
    np.testing.assert_allclose(mid[n - 1 :], TALIB[name](x[2:700].copy(), n)[n - 1 :], rtol=1e-9)
