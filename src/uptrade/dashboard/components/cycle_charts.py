"""Chart builders of the cycles page: the dominant-cycle table, spectral heatmaps, bandpass panels.

Plain functions over the library's results, so the page stays a shell: the dominant cycles come
from :class:`~uptrade.indicators.cycles.MTFCycleDetector` (as ``uptrade cycles``), the spectra
from :mod:`uptrade.indicators.cycle_spectra` (relative power: 1 marks each window's or
timeframe's strongest period), the bandpasses from :func:`~uptrade.indicators.spectral.bandpass`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from uptrade.dashboard.components.charts import Panel, heatmap_figure, price_figure
from uptrade.data.timeframes import parse_timeframe
from uptrade.indicators.cycles import MTFCycles
from uptrade.indicators.spectral import bandpass, hl2

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
