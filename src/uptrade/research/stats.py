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
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SECONDS_PER_YEAR = 365 * 86_400


def equity_stats(equity: pd.Series, bar_seconds: int) -> dict[str, float]:
    """Sharpe, Sortino and drawdowns of a per-bar equity curve."""
    values = equity.to_numpy(dtype=np.float64)
    out = {
        "sharpe": float("nan"),
        "sortino": float("nan"),
        "calmar": float("nan"),
        "max_drawdown_pct": 0.0,
        "max_drawdown_quote": 0.0,
    }
    if values.size < 2:
        return out
    returns = np.diff(values) / values[:-1]
    scale = np.sqrt(SECONDS_PER_YEAR / bar_seconds)
    sd = returns.std(ddof=1)
    if sd > 0:
        out["sharpe"] = float(returns.mean() / sd * scale)
    downside = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2))
    if downside > 0:
        out["sortino"] = float(returns.mean() / downside * scale)
    peak = np.maximum.accumulate(values)
    out["max_drawdown_quote"] = float((peak - values).max())
    out["max_drawdown_pct"] = float(((peak - values) / peak).max())
    years = (values.size - 1) * bar_seconds / SECONDS_PER_YEAR
    growth = values[-1] / values[0]
    cagr = growth ** (1.0 / years) - 1.0 if growth > 0 else -1.0
    if out["max_drawdown_pct"] > 0:
        out["calmar"] = float(cagr / out["max_drawdown_pct"])
    elif cagr > 0:
        out["calmar"] = float("inf")
    return out


def trade_stats(executors: pd.DataFrame) -> dict[str, Any]:
    """Counts, win rate, profit factor and close types of the executors table."""
    pnl = executors["net_pnl_quote"].to_numpy(dtype=np.float64) if len(executors) else np.empty(0)
    gains = pnl[pnl > 0].sum()
    losses = -pnl[pnl < 0].sum()
    if pnl.size == 0:
        factor = float("nan")
    elif losses == 0:
        factor = float("inf") if gains > 0 else float("nan")
    else:
        factor = float(gains / losses)
    counts = executors["close_type"].value_counts() if len(executors) else pd.Series(dtype=int)
    return {
        "executors": int(pnl.size),
        "net_pnl_quote": float(pnl.sum()),
        "fees_quote": float(executors["fees_quote"].sum()) if len(executors) else 0.0,
        "win_rate": float((pnl > 0).mean()) if pnl.size else float("nan"),
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
        "net_pnl_pct": trades["net_pnl_quote"] / capital if capital else float("nan"),
        **equity_stats(equity, bar_seconds),
        "exposure": float(exposure),
    }
