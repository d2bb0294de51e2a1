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
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

import typer

from uptrade.errors import UpTradeError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from uptrade.data.store import Store

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


def _catching(func: Callable[P, R], caught: tuple[type[Exception], ...]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except caught as exc:
            raise fail(str(exc)) from None

    return wrapper


Caught = type[Exception] | tuple[type[Exception], ...]


@overload
def cli_errors(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def cli_errors(*, also: Caught) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def cli_errors(func: Callable[P, R] | None = None, /, *, also: Caught = ()) -> Any:
    """Make a command print ``error: <message>`` on stderr and exit 1 on any :class:`UpTradeError`.

    ``@cli_errors`` catches :class:`UpTradeError`; ``@cli_errors(also=ValueError)`` also catches
    the types given, for commands whose library calls still raise plain ``ValueError``. A user's
    mistake thus reads as one line, while a bug keeps its traceback.
    """
    extra: tuple[type[Exception], ...] = also if isinstance(also, tuple) else (also,)
    caught: tuple[type[Exception], ...] = (UpTradeError, *extra)
    if func is not None:
        return _catching(func, caught)
    return lambda f: _catching(f, caught)


@contextmanager
def opened_store(ctx: typer.Context, *, init: bool = False, timescaledb: bool | None = None) -> Iterator[Store]:
    """The store at the ``--db`` URL of the command's context ``ctx``, closed on the way out whatever happens.

    Commands take ``ctx: typer.Context`` (typer passes it, the help does not show it) for this.
    ``init`` and ``timescaledb`` are :func:`~uptrade.data.store.open_store`'s; its
    :class:`UpTradeError` reaches the command's :func:`cli_errors`.
    """
    from uptrade.data.store import open_store

    state = ctx.find_object(CliState)
    store = open_store(state.db_url if state else None, init=init, timescaledb=timescaledb)
    try:
        yield store
    finally:
        store.close()


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
