"""Backtest statistics from an executors table and an equity curve (both engines report these).

- ``net_pnl_quote``: the sum of the executors' net PnL (fees included); ``net_pnl_pct`` that
  over the capital (``total_amount_quote``).
- ``sharpe`` / ``sortino``: mean over standard deviation (downside deviation for Sortino, the
  root mean square of the negative returns) of the per-bar returns of the equity curve,
  annualised with the number of bars per year of the timeframe (365 days: crypto trades daily).
- ``max_drawdown_pct`` / ``max_drawdown_quote``: the largest fall of the equity curve from its
  running peak, as a fraction of that peak and in quote.
- ``calmar``: the compound annual growth rate of the equity curve (its span in years is the
  bars between the first and last value) over ``max_drawdown_pct``; ``inf`` when it grew without
  a drawdown, NaN when it did neither.
- ``win_rate``: executors with a positive net PnL over all closed executors; ``profit_factor``:
  gross profit over gross loss (``inf`` without losses, NaN without trades).
- ``exposure``: the share of bars with at least one executor open.
- ``by_close_type``: the number of executors per close type.

Each statistic is defined once, as a numba kernel of :mod:`uptrade.research.stats_nb` that the
many-configuration sweep (:mod:`uptrade.research.sweep_nb`) calls too; this module reads the
tables into arrays for them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptrade.research.stats_nb import SECONDS_PER_YEAR, equity_metrics_nb, net_pnl_pct_nb, trade_metrics_nb

__all__ = ["SECONDS_PER_YEAR", "equity_stats", "summarize", "trade_stats"]


def equity_stats(equity: pd.Series, bar_seconds: int) -> dict[str, float]:
    """Sharpe, Sortino and drawdowns of a per-bar equity curve."""
    values = np.ascontiguousarray(equity.to_numpy(dtype=np.float64))
    sharpe, sortino, calmar, drawdown, drawdown_quote = equity_metrics_nb(values, float(bar_seconds))
    return {
        "sharpe": sharpe,
        "sortino": sortino,
        "calmar": calmar,
        "max_drawdown_pct": drawdown,
        "max_drawdown_quote": drawdown_quote,
    }


def trade_stats(executors: pd.DataFrame) -> dict[str, Any]:
    """Counts, win rate, profit factor and close types of the executors table."""
    pnl = np.ascontiguousarray(executors["net_pnl_quote"].to_numpy(dtype=np.float64)) if len(executors) else np.empty(0)
    net, win_rate, factor = trade_metrics_nb(pnl)
    counts = executors["close_type"].value_counts() if len(executors) else pd.Series(dtype=int)
    return {
        "executors": int(pnl.size),
        "net_pnl_quote": net,
        "fees_quote": float(executors["fees_quote"].sum()) if len(executors) else 0.0,
        "win_rate": win_rate,
        "profit_factor": factor,
        "by_close_type": {str(k): int(v) for k, v in counts.items()},
    }


def summarize(
    executors: pd.DataFrame, equity: pd.Series, exposure: float, capital: float, bar_seconds: int
) -> dict[str, Any]:
    """All statistics of one backtest (see the module docstring)."""
    trades = trade_stats(executors)
    return {
        **trades,
        "net_pnl_pct": net_pnl_pct_nb(trades["net_pnl_quote"], float(capital)),
        **equity_stats(equity, bar_seconds),
        "exposure": float(exposure),
    }


def buy_and_hold(close: pd.Series, capital: float) -> pd.Series:
    """The benchmark: ``capital`` put into the asset at the first close and held to the last (no fees)."""
    values = close.to_numpy(dtype=np.float64)
    out = capital * values / values[0] if len(values) else values
    return pd.Series(out, index=close.index, name="buy_and_hold")


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar month (UTC) of an equity curve: rows are years, columns 1..12.

    A month's return is its last value over the last value before it (the curve's first value for
    the first month), minus one; months without bars are NaN.
    """
    if equity.empty:
        return pd.DataFrame(columns=range(1, 13), dtype=float)
    month_end = equity.resample("MS").last().dropna()
    before = month_end.shift(1)
    before.iloc[0] = equity.iloc[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = month_end / before - 1.0
    ret = ret.where(before != 0, 0.0)
    table = pd.DataFrame({"year": ret.index.year, "month": ret.index.month, "ret": ret.to_numpy()})
    out = table.pivot(index="year", columns="month", values="ret").reindex(columns=range(1, 13))
    out.index.name = "year"
    out.columns.name = "month"
    return out
