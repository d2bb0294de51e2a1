"""``uptrade backtest``: run a YAML-configured backtest on stored candles, print stats, write a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def backtest(
    config: Annotated[Path, typer.Option("--config", "-c", help="Backtest YAML (see examples/).")],
    mode: Annotated[
        str, typer.Option(help="hummingbot (Hummingbot V2's own rules) or vectorbt (fast research mode).")
    ] = "hummingbot",
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
) -> None:
    """Backtest the config's combined signal on the stored candles; print the statistics."""
    from rich.table import Table

    from uptrade.cli import _console, _fail, _open_store
    from uptrade.errors import UpTradeError
    from uptrade.research.config import BacktestConfig
    from uptrade.research.run import load_candles, run_hummingbot, run_research, vectorbt_gaps

    if mode not in ("hummingbot", "vectorbt"):
        raise _fail(f"--mode: must be hummingbot or vectorbt, got {mode!r}")
    try:
        cfg = BacktestConfig.from_yaml(config)
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    console = _console()
    store = _open_store()
    try:
        candles = load_candles(store, cfg)
        try:
            result, signal = (run_research if mode == "vectorbt" else run_hummingbot)(cfg, candles)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    gaps = vectorbt_gaps(cfg) if mode == "vectorbt" else []
    if gaps:
        console.print(f"[yellow]research mode ignores:[/] {'; '.join(gaps)}")
    title = f"{cfg.symbol} {cfg.timeframe} {candles.index[0]:%Y-%m-%d}..{candles.index[-1]:%Y-%m-%d} ({mode})"
    table = Table(title=f"backtest {title}")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    for key, value in result.stats.items():
        if isinstance(value, float):
            text = (
                f"{value:.2%}"
                if key in ("net_pnl_pct", "max_drawdown_pct", "win_rate", "exposure")
                else f"{value:,.4f}"
            )
        elif isinstance(value, dict):
            text = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        else:
            text = str(value)
        table.add_row(key, text)
    console.print(table)
    if mode == "hummingbot":
        hb = result.hummingbot_summary
        console.print(
            f"Hummingbot's summary: net_pnl_quote {hb['net_pnl_quote']:,.4f}, accuracy {hb['accuracy']:.2%}, "
            f"profit_factor {hb['profit_factor']:.4f}, max_drawdown_usd {hb['max_drawdown_usd']:,.4f}, "
            f"sharpe_ratio {hb['sharpe_ratio']:.4f}, close_types {hb['close_types']}"
        )
    console.print(
        f"signals: {int((signal == 1).sum())} long, {int((signal == -1).sum())} short over {len(candles):,} bars"
    )
    if report is not None:
        from uptrade.research.report import write_report

        trades = result.trades if mode == "vectorbt" else result.executors
        path = write_report(report, candles, trades, result.equity, result.stats, f"Backtest {title}")
        console.print(f"report: {path}")
