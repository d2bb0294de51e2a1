"""Paper tools: start a paper run (a bounded replay in the call, live in its own process), its status, its stop.

A replay of stored candles runs to completion inside the call (the engine of ``uptrade paper run
--replay``). A live run never ends by itself, so it runs as ``uptrade paper run FILE`` in a process
of its own, detached from the server; :func:`paper_start` returns once that process has recorded
the run in the store (or with its error when it exits first). :func:`paper_stop` sends SIGTERM to
the recorded process, which the command handles as a clean stop (the bar in progress is finished
and the run is marked stopped), and waits for the stop to be recorded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from uptrade.errors import ConfigError, StoreError
from uptrade.mcp.common import store, tool_errors
from uptrade.mcp.results import BacktestStats, iso, plain, typed_stats

if TYPE_CHECKING:
    from uptrade.execution.monitor import BotView

#: Seconds :func:`paper_start` and :func:`paper_stop` wait at most for the run's process to record
#: its start or its stop (a liveness guard: a cold start compiles the indicators first).
PROCESS_WAIT = 180.0
#: Seconds between two looks at the store while waiting for that process.
POLL = 0.25

#: The live runs this server started, by process id (reaped when they end, so none lingers as a zombie).
_children: dict[int, subprocess.Popen[bytes]] = {}


class PaperRun(BaseModel):
    """A paper run as ``uptrade paper status`` shows it (money in quote, fractions as fractions, times UTC)."""

    name: str
    market: str
    exchange: str | None
    mode: str | None
    status: str = Field(description="running, stopped, finished, ruined, or interrupted (its process is gone).")
    state: str
    capital: float | None
    equity: float | None
    pnl: float | None
    trades: int | None
    win_rate: float | None
    drawdown: float | None
    sharpe: float | None
    open_executors: int | None
    trade_from: str | None
    last_bar: str | None
    last_update: str | None
    pid: int | None
    host: str | None
    hint: str


class PaperRuns(BaseModel):
    """The paper runs in the store, by bot name."""

    runs: list[PaperRun]


class PaperStarted(BaseModel):
    """A started paper run: a replay's outcome (its statistics), or a live run's process."""

    name: str
    mode: str
    status: str
    bars: int | None = None
    stats: BacktestStats | None = None
    run: PaperRun | None = None
    pid: int | None = None
    log: str | None = Field(None, description="A live run's output file.")


def run_view(view: BotView) -> PaperRun:
    """A :class:`~uptrade.execution.monitor.BotView` of a paper run as a :class:`PaperRun`."""
    from uptrade.execution.monitor import paper_stop_hint

    def when(value: Any) -> str | None:
        return None if value is None else iso(value)

    return PaperRun(
        name=view.name, market=view.market, exchange=view.exchange, mode=view.mode, status=view.status,
        state=view.state, capital=plain(view.capital), equity=plain(view.equity), pnl=plain(view.pnl),
        trades=view.trades, win_rate=plain(view.win_rate), drawdown=plain(view.drawdown), sharpe=plain(view.sharpe),
        open_executors=view.open_executors, trade_from=when(view.trade_from), last_bar=when(view.last_bar),
        last_update=when(view.last_update), pid=view.pid, host=view.host, hint=paper_stop_hint(view),
    )  # fmt: skip


def _known() -> str:
    return ", ".join(r["bot_name"] for r in store().paper_runs()) or "none"


def _view(name: str) -> PaperRun | None:
    from uptrade.execution.monitor import paper_bot

    view = paper_bot(store(), name)
    return None if view is None else run_view(view)


@tool_errors
def paper_status(name: str | None = None) -> PaperRuns:
    """The paper runs in the store (or the run ``name``): status, equity, PnL, trades, win rate, drawdown, Sharpe."""
    from uptrade.execution.monitor import paper_bots

    if name is None:
        return PaperRuns(runs=[run_view(v) for v in paper_bots(store())])
    found = _view(name)
    if found is None:
        raise ConfigError(f"name: no paper run named {name!r} in the store (runs: {_known()})")
    return PaperRuns(runs=[found])


@tool_errors
def paper_start(
    bot_file: str, replay_from: str | None = None, replay_to: str | None = None, reset: bool = False
) -> PaperStarted:
    """Paper-trade a bot file: replay_from/replay_to replay stored candles now; without them it trades live bars
    in a background process (stop it with paper_stop)."""
    from uptrade.execution.bots import BotConfig

    path = Path(bot_file).expanduser()
    try:
        bot = BotConfig.from_yaml(path)
    except ConfigError as exc:
        raise ConfigError(f"bot_file: {exc}") from None
    if replay_from is None and replay_to is None:
        return _live(bot.name, path, reset)
    start = replay_from or bot.backtest.start
    if start is None:
        raise ConfigError("replay_from: a replay needs a first day (replay_from, or backtest.start in the bot file)")
    return _replay(bot, start, replay_to or bot.backtest.end, reset)


def _replay(bot: Any, start: str, end: str | None, reset: bool) -> PaperStarted:
    """A replay of ``start`` .. ``end`` run to its end in this call."""
    from uptrade.errors import UpTradeError
    from uptrade.execution.paper import PaperEngine

    engine = PaperEngine(bot, store())
    try:
        engine.replay(start, end, reset=reset)
    except UpTradeError as exc:
        param = {"start": "replay_from", "end": "replay_to"}.get(exc.param or "")
        if param is None:
            raise
        raise ConfigError(f"{param}: {str(exc).partition(': ')[2] or exc}") from None
    return PaperStarted(
        name=bot.name, mode="replay", status=engine.status, bars=engine.book.n,
        stats=typed_stats(engine.book.stats()), run=_view(bot.name),
    )  # fmt: skip


def _live(name: str, path: Path, reset: bool) -> PaperStarted:
    """Start ``uptrade paper run FILE`` in its own session and wait until it records the run (or fails)."""
    from uptrade.execution.paper import pid_alive
    from uptrade.settings import get_settings

    found = store()
    run = found.paper_run(name)
    if run is not None and pid_alive(run):
        raise ConfigError(f"bot_file: the paper run {name} is running (process {run['pid']}); stop it first")
    logs = Path(get_settings().home) / "paper"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    command = [sys.executable, "-m", "uptrade.cli", "paper", "run", str(path.resolve()), *(["--reset"] * reset)]
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    with open(log, "wb") as out:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    _children[child.pid] = child
    deadline = time.monotonic() + PROCESS_WAIT
    while True:
        if child.poll() is not None:
            _children.pop(child.pid, None)
            raise ConfigError(f"bot_file: the paper run exited at once: {_last_error(log)}")
        run = found.paper_run(name)
        if run is not None and run.get("pid") == child.pid and run.get("status") == "running":
            return PaperStarted(name=name, mode="live", status="running", run=_view(name), pid=child.pid, log=str(log))
        if time.monotonic() > deadline:
            return PaperStarted(name=name, mode="live", status="starting", pid=child.pid, log=str(log))
        time.sleep(POLL)


def _last_error(log: Path) -> str:
    """The error line a failed ``uptrade paper run`` printed (else its last line)."""
    try:
        lines = [ln.strip() for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no output"
    errors = [ln for ln in lines if ln.startswith("error:")]
    return (errors or lines or ["no output"])[-1].removeprefix("error:").strip()


@tool_errors
def paper_stop(name: str) -> PaperRuns:
    """Stop a running live paper run (its process finishes the bar, saves its state and records the stop)."""
    from uptrade.execution.monitor import paper_status as run_status

    found = store()
    run = found.paper_run(name)
    if run is None:
        raise ConfigError(f"name: no paper run named {name!r} in the store (runs: {_known()})")
    status = run_status(run)
    if status != "running":
        raise ConfigError(f"name: the paper run {name} is not running (it is {status})")
    pid = int(run["pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        raise StoreError(f"name: the process {pid} of the paper run {name} is gone") from None
    deadline = time.monotonic() + PROCESS_WAIT
    child = _children.get(pid)
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            _children.pop(pid, None)
            break
        current = found.paper_run(name)
        if child is None and (current is None or run_status(current) != "running"):
            break
        time.sleep(POLL)
    view = _view(name)
    return PaperRuns(runs=[] if view is None else [view])


def register(server: MCPServer) -> None:
    """Add the paper tools to ``server``."""
    server.tool(title="Start a paper run")(paper_start)
    server.tool(title="Paper runs")(paper_status)
    server.tool(title="Stop a paper run")(paper_stop)
