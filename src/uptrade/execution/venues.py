"""What Hummingbot knows: its connectors, candle feeds and intervals, and its trading-pair format.

The lists live in ``hb_venues.json``, read from the pinned Hummingbot release's own package
(``scripts/hb_venues.py`` regenerates it; ``tests/test_bundle_hummingbot.py`` checks it against
the installed Hummingbot): the exchange connectors (spot and perpetual, by their package
directories), the candle feeds of its ``CandlesFactory`` with the intervals each one serves, and
the Gateway connectors (``uniswap/amm`` style: a DEX and its pool type). Checking against them at
load means a bot file names nothing Hummingbot would refuse when it starts.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from uptrade.errors import ConfigError, did_you_mean

PAIR_RE = re.compile(r"^[A-Z0-9]+(\.[A-Z0-9]+)?-[A-Z0-9]+(\.[A-Z0-9]+)?$")


@cache
def _data() -> dict[str, Any]:
    text = resources.files("uptrade.execution").joinpath("hb_venues.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def hummingbot_version() -> str:
    """The Hummingbot release the lists were read from."""
    return str(_data()["hummingbot"])


def spot_connectors() -> tuple[str, ...]:
    """Hummingbot's spot exchange connectors."""
    return tuple(_data()["spot"])


def perpetual_connectors() -> tuple[str, ...]:
    """Hummingbot's perpetual (derivative) connectors."""
    return tuple(_data()["perpetual"])


def paper_trade_exchanges() -> tuple[str, ...]:
    """The spot exchanges a stock Hummingbot client paper-trades (as ``<exchange>_paper_trade``)."""
    return tuple(_data()["paper_trade"])


def gateway_connectors() -> tuple[str, ...]:
    """Gateway's DEX connectors, ``dex/type`` (``uniswap/amm``, ``jupiter/router``, ...)."""
    return tuple(_data()["gateway"])


def candle_feeds() -> dict[str, tuple[str, ...]]:
    """Hummingbot's candle feeds and the intervals each serves."""
    return {name: tuple(ivs) for name, ivs in _data()["candle_feeds"].items()}


def intervals() -> tuple[str, ...]:
    """Every candle interval some Hummingbot feed serves."""
    seen: dict[str, None] = {}
    for ivs in _data()["candle_feeds"].values():
        seen.update(dict.fromkeys(ivs))
    return tuple(seen)


def is_gateway(connector: str) -> bool:
    """Whether ``connector`` trades through Gateway (a DEX)."""
    return connector in gateway_connectors()


def is_perpetual(connector: str) -> bool:
    """Whether ``connector`` trades perpetual futures (leverage and position mode apply)."""
    return connector in perpetual_connectors()


def check_connector(name: str) -> str:
    """``name`` if Hummingbot or Gateway has that connector, else a ``ConfigError`` with the closest names."""
    known = (*spot_connectors(), *perpetual_connectors(), *gateway_connectors())
    value = str(name).strip()
    if value in known:
        return value
    raise ConfigError(f"unknown connector {value!r}; {did_you_mean(value, known)}")


def check_pair(pair: str, *, field: str | None = None) -> str:
    """A ``BASE-QUOTE`` trading pair in Hummingbot's format (upper case, one dash)."""
    value = str(pair).strip()
    if not PAIR_RE.match(value):
        where = f"{field}: " if field else ""
        raise ConfigError(f"{where}expected BASE-QUOTE in upper case (e.g. BTC-USDT), got {value!r}")
    return value


def check_interval(value: str) -> str:
    """One of Hummingbot's candle intervals (``1m``, ``1h``, ``1d``, ...)."""
    text = str(value).strip()
    known = intervals()
    if text in known:
        return text
    raise ConfigError(f"expected one of Hummingbot's intervals ({', '.join(known)}), got {text!r}")


def check_candle_feed(connector: str, interval: str) -> str:
    """``connector`` if Hummingbot has a candle feed for it serving ``interval``."""
    feeds = candle_feeds()
    if connector not in feeds:
        raise ConfigError(
            f"Hummingbot has no candle feed for {connector!r}; name one in market.candles.connector "
            f"({did_you_mean(connector, tuple(feeds))})"
        )
    if interval not in feeds[connector]:
        raise ConfigError(f"{connector} candles come in {', '.join(feeds[connector])}, not {interval}")
    return connector


__all__ = [
    "candle_feeds",
    "check_candle_feed",
    "check_connector",
    "check_interval",
    "check_pair",
    "gateway_connectors",
    "hummingbot_version",
    "intervals",
    "is_gateway",
    "is_perpetual",
    "paper_trade_exchanges",
    "perpetual_connectors",
    "spot_connectors",
]
