"""Typed answers of hummingbot-api (the routes :mod:`uptrade.execution.hbapi` calls), as pydantic models.

Each model keeps the fields UpTrade reads and ignores the rest, so a newer API that adds fields
still parses. Field names are hummingbot-api's own (``services/bots_orchestrator.py``,
``database/repositories/controller_performance_repository.py``, ``models/gateway_trading.py``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

#: What hummingbot-api accepts as a bot, account or config name (``SAFE_NAME_PATTERN`` there).
SAFE_NAME = r"^[A-Za-z0-9_-]+$"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class LogEntry(_Loose):
    """One log line a bot published over MQTT (``level_name``, ``msg``, ``timestamp`` in epoch seconds)."""

    level_name: str = "INFO"
    msg: str = ""
    timestamp: float | None = None

    @field_validator("msg", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return "" if value is None else str(value)

    def line(self) -> str:
        """``2026-12-03 10:00:00 ERROR message`` (UTC)."""
        when = ""
        if self.timestamp is not None and math.isfinite(self.timestamp):
            ts = self.timestamp / 1000 if self.timestamp > 1e11 else self.timestamp  # ms from some publishers
            when = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") + " "
        return f"{when}{self.level_name.upper()} {self.msg}"


class ControllerReport(_Loose):
    """One controller of a bot: ``running`` or ``error`` and its performance report (numbers by name)."""

    status: str = "running"
    performance: dict[str, Any] = Field(default_factory=dict)
    custom_info: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class BotStatus(_Loose):
    """``GET /bot-orchestration/{bot}/status`` (``data``), and one entry of ``/status``."""

    name: str = ""
    status: str
    performance: dict[str, ControllerReport] = Field(default_factory=dict)
    error_logs: list[LogEntry] = Field(default_factory=list)
    general_logs: list[LogEntry] = Field(default_factory=list)
    recently_active: bool = False
    error: str | None = None
    message: str | None = None
    source: str | None = None

    @property
    def found(self) -> bool:
        return self.status != "not_found"

    def pnl(self) -> float:
        """Global PnL in quote over the bot's controllers (``global_pnl_quote``), 0 when none reported yet."""
        return sum(_num(c.performance.get("global_pnl_quote")) for c in self.performance.values())


class DeployResult(_Loose):
    """The answer of ``POST /bot-orchestration/deploy-v2-controllers`` (HTTP 200 even when Docker failed)."""

    success: bool
    message: str = ""
    unique_instance_name: str | None = None
    script_config_generated: str | None = None
    controllers_deployed: list[str] = Field(default_factory=list)


class PerformanceSnapshot(_Loose):
    """A row of ``controller-performance-history`` / ``-latest``: one controller of one bot at one instant."""

    timestamp: datetime
    bot_name: str
    controller_id: str
    status: str = "running"
    performance: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timestamp", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def number(self, name: str) -> float | None:
        """A numeric performance figure (``global_pnl_quote``, ``volume_traded``, ...), None when absent."""
        value = self.performance.get(name)
        try:
            out = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return out if math.isfinite(out) else None

    def closed_executors(self) -> int | None:
        """Closed executors, summed over ``close_type_counts`` (None when the report has none)."""
        counts = self.performance.get("close_type_counts")
        if not isinstance(counts, dict):
            return None
        return int(sum(_num(v) for v in counts.values()))


class HistoryPage(_Loose):
    """One page of ``controller-performance-history``: newest first; ``next_cursor`` reaches older rows."""

    data: list[PerformanceSnapshot]
    next_cursor: str | None = None
    has_more: bool = False


class SwapQuote(_Loose):
    """``POST /gateway/swap/quote``: what a swap of ``amount`` would give now (amounts in token units)."""

    base: str
    quote: str
    price: float
    amount: float
    amount_in: float | None = None
    amount_out: float | None = None
    slippage_pct: float | None = None
    gas_estimate: float | None = None


class ExchangeCredentials(BaseModel):
    """The key fields of one connector (``binance_api_key``, ...): secrets, never printed or logged."""

    model_config = ConfigDict(frozen=True)

    fields: dict[str, SecretStr]

    def plain(self) -> dict[str, str]:
        return {k: v.get_secret_value() for k, v in self.fields.items()}


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return 0.0
    return out if math.isfinite(out) else 0.0


__all__ = [
    "SAFE_NAME",
    "BotStatus",
    "ControllerReport",
    "DeployResult",
    "ExchangeCredentials",
    "HistoryPage",
    "LogEntry",
    "PerformanceSnapshot",
    "SwapQuote",
]
