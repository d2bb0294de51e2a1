"""The ``uptrade`` command line (typer). Thin: parse, call the library, print.

Heavy libraries (pandas, SQLAlchemy, NumPy) are imported inside the commands so that
``uptrade --help`` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from uptrade.data.store import Store
    from uptrade.indicators.cycles import MTFCycles

app = typer.Typer(help="UpTrade: crypto market data, indicators, research and execution.", no_args_is_help=True)
data_app = typer.Typer(help="Candles: import, export, backfill, update, status.", no_args_is_help=True)
from uptrade.cli.db import db_app  # noqa: E402

app.add_typer(db_app, name="db")
app.add_typer(data_app, name="data")
ind_app = typer.Typer(help="Indicators: list them, run them on stored candles.", no_args_is_help=True)
app.add_typer(ind_app, name="indicators")
from uptrade.cli.astro import astro_app  # noqa: E402

app.add_typer(astro_app, name="astro")
from uptrade.cli.signals import signals_app  # noqa: E402

app.add_typer(signals_app, name="signals")
from uptrade.cli.research import backtest, optimize  # noqa: E402

app.command("backtest")(backtest)
app.command("optimize")(optimize)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="UPTRADE_DATABASE_URL",
        show_envvar=True,
        help="SQLAlchemy URL (default: SQLite file under ~/.uptrade).",
        show_default=False,
    ),
]


class _State:
    db_url: str | None = None


_state = _State()


@app.callback()
def main(
    db: DbOption = None,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = None,
) -> None:
    """UpTrade command line."""
    _state.db_url = db
    if _help_only():
        return  # a subcommand's --help runs no command: settings (pydantic) would cost a tenth of a second
    from uptrade.logs import setup_logging
    from uptrade.settings import get_settings

    try:
        settings = get_settings(**({"log_level": log_level} if log_level else {}))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    setup_logging(settings.log_level)


def _help_only() -> bool:
    """Whether this process was started to print a help page (click runs this callback first)."""
    return "--help" in sys.argv[1:]


def _console() -> Console:
    from rich.console import Console

    return Console()


def _fail(message: str) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _open_store(*, init: bool = False, timescaledb: bool | None = None) -> Store:
    from uptrade.data.store import open_store
    from uptrade.errors import UpTradeError

    try:
        return open_store(_state.db_url, init=init, timescaledb=timescaledb)
    except UpTradeError as exc:
        raise _fail(str(exc)) from None


def _progress() -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=_console(),
    )


def _coverage_table(store: Store, symbol: str | None = None) -> Table:
    from rich.table import Table

    table = Table(title=f"Coverage ({store.mode}: {store.url})")
    for name, justify in (
        ("symbol", "left"),
        ("timeframe", "left"),
        ("first", "left"),
        ("last", "left"),
        ("rows", "right"),
        ("gaps", "right"),
        ("missing bars", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in store.coverage(symbol):
        table.add_row(
            c.symbol,
            c.timeframe,
            f"{c.first:%Y-%m-%d %H:%M}",
            f"{c.last:%Y-%m-%d %H:%M}",
            f"{c.rows:,}",
            f"{c.gaps:,}",
            f"{c.missing:,}",
        )
    return table


def _import(store: Store, file: Path, symbol: str, timeframe: str, skip_invalid: bool, report: Path | None) -> None:
    from uptrade.data.importer import import_file
    from uptrade.data.validate import OHLCVValidationError
    from uptrade.errors import UpTradeError

    console = _console()
    with _progress() as progress:
        task = progress.add_task(f"importing {file.name}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            result = import_file(
                store, file, symbol, timeframe, skip_invalid=skip_invalid, report_path=report, on_progress=advance
            )
        except OHLCVValidationError as exc:
            raise _fail(f"{exc} Fix the file, or pass --skip-invalid to write the valid rows.") from None
        except UpTradeError as exc:
            raise _fail(str(exc)) from None
    console.print(
        f"{result.rows_written:,} of {result.rows_read:,} rows written to "
        f"{result.symbol} {result.timeframe} ({store.mode})"
    )
    if result.warning:
        console.print(f"[yellow]warning:[/] {result.warning}")
    if result.rejected:
        console.print(f"[yellow]{result.rejected:,} invalid rows skipped[/]: {result.report.describe(5)}")
        console.print(f"report: {result.report_path}")


@data_app.command("import")
def data_import(
    file: Annotated[Path, typer.Argument(help="CSV, CSV.gz or Parquet file.", exists=True, dir_okay=False)],
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="e.g. BTC-USDT, BTC/USDT or X:BTCUSD.")],
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="1m 5m 15m 30m 1h 4h 1d 1w.")],
    skip_invalid: Annotated[bool, typer.Option(help="Write the valid rows and report the bad ones.")] = False,
    report: Annotated[Path | None, typer.Option(help="Where --skip-invalid writes its report CSV.")] = None,
) -> None:
    """Validate every row of a candle file and upsert it (all or nothing unless --skip-invalid)."""
    store = _open_store()
    try:
        _import(store, file, symbol, timeframe, skip_invalid, report)
    finally:
        store.close()


@data_app.command("export")
def data_export(
    output: Annotated[Path, typer.Argument(help="Target .csv, .csv.gz or .parquet file.")],
    symbol: Annotated[str, typer.Option("--symbol", "-s")],
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="Stored or derivable timeframe.")],
    start: Annotated[str | None, typer.Option(help="First bar (ISO-8601, UTC if no offset).")] = None,
    end: Annotated[str | None, typer.Option(help="Last bar (inclusive).")] = None,
) -> None:
    """Write a series (aggregated if not stored at that timeframe) to CSV or Parquet."""
    from uptrade.data.importer import export_file
    from uptrade.errors import UpTradeError

    store = _open_store()
    try:
        with _console().status(f"exporting {symbol} {timeframe}"):
            rows = export_file(store, output, symbol, timeframe, start=start, end=end)
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    _console().print(f"{rows:,} rows written to {output}")


@data_app.command("status")
def data_status(symbol: Annotated[str | None, typer.Option("--symbol", "-s")] = None) -> None:
    """Coverage of every stored series, and the updater's per-feed status when it has run."""
    from uptrade.cli.feeds import feeds_table
    from uptrade.errors import UpTradeError

    store = _open_store()
    try:
        table = _coverage_table(store, symbol)
        feeds = store.feed_status()
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    console = _console()
    if table.row_count:
        console.print(table)
    else:
        console.print("no candles stored yet: try `uptrade demo`, `uptrade data import` or `uptrade data backfill`")
    if feeds:
        console.print(feeds_table(feeds, title="Updater feeds (last saved status)"))


def _run_feeds(run: Callable[[Store], list[str]]) -> None:
    """Open the store, run the updater front-end, exit 1 naming the feeds that failed."""
    from uptrade.errors import UpTradeError

    store = _open_store()
    try:
        failed = run(store)
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    if failed:
        raise _fail("; ".join(failed))


SourceOption = Annotated[
    str, typer.Option("--source", help="polygon, binance, okx, bybit (any ccxt exchange id) or file.")
]
SymbolsOption = Annotated[list[str], typer.Option("--symbol", "-s", help="Repeat for several symbols.")]
TimeframesOption = Annotated[list[str], typer.Option("--timeframe", "-t", help="Repeat for several timeframes.")]


@data_app.command("backfill")
def data_backfill(
    source: SourceOption,
    symbol: SymbolsOption,
    timeframe: TimeframesOption,
    start: Annotated[str | None, typer.Option(help="First bar wanted (ISO-8601, UTC); default 30 days ago.")] = None,
    end: Annotated[str | None, typer.Option(help="Last bar wanted (inclusive); default: now.")] = None,
    path: Annotated[Path | None, typer.Option(help="The candle file, for --source file.")] = None,
) -> None:
    """Fetch closed candles into the store from the newest stored bar (or --start) and repair gaps."""
    from uptrade.cli.feeds import run_backfill
    from uptrade.data.updater import feeds_from_options
    from uptrade.errors import UpTradeError

    try:
        config = feeds_from_options(source, symbol, timeframe, start=start, end=end, path=path)
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    _run_feeds(lambda store: run_backfill(store, config, _console()))


@data_app.command("update")
def data_update(
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
    from uptrade.cli.feeds import run_update
    from uptrade.data.updater import UpdaterConfig, feeds_from_options
    from uptrade.errors import UpTradeError

    try:
        if config is not None:
            cfg = UpdaterConfig.from_yaml(config)
        elif source and symbol and timeframe:
            cfg = feeds_from_options(source, symbol, timeframe, start=start, end=None, path=None)
        else:
            raise _fail("give --config FILE (or UPTRADE_FEEDS_FILE), or --source with --symbol and --timeframe")
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    _run_feeds(lambda store: run_update(store, cfg, _console(), once=once))


@app.command()
def demo() -> None:
    """Offline tour: load the bundled BTC/USDT 1h sample; coverage, cycles, signals, a backtest and its report."""
    from rich.table import Table

    from uptrade.data.sample import SAMPLE_SYMBOL, SAMPLE_TIMEFRAME, sample_path

    store = _open_store()
    console = _console()
    try:
        console.print(f"store: [bold]{store.mode}[/] at {store.url}")
        _import(store, sample_path(), SAMPLE_SYMBOL, SAMPLE_TIMEFRAME, False, None)
        console.print(_coverage_table(store, SAMPLE_SYMBOL))
        daily = store.read_ohlcv(SAMPLE_SYMBOL, "1d", limit=5)
        table = Table(title=f"{SAMPLE_SYMBOL} 1d, aggregated in SQL from the stored 1h bars (last 5 complete days)")
        for name in ("day", "open", "high", "low", "close", "volume"):
            table.add_column(name, justify="left" if name == "day" else "right")
        for ts, row in daily.iterrows():
            table.add_row(f"{ts:%Y-%m-%d}", *(f"{row[c]:,.2f}" for c in ("open", "high", "low", "close", "volume")))
        console.print(table)
        from uptrade.indicators.cycles import MTFCycleDetector

        found = MTFCycleDetector(["1h", "4h", "1d"]).detect_store(store, SAMPLE_SYMBOL)
        _print_cycles(console, found, f"{SAMPLE_SYMBOL} dominant cycles (uptrade cycles; Goertzel, returns spectrum)")
        _demo_backtest(console, store)
    finally:
        store.close()


def _demo_backtest(console: Console, store: Store) -> None:
    """Signals -> combined -> Hummingbot-faithful backtest -> statistics and an HTML report."""
    from uptrade.cli.research import hummingbot_line, stats_table
    from uptrade.research.report import write_report
    from uptrade.research.run import demo_config, load_candles, run_hummingbot
    from uptrade.settings import get_settings

    cfg = demo_config()
    candles = load_candles(store, cfg)
    result, signal = run_hummingbot(cfg, candles)
    span = f"{candles.index[0]:%Y-%m-%d}..{candles.index[-1]:%Y-%m-%d}"
    console.print(
        f"signals: SniperProX minor turns confirmed by VZOProX within 3 bars: {int((signal == 1).sum())} long, "
        f"{int((signal == -1).sum())} short over {len(candles):,} bars"
    )
    title = f"backtest {cfg.symbol} {cfg.timeframe} {span} (Hummingbot V2 rules; stop 3%, take profit 6%, 3 days)"
    console.print(stats_table(result.stats, title))
    console.print(hummingbot_line(result.hummingbot_summary))
    path = write_report(
        get_settings().home / "demo_report.html",
        candles,
        result.executors,
        result.equity,
        result.stats,
        f"UpTrade demo: {cfg.symbol} {cfg.timeframe} {span}",
    )
    console.print(f"report: {path}  (the same strategy as examples/sniper_btc_1h.yml; try uptrade optimize on it)")


@ind_app.command("list")
def indicators_list() -> None:
    """Indicators with their parameters and defaults, and the 34 moving-average types."""
    from rich.table import Table

    from uptrade.indicators.ma import MA_TYPES
    from uptrade.indicators.registry import INDICATORS

    console = _console()
    table = Table(title="indicators (uptrade indicators run --indicator NAME --param k=v)")
    for col in ("name", "title", "inputs", "parameters (defaults)"):
        table.add_column(col)
    for info in INDICATORS.values():
        params = ", ".join(f"{k}={v}" for k, v in info.params.items())
        table.add_row(info.name, info.title, ", ".join(info.inputs), params)
    console.print(table)
    types = Table(title="moving-average types (ma_type: code or name)")
    for col in ("code", "name", "aliases", "min window", "reference"):
        types.add_column(col)
    for t in MA_TYPES:
        types.add_row(str(t.code), t.name, ", ".join(t.aliases), str(t.min_window), t.reference)
    console.print(types)


@ind_app.command("run")
def indicators_run(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Stored symbol, e.g. BTC-USDT.")],
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="Timeframe, e.g. 1h.")],
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="sniper, vzo or ma.")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value (repeatable).")] = None,
    last: Annotated[int, typer.Option(help="How many of the latest bars to show.")] = 10,
    store_results: Annotated[
        bool, typer.Option("--store", help="Write signal and value to indicator_signals.")
    ] = False,
) -> None:
    """Run an indicator over the stored candles; print the latest values and signals."""
    from rich.table import Table

    from uptrade.errors import UpTradeError
    from uptrade.indicators.registry import get_indicator, parse_params

    try:
        info = get_indicator(indicator)
        params = parse_params(info, param or [])
    except ValueError as exc:
        raise _fail(str(exc)) from None
    store = _open_store()
    console = _console()
    try:
        frame = store.read_ohlcv(symbol, timeframe)
        if frame.empty:
            raise _fail(f"no {symbol} {timeframe} candles stored; import or backfill them first")
        try:
            out = info.run(frame, **params)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        shown = out.tail(max(last, 1))
        table = Table(title=f"{info.title} on {symbol} {timeframe} ({len(frame):,} bars; latest {len(shown)})")
        cols = list(info.show)
        flags = [c for c in out.columns if out[c].dtype == bool]
        table.add_column("time")
        for c in cols:
            table.add_column(c, justify="right")
        table.add_column("flags")
        for ts, row in shown.iterrows():
            cells = [f"{row[c]:.4f}" if out[c].dtype.kind == "f" else str(int(row[c])) for c in cols]
            table.add_row(f"{ts:%Y-%m-%d %H:%M}", *cells, " ".join(c for c in flags if row[c]))
        console.print(table)
        counts = out["signal"].value_counts()
        console.print(f"signals over the whole history: {int(counts.get(1, 0))} long, {int(counts.get(-1, 0))} short")
        if store_results:
            full = {**info.params, **params}
            n = store.write_signals(symbol, timeframe, info.name, out[["signal", "value"]], full)
            console.print(f"stored {n:,} rows in indicator_signals ({info.name}, params {full})")
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()


def _duration(minutes: float) -> str:
    """Minutes as the largest fitting units, e.g. ``2d 4h`` or ``35m``."""
    total = round(minutes)
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (mins, "m")) if v]
    return " ".join(parts[:2]) or "0m"


def _print_cycles(console: Console, found: MTFCycles, title: str) -> None:
    """The per-timeframe cycle table and the composite line."""
    from rich.table import Table

    table = Table(title=title)
    for col in ("timeframe", "as of", "bars", "period (bars)", "period", "power", "nearest Hurst"):
        table.add_column(col, justify="left" if col in ("timeframe", "as of", "nearest Hurst") else "right")
    for tf, row in found.table.iterrows():
        table.add_row(
            str(tf),
            f"{row.time:%Y-%m-%d %H:%M}",
            f"{row.bars:,}",
            f"{row.period_bars:.2f}",
            _duration(row.period_minutes),
            f"{row.power:.1%}",
            str(row.hurst_cycle),
        )
    for tf, reason in found.skipped.items():
        table.add_row(tf, "-", "-", "-", "-", "-", f"skipped: {reason}")
    console.print(table)
    console.print(
        f"composite period: [bold]{_duration(found.composite_period_minutes)}[/] "
        f"({found.composite_period_minutes:,.0f} min, power-weighted); suggested length: "
        f"[bold]{found.suggested_length}[/] {found.base_timeframe} bars"
    )


@app.command()
def cycles(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Stored symbol, e.g. BTC-USDT.")],
    timeframes: Annotated[str, typer.Option("--timeframes", "-t", help="Comma-separated, e.g. 5m,1h,4h,1d.")] = (
        "5m,1h,4h,1d"
    ),
    method: Annotated[str, typer.Option(help="goertzel (windowed DFT) or hurst (bandpass bank).")] = "goertzel",
    window: Annotated[int, typer.Option(help="Bars per timeframe the cycle is measured over.")] = 618,
    min_period: Annotated[float, typer.Option(help="Shortest period scanned, in bars.")] = 8.0,
    base: Annotated[
        str | None, typer.Option("--base", help="Timeframe of suggested_length (default: the shortest).")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Detect as of this time (default: the latest bar).")] = None,
    whiten: Annotated[
        bool, typer.Option("--whiten/--raw", help="Rank periods by the spectrum of returns (prices) or of src.")
    ] = True,
    store_results: Annotated[bool, typer.Option("--store", help="Write the rows to dominant_cycles.")] = False,
) -> None:
    """Dominant cycle per timeframe (bars, minutes, power, nearest Hurst cycle) and their composite."""
    from uptrade.errors import UpTradeError
    from uptrade.indicators.cycles import MTFCycleDetector

    try:
        detector = MTFCycleDetector(
            timeframes.split(","),
            base_timeframe=base,
            method=method,
            window=window,
            min_period=min_period,
            whiten=whiten,
        )
    except (ValueError, UpTradeError) as exc:
        raise _fail(str(exc)) from None
    store = _open_store()
    console = _console()
    try:
        try:
            found = detector.detect_store(store, symbol, end=end)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        _print_cycles(console, found, f"dominant cycles of {symbol} ({method}, window {window})")
        if store_results:
            n = store.write_cycles(found.rows(symbol))
            console.print(f"stored {n} rows in dominant_cycles")
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
