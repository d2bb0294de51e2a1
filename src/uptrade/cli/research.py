"""``uptrade backtest`` and ``uptrade optimize``: YAML-configured backtests and parameter searches on stored candles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from uptrade.cli.common import check_writable, cli_errors, console, fail, opened_store, progress_bar
from uptrade.cli.views import hummingbot_line, stats_table

if TYPE_CHECKING:
    from rich.table import Table

    from uptrade.research.config import BacktestConfig

SymbolOption = Annotated[
    str | None, typer.Option("--symbol", "-s", help="Run on this stored symbol instead of the file's, e.g. ETH-USDT.")
]
TimeframeOption = Annotated[
    str | None, typer.Option("--timeframe", "-t", help="Run on this timeframe instead of the file's, e.g. 4h.")
]
StartOption = Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD) instead of the file's start.")]
EndOption = Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD) instead of the file's end.")]


def _config(
    path: Path, symbol: str | None, timeframe: str | None, start: str | None, end: str | None
) -> BacktestConfig:
    """The config file with the command line's market overrides applied (and validated)."""
    from uptrade.errors import ConfigError
    from uptrade.execution.bots import load_backtest_config

    cfg = load_backtest_config(path)
    try:
        return cfg.with_overrides(symbol=symbol, timeframe=timeframe, start=start, end=end)
    except ConfigError as exc:  # "timeframe: ..." is about the flag that replaced the file's value
        field = str(exc).partition(":")[0]
        raise ConfigError(str(exc), param=field if field in ("symbol", "timeframe", "start", "end") else None) from None


@cli_errors
def backtest(
    ctx: typer.Context,
    config: Annotated[Path, typer.Option("--config", "-c", help="Backtest YAML (see examples/).")],
    mode: Annotated[
        str, typer.Option(help="hummingbot (Hummingbot V2's own rules) or vectorbt (fast research mode).")
    ] = "hummingbot",
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    symbol: SymbolOption = None,
    timeframe: TimeframeOption = None,
    start: StartOption = None,
    end: EndOption = None,
) -> None:
    """Backtest the config's combined signal on the stored candles; print the statistics.

    --symbol, --timeframe, --start and --end replace the file's market settings for this run.
    """
    from uptrade.research.backtest import BacktestResult
    from uptrade.research.run import load_candles, run_hummingbot, run_research, vectorbt_gaps

    if mode not in ("hummingbot", "vectorbt"):
        raise fail(f"--mode: must be hummingbot or vectorbt, got {mode!r}")
    if report is not None:
        report = check_writable(report, "--report")
    cfg = _config(config, symbol, timeframe, start, end)
    out = console()
    if cfg.is_portfolio:
        if mode != "hummingbot":
            raise fail(f"--mode {mode}: a portfolio (symbols: [...]) runs with --mode hummingbot")
        _portfolio(ctx, cfg, report)
        return
    with opened_store(ctx) as store:
        candles = load_candles(store, cfg)
        result, signal = (run_research if mode == "vectorbt" else run_hummingbot)(cfg, candles)
    gaps = vectorbt_gaps(cfg) if mode == "vectorbt" else []
    if gaps:
        out.print(f"[yellow]research mode ignores:[/] {'; '.join(gaps)}")
    title = f"{cfg.symbol} {cfg.timeframe} {candles.index[0]:%Y-%m-%d}..{candles.index[-1]:%Y-%m-%d} ({mode})"
    out.print(stats_table(result.stats, f"backtest {title}"))
    if isinstance(result, BacktestResult):
        out.print(hummingbot_line(result.hummingbot_summary))
    out.print(f"signals: {int((signal == 1).sum())} long, {int((signal == -1).sum())} short over {len(candles):,} bars")
    if report is not None:
        from uptrade.research.report import write_report

        trades = result.executors if isinstance(result, BacktestResult) else result.trades
        path = write_report(report, candles, trades, result.equity, result.stats, f"Backtest {title}", config=cfg)
        out.print(f"report: {path}")


def _portfolio(ctx: typer.Context, cfg: BacktestConfig, report: Path | None) -> None:
    """``backtest`` of a portfolio config: the shared account's statistics and the table by market."""
    from rich.table import Table

    from uptrade.research.portfolio import load_markets, run_portfolio
    from uptrade.research.report_format import fmt_value

    out = console()
    with opened_store(ctx) as store:
        candles = load_markets(store, cfg)
    result = run_portfolio(cfg, candles)
    span = f"{result.equity.index[0]:%Y-%m-%d}..{result.equity.index[-1]:%Y-%m-%d}"
    title = f"{', '.join(cfg.markets)} {cfg.timeframe} {span}"
    out.print(stats_table(result.stats, f"portfolio backtest {title} (one account)"))
    table = Table(title="by market")
    table.add_column("symbol")
    for name in result.markets.columns:
        table.add_column(name, justify="right")
    for symbol, row in result.markets.iterrows():
        table.add_row(str(symbol), *(fmt_value(str(k), v) for k, v in row.items()))
    out.print(table)
    if report is not None:
        from uptrade.research.report import write_portfolio_report

        out.print(f"report: {write_portfolio_report(report, result, cfg, f'Portfolio {title}')}")


def _headline(oos: dict[str, object], ins: dict[str, object]) -> Table:
    """The walk-forward's headline: the stitched out-of-sample equity's statistics, in-sample means beside."""
    from rich.table import Table

    from uptrade.research.report_format import fmt_value

    table = Table(title="walk-forward headline: out of sample (folds' test windows chained) against in sample")
    for name, justify in (("statistic", "left"), ("out of sample", "right"), ("in sample (fold mean)", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for key in ("total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown_pct", "volatility"):
        table.add_row(key, fmt_value(key, oos.get(key)), fmt_value(key, ins.get(key)))
    table.add_row(
        "executors (all folds; per fold)",
        fmt_value("executors", oos.get("executors")),
        fmt_value("x", ins.get("executors")),
    )
    table.add_row("ruined folds", fmt_value("ruined_folds", oos.get("ruined_folds")), "")
    return table


def _cell(value: object) -> str:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@cli_errors
def optimize(
    ctx: typer.Context,
    config: Annotated[Path, typer.Option("--config", "-c", help="Backtest YAML: the base point of the search.")],
    grid: Annotated[
        list[str],
        typer.Option(
            "--grid",
            "-g",
            help="Dimensions NAME=VALUES, e.g. 'sniper:minor.length=20:40:4,stop_loss=0.01,0.02,none'. "
            "NAME: SOURCE.param (sniper:minor.length; sniper.length or length when unambiguous), "
            "executor.field or combine.field. VALUES: START:STOP:STEP, a list, or START:STOP for --random; "
            "repeatable.",
        ),
    ],
    random: Annotated[int | None, typer.Option("--random", help="Sample N points instead of the whole grid.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of --random.")] = 0,
    objective: Annotated[str, typer.Option(help="sharpe, sortino, calmar or net_pnl (maximised).")] = "sharpe",
    min_trades: Annotated[int, typer.Option(help="Points with fewer executors are ranked last.")] = 10,
    walk_forward: Annotated[
        str | None, typer.Option(help="Rolling train/test windows, e.g. 'train=365d,test=90d[,step=30d][,anchored]'.")
    ] = None,
    cluster: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")] = None,
    top: Annotated[int, typer.Option(help="How many of the best points to print.")] = 10,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report (heatmaps, folds) here.")] = None,
    output: Annotated[Path | None, typer.Option(help="Write every point's results as CSV here.")] = None,
    symbol: SymbolOption = None,
    timeframe: TimeframeOption = None,
    start: StartOption = None,
    end: EndOption = None,
) -> None:
    """Grid or random search of indicator and executor parameters (Hummingbot V2's rules), optionally walk-forward.

    --symbol, --timeframe, --start and --end replace the file's market settings for this run.
    """
    import pandas as pd
    from rich.table import Table

    from uptrade.research.optimize import OBJECTIVES, SHOWN_METRICS, WalkForward
    from uptrade.research.optimize import optimize as run_optimize
    from uptrade.research.portfolio import load_markets
    from uptrade.research.run import load_candles
    from uptrade.research.space import ParamSpace

    if report is not None:
        report = check_writable(report, "--report")
    if output is not None:
        output = check_writable(output, "--output")
    out = console()
    cfg = _config(config, symbol, timeframe, start, end)
    if cfg.is_portfolio and (walk_forward or cluster):
        flag = "--walk-forward" if walk_forward else "--cluster"
        raise fail(f"{flag}: a portfolio is searched on its whole period, on this machine (or add --symbol SYMBOL)")
    space = ParamSpace.parse(grid, cfg)
    wf = WalkForward.parse(walk_forward) if walk_forward else None
    size = space.grid_size
    if random is None and size is None:
        space.grid()  # a:b without a step: refuse it before the candles are read
    candles: pd.DataFrame | dict[str, pd.DataFrame]
    with opened_store(ctx) as store:
        candles = load_markets(store, cfg) if cfg.is_portfolio else load_candles(store, cfg)
    frames = list(candles.values()) if isinstance(candles, dict) else [candles]
    first = min(f.index[0] for f in frames)
    last = max(f.index[-1] for f in frames)
    count = size if random is None else min(random, size or random)
    where = f"on the Dask cluster {cluster}" if cluster else "on all local cores"
    if cfg.is_portfolio:
        where = "one shared account per point"
    bars = sum(len(f) for f in frames)
    out.print(
        f"{count:,} points over {', '.join(space.names)}, {bars:,} {', '.join(cfg.markets)} {cfg.timeframe} bars, "
        f"{where}" + (f", walk-forward {walk_forward}" if wf else "")
    )
    with progress_bar() as bar:
        tasks: dict[str, object] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done)  # type: ignore[arg-type]

        result = run_optimize(
            cfg,
            candles,
            space,
            objective=objective,
            min_trades=min_trades,
            random=random,
            seed=seed,
            walk_forward=wf,
            cluster=cluster,
            progress=progress,
        )
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}")
    column = OBJECTIVES[objective]
    shown = ["rank", *space.names, *SHOWN_METRICS]
    if column not in shown:
        shown.append(column)
    table = Table(title=f"top {min(top, len(result.table))} of {len(result.table):,} by {objective} (whole period)")
    for name in shown:
        table.add_column(name, justify="right")
    for _, row in result.table.sort_values("rank").head(top).iterrows():
        style = None if row["eligible"] else "dim"
        cells = [("RUINED" if row[c] else "no") if c == "ruined" else _cell(row[c]) for c in shown]
        table.add_row(*cells, style=style)
    out.print(table)
    if result.best is not None:
        out.print("best: " + ", ".join(f"{k}={_cell(v)}" for k, v in result.best.items()))
    if result.folds is not None:
        if result.oos_stats is not None and result.is_stats is not None:
            out.print(_headline(result.oos_stats, result.is_stats))
        folds = Table(title="walk-forward: best point on train, scored on the following test window")
        cols = ["fold", "test_start", "test_end", *space.names, "is_objective", "oos_objective", "oos_percentile"]
        for name in cols:
            folds.add_column(name, justify="right")
        for _, row in result.folds.iterrows():
            folds.add_row(*(f"{row[c]:%Y-%m-%d}" if c in ("test_start", "test_end") else _cell(row[c]) for c in cols))
        out.print(folds)
        s = result.walk_forward or {}
        out.print(
            f"{objective}: in sample {s['is_objective_mean']:.4f}, out of sample {s['oos_objective_mean']:.4f} "
            f"(efficiency {_cell(s['efficiency'])}); out-of-sample net PnL {s['oos_net_pnl_quote']:,.2f} quote, "
            f"{s['oos_profitable_folds']:.0%} of folds profitable; the chosen point's mean percentile on test "
            f"{_cell(s['oos_percentile_mean'])} (0.5 = no better than a random point)"
        )

    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        result.table.to_csv(output)
        out.print(f"results: {output}")
    if report is not None:
        from uptrade.research.report import write_optimize_report

        title = f"Optimisation {', '.join(cfg.markets)} {cfg.timeframe} {first:%Y-%m-%d}..{last:%Y-%m-%d}"
        out.print(f"report: {write_optimize_report(report, result, space.names, title)}")
