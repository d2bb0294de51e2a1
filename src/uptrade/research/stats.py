"""Backtest statistics: one definition, on the account's equity curve and the executors table.

On the equity curve (per bar; ``r`` its per-bar returns, 0 after the account is written off;
annualised with the bars in a 365-day year, as crypto trades every day):

- ``total_return``: last over first value, minus 1; ``cagr``: that compounded per year over the
  ``len(r)`` bars; ``volatility``: ``std(r, ddof=1)``, annualised.
- ``sharpe``: ``mean(r) / std(r, ddof=1)``; ``sortino``: ``mean(r)`` over the downside deviation
  ``sqrt(mean(minimum(r, 0) ** 2))``; both annualised, risk-free rate 0.
- ``max_drawdown_pct`` / ``max_drawdown_quote``: the largest fall from the running peak, as a
  fraction of the peak and in quote; ``max_drawdown_duration``: the longest time from a peak to
  the first bar back at it (or the end); ``calmar``: CAGR over ``max_drawdown_pct`` (``inf`` when
  it grew without a drawdown, NaN when it did neither).
- ``exposure``: the share of bars with at least one executor open.
- ``ruined`` / ``ruined_at``: the account was liquidated (equity <= 0 or below the maintenance
  margin, :func:`uptrade.research.engine_nb.account_nb`); ``shortfall_quote``: what the positions
  lost beyond the capital, written off.

On the executors: ``net_pnl_quote`` (their net PnLs, fees in) and ``net_pnl_pct`` (over the
initial capital), ``win_rate`` (share with a positive net PnL), ``profit_factor`` (gross profit
over gross loss; ``inf`` without losses, NaN without trades), ``expectancy_quote`` (mean net
PnL per executor), ``avg_trade_duration``, ``fees_quote``, ``by_close_type``.

``benchmark_*``: buy-and-hold of the initial capital on the same bars (:func:`buy_and_hold`),
with the same definitions.

Each statistic is a numba kernel of :mod:`uptrade.research.stats_nb` that the many-configuration
sweep (:mod:`uptrade.research.sweep_nb`) calls too; ``tests/test_stats_oracle.py`` checks them
against empyrical on the same equity curves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptrade.research.stats_nb import (
    EQUITY_METRICS,
    SECONDS_PER_YEAR,
    equity_metrics_nb,
    net_pnl_pct_nb,
    trade_metrics_nb,
)

__all__ = [
    "PERCENT_STATS",
    "SECONDS_PER_YEAR",
    "buy_and_hold",
    "equity_stats",
    "monthly_returns",
    "summarize",
    "trade_stats",
]

#: Statistics that are fractions (shown as percentages).
PERCENT_STATS = frozenset(
    {
        "net_pnl_pct",
        "total_return",
        "cagr",
        "volatility",
        "max_drawdown_pct",
        "exposure",
        "win_rate",
        "benchmark_return",
        "benchmark_cagr",
        "benchmark_volatility",
        "benchmark_max_drawdown_pct",
        "buy_and_hold_return",
        "pnl_share",
        "oos_profitable_folds",
    }
)


def equity_stats(equity: pd.Series, bar_seconds: int) -> dict[str, Any]:
    """Returns, risk and drawdowns of a per-bar equity curve (module docstring)."""
    values = np.ascontiguousarray(equity.to_numpy(dtype=np.float64))
    out: dict[str, Any] = dict(
        zip(EQUITY_METRICS, (float(v) for v in equity_metrics_nb(values, float(bar_seconds))), strict=True)
    )
    bars = int(out.pop("max_drawdown_bars"))
    out["max_drawdown_duration"] = pd.Timedelta(seconds=bars * bar_seconds)
    return out


def trade_stats(executors: pd.DataFrame) -> dict[str, Any]:
    """Counts, win rate, profit factor, expectancy, durations and close types of the executors table."""
    n = len(executors)
    pnl = np.ascontiguousarray(executors["net_pnl_quote"].to_numpy(dtype=np.float64)) if n else np.empty(0)
    net, win_rate, factor, expectancy = trade_metrics_nb(pnl)
    counts = executors["close_type"].value_counts() if n else pd.Series(dtype=int)
    timed = n and {"open_time", "close_time"} <= set(executors.columns)
    held = (executors["close_time"] - executors["open_time"]).mean() if timed else pd.NaT
    return {
        "executors": int(pnl.size),
        "net_pnl_quote": net,
        "fees_quote": float(executors["fees_quote"].sum()) if n else 0.0,
        "win_rate": win_rate,
        "profit_factor": factor,
        "expectancy_quote": expectancy,
        "avg_trade_duration": held,
        "by_close_type": {str(k): int(v) for k, v in counts.items()},
    }


def summarize(
    executors: pd.DataFrame,
    equity: pd.Series,
    exposure: float,
    capital: float,
    bar_seconds: int,
    *,
    ruined_at: pd.Timestamp | None = None,
    shortfall: float = 0.0,
    benchmark: pd.Series | None = None,
) -> dict[str, Any]:
    """All statistics of one backtest (module docstring)."""
    trades = trade_stats(executors)
    out: dict[str, Any] = {
        "ruined": ruined_at is not None,
        "ruined_at": ruined_at,
        "initial_capital": float(capital),
        "final_equity": float(equity.iloc[-1]) if len(equity) else float(capital),
        "shortfall_quote": float(shortfall),
        **trades,
        "net_pnl_pct": net_pnl_pct_nb(trades["net_pnl_quote"], float(capital)),
        **equity_stats(equity, bar_seconds),
        "exposure": float(exposure),
    }
    if benchmark is not None:
        bench = equity_stats(benchmark, bar_seconds)
        out["benchmark_return"] = bench["total_return"]
        out["benchmark_cagr"] = bench["cagr"]
        out["benchmark_volatility"] = bench["volatility"]
        out["benchmark_sharpe"] = bench["sharpe"]
        out["benchmark_max_drawdown_pct"] = bench["max_drawdown_pct"]
    return out


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
        return pd.DataFrame(columns=pd.Index(range(1, 13), name="month"), index=pd.Index([], name="year"), dtype=float)
    values = equity.to_numpy(dtype=np.float64)
    months = pd.DatetimeIndex(equity.index).tz_localize(None).to_numpy().astype("datetime64[M]").astype(np.int64)
    last = np.append(np.flatnonzero(months[1:] != months[:-1]), len(values) - 1)  # each month's last bar
    end = values[last]
    before = np.concatenate([values[:1], end[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = np.where(before != 0, end / before - 1.0, 0.0)
    year, month = np.divmod(months[last], 12)
    first = int(year[0])
    table = np.full((int(year[-1]) - first + 1, 12), np.nan)
    table[year - first, month] = ret
    out = pd.DataFrame(table, index=pd.Index(range(first + 1970, int(year[-1]) + 1971), name="year"))
    out.columns = pd.Index(range(1, 13), name="month")
    return out.loc[~np.isnan(table).all(axis=1)]
