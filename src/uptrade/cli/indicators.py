"""``uptrade indicators list|run`` and ``uptrade cycles``: indicators and dominant cycles on stored candles."""

from __future__ import annotations

from typing import Annotated

import typer

from uptrade.cli.common import cli_errors, console, fail, opened_store
from uptrade.cli.views import print_cycles

indicators_app = typer.Typer(help="Indicators: list them, run them on stored candles.", no_args_is_help=True)


@indicators_app.command("list")
def indicators_list() -> None:
    """Indicators with their parameters and defaults, and the 34 moving-average types."""
    from rich.table import Table

    from uptrade.indicators.ma_types import MA_TYPES
    from uptrade.indicators.registry import INDICATORS

    out = console()
    table = Table(title="indicators (uptrade indicators run --indicator NAME --param k=v)")
    for col in ("name", "title", "inputs", "parameters (defaults)"):
        table.add_column(col)
    for info in INDICATORS.values():
        params = ", ".join(f"{k}={v}" for k, v in info.params.items())
        table.add_row(info.name, info.title, ", ".join(info.inputs), params)
    out.print(table)
    types = Table(title="moving-average types (ma_type: code or name)")
    for col in ("code", "name", "aliases", "min window", "reference"):
        types.add_column(col)
    for t in MA_TYPES:
        types.add_row(str(t.code), t.name, ", ".join(t.aliases), str(t.min_window), t.reference)
    out.print(types)


@indicators_app.command("run")
@cli_errors
def indicators_run(
    ctx: typer.Context,
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

    from uptrade.indicators.registry import get_indicator, parse_params
    from uptrade.signals import indicator_frame

    info = get_indicator(indicator)
    params = parse_params(info, param or [])
    out = console()
    with opened_store(ctx) as store:
        store.check_symbol(symbol)
        frame = store.read_ohlcv(symbol, timeframe)
        if frame.empty:
            raise fail(f"no {symbol} {timeframe} candles stored; import or backfill them first")
        result = indicator_frame(frame, info.name, **params)
        shown = result.tail(max(last, 1))
        table = Table(title=f"{info.title} on {symbol} {timeframe} ({len(frame):,} bars; latest {len(shown)})")
        cols = list(info.show)
        flags = [c for c in result.columns if result[c].dtype == bool]
        table.add_column("time")
        for c in cols:
            table.add_column(c, justify="right")
        table.add_column("flags")
        for ts, row in shown.iterrows():
            cells = [f"{row[c]:.4f}" if result[c].dtype.kind == "f" else str(int(row[c])) for c in cols]
            table.add_row(f"{ts:%Y-%m-%d %H:%M}", *cells, " ".join(c for c in flags if row[c]))
        out.print(table)
        counts = result["signal"].value_counts()
        out.print(f"signals over the whole history: {int(counts.get(1, 0))} long, {int(counts.get(-1, 0))} short")
        if store_results:
            full = {**info.params, **params}
            n = store.write_signals(symbol, timeframe, info.name, result[["signal", "value"]], full)
            out.print(f"stored {n:,} rows in indicator_signals ({info.name}, params {full})")


@cli_errors
def cycles(
    ctx: typer.Context,
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
    from uptrade.indicators.cycles import MTFCycleDetector

    detector = MTFCycleDetector(
        timeframes.split(","),
        base_timeframe=base,
        method=method,
        window=window,
        min_period=min_period,
        whiten=whiten,
    )
    out = console()
    with opened_store(ctx) as store:
        store.check_symbol(symbol)
        found = detector.detect_store(store, symbol, end=end)
        print_cycles(out, found, f"dominant cycles of {symbol} ({method}, window {window})")
        if store_results:
            n = store.write_cycles(found.rows(symbol))
            out.print(f"stored {n} rows in dominant_cycles")
