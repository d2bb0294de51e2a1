"""``uptrade hb config``: the Hummingbot controller config of a bot file, as hummingbot-api expects it.

A controller config is a flat YAML mapping that Hummingbot validates with the config class of
``controllers/<controller_type>/<controller_name>.py`` (the bundle's ``uptrade_*`` files): ``id``,
``controller_name``, ``controller_type``, the directional fields (``connector_name``,
``trading_pair``, ``total_amount_quote``, ``max_executors_per_side``, ``cooldown_time``,
``leverage``, ``position_mode``, ``stop_loss``, ``take_profit``, ``time_limit``,
``trailing_stop``), the candle feed (``candles_connector``, ``candles_trading_pair``,
``interval``, ``max_records``) and the signal: ``signal_kind`` and the indicator's parameters for
the one-source controllers, ``sources`` and ``combine`` for ``uptrade_combined``. Every indicator
parameter is written, defaults included, so the bot runs what was backtested even if a default
changes later.

The connector a bot trades on (``connector_name``):

- ``mode: live``: the market's connector itself (real orders). It needs the ``allow_live``
  setting and the user's confirmation (``--live``), as every live action does
  (:func:`~uptrade.execution.bots.check_live`).
- ``mode: paper`` on a spot exchange: ``<exchange>_paper_trade``. Hummingbot's paper trading is a
  connector of its own (``PaperTradeExchange``: the exchange's real order book, simulated fills
  and balances) registered as ``<exchange>_paper_trade`` for each exchange listed in
  ``paper_trade.paper_trade_exchanges`` of ``conf_client.yml`` (by default binance, gate_io, kraken
  and kucoin: :func:`~uptrade.execution.venues.paper_trade_exchanges`, read from Hummingbot's own
  config map); for another spot exchange the config is written with a note to add it there.
- ``mode: paper`` on a perpetual or Gateway venue is refused: ``PaperTradeExchange`` is a spot
  exchange (no leverage, positions or funding), and Hummingbot has no paper connector for
  perpetuals or DEXs. Such a bot runs on paper in UpTrade (``uptrade paper run``), or as a live bot
  on the venue's testnet connector (``binance_perpetual_testnet``, ...: testnet keys, no real money).

The candle feed stays the market's real one in every mode.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from uptrade.errors import ConfigError
from uptrade.execution import venues
from uptrade.execution.bots import COMBINED, BotConfig, check_live
from uptrade.execution.bundle import CONTROLLER_TYPE
from uptrade.execution.hbsignals import combine_problem, param_problem, source_problem
from uptrade.indicators.registry import get_indicator
from uptrade.signals.adapters import parse_source

PAPER_SUFFIX = "_paper_trade"


@dataclass
class ControllerConfig:
    """A controller config (the YAML mapping) and the notes the user should read before deploying it."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    def to_yaml(self) -> str:
        """The config as YAML, fields in Hummingbot's order."""
        return yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True)


def trading_connector(bot: BotConfig) -> tuple[str, list[str]]:
    """The ``connector_name`` the bot trades on in Hummingbot (see the module docstring), and notes."""
    connector = bot.market.connector
    if bot.mode == "live":
        return connector, []
    if venues.is_perpetual(connector) or venues.is_gateway(connector):
        kind = "a perpetual" if venues.is_perpetual(connector) else "a Gateway (DEX)"
        testnet = f"{connector}_testnet"
        other = (
            f"a live bot on its testnet ({testnet}, testnet keys)"
            if testnet in venues.perpetual_connectors()
            else "a live bot on a testnet"
        )
        raise ConfigError(
            f"market.connector: {connector} is {kind} venue, and Hummingbot's paper trading simulates spot "
            f"exchanges only ({connector}{PAPER_SUFFIX} does not exist); run this paper bot with "
            f"`uptrade paper run`, or deploy {other}"
        )
    notes = []
    default = venues.paper_trade_exchanges()
    if connector not in default:
        notes.append(
            f"Hummingbot registers {connector}{PAPER_SUFFIX} only if conf_client.yml lists {connector} in "
            f"paper_trade.paper_trade_exchanges (the default list is {', '.join(default)})"
        )
    return f"{connector}{PAPER_SUFFIX}", notes


def indicator_params(source: str, given: dict[str, Any]) -> dict[str, Any]:
    """Every parameter of a source's indicator: the given ones, the defaults for the rest."""
    return get_indicator(parse_source(source).indicator).model.of(given).model_dump()


def signal_fields(bot: BotConfig) -> dict[str, Any]:
    """The controller's signal fields: ``signal_kind`` and the parameters, or ``sources`` and ``combine``."""
    signals = bot.strategy.signals
    sources = {name: indicator_params(name, params) for name, params in signals.sources.items()}
    for name, params in sources.items():
        problem = source_problem(name) or param_problem(parse_source(name).indicator, params)
        if problem:
            raise ConfigError(f"strategy.signals.sources.{name}: {problem}")
    if bot.controller_name == COMBINED:
        c = signals.combine
        problem = combine_problem(list(sources), c.mode, c.weights, c.threshold, c.primary, c.confirm_window)
        if problem:
            raise ConfigError(f"strategy.signals.combine.{problem}")
        return {"sources": sources, "combine": c.model_dump()}
    ((name, params),) = sources.items()
    return {"signal_kind": parse_source(name).kind, **params}


def controller_config(bot: BotConfig, *, confirmed: bool = False, allow_live: bool = False) -> ControllerConfig:
    """The Hummingbot controller config of ``bot``; a live bot needs ``allow_live`` and ``confirmed``."""
    check_live(bot, confirmed=confirmed, allow_live=allow_live)
    connector, notes = trading_connector(bot)
    ex = bot.execution
    market = bot.market
    trailing = ex.trailing_stop
    data: dict[str, Any] = {
        "id": bot.name,
        "controller_name": bot.controller_name,
        "controller_type": CONTROLLER_TYPE,
        "connector_name": connector,
        "trading_pair": market.trading_pair,
        "total_amount_quote": ex.total_amount_quote,
        "max_executors_per_side": ex.max_executors_per_side,
        "cooldown_time": ex.cooldown_time,
        "leverage": ex.leverage,
        "position_mode": ex.position_mode if venues.is_perpetual(market.connector) else "ONEWAY",
        "stop_loss": ex.stop_loss,
        "take_profit": ex.take_profit,
        "time_limit": ex.time_limit,
        "trailing_stop": None if trailing is None else trailing.model_dump(),
        "candles_connector": market.candles.connector,
        "candles_trading_pair": market.candle_pair,
        "interval": market.timeframe,
        "max_records": market.candles.max_records,
        **signal_fields(bot),
    }
    return ControllerConfig(data, notes)


def write_controller_config(config: ControllerConfig, out: str | Path) -> Path:
    """Write the config to ``out``, a ``.yml`` file or a folder (``<id>.yml`` in it), replacing the file in one step."""
    path = Path(out)
    if path.is_dir() or path.suffix.lower() not in (".yml", ".yaml"):
        path = path / f"{config.id}.yml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise ConfigError(f"out: cannot write {path} ({exc.strerror or exc})", param="out") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(config.to_yaml())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"out: cannot write {path} ({exc.strerror or exc})", param="out") from None
    return path


__all__ = [
    "ControllerConfig",
    "controller_config",
    "indicator_params",
    "trading_connector",
    "write_controller_config",
]
