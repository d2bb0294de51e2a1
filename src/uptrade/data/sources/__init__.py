"""Market-data sources: Polygon (official ``massive`` client), exchanges (ccxt), files.

All implement :class:`CandleSource`; :func:`open_source` builds one from a name and settings.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from uptrade.data.sources.base import BaseSource, CandleSource, Clock, MarketInfo, RetryPolicy, concat_batches
from uptrade.errors import ConfigError
from uptrade.settings import Settings, get_settings

#: The source names ``open_source`` accepts.
SOURCE_NAMES = ("polygon", "binance", "okx", "bybit", "file")

__all__ = [
    "SOURCE_NAMES",
    "BaseSource",
    "CandleSource",
    "Clock",
    "MarketInfo",
    "RetryPolicy",
    "concat_batches",
    "list_markets",
    "open_source",
    "source_timeframes",
]


def open_source(
    name: str,
    settings: Settings | None = None,
    *,
    path: str | Path | None = None,
    clock: Clock | None = None,
) -> BaseSource:
    """The source called ``name`` (polygon, a ccxt exchange id, or file with ``path``), configured from settings."""
    settings = settings or get_settings()
    retry = RetryPolicy(
        attempts=settings.source_attempts,
        timeout=settings.source_timeout,
        backoff=settings.source_backoff,
        max_backoff=settings.source_max_backoff,
    )
    key = name.strip().lower()
    if key == "polygon":
        from uptrade.data.sources.polygon import PolygonSource

        api_key = settings.polygon_api_key.get_secret_value() if settings.polygon_api_key else None
        return PolygonSource(
            api_key, settings.polygon_base_url, limit=settings.polygon_page_limit, retry=retry, clock=clock
        )
    if key == "file":
        from uptrade.data.sources.file import FileSource

        if path is None:
            raise ConfigError("path: the file source needs a file to read", param="path")
        return FileSource(path, clock=clock)
    from uptrade.data.sources.exchange import ExchangeSource

    return ExchangeSource(key, api_url=settings.exchange_urls.get(key), retry=retry, clock=clock)


def source_timeframes(name: str, settings: Settings | None = None) -> list[str] | None:
    """The timeframes source ``name`` offers in its own spelling (None: the file source takes any); no network."""
    key = name.strip().lower()
    if key == "file":
        return None
    if key == "polygon":
        from uptrade.data.sources.polygon import polygon_timeframes

        return polygon_timeframes()

    async def ask() -> list[str] | None:
        async with open_source(key, settings) as source:
            return source.timeframes()

    return asyncio.run(ask())


def list_markets(
    name: str, quote: str | None = None, search: str | None = None, settings: Settings | None = None
) -> list[MarketInfo]:
    """The markets exchange ``name`` lists (ccxt's ``load_markets``), filtered by quote and a symbol substring."""
    key = name.strip().lower()
    if key in ("file", "polygon"):
        raise ConfigError(f"source: {key} lists no markets; use an exchange (binance, okx, bybit)", param="source")

    async def ask() -> list[MarketInfo]:
        async with open_source(key, settings) as source:
            return await source.markets(quote, search)

    return asyncio.run(ask())
