"""Text of the HTML reports: statistics formatted by kind and grouped, the executors' summary and table.

Percentages read as percentages (``0.1234`` -> ``12.34%``), money with two decimals and
thousands separators, ratios with three decimals, durations as ``3d 4h``, NaN as ``-`` and
infinity as ``∞``. Keys this module does not know are still shown, formatted by their type.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

from uptrade.research.stats import PERCENT_STATS

#: Statistics that are fractions, shown as percentages (one list, :data:`uptrade.research.stats.PERCENT_STATS`).
PCT_KEYS = PERCENT_STATS
#: Statistics in quote currency (besides every ``*_quote`` key).
MONEY_KEYS = frozenset({"initial_capital", "final_equity", "benchmark_final_equity"})

#: The groups of the statistics table, in order; a key in none of them goes to "Other".
GROUPS: dict[str, tuple[str, ...]] = {
    "Returns": ("initial_capital", "final_equity", "net_pnl_quote", "net_pnl_pct", "total_return", "cagr"),
    "Risk": (
        "sharpe",
        "sortino",
        "calmar",
        "volatility",
        "max_drawdown_pct",
        "max_drawdown_quote",
        "max_drawdown_duration",
        "exposure",
        "ruined",
        "ruined_at",
        "shortfall_quote",
    ),
    "Trades": (
        "executors",
        "win_rate",
        "profit_factor",
        "expectancy_quote",
        "avg_trade_duration",
        "fees_quote",
        "by_close_type",
    ),
}


def fmt_duration(value: pd.Timedelta) -> str:
    """``3d 4h``, ``5h 30m``, ``12m`` or ``40s``: the two largest units of a duration."""
    if pd.isna(value):
        return "-"
    sign = "-" if value < pd.Timedelta(0) else ""
    c = abs(value).components
    if c.days:
        text = f"{c.days:,}d {c.hours}h"
    elif c.hours:
        text = f"{c.hours}h {c.minutes}m"
    elif c.minutes:
        text = f"{c.minutes}m"
    else:
        text = f"{c.seconds}s"
    return sign + text


def _number(value: float, key: str) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if key in PCT_KEYS:
        return f"{value * 100:,.2f}%"
    if key in MONEY_KEYS or key.endswith("_quote"):
        return f"{value:,.2f}"
    if abs(value) >= 1000:
        return f"{value:,.2f}"
    return f"{value:,.3f}"


def fmt_value(key: str, value: Any) -> str:
    """One statistic as plain text, formatted by its key (percent, money, ratio) and its type."""
    text = "-"
    if value is None or value is pd.NaT:
        pass
    elif isinstance(value, (bool, np.bool_)):
        text = "yes" if value else "no"
    elif isinstance(value, pd.Timestamp):
        text = f"{value:%Y-%m-%d %H:%M}"
    elif isinstance(value, (pd.Timedelta, np.timedelta64)):
        text = fmt_duration(pd.Timedelta(value))
    elif isinstance(value, (int, np.integer)):
        text = f"{int(value) * 100:,}%" if key in PCT_KEYS else f"{int(value):,}"
    elif isinstance(value, (float, np.floating)):
        text = _number(float(value), key)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {fmt_value(str(k), v)}" for k, v in value.items()) or "-"
    else:
        text = str(value)
    return text


def value_html(key: str, value: Any) -> str:
    """One statistic as HTML: a nested mapping becomes a small list."""
    if isinstance(value, dict):
        if not value:
            return "-"
        items = "".join(f"<li>{html.escape(f'{k}: {fmt_value(str(k), v)}')}</li>" for k, v in value.items())
        return f"<ul class='inline'>{items}</ul>"
    return html.escape(fmt_value(key, value))


def group_stats(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The statistics in their groups (Returns, Risk, Trades, Benchmark, Other), empty groups left out."""
    out: dict[str, dict[str, Any]] = {name: {} for name in (*GROUPS, "Benchmark", "Other")}
    where = {key: name for name, keys in GROUPS.items() for key in keys}
    for name, keys in GROUPS.items():
        out[name] = {k: stats[k] for k in keys if k in stats}
    for key, value in stats.items():
        if key in where:
            continue
        out["Benchmark" if key.startswith("benchmark_") else "Other"][key] = value
    return {name: values for name, values in out.items() if values}


def stats_table(values: dict[str, Any]) -> str:
    """A two-column table (name, formatted value)."""
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{value_html(str(k), v)}</td></tr>" for k, v in values.items()
    )
    return f"<table class='stats'>{rows}</table>"


def stats_html(stats: dict[str, Any]) -> str:
    """The grouped statistics, one small table per group, side by side."""
    boxes = "".join(
        f"<div class='group'><h3>{html.escape(name)}</h3>{stats_table(values)}</div>"
        for name, values in group_stats(stats).items()
    )
    return f"<div class='groups'>{boxes}</div>"


def ruined_banner(stats: dict[str, Any]) -> str:
    """The red banner of a liquidated account (empty unless ``stats["ruined"]`` is true)."""
    if not stats.get("ruined"):
        return ""
    when = stats.get("ruined_at")
    at = f" at {fmt_value('ruined_at', when)}" if when is not None and not pd.isna(when) else ""
    return f"<div class='ruined'>RUINED{html.escape(at)}: the account was liquidated</div>"


def _cell(column: str, value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M}"
    if column.endswith("_pct") and isinstance(value, (float, np.floating)):
        return _number(float(value), "net_pnl_pct")
    if isinstance(value, (float, np.floating)):
        number = float(value)
        small = 0 < abs(number) < 0.01  # prices of cheap coins keep their digits
        return "-" if math.isnan(number) else f"{number:.4g}" if small else f"{number:,.2f}"
    return "-" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def executors_summary(trades: pd.DataFrame) -> str:
    """Counts by side and close type, total net PnL and fees of the executors table."""
    if trades.empty:
        return "<p>No executors.</p>"
    counts = pd.crosstab(trades["side"].astype(str), trades["close_type"].astype(str), margins=True, margins_name="all")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in counts.columns)
    body = "".join(
        f"<tr><th>{html.escape(str(side))}</th>" + "".join(f"<td>{int(v):,}</td>" for v in row) + "</tr>"
        for side, row in counts.iterrows()
    )
    pnl = float(trades["net_pnl_quote"].sum()) if "net_pnl_quote" in trades else float("nan")
    fees = float(trades["fees_quote"].sum()) if "fees_quote" in trades else float("nan")
    return (
        f"<table class='counts'><tr><th>side \\ close</th>{head}</tr>{body}</table>"
        f"<p>total net PnL: <b>{_number(pnl, 'net_pnl_quote')}</b> quote; "
        f"fees: {_number(fees, 'fees_quote')} quote</p>"
    )


def executors_table(trades: pd.DataFrame, edge: int = 20) -> str:
    """The first and last ``edge`` executors, with a ``... N more ...`` row between them when there are more."""
    columns = list(trades.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)

    def rows(part: pd.DataFrame) -> str:
        return "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(_cell(str(c), v))}</td>" for c, v in zip(columns, row, strict=True))
            + "</tr>"
            for row in part.itertuples(index=False)
        )

    if len(trades) <= 2 * edge:
        body = rows(trades)
    else:
        more = len(trades) - 2 * edge
        gap = f"<tr class='gap'><td colspan='{len(columns)}'>... {more:,} more ...</td></tr>"
        body = rows(trades.iloc[:edge]) + gap + rows(trades.iloc[-edge:])
    return f"<table class='executors'><tr>{head}</tr>{body}</table>"
