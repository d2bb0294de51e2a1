"""``uptrade data``: import, export, coverage, and the updater's terminal front-end (backfill, update).

Heavy libraries and rich's live displays are imported inside the functions, so that
``uptrade --help`` does not load them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from uptrade.cli.common import check_readable, check_writable, cli_errors, console, fail, opened_store
from uptrade.cli.views import coverage_table, import_candles, when

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from uptrade.data.store import Store
    from uptrade.data.updater import DataUpdaterService, FeedStatus, UpdaterConfig

data_app = typer.Typer(
    help="Candles: import, export, delete, backfill, update, status; the sources' markets and timeframes.",
    no_args_is_help=True,
)

#: Consecutive failures after which ``backfill`` and ``update --once`` give up on a feed (``update`` never does).
BACKFILL_MAX_FAILURES = 6
_STATE_STYLE = {"live": "green", "done": "green", "backing off": "yellow", "failed": "bold red", "stopped": "dim"}

SourceOption = Annotated[
    str, typer.Option("--source", help="polygon, binance, okx, bybit (any ccxt exchange id) or file.")
]
SymbolsOption = Annotated[list[str], typer.Option("--symbol", "-s", help="Repeat for several symbols.")]
TimeframesOption = Annotated[list[str], typer.Option("--timeframe", "-t", help="Repeat for several timeframes.")]


@data_app.command("import")
@cli_errors
def data_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV, CSV.gz or Parquet file.")],
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="e.g. BTC-USDT, BTC/USDT or X:BTCUSD.")],
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="1m 5m 15m 30m 1h 4h 1d 1w.")],
    skip_invalid: Annotated[bool, typer.Option(help="Write the valid rows and report the bad ones.")] = False,
    report: Annotated[Path | None, typer.Option(help="Where --skip-invalid writes its report CSV.")] = None,
) -> None:
    """Validate every row of a candle file and upsert it (all or nothing unless --skip-invalid)."""
    check_readable(file, "FILE")
    if report is not None:
        check_writable(report, "--report")
    with opened_store(ctx) as store:
        import_candles(store, file, symbol, timeframe, skip_invalid, report)


@data_app.command("export")
@cli_errors
def data_export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Argument(help="Target .csv, .csv.gz or .parquet file.")],
    symbol: Annotated[str, typer.Option("--symbol", "-s")],
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="Stored or derivable timeframe.")],
    start: Annotated[str | None, typer.Option(help="First bar (ISO-8601, UTC if no offset).")] = None,
    end: Annotated[str | None, typer.Option(help="Last bar (inclusive).")] = None,
) -> None:
    """Write a series (aggregated if not stored at that timeframe) to CSV or Parquet."""
    from uptrade.data.importer import export_file

    check_writable(output, "OUTPUT")
    with opened_store(ctx) as store, console().status(f"exporting {symbol} {timeframe}"):
        store.check_symbol(symbol)
        rows = export_file(store, output, symbol, timeframe, start=start, end=end)
    console().print(f"{rows:,} rows written to {output}")


@data_app.command("status")
@cli_errors
def data_status(ctx: typer.Context, symbol: Annotated[str | None, typer.Option("--symbol", "-s")] = None) -> None:
    """Coverage of every stored series, and the updater's per-feed status when it has run."""
    with opened_store(ctx) as store:
        if symbol is not None:
            store.check_symbol(symbol)
        table = coverage_table(store, symbol)
        feeds = store.feed_status()
    out = console()
    if table.row_count:
        out.print(table)
    else:
        out.print("no candles stored yet: try `uptrade demo`, `uptrade data import` or `uptrade data backfill`")
    if feeds:
        out.print(feeds_table(feeds, title="Updater feeds (last saved status)"))


@data_app.command("delete")
@cli_errors
def data_delete(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Stored symbol, e.g. BTC-USDT.")],
    timeframe: Annotated[str | None, typer.Option("--timeframe", "-t", help="Only this timeframe.")] = None,
    start: Annotated[str | None, typer.Option(help="First bar to delete (ISO-8601, UTC if no offset).")] = None,
    end: Annotated[str | None, typer.Option(help="Last bar to delete (inclusive).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete stored candles of a symbol (every timeframe, or one; all times, or --start..--end)."""
    from uptrade.data.timeframes import parse_timeframe
    from uptrade.data.times import to_epoch

    tf = parse_timeframe(timeframe) if timeframe else None
    for name, value in (("start", start), ("end", end)):  # a bad date is refused before anything is asked
        to_epoch(value, name)
    with opened_store(ctx) as store:
        sym = store.check_symbol(symbol)
        what = f"{sym} {tf or 'candles of every timeframe'}, {_span(start, end)}"
        if not yes and not typer.confirm(f"Delete {what} from {store.url}?"):
            raise fail("nothing deleted (not confirmed; pass --yes to skip the question)")
        rows = store.delete_ohlcv(sym, tf, start=start, end=end)
    console().print(f"deleted {rows:,} rows: {what}")


def _span(start: str | None, end: str | None) -> str:
    if start is None and end is None:
        return "all times"
    return f"from {start or 'the first bar'} to {end or 'the last bar'}"


@data_app.command("markets")
@cli_errors
def data_markets(
    source: SourceOption = "binance",
    quote: Annotated[str | None, typer.Option(help="Only this quote currency, e.g. USDT.")] = None,
    search: Annotated[str | None, typer.Option(help="Only symbols containing this text, e.g. BTC.")] = None,
) -> None:
    """The markets an exchange lists (ccxt): symbol, base, quote, type, active."""
    from rich.table import Table

    from uptrade.data.sources import list_markets

    with console().status(f"loading {source} markets"):
        markets = list_markets(source, quote=quote, search=search)
    if not markets:
        raise fail(f"{source} lists no market matching --quote {quote or 'any'} --search {search or 'any'}")
    table = Table(title=f"{source} markets ({len(markets):,})")
    for name in ("symbol", "base", "quote", "type", "active"):
        table.add_column(name)
    for m in markets:
        table.add_row(m.symbol, m.base, m.quote, m.type, "yes" if m.active else "[yellow]no[/]")
    console().print(table)


@data_app.command("timeframes")
@cli_errors
def data_timeframes(source: SourceOption) -> None:
    """The timeframes a source offers, and which of them UpTrade stores."""
    from uptrade.data.sources import source_timeframes
    from uptrade.data.timeframes import TIMEFRAMES

    offered = source_timeframes(source)
    out = console()
    if offered is None:
        out.print(f"{source}: any (name the file's with -t): {' '.join(t.name for t in TIMEFRAMES)}")
        return
    usable = [t.name for t in TIMEFRAMES if t.name in offered]
    out.print(f"{source} offers: {' '.join(offered)}")
    out.print(f"UpTrade stores: {' '.join(usable) or 'none of them'}")


@data_app.command("backfill")
@cli_errors
def data_backfill(
    ctx: typer.Context,
    source: SourceOption,
    symbol: SymbolsOption,
    timeframe: TimeframesOption,
    start: Annotated[str | None, typer.Option(help="First bar wanted (ISO-8601, UTC); default 30 days ago.")] = None,
    end: Annotated[str | None, typer.Option(help="Last bar wanted (inclusive); default: now.")] = None,
    path: Annotated[Path | None, typer.Option(help="The candle file, for --source file.")] = None,
) -> None:
    """Fetch closed candles into the store from the newest stored bar (or --start) and repair gaps."""
    from uptrade.data.updater import feeds_from_options

    if path is not None:
        check_readable(path, "--path")
    config = feeds_from_options(source, symbol, timeframe, start=start, end=end, path=path)
    _run_feeds(ctx, lambda store: run_backfill(store, config, console()))


@data_app.command("update")
@cli_errors
def data_update(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="UPTRADE_FEEDS_FILE", help="YAML feeds file (see README).", dir_okay=False),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Instead of --config: the source.")] = None,
    symbol: Annotated[list[str] | None, typer.Option("--symbol", "-s")] = None,
    timeframe: Annotated[list[str] | None, typer.Option("--timeframe", "-t")] = None,
    start: Annotated[str | None, typer.Option(help="Backfill start for series not yet stored.")] = None,
    once: Annotated[bool, typer.Option(help="Catch up and repair, then exit (no polling).")] = False,
) -> None:
    """Run the DataUpdaterService: backfill, repair gaps, then poll; Ctrl-C/SIGTERM stop it cleanly."""
    from uptrade.data.updater import UpdaterConfig, feeds_from_options

    if config is not None:
        cfg = UpdaterConfig.from_yaml(config)
    elif source and symbol and timeframe:
        cfg = feeds_from_options(source, symbol, timeframe, start=start, end=None, path=None)
    else:
        raise fail("give --config FILE (or UPTRADE_FEEDS_FILE), or --source with --symbol and --timeframe")
    _run_feeds(ctx, lambda store: run_update(store, cfg, console(), once=once))


def _run_feeds(ctx: typer.Context, run: Callable[[Store], list[str]]) -> None:
    """Run an updater front-end on the store; exit 1 naming the feeds that failed."""
    with opened_store(ctx) as store:
        failed = run(store)
    if failed:
        raise fail("; ".join(failed))


def feeds_table(rows: Iterable[FeedStatus | dict[str, Any]], title: str = "Feeds") -> Table:
    """One line per feed: state, last candle, lag, rows written, errors, last error."""
    from rich.table import Table

    from uptrade.data.updater import FeedStatus

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
        r = row.row() if isinstance(row, FeedStatus) else row
        style = _STATE_STYLE.get(r["state"], "")
        table.add_row(
            r["feed"],
            f"[{style}]{r['state']}[/]" if style else r["state"],
            when(r["last_candle"]),
            "-" if r["lag_candles"] is None else f"{r['lag_candles']:,}",
            f"{r['rows_written']:,}",
            when(r["last_success"]),
            f"{r['errors']:,}",
            (r["last_error"] or "")[:160],
        )
    return table


def _failures(statuses: dict[str, FeedStatus]) -> list[str]:
    return [f"{s.feed}: {s.last_error}" for s in statuses.values() if s.state == "failed"]


def _install_signals(service: DataUpdaterService) -> None:
    """Make Ctrl-C and SIGTERM call ``service.stop`` rather than interrupt the event loop."""
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, service.stop)


def run_backfill(store: Store, config: UpdaterConfig, out: Console) -> list[str]:
    """Catch every feed up once with a progress bar per feed; returns the failed feeds' reasons."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from uptrade.data.updater import DataUpdaterService

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=out,
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
    out.print(feeds_table(statuses.values(), title="Backfill"))
    return _failures(statuses)


def run_update(store: Store, config: UpdaterConfig, out: Console, *, once: bool = False) -> list[str]:
    """Run the service with a live status table until stopped; returns the failed feeds' reasons."""
    import asyncio

    from rich.live import Live

    from uptrade.data.updater import DataUpdaterService
    from uptrade.execution.sync import sync_job
    from uptrade.settings import get_settings

    job = sync_job(store, get_settings())  # the service runs no periodic job with `once`
    service = DataUpdaterService(
        store,
        config,
        once=once,
        max_failures=BACKFILL_MAX_FAILURES if once else None,
        jobs=[job] if job is not None else None,
    )

    async def main() -> dict[str, FeedStatus]:
        _install_signals(service)
        runner = asyncio.create_task(service.run())
        with Live(feeds_table(service.status.values()), console=out, refresh_per_second=2) as live:
            while not runner.done():
                await asyncio.wait([runner], timeout=1.0)
                title = "uptrade data update (Ctrl-C to stop)"
                for j in service.jobs:
                    title += f"\n{j.name}: " + (f"failed: {j.error}" if j.error else j.last or "starting")
                live.update(feeds_table(service.status.values(), title=title))
        return await runner

    statuses = asyncio.run(main())
    return _failures(statuses)
