"""Plotly figures of the reports: the backtest's panels, monthly returns, sweep heatmaps, walk-forward.

Display only: nothing here changes a computed number. For long ranges the figures thin what
they draw, and say so in the legend or title: more than :data:`MAX_MARKERS` markers of one kind
become an evenly spaced subset, and more than :data:`MAX_CANDLES` bars are drawn as a close
line instead of candles. Times travel as milliseconds since the epoch and indicator lines as
float32, which plotly stores as compact binary arrays, so a two-year hourly report stays small.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from uptrade.research.stats import buy_and_hold, monthly_returns

if TYPE_CHECKING:
    from uptrade.research.config import BacktestConfig

#: Markers of one kind above this count are thinned to an evenly spaced subset of this size.
MAX_MARKERS = 2000
#: Above this many bars the price is a close line rather than candles.
MAX_CANDLES = 20_000

CLOSE_COLOURS = {
    "take_profit": "#2ca02c",
    "stop_loss": "#d62728",
    "trailing_stop": "#ff7f0e",
    "time_limit": "#9467bd",
    "signal": "#1f77b4",
    "open": "#7f7f7f",
}
BUY, SELL = "#2ca02c", "#d62728"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def ms(times: Any) -> np.ndarray:
    """Times as float milliseconds since the epoch (UTC), as plotly's date axes read numbers."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ms").asi8.astype(np.float64)


def thin(n: int, limit: int = MAX_MARKERS) -> np.ndarray:
    """Positions of an evenly spaced subset of ``n`` items, at most ``limit`` of them (all when fewer)."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def _label(name: str, shown: int, total: int) -> str:
    return name if shown == total else f"{name} ({shown:,} of {total:,} shown)"


def _add(fig: Any, trace: Any, row: int, secondary: bool = False) -> None:
    """Add ``trace`` to ``row`` (its own legend beside the row; ``secondary``: the row's right-hand axis)."""
    trace.legend = "legend" if row == 1 else f"legend{row}"
    fig.add_trace(trace, row=row, col=1, secondary_y=secondary or None)


def _markers(fig: Any, x: Any, y: Any, name: str, marker: dict[str, Any], row: int, **kw: Any) -> None:
    """A scatter of markers, thinned to :data:`MAX_MARKERS` (the legend says when)."""
    import plotly.graph_objects as go

    xs, ys = np.asarray(ms(x)), np.asarray(y, dtype=np.float64)
    keep = thin(len(xs))
    label = _label(name, len(keep), len(xs))
    _add(fig, go.Scatter(x=xs[keep], y=ys[keep], mode="markers", marker=marker, name=label, **kw), row)


def _line(fig: Any, times: Any, y: Any, name: str, row: int, secondary: bool = False, **kw: Any) -> None:
    """A float32 line; on a regular time grid (missing bars as gaps) it is sent as ``x0`` + ``dx``, not times."""
    import plotly.graph_objects as go

    x = ms(times)
    values = np.asarray(y, dtype=np.float64).astype(np.float32)
    steps = np.diff(x)
    step = float(np.median(steps)) if steps.size else 0.0
    pos = np.rint((x - x[0]) / step).astype(np.int64) if step > 0 else np.empty(0, np.int64)
    if step > 0 and np.array_equal(x, x[0] + pos * step) and pos[-1] < 1.2 * len(x):
        grid = np.full(int(pos[-1]) + 1, np.nan, dtype=np.float32)
        grid[pos] = values
        trace = go.Scatter(x0=float(x[0]), dx=step, y=grid, mode="lines", name=name, **kw)
    else:
        trace = go.Scatter(x=x, y=values, mode="lines", name=name, **kw)
    _add(fig, trace, row, secondary)


def _price(fig: Any, candles: pd.DataFrame) -> str:
    """Candles, or a close line above :data:`MAX_CANDLES` bars; returns the note for the title."""
    import plotly.graph_objects as go

    if len(candles) > MAX_CANDLES:
        _line(
            fig,
            candles.index,
            candles["close"],
            f"close (line: {len(candles):,} bars)",
            1,
            line={"color": "#444", "width": 1},
        )
        return f"price as a close line ({len(candles):,} bars > {MAX_CANDLES:,})"
    ohlc = {c: candles[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")}
    _add(fig, go.Candlestick(x=ms(candles.index), name="price", **ohlc), 1)
    return ""


def _executors(fig: Any, trades: pd.DataFrame) -> None:
    for side, symbol, colour in (("BUY", "triangle-up", BUY), ("SELL", "triangle-down", SELL)):
        part = trades[trades["side"] == side]
        marker = {"symbol": symbol, "size": 10, "color": colour}
        _markers(fig, part["open_time"], part["entry_price"], f"open {side.lower()}", marker, 1)
    closed = trades[trades["close_type"] != "open"]
    for kind, part in closed.groupby("close_type"):
        marker = {"symbol": "x", "size": 8, "color": CLOSE_COLOURS.get(str(kind), "#000000")}
        _markers(fig, part["close_time"], part["close_price"], f"close: {kind}", marker, 1)


def _source_panel(fig: Any, candles: pd.DataFrame, name: str, params: dict[str, Any], signal: Any, row: int) -> None:
    """One signal source: its indicator's outputs and the bars where its signal fires."""
    from uptrade.indicators.registry import get_indicator
    from uptrade.signals import indicator_frame, parse_source

    info = get_indicator(parse_source(name).indicator)
    frame = indicator_frame(candles, info.name, **params)
    shown = [c for c in (info.show or frame.columns) if c not in ("close", "signal") and frame[c].dtype.kind == "f"]
    close = candles["close"].to_numpy(dtype=np.float64)
    value = info.value if info.value in shown else shown[0]

    def size(col: str) -> float:
        data = np.abs(frame[col].to_numpy(dtype=np.float64))
        data = data[np.isfinite(data)]
        return float(np.percentile(data, 95)) if data.size else 0.0

    base = size(value)
    if 0.5 < base / max(float(np.nanmedian(close)), 1e-12) < 2:  # price-scale outputs: show the price too
        _line(fig, candles.index, close, f"{name}: close", row, line={"color": "#bbb", "width": 1})
    for col in shown:
        # an output on another scale (ADX beside an oscillator around 0) goes on the right-hand axis
        other = base > 0 and not 0.2 < size(col) / base < 5
        _line(
            fig,
            candles.index,
            frame[col],
            f"{name}: {col}" + (" (right axis)" if other else ""),
            row,
            other,
            line={"width": 1},
        )
    sig = np.asarray(signal)
    level = frame[value].to_numpy(dtype=np.float64)
    for side, symbol, colour, word in ((1, "triangle-up", BUY, "buy"), (-1, "triangle-down", SELL, "sell")):
        at = np.flatnonzero(sig == side)
        marker = {"symbol": symbol, "size": 6, "color": colour}
        _markers(fig, candles.index[at], level[at], f"{name}: {word}", marker, row)


def _combined_panel(fig: Any, candles: pd.DataFrame, combined: Any, row: int) -> None:
    sig = np.asarray(combined)
    for side, symbol, colour, word in ((1, "triangle-up", BUY, "long"), (-1, "triangle-down", SELL, "short")):
        at = np.flatnonzero(sig == side)
        marker = {"symbol": symbol, "size": 8, "color": colour}
        _markers(fig, candles.index[at], np.full(len(at), float(side)), f"combined: {word}", marker, row)
    fig.update_yaxes(range=[-1.6, 1.6], tickvals=[-1, 0, 1], ticktext=["short", "0", "long"], row=row, col=1)


def capital_of(stats: dict[str, Any], equity: pd.Series, config: BacktestConfig | None) -> float:
    """The starting capital: ``initial_capital``, else the config's total amount, else equity's first value."""
    value = stats.get("initial_capital")
    if value is not None and np.isfinite(value):
        return float(value)
    if config is not None:
        return float(config.executor.total_amount_quote)
    return float(equity.iloc[0]) if len(equity) else 1.0


def backtest_figure(
    candles: pd.DataFrame,
    trades: pd.DataFrame,
    equity: pd.Series,
    capital: float,
    config: BacktestConfig | None = None,
) -> Any:
    """Price with the executors, each signal source's panel and the combined signal (with a config),
    equity against buy-and-hold, and the drawdowns: one figure on a shared time axis."""
    from plotly.subplots import make_subplots

    sources = dict(config.signals.sources) if config is not None else {}
    heights = [0.34] + [0.13] * len(sources) + ([0.06] if config is not None else []) + [0.17, 0.1]
    titles = (
        ["price and executors"]
        + [f"{name} {params or ''}".strip() for name, params in sources.items()]
        + (["combined signal"] if config is not None else [])
        + ["equity against buy-and-hold", "drawdown"]
    )
    rows = len(heights)
    specs = [[{"secondary_y": 1 < r <= 1 + len(sources)}] for r in range(1, rows + 1)]
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        row_heights=heights,
        vertical_spacing=0.025,
        subplot_titles=titles,
        specs=specs,
    )
    notes = [n for n in [_price(fig, candles)] if n]
    _executors(fig, trades)
    if config is not None:
        from uptrade.research.run import combined_signal

        combined, parts = combined_signal(candles, config)
        for i, (name, params) in enumerate(sources.items()):
            _source_panel(fig, candles, name, params, parts[name], 2 + i)
        _combined_panel(fig, candles, combined, 1 + len(sources) + 1)
    eq_row = rows - 1
    values = equity.to_numpy(dtype=np.float64)
    bench = buy_and_hold(candles["close"], capital)
    _line(fig, equity.index, values, "equity", eq_row, line={"color": "#1f77b4"})
    _line(fig, candles.index, bench, "buy and hold", eq_row, line={"color": "#999", "dash": "dot"})
    peak = np.maximum.accumulate(values)
    _line(fig, equity.index, (values - peak) / peak, "drawdown", rows, fill="tozeroy", line={"color": "#d62728"})
    b = bench.to_numpy()
    _line(
        fig,
        candles.index,
        (b - np.maximum.accumulate(b)) / np.maximum.accumulate(b),
        "drawdown buy and hold",
        rows,
        line={"color": "#999", "width": 1},
    )
    if any("shown)" in str(t.name) for t in fig.data):
        notes.append(f"markers thinned to at most {MAX_MARKERS:,} per kind")
    fig.update_layout(
        height=520 + 190 * len(sources) + (90 if config is not None else 0) + 420,
        margin={"t": 60, "l": 60, "r": 230},
        title=("; ".join(notes) if notes else None),
        showlegend=True,
    )
    for r in range(1, rows + 1):  # each row's legend beside it
        top = fig.get_subplot(r, 1).yaxis.domain[1]
        key = "legend" if r == 1 else f"legend{r}"
        fig.update_layout({key: {"x": 1.01, "y": top, "yanchor": "top", "font": {"size": 10}, "tracegroupgap": 2}})
    fig.update_xaxes(type="date", rangeslider_visible=False)
    fig.update_yaxes(title_text="price", row=1, col=1)
    fig.update_yaxes(title_text="quote", row=eq_row, col=1)
    fig.update_yaxes(tickformat=".0%", row=rows, col=1)
    return fig


def monthly_figure(equity: pd.Series) -> Any:
    """Monthly returns, years by months, each cell labelled with its percentage (red below 0, green above)."""
    import plotly.graph_objects as go

    table = monthly_returns(equity)
    z = table.to_numpy(dtype=np.float64)
    text = [["" if math.isnan(v) else f"{v * 100:.1f}%" for v in row] for row in z]
    finite = np.abs(z[np.isfinite(z)])
    bound = float(finite.max()) if finite.size and finite.max() > 0 else 0.01
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(MONTHS),
            y=[str(y) for y in table.index],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0,
            zmin=-bound,
            zmax=bound,
            showscale=False,
            hovertemplate="%{y} %{x}: %{z:.2%}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        height=140 + 40 * len(table), margin={"t": 30}, yaxis={"autorange": "reversed", "type": "category"}
    )
    return fig


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
    """Heatmaps of ``column`` over each pair of varied dimensions (the best over the others, eligible
    points only, each cell labelled with its value); a line when only one dimension varies."""
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
        fig = go.Figure(
            go.Scatter(
                x=[str(v) for v in axis],
                y=[best[v] for v in axis],
                mode="lines+markers+text",
                text=[f"{best[v]:.3g}" for v in axis],
                textposition="top center",
            )
        )
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
                texttemplate="%{z:.3g}",
                textfont={"size": 11},
                hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{column}=%{{z:.4f}}<extra></extra>",
                xgap=1,
                ygap=1,
            )
        )
        fig.update_layout(title=f"best {column} by {x} and {y}", xaxis_title=x, yaxis_title=y, height=450)
        fig.update_xaxes(type="category")
        fig.update_yaxes(type="category")
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


def walk_forward_equity_figure(oos_equity: pd.Series, folds: pd.DataFrame | None = None) -> Any:
    """The stitched out-of-sample equity curve (each test window traded with its train window's best
    point), with the folds' test starts as dashed lines."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=ms(oos_equity.index), y=oos_equity.to_numpy(dtype=np.float64), name="out-of-sample equity")
    )
    if folds is not None:
        for start in folds["test_start"]:
            fig.add_vline(x=float(ms([start])[0]), line={"dash": "dash", "color": "#888", "width": 1})
    fig.update_layout(
        title="walk-forward: stitched out-of-sample equity", xaxis={"type": "date"}, yaxis_title="quote", height=420
    )
    return fig


def portfolio_figure(equity: pd.Series, benchmark: pd.Series, executors: pd.DataFrame) -> Any:
    """A portfolio's shared equity against equal-weight buy-and-hold, each market's realised PnL, and the drawdown."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.45, 0.35, 0.2],
        vertical_spacing=0.05,
        subplot_titles=["shared equity against equal-weight buy-and-hold", "realised PnL by market", "drawdown"],
    )
    values = equity.to_numpy(dtype=np.float64)
    _line(fig, equity.index, values, "equity", 1, line={"color": "#1f77b4"})
    _line(fig, benchmark.index, benchmark.to_numpy(), "buy and hold", 1, line={"color": "#999", "dash": "dot"})
    for symbol, part in executors.sort_values("close_time").groupby("symbol", sort=True):
        _line(fig, part["close_time"], part["net_pnl_quote"].cumsum().to_numpy(), str(symbol), 2, line_shape="hv")
    peak = np.maximum.accumulate(values)
    _line(fig, equity.index, (values - peak) / peak, "drawdown", 3, fill="tozeroy", line={"color": "#d62728"})
    fig.update_layout(height=820, margin={"t": 60, "l": 60, "r": 40})
    fig.update_xaxes(type="date")
    fig.update_yaxes(title_text="quote", row=1, col=1)
    fig.update_yaxes(title_text="quote", row=2, col=1)
    fig.update_yaxes(tickformat=".0%", row=3, col=1)
    return fig
