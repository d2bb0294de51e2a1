"""Spectral analysis: Hurst bandpass cycles, Goertzel amplitude/phase, dominant cycle (spec section 4).

``spectral(hl2, method="goertzel")`` gives one oscillator per cycle (the 11 Hurst nominal cycles
by default, or any periods) and their ``composite``; ``dominant_cycle`` scans a log-spaced period
grid for the strongest cycle of the last ``window`` bars, and ``dominant_cycle_rolling`` does so
at every bar (causal), for controllers that adapt their lengths.

Choices the spec leaves open:

- The Goertzel window is indexed ``j = 0`` (oldest) .. ``W-1`` (the bar itself); the taper is
  NumPy's symmetric Hann (``numpy.hanning``), so the newest and oldest bars weigh 0 and the
  phase is carried to the bar itself: ``value = amplitude * cos(phase + 2 pi (W-1) / P)``.
- The sliding update is re-anchored (summed directly) every ``window`` bars. With the defaults
  it stays within 2e-10 relative of an extended-precision direct sum at every bar of 150,000
  real 1-minute bars; where the sum cancels (``|X|`` 1e7 times below ``sum |w d|``, e.g. at the
  Nyquist period) it stays within the error bound of any float64 evaluation of that sum
  (``tests/test_spectral.py``).
- Whitening (``whiten=True``; the default of :class:`~uptrade.indicators.cycles.MTFCycleDetector`,
  not of :func:`dominant_cycle`): prices are close to a random walk, whose power falls as
  ``1/f^2``, so the raw spectrum's maximum is nearly always the longest period scanned. Whitening
  multiplies the power by ``4 sin^2(pi/P)``, the gain of first differences: it ranks periods by
  the spectrum of returns, where a random walk is flat and a cycle stands out. On a white
  background (the spec's planted-cycle test) it would favour short periods, so
  :func:`dominant_cycle` leaves it off unless asked. (Fitting the background instead, by least
  squares or Theil-Sen in log-log, was tried: a strong cycle's lobe covers up to a quarter of
  a log-spaced band and tilts the fit towards itself.)
- The dominant cycle is the highest (whitened) grid power in the band; at a band end it is
  refined with the point beyond and clamped, so a cycle just past ``max_period`` reads as
  ``max_period``. Its ``power`` is the share of the band's power in its lobe (the grid points
  between the minima either side), integrated over frequency: each grid power is weighted by
  ``1/P`` because a log grid packs long periods' points closer in frequency. A pure sine gives
  close to 1, white noise a few percent.
- The grid has ``points_per_octave`` points per octave (at least 8), raised when needed so that
  it is never coarser than half a DFT bin at the shortest period (``2 ln2 window / min_period``
  per octave: 107 for period 8 and window 618), or a peak between two points loses its power.
- The peak is refined by a parabola through the log powers of the grid point and its two
  neighbours, in frequency; the grid extends one step beyond each end of the band so the
  refinement also works at the ends, and the result is clamped to the band.
- Method ``"hurst"`` measures power as the mean square of each grid period's bandpass over the
  window. The bandpass is recursive, so it uses all bars before the window too, and it is
  narrow (bandwidth 0.025): it needs several hundred bars to settle (with four windows of
  history it found planted cycles within 0.8%). ``"goertzel"`` is the default, uses only the
  window, and is the one the tests hold to the spec's 5% acceptance.
- NaN: the bandpass (recursive) skips a NaN bar and repeats its last value; Goertzel outputs
  and the Goertzel dominant cycle are NaN while a NaN is inside the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import pandas as pd

from uptrade.errors import DataFormatError, ParameterError
from uptrade.indicators.ma import as_series
from uptrade.indicators.nb.spectral import (
    bandpass_alpha_nb,
    bandpass_nb,
    dominant_bandpass_nb,
    dominant_goertzel_nb,
    dominant_nb,
    goertzel_nb,
    goertzel_tables_nb,
    is_peak_nb,
    lobe_share_nb,
    refine_peak_nb,
    split_tables_nb,
    whiten_nb,
    whiten_sines_nb,
)
from uptrade.indicators.nb.spectral_live import dominant_live_nb, goertzel_live_nb
from uptrade.indicators.params import check_float, check_int

#: Hurst's nominal cycles: name -> period in bars of the daily scale (days).
HURST_CYCLES: dict[str, float] = {
    "5d": 4.3,
    "10d": 8.5,
    "20d": 17.0,
    "40d": 34.1,
    "80d": 68.2,
    "20w": 136.4,
    "40w": 272.8,
    "18m": 545.6,
    "54m": 1636.8,
    "9y": 3273.6,
    "18y": 6547.2,
}
METHODS = ("hurst", "goertzel")
DEFAULT_WINDOW = 618
DEFAULT_BANDWIDTH = 0.025
MIN_POINTS_PER_OCTAVE = 8
#: Periods in bars as callers give them: one, a sequence or an array of them; None for Hurst's cycles.
PeriodsLike: TypeAlias = float | Sequence[float] | np.ndarray | None


class SpectralResult(NamedTuple):
    """Per-bar cycle oscillators, their sum, and (Goertzel only) amplitude and phase."""

    cycles: pd.DataFrame
    composite: pd.Series
    amplitude: pd.DataFrame | None
    phase: pd.DataFrame | None


class DominantCycle(NamedTuple):
    """The strongest cycle of one window: refined period (bars), lobe power share, the spectrum.

    ``spectrum`` is the power ``|X|^2`` per grid period; ``background`` the factor it was
    divided by when whitened (NaN otherwise); ``peaks`` every local maximum of what was ranked
    (columns ``period``, ``power`` share, ``peak`` power), highest first: row 0 is the dominant one.
    """

    period: float
    power: float
    periods: np.ndarray
    spectrum: np.ndarray
    background: np.ndarray
    peaks: pd.DataFrame


def cycle_name(period: float) -> str:
    """The Hurst name of a nominal period, else the period as text (column names)."""
    for name, p in HURST_CYCLES.items():
        if p == period:
            return name
    return f"{period:g}"


def nearest_hurst(period_days: float) -> str:
    """Name of the Hurst nominal cycle nearest to ``period_days`` (in log distance)."""
    names = list(HURST_CYCLES)
    logs = np.log(np.array(list(HURST_CYCLES.values())))
    return names[int(np.argmin(np.abs(logs - np.log(period_days))))]


def _source(src: object) -> tuple[np.ndarray, pd.Index | None]:
    index = src.index if isinstance(src, (pd.Series, pd.DataFrame)) else None
    return as_series(src, "src"), index


def _periods(periods: PeriodsLike) -> np.ndarray:
    if periods is None:
        return np.array(list(HURST_CYCLES.values()))
    arr = np.atleast_1d(np.asarray(periods, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError(f"periods: expected one or more periods, got {periods!r}")
    bad = arr[~(np.isfinite(arr) & (arr >= 2.0))]
    if bad.size:
        raise ParameterError(f"periods: every period must be a finite number >= 2 bars, got {bad[0]!r}")
    return np.ascontiguousarray(arr)


def _window(window: object) -> int:
    return check_int("window", window, 3)


def _bandwidth(bandwidth: object, periods: np.ndarray) -> float:
    bw = check_float("bandwidth", bandwidth, 0.0)
    limit = float(periods.min()) / 8.0  # the filter needs 4*pi*bandwidth/P < pi/2
    if not 0.0 < bw < limit:
        raise ParameterError(
            f"bandwidth: must be in (0, {limit:g}) for a shortest period of {periods.min():g}, got {bw}"
        )
    return bw


def bandpass(src: object, period: float, bandwidth: float = DEFAULT_BANDWIDTH) -> np.ndarray | pd.Series:
    """Ehlers' two-pole bandpass of ``src`` at ``period`` bars (same type as ``src``)."""
    x, index = _source(src)
    p = _periods(period)
    if p.size != 1:
        raise ParameterError(f"period: expected one period, got {period!r}")
    out = bandpass_nb(x, float(p[0]), _bandwidth(bandwidth, p), np.empty_like(x))
    return out if index is None else pd.Series(out, index=index, name=cycle_name(float(p[0])))


def goertzel_spectrum(
    src: object,
    periods: PeriodsLike = None,
    window: int = DEFAULT_WINDOW,
    *,
    detrend: bool = True,
    taper: bool = True,
) -> np.ndarray:
    """Complex spectrum ``X[t, p]`` of the last ``window`` bars at each period; NaN until defined."""
    x, _ = _source(src)
    w = _window(window)
    p = _periods(periods)
    return goertzel_nb(x, p, w, bool(detrend), bool(taper), w, _spectrum_out(x.shape[0], p.shape[0]))


def _spectrum_out(n: int, k: int) -> np.ndarray:
    return np.empty((n, k), dtype=np.complex128)


def _taper_sum(window: int, taper: bool) -> float:
    return float(goertzel_tables_nb(np.array([float(window)]), window, taper)[6])


def spectral(
    src: object,
    periods: PeriodsLike = None,
    *,
    method: str = "hurst",
    window: int = DEFAULT_WINDOW,
    bandwidth: float = DEFAULT_BANDWIDTH,
    detrend: bool = True,
    taper: bool = True,
) -> SpectralResult:
    """One oscillator per cycle (bandpass or Goertzel) and their sum; Hurst's 11 cycles by default."""
    x, index = _source(src)
    if index is None:
        index = pd.RangeIndex(x.shape[0])
    p = _periods(periods)
    names = [cycle_name(float(v)) for v in p]
    if method == "hurst":
        bw = _bandwidth(bandwidth, p)
        values = np.column_stack([bandpass_nb(x, float(v), bw, np.empty_like(x)) for v in p])
        cycles = pd.DataFrame(values, index=index, columns=names)
        return SpectralResult(cycles, pd.Series(values.sum(axis=1), index=index, name="composite"), None, None)
    if method != "goertzel":
        raise ParameterError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    w = _window(window)
    spec = goertzel_nb(x, p, w, bool(detrend), bool(taper), w, _spectrum_out(x.shape[0], p.shape[0]))
    amp = 2.0 * np.abs(spec) / _taper_sum(w, bool(taper))
    phase = np.angle(spec)
    values = amp * np.cos(phase + 2.0 * np.pi * (w - 1) / p)
    return SpectralResult(
        pd.DataFrame(values, index=index, columns=names),
        pd.Series(values.sum(axis=1), index=index, name="composite"),
        pd.DataFrame(amp, index=index, columns=names),
        pd.DataFrame(phase, index=index, columns=names),
    )


def hl2(candles: pd.DataFrame) -> pd.Series:
    """``(high + low) / 2`` of a candle frame, the spectral source by default."""
    missing = [c for c in ("high", "low") if c not in candles.columns]
    if missing:
        raise DataFormatError(f"candles: missing column(s) {', '.join(missing)}")
    return ((candles["high"] + candles["low"]) / 2.0).rename("hl2")


def spectral_frame(candles: pd.DataFrame, periods: PeriodsLike = None, **kw: Any) -> SpectralResult:
    """:func:`spectral` of a candle frame's hl2 (``kw`` are :func:`spectral`'s keywords)."""
    return spectral(hl2(candles), periods, **kw)


def period_grid(min_period: float, max_period: float, points_per_octave: int, window: int | None = None) -> np.ndarray:
    """Log-spaced periods from ``min_period`` to ``max_period``, plus one stencil point beyond each end.

    With ``window``, the density is raised where needed so that neighbouring frequencies at the
    shortest period are at most half a DFT bin (``1/(2 window)``) apart: a log grid is coarsest
    in frequency at its short end, and a peak falling between two points 2-3 bins apart (16 per
    octave at period 8 with window 618) loses most of its power, which can hand the dominant
    cycle to a weaker, longer one.
    """
    ppo = float(points_per_octave)
    if window is not None:
        ppo = max(ppo, 2.0 * np.log(2.0) * window / min_period)
    octaves = np.log2(max_period / min_period)
    steps = max(int(np.ceil(octaves * ppo)), 2)
    ratio = (max_period / min_period) ** (1.0 / steps)
    return min_period * ratio ** np.arange(-1, steps + 2, dtype=np.float64)


def _scan_args(
    min_period: object, max_period: object, window: object, points_per_octave: object
) -> tuple[float, float, int, int]:
    w = _window(window)
    lo = check_float("min_period", min_period, 2.0)
    hi = w / 3.0 if max_period is None else check_float("max_period", max_period, 2.0)
    if not lo < hi:
        raise ParameterError(f"max_period: must be greater than min_period ({lo:g}), got {hi:g}")
    if hi > w:
        raise ParameterError(f"max_period: must be <= window ({w}), got {hi:g}")
    ppo = check_int("points_per_octave", points_per_octave, MIN_POINTS_PER_OCTAVE)
    return lo, hi, w, ppo


def _peaks(grid: np.ndarray, power: np.ndarray) -> pd.DataFrame:
    """Every in-band local maximum: refined period, lobe share, peak power; highest peak first."""
    rows = []
    for g in range(1, grid.shape[0] - 1):
        if is_peak_nb(power, g) and power[g] > 0.0:
            period = min(max(1.0 / refine_peak_nb(1.0 / grid, power, g), grid[1]), grid[-2])
            rows.append((period, lobe_share_nb(grid, power, g), float(power[g])))
    peaks = pd.DataFrame(rows, columns=["period", "power", "peak"])
    return peaks.sort_values("peak", ascending=False, ignore_index=True)


def dominant_cycle(
    src: object,
    min_period: float = 8.0,
    max_period: float | None = None,
    window: int = DEFAULT_WINDOW,
    *,
    points_per_octave: int = 16,
    method: str = "goertzel",
    bandwidth: float = DEFAULT_BANDWIDTH,
    whiten: bool = False,
) -> DominantCycle:
    """The strongest cycle of the last ``window`` bars between ``min_period`` and ``max_period``."""
    x, _ = _source(src)
    lo, hi, w, ppo = _scan_args(min_period, max_period, window, points_per_octave)
    grid = period_grid(lo, hi, ppo, w)
    if method == "goertzel":
        if x.shape[0] < w:
            raise DataFormatError(f"src: needs at least window={w} bars, got {x.shape[0]}")
        tail = np.ascontiguousarray(x[-w:])
        if np.isnan(tail).any():
            raise DataFormatError(f"src: the last window={w} bars contain NaN")
        spec = goertzel_nb(tail, grid, w, True, True, w, _spectrum_out(w, grid.shape[0]))[-1]
        power = spec.real**2 + spec.imag**2
    elif method == "hurst":
        if np.count_nonzero(~np.isnan(x)) < w:
            raise DataFormatError(f"src: needs at least window={w} non-NaN bars, got {np.count_nonzero(~np.isnan(x))}")
        power = dominant_bandpass_nb(x, grid, _bandwidth(bandwidth, grid), w, False)[2]
    else:
        raise ParameterError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    work = np.empty_like(power)
    period, share = dominant_nb(grid, power, bool(whiten), work)
    background = power / work if whiten and whiten_nb(grid, power, work) else np.full_like(power, np.nan)
    return DominantCycle(
        float(period), float(share), grid[1:-1].copy(), power[1:-1].copy(), background[1:-1], _peaks(grid, work)
    )


def dominant_cycle_rolling(
    src: object,
    min_period: float = 8.0,
    max_period: float | None = None,
    window: int = DEFAULT_WINDOW,
    *,
    points_per_octave: int = 16,
    method: str = "goertzel",
    bandwidth: float = DEFAULT_BANDWIDTH,
    whiten: bool = False,
) -> pd.DataFrame:
    """Dominant ``period`` (bars) and its ``power`` share at every bar (causal; NaN before ``window - 1``)."""
    x, index = _source(src)
    lo, hi, w, ppo = _scan_args(min_period, max_period, window, points_per_octave)
    grid = period_grid(lo, hi, ppo, w)
    if method == "goertzel":
        period, share = dominant_goertzel_nb(x, grid, w, True, True, w, bool(whiten))
    elif method == "hurst":
        period, share, _ = dominant_bandpass_nb(x, grid, _bandwidth(bandwidth, grid), w, bool(whiten))
    else:
        raise ParameterError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    return pd.DataFrame({"period": period, "power": share}, index=index)


#: What the live sliding-Goertzel kernels take after the bar: buffer, counters, split tables,
#: running sums (re, im), detrend sums, bin coefficients, detrend corrections (c0, c1).
SlidingState: TypeAlias = tuple[
    np.ndarray,
    np.ndarray,
    tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]


def _sliding_state(periods: np.ndarray, window: int, taper: bool) -> tuple[SlidingState, float]:
    """A fresh :data:`SlidingState` for ``periods`` over ``window`` bars, and the taper's sum."""
    tables = goertzel_tables_nb(periods, window, taper)
    bins = tables[2].shape[0]
    state: SlidingState = (
        np.empty(2 * window + 1),
        np.array([0, 0, -1, 0], dtype=np.int64),  # used, bars, last NaN bar, ready
        split_tables_nb(tables[0], tables[1]),
        np.zeros(bins),
        np.zeros(bins),
        np.zeros(4),
        tables[2],
        tables[3],
        tables[4],
    )
    return state, float(tables[6])


class GoertzelStream:
    """Live form of :func:`goertzel_spectrum`: ``update(value)`` returns ``X`` per period for that bar.

    It keeps the last ``window`` values and re-anchors on the batch kernel's schedule, so its
    values equal the batch kernel's on the same series.
    """

    def __init__(
        self,
        periods: PeriodsLike = None,
        window: int = DEFAULT_WINDOW,
        *,
        detrend: bool = True,
        taper: bool = True,
    ) -> None:
        self.periods = _periods(periods)
        self.window = _window(window)
        self.detrend = bool(detrend)
        self._sliding, self.taper_sum = _sliding_state(self.periods, self.window, bool(taper))
        self._out = np.empty(self.periods.shape[0], dtype=np.complex128)

    def update(self, value: float) -> np.ndarray:
        """Consume one bar; the complex spectrum of the window ending at it (NaN until defined)."""
        if goertzel_live_nb(float(value), *self._sliding, self.detrend, self._out):
            return self._out.copy()
        return np.full(self.periods.shape[0], complex(np.nan, np.nan))


class DominantCycleStream:
    """Live form of :func:`dominant_cycle_rolling` (Goertzel): ``update(value) -> (period, power)``.

    One kernel call per bar on state kept here (the window's bars, the sliding sums), so its
    values equal the batch kernel's on the same series.
    """

    def __init__(
        self,
        min_period: float = 8.0,
        max_period: float | None = None,
        window: int = DEFAULT_WINDOW,
        *,
        points_per_octave: int = 16,
        whiten: bool = False,
    ) -> None:
        lo, hi, w, ppo = _scan_args(min_period, max_period, window, points_per_octave)
        self.grid = period_grid(lo, hi, ppo, w)
        self.window = w
        self.whiten = bool(whiten)
        self._sliding = _sliding_state(self.grid, w, True)[0]
        self._sines = whiten_sines_nb(self.grid)
        self._work = np.empty(self.grid.shape[0])

    def update(self, value: float) -> tuple[float, float]:
        """Consume one bar; the dominant period (bars) and its power share (NaN until defined)."""
        return dominant_live_nb(float(value), *self._sliding, self.grid, self._sines, self.whiten, self._work)


class BandpassStream:
    """Live form of the Hurst bandpass bank: ``update(value)`` returns every period's value and the composite."""

    def __init__(self, periods: PeriodsLike = None, bandwidth: float = DEFAULT_BANDWIDTH) -> None:
        self.periods = _periods(periods)
        bw = _bandwidth(bandwidth, self.periods)
        beta = np.cos(2.0 * np.pi / self.periods)
        self._alpha = np.array([bandpass_alpha_nb(float(p), bw) for p in self.periods])
        self._c0 = 0.5 * (1.0 - self._alpha)
        self._c1 = beta * (1.0 + self._alpha)
        self._b1 = np.zeros_like(self.periods)
        self._b2 = np.zeros_like(self.periods)
        self._last = np.full_like(self.periods, np.nan)
        self._x1 = np.nan
        self._x2 = np.nan
        self._seen = 0

    def update(self, value: float) -> tuple[np.ndarray, float]:
        """Consume one bar; (value per period, composite). A NaN bar repeats the last values."""
        v = float(value)
        if not np.isnan(v):
            bp = np.zeros_like(self.periods) if self._seen < 2 else self._c0 * (v - self._x2) + self._c1 * self._b1
            if self._seen >= 2:
                bp = bp - self._alpha * self._b2
            self._b2, self._b1 = self._b1, bp
            self._x2, self._x1 = self._x1, v
            self._seen += 1
            self._last = bp
        return self._last.copy(), float(self._last.sum())
