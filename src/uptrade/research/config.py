"""Backtest configuration (YAML), shared by the research modes: market, signals, executor.

The executor fields carry Hummingbot's V2 directional-controller names (``total_amount_quote``,
``max_executors_per_side``, ``cooldown_time``, ``stop_loss``, ``take_profit``, ``time_limit``,
``trailing_stop``, ``trade_cost``), so that one file describes the research backtest and the
bot. Fractions are fractions (``0.02`` is 2%); times are seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from uptrade.data.timeframes import parse_timeframe
from uptrade.errors import ConfigError, UpTradeError
from uptrade.indicators.registry import get_indicator
from uptrade.research import engine_nb as nb
from uptrade.signals.adapters import parse_source
from uptrade.signals.combine import CombinerConfig


def first_error(exc: ValidationError) -> str:
    """``field.path: message`` of a validation error's first problem.

    Our own checks say what they are about; a message that starts with a deeper field path
    (``sniper:major.length: must be ...``) continues the path with a dot. An unknown field (a
    typo) is reported before the other problems it causes, with the closest valid field names
    (``executor.stop_los: unknown field; did you mean stop_loss?``).
    """
    errors = exc.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    if first["type"] == "extra_forbidden":
        return _unknown_field(exc.title, first["loc"])
    loc = ".".join(str(x) for x in first["loc"])
    err = (first.get("ctx") or {}).get("error")
    msg = str(err) if isinstance(err, UpTradeError) else first["msg"]
    if not loc:
        return msg
    head, sep, _ = msg.partition(": ")
    return f"{loc}.{msg}" if isinstance(err, UpTradeError) and sep and " " not in head else f"{loc}: {msg}"


def source_params(source: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """A signal source's indicator parameters, typed and checked by its model (only the given names kept)."""
    info = get_indicator(parse_source(source).indicator)
    return info.model.given(params or {}, info.name)


class TrailingStop(BaseModel):
    """Hummingbot's trailing stop: armed at a PnL of ``activation_price``, then trails by ``trailing_delta``."""

    model_config = ConfigDict(extra="forbid")

    activation_price: float = Field(gt=0, lt=1)
    trailing_delta: float = Field(gt=0, lt=1)


class ExecutorConfig(BaseModel):
    """Position sizing and the triple barrier of each executor."""

    model_config = ConfigDict(extra="forbid")

    total_amount_quote: float = Field(default=1000.0, gt=0)
    max_executors_per_side: int = Field(default=2, ge=1)
    cooldown_time: int = Field(default=300, description="Seconds between two executors of a side (> 0, as Hummingbot).")
    leverage: int = Field(default=1, ge=1)
    position_mode: Literal["HEDGE", "ONEWAY"] = "HEDGE"
    stop_loss: float | None = Field(default=0.03, gt=0, lt=1)
    take_profit: float | None = Field(default=0.02, gt=0, lt=1)
    time_limit: int | None = Field(default=2700, gt=0)
    trailing_stop: TrailingStop | None = None
    trade_cost: float = Field(default=0.0006, ge=0, lt=0.1)
    slippage: float = Field(default=0.0, ge=0, lt=0.1)

    @field_validator("cooldown_time")
    @classmethod
    def _cooldown(cls, value: int) -> int:
        if value <= 0:
            raise ConfigError(f"must be > 0 seconds (Hummingbot's directional controllers refuse {value}), got {value}")
        return value

    @property
    def amount_quote(self) -> float:
        """Quote amount of one executor: the total split over the executors one side may hold."""
        return self.total_amount_quote / self.max_executors_per_side

    def kernel_row(self, account: AccountConfig | None = None, markets: int = 1) -> np.ndarray:
        """These settings in ``account`` (over ``markets`` markets) as the kernels' executor row (``X_*``
        positions; NaN: that barrier is off)."""
        account = account or AccountConfig()
        x = np.full(len(nb.EXECUTOR_ROW), np.nan)
        x[nb.X_TOTAL_AMOUNT_QUOTE] = self.total_amount_quote
        x[nb.X_MAX_EXECUTORS_PER_SIDE] = self.max_executors_per_side
        x[nb.X_COOLDOWN_TIME] = self.cooldown_time
        x[nb.X_STOP_LOSS] = np.nan if self.stop_loss is None else self.stop_loss
        x[nb.X_TAKE_PROFIT] = np.nan if self.take_profit is None else self.take_profit
        x[nb.X_TIME_LIMIT] = np.nan if self.time_limit is None else self.time_limit
        if self.trailing_stop is not None:
            x[nb.X_ACTIVATION_PRICE] = self.trailing_stop.activation_price
            x[nb.X_TRAILING_DELTA] = self.trailing_stop.trailing_delta
        x[nb.X_TRADE_COST] = self.trade_cost
        x[nb.X_INITIAL_CAPITAL] = account.capital_for(self, markets)
        x[nb.X_MAINTENANCE_MARGIN] = account.maintenance_margin
        return x


class AccountConfig(BaseModel):
    """The account the executors trade in: its starting capital and when it is liquidated.

    ``initial_capital`` defaults to the executor's ``total_amount_quote`` (the account holds what
    the executors may use; ``total_amount_quote`` may not exceed ``initial_capital * leverage``).
    The account is liquidated, and the run marked ruined, at the first bar where its equity is
    <= 0 or below ``maintenance_margin`` times the notional it carries. The default, 5%, is a
    conservative maintenance margin (exchanges ask from 0.4% on the largest pairs at small size to
    5% and more on small caps and large positions); it also caps at 20x the leverage a fixed-size
    strategy reaches on a shrinking account, beyond which per-bar returns no longer describe an
    account anyone could trade. 0 liquidates only at equity <= 0.
    """

    model_config = ConfigDict(extra="forbid")

    initial_capital: float | None = Field(default=None, gt=0)
    maintenance_margin: float = Field(default=0.05, ge=0, lt=1)

    def capital_for(self, executor: ExecutorConfig, markets: int = 1) -> float:
        """The starting capital with ``executor``'s settings on ``markets`` markets (theirs summed by default)."""
        return self.initial_capital if self.initial_capital is not None else executor.total_amount_quote * markets


class SignalsConfig(BaseModel):
    """Signal sources (``indicator:kind`` -> indicator parameters) and how to combine them."""

    model_config = ConfigDict(extra="forbid")

    sources: dict[str, dict[str, Any]] = Field(min_length=1)
    combine: CombinerConfig = Field(default_factory=CombinerConfig)

    @field_validator("sources")
    @classmethod
    def _known(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out = {}
        for key, params in value.items():
            name = parse_source(key).name
            try:
                out[name] = source_params(name, params)
            except UpTradeError as exc:
                raise ConfigError(f"{key}.{exc}") from None
        return out


class BacktestConfig(BaseModel):
    """One backtest: which candles, which signals, which executors."""

    model_config = ConfigDict(extra="forbid")

    symbol: str | None = None
    symbols: list[str] | None = Field(default=None, min_length=1)
    timeframe: str = "1h"
    start: str | None = None
    end: str | None = None
    signals: SignalsConfig
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    account: AccountConfig = Field(default_factory=AccountConfig)

    @model_validator(mode="after")
    def _margin(self) -> BacktestConfig:
        if (self.symbol is None) == (self.symbols is None):
            raise ConfigError("symbol: give either symbol (one market) or symbols (a portfolio), not both or neither")
        if self.symbols is not None and len(set(self.symbols)) != len(self.symbols):
            raise ConfigError(f"symbols: each market once, got {', '.join(self.symbols)}")
        # the executors of every market may hold total_amount_quote at once; its margin must fit
        capital = self.initial_capital
        ex = self.executor
        held = ex.total_amount_quote * len(self.markets)
        if held > capital * ex.leverage:
            raise ConfigError(
                f"executor.total_amount_quote: {len(self.markets)} x {ex.total_amount_quote:,.2f} needs a margin of "
                f"{held / ex.leverage:,.2f} at leverage {ex.leverage}, more than "
                f"account.initial_capital {capital:,.2f} (raise initial_capital or leverage)"
            )
        return self

    @property
    def markets(self) -> list[str]:
        """The symbols traded: the one ``symbol``, or the portfolio's ``symbols``."""
        return list(self.symbols) if self.symbols is not None else [str(self.symbol)]

    @property
    def is_portfolio(self) -> bool:
        """Whether the config trades several markets from one account (``symbols``)."""
        return self.symbols is not None

    @property
    def initial_capital(self) -> float:
        """The account's starting capital (by default each market's ``total_amount_quote``, summed)."""
        return self.account.capital_for(self.executor, len(self.markets))

    def kernel_row(self) -> np.ndarray:
        """The executor row of this config's executor in its account (:meth:`ExecutorConfig.kernel_row`)."""
        return self.executor.kernel_row(self.account, len(self.markets))

    @field_validator("timeframe")
    @classmethod
    def _timeframe(cls, value: str) -> str:
        return str(parse_timeframe(value))

    def with_overrides(
        self,
        *,
        symbol: str | None = None,
        timeframe: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> BacktestConfig:
        """A copy with the given market fields replaced (``None`` keeps the file's), validated again."""
        updates: dict[str, Any] = {
            k: v for k, v in {"symbol": symbol, "timeframe": timeframe, "start": start, "end": end}.items() if v
        }
        if not updates:
            return self
        if symbol:
            updates["symbols"] = None  # one market given: the portfolio's list no longer applies
        try:
            return type(self).model_validate({**self.model_dump(), **updates})
        except ValidationError as exc:
            raise ConfigError(first_error(exc)) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> BacktestConfig:
        """Load and validate a YAML file; ``ConfigError`` names the file and the bad field."""
        p = Path(path)
        raw = read_yaml(p)
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"{p}: {first_error(exc)}") from None


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping; ``ConfigError`` for a missing file, bad YAML or another shape."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a YAML file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return raw


def model_at(root: type[BaseModel], path: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``path`` below ``root`` (mapping keys skipped)."""
    import typing

    model: type[BaseModel] = root
    for part in path:
        field = model.model_fields.get(str(part))
        if field is None:
            continue  # a mapping's key (a source name): the model is the mapping's value type
        found = None
        for arg in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found = arg
        if found is None:
            return None
        model = found
    return model


def _unknown_field(title: str, loc: tuple[int | str, ...]) -> str:
    """``path.name: unknown field; did you mean ...?`` for an ``extra_forbidden`` error of model ``title``."""
    from uptrade.errors import did_you_mean

    roots: dict[str, type[BaseModel]] = {
        m.__name__: m
        for m in (BacktestConfig, SignalsConfig, ExecutorConfig, AccountConfig, TrailingStop, CombinerConfig)
    }
    path = ".".join(str(x) for x in loc)
    root = roots.get(title)
    model = model_at(root, tuple(loc[:-1])) if root is not None else None
    if model is None:
        return f"{path}: unknown field"
    return f"{path}: unknown field; {did_you_mean(str(loc[-1]), tuple(model.model_fields))}"
