"""Terminal front-end of the updater for ``uptrade data backfill|update|status`` (rich)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from uptrade.data.store.base import Store
from uptrade.data.updater import DataUpdaterService, FeedStatus, UpdaterConfig

#: Consecutive failures after which ``backfill`` and ``update --once`` give up on a feed (``update`` never does).
BACKFILL_MAX_FAILURES = 6
_STATE_STYLE = {"live": "green", "done": "green", "backing off": "yellow", "failed": "bold red", "stopped": "dim"}


def _when(value: Any) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def feeds_table(rows: Iterable[FeedStatus | dict[str, Any]], title: str = "Feeds") -> Table:
    """One line per feed: state, last candle, lag, rows written, errors, last error."""
    table = Table(title=title)
    for name, justify in (
        ("feed", "left"),
        ("state", "left"),
        ("last candle", "left"),
        ("lag", "right"),
        ("rows", "right"),
        ("last success", "left"),
        ("errors", "right"),
        ("last error", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        r = asdict(row) if isinstance(row, FeedStatus) else row
        style = _STATE_STYLE.get(r["state"], "")
        table.add_row(
            r["feed"],
            f"[{style}]{r['state']}[/]" if style else r["state"],
            _when(r["last_candle"]),
            "-" if r["lag_candles"] is None else f"{r['lag_candles']:,}",
            f"{r['rows_written']:,}",
            _when(r["last_success"]),
            f"{r['errors']:,}",
            (r["last_error"] or "")[:160],
        )
    return table


def _failures(statuses: dict[str, FeedStatus]) -> list[str]:
    return [f"{s.feed}: {s.last_error}" for s in statuses.values() if s.state == "failed"]


def _install_signals(service: DataUpdaterService) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, service.stop)


def run_backfill(store: Store, config: UpdaterConfig, console: Console) -> list[str]:
    """Catch every feed up once with a progress bar per feed; returns the failed feeds' reasons."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
    )
    tasks: dict[str, TaskID] = {}
    done: dict[str, int] = {}

    def on_write(st: FeedStatus, rows: int) -> None:
        done[st.feed] = done.get(st.feed, 0) + rows
        total = max(st.expected or 0, done[st.feed])
        progress.update(tasks[st.feed], completed=done[st.feed], total=total, state=st.state)

    service = DataUpdaterService(store, config, once=True, max_failures=BACKFILL_MAX_FAILURES, on_write=on_write)

    async def main() -> dict[str, FeedStatus]:
        _install_signals(service)
        return await service.run()

    with progress:
        for feed in config.feeds:
            tasks[feed.key] = progress.add_task(feed.key, total=None, state="starting")
        statuses = asyncio.run(main())
        for key, st in statuses.items():
            progress.update(tasks[key], state=st.state)
    console.print(feeds_table(statuses.values(), title="Backfill"))
    return _failures(statuses)


def run_update(store: Store, config: UpdaterConfig, console: Console, *, once: bool = False) -> list[str]:
    """Run the service with a live status table until stopped; returns the failed feeds' reasons."""
    service = DataUpdaterService(store, config, once=once, max_failures=BACKFILL_MAX_FAILURES if once else None)

    async def main() -> dict[str, FeedStatus]:
        _install_signals(service)
        runner = asyncio.create_task(service.run())
        with Live(feeds_table(service.status.values()), console=console, refresh_per_second=2) as live:
            while not runner.done():
                await asyncio.wait([runner], timeout=1.0)
                live.update(feeds_table(service.status.values(), title="uptrade data update (Ctrl-C to stop)"))
        return await runner

    statuses = asyncio.run(main())
    return _failures(statuses)
