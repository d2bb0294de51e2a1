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
