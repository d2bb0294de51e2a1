"""Chart builders of the cycles page: the dominant-cycle table, spectral heatmaps, bandpass panels.

Plain functions over the library's results, so the page stays a shell: the dominant cycles come
from :class:`~uptrade.indicators.cycles.MTFCycleDetector` (as ``uptrade cycles``), the spectra
from :mod:`uptrade.indicators.spectral` with the detector's own settings (method, window, period
band, whitening), the bandpasses from :func:`~uptrade.indicators.spectral.bandpass`.

Heatmaps show *relative* power: each window's (whitened, when the detector whitens) spectrum
divided by its maximum, so 1 marks the strongest period of that window or timeframe and the
colours compare periods within a column rather than the overall level of the market's swings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from uptrade.dashboard.components.charts import Panel, heatmap_figure, price_figure
from uptrade.data.timeframes import parse_timeframe
from uptrade.errors import ParameterError
from uptrade.indicators.cycles import HURST_HISTORY, MTFCycleDetector, MTFCycles
from uptrade.indicators.nb.spectral import whiten_nb
from uptrade.indicators.spectral import bandpass, dominant_cycle, goertzel_spectrum, hl2, period_grid

#: Columns of the time heatmap unless the page asks for another number.
DEFAULT_COLUMNS = 120
#: Bars per sliding Goertzel pass of the time heatmap: bounds its memory (bars x periods complex values).
CHUNK_BARS = 8192
#: Rows of the heatmap across timeframes (a log-spaced grid of periods).
TIMEFRAME_ROWS = 160
TABLE_COLUMNS = (
    "timeframe", "as of", "bars", "period (bars)", "period", "period (minutes)", "power", "nearest Hurst", "note",
)  # fmt: skip


def period_text(minutes: float) -> str:
    """Minutes as the two largest whole units, e.g. ``2d 4h`` or ``35m`` (``-`` when not finite)."""
    if not math.isfinite(minutes):
        return "-"
    total = round(minutes)
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (mins, "m")) if v]
    return " ".join(parts[:2]) or "0m"


def cycle_table(found: MTFCycles) -> pd.DataFrame:
    """One row per timeframe as ``uptrade cycles`` prints it (numbers kept as numbers), then the skipped ones."""
    rows: list[dict[str, object]] = []
    for tf, r in found.table.iterrows():
        rows.append(
            {
                "timeframe": str(tf),
                "as of": r["time"],
                "bars": int(r["bars"]),
                "period (bars)": float(r["period_bars"]),
                "period": period_text(float(r["period_minutes"])),
                "period (minutes)": float(r["period_minutes"]),
                "power": float(r["power"]),
                "nearest Hurst": str(r["hurst_cycle"]),
                "note": "",
            }
        )
    for tf, reason in found.skipped.items():
        rows.append({"timeframe": tf, "period": "-", "nearest Hurst": "-", "note": f"skipped: {reason}"})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _band(detector: MTFCycleDetector, window: int) -> float:
    """The longest period scanned in a window of ``window`` bars (the detector's rule)."""
    hi = detector.max_period if detector.max_period is not None else window / 3.0
    return min(hi, float(window))


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
    hi = _band(detector, w)
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
    hi = _band(detector, w)
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


def _peaks(power: pd.DataFrame) -> pd.Series:
    """Each column's strongest period (NaN for an empty column)."""
    filled = power.fillna(-np.inf)
    best = filled.to_numpy().argmax(axis=0) if len(power) else np.zeros(power.shape[1], dtype=int)
    values = power.index.to_numpy(dtype=float)[best] if len(power) else np.full(power.shape[1], np.nan)
    return pd.Series(np.where(power.notna().any(axis=0).to_numpy(), values, np.nan), index=power.columns)


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values 1, 2, 5 times powers of ten between ``low`` and ``high`` (a log axis's labels)."""
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low <= high):
        return []
    out = []
    for exp in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        out += [m * 10.0**exp for m in (1, 2, 5) if low <= m * 10.0**exp <= high]
    return out


def _log_y(fig: go.Figure, values: pd.Index) -> None:
    """A log y axis labelled at 1-2-5 steps (plotly's own labels on a short log range are bare digits)."""
    finite = values.to_numpy(dtype=float)
    ticks = log_ticks(float(finite.min()), float(finite.max())) if finite.size else []
    fig.update_yaxes(type="log")
    if len(ticks) >= 2:
        fig.update_yaxes(tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_layout(showlegend=False, margin={"b": 60})


def spectrogram_figure(power: pd.DataFrame, *, title: str, y_title: str = "period (bars)") -> go.Figure:
    """Time heatmap of relative power (periods on a log y axis) with each window's strongest period marked."""
    fig = heatmap_figure(power, title=title, x_title="window end (UTC)", y_title=y_title, colour_title="relative power")
    peaks = _peaks(power)
    fig.add_trace(
        go.Scatter(
            x=list(peaks.index), y=peaks.to_numpy(), mode="markers", name="strongest period",
            marker={"size": 4, "color": "white", "line": {"width": 0.5, "color": "#333"}},
        )
    )  # fmt: skip
    _log_y(fig, power.index)
    return fig


def timeframe_heatmap_figure(power: pd.DataFrame, unit: str, *, title: str) -> go.Figure:
    """Relative power by period (log y, in ``unit``) and timeframe (x), each timeframe's peak marked."""
    fig = heatmap_figure(
        power, title=title, x_title="timeframe", y_title=f"period ({unit})", colour_title="relative power"
    )
    peaks = _peaks(power)
    fig.add_trace(
        go.Scatter(
            x=list(peaks.index), y=peaks.to_numpy(), mode="markers", name="strongest period",
            marker={"size": 9, "symbol": "diamond", "color": "white", "line": {"width": 1, "color": "#333"}},
        )
    )  # fmt: skip
    fig.update_xaxes(type="category")
    _log_y(fig, power.index)
    return fig


def cycle_periods(found: MTFCycles, timeframe: str, chosen: list[str]) -> tuple[dict[str, float], list[str]]:
    """The dominant periods of the ``chosen`` timeframes in bars of ``timeframe``, and those too short to draw.

    A period under two bars of ``timeframe`` (a shorter timeframe's cycle on longer bars) cannot
    be filtered and is listed instead.
    """
    minutes = parse_timeframe(timeframe).seconds / 60.0
    periods: dict[str, float] = {}
    short: list[str] = []
    for tf in chosen:
        if tf not in found.table.index:
            continue
        bars = float(found.table.loc[tf, "period_minutes"]) / minutes
        if bars >= 2.0:
            periods[f"{tf} cycle ({bars:.1f} bars)"] = bars
        else:
            short.append(tf)
    return periods, short


def bandpass_lines(candles: pd.DataFrame, periods: Mapping[str, float], bandwidth: float) -> dict[str, pd.Series]:
    """The library's bandpass of the candles' hl2 at each named period (bars), indexed like the candles."""
    src = hl2(candles)
    return {name: pd.Series(bandpass(src, p, bandwidth), index=candles.index, name=name) for name, p in periods.items()}


def bandpass_figure(candles: pd.DataFrame, lines: Mapping[str, pd.Series], *, title: str) -> go.Figure:
    """Price with a panel of bandpass lines (zero-centred oscillators of hl2) on the same time axis."""
    panels = [Panel("bandpass of hl2", lines=lines, levels=(0.0,), height=0.35)] if lines else []
    return price_figure(candles, panels=panels, title=title)
