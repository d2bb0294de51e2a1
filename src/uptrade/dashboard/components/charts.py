"""Plotly chart builders shared by the pages: price with panels, and the display downsampling.

Display only: the pages compute every indicator, signal and statistic on all the bars first and
hand the results here; what is thinned is what the browser draws. Above :data:`MAX_POINTS` bars
the candles are merged into buckets of ``k`` consecutive bars (first open, highest high, lowest
low, last close, summed volume: the candles of a ``k`` times longer timeframe), and lines are
reduced with tsdownsample's MinMax-LTTB, which keeps each line's peaks and troughs. Signal
markers are never thinned: each is drawn at its own bar. Times travel as float milliseconds on
date axes (binary arrays in the figure's JSON, a third of the size of ISO strings), as in the
reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from uptrade.research.report_figures import ms

#: Bars drawn at most per chart: more would be finer than the screen's pixels (a chart is about 1,100 px wide)
#: and slower to draw; a year of 1h candles (8,760) becomes 9-bar buckets.
MAX_POINTS = 1000
UP, DOWN = "#26a69a", "#ef5350"
PALETTE = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


@dataclass
class Panel:
    """One indicator panel under the price: named lines, horizontal levels, and signal markers."""

    title: str
    lines: Mapping[str, pd.Series] = field(default_factory=dict)
    levels: Sequence[float] = ()
    signal: pd.Series | None = None
    height: float = 0.22


def bucket_size(n: int, max_points: int = MAX_POINTS) -> int:
    """Bars per displayed bucket so that ``n`` bars draw as at most ``max_points`` (1: all drawn)."""
    return max(1, math.ceil(n / max(1, max_points)))


def downsample_candles(candles: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """``candles`` merged into buckets of :func:`bucket_size` bars, each at its first bar's time."""
    k = bucket_size(len(candles), max_points)
    if k == 1:
        return candles
    groups = np.arange(len(candles)) // k
    merged = candles.groupby(groups).agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    )
    merged.index = candles.index[::k]
    return merged


def downsample_line(line: pd.Series, max_points: int = MAX_POINTS) -> pd.Series:
    """``line`` reduced to about ``max_points`` points that keep its shape (MinMax-LTTB); NaNs dropped."""
    clean = line.dropna()
    if len(clean) <= max_points or max_points < 4:
        return clean
    from tsdownsample import MinMaxLTTBDownsampler

    x = clean.index.asi8 if isinstance(clean.index, pd.DatetimeIndex) else np.arange(len(clean), dtype=np.int64)
    keep = MinMaxLTTBDownsampler().downsample(x, clean.to_numpy(dtype=np.float64), n_out=max_points)
    return clean.iloc[np.asarray(keep, dtype=np.int64)]


def _markers(fig: go.Figure, signal: pd.Series, long_y: pd.Series, short_y: pd.Series, row: int) -> None:
    """Triangles at every bar where ``signal`` is 1 (below, up) or -1 (above, down)."""
    for value, name, symbol, colour, ys in (
        (1, "buy", "triangle-up", UP, long_y),
        (-1, "sell", "triangle-down", DOWN, short_y),
    ):
        at = signal.index[signal.to_numpy() == value]
        if len(at) == 0:
            continue
        fig.add_trace(
            go.Scatter(
                x=ms(at), y=ys.reindex(at), mode="markers", name=f"{name} ({len(at):,})",
                marker={"symbol": symbol, "size": 9, "color": colour, "line": {"width": 0.5, "color": "#333"}},
            ),
            row=row, col=1,
        )  # fmt: skip


def price_figure(
    candles: pd.DataFrame,
    *,
    overlays: Mapping[str, pd.Series] | None = None,
    signal: pd.Series | None = None,
    panels: Sequence[Panel] = (),
    title: str = "",
    volume: bool = True,
    max_points: int = MAX_POINTS,
) -> go.Figure:
    """Candles (and volume) with ``overlays`` on price, ``signal`` markers, then one row per panel.

    Every series is indexed by the candles' times; long ranges are downsampled for display
    (module docstring), and the title says by how much.
    """
    k = bucket_size(len(candles), max_points)
    shown = downsample_candles(candles, max_points)
    rows = 1 + int(volume) + len(panels)
    heights = [1.0] + ([0.18] if volume else []) + [p.height for p in panels]
    titles = [""] + (["volume"] if volume else []) + [p.title for p in panels]
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.03, row_heights=heights, subplot_titles=titles
    )
    fig.add_trace(
        go.Candlestick(
            x=ms(shown.index), open=shown["open"], high=shown["high"], low=shown["low"], close=shown["close"],
            name="price", increasing_line_color=UP, decreasing_line_color=DOWN, showlegend=False,
        ),
        row=1, col=1,
    )  # fmt: skip
    for i, (name, line) in enumerate((overlays or {}).items()):
        thin = downsample_line(line, max_points)
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            go.Scatter(x=ms(thin.index), y=thin, name=name, line={"width": 1.4, "color": colour}), row=1, col=1
        )
    if signal is not None:
        _markers(fig, signal, candles["low"] * 0.995, candles["high"] * 1.005, row=1)
    if volume:
        colours = np.where(shown["close"].to_numpy() >= shown["open"].to_numpy(), UP, DOWN)
        fig.add_trace(
            go.Bar(x=ms(shown.index), y=shown["volume"], marker_color=colours, name="volume", showlegend=False),
            row=2, col=1,
        )  # fmt: skip
    for j, panel in enumerate(panels):
        row = 2 + int(volume) + j
        for i, (name, line) in enumerate(panel.lines.items()):
            thin = downsample_line(line, max_points)
            colour = PALETTE[i % len(PALETTE)]
            label = f"{panel.title}: {name}"
            trace = go.Scatter(x=ms(thin.index), y=thin, name=label, line={"width": 1.2, "color": colour})
            fig.add_trace(trace, row=row, col=1)
        for level in panel.levels:
            fig.add_hline(y=level, line={"width": 0.8, "dash": "dot", "color": "#999"}, row=row, col=1)
        if panel.signal is not None and panel.lines:
            first = next(iter(panel.lines.values()))
            _markers(fig, panel.signal, first, first, row=row)
    note = f" (drawn in buckets of {k} bars)" if k > 1 else ""
    fig.update_xaxes(type="date")
    fig.update_layout(
        title={"text": f"{title}{note}", "font": {"size": 15}},
        height=420 + 160 * (rows - 1),
        margin={"l": 50, "r": 20, "t": 60, "b": 30},
        xaxis_rangeslider_visible=False,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        hovermode="x unified",
    )
    return fig


def heatmap_figure(
    values: pd.DataFrame, *, title: str, x_title: str, y_title: str, colour_title: str = "", colorscale: str = "Viridis"
) -> go.Figure:
    """``values`` as a heatmap: columns along x, index along y (labels as given; times on a date axis).

    Times travel as float milliseconds.
    """
    dates = isinstance(values.columns, pd.DatetimeIndex)
    fig = go.Figure(
        go.Heatmap(
            z=values.to_numpy(dtype=float), x=ms(values.columns) if dates else list(values.columns),
            y=list(values.index), colorscale=colorscale, colorbar={"title": {"text": colour_title}},
        )
    )  # fmt: skip
    if dates:
        fig.update_xaxes(type="date")
    fig.update_layout(
        title=title, xaxis_title=x_title, yaxis_title=y_title, height=460, margin={"l": 60, "r": 20, "t": 50, "b": 40}
    )
    return fig


def line_figure(lines: Mapping[str, pd.Series], *, title: str, y_title: str = "", fill: bool = False) -> go.Figure:
    """Named series over time on one axis (downsampled for display); ``fill`` shades to zero."""
    fig = go.Figure()
    for i, (name, line) in enumerate(lines.items()):
        thin = downsample_line(line)
        fig.add_trace(
            go.Scatter(
                x=ms(thin.index), y=thin, name=name, line={"width": 1.4, "color": PALETTE[i % len(PALETTE)]},
                fill="tozeroy" if fill else None,
            )
        )  # fmt: skip
    fig.update_xaxes(type="date")
    fig.update_layout(title=title, yaxis_title=y_title, height=360, margin={"l": 60, "r": 20, "t": 50, "b": 30})
    return fig


def coverage_figure(coverage: pd.DataFrame) -> go.Figure:
    """One bar per stored series from its first to its last bar, labelled with rows and missing bars."""
    fig = go.Figure()
    labels = [f"{s} {t}" for s, t in zip(coverage["symbol"], coverage["timeframe"], strict=True)]
    spans = (coverage["last"] - coverage["first"]).dt.total_seconds() * 1000
    colours = [DOWN if m else UP for m in coverage["missing"]]
    text = [f"{r:,} bars, {m:,} missing" for r, m in zip(coverage["rows"], coverage["missing"], strict=True)]
    fig.add_trace(
        go.Bar(
            y=labels, x=spans, base=coverage["first"], orientation="h", marker_color=colours, text=text,
            textposition="inside", insidetextanchor="middle", name="coverage", showlegend=False,
        )
    )  # fmt: skip
    fig.update_xaxes(type="date")
    fig.update_layout(
        title="Stored series (red: with missing bars)",
        height=140 + 36 * len(labels),
        margin={"l": 120, "r": 20, "t": 50, "b": 30},
    )
    return fig
