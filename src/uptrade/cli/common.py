"""Plumbing shared by every command: the consoles, the progress bar, the store and clean errors.

Command modules import from here (and :mod:`uptrade.cli.views`) and from the library, never from
:mod:`uptrade.cli.app` or from each other, so the package has no import cycle. Nothing heavy
(pandas, SQLAlchemy, rich's progress) is imported at module level: ``uptrade --help`` stays fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from uptrade.errors import UpTradeError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from uptrade.data.store import Store
    from uptrade.execution.hbapi import HummingbotApi

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class CliState:
    """What the root callback parsed for every command; typer keeps it in the context's ``obj``."""

    db_url: str | None = None


def console() -> Console:
    """A console on stdout, new per call so that it writes where stdout points now (tests swap it)."""
    from rich.console import Console

    return Console()


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr and return the exit (code 1) for the caller to raise."""
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def option_flag(command: Callable[..., Any], param: str) -> str | None:
    """The flag of ``command``'s option that fills the library argument ``param`` (``--grid``), if any.

    Read from the command's typer annotations when an error needs it, so nothing is paid at start.
    """
    import inspect
    import typing

    if param not in inspect.signature(command).parameters:
        return None
    try:
        hint = typing.get_type_hints(command, include_extras=True).get(param)
    except NameError:  # an annotation only importable for type checking: the default flag is right
        hint = None
    for meta in getattr(hint, "__metadata__", ()):
        if isinstance(meta, typer.models.OptionInfo):
            decls = [
                d.split("/")[0]
                for d in (meta.default, *(meta.param_decls or ()))
                if isinstance(d, str) and d[:1] == "-"
            ]
            longs = [d for d in decls if d.startswith("--")]
            if longs or decls:
                return (longs or decls)[0]
    return f"--{param.replace('_', '-')}"


def shell_message(command: Callable[..., Any], exc: Exception) -> str:
    """The library's message, with the argument it names spelt as this command's flag."""
    message = str(exc)
    param = exc.param if isinstance(exc, UpTradeError) else None
    flag = option_flag(command, param) if param else None
    if not param or not flag:
        return message
    if message.startswith((f"{param}:", f"{param} ")):
        return flag + message[len(param) :]
    return f"{flag} {message}"


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Make a command print ``error: <message>`` on stderr and exit 1 on any :class:`UpTradeError`.

    When the error names the library argument it is about (``exc.param``), the message names the
    command's flag for it instead (``grid: ...`` prints as ``--grid: ...``). A user's mistake reads
    as one line; anything else is a bug and keeps its traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except UpTradeError as exc:
            raise fail(shell_message(func, exc)) from None

    return wrapper


def hbapi() -> HummingbotApi:
    """A hummingbot-api client from the settings (``UPTRADE_HBAPI_*``); use it as a context manager."""
    from uptrade.execution.hbapi import HummingbotApi

    return HummingbotApi.from_settings()


@contextmanager
def opened_store(ctx: typer.Context, *, init: bool = False, timescaledb: bool | None = None) -> Iterator[Store]:
    """The store at the ``--db`` URL of the command's context ``ctx``, closed on the way out whatever happens.

    Commands take ``ctx: typer.Context`` (typer passes it, the help does not show it) for this.
    ``init`` and ``timescaledb`` are :func:`~uptrade.data.store.open_store`'s; its
    :class:`UpTradeError` reaches the command's :func:`cli_errors`.
    """
    from uptrade.data.store import open_store

    state = ctx.find_object(CliState)
    try:
        store = open_store(state.db_url if state else None, init=init, timescaledb=timescaledb)
    except UpTradeError as exc:  # whatever went wrong, it is about the database --db names
        raise fail(f"--db: {exc}") from None
    try:
        yield store
    finally:
        store.close()


def check_writable(path: Path, flag: str) -> Path:
    """Refuse, before any work, an output ``path`` that cannot be written (``flag`` names the option).

    The file is not created: the path must not be a directory or a read-only file, and a
    throw-away file must be creatable in its directory (or in the nearest existing parent, when
    the directories are to be made). Trying beats ``os.access``, which says yes to root even on
    read-only and pseudo file systems such as ``/proc``.
    """
    import os
    import tempfile

    target = Path(path).expanduser()
    if target.is_dir():
        raise fail(f"{flag} {target}: is a directory, expected a file path")
    if target.exists():
        try:
            with open(target, "ab"):
                pass
        except OSError as exc:
            raise fail(f"{flag} {target}: the file is not writable ({exc.strerror})") from None
        return target
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise fail(f"{flag} {target}: cannot write in {parent}: not a directory")
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise fail(f"{flag} {target}: cannot create a file in {parent} ({exc.strerror or exc})") from None
    if parent != target.parent and not os.access(parent, os.W_OK | os.X_OK):
        raise fail(f"{flag} {target}: cannot create its directory in {parent} (no permission)")
    return target


def check_readable(path: Path, flag: str) -> Path:
    """Refuse, before any work, an input ``path`` that is missing, a directory or unreadable."""
    import os

    source = Path(path).expanduser()
    if not source.exists():
        raise fail(f"{flag} {source}: no such file")
    if source.is_dir():
        raise fail(f"{flag} {source}: is a directory, expected a file")
    if not os.access(source, os.R_OK):
        raise fail(f"{flag} {source}: the file is not readable")
    return source


def check_listen(host: str, port: int) -> None:
    """Refuse, before a server starts, a port out of range, an unknown host or a port another process holds."""
    import socket

    if not 1 <= port <= 65535:
        raise fail(f"--port {port}: expected 1-65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise fail(f"--host {host}: not an address of this machine") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise fail(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror})") from None


def progress_bar() -> Progress:
    """A transient progress bar (description, bar, done of total, elapsed) on stdout."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=console(),
    )
