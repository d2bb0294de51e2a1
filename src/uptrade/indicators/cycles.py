"""Multi-timeframe cycles: the dominant cycle per timeframe, in bars and minutes, and their composite.

``MTFCycleDetector(["5m", "1h", "4h", "1d"]).detect(candles)`` resamples the candles to each
timeframe (or ``detect_store`` reads each from the store, which aggregates from the finest stored
timeframe), finds each timeframe's dominant cycle over its last ``window`` bars
(:func:`uptrade.indicators.spectral.dominant_cycle`), converts it to minutes and names the
nearest Hurst nominal cycle (Hurst's periods are days). The composite is the power-weighted mean
period in minutes; ``suggested_length`` is that composite in bars of the base timeframe (the
shortest one unless given), rounded and clamped to [7, 200], for controllers that size their
indicators by the market's cycle.

In ``detect`` a timeframe with fewer bars than the window uses what it has; one with fewer than
``4 * min_period`` bars is skipped and the reason reported (``skipped``). ``rolling`` gives the
same per base-timeframe bar, causally: every timeframe keeps the full window (NaN until it has
that many bars), and a higher timeframe's value counts from the close of the bar it was
computed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from uptrade.data.frames import infer_timeframe, resample_candles
from uptrade.data.timeframes import parse_timeframe
from uptrade.errors import DataFormatError, NoDataError, ParameterError
from uptrade.indicators.params import check_float, check_int
from uptrade.indicators.spectral import (
    DEFAULT_BANDWIDTH,
    DEFAULT_WINDOW,
    METHODS,
    dominant_cycle,
    dominant_cycle_rolling,
    hl2,
    nearest_hurst,
)

if TYPE_CHECKING:
    from uptrade.data.store import Store

MIN_LENGTH, MAX_LENGTH = 7, 200
#: Extra history the recursive bandpass ("hurst") reads before its window, in windows.
HURST_HISTORY = 4
_DAY_MINUTES = 1440.0


@dataclass(frozen=True)
class MTFCycles:
    """One detection: a row per timeframe, the composite and the suggested base-timeframe length."""

    table: pd.DataFrame
    composite_period_minutes: float
    suggested_length: int
    base_timeframe: str
    method: str
    skipped: dict[str, str] = field(default_factory=dict)

    def rows(self, symbol: str) -> list[dict[str, Any]]:
        """Rows for the ``dominant_cycles`` table (one per detected timeframe)."""
        return [
            {
                "time": r.time,
                "symbol": symbol,
                "timeframe": tf,
                "method": self.method,
                "period": r.period_bars,
                "power": r.power,
                "composite": self.composite_period_minutes,
                "period_minutes": r.period_minutes,
                "hurst_cycle": r.hurst_cycle,
                "suggested_length": self.suggested_length,
                "base_timeframe": self.base_timeframe,
            }
            for tf, r in self.table.iterrows()
        ]


def suggested_length(period_minutes: float, base_minutes: float) -> int:
    """``period_minutes`` in bars of ``base_minutes``, rounded and clamped to [7, 200]."""
    if not np.isfinite(period_minutes):
        raise NoDataError("period_minutes: no finite composite period (no timeframe had a cycle)")
    return int(min(max(round(period_minutes / base_minutes), MIN_LENGTH), MAX_LENGTH))


class MTFCycleDetector:
    """Dominant cycles across timeframes (see the module docstring)."""

    def __init__(
        self,
        timeframes: Sequence[str] = ("5m", "1h", "4h", "1d"),
        *,
        base_timeframe: str | None = None,
        method: str = "goertzel",
        window: int = DEFAULT_WINDOW,
        min_period: float = 8.0,
        max_period: float | None = None,
        points_per_octave: int = 16,
        bandwidth: float = DEFAULT_BANDWIDTH,
        whiten: bool = True,
    ) -> None:
        if isinstance(timeframes, str):
            timeframes = [t for t in timeframes.split(",") if t.strip()]
        tfs = sorted({parse_timeframe(t.strip()) for t in timeframes})
        if not tfs:
            raise ParameterError("timeframes: give at least one timeframe")
        if method not in METHODS:
            raise ParameterError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
        self.timeframes = [t.name for t in tfs]
        self.base_timeframe = parse_timeframe(base_timeframe or self.timeframes[0]).name
        self.method = method
        self.window = check_int("window", window, 3)
        self.min_period = check_float("min_period", min_period, 2.0)
        self.max_period = None if max_period is None else check_float("max_period", max_period, self.min_period)
        self.points_per_octave = points_per_octave
        self.bandwidth = bandwidth
        self.whiten = bool(whiten)

    def _options(self) -> dict[str, Any]:
        """Keyword options shared by the snapshot and the rolling scan."""
        return {
            "points_per_octave": self.points_per_octave,
            "method": self.method,
            "bandwidth": self.bandwidth,
            "whiten": self.whiten,
        }

    def _minutes(self, tf: str) -> float:
        return parse_timeframe(tf).seconds / 60.0

    def band(self, window: int) -> float:
        """The longest period scanned in a window of ``window`` bars: ``max_period``, else a third of it."""
        hi = self.max_period if self.max_period is not None else window / 3.0
        return min(hi, float(window))

    def _scan(self, n: int) -> tuple[int, float | None] | None:
        """(window, max_period) for a series of ``n`` bars, or None when it is too short."""
        if n < 4 * self.min_period:
            return None
        w = min(self.window, n)
        return w, self.band(w)

    def _source(self, candles: pd.DataFrame, source_timeframe: str | None) -> tuple[pd.DataFrame, str]:
        if not isinstance(candles.index, pd.DatetimeIndex):
            raise DataFormatError("candles: expected a DatetimeIndex of bar open times")
        source = parse_timeframe(source_timeframe).name if source_timeframe else infer_timeframe(candles.index)
        return candles, source

    def _frames(self, candles: pd.DataFrame, source: str) -> dict[str, pd.DataFrame | str]:
        out: dict[str, pd.DataFrame | str] = {}
        for tf in self.timeframes:
            if not parse_timeframe(source).divides(parse_timeframe(tf)):
                out[tf] = f"cannot be built from {source} candles"
            else:
                out[tf] = resample_candles(candles, source, tf)
        return out

    def _detect(self, frames: dict[str, pd.DataFrame | str]) -> MTFCycles:
        rows: dict[str, dict[str, Any]] = {}
        skipped: dict[str, str] = {}
        for tf, got in frames.items():
            if isinstance(got, str):
                skipped[tf] = got
                continue
            frame = got.dropna(subset=["high", "low"])
            scan = self._scan(len(frame))
            if scan is None:
                skipped[tf] = f"only {len(frame)} bars (needs {int(np.ceil(4 * self.min_period))})"
                continue
            w, hi = scan
            if hi is not None and hi <= self.min_period:
                skipped[tf] = f"window {w} too short for min_period {self.min_period:g}"
                continue
            dc = dominant_cycle(hl2(frame).to_numpy(), self.min_period, hi, w, **self._options())
            if not np.isfinite(dc.period):
                skipped[tf] = f"no spectral peak between {self.min_period:g} and {hi:g} bars"
                continue
            minutes = dc.period * self._minutes(tf)
            rows[tf] = {
                "time": frame.index[-1],
                "bars": w,
                "period_bars": dc.period,
                "period_minutes": minutes,
                "power": dc.power,
                "hurst_cycle": nearest_hurst(minutes / _DAY_MINUTES),
            }
        table = pd.DataFrame.from_dict(
            rows,
            orient="index",
            columns=["time", "bars", "period_bars", "period_minutes", "power", "hurst_cycle"],
        ).rename_axis("timeframe")
        table["time"] = pd.DatetimeIndex(table["time"], tz="UTC").as_unit("ns")  # same dtype from any source
        ok = table[np.isfinite(table["period_minutes"].astype(float)) & (table["power"].astype(float) > 0)]
        if ok.empty:
            reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items()) or "no cycle found"
            raise NoDataError(f"timeframes: no dominant cycle on any timeframe ({reasons})")
        weights = ok["power"].astype(float).to_numpy()
        composite = float(np.sum(weights * ok["period_minutes"].astype(float).to_numpy()) / weights.sum())
        length = suggested_length(composite, self._minutes(self.base_timeframe))
        return MTFCycles(table, composite, length, self.base_timeframe, self.method, skipped)

    def detect(self, candles: pd.DataFrame, source_timeframe: str | None = None) -> MTFCycles:
        """Detect on ``candles`` (UTC DatetimeIndex), resampled to each timeframe."""
        candles, source = self._source(candles, source_timeframe)
        return self._detect(self._frames(candles, source))

    def detect_store(self, store: Store, symbol: str, end: object = None) -> MTFCycles:
        """Detect on the store's candles of ``symbol`` up to ``end`` (default: the latest)."""
        history = self.window * (HURST_HISTORY if self.method == "hurst" else 1)
        frames: dict[str, pd.DataFrame | str] = {}
        for tf in self.timeframes:
            frame = store.read_ohlcv(symbol, tf, end=end, limit=history)
            frames[tf] = frame if not frame.empty else f"no {tf} candles of {symbol} in the store (nor finer ones)"
        return self._detect(frames)

    def rolling(self, candles: pd.DataFrame, source_timeframe: str | None = None) -> pd.DataFrame:
        """Per base-timeframe bar: each timeframe's dominant period in minutes and power, the composite
        and ``suggested_length`` (causal; NaN/0 until defined)."""
        candles, source = self._source(candles, source_timeframe)
        base = resample_candles(candles, source, self.base_timeframe)
        base_close = base.index + pd.Timedelta(minutes=self._minutes(self.base_timeframe))
        out = pd.DataFrame(index=base.index)
        minutes_cols, power_cols = [], []
        for tf, got in self._frames(candles, source).items():
            if isinstance(got, str):
                continue
            frame = got.dropna(subset=["high", "low"])
            # a fixed window (never the shrunk one a short history gets in ``detect``): causal
            w = self.window
            hi = self.max_period if self.max_period is not None else w / 3.0
            dc = dominant_cycle_rolling(hl2(frame).to_numpy(), self.min_period, hi, w, **self._options())
            closes = frame.index + pd.Timedelta(minutes=self._minutes(tf))
            # the value of the last bar of ``tf`` that has closed by each base bar's close
            pos = np.searchsorted(closes.asi8, base_close.as_unit(closes.unit).asi8, side="right") - 1
            valid = pos >= 0
            for col, values in (("minutes", dc["period"].to_numpy() * self._minutes(tf)), ("power", dc["power"])):
                aligned = np.full(len(base), np.nan)
                aligned[valid] = np.asarray(values, dtype=float)[pos[valid]]
                out[f"{col}_{tf}"] = aligned
            minutes_cols.append(f"minutes_{tf}")
            power_cols.append(f"power_{tf}")
        m = out[minutes_cols].to_numpy()
        p = out[power_cols].to_numpy()
        ok = np.isfinite(m) & np.isfinite(p) & (p > 0)
        wsum = np.where(ok, p, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            composite = np.where(wsum > 0, np.where(ok, p * m, 0.0).sum(axis=1) / wsum, np.nan)
        out["composite_period_minutes"] = composite
        base_minutes = self._minutes(self.base_timeframe)
        length = np.clip(np.round(composite / base_minutes), MIN_LENGTH, MAX_LENGTH)
        out["suggested_length"] = np.where(np.isfinite(composite), length, 0).astype(np.int64)
        return out
