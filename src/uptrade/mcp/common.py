"""What every tool shares: the store, the translation of UpTrade's errors into tool errors, limits.

A tool raises :class:`~mcp.server.mcpserver.exceptions.ToolError` for anything a caller can get
wrong; the client sees ``is_error`` with the message, the server logs it without a traceback.
:func:`tool_errors` turns every :class:`~uptrade.errors.UpTradeError` into one, beginning with the
parameter it is about, with passwords (the database's and hummingbot-api's) masked.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from uptrade.errors import UpTradeError

if TYPE_CHECKING:
    from uptrade.data.store import Store

P = ParamSpec("P")
R = TypeVar("R")

#: Most candle rows one ``get_candles`` call returns: an agent's context is not a data pipe.
MAX_ROWS = 5000

_stores: dict[str, Store] = {}
_lock = threading.Lock()


def public_message(error: BaseException) -> str:
    """The error's one line, beginning with the parameter it is about when the library named one
    (``grid: ...``), with the database's and hummingbot-api's passwords masked."""
    from uptrade.execution.monitor import public_message as masked

    text = masked(error)
    param = error.param if isinstance(error, UpTradeError) else None
    if param and not text.startswith((f"{param}:", f"{param} ")):
        return f"{param}: {text}"
    return text


def store() -> Store:
    """The store at the settings' URL, opened once per process and URL (its schema checked then)."""
    from uptrade.data.store import open_store
    from uptrade.settings import get_settings

    url = get_settings().resolved_database_url()
    with _lock:
        if url not in _stores:
            _stores[url] = open_store(url)
        return _stores[url]


def close_stores() -> None:
    """Close every store this process opened (the server's shutdown)."""
    with _lock:
        for opened in _stores.values():
            opened.close()
        _stores.clear()


def tool_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Make a tool answer a :class:`ToolError` (one line, secrets masked) for any :class:`UpTradeError`."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            try:
                return await func(*args, **kwargs)
            except UpTradeError as exc:
                raise ToolError(public_message(exc)) from None

        return run_async  # type: ignore[return-value]

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except UpTradeError as exc:
            raise ToolError(public_message(exc)) from None

    return run
