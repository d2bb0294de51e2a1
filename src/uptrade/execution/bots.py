"""Bot configs: one YAML file = one bot, read by every command that runs it.

A bot file names the strategy (the signal sources, their parameters and the combiner), the
market (connector, trading pair, timeframe, where its candles come from), the execution (the
triple barrier, leverage, amount, position mode, in Hummingbot's own field names), the account
and the mode (``paper`` or ``live``). The same file drives ``uptrade backtest``,
``uptrade paper run``, ``uptrade hb config`` and deployment, so what was backtested is what runs.

Everything Hummingbot's own controller config models enforce is checked here, at load:
no unknown fields, ``cooldown_time > 0``, positive barriers, a known connector and candle
feed, a ``BASE-QUOTE`` pair, one of Hummingbot's candle intervals, leverage 1 on spot. A file
that loads is one Hummingbot accepts. Errors name the file and the field path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from uptrade.errors import ConfigError, LiveTradingError
from uptrade.execution import venues
from uptrade.research.config import (
    AccountConfig,
    BacktestConfig,
    ExecutorConfig,
    SignalsConfig,
    first_error,
    model_at,
    read_yaml,
)
from uptrade.signals.adapters import parse_source

#: The controllers a bot can run, by the indicator of its one source (several sources: combined).
CONTROLLERS = {"sniper": "uptrade_sniper", "vzo": "uptrade_vzo", "cycle": "uptrade_cycle"}
COMBINED = "uptrade_combined"
#: Indicators whose kernels the Hummingbot bundle carries (spectral and celestial need more than
#: numba and numpy inside Hummingbot: their tables are built with skyfield, or their state is long).
BOT_INDICATORS = ("sniper", "vzo", "cycle", "ma")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class CandleSource(BaseModel):
    """Where the bot's candles come from: a Hummingbot candle feed, and the store's symbol for them."""

    model_config = ConfigDict(extra="forbid")

    connector: str | None = Field(default=None, description="Candle feed connector; default: the market's.")
    trading_pair: str | None = Field(default=None, description="Pair of the feed; default: the market's.")
    symbol: str | None = Field(default=None, description="Store symbol of these candles; default: the feed's pair.")
    max_records: int = Field(default=1000, ge=100, le=10_000, description="Bars the controller keeps.")


class MarketConfig(BaseModel):
    """The venue the bot trades on and the candles it reads."""

    model_config = ConfigDict(extra="forbid")

    connector: str
    trading_pair: str
    timeframe: str = "1h"
    candles: CandleSource = Field(default_factory=CandleSource)

    @field_validator("connector")
    @classmethod
    def _connector(cls, value: str) -> str:
        return venues.check_connector(value)

    @field_validator("trading_pair")
    @classmethod
    def _pair(cls, value: str) -> str:
        return venues.check_pair(value)

    @field_validator("timeframe")
    @classmethod
    def _interval(cls, value: str) -> str:
        return venues.check_interval(value)

    @model_validator(mode="after")
    def _feed(self) -> MarketConfig:
        c = self.candles
        if c.trading_pair is not None:
            c.trading_pair = venues.check_pair(c.trading_pair, field="candles.trading_pair")
        feed = c.connector or self.connector
        try:
            c.connector = venues.check_candle_feed(feed, self.timeframe)
        except ConfigError as exc:
            raise ConfigError(f"candles.connector: {exc}") from None
        return self

    @property
    def candle_pair(self) -> str:
        """The pair of the candle feed."""
        return self.candles.trading_pair or self.trading_pair

    @property
    def symbol(self) -> str:
        """The store's symbol for the bot's candles."""
        return self.candles.symbol or self.candle_pair


class StrategyConfig(BaseModel):
    """The signal: its sources (``indicator:kind`` -> parameters) and how they combine."""

    model_config = ConfigDict(extra="forbid")

    controller: str | None = Field(default=None, description="Controller name; default: from the sources.")
    signals: SignalsConfig

    @model_validator(mode="after")
    def _runnable(self) -> StrategyConfig:
        for name in self.signals.sources:
            indicator = parse_source(name).indicator
            if indicator not in BOT_INDICATORS:
                raise ConfigError(
                    f"signals.sources.{name}: {indicator} cannot run inside Hummingbot; "
                    f"a bot's sources use {', '.join(BOT_INDICATORS)}"
                )
        expected = self.derived_controller
        if self.controller is not None and self.controller != expected:
            allowed = expected if expected == COMBINED else f"{expected} or {COMBINED}"
            if self.controller != COMBINED:
                raise ConfigError(f"controller: these sources run as {allowed}, got {self.controller!r}")
        return self

    @property
    def derived_controller(self) -> str:
        """The controller these sources need: the indicator's own for one source, else the combined one."""
        sources = list(self.signals.sources)
        if len(sources) == 1:
            indicator = parse_source(sources[0]).indicator
            if indicator in CONTROLLERS:
                return CONTROLLERS[indicator]
        return COMBINED

    @property
    def controller_name(self) -> str:
        """The controller the bot runs."""
        return self.controller or self.derived_controller


class ExecutionConfig(ExecutorConfig):
    """The executors: Hummingbot's directional controller fields (:class:`ExecutorConfig`'s checks are Hummingbot's)."""


class BacktestRange(BaseModel):
    """The range ``uptrade backtest`` reads when none is given on the command line."""

    model_config = ConfigDict(extra="forbid")

    start: str | None = None
    end: str | None = None


class BotConfig(BaseModel):
    """One bot: strategy, market, execution, account and mode."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Bot name: letters, digits, '_' and '-' (Hummingbot's rule).")
    mode: Literal["paper", "live"] = "paper"
    strategy: StrategyConfig
    market: MarketConfig
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    account: AccountConfig = Field(default_factory=AccountConfig)
    backtest: BacktestRange = Field(default_factory=BacktestRange)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ConfigError(f"must match {NAME_RE.pattern} (letters, digits, _ and -), got {value!r}")
        return value

    @model_validator(mode="after")
    def _venue(self) -> BotConfig:
        ex = self.execution
        if not venues.is_perpetual(self.market.connector):
            if ex.leverage != 1:
                raise ConfigError(
                    f"execution.leverage: {self.market.connector} is a spot venue; "
                    f"leverage must be 1, got {ex.leverage}"
                )
            if ex.position_mode != "ONEWAY" and "position_mode" in ex.model_fields_set:
                raise ConfigError(
                    f"execution.position_mode: {self.market.connector} is a spot venue; only ONEWAY applies"
                )
        capital = self.account.capital_for(ex)
        if ex.total_amount_quote > capital * ex.leverage:
            raise ConfigError(
                f"execution.total_amount_quote: {ex.total_amount_quote:,.2f} needs a margin of "
                f"{ex.total_amount_quote / ex.leverage:,.2f} at leverage {ex.leverage}, more than "
                f"account.initial_capital {capital:,.2f}"
            )
        return self

    @property
    def controller_name(self) -> str:
        """The Hummingbot controller the bot runs (``uptrade_sniper``, ...)."""
        return self.strategy.controller_name

    @property
    def needs_volume(self) -> bool:
        """Whether the strategy reads volume (its candle feed must carry it)."""
        return any(needs_volume(name, params) for name, params in self.strategy.signals.sources.items())

    def backtest_config(self) -> BacktestConfig:
        """The research backtest of this bot: its store symbol, timeframe, signals, executors and account."""
        executor = ExecutorConfig.model_validate(self.execution.model_dump())
        return BacktestConfig(
            symbol=self.market.symbol,
            timeframe=self.market.timeframe,
            start=self.backtest.start,
            end=self.backtest.end,
            signals=self.strategy.signals,
            executor=executor,
            account=self.account,
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> BotConfig:
        """Load and validate a bot file; ``ConfigError`` names the file and the field."""
        p = Path(path)
        raw = read_yaml(p)
        if "signals" in raw and not is_bot_file(raw):
            raise ConfigError(
                f"{p}: a backtest config, not a bot file (a bot has strategy and market sections; see examples/bots/)"
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"{p}: {bot_error(exc)}") from None


def needs_volume(source: str, params: dict[str, Any]) -> bool:
    """Whether a source reads the volume column (VZOProX and SniperProX do; an MA only for VWMA-like types)."""
    from uptrade.indicators.ma import ma_type_of
    from uptrade.indicators.registry import get_indicator

    indicator = parse_source(source).indicator
    if indicator in ("vzo", "sniper"):
        return True
    if indicator in ("ma", "cycle"):
        p = get_indicator(indicator).model.of(params)
        return ma_type_of(p.ma_type).needs_volume  # type: ignore[attr-defined]
    return False


def bot_error(exc: ValidationError) -> str:
    """``field.path: message`` of a bot file's first problem (unknown fields with a suggestion)."""
    errors = exc.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    if first["type"] == "extra_forbidden":
        from uptrade.errors import did_you_mean

        loc = first["loc"]
        model = model_at(BotConfig, tuple(loc[:-1]))
        path = ".".join(str(x) for x in loc)
        if model is None:
            return f"{path}: unknown field"
        return f"{path}: unknown field; {did_you_mean(str(loc[-1]), tuple(model.model_fields))}"
    return first_error(exc)


def is_bot_file(raw: dict[str, Any]) -> bool:
    """Whether a loaded YAML mapping is a bot file (it has ``strategy`` and ``market``) rather than a backtest."""
    return "strategy" in raw and "market" in raw


def load_backtest_config(path: str | Path) -> BacktestConfig:
    """A backtest config from a backtest file or a bot file (a bot's :meth:`BotConfig.backtest_config`)."""
    p = Path(path)
    raw = read_yaml(p)
    if is_bot_file(raw):
        return BotConfig.from_yaml(p).backtest_config()
    return BacktestConfig.from_yaml(p)


def check_live(bot: BotConfig, *, confirmed: bool, allow_live: bool) -> None:
    """Refuse a live bot unless settings allow live trading and the user confirmed (nothing is done before)."""
    if bot.mode != "live":
        return
    if not allow_live:
        raise LiveTradingError(f"{bot.name}: mode is live, and live trading is off (set UPTRADE_ALLOW_LIVE=true)")
    if not confirmed:
        raise LiveTradingError(f"{bot.name}: mode is live (real orders); confirm it (--live) to go on")


__all__ = [
    "BOT_INDICATORS",
    "COMBINED",
    "CONTROLLERS",
    "BotConfig",
    "CandleSource",
    "ExecutionConfig",
    "MarketConfig",
    "StrategyConfig",
    "check_live",
    "is_bot_file",
    "load_backtest_config",
    "needs_volume",
]
