"""UpTrade cycle-adaptive MA: a Hummingbot V2 directional controller (``uptrade hb bundle`` writes it).

Every bar of the candle feed gets UpTrade's ``cycle:cross`` signal: the close crossing a moving
average whose length is the dominant cycle of the last ``window`` bars (sliding Goertzel on hl2,
rounded and clamped to ``min_period``..``max_period``), 1 upwards and -1 downwards. On the first
tick after a bar whose signal is 1 (-1) closes, the controller opens a long (short) position
executor with the triple barrier of its config, as ``uptrade backtest`` does at that bar's close.
The indicator code between the imports and the config class is copied from the UpTrade package,
with its numba kernels: the same code its backtests run. The config's indicator fields have the
names, defaults and ranges of UpTrade's ``CycleParams``; ``uptrade hb config BOT.yml`` writes a
config for a bot file.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from hummingbot.data_feed.candles_feed.candles_base import CandlesBase
from hummingbot.data_feed.candles_feed.data_types import CandlesConfig
from hummingbot.strategy_v2.controllers import directional_trading_controller_base as directional
from hummingbot.strategy_v2.controllers.directional_trading_controller_base import DirectionalTradingControllerBase
from pydantic import Field, ValidationInfo, field_validator, model_validator

# <uptrade:generated>


# The base class through its module, never as a name of this module: hummingbot-api finds a
# controller's config class as the first class of the module, by name, that subclasses
# ControllerConfigBase, and would take an imported DirectionalTradingControllerConfigBase instead.
class UpTradeCycleConfig(directional.DirectionalTradingControllerConfigBase):
    """A cycle-adaptive MA cross signal on a candle feed; Hummingbot's triple-barrier position executors."""

    controller_name: str = "uptrade_cycle"
    candles_connector: str | None = Field(default=None, description="Candle feed connector; default: connector_name.")
    candles_trading_pair: str | None = Field(default=None, description="Candle feed pair; default: trading_pair.")
    interval: str = Field(default="1h", description="Candle interval the signal is computed on.")
    # <uptrade:fields candles>
    signal_kind: str = Field(default=DEFAULT_KINDS["cycle"], description="cross (the only kind).")
    # <uptrade:fields cycle>

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

    @model_validator(mode="after")
    def _signal(self) -> UpTradeCycleConfig:
        problem = source_problem(self.source) or param_problem("cycle", self.indicator_params())
        if problem:
            raise ValueError(problem)
        return self

    @property
    def source(self) -> str:
        """The UpTrade signal source, ``cycle:<signal_kind>``."""
        return f"cycle:{self.signal_kind}"

    def indicator_params(self) -> dict[str, Any]:
        """The cycle-adaptive MA parameters of this config."""
        return {name: getattr(self, name) for name in PARAM_NAMES["cycle"]}


class UpTradeCycleController(DirectionalTradingControllerBase):
    """Computes the signal over the candle feed each tick; acts on each closed bar's signal once."""

    def __init__(self, config: UpTradeCycleConfig, *args: Any, **kwargs: Any) -> None:
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
        signal = cycle_signal(cfg.indicator_params(), candles)
        now = self.market_data_provider.time()
        seconds = CandlesBase.interval_to_seconds[cfg.interval]
        live, self._seen = live_signal(candles["timestamp"], signal, now, seconds, self._seen)
        self.processed_data["signal"] = live
        self.processed_data["features"] = pd.DataFrame({"timestamp": df["timestamp"].to_numpy(), "signal": signal})
