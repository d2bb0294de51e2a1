"""Spectra of the dominant-cycle scan: one window's, rolling windows', and across timeframes.

What :class:`~uptrade.indicators.cycles.MTFCycleDetector` measures, laid out to be looked at:
the spectrum of the window its table reads (:func:`snapshot_spectrum`), the spectra of rolling
windows over a range (:func:`rolling_spectrum`, a spectrogram) and several timeframes' spectra on
one grid of periods in time units (:func:`timeframe_power`). They use the detector's own settings
(method, window, period band, whitening) and the kernels of :mod:`uptrade.indicators.spectral`.

Power is *relative*: each window's (whitened, when the detector whitens) spectrum divided by its
maximum, so 1 marks the strongest period of that window or timeframe.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from uptrade.data.timeframes import parse_timeframe
from uptrade.errors import ParameterError
from uptrade.indicators.cycles import HURST_HISTORY, MTFCycleDetector
from uptrade.indicators.nb.spectral import whiten_nb
from uptrade.indicators.spectral import dominant_cycle, goertzel_spectrum, hl2, period_grid

#: Columns of the time heatmap unless the page asks for another number.
DEFAULT_COLUMNS = 120
#: Bars per sliding Goertzel pass of the time heatmap: bounds its memory (bars x periods complex values).
CHUNK_BARS = 8192
#: Rows of the heatmap across timeframes (a log-spaced grid of periods).
TIMEFRAME_ROWS = 160


def _relative(periods: np.ndarray, power: np.ndarray, whiten: bool) -> np.ndarray:
    """``power`` (periods along axis 0), whitened by the library's gain when asked, over each column's maximum."""
    if whiten:
        gain = np.empty(periods.shape[0])
        whiten_nb(np.ascontiguousarray(periods, dtype=np.float64), np.ones(periods.shape[0]), gain)
        power = power * (gain[:, None] if power.ndim == 2 else gain)
    with np.errstate(invalid="ignore", divide="ignore"):
        top = np.nanmax(power, axis=0, keepdims=True) if power.ndim == 2 else np.nanmax(power)
        return np.where(top > 0, power / top, np.nan)


def snapshot_spectrum(candles: pd.DataFrame, detector: MTFCycleDetector) -> pd.Series | None:
    """Relative power per period (bars) of the window ending at the last candle, as the detector scans it.

    The window shrinks to the bars there are, as in the detector's table; None when the
    detector would skip the series (too few bars for its ``min_period``).
    """
    frame = candles.dropna(subset=["high", "low"])
    n = len(frame)
    if n < 4 * detector.min_period:
        return None
    w = min(detector.window, n)
    hi = detector.band(w)
    if hi <= detector.min_period:
        return None
    dc = dominant_cycle(
        hl2(frame).to_numpy(), detector.min_period, hi, w,
        points_per_octave=detector.points_per_octave, method=detector.method,
        bandwidth=detector.bandwidth, whiten=detector.whiten,
    )  # fmt: skip
    return pd.Series(_relative(dc.periods, dc.spectrum, detector.whiten), index=dc.periods, name="power")


def spectrum_ends(index: pd.DatetimeIndex, since: pd.Timestamp, columns: int, first: int) -> np.ndarray:
    """Positions of the windows' last bars: every ``stride`` bars from ``since`` (and ``first`` on), ending at the last.

    ``stride`` is the smallest that gives at most ``columns`` windows, so the last bar is always one.
    """
    if columns < 1:
        raise ParameterError(f"columns: must be an integer >= 1, got {columns}")
    pos = np.arange(len(index))
    candidates = pos[(index >= since) & (pos >= first)]
    if candidates.size == 0:
        return candidates
    stride = max(1, math.ceil(candidates.size / columns))
    return candidates[::-1][::stride][::-1]


def _goertzel_power(x: np.ndarray, grid: np.ndarray, window: int, ends: np.ndarray, chunk_bars: int) -> np.ndarray:
    """``|X|^2`` (periods by ends) of the windows ending at ``ends``, from sliding passes of at most ``chunk_bars``.

    Ends whose windows fit in one pass share it; a new pass starts a full window before its first end.
    """
    out = np.empty((grid.shape[0], ends.shape[0]))
    limit = max(chunk_bars, 2 * window)
    j = 0
    while j < ends.shape[0]:
        lo = int(ends[j]) - window + 1
        k = j
        while k + 1 < ends.shape[0] and int(ends[k + 1]) - lo < limit:
            k += 1
        spec = goertzel_spectrum(x[lo : int(ends[k]) + 1], grid, window)[ends[j : k + 1] - lo]
        out[:, j : k + 1] = (spec.real**2 + spec.imag**2).T
        j = k + 1
    return out


def rolling_spectrum(
    candles: pd.DataFrame,
    detector: MTFCycleDetector,
    since: pd.Timestamp,
    columns: int = DEFAULT_COLUMNS,
    chunk_bars: int = CHUNK_BARS,
) -> pd.DataFrame:
    """Relative power of rolling windows of the detector's ``window`` bars: periods (bars) by window end times.

    Goertzel windows come from sliding :func:`goertzel_spectrum` passes over the detector's
    period grid (of at most ``chunk_bars`` bars each); Hurst windows from :func:`dominant_cycle`
    on the ``HURST_HISTORY`` windows of bars ending at each end (as the detector reads them).
    Windows without ``window`` bars of history are left out; an empty frame when none has them.
    """
    frame = candles.dropna(subset=["high", "low"])
    w = detector.window
    hi = detector.band(w)
    grid = period_grid(detector.min_period, hi, detector.points_per_octave, w)[1:-1]
    ends = spectrum_ends(pd.DatetimeIndex(frame.index), since, columns, w - 1)
    if ends.size == 0:
        return pd.DataFrame(index=pd.Index(grid, name="period"), columns=pd.DatetimeIndex([], tz="UTC"), dtype=float)
    x = hl2(frame).to_numpy()
    if detector.method == "goertzel":
        power = _goertzel_power(x, grid, w, ends, chunk_bars)
    else:
        power = np.empty((grid.shape[0], ends.size))
        for j, end in enumerate(ends):
            src = x[max(0, int(end) - HURST_HISTORY * w + 1) : int(end) + 1]
            dc = dominant_cycle(
                src, detector.min_period, hi, w, points_per_octave=detector.points_per_octave,
                method="hurst", bandwidth=detector.bandwidth,
            )  # fmt: skip
            power[:, j] = dc.spectrum
    values = _relative(grid, power, detector.whiten)
    return pd.DataFrame(values, index=pd.Index(grid, name="period"), columns=frame.index[ends])


def timeframe_power(spectra: Mapping[str, pd.Series], rows: int = TIMEFRAME_ROWS) -> tuple[pd.DataFrame, str]:
    """Each timeframe's relative power (index: period in its bars) on one log grid of periods, and its unit.

    The grid spans every timeframe's band in minutes and is labelled in hours, or in days when
    the longest period exceeds two days; a timeframe is NaN outside its own band. A row holds
    the highest power of the timeframe's periods inside it (so a narrow peak keeps its height on
    the coarser common grid), or, where none falls inside, the value interpolated in log period.
    """
    bands = {tf: (s.index.to_numpy(dtype=float) * parse_timeframe(tf).seconds / 60.0, s) for tf, s in spectra.items()}
    if not bands:
        return pd.DataFrame(dtype=float), "hours"
    lo = min(float(m.min()) for m, _ in bands.values())
    hi = max(float(m.max()) for m, _ in bands.values())
    unit, per = ("days", 1440.0) if hi > 2 * 1440.0 else ("hours", 60.0)
    n = max(rows, 2)
    edges = np.geomspace(lo, hi, n + 1)
    centres = np.sqrt(edges[:-1] * edges[1:])
    out = {}
    for tf, (minutes, s) in bands.items():
        power = s.to_numpy(dtype=float)
        binned = np.full(n, np.nan)
        np.fmax.at(binned, np.clip(np.searchsorted(edges, minutes, side="right") - 1, 0, n - 1), power)
        between = np.interp(np.log(centres), np.log(minutes), power)
        inside = (edges[1:] > minutes.min()) & (edges[:-1] <= minutes.max())
        out[tf] = np.where(inside, np.where(np.isnan(binned), between, binned), np.nan)
    return pd.DataFrame(out, index=pd.Index(centres / per, name=f"period ({unit})")), unit
