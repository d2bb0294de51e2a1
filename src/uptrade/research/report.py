"""HTML report of a backtest (plotly): price with entries and exits, equity, drawdown, trades, stats.

One self-contained file (plotly.js inlined, so it opens offline). The figure has three rows
sharing the time axis: candles with a marker per executor open and close (coloured by side and
close type), the equity curve, and the drawdown from its running peak. Below it come the
statistics and the trades table.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_CLOSE_COLOURS = {
    "take_profit": "#2ca02c",
    "stop_loss": "#d62728",
    "trailing_stop": "#ff7f0e",
    "time_limit": "#9467bd",
    "signal": "#1f77b4",
    "open": "#7f7f7f",
}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    return str(value)


def _rows(values: dict[str, Any]) -> str:
    """Table rows (name, formatted value) of a mapping."""
    return "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in values.items())


def _frame_html(frame: pd.DataFrame, index: bool) -> str:
    """A table as HTML: 6 significant digits, ``-`` for missing values."""
    return frame.to_html(index=index, float_format=lambda v: f"{v:,.6g}", na_rep="-", border=0)


def _write_page(path: str | Path, title: str, content: str) -> Path:
    """Write the page ``title`` + ``content`` to ``path`` through a temporary file (never half a report)."""
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(out)
    return out


def figure(candles: pd.DataFrame, trades: pd.DataFrame, equity: pd.Series) -> Any:
    """The three-row plotly figure (price and executors, equity, drawdown)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, row_heights=[0.6, 0.2, 0.2], vertical_spacing=0.03)
    fig.add_trace(
        go.Candlestick(
            x=candles.index,
            open=candles["open"],
            high=candles["high"],
            low=candles["low"],
            close=candles["close"],
            name="price",
        ),
        row=1,
        col=1,
    )

    def markers(x: pd.Series, y: pd.Series, name: str, symbol: str, size: int, colour: str) -> None:
        marker = {"symbol": symbol, "size": size, "color": colour}
        fig.add_trace(go.Scatter(x=x, y=y, mode="markers", marker=marker, name=name), row=1, col=1)

    for side, symbol, colour in (("BUY", "triangle-up", "#2ca02c"), ("SELL", "triangle-down", "#d62728")):
        part = trades[trades["side"] == side]
        markers(part["open_time"], part["entry_price"], f"open {side.lower()}", symbol, 10, colour)
    closed = trades[trades["close_type"] != "open"]
    for kind, part in closed.groupby("close_type"):
        colour = _CLOSE_COLOURS.get(str(kind), "#000000")
        markers(part["close_time"], part["close_price"], f"close: {kind}", "x", 9, colour)
    fig.add_trace(go.Scatter(x=equity.index, y=equity.to_numpy(), name="equity"), row=2, col=1)
    peak = np.maximum.accumulate(equity.to_numpy(dtype=float))
    fig.add_trace(
        go.Scatter(x=equity.index, y=(equity.to_numpy(dtype=float) - peak) / peak, name="drawdown", fill="tozeroy"),
        row=3,
        col=1,
    )
    fig.update_layout(xaxis_rangeslider_visible=False, height=900, margin={"t": 40})
    fig.update_yaxes(title_text="price", row=1, col=1)
    fig.update_yaxes(title_text="equity", row=2, col=1)
    fig.update_yaxes(title_text="drawdown", tickformat=".1%", row=3, col=1)
    return fig


def write_report(
    path: str | Path,
    candles: pd.DataFrame,
    trades: pd.DataFrame,
    equity: pd.Series,
    stats: dict[str, Any],
    title: str = "Backtest",
) -> Path:
    """Write the report to ``path`` (created or replaced); returns the path."""
    fig = figure(candles, trades, equity)
    table = _frame_html(trades, index=False)
    content = (
        fig.to_html(full_html=False, include_plotlyjs=True)
        + f"<h2>Statistics</h2><table>{_rows(stats)}</table><h2>Executors ({len(trades)})</h2>{table}"
    )
    return _write_page(path, title, content)


def _axis(values: pd.Series) -> list[Any]:
    """Sorted distinct values of a dimension, ``none`` (NaN) last."""
    distinct = list(dict.fromkeys(values.tolist()))
    numbers = sorted(
        v for v in distinct if isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))
    )
    words = sorted(str(v) for v in distinct if isinstance(v, str))
    blanks = [v for v in distinct if v is None or (isinstance(v, float) and math.isnan(v))]
    return numbers + words + (["none"] if blanks else [])


def sweep_figures(table: pd.DataFrame, names: list[str], column: str, max_pairs: int = 6) -> list[Any]:
    """Heatmaps of ``column`` over each pair of varied dimensions (the best over the others, eligible points only)."""
    import plotly.graph_objects as go

    data = table[table["eligible"]].copy()
    for name in names:
        data[name] = data[name].map(lambda v: "none" if v is None or (isinstance(v, float) and math.isnan(v)) else v)
    varied = [n for n in names if table[n].nunique(dropna=False) > 1]
    figs: list[Any] = []
    if len(varied) == 1:
        x = varied[0]
        best = data.groupby(x, sort=False)[column].max()
        axis = [v for v in _axis(table[x]) if v in best.index]
        fig = go.Figure(go.Scatter(x=[str(v) for v in axis], y=[best[v] for v in axis], mode="lines+markers"))
        fig.update_layout(title=f"{column} by {x}", xaxis_title=x, yaxis_title=column, height=400)
        figs.append(fig)
    pairs = [(a, b) for i, a in enumerate(varied) for b in varied[i + 1 :]][:max_pairs]
    for x, y in pairs:
        best = data.groupby([y, x], sort=False)[column].max()
        xs, ys = _axis(table[x]), _axis(table[y])
        z = [[best.get((vy, vx), np.nan) for vx in xs] for vy in ys]
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=[str(v) for v in xs],
                y=[str(v) for v in ys],
                colorscale="RdYlGn",
                colorbar={"title": column},
                hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{column}=%{{z:.4f}}<extra></extra>",
            )
        )
        fig.update_layout(title=f"best {column} by {x} and {y}", xaxis_title=x, yaxis_title=y, height=450)
        figs.append(fig)
    return figs


def walk_forward_figure(folds: pd.DataFrame) -> Any:
    """In-sample against out-of-sample objective per fold (bars)."""
    import plotly.graph_objects as go

    labels = [f"{r.fold}: {r.test_start:%Y-%m-%d}" for r in folds.itertuples()]
    fig = go.Figure(
        [
            go.Bar(x=labels, y=folds["is_objective"], name="in sample (train, best point)"),
            go.Bar(x=labels, y=folds["oos_objective"], name="out of sample (test, same point)"),
        ]
    )
    fig.update_layout(barmode="group", title="walk-forward: the train window's best point on the next test window")
    fig.update_layout(xaxis_title="fold: test start", height=420)
    return fig


def write_optimize_report(
    path: str | Path, result: Any, names: list[str], title: str = "Optimisation", top: int = 50
) -> Path:
    """Heatmaps, the top points, and the walk-forward folds of an :class:`~uptrade.research.optimize.OptimizeResult`."""
    from uptrade.research.optimize import OBJECTIVES

    column = OBJECTIVES[result.objective]
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=i == 0)
        for i, fig in enumerate(sweep_figures(result.table, names, column))
    ]
    summary = ""
    if result.folds is not None:
        parts.append(walk_forward_figure(result.folds).to_html(full_html=False, include_plotlyjs=not parts))
        folds = _frame_html(result.folds, index=False)
        summary = f"<h2>Walk-forward</h2><table>{_rows(result.walk_forward)}</table><h3>Folds</h3>{folds}"
    best = result.table.sort_values("rank").head(top)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    content = (
        f"<p>objective: {html.escape(result.objective)}; points: {len(result.table):,}; "
        f"eligible (at least {result.min_trades} executors): {int(result.table['eligible'].sum()):,}</p>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "".join(parts)
        + summary
        + f"<h2>Top {len(best)} points (whole period)</h2>"
        + _frame_html(best, index=True)
    )
    return _write_page(path, title, content)
