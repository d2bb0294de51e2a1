"""Live forms of the spectral indicators equal their batch kernels on real candles (with NaN holes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uptrade.indicators.spectral import (
    HURST_CYCLES,
    BandpassStream,
    DominantCycleStream,
    GoertzelStream,
    dominant_cycle_rolling,
    goertzel_spectrum,
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


def test_bandpass_stream_equals_spectral(hl2: np.ndarray) -> None:
    res = spectral(hl2, None, method="hurst")
    live = BandpassStream()
    rows = [live.update(v) for v in hl2]
    values = np.array([r[0] for r in rows])
    np.testing.assert_array_equal(values, res.cycles.to_numpy())
    np.testing.assert_array_equal([r[1] for r in rows], res.composite.to_numpy())


def test_stream_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="window"):
        GoertzelStream([20.0], 2)
    with pytest.raises(ValueError, match="periods"):
        GoertzelStream([1.5], 50)
    with pytest.raises(ValueError, match="points_per_octave"):
        DominantCycleStream(8, 40, 200, points_per_octave=4)
    with pytest.raises(ValueError, match="bandwidth"):
        BandpassStream([10.0], bandwidth=2.0)
