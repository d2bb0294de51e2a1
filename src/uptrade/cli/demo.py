"""``uptrade demo``: an offline tour of the platform on the bundled BTC/USDT 1h sample."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from uptrade.cli.common import cli_errors, console, opened_store
from uptrade.cli.views import coverage_table, hummingbot_line, import_candles, print_cycles, stats_table

if TYPE_CHECKING:
    from rich.console import Console

    from uptrade.data.store import Store


@cli_errors
def demo(ctx: typer.Context) -> None:
    """Offline tour: load the bundled BTC/USDT 1h sample; coverage, cycles, signals, a backtest and its report."""
    from rich.table import Table

    from uptrade.data.sample import SAMPLE_SYMBOL, SAMPLE_TIMEFRAME, sample_path
    from uptrade.indicators.cycles import MTFCycleDetector

    out = console()
    with opened_store(ctx) as store:
        out.print(f"store: [bold]{store.mode}[/] at {store.url}")
        import_candles(store, sample_path(), SAMPLE_SYMBOL, SAMPLE_TIMEFRAME, False, None)
        out.print(coverage_table(store, SAMPLE_SYMBOL))
        daily = store.read_ohlcv(SAMPLE_SYMBOL, "1d", limit=5)
        table = Table(title=f"{SAMPLE_SYMBOL} 1d, aggregated in SQL from the stored 1h bars (last 5 complete days)")
        for name in ("day", "open", "high", "low", "close", "volume"):
            table.add_column(name, justify="left" if name == "day" else "right")
        for ts, row in daily.iterrows():
            table.add_row(f"{ts:%Y-%m-%d}", *(f"{row[c]:,.2f}" for c in ("open", "high", "low", "close", "volume")))
        out.print(table)
        found = MTFCycleDetector(["1h", "4h", "1d"]).detect_store(store, SAMPLE_SYMBOL)
        print_cycles(out, found, f"{SAMPLE_SYMBOL} dominant cycles (uptrade cycles; Goertzel, returns spectrum)")
        _backtest(out, store)


def _backtest(out: Console, store: Store) -> None:
    """Signals -> combined -> Hummingbot-faithful backtest -> statistics and an HTML report."""
    from uptrade.research.report import write_report
    from uptrade.research.run import demo_config, load_candles, run_hummingbot
    from uptrade.settings import get_settings

    cfg = demo_config()
    candles = load_candles(store, cfg)
    result, signal = run_hummingbot(cfg, candles)
    span = f"{candles.index[0]:%Y-%m-%d}..{candles.index[-1]:%Y-%m-%d}"
    out.print(
        f"signals: SniperProX minor turns confirmed by VZOProX within 3 bars: {int((signal == 1).sum())} long, "
        f"{int((signal == -1).sum())} short over {len(candles):,} bars"
    )
    title = f"backtest {cfg.symbol} {cfg.timeframe} {span} (Hummingbot V2 rules; stop 3%, take profit 6%, 3 days)"
    out.print(stats_table(result.stats, title))
    out.print(hummingbot_line(result.hummingbot_summary))
    path = write_report(
        get_settings().home / "demo_report.html",
        candles,
        result.executors,
        result.equity,
        result.stats,
        f"UpTrade demo: {cfg.symbol} {cfg.timeframe} {span}",
        config=cfg,
    )
    out.print(f"report: {path}  (the same strategy as examples/sniper_btc_1h.yml; try uptrade optimize on it)")
