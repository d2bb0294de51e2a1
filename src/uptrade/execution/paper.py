"""Paper trading: a bot file run bar by bar on closed candles from the store, by the backtest's rules.

:class:`PaperEngine` feeds each closed bar of the bot's symbol and timeframe to its combined
signal (:class:`~uptrade.execution.stream.SignalStream`: the batch signal, one bar at a time)
and to its executors and account (:class:`~uptrade.execution.paper_book.PaperBook`: the
backtest's own rules, :mod:`uptrade.research.engine_nb`), and writes what the bar changed in
one transaction: the run's last bar, the executors it opened, closed or marked
(``paper_executors``), and on the performance grid a ``bot_performance`` row. No order is ever
sent: a bot file's ``mode: live`` changes nothing here.

Bars come from a **replay** of stored candles (``replay(start, end, speed)``: ``speed`` bars per
second, 0 as fast as it goes) or **live** (``live()``): the bars the data updater stores, polled
from the store; the bot warms its indicators up on the last ``candles.max_records`` stored bars
and trades from the next bar that closes. Every wait goes through the injected :class:`Clock`.

**Resume.** A run is keyed by the bot's name. Started again with the same config, the engine
re-runs the stored candles from the run's first bar to its last written one without writing
(the same bars give the same state), checks that this gives exactly the stored executors, and
goes on from the next bar: after a kill at any moment nothing is lost or written twice. Another
config under the same name is refused (``reset`` starts over).

A replay of a range gives the executors, equity and statistics of ``uptrade backtest`` on that
range, except what only the end of the data decides: the backtest closes the executors still
open at its last bar (time limit); a paper run keeps them open.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from uptrade.data.store import Store
from uptrade.data.timeframes import parse_timeframe
from uptrade.data.times import TimeLike, epoch_seconds, from_epoch, to_epoch
from uptrade.errors import ConfigError, DataFormatError, NoDataError, StoreError
from uptrade.execution.bots import BotConfig, needs_volume
from uptrade.execution.paper_book import PaperBook
from uptrade.execution.stream import SignalStream

#: ``bot_performance`` rows are written on bars whose close is on this grid (seconds; every bar
#: of a timeframe at least this long), and on a replay's last bar.
PERFORMANCE_EVERY = 3600
#: Status of a run in ``paper_runs``.
STATUSES = ("running", "stopped", "finished", "ruined")


class Clock(Protocol):
    """Where the engine reads the time and waits (tests inject one that moves only when waited on)."""

    def now(self) -> float:
        """Epoch seconds."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""


class SystemClock:
    """The wall clock; a wait ends early when ``wake`` is set (a stop asked for from a signal handler)."""

    def __init__(self, wake: threading.Event | None = None) -> None:
        self.wake = wake

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.wake is not None:
            self.wake.wait(seconds)
        else:
            time.sleep(seconds)


def config_hash(bot: BotConfig) -> str:
    """A digest of what decides a run's executors: strategy, market, execution and account.

    Not the name (the run's key), the mode (paper never sends orders) or the backtest range.
    """
    payload = bot.model_dump(mode="json", include={"strategy", "market", "execution", "account"})
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def poll_seconds(bar_seconds: int) -> float:
    """How often live mode asks the store for a bar that is due: a twentieth of the bar, 1 s to 60 s."""
    return float(min(60.0, max(1.0, bar_seconds / 20)))


def pid_alive(run: dict[str, Any]) -> bool:
    """Whether the process recorded as running ``run`` still runs on this host."""
    pid, host = run.get("pid"), run.get("host")
    if run.get("status") != "running" or not pid or host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _day(epoch: int | None) -> str:
    return "-" if epoch is None else f"{from_epoch(epoch):%Y-%m-%d %H:%M}"


class PaperEngine:
    """Runs one bot (module docstring).

    ``on_bar(engine)`` is called after every bar written (a display reads :meth:`snapshot`);
    ``stop()`` is asked between bars and before every wait, and ends the run cleanly.
    """

    def __init__(
        self,
        bot: BotConfig,
        store: Store,
        *,
        clock: Clock | None = None,
        performance_every: int = PERFORMANCE_EVERY,
        on_bar: Callable[[PaperEngine], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.bot = bot
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.tf = parse_timeframe(bot.market.timeframe)
        self.hash = config_hash(bot)
        self.performance_every = int(performance_every)
        self.on_bar = on_bar
        self.stop = stop or (lambda: False)
        self.symbol = bot.market.symbol
        self.mode = "replay"
        self.status = "new"
        self.first_bar: int | None = None
        self.trade_from = 0
        self.end_bar: int | None = None
        self.written: int | None = None  # the last bar in the store
        self.resumed = False
        self.signal = 0
        self._fresh()

    def _fresh(self) -> None:
        """Empty indicator states, executors and account."""
        self.stream = SignalStream(self.bot.strategy.signals)
        self.book = PaperBook(self.bot.execution, self.bot.account, self.tf.seconds)

    # ----------------------------------------------------------------- checks (nothing written)
    def _market(self) -> None:
        """The bot's symbol must be stored, with candles of its timeframe (stored or aggregated)."""
        self.symbol = self.store.check_symbol(self.bot.market.symbol)
        if self.store.read_ohlcv(self.symbol, self.tf, limit=1).empty:
            held = sorted({c.timeframe for c in self.store.coverage(self.symbol)}, key=parse_timeframe)
            raise NoDataError(
                f"{self.bot.name}: no {self.symbol} {self.tf} candles in the store (it holds {self.symbol} "
                f"{', '.join(held)}); load them with `uptrade data backfill` or change market.timeframe"
            )

    def _volume(self, candles: pd.DataFrame) -> None:
        """A strategy that reads volume needs candles that carry it."""
        if not self.bot.needs_volume:
            return
        v = candles["volume"].to_numpy(dtype=np.float64)
        if not (np.isfinite(v) & (v > 0)).any():
            sources = [s for s, p in self.bot.strategy.signals.sources.items() if needs_volume(s, p)]
            span = epoch_seconds(candles.index[[0, -1]])
            raise DataFormatError(
                f"{self.bot.name}: {', '.join(sources)} read volume, but the {self.symbol} {self.tf} candles from "
                f"{_day(int(span[0]))} to {_day(int(span[1]))} have none (all zero); load candles with volume"
            )

    def _stored_run(self, mode: str, first_bar: int | None, reset: bool) -> dict[str, Any] | None:
        """The run to resume, or None; refuses one it may not resume (another config, mode or start)."""
        if reset:
            return None
        run = self.store.paper_run(self.bot.name)
        if run is None:
            return None
        name = self.bot.name
        hint = "run it with --reset to start over, or give the bot another name"
        if run["config_hash"] != self.hash:
            raise ConfigError(
                f"bot {name}: the store holds a paper run of this name with another config "
                f"(started {_day(run['first_bar'])}); {hint}"
            )
        if run["mode"] != mode:
            raise ConfigError(f"bot {name}: the store holds a {run['mode']} paper run of this name; {hint}")
        if first_bar is not None and run["first_bar"] != first_bar:
            raise ConfigError(
                f"bot {name}: its paper run replays from {_day(run['first_bar'])}, this replay starts at "
                f"{_day(first_bar)}; {hint}"
            )
        if pid_alive(run) and int(run["pid"]) != os.getpid():
            raise ConfigError(f"bot {name}: its paper run is running (process {run['pid']}); stop it first")
        return run

    # ----------------------------------------------------------------- the run
    def replay(self, start: TimeLike, end: TimeLike = None, *, speed: float = 0.0, reset: bool = False) -> None:
        """Replay the stored candles from ``start`` to ``end`` (the last stored bar by default) at ``speed``
        bars per second (0: no waiting); resumes a stored replay of the same bot from where it stopped."""
        if not (np.isfinite(speed) and speed >= 0):
            raise ConfigError(f"speed: bars per second, >= 0 (0: as fast as possible), got {speed}", param="speed")
        lo, hi = to_epoch(start, "start"), to_epoch(end, "end")
        if lo is None:
            raise ConfigError("start: a replay needs a first day", param="start")
        if hi is not None and hi < lo:
            raise ConfigError(f"end: {end} is before start {start}", param="end")
        self._market()
        candles = self.store.read_ohlcv(self.symbol, self.tf, start=lo, end=hi)
        if candles.empty:
            until = end or "the last stored bar"
            raise NoDataError(
                f"{self.bot.name}: no {self.symbol} {self.tf} candles between {start} and {until} in the store"
            )
        self._volume(candles)
        times = epoch_seconds(candles.index)
        self.mode = "replay"
        run = self._stored_run("replay", int(times[0]), reset)
        self.first_bar = self.trade_from = int(times[0])
        self.end_bar = int(times[-1])
        if run is not None:
            self._restore(run)
        self._begin(run, reset)
        todo = candles.iloc[np.flatnonzero(times > (self.written if self.written is not None else -1))]
        self._loop(lambda: [todo], speed=speed)

    def live(self, *, reset: bool = False, warmup: int | None = None) -> None:
        """Paper-trade the bars the data updater stores, as they close, until ``stop()`` (or a liquidation).

        A new run warms its indicators up on the last ``warmup`` stored bars (default: the bot's
        ``candles.max_records``, what its Hummingbot controller keeps) and trades from the next bar.
        """
        self._market()
        self.mode = "live"
        run = self._stored_run("live", None, reset)
        if run is None:
            bars = int(warmup or self.bot.market.candles.max_records)
            if bars < 1:
                raise ConfigError(f"warmup: at least 1 bar, got {bars}", param="warmup")
            warm = self.store.read_ohlcv(self.symbol, self.tf, limit=bars)
            self._volume(warm)
            times = epoch_seconds(warm.index)
            self.first_bar = int(times[0])
            self.trade_from = int(times[-1]) + self.tf.seconds
        else:
            self._restore(run)
        self._begin(run, reset)
        self._loop(self._poll, speed=0.0)

    def _restore(self, run: dict[str, Any]) -> None:
        """Rebuild the state of a stored run from its candles, without writing; it must give the stored executors."""
        self.first_bar, self.trade_from = int(run["first_bar"]), int(run["trade_from"])
        self.end_bar = self.end_bar if self.mode == "replay" else run["end_bar"]
        last = run["last_bar"]
        self.resumed = True
        if last is None:
            return
        bars = self.store.read_ohlcv(self.symbol, self.tf, start=self.first_bar, end=last)
        for row in self._rows(bars):
            self._step(row)
        name = self.bot.name
        if self.book.last_time != last:
            raise StoreError(
                f"bot {name}: its paper run cannot resume: the stored {self.symbol} {self.tf} candles no longer reach "
                f"its last bar {_day(last)}; run it with --reset to start over"
            )
        want = [{k: r[k] for k in r if k not in ("bot_name", "executor_id")} for r in self.book.rows()]
        have = [
            {k: r[k] for k in r if k not in ("bot_name", "executor_id")} for r in self.store.paper_executor_rows(name)
        ]
        if want != have:
            diff = next(
                (i for i, (a, b) in enumerate(zip(want, have, strict=False)) if a != b), min(len(want), len(have))
            )
            at = (want + have)[diff]["open_time"] if diff < max(len(want), len(have)) else last
            raise StoreError(
                f"bot {name}: its paper run cannot resume: re-running its candles from {_day(self.first_bar)} to "
                f"{_day(last)} gives other executors than it stored ({len(want)} against {len(have)}, first "
                f"difference at the executor opened {_day(int(at))}); were the candles changed? run it with "
                "--reset to start over"
            )
        self.written = last

    def _begin(self, run: dict[str, Any] | None, reset: bool) -> None:
        """The first write: the run row (its last bar untouched, so a resume never moves it back)."""
        now = datetime.fromtimestamp(self.clock.now(), tz=UTC)
        assert self.first_bar is not None
        self.status = "ruined" if self.book.ruined else "running"
        self.store.begin_paper_run(
            {
                "bot_name": self.bot.name,
                "config_hash": self.hash,
                "config": self.bot.model_dump(mode="json"),
                "symbol": self.symbol,
                "timeframe": self.tf.name,
                "exchange": self.bot.market.connector,
                "mode": self.mode,
                "first_bar": self.first_bar,
                "trade_from": self.trade_from,
                "end_bar": self.end_bar,
                "status": self.status,
                "initial_capital": self.book.capital,
                "equity": self.book.equity,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": now if run is None else run["started_at"],
                "updated_at": now,
            },
            reset=reset,
        )

    def _loop(self, batches: Callable[[], list[pd.DataFrame]], *, speed: float) -> None:
        """Process and write the bars of each batch until there are none (replay) or ``stop()`` (live)."""
        start, done = self.clock.now(), 0
        try:
            while not self.book.ruined and not self.stop():
                chunks = batches()
                if not chunks:
                    break
                for row in self._rows(chunks[0]):
                    if self.stop() or self.book.ruined:
                        break
                    self._bar(row)
                    done += 1
                    if speed > 0:
                        self.clock.sleep(start + done / speed - self.clock.now())
                if self.mode == "replay":
                    break
            status = (
                "ruined" if self.book.ruined else "finished" if self.mode == "replay" and not self.stop() else "stopped"
            )
        except KeyboardInterrupt:  # Ctrl-C: every written bar is whole (one transaction each); record the stop
            self.status = "stopped"
            # if even this fails, the run stays "running" with a process that is gone: a restart resumes it the same
            with contextlib.suppress(StoreError):
                self.store.set_paper_status(self.bot.name, "stopped", datetime.fromtimestamp(self.clock.now(), tz=UTC))
            return
        self.status = status
        self.store.set_paper_status(self.bot.name, status, datetime.fromtimestamp(self.clock.now(), tz=UTC))

    def _poll(self) -> list[pd.DataFrame]:
        """Live bars: the stored bars after the last one processed; waits for the next one to close when none."""
        poll = poll_seconds(self.tf.seconds)
        assert self.first_bar is not None
        while not self.stop():
            after = self.book.last_time
            lo = self.first_bar if after is None else after + self.tf.seconds  # the next bar's open time
            bars = self.store.read_ohlcv(self.symbol, self.tf, start=lo)
            if not bars.empty:
                return [bars]
            wait = lo + self.tf.seconds - self.clock.now()  # until it closes, then a poll for the updater to store it
            self.clock.sleep(wait + poll if wait > 0 else poll)
        return []

    @staticmethod
    def _rows(candles: pd.DataFrame) -> list[tuple[int, dict[str, float]]]:
        times = epoch_seconds(candles.index).tolist()
        cols = candles[["open", "high", "low", "close", "volume"]].to_dict("records")
        return list(zip(times, cols, strict=True))

    def _step(self, row: tuple[int, dict[str, float]]) -> np.ndarray:
        t, bar = row
        self.signal = self.stream.update(bar)
        return self.book.step(t, bar["high"], bar["low"], bar["close"], self.signal, t >= self.trade_from)

    def _bar(self, row: tuple[int, dict[str, float]]) -> None:
        """One bar: step, then write what it changed in one transaction."""
        changed = self._step(row)
        t = row[0]
        trading = t + self.tf.seconds >= self.trade_from  # the last warm-up bar and every bar after it
        if not trading and changed.size == 0:
            return  # warming up: nothing to write yet
        name = self.bot.name
        rows = [{"bot_name": name, "executor_id": f"{name}-{r['open_time']}", **r} for r in self.book.rows(changed)]
        perf = None
        close = t + self.tf.seconds
        last = self.mode == "replay" and t == self.end_bar
        if t >= self.trade_from and (
            close % self.performance_every == 0 or self.tf.seconds >= self.performance_every or last or self.book.ruined
        ):
            perf = {
                "time": t,
                "bot_name": name,
                "symbol": self.symbol,
                "exchange": self.bot.market.connector,
                "source": "paper",
                **self.book.performance(),
            }
        now = datetime.fromtimestamp(self.clock.now(), tz=UTC)
        status = "ruined" if self.book.ruined else "running"
        run = {"status": status, "equity": self.book.equity, "updated_at": now}
        self.store.write_paper_bar(name, t, self.written, run, rows, perf)
        self.written = t
        if self.on_bar is not None:
            self.on_bar(self)

    # ----------------------------------------------------------------- views
    def snapshot(self) -> dict[str, Any]:
        """Where the run stands: bar, equity, performance, open executors (for displays)."""
        return {
            "bot": self.bot.name,
            "symbol": self.symbol,
            "timeframe": self.tf.name,
            "mode": self.mode,
            "status": self.status,
            "bar": from_epoch(self.book.last_time) if self.book.last_time is not None else None,
            "bars": self.book.n,
            "signal": self.signal,
            "equity": self.book.equity,
            "capital": self.book.capital,
            **self.book.performance(),
            "open": self.book.open_rows(),
        }


__all__ = [
    "PERFORMANCE_EVERY",
    "STATUSES",
    "Clock",
    "PaperEngine",
    "SystemClock",
    "config_hash",
    "pid_alive",
    "poll_seconds",
]
