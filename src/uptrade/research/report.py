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
    for side, symbol, colour in (("BUY", "triangle-up", "#2ca02c"), ("SELL", "triangle-down", "#d62728")):
        part = trades[trades["side"] == side]
        fig.add_trace(
            go.Scatter(
                x=part["open_time"],
                y=part["entry_price"],
                mode="markers",
                marker={"symbol": symbol, "size": 10, "color": colour},
                name=f"open {side.lower()}",
            ),
            row=1,
            col=1,
        )
    closed = trades[trades["close_type"] != "open"]
    for kind, part in closed.groupby("close_type"):
        fig.add_trace(
            go.Scatter(
                x=part["close_time"],
                y=part["close_price"],
                mode="markers",
                marker={"symbol": "x", "size": 9, "color": _CLOSE_COLOURS.get(str(kind), "#000000")},
                name=f"close: {kind}",
            ),
            row=1,
            col=1,
        )
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
    stats_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in stats.items())
    table = trades.to_html(index=False, float_format=lambda v: f"{v:,.6g}", na_rep="-", border=0)
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        + fig.to_html(full_html=False, include_plotlyjs=True)
        + f"<h2>Statistics</h2><table>{stats_rows}</table><h2>Executors ({len(trades)})</h2>{table}</body></html>"
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(out)
    return out
