"""A paper run survives stops and kill -9 with nothing lost or doubled, and refuses what it cannot resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.test_paper import (
    SNIPER,
    assert_matches_backtest,
    backtest,
    bot_dict,
    bot_file,
    busy_bar,
    make_store,
    stored,
)
from uptrade.data.store import Store, open_store
from uptrade.errors import ConfigError, StoreError
from uptrade.execution.bots import BotConfig
from uptrade.execution.paper import PaperEngine

START, BEFORE, LONGER = "2023-01-01", "2023-04-20", "2023-05-31"


@pytest.fixture
def candles(btc_1h: pd.DataFrame) -> pd.DataFrame:
    return btc_1h.loc["2022-12-01":"2023-06-30"]


def snapshot(store: Store, name: str) -> tuple[pd.DataFrame, list[dict], pd.DataFrame]:
    """Everything stored for a bot: executors, runs, performance rows."""
    return store.paper_executors(name), store.paper_runs(), store.paper_performance(name)


def stop_after(bars: int) -> tuple[list[int], Callable[[], bool], Callable[[PaperEngine], None]]:
    """An ``on_bar`` counter and a ``stop`` that asks to stop once ``bars`` bars were written."""
    seen = [0]

    def on_bar(_engine: PaperEngine) -> None:
        seen[0] += 1

    return seen, (lambda: seen[0] >= bars), on_bar


def test_stopped_and_resumed_equals_one_uninterrupted_run(candles: pd.DataFrame, tmp_path: Path) -> None:
    bot = BotConfig.model_validate(SNIPER)
    whole = make_store(f"sqlite:///{tmp_path / 'whole.db'}", BTC_USDT=candles)
    end = str(busy_bar(backtest(whole, bot, START, LONGER), pd.Timestamp(BEFORE, tz="UTC")))
    PaperEngine(bot, whole).replay(START, end)
    parts = make_store(f"sqlite:///{tmp_path / 'parts.db'}", BTC_USDT=candles)
    for bars in (700, 450, 900):  # three stops, then to the end
        seen, stop, on_bar = stop_after(bars)
        engine = PaperEngine(bot, parts, stop=stop, on_bar=on_bar)
        engine.replay(START, end)
        assert engine.status == "stopped"
        assert seen[0] == bars
        assert parts.paper_run(bot.name)["status"] == "stopped"
    engine = PaperEngine(bot, parts)
    engine.replay(START, end)
    assert engine.resumed
    assert engine.status == "finished"
    got, want = snapshot(parts, bot.name), snapshot(whole, bot.name)
    pd.testing.assert_frame_equal(got[0], want[0], check_exact=True)
    pd.testing.assert_frame_equal(got[2], want[2], check_exact=True)
    assert got[1][0]["last_bar"] == want[1][0]["last_bar"]
    assert got[1][0]["equity"] == want[1][0]["equity"]


def run_cli(url: str, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200", "UPTRADE_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "uptrade.cli", "paper", "run", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)  # type: ignore[call-overload]


def stored_count(url: str, name: str) -> tuple[int, int | None]:
    """(executors, last bar) as another process sees them."""
    with open_store(url) as store:
        run = store.paper_run(name)
        return len(store.paper_executor_rows(name)), None if run is None else run["last_bar"]


@pytest.mark.long
def test_kill_9_mid_replay_then_resume_loses_and_doubles_nothing(candles: pd.DataFrame, tmp_path: Path) -> None:
    """Killed three times, each once the store shows more executors (observed, never timed), then run to the end.

    ``--speed 50`` only keeps each run alive long enough to be killed mid-way (the replay has some
    2,600 bars); where the kills land depends on nothing but what the store shows.
    """
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    make_store(url, BTC_USDT=candles).close()
    path = bot_file(tmp_path / "bot.yml", SNIPER)
    bot = BotConfig.from_yaml(path)
    with open_store(url) as store:
        wide = backtest(store, bot, START, LONGER)
    last = busy_bar(wide, pd.Timestamp(BEFORE, tz="UTC"))
    args = [str(path), "--replay", "--from", START, "--to", str(last)]
    kills = []
    for target in (5, 20, 45):
        proc = run_cli(url, *args, "--speed", "50")
        deadline = time.monotonic() + 600  # liveness only: a hang, not a slow host
        while stored_count(url, bot.name)[0] < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, f"the replay ended before it could be killed: {proc.communicate()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.communicate()
        kills.append(stored_count(url, bot.name))
    counts, bars = zip(*kills, strict=True)
    assert counts[0] >= 5
    assert list(counts) == sorted(counts)
    assert all(b is not None and b < int(last.timestamp()) for b in bars), "every kill lands before the end"
    with open_store(url) as store:
        assert store.paper_run(bot.name)["status"] == "running"  # killed: nobody recorded a stop
    done = run_cli(url, *args)
    out, err = done.communicate(timeout=600)
    assert done.returncode == 0, err
    assert "resumed the stored run" in out
    with open_store(url) as store:
        run = store.paper_run(bot.name)
        assert run["status"] == "finished"
        assert run["last_bar"] == int(last.timestamp())
        assert_matches_backtest(store, bot, START, last, wide)


def test_another_config_under_the_same_name_is_refused(candles: pd.DataFrame, tmp_path: Path) -> None:
    store = make_store(f"sqlite:///{tmp_path / 'p.db'}", BTC_USDT=candles)
    PaperEngine(BotConfig.model_validate(SNIPER), store).replay(START, "2023-02-01")
    before = snapshot(store, "sniper_btc")
    other = BotConfig.model_validate(bot_dict(SNIPER, execution={"stop_loss": 0.025}))
    with pytest.raises(ConfigError, match=r"bot sniper_btc: .*another config.*--reset"):
        PaperEngine(other, store).replay(START, "2023-03-01")
    with pytest.raises(ConfigError, match=r"bot sniper_btc: its paper run replays from 2023-01-01 00:00, this replay"):
        PaperEngine(BotConfig.model_validate(SNIPER), store).replay("2023-01-10", "2023-03-01")
    with pytest.raises(ConfigError, match=r"bot sniper_btc: the store holds a replay paper run"):
        PaperEngine(BotConfig.model_validate(SNIPER), store).live()
    after = snapshot(store, "sniper_btc")
    pd.testing.assert_frame_equal(after[0], before[0])
    assert after[1] == before[1]
    # --reset starts it over with the new config
    PaperEngine(other, store).replay(START, "2023-01-20", reset=True)
    (run,) = store.paper_runs()
    assert run["config"]["execution"]["stop_loss"] == 0.025
    assert run["last_bar"] == int(pd.Timestamp("2023-01-20", tz="UTC").timestamp())
    assert len(store.paper_performance("sniper_btc")) == 19 * 24 + 1  # the old run's rows are gone
    assert stored(store, "sniper_btc")["open_time"].max() < pd.Timestamp("2023-01-20 01:00", tz="UTC")


def test_changed_candles_stop_a_resume(candles: pd.DataFrame, tmp_path: Path) -> None:
    """The rebuilt executors must be the stored ones: a traded bar that changed since is named, nothing written."""
    store = make_store(f"sqlite:///{tmp_path / 'p.db'}", BTC_USDT=candles)
    bot = BotConfig.model_validate(SNIPER)
    PaperEngine(bot, store).replay(START, "2023-02-15")
    before = snapshot(store, bot.name)
    entry = before[0]["open_time"].iloc[3]
    bar = candles.loc[[entry]].copy()
    bar[["open", "high", "low", "close"]] *= 1.001
    store.write_ohlcv(bar, "BTC-USDT", "1h")
    with pytest.raises(StoreError, match=rf"bot sniper_btc: its paper run cannot resume: .*{entry:%Y-%m-%d %H:%M}"):
        PaperEngine(bot, store).replay(START, "2023-03-01")
    after = snapshot(store, bot.name)
    pd.testing.assert_frame_equal(after[0], before[0])
    assert after[1] == before[1]


def test_a_bar_is_written_once_by_one_process(candles: pd.DataFrame, tmp_path: Path) -> None:
    """The run's last bar moves by compare-and-set: a second writer of a bar (or a stale one) writes nothing."""
    store = make_store(f"sqlite:///{tmp_path / 'p.db'}", BTC_USDT=candles)
    bot = BotConfig.model_validate(SNIPER)
    PaperEngine(bot, store).replay(START, "2023-02-01")
    run = store.paper_run(bot.name)
    before = snapshot(store, bot.name)
    last = run["last_bar"]
    row = {**store.paper_executor_rows(bot.name)[-1], "net_pnl_quote": 1e9}
    with pytest.raises(StoreError, match="another process runs it"):
        store.write_paper_bar(bot.name, last, last - 3600, {"status": "running"}, [row])
    with pytest.raises(StoreError, match="nothing was written"):
        store.write_paper_bar(bot.name, last + 3600, None, {"status": "running"}, [row])
    after = snapshot(store, bot.name)
    pd.testing.assert_frame_equal(after[0], before[0])
    assert after[1] == before[1]


def test_a_run_whose_process_lives_is_not_started_twice(candles: pd.DataFrame, tmp_path: Path) -> None:
    store = make_store(f"sqlite:///{tmp_path / 'p.db'}", BTC_USDT=candles)
    bot = BotConfig.model_validate(SNIPER)
    PaperEngine(bot, store).replay(START, "2023-01-10")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE paper_runs SET status = 'running', pid = {other.pid}")
        with pytest.raises(ConfigError, match=rf"bot sniper_btc: its paper run is running \(process {other.pid}\)"):
            PaperEngine(bot, store).replay(START, "2023-02-01")
    finally:
        other.kill()
        other.wait()
    engine = PaperEngine(bot, store)  # its process is gone: resumed
    engine.replay(START, "2023-02-01")
    assert engine.resumed
    assert engine.status == "finished"
