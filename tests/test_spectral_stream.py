"""Live forms of the spectral indicators equal their batch kernels on real candles (with NaN holes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.refs import spectral_ref as ref
from uptrade.indicators.nb.spectral import dominant_goertzel_nb, dominant_nb, goertzel_nb
from uptrade.indicators.spectral import (
    HURST_CYCLES,
    BandpassStream,
    DominantCycleStream,
    GoertzelStream,
    dominant_cycle_rolling,
    goertzel_spectrum,
    period_grid,
    spectral,
)


@pytest.fixture(scope="module")
def hl2(btc_1h: pd.DataFrame) -> np.ndarray:
    x = ((btc_1h["high"] + btc_1h["low"]) / 2).to_numpy()[-6000:].copy()
    x[1200] = np.nan  # one missing bar, then a short run of them
    x[3000:3004] = np.nan
    return x


@pytest.mark.parametrize(("window", "detrend", "taper"), [(300, True, True), (128, False, True), (200, True, False)])
def test_goertzel_stream_equals_batch_bit_for_bit(hl2: np.ndarray, window: int, detrend: bool, taper: bool) -> None:
    periods = [*list(HURST_CYCLES.values())[:7], 33.3]
    batch = goertzel_spectrum(hl2, periods, window, detrend=detrend, taper=taper)
    live = GoertzelStream(periods, window, detrend=detrend, taper=taper)
    got = np.array([live.update(v) for v in hl2])
    np.testing.assert_array_equal(np.isnan(got.real), np.isnan(batch.real))
    defined = ~np.isnan(batch.real)
    assert defined.sum() > len(hl2) - 4 * window  # the NaN holes blank only their windows
    np.testing.assert_array_equal(got[defined], batch[defined])


@pytest.mark.parametrize("whiten", [False, True])
def test_dominant_cycle_stream_equals_rolling(hl2: np.ndarray, whiten: bool) -> None:
    batch = dominant_cycle_rolling(hl2, 8, 90, 270, whiten=whiten).to_numpy()
    live = DominantCycleStream(8, 90, 270, whiten=whiten)
    got = np.array([live.update(v) for v in hl2])
    np.testing.assert_array_equal(got, batch)
    assert np.isfinite(got[-1]).all()


@pytest.fixture(scope="module")
def m1_holes(btc_1m: pd.DataFrame) -> np.ndarray:
    """40,000 real 1m bars with NaN at the edges of the sliding path: first bars, lone bars, runs, last bar."""
    x = ((btc_1m["high"] + btc_1m["low"]) / 2).to_numpy()[-40_000:].copy()
    x[:3] = np.nan  # warm-up starts after a leading gap
    x[5_000] = np.nan  # a lone missing bar
    x[5_000 + 618] = np.nan  # ... and another exactly one window later (no bar in between is defined)
    x[12_000:12_040] = np.nan  # a run
    x[20_000:20_700] = np.nan  # a run longer than the window
    x[30_001] = np.inf  # a bad tick: finite bars around it, a NaN power inside its window
    x[-1] = np.nan  # the last bar
    return x


@pytest.mark.parametrize(
    ("lo", "hi", "window", "whiten"),
    [(8.0, None, 618, True), (8.0, None, 618, False), (10.0, 60.0, 200, True), (4.0, 9.0, 12, False)],
)
def test_dominant_cycle_stream_equals_rolling_on_long_series(
    m1_holes: np.ndarray, lo: float, hi: float | None, window: int, whiten: bool
) -> None:
    batch = dominant_cycle_rolling(m1_holes, lo, hi, window, whiten=whiten).to_numpy()
    live = DominantCycleStream(lo, hi, window, whiten=whiten)
    got = np.array([live.update(v) for v in m1_holes])
    np.testing.assert_array_equal(got, batch)
    blank = np.isnan(got[:, 0])
    gaps = ref.window_has_nan(m1_holes, window)
    assert blank[gaps].all()  # NaN while a NaN is inside the window ...
    # ... and otherwise only for a flat window (no power) or after the inf bar: its windows and,
    # until the next re-anchor, the sums it left behind (there only equality is checked)
    tick = np.zeros(len(m1_holes), dtype=bool)
    tick[30_001 : 30_001 + 2 * window] = True
    assert (blank & ~gaps & ~tick).sum() <= 5
    assert blank[30_001 : 30_001 + window].all()
    assert blank[window + 1]  # warm-up: the first full window after the leading gap ...
    assert not blank[window + 2]  # ... is the first defined bar


@pytest.mark.parametrize(
    ("whiten", "detrend", "taper"), [(False, True, True), (True, True, True), (True, False, True), (True, True, False)]
)
def test_one_pass_dominant_equals_dominant_of_the_spectrum(
    m1_holes: np.ndarray, whiten: bool, detrend: bool, taper: bool
) -> None:
    """Power, whitening, maximum and band total in one pass give :func:`dominant_nb`'s numbers exactly.

    Both the unrolled loop (Hann: three bins per period) and the general one (no taper).
    """
    x = np.ascontiguousarray(m1_holes[4_000:9_000])
    window = 618
    grid = period_grid(8.0, window / 3.0, 16, window)
    spec = goertzel_nb(x, grid, window, detrend, taper, window, np.empty((x.shape[0], grid.shape[0]), np.complex128))
    power = spec.real**2 + spec.imag**2
    work = np.empty(grid.shape[0])
    want = np.array([dominant_nb(grid, row, whiten, work) for row in power])
    got = np.column_stack(dominant_goertzel_nb(x, grid, window, detrend, taper, window, whiten))
    np.testing.assert_array_equal(got, want)
    assert np.isfinite(got).all(axis=1).sum() > 1_000


def test_bandpass_stream_equals_spectral(hl2: np.ndarray) -> None:
    res = spectral(hl2, None, method="hurst")
    live = BandpassStream()
    rows = [live.update(v) for v in hl2]
    values = np.array([r[0] for r in rows])
    np.testing.assert_array_equal(values, res.cycles.to_numpy())
    np.testing.assert_array_equal([r[1] for r in rows], res.composite.to_numpy())


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_an_infinite_bar_is_a_missing_bar(hl2: np.ndarray, bad: float) -> None:
    """Batch and live, an inf bar blanks what a NaN bar blanks (its window), nothing more.

    Fed to the running sums it would leave them inf - inf = NaN until the next re-anchor, and
    hold the bandpass at NaN for good.
    """
    with_nan, with_inf = hl2.copy(), hl2.copy()
    with_nan[4000], with_inf[4000] = np.nan, bad
    periods = [20.0, 40.0, 80.0]
    np.testing.assert_array_equal(goertzel_spectrum(with_inf, periods, 300), goertzel_spectrum(with_nan, periods, 300))
    want = dominant_cycle_rolling(with_nan, 8, 90, 270).to_numpy()
    np.testing.assert_array_equal(dominant_cycle_rolling(with_inf, 8, 90, 270).to_numpy(), want)
    live = DominantCycleStream(8, 90, 270)
    np.testing.assert_array_equal(np.array([live.update(v) for v in with_inf]), want)
    assert np.isfinite(want[4000 + 270 :]).all()  # defined again one window after the bar
    stream = GoertzelStream(periods, 300)
    np.testing.assert_array_equal(
        np.array([stream.update(v) for v in with_inf]), goertzel_spectrum(with_nan, periods, 300)
    )
    bp = spectral(with_inf, None, method="hurst").composite.to_numpy()
    np.testing.assert_array_equal(bp, spectral(with_nan, None, method="hurst").composite.to_numpy())
    assert np.isfinite(bp[-1])


def test_stream_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="window"):
        GoertzelStream([20.0], 2)
    with pytest.raises(ValueError, match="periods"):
        GoertzelStream([1.5], 50)
    with pytest.raises(ValueError, match="points_per_octave"):
        DominantCycleStream(8, 40, 200, points_per_octave=4)
    with pytest.raises(ValueError, match="bandwidth"):
        BandpassStream([10.0], bandwidth=2.0)
