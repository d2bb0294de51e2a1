"""UpTrade combined signal: a Hummingbot V2 directional controller (``uptrade hb bundle`` writes it).

The config's ``sources`` map UpTrade signal sources (``indicator:kind`` of ``sniper``, ``vzo``,
``cycle`` and ``ma``) to their indicator parameters; ``combine`` merges their signals as UpTrade's
combiner does: ``and`` (all agree), ``or`` (the majority of the non-zero ones), ``weighted``
(``sum(w s) / sum(w)`` beyond ``threshold``) or ``confirm`` (``primary`` confirmed by the others
within ``confirm_window`` bars). On the first tick after a bar whose combined signal is 1 (-1)
closes, the controller opens a long (short) position executor with the triple barrier of its
config, as ``uptrade backtest`` does at that bar's close. The code between the imports and the
parameter models is copied from the UpTrade package, with its numba kernels: the same code its
backtests run. Each source's parameters have the names, defaults and ranges of UpTrade's models;
``uptrade hb config BOT.yml`` writes a config for a bot file.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from hummingbot.data_feed.candles_feed.candles_base import CandlesBase
from hummingbot.data_feed.candles_feed.data_types import CandlesConfig
from hummingbot.strategy_v2.controllers import directional_trading_controller_base as directional
from hummingbot.strategy_v2.controllers.directional_trading_controller_base import DirectionalTradingControllerBase
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

# <uptrade:generated>


class SniperParams(BaseModel):
    """SniperProX parameters (UpTrade's ``SniperParams``)."""

    model_config = ConfigDict(extra="forbid")
    # <uptrade:fields sniper>

    @model_validator(mode="after")
    def _rules(self) -> SniperParams:
        return checked(self, "sniper")


class VZOParams(BaseModel):
    """VZOProX parameters (UpTrade's ``VZOParams``)."""

    model_config = ConfigDict(extra="forbid")
    # <uptrade:fields vzo>

    @model_validator(mode="after")
    def _rules(self) -> VZOParams:
        return checked(self, "vzo")


class CycleParams(BaseModel):
    """Cycle-adaptive MA parameters (UpTrade's ``CycleParams``)."""

    model_config = ConfigDict(extra="forbid")
    # <uptrade:fields cycle>

    @model_validator(mode="after")
    def _rules(self) -> CycleParams:
        return checked(self, "cycle")


class MAParams(BaseModel):
    """Moving-average parameters (UpTrade's ``MAParams``)."""

    model_config = ConfigDict(extra="forbid")
    # <uptrade:fields ma>

    @model_validator(mode="after")
    def _rules(self) -> MAParams:
        return checked(self, "ma")


def checked(params: Any, indicator: str) -> Any:
    """``params`` if they pass the indicator's cross-field rules, else a ``ValueError`` naming the rule."""
    problem = param_problem(indicator, params.model_dump())
    if problem:
        raise ValueError(problem)
    return params


PARAM_MODELS = {"sniper": SniperParams, "vzo": VZOParams, "cycle": CycleParams, "ma": MAParams}


class CombineSettings(BaseModel):
    """How the sources' signals combine (UpTrade's ``CombinerConfig``)."""

    model_config = ConfigDict(extra="forbid")
    # <uptrade:fields combine>


# The base class through its module, never as a name of this module: hummingbot-api finds a
# controller's config class as the first class of the module, by name, that subclasses
# ControllerConfigBase, and would take an imported DirectionalTradingControllerConfigBase instead.
class UpTradeCombinedConfig(directional.DirectionalTradingControllerConfigBase):
    """Several UpTrade signals combined on one candle feed; Hummingbot's triple-barrier position executors."""

    controller_name: str = "uptrade_combined"
    candles_connector: str | None = Field(default=None, description="Candle feed connector; default: connector_name.")
    candles_trading_pair: str | None = Field(default=None, description="Candle feed pair; default: trading_pair.")
    interval: str = Field(default="1h", description="Candle interval the signal is computed on.")
    # <uptrade:fields candles>
    sources: dict[str, SniperParams | VZOParams | CycleParams | MAParams] = Field(
        description="indicator:kind -> its parameters (sniper, vzo, cycle, ma)."
    )
    combine: CombineSettings = Field(default_factory=CombineSettings, description="How the signals combine.")

    @field_validator("candles_connector", mode="before")
    @classmethod
    def _candles_connector(cls, value: Any, info: ValidationInfo) -> Any:
        return info.data.get("connector_name") if value in (None, "") else value

    @field_validator("candles_trading_pair", mode="before")
    @classmethod
    def _candles_trading_pair(cls, value: Any, info: ValidationInfo) -> Any:
        return info.data.get("trading_pair") if value in (None, "") else value

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        if value not in CandlesBase.interval_to_seconds:
            raise ValueError(f"interval: one of {', '.join(CandlesBase.interval_to_seconds)}, got {value!r}")
        return value

    @field_validator("sources", mode="before")
    @classmethod
    def _sources(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            raise ValueError("sources: give at least one indicator:kind with its parameters")
        out = {}
        for name, params in value.items():
            problem = source_problem(str(name))
            if problem:
                raise ValueError(f"sources.{problem}")
            model = PARAM_MODELS[str(name).partition(":")[0]]
            out[str(name)] = params if isinstance(params, model) else model.model_validate(params or {})
        return out

    @model_validator(mode="after")
    def _combine(self) -> UpTradeCombinedConfig:
        c = self.combine
        problem = combine_problem(list(self.sources), c.mode, c.weights, c.threshold, c.primary, c.confirm_window)
        if problem:
            raise ValueError(f"combine.{problem}")
        return self

    def source_params(self) -> dict[str, dict[str, Any]]:
        """Each source's parameters as a plain mapping."""
        return {name: params.model_dump() for name, params in self.sources.items()}


class UpTradeCombinedController(DirectionalTradingControllerBase):
    """Computes the combined signal over the candle feed each tick; acts on each closed bar's signal once."""

    def __init__(self, config: UpTradeCombinedConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.config = config
        self._seen: float | None = None

    def get_candles_config(self) -> list[CandlesConfig]:
        cfg = self.config
        return [
            CandlesConfig(
                connector=cfg.candles_connector,
                trading_pair=cfg.candles_trading_pair,
                interval=cfg.interval,
                max_records=cfg.max_records,
            )
        ]

    async def update_processed_data(self) -> None:
        cfg = self.config
        df = self.market_data_provider.get_candles_df(
            connector_name=cfg.candles_connector,
            trading_pair=cfg.candles_trading_pair,
            interval=cfg.interval,
            max_records=cfg.max_records,
        )
        candles = candle_arrays(df)
        signal = combined_signal(cfg.source_params(), candles, **cfg.combine.model_dump())
        now = self.market_data_provider.time()
        seconds = CandlesBase.interval_to_seconds[cfg.interval]
        live, self._seen = live_signal(candles["timestamp"], signal, now, seconds, self._seen)
        self.processed_data["signal"] = live
        self.processed_data["features"] = pd.DataFrame({"timestamp": df["timestamp"].to_numpy(), "signal": signal})
