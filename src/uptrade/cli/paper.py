"""``uptrade paper run`` and ``uptrade paper status``: paper trading a bot file on the store's closed candles."""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from uptrade.cli.common import cli_errors, console, fail, opened_store
from uptrade.cli.views import signed_money, stats_table

if TYPE_CHECKING:
    from rich.table import Table

    from uptrade.data.store import Store
    from uptrade.execution.monitor import BotView
    from uptrade.execution.paper import PaperEngine

paper_app = typer.Typer(
    help="Paper trading: a bot file run bar by bar on closed candles, by the backtest's rules; no orders sent.",
    no_args_is_help=True,
)

#: Seconds between two redraws of the live table (a replay may process thousands of bars a second).
REDRAW = 0.25


def _fmt(key: str, value: Any) -> str:
    from uptrade.research.report_format import fmt_value

    return fmt_value(key, value)


def live_table(snap: dict[str, Any], total: int | None) -> Table:
    """The running bot: bar, position, open executors, equity, PnL and the performance figures."""
    from rich.table import Table

    bars = f"{snap['bars']:,}" + (f" of {total:,}" if total else "")
    table = Table(title=f"paper {snap['bot']} {snap['symbol']} {snap['timeframe']} ({snap['mode']}, {snap['status']})")
    table.add_column("bar")
    table.add_column("bars", justify="right")
    table.add_column("signal", justify="right")
    table.add_column("position", justify="right")
    table.add_column("equity", justify="right")
    table.add_column("PnL", justify="right")
    table.add_column("trades", justify="right")
    table.add_column("win rate", justify="right")
    table.add_column("drawdown", justify="right")
    table.add_column("sharpe", justify="right")
    position = sum((1 if e["side"] == "BUY" else -1) * e["amount"] for e in snap["open"])
    table.add_row(
        _fmt("bar", snap["bar"]),
        bars,
        str(snap["signal"]),
        f"{position:+.6g}",
        f"{snap['equity']:,.2f}",
        signed_money(snap["pnl"], snap["capital"]),
        str(snap["trades"]),
        _fmt("win_rate", snap["win_rate"]),
        _fmt("max_drawdown_pct", snap["drawdown"]),
        _fmt("sharpe", snap["sharpe"]),
    )
    if snap["open"]:
        from rich.console import Group

        return Group(table, executors_table(snap["open"], "open executors"))  # type: ignore[return-value]
    return table


def executors_table(rows: list[dict[str, Any]], title: str) -> Table:
    """Executors (rows of ``paper_executors``): times, side, prices, amount, PnL, close type."""
    import pandas as pd
    from rich.table import Table

    table = Table(title=title)
    for name in ("opened", "side", "entry", "last / exit", "amount", "PnL", "PnL %", "closed", "close type"):
        table.add_column(name, justify="left" if name in ("opened", "side", "closed", "close type") else "right")
    for e in rows:
        opened = pd.Timestamp(e["open_time"], unit="s", tz="UTC") if isinstance(e["open_time"], int) else e["open_time"]
        closed = e.get("close_time")
        if isinstance(closed, int):
            closed = pd.Timestamp(closed, unit="s", tz="UTC")
        price = e["exit_price"] if e.get("exit_price") is not None and not _nan(e["exit_price"]) else e["last_price"]
        table.add_row(
            _fmt("t", opened),
            e["side"],
            f"{e['entry_price']:,.6g}",
            f"{price:,.6g}",
            f"{e['amount']:.6g}",
            signed_money(e["net_pnl_quote"], 0.0),
            _fmt("net_pnl_pct", e["net_pnl_pct"]),
            "-" if closed is None or closed is pd.NaT else _fmt("t", closed),
            e["close_type"] if isinstance(e.get("close_type"), str) else "-",
        )
    return table


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


class _Display:
    """The rich Live table of a run, started on its first bar and redrawn at most every :data:`REDRAW` s."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.live: Any = None
        self.shown = 0.0

    def __call__(self, engine: PaperEngine) -> None:
        import time

        now = time.monotonic()
        if self.live is None:
            from rich.live import Live

            self.live = Live(live_table(engine.snapshot(), self.total), console=console(), auto_refresh=False)
            self.live.start()
        elif now - self.shown < REDRAW:
            return
        self.shown = now
        self.live.update(live_table(engine.snapshot(), self.total), refresh=True)

    def close(self, engine: PaperEngine) -> None:
        if self.live is not None:
            self.live.update(live_table(engine.snapshot(), self.total), refresh=True)
            self.live.stop()


@paper_app.command("run")
@cli_errors
def run(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Bot YAML (strategy, market, execution, account).", show_default=False)],
    replay: Annotated[
        bool, typer.Option("--replay", help="Replay stored candles instead of trading live bars.")
    ] = False,
    start: Annotated[
        str | None, typer.Option("--from", help="Replay: first day (default: the file's backtest.start).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Replay: last day (default: backtest.end, else the last bar).")
    ] = None,
    speed: Annotated[float | None, typer.Option(help="Replay: bars per second; 0 = as fast as possible.")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Delete the bot's stored paper run and start over.")] = False,
) -> None:
    """Paper-trade a bot: live on the bars the updater stores, or --replay a stored range.

    Each bar's executors, state and performance are written to the store in one transaction; run the
    same command again after a stop or a crash and it resumes where it was. Ctrl-C stops cleanly.
    """
    from uptrade.execution.bots import BotConfig
    from uptrade.execution.paper import PaperEngine, SystemClock

    bot = BotConfig.from_yaml(file)
    if not replay and (start is not None or end is not None or speed is not None):
        flags = [f for f, v in (("--from", start), ("--to", end), ("--speed", speed)) if v is not None]
        raise fail(f"{', '.join(flags)}: only for a replay; add --replay (without it the bot trades live bars)")
    start = start or bot.backtest.start
    end = end or bot.backtest.end
    if replay and start is None:
        raise fail("--from: a replay needs a first day (--from, or backtest.start in the bot file)")
    out = console()
    where = (
        f"replay {start} .. {end or 'the last stored bar'}" if replay else "live (closed bars as the store gets them)"
    )
    pace = f" at {speed:g} bars/s" if replay and speed else (" as fast as possible" if replay else "")
    note = "; the file says mode: live, and paper trading never sends orders" if bot.mode == "live" else ""
    out.print(
        f"paper trading [bold]{bot.name}[/] ({bot.controller_name}): {bot.market.symbol} {bot.market.timeframe} "
        f"on {bot.market.connector}, {where}{pace}{note}",
        highlight=False,
    )
    display = _Display(None)
    with opened_store(ctx) as store, _stop_on_signals() as stopping:
        engine = PaperEngine(bot, store, on_bar=display, clock=SystemClock(stopping), stop=stopping.is_set)
        if replay:
            engine.replay(start, end, speed=speed or 0.0, reset=reset)
        else:
            engine.live(reset=reset)
        display.close(engine)
        _summary(store, engine)


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event Ctrl-C (SIGINT) and SIGTERM set instead of raising, restored on the way out.

    The engine asks it between bars and wakes from its waits on it, so a stop never lands inside
    a bar's write: the bar in progress is finished and recorded, then the run is marked stopped.
    """
    stopping = threading.Event()

    def ask(signum: int, frame: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, ask) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopping
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _summary(store: Store, engine: PaperEngine) -> None:
    """What the run did: its statistics (the backtest's), and how to go on."""
    out = console()
    snap = engine.snapshot()
    if engine.resumed:
        out.print(f"resumed the stored run (its first bar {_fmt('t', engine.book.index[0]) if engine.book.n else '-'})")
    out.print(stats_table(engine.book.stats(), f"paper {engine.bot.name}: {snap['bars']:,} bars, {engine.status}"))
    if snap["open"]:
        out.print(executors_table(snap["open"], "open executors"))
    if engine.status == "stopped":
        out.print("stopped; the state is saved: run the same command to resume")


@paper_app.command("status")
@cli_errors
def status(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="A bot's name: its run in detail.", show_default=False)] = None,
) -> None:
    """The paper runs in the store: state, PnL, trades, win rate, drawdown, Sharpe, open executors."""
    from uptrade.execution.monitor import paper_bot, paper_bots, synced_bots

    with opened_store(ctx) as store:
        if name is None:
            runs = paper_bots(store)
            synced = synced_bots(store)
            if not runs:
                console().print("no paper runs in the store; start one with `uptrade paper run BOT.yml`")
            else:
                console().print(_runs_table(store, runs))
            if synced:
                console().print(_synced_table(synced))
            return
        view = paper_bot(store, name)
        if view is None:
            known = ", ".join(r["bot_name"] for r in store.paper_runs()) or "none"
            raise fail(f"no paper run named {name} in the store (runs: {known})")
        _details(store, view)


def _runs_table(store: Store, runs: list[BotView]) -> Table:
    from rich.table import Table

    table = Table(title=f"paper runs ({store.mode}: {store.url})")
    for col in ("bot", "market", "mode", "status", "from", "last bar", "equity", "PnL", "trades", "win rate",
                "drawdown", "sharpe", "open"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("bot", "market", "mode", "status") else "right")
    for run in runs:
        table.add_row(
            run.name,
            run.market,
            str(run.mode),
            run.status,
            _fmt("t", run.trade_from),
            _fmt("t", run.last_bar),
            f"{run.equity:,.2f}" if run.equity is not None else "-",
            signed_money(run.pnl, run.capital),
            _fmt("trades", run.trades),
            _fmt("win_rate", run.win_rate),
            _fmt("max_drawdown_pct", run.drawdown),
            _fmt("sharpe", run.sharpe),
            str(run.open_executors),
        )
    return table


def _synced_table(bots: list[BotView]) -> Table:
    """The bots synced from hummingbot-api (``uptrade bots sync``), beside the paper runs."""
    from rich.table import Table

    table = Table(title="bots on hummingbot-api (last `uptrade bots sync`)")
    for col in ("bot", "market", "as of", "PnL", "realised", "unrealised", "volume", "closed executors"):
        table.add_column(col, justify="left" if col in ("bot", "market") else "right")
    for bot in bots:
        table.add_row(
            bot.name,
            bot.market,
            _fmt("t", bot.last_update),
            signed_money(bot.pnl),
            signed_money(bot.realized_pnl),
            signed_money(bot.unrealized_pnl),
            "-" if bot.volume is None else f"{bot.volume:,.2f}",
            "-" if bot.trades is None else str(bot.trades),
        )
    return table


def _details(store: Store, view: BotView) -> None:
    from rich.table import Table

    from uptrade.execution.monitor import paper_executors

    out = console()
    name = view.name
    run = store.paper_run(name) or {}
    table = Table(title=f"paper run {name}")
    table.add_column("field")
    table.add_column("value", justify="right")
    rows = {
        "market": f"{view.market} on {view.exchange}",
        "mode": view.mode,
        "status": view.status,
        "trades from": _fmt("t", view.trade_from),
        "last bar": _fmt("t", view.last_bar),
        "initial capital": f"{view.capital:,.2f}",
        "equity": f"{view.equity:,.2f}" if view.equity is not None else "-",
        "PnL": signed_money(view.pnl, view.capital),
        "trades": _fmt("trades", view.trades),
        "win rate": _fmt("win_rate", view.win_rate),
        "drawdown": _fmt("max_drawdown_pct", view.drawdown),
        "sharpe": _fmt("sharpe", view.sharpe),
        "config hash": run.get("config_hash", "-"),
    }
    for key, value in rows.items():
        table.add_row(key, str(value))
    out.print(table)
    records = paper_executors(store, name).to_dict("records")
    opened = [r for r in records if r["status"] == "open"]
    closed = [r for r in records if r["status"] == "closed"]
    out.print(executors_table(opened, "open executors") if opened else "no open executors")
    if closed:
        out.print(executors_table(closed[-10:], f"last {min(10, len(closed))} of {len(closed)} closed executors"))
