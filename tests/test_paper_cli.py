"""``uptrade paper run`` and ``uptrade paper status`` as users run them: bad input is one line and writes
nothing, a run prints its table and statistics, Ctrl-C stops a live run cleanly with its state saved."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_paper import SNIPER, bot_file, make_store
from uptrade.cli import app
from uptrade.data.store import open_store

runner = CliRunner()


LAST_BAR = int(pd.Timestamp("2023-12-31 23:00", tz="UTC").timestamp())


@pytest.fixture
def db(btc_1h: pd.DataFrame, tmp_path: Path) -> str:
    """A store with BTC-USDT 1h candles of 2023 (volume included) and ETH-USDT ones without volume."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    no_volume = btc_1h.loc["2023-01-01":"2023-03-31"].assign(volume=0.0)
    make_store(url, BTC_USDT=btc_1h.loc["2023-01-01":"2023-12-31"], ETH_USDT=no_volume).close()
    return url


def invoke(db: str, *args: str) -> Any:
    env = {"UPTRADE_DATABASE_URL": None, "COLUMNS": "200", "UPTRADE_HOME": str(Path(db[10:]).parent / "home")}
    return runner.invoke(app, ["--db", db, *args], env=env)


def nothing_written(db: str) -> bool:
    with open_store(db) as store, store.engine.connect() as conn:
        counts = [
            conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
            for t in ("paper_runs", "paper_executors", "bot_performance")
        ]
    return counts == [0, 0, 0]


CASES: list[tuple[str, dict[str, Any], list[str], str]] = [
    (
        "unknown symbol",
        {"market": {"trading_pair": "SOL-USDT"}},
        ["--replay", "--from", "2023-02-01"],
        "unknown symbol SOL-USDT",
    ),
    (
        "unknown timeframe",
        {"market": {"timeframe": "30m"}},
        ["--replay", "--from", "2023-02-01"],
        "no BTC-USDT 30m candles in the store (it holds BTC-USDT 1h)",
    ),
    ("live, unknown symbol", {"market": {"trading_pair": "SOL-USDT"}}, [], "unknown symbol SOL-USDT"),
    (
        "volume needed, none stored",
        {"market": {"trading_pair": "ETH-USDT"}},
        ["--replay", "--from", "2023-02-01"],
        "sniper:minor read volume, but the ETH-USDT 1h candles from 2023-02-01 00:00 to 2023-03-31 23:00 have none",
    ),
    (
        "live, volume needed, none stored",
        {"market": {"trading_pair": "ETH-USDT"}},
        [],
        "sniper:minor read volume, but the ETH-USDT 1h candles",
    ),
    ("no candles in the range", {}, ["--replay", "--from", "2030-01-01"], "no BTC-USDT 1h candles between 2030-01-01"),
    ("range backwards", {}, ["--replay", "--from", "2023-03-01", "--to", "2023-02-01"], "--to: 2023-02-01 is before"),
    ("bad date", {}, ["--replay", "--from", "someday"], "--from"),
    ("negative speed", {}, ["--replay", "--from", "2023-02-01", "--speed", "-1"], "--speed: bars per second, >= 0"),
    ("replay options without --replay", {}, ["--from", "2023-02-01"], "--from: only for a replay; add --replay"),
    ("replay without a start", {}, ["--replay"], "--from: a replay needs a first day"),
    (
        "unknown field",
        {"execution": {"stop_los": 0.02}},
        [],
        "execution.stop_los: unknown field; did you mean stop_loss?",
    ),
    (
        "spectral source",
        {"strategy": {"signals": {"sources": {"spectral:turns": {}}}}},
        [],
        "cannot run inside Hummingbot",
    ),
]


@pytest.mark.parametrize(("changes", "args", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(
    db: str, tmp_path: Path, changes: dict[str, Any], args: list[str], expected: str
) -> None:
    path = bot_file(tmp_path / "bot.yml", SNIPER, **changes)
    result = invoke(db, "paper", "run", str(path), *args)
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("ts=")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert nothing_written(db)


def test_another_config_under_the_same_name_is_one_line_and_changes_nothing(db: str, tmp_path: Path) -> None:
    path = bot_file(tmp_path / "bot.yml", SNIPER)
    first = invoke(db, "paper", "run", str(path), "--replay", "--from", "2023-02-01", "--to", "2023-03-01")
    assert first.exit_code == 0, first.stderr
    with open_store(db) as store:
        before = (store.paper_runs(), store.paper_executors("sniper_btc"))
    bot_file(path, SNIPER, execution={"take_profit": 0.04})
    result = invoke(db, "paper", "run", str(path), "--replay", "--from", "2023-02-01", "--to", "2023-04-01")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "error: bot sniper_btc: the store holds a paper run of this name with another config" in line
    assert "--reset" in line
    with open_store(db) as store:
        assert store.paper_runs() == before[0]
        pd.testing.assert_frame_equal(store.paper_executors("sniper_btc"), before[1])
    again = invoke(db, "paper", "run", str(path), "--replay", "--from", "2023-02-01", "--to", "2023-04-01", "--reset")
    assert again.exit_code == 0, again.stderr
    with open_store(db) as store:
        assert store.paper_run("sniper_btc")["config"]["execution"]["take_profit"] == 0.04


def test_replay_prints_its_table_and_the_backtest_statistics_and_status_reads_the_store(
    db: str, tmp_path: Path
) -> None:
    path = bot_file(tmp_path / "bot.yml", SNIPER, mode="live")
    assert invoke(db, "paper", "status").stdout.startswith("no paper runs in the store")
    result = invoke(db, "paper", "run", str(path), "--replay", "--from", "2023-02-01", "--to", "2023-03-10 05:00")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    head = out.splitlines()[0]
    assert "paper trading sniper_btc (uptrade_sniper): BTC-USDT 1h on binance_perpetual, replay 2023-02-01" in head
    assert "the file says mode: live, and paper trading never sends orders" in head
    assert "paper sniper_btc BTC-USDT 1h (replay, finished)" in out  # the live table's last frame
    assert "sharpe" in out
    assert "benchmark_return" in out  # the backtest's statistics
    with open_store(db) as store:
        rows = store.paper_executors("sniper_btc")
        (run,) = store.paper_runs()
    assert run["status"] == "finished"
    listing = invoke(db, "paper", "status")
    assert listing.exit_code == 0
    assert "sniper_btc" in listing.stdout
    assert "finished" in listing.stdout
    detail = invoke(db, "paper", "status", "sniper_btc")
    assert detail.exit_code == 0
    assert "BTC-USDT 1h on binance_perpetual" in detail.stdout
    assert f"{len(rows[rows['status'] == 'closed'])} closed executors" in detail.stdout
    opened = rows[rows["status"] == "open"]
    assert ("open executors" in detail.stdout) == (len(opened) > 0)
    unknown = invoke(db, "paper", "status", "nobody")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "error: no paper run named nobody in the store (runs: sniper_btc)"


def test_ctrl_c_stops_a_live_run_cleanly_with_its_state_saved(db: str, tmp_path: Path) -> None:
    """SIGINT while the live run waits for the next bar: exit 0, status stopped, every written bar whole."""
    path = bot_file(tmp_path / "bot.yml", SNIPER)
    env = {**os.environ, "COLUMNS": "200", "UPTRADE_DATABASE_URL": db}
    cmd = [sys.executable, "-m", "uptrade.cli", "paper", "run", str(path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600  # liveness only
    run = None
    while time.monotonic() < deadline and proc.poll() is None:
        with open_store(db) as store:
            run = store.paper_run("sniper_btc")
        if run is not None and run["last_bar"] == LAST_BAR:
            break  # warmed up on every stored bar: now it waits for the next one (the candles end in 2023)
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err
    assert "stopped; the state is saved: run the same command to resume" in out
    with open_store(db) as store:
        run = store.paper_run("sniper_btc")
    assert run["status"] == "stopped"
    assert run["mode"] == "live"
    assert run["last_bar"] == LAST_BAR
