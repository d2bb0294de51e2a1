"""The exception classes UpTrade raises on purpose.

Every error a user can cause derives from :class:`UpTradeError`, so callers (the CLI, the MCP
server, the dashboard) can tell "you asked for something wrong" from a bug, and catch nothing
else. Value errors also derive from :class:`ValueError` so plain Python code catching that keeps
working.

Messages say what is wrong in the library's own terms (parameter and field names), never how a
particular shell spells them: an error about an argument of a library call carries that
argument's name in ``param``, and each shell maps it to its own flag or field (the CLI prints
``--grid`` for ``param="grid"``).
"""

from __future__ import annotations


class UpTradeError(Exception):
    """Base class of every deliberate UpTrade error.

    ``param`` names the argument of the library call the error is about, when there is one.
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class ConfigError(UpTradeError, ValueError):
    """A setting, a config file, a search space or a database URL is invalid."""


class ParameterError(UpTradeError, ValueError):
    """A parameter of an indicator or signal has the wrong name, type or range (the message names it)."""


class SignalError(UpTradeError, ValueError):
    """A signal (or a request for one) breaks the convention: names the signal, bar or parameter."""


class NoDataError(UpTradeError, ValueError):
    """There is no data (or too little) for what was asked: no candles stored, too few bars, no cycle found."""


class TimeframeError(UpTradeError, ValueError):
    """A timeframe string is not one UpTrade supports."""


class SymbolError(UpTradeError, ValueError):
    """A symbol cannot be parsed into base and quote."""


class DataFormatError(UpTradeError, ValueError):
    """Input data (a file, a frame, a series) does not have the expected shape, columns or time format."""


class LiveTradingError(UpTradeError):
    """A live (real-money) action was asked for without the setting and the confirmation it needs."""


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


class HummingbotApiError(UpTradeError):
    """hummingbot-api (or Gateway behind it) refused or failed a request; ``status`` is the HTTP status, if any."""

    def __init__(self, message: str, *, status: int | None = None, param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.status = status


class ApiAuthError(HummingbotApiError):
    """hummingbot-api refused the username or password (HTTP 401): fix the credentials, retrying will not help."""


class ApiUnavailableError(HummingbotApiError):
    """hummingbot-api (or Gateway) did not answer, timed out or kept failing (5xx, 503) after bounded retries."""


class BotNotFoundError(HummingbotApiError):
    """hummingbot-api knows no bot (or controller config) by that name."""


class DeployError(HummingbotApiError):
    """A deploy failed: the container did not start, or the bot stopped with errors (``error_logs`` says why)."""

    def __init__(self, message: str, *, error_logs: list[str] | None = None, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.error_logs = list(error_logs or [])


def did_you_mean(name: str, valid: list[str] | tuple[str, ...]) -> str:
    """``did you mean X?`` for a close match of a misspelt ``name`` in ``valid``, else ``valid: a, b, ...``.

    Every "unknown name" message ends with this, so a typo reads as its fix.
    """
    import difflib

    close = difflib.get_close_matches(str(name), list(valid), n=3, cutoff=0.6)
    if close:
        return f"did you mean {' or '.join(close)}?"
    return f"valid: {', '.join(valid)}"
