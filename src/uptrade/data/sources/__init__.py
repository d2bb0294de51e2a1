"""Market-data sources: Polygon (official ``massive`` client), exchanges (ccxt), files.

All implement :class:`CandleSource`; :func:`open_source` builds one from a name and settings.
"""

from __future__ import annotations

from pathlib import Path

from uptrade.data.sources.base import BaseSource, CandleSource, Clock, RetryPolicy, concat_batches
from uptrade.errors import ConfigError
from uptrade.settings import Settings, get_settings

#: The source names ``open_source`` accepts.
SOURCE_NAMES = ("polygon", "binance", "okx", "bybit", "file")

__all__ = ["SOURCE_NAMES", "BaseSource", "CandleSource", "Clock", "RetryPolicy", "concat_batches", "open_source"]


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
