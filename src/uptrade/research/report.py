"""HTML reports of a backtest and of an optimisation (plotly), each one self-contained file.

plotly.js is inlined once in the page's head, so a report opens offline. A backtest's page has:
a red banner when the account was ruined; one figure on a shared time axis (price with a marker
per executor open and close, with a config each signal source's indicator outputs and signals and
the combined signal, equity against buy-and-hold, drawdowns); the statistics grouped and
formatted; the monthly returns; the executors (a summary and the first and last rows, the full
table beside the page as ``<stem>.executors.csv``); and the config as YAML. Figures are built in
:mod:`uptrade.research.report_figures`, the text in :mod:`uptrade.research.report_format`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptrade.research.report_figures import (
    backtest_figure,
    capital_of,
    monthly_figure,
    portfolio_figure,
    sweep_figures,
    walk_forward_equity_figure,
    walk_forward_figure,
)
from uptrade.research.report_format import (
    executors_summary,
    executors_table,
    ruined_banner,
    stats_html,
    stats_table,
)

if TYPE_CHECKING:
    from uptrade.research.config import BacktestConfig
    from uptrade.research.optimize import OptimizeResult

__all__ = [
    "backtest_figure",
    "csv_path",
    "monthly_figure",
    "sweep_figures",
    "walk_forward_equity_figure",
    "walk_forward_figure",
    "write_optimize_report",
    "write_report",
]

_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:13px}"
    "td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}th{font-weight:600}"
    ".groups,.side{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}.group h3{margin:.3em 0}"
    "ul.inline{margin:0;padding-left:1.2em;text-align:left}tr.gap td{text-align:center;color:#777;font-style:italic}"
    ".ruined{background:#c62828;color:#fff;font-size:1.4em;font-weight:bold;padding:.6em 1em;margin:.5em 0 1em}"
    ".js-error{background:#c62828;color:#fff;padding:.5em}pre.config{background:#f6f6f6;padding:1em;display:inline-block;font-size:13px}"
)

#: Shows a script error on the page itself (a figure that failed to draw says why).
_ERRORS = (
    "window.addEventListener('error',function(e){var d=document.createElement('div');d.className='js-error';"
    "d.textContent='JavaScript error: '+e.message;(document.body||document.documentElement).prepend(d)});"
)


def _write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file beside it (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _write_page(path: str | Path, title: str, content: str) -> Path:
    """Write the page ``title`` + ``content`` (plotly.js inlined once in the head) to ``path``."""
    from plotly.offline import get_plotlyjs

    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style><script>{_ERRORS}</script><script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    return _write_text(Path(path), body)


def _figure_html(fig: Any) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False}))


def csv_path(path: str | Path) -> Path:
    """Where the full executors table of the report at ``path`` goes: ``<stem>.executors.csv`` beside it."""
    p = Path(path)
    return p.with_name(f"{p.stem}.executors.csv")


def _config_yaml(config: BacktestConfig) -> str:
    import yaml

    return str(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True))


def _months_and_executors(equity: pd.Series, trades: pd.DataFrame, csv: Path) -> list[str]:
    """The monthly returns and the executors sections (summary, first and last rows, the CSV's link)."""
    return [
        "<h2>Monthly returns</h2>",
        _figure_html(monthly_figure(equity)),
        f"<h2>Executors ({len(trades)})</h2>",
        executors_summary(trades),
        f"<p>Full table: <a href='{html.escape(csv.name)}' download>{html.escape(csv.name)}</a> (CSV)</p>",
        executors_table(trades),
    ]


def write_report(
    path: str | Path,
    candles: pd.DataFrame,
    trades: pd.DataFrame,
    equity: pd.Series,
    stats: dict[str, Any],
    title: str = "Backtest",
    *,
    config: BacktestConfig | None = None,
) -> Path:
    """Write the backtest report to ``path`` and the executors to :func:`csv_path` (both created or replaced).

    With ``config`` the figure has a panel per signal source and one for the combined signal,
    and the page shows the config. Returns the report's path.
    """
    capital = capital_of(stats, equity, config)
    fig = backtest_figure(candles, trades, equity, capital, config)
    csv = _write_text(csv_path(path), trades.to_csv(index=False))
    span = f"{candles.index[0]:%Y-%m-%d %H:%M}..{candles.index[-1]:%Y-%m-%d %H:%M}" if len(candles) else "no bars"
    parts = [
        ruined_banner(stats),
        f"<p>{len(candles):,} bars, {span} UTC; starting capital {capital:,.2f} quote</p>",
        _figure_html(fig),
        "<h2>Statistics</h2>",
        stats_html(stats),
        *_months_and_executors(equity, trades, csv),
    ]
    if config is not None:
        parts += ["<h2>Config</h2>", f"<pre class='config'>{html.escape(_config_yaml(config))}</pre>"]
    return _write_page(path, title, "".join(parts))


def write_portfolio_report(path: str | Path, result: Any, config: BacktestConfig, title: str = "Portfolio") -> Path:
    """The report of a :class:`~uptrade.research.portfolio.PortfolioResult`: shared equity, each market's
    PnL, drawdown, the statistics, the per-market table, monthly returns, executors (CSV beside) and config."""
    from uptrade.research.report_format import fmt_value

    trades = result.executors
    csv = _write_text(csv_path(path), trades.to_csv(index=False))
    equity = result.equity
    markets = result.markets.copy()
    shown = pd.DataFrame(
        {c: [fmt_value(c, v) for v in markets[c]] for c in markets.columns}, index=markets.index
    ).rename(columns={"buy_and_hold_return": "buy and hold"})
    parts = [
        ruined_banner(result.stats),
        f"<p>{', '.join(config.markets)} {config.timeframe}, {len(equity):,} bars, "
        f"{equity.index[0]:%Y-%m-%d %H:%M}..{equity.index[-1]:%Y-%m-%d %H:%M} UTC; one account of "
        f"{config.initial_capital:,.2f} quote</p>",
        _figure_html(portfolio_figure(equity, result.benchmark, trades)),
        "<h2>Statistics (the shared account)</h2>",
        stats_html(result.stats),
        "<h2>By market</h2>",
        shown.to_html(border=0),
        *_months_and_executors(equity, trades, csv),
        "<h2>Config</h2>",
        f"<pre class='config'>{html.escape(_config_yaml(config))}</pre>",
    ]
    return _write_page(path, title, "".join(parts))


def write_optimize_report(
    path: str | Path, result: OptimizeResult, names: list[str], title: str = "Optimisation", top: int = 50
) -> Path:
    """Heatmaps, the top points, and the walk-forward folds of an :class:`~uptrade.research.optimize.OptimizeResult`.

    With walk-forward, the section opens with the stitched out-of-sample equity (``oos_equity``) and
    shows its statistics (``oos_stats``) beside the in-sample summary.
    """
    from uptrade.research.optimize import OBJECTIVES

    column = OBJECTIVES[result.objective]
    parts = [_figure_html(fig) for fig in sweep_figures(result.table, names, column)]
    if result.folds is not None:
        parts.append("<h2>Walk-forward</h2>")
        if result.oos_equity is not None and len(result.oos_equity):
            parts.append(_figure_html(walk_forward_equity_figure(result.oos_equity, result.folds)))
        parts.append(_figure_html(walk_forward_figure(result.folds)))
        boxes = f"<div><h3>In sample (folds)</h3>{stats_table(result.walk_forward or {})}</div>"
        if result.oos_stats is not None:
            boxes = f"<div><h3>Out of sample (stitched)</h3>{stats_html(result.oos_stats)}</div>" + boxes
        folds = result.folds.to_html(index=False, float_format=lambda v: f"{v:,.6g}", na_rep="-", border=0)
        parts.append(f"<div class='side'>{boxes}</div><h3>Folds</h3>{folds}")
    best = result.table.sort_values("rank").head(top)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    content = (
        f"<p>objective: {html.escape(result.objective)}; points: {len(result.table):,}; "
        f"eligible (at least {result.min_trades} executors, account not ruined): "
        f"{int(result.table['eligible'].sum()):,}</p>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "".join(parts)
        + f"<h2>Top {len(best)} points (whole period)</h2>"
        + best.to_html(index=True, float_format=lambda v: f"{v:,.6g}", na_rep="-", border=0)
    )
    return _write_page(path, title, content)
