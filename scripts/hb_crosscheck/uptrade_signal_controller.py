"""A Hummingbot V2 directional controller whose signal comes from UpTrade (a column of the candles feed).

Loaded only inside the Hummingbot environment (``scripts/hummingbot_env.sh``) by
``run_hummingbot.py``. Hummingbot finds a config's controller class by importing the config's
module and taking its one concrete ``ControllerBase`` subclass, so both classes live here.
"""

from __future__ import annotations

from hummingbot.data_feed.candles_feed.data_types import CandlesConfig
from hummingbot.strategy_v2.controllers.directional_trading_controller_base import (
    DirectionalTradingControllerBase,
    DirectionalTradingControllerConfigBase,
)


class UpTradeSignalConfig(DirectionalTradingControllerConfigBase):
    """Directional config plus the interval of the feed that carries the ``signal`` column."""

    controller_name: str = "uptrade_signal"
    signal_interval: str = "1h"


class UpTradeSignalController(DirectionalTradingControllerBase):
    """Features = the feed's timestamps and its precomputed ``signal`` (+1 / -1 / 0)."""

    def __init__(self, config: UpTradeSignalConfig, *args: object, **kwargs: object) -> None:
        super().__init__(config, *args, **kwargs)
        self.config = config

    def get_candles_config(self) -> list[CandlesConfig]:
        cfg = self.config
        return [
            CandlesConfig(
                connector=cfg.connector_name, trading_pair=cfg.trading_pair, interval=cfg.signal_interval, max_records=1
            )
        ]

    async def update_processed_data(self) -> None:
        cfg = self.config
        feed = self.market_data_provider.get_candles_df(cfg.connector_name, cfg.trading_pair, cfg.signal_interval)
        features = feed[["timestamp", "signal"]].copy()
        self.processed_data = {"signal": 0, "features": features}
