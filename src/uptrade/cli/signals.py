"""``uptrade signals list|run``: indicator signals and their combination (spec section 7) on stored candles."""

from __future__ import annotations

from typing import Annotated

import typer

from uptrade.cli.common import cli_errors, console, fail, opened_store

signals_app = typer.Typer(help="Signals: adapters from indicators, the combiner, storage.", no_args_is_help=True)


@signals_app.command("list")
def signals_list() -> None:
    """The signal sources (indicator:kind) and the combiner's modes."""
    from rich.table import Table

    from uptrade.signals import ADAPTERS, MODES

    table = Table(title="signal sources (uptrade signals run --source INDICATOR:KIND)")
    for col in ("source", "reads"):
        table.add_column(col)
    for name, adapter in ADAPTERS.items():
        reads = f"{adapter.buy} / {adapter.sell}" if adapter.buy else f"a rule over {adapter.indicator}'s outputs"
        table.add_row(name, f"{reads}: {adapter.description}")
    out = console()
    out.print(table)
    out.print(f"combiner modes: {', '.join(MODES)}")


@signals_app.command("run")
@cli_errors
def signals_run(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Stored symbol, e.g. BTC-USDT.")],
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="Timeframe, e.g. 1h.")],
    source: Annotated[list[str], typer.Option("--source", "-i", help="INDICATOR[:KIND], repeatable.")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="SOURCE.param=value, e.g. sniper:minor.length=28 (sniper.length when one source is sniper's); "
            "repeatable.",
        ),
    ] = None,
    mode: Annotated[str, typer.Option(help="and, or, weighted or confirm.")] = "and",
    weight: Annotated[list[str] | None, typer.Option("--weight", "-w", help="SOURCE=weight (weighted).")] = None,
    threshold: Annotated[float, typer.Option(help="Score threshold (weighted).")] = 0.5,
    primary: Annotated[str | None, typer.Option(help="Primary source (confirm).")] = None,
    confirm_window: Annotated[int, typer.Option(help="Bars a confirmation may lag (confirm).")] = 3,
    last: Annotated[int, typer.Option(help="How many of the latest non-zero combined signals to show.")] = 10,
    store_as: Annotated[
        str | None, typer.Option("--store", help="Write the combined signal to indicator_signals under this name.")
    ] = None,
) -> None:
    """Compute each source's signal on the stored candles, combine them, print the latest, optionally store."""
    import pandas as pd
    from rich.table import Table

    from uptrade.signals import combine, compute_signal, parse_source, store_signal
    from uptrade.signals.params import parse_source_params, parse_weights

    adapters = [parse_source(s) for s in source]
    names = [a.name for a in adapters]
    if len(set(names)) != len(names):
        raise fail(f"--source: each source once, got {', '.join(names)}")
    params = parse_source_params(param or [], names)
    weights = parse_weights(weight or [])
    if primary is not None:
        primary = parse_source(primary).name
    out = console()
    with opened_store(ctx) as store:
        symbol = store.check_symbol(symbol)
        candles = store.read_ohlcv(symbol, timeframe)
        if candles.empty:
            raise fail(f"no {symbol} {timeframe} candles stored; import or backfill them first")
        signals = {a.name: compute_signal(candles, a.name, **params[a.name]) for a in adapters}
        combined = pd.Series(
            combine(
                signals, mode, weights=weights, threshold=threshold, primary=primary, confirm_window=confirm_window
            ),
            index=candles.index,
        )
        table = Table(title=f"{mode} of {', '.join(names)} on {symbol} {timeframe} ({len(candles):,} bars)")
        table.add_column("time")
        table.add_column("close", justify="right")
        for name in names:
            table.add_column(name, justify="right")
        table.add_column("combined", justify="right")
        hits = combined[combined != 0].index[-max(last, 1) :]
        for ts in hits:
            cells = [str(int(signals[n].loc[ts])) for n in names]
            table.add_row(
                f"{ts:%Y-%m-%d %H:%M}", f"{candles['close'].loc[ts]:,.2f}", *cells, str(int(combined.loc[ts]))
            )
        out.print(table)
        for name in names:
            s = signals[name]
            out.print(f"{name}: {int((s == 1).sum())} long, {int((s == -1).sum())} short")
        out.print(f"combined: {int((combined == 1).sum())} long, {int((combined == -1).sum())} short")
        if store_as:
            spec = {
                "sources": {n: params[n] for n in names},
                "mode": mode,
                "weights": weights,
                "threshold": threshold,
                "primary": primary,
                "confirm_window": confirm_window,
            }
            n = store_signal(store, symbol, timeframe, store_as, combined, spec)
            out.print(f"stored {n:,} rows in indicator_signals as {store_as!r}")
