"""The first numba kernels: TA-Lib agreement on real candles and random data, NaN rules, causality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from uptrade.indicators.nb import ema_nb, linreg_nb, rolling_extreme_nb, sma_nb, wma_nb

WINDOWS = (2, 3, 5, 14, 30, 100)
KERNELS = {
    "SMA": (lambda x, n: sma_nb(x, n, np.empty_like(x)), talib.SMA),
    "EMA": (lambda x, n: ema_nb(x, n, np.nan, np.empty_like(x)), talib.EMA),
    "WMA": (lambda x, n: wma_nb(x, n, np.empty_like(x)), talib.WMA),
    "LINEARREG": (lambda x, n: linreg_nb(x, n, np.empty_like(x)), talib.LINEARREG),
    "MAX": (lambda x, n: rolling_extreme_nb(x, n, True, np.empty_like(x)), talib.MAX),
    "MIN": (lambda x, n: rolling_extreme_nb(x, n, False, np.empty_like(x)), talib.MIN),
}


def _series(btc_1h: pd.DataFrame, eth_1h: pd.DataFrame) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(4)
    return {
        "btc_close": btc_1h["close"].to_numpy("float64"),
        "eth_high": eth_1h["high"].to_numpy("float64"),
        "eth_volume": eth_1h["volume"].to_numpy("float64"),
        "random_walk": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 20_000))),
        "random_normal": rng.normal(0, 1, 20_000),
    }


def assert_close(ours: np.ndarray, ref: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-9, atol=1e-9 * np.nanmax(np.abs(ref)))


@pytest.mark.parametrize("name", list(KERNELS))
def test_kernels_agree_with_talib(name: str, btc_1h: pd.DataFrame, eth_1h: pd.DataFrame) -> None:
    ours, ref = KERNELS[name]
    for x in _series(btc_1h, eth_1h).values():
        for n in WINDOWS:
            assert_close(ours(x, n), ref(x, n))


def _slow_window(x: np.ndarray, n: int, fn) -> np.ndarray:
    """Independent reference: the spec's definition evaluated window by window."""
    out = np.full(len(x), np.nan)
    start = int(np.argmax(np.isfinite(x))) if np.isfinite(x).any() else len(x)
    for i in range(start + n - 1, len(x)):
        w = x[i - n + 1 : i + 1]
        if np.isfinite(w).all():
            out[i] = fn(w)
    return out


def _slow_linreg(w: np.ndarray) -> float:
    if len(w) == 1:
        return float(w[0])
    t = np.arange(len(w), dtype="float64")
    slope, intercept = np.polyfit(t, w, 1)
    return intercept + slope * (len(w) - 1)


SLOW = {
    "SMA": np.mean,
    "WMA": lambda w: float(np.dot(w, np.arange(1, len(w) + 1)) / (len(w) * (len(w) + 1) / 2)),
    "LINEARREG": _slow_linreg,
    "MAX": np.max,
    "MIN": np.min,
}


@pytest.mark.parametrize("name", list(SLOW))
def test_windowed_kernels_skip_leading_nans_and_blank_windows_with_a_nan(name: str) -> None:
    rng = np.random.default_rng(9)
    x = 50 + np.cumsum(rng.normal(0, 1, 600))
    x[:7] = np.nan  # leading gap: the series starts at bar 7
    x[[100, 101, 300]] = np.nan  # interior gaps: windows that contain them are NaN, then exact again
    for n in (1, 4, 13):
        got = KERNELS[name][0](x, n)
        want = _slow_window(x, n, SLOW[name])
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got[~np.isnan(want)], want[~np.isnan(want)], rtol=1e-10)


def test_ema_holds_its_state_through_a_missing_bar() -> None:
    x = np.array([np.nan, np.nan, 1.0, 2.0, 3.0, 4.0, np.nan, 6.0, 7.0])
    got = ema_nb(x, 3, np.nan, np.empty_like(x))
    a = 0.5
    e = (1 + 2 + 3) / 3  # seeded at the third finite value (bar 4)
    want = [np.nan] * 4 + [e]
    e = (4 - e) * a + e
    want += [e, e]  # bar 6 is missing: the state and the value are held
    for v in (6.0, 7.0):
        e = (v - e) * a + e
        want.append(e)
    np.testing.assert_allclose(got, want, rtol=1e-15, equal_nan=True)


@pytest.mark.parametrize("name", list(KERNELS))
def test_kernels_are_causal(name: str, btc_1h: pd.DataFrame) -> None:
    x = btc_1h["close"].to_numpy("float64")[:3000].copy()
    x[1500] = np.nan
    full = KERNELS[name][0](x, 20)
    for k in (1, 19, 20, 21, 777, 1500, 1501, 1520, 2999):
        np.testing.assert_array_equal(KERNELS[name][0](x[:k].copy(), 20), full[:k])


finite_or_nan = st.one_of(st.floats(-1e6, 1e6), st.just(np.nan), st.just(0.0))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 60), elements=finite_or_nan), st.integers(1, 12))
def test_kernels_never_crash_and_stay_within_the_window_range(x: np.ndarray, n: int) -> None:
    for name in ("SMA", "WMA", "EMA", "MAX", "MIN"):
        got = KERNELS[name][0](x, n)
        assert got.shape == x.shape
        finite = np.isfinite(got)
        if finite.any():
            lo, hi = np.nanmin(x), np.nanmax(x)
            span = 1e-9 * max(1.0, abs(lo), abs(hi))
            assert (got[finite] >= lo - span).all(), name
            assert (got[finite] <= hi + span).all(), name
    const = np.full(50, 3.25)
    for name in KERNELS:
        got = KERNELS[name][0](const, n)
        np.testing.assert_allclose(got[n - 1 :], 3.25, rtol=1e-12)
