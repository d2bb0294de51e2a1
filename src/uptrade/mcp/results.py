"""What the MCP research and paper tools share: typed statistics, JSON-ready values, parameter-named errors
and the folder of the backtest reports."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, Field

P = ParamSpec("P")
R = TypeVar("R")


class BacktestStats(BaseModel):
    """A backtest's statistics (``uptrade backtest``'s table): money in quote, fractions as fractions,
    durations in seconds, times ISO-8601 UTC; None where a figure is undefined (no trades, one bar)."""

    ruined: bool = False
    ruined_at: str | None = None
    initial_capital: float | None = None
    final_equity: float | None = None
    shortfall_quote: float | None = None
    executors: int = 0
    net_pnl_quote: float | None = None
    fees_quote: float | None = None
    win_rate: float | None = None
    profit_factor: float | None = None
    expectancy_quote: float | None = None
    avg_trade_duration_seconds: float | None = None
    by_close_type: dict[str, int] = Field(default_factory=dict)
    net_pnl_pct: float | None = None
    total_return: float | None = None
    cagr: float | None = None
    volatility: float | None = None
    sharpe: float | None = None
    sortino: float | None = None
    calmar: float | None = None
    max_drawdown_pct: float | None = None
    max_drawdown_quote: float | None = None
    max_drawdown_duration_seconds: float | None = None
    exposure: float | None = None
    benchmark_return: float | None = None
    benchmark_cagr: float | None = None
    benchmark_volatility: float | None = None
    benchmark_sharpe: float | None = None
    benchmark_max_drawdown_pct: float | None = None


def plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars as Python's, NaN and infinities as None, times as ISO strings."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return iso(value)
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    return value


def iso(value: Any) -> str:
    """A time as ISO-8601 UTC."""
    import pandas as pd

    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat()


def typed_stats(stats: dict[str, Any]) -> BacktestStats:
    """The library's statistics as :class:`BacktestStats` (durations in seconds, undefined figures None)."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if key in ("avg_trade_duration", "max_drawdown_duration"):
            out[f"{key}_seconds"] = plain(value)
        elif key == "by_close_type":
            out[key] = {str(k): int(v) for k, v in dict(value or {}).items()}
        elif key in BacktestStats.model_fields:
            out[key] = plain(value)
    return BacktestStats.model_validate(out)


def reports_dir() -> Path:
    """Where the backtest tool writes its reports: ``<home>/reports``."""
    from uptrade.settings import get_settings

    return Path(get_settings().home) / "reports"
