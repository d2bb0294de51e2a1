"""Live paper trading: the engine picks up the bars an updater appends to the store, on simulated time.

The clock is simulated: it moves only when the engine waits, and each move lets the test's
"updater" store every bar that has closed by then, as ``uptrade data update`` would. The
engine must trade exactly as the backtest of the same bars with the warm-up bars not traded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_paper import COMBINED, SNIPER, assert_same_closed, make_store, stored
from uptrade.data.store import Store
from uptrade.execution.bots import BotConfig
from uptrade.execution.paper import PaperEngine, poll_seconds
from uptrade.research.backtest import run_backtest
from uptrade.research.run import combined_signal

WARMUP = 600


class UpdaterClock:
    """Simulated time; each wait stores the bars of ``pending`` that closed by the new time."""

    def __init__(self, store: Store, symbol: str, pending: pd.DataFrame, now: float) -> None:
        self.store, self.symbol, self.pending, self.t = store, symbol, pending, float(now)
        self.waits: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the engine never waits for nothing"
        self.waits.append(seconds)
        self.t += seconds
        closes = self.pending.index + pd.Timedelta(hours=1)
        due = self.pending[closes.map(pd.Timestamp.timestamp) <= self.t]
        if not due.empty:
            self.store.write_ohlcv(due, self.symbol, "1h")
            self.pending = self.pending.iloc[len(due) :]


def live_until(bot: BotConfig, store: Store, clock: UpdaterClock, until: int, warmup: int) -> PaperEngine:
    """A live run stopped (as by Ctrl-C) once it has processed the bar that opens at ``until``."""
    reached: list[bool] = []
    engine = PaperEngine(bot, store, clock=clock, stop=lambda: bool(reached))
    engine.on_bar = lambda e: reached.append(True) if e.book.last_time == until else None
    engine.live(warmup=warmup)
    return engine


def expected(candles: pd.DataFrame, bot: BotConfig, trade_from: pd.Timestamp) -> pd.DataFrame:
    """The backtest of the bot on these candles with no entry before ``trade_from`` (the warm-up)."""
    signal, _ = combined_signal(candles, bot.backtest_config())
    signal[signal.index < trade_from] = 0
    return run_backtest(candles, signal, bot.execution, "1h", bot.account).executors


@pytest.mark.parametrize(("base", "market"), [(SNIPER, "btc_1h"), (COMBINED, "eth_1h")], ids=["sniper", "combined"])
def test_live_run_trades_the_bars_as_the_updater_stores_them(
    base: dict, market: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    candles = request.getfixturevalue(market).loc["2023-01-01":"2023-04-30"]
    history, coming = candles.iloc[:1500], candles.iloc[1500:2300]
    symbol = base["market"]["trading_pair"]
    store = make_store(f"sqlite:///{tmp_path / 'live.db'}", **{symbol.replace("-", "_"): history})
    bot = BotConfig.model_validate(base)
    start = history.index[-1] + pd.Timedelta(hours=1, minutes=5)  # the updater stored the last closed bar
    clock = UpdaterClock(store, symbol, coming, start.timestamp())
    last = coming.index[-1]
    engine = live_until(bot, store, clock, int(last.timestamp()), WARMUP)
    assert engine.status == "stopped"
    # simulated time only: a wait per bar, about an hour each, none in real time
    assert len(clock.waits) >= len(coming)
    assert clock.t - start.timestamp() == pytest.approx(len(coming) * 3600, abs=3600)
    assert max(clock.waits) <= 3600 + poll_seconds(3600)
    # warmed up on the last WARMUP stored bars, trading from the first bar that closed after the start
    run = store.paper_run(bot.name)
    assert run["first_bar"] == int(history.index[-WARMUP].timestamp())
    assert run["trade_from"] == int(coming.index[0].timestamp())
    assert run["mode"] == "live"
    rows = stored(store, bot.name)
    assert rows["open_time"].min() >= coming.index[0]
    # exactly the backtest of the same bars: closed ones equal, the open ones open over the last bar
    seen = candles.iloc[1500 - WARMUP : 2300]
    want = expected(candles.iloc[1500 - WARMUP : 2500], bot, coming.index[0])
    assert len(want) >= 10
    assert_same_closed(rows[rows["status"] == "closed"], want[want["close_time"] <= last])
    spanning = want[(want["open_time"] <= last) & (want["close_time"] > last)]
    assert list(rows["open_time"][rows["status"] == "open"]) == list(spanning["open_time"])
    # its statistics cover the traded bars only
    assert engine.book.equity_curve().index[0] == coming.index[0]
    assert len(engine.book.equity_curve()) == len(seen) - WARMUP
    perf = store.paper_performance(bot.name)
    assert perf.index[0] == coming.index[0]
    assert len(perf) == len(coming)


def test_live_run_resumes_after_a_stop(btc_1h: pd.DataFrame, tmp_path: Path) -> None:
    """Stopped mid-way (the updater goes on storing bars meanwhile), then resumed: as one uninterrupted run."""
    candles = btc_1h.loc["2023-01-01":"2023-03-31"]
    history, coming = candles.iloc[:1000], candles.iloc[1000:1600]
    bot = BotConfig.model_validate(SNIPER)
    start = (history.index[-1] + pd.Timedelta(hours=1, minutes=5)).timestamp()
    last = int(coming.index[-1].timestamp())
    runs = {}
    for name in ("whole", "parts"):
        store = make_store(f"sqlite:///{tmp_path / f'{name}.db'}", BTC_USDT=history)
        clock = UpdaterClock(store, "BTC-USDT", coming, start)
        stops = [int(coming.index[250].timestamp())] if name == "parts" else []
        while True:
            until = stops.pop(0) if stops else last
            engine = live_until(bot, store, clock, until, 400)
            if until == last:
                break
            assert store.paper_run(bot.name)["status"] == "stopped"
            clock.sleep(7 * 3600)  # the bot is down for 7 hours; the updater is not
        assert engine.resumed == (name == "parts")
        runs[name] = (store.paper_executors(bot.name), store.paper_performance(bot.name), store.paper_run(bot.name))
    (rows, perf, run), (whole_rows, whole_perf, whole_run) = runs["parts"], runs["whole"]
    assert len(rows) >= 10
    pd.testing.assert_frame_equal(rows, whole_rows, check_exact=True)
    pd.testing.assert_frame_equal(perf, whole_perf, check_exact=True)
    assert run["last_bar"] == whole_run["last_bar"] == last
    np.testing.assert_equal(run["equity"], whole_run["equity"])


class RecordingClock:
    """Simulated time that only moves when waited on."""

    def __init__(self, now: float) -> None:
        self.t = float(now)
        self.waits: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.t += max(seconds, 0.0)


def test_replay_speed_paces_the_bars_through_the_clock(btc_1h: pd.DataFrame, tmp_path: Path) -> None:
    """--speed 4: 4 bars per (simulated) second; speed 0 never waits."""
    store = make_store(f"sqlite:///{tmp_path / 'speed.db'}", BTC_USDT=btc_1h.loc["2023-01-01":"2023-01-31"])
    bot = BotConfig.model_validate(SNIPER)
    clock = RecordingClock(1_700_000_000.0)
    engine = PaperEngine(bot, store, clock=clock)
    engine.replay("2023-01-01", "2023-01-10 23:00", speed=4.0)
    assert engine.book.n == 240
    assert clock.t - 1_700_000_000.0 == pytest.approx(240 / 4.0)
    assert len(clock.waits) == 240
    assert all(w == pytest.approx(0.25) for w in clock.waits)
    fast = RecordingClock(1_700_000_000.0)
    PaperEngine(bot, store, clock=fast).replay("2023-01-01", "2023-01-20", speed=0.0)
    assert fast.waits == []
