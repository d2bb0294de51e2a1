"""The exception classes UpTrade raises on purpose.

Every error a user can cause derives from :class:`UpTradeError`, so callers (the CLI, the MCP
server, the dashboard) can tell "you asked for something wrong" from a bug. Value errors also
derive from :class:`ValueError` so plain Python code catching that keeps working.
"""

from __future__ import annotations


class UpTradeError(Exception):
    """Base class of every deliberate UpTrade error."""


class ConfigError(UpTradeError, ValueError):
    """A setting or a database URL is invalid."""


class TimeframeError(UpTradeError, ValueError):
    """A timeframe string is not one UpTrade supports."""


class SymbolError(UpTradeError, ValueError):
    """A symbol cannot be parsed into base and quote."""


class DataFormatError(UpTradeError, ValueError):
    """A file or frame does not have the shape of OHLCV data (columns, time format)."""


class StoreError(UpTradeError):
    """The store failed to read or write (connection, schema, SQL)."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this version of UpTrade understands."""


class SourceError(UpTradeError):
    """A market-data source (Polygon, an exchange, a file) failed to deliver candles.

    ``retryable`` tells the updater whether trying again later can help.
    """

    retryable: bool = False


class SourceAuthError(SourceError):
    """The source refused our credentials (HTTP 401/403): fix the key, retrying will not help."""


class SourceUnavailableError(SourceError):
    """The source kept failing (rate limit, 5xx, timeouts, malformed replies) after bounded retries."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: Seconds the source asked us to wait, when it said so.
        self.retry_after = retry_after


class PaginationLoopError(SourceError):
    """The source sent a pagination cursor it had already sent: following it would never end."""

    retryable = True
