"""The ``uptrade`` command line, end to end on real files and both databases."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import market_file
from uptrade.cli import app
from uptrade.data.store import open_store

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UPTRADE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, uptrade.cli; heavy = [m for m in ('pandas', 'numpy', 'sqlalchemy', 'numba', 'psycopg', "
        "'pyarrow', 'vectorbt') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    helped = subprocess.run([sys.executable, "-m", "uptrade.cli", "--help"], capture_output=True, text=True, check=True)
    assert "data" in helped.stdout
    assert "demo" in helped.stdout


def test_demo_loads_the_sample_offline(home: Path) -> None:
    code, out = run("demo")
    assert code == 0, out
    assert "73,265 of 73,265 rows written to BTC-USDT 1h (sqlite)" in out
    assert "2018-01-01 00:00" in out
    assert "2026-05-16 18:00" in out
    assert "122" in out
    assert "2026-05-15" in out  # the last complete day, aggregated from 1h
    assert "BTC-USDT dominant cycles" in out
    assert re.search(r"suggested length: \d+ 1h bars", out), out
    assert (home / "uptrade.db").exists()
    # the whole loop: signals -> combined -> Hummingbot-faithful backtest -> stats and a report
    from uptrade.research.run import demo_config, load_candles, run_hummingbot

    store = open_store(f"sqlite:///{home / 'uptrade.db'}")
    cfg = demo_config()
    result, signal = run_hummingbot(cfg, load_candles(store, cfg))
    store.close()
    assert f"{int((signal == 1).sum())} long, {int((signal == -1).sum())} short" in out
    line = next(ln for ln in out.splitlines() if " executors " in ln)
    assert line.split("│")[2].strip() == str(result.stats["executors"])
    assert f"Hummingbot's summary: net_pnl_quote {result.hummingbot_summary['net_pnl_quote']:,.4f}" in out
    report = (home / "demo_report.html").read_text()
    assert f"<h2>Executors ({len(result.executors)})</h2>" in report
    code, again = run("demo")  # idempotent: an upsert, not a second copy
    assert code == 0
    assert "73,265 of 73,265" in again
    store = open_store(f"sqlite:///{home / 'uptrade.db'}")
    assert store.coverage()[0].rows == 73_265
    store.close()


def test_db_init_reports_mode(home: Path, pg_url: str) -> None:
    code, out = run("db", "init")
    assert code == 0
    assert "mode: sqlite  schema version: 5" in out
    code, out = run("--db", pg_url.replace("+psycopg", ""), "db", "init")
    assert code == 0, out
    assert "mode: postgresql" in out or "mode: timescaledb" in out


def test_import_rejects_bad_file_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    lines = gzip.decompress(market_file("ethusdt_1h_binance.csv.gz").read_bytes()).decode().splitlines()[:200]
    fields = lines[57].split(",")
    fields[2] = str(float(fields[4]) / 2)  # high below low, on line 58
    lines[57] = ",".join(fields)
    lines[120] = lines[119]  # an exact duplicate on line 121 of line 120
    bad = tmp_path / "eth.csv"
    bad.write_text("\n".join(lines) + "\n")
    code, out = run("data", "import", str(bad), "--symbol", "ETH/USDT", "--timeframe", "1h")
    assert code == 1
    assert "2 invalid row(s) of 199" in out
    assert "line 58: high" in out
    assert "line 121: time: duplicate of line 120" in out
    assert "Nothing was written" in out
    assert "--skip-invalid" in out
    code, out = run("data", "status")
    assert "no candles stored yet" in out

    report = tmp_path / "bad-rows.csv"
    code, out = run("data", "import", str(bad), "-s", "ETH-USDT", "-t", "1h", "--skip-invalid", "--report", str(report))
    assert code == 0, out
    assert "197 of 199 rows written" in out
    assert "2 invalid rows skipped" in out
    rejected = pd.read_csv(report)
    assert rejected["line"].tolist() == [58, 121]
    code, out = run("data", "status", "--symbol", "ETH-USDT")
    assert "ETH-USDT" in out
    assert "197" in out


@pytest.mark.parametrize(
    ("symbol", "timeframe", "exit_code", "message"),
    [
        ("BTC-USDT", "2h", 1, "unsupported timeframe '2h'"),
        ("BTC", "1d", 1, "cannot split 'BTC'"),
        ("BTC-USDT", "1w", 1, "not aligned to 1w"),
        ("BTC-USDT", "1h", 0, "bars in btcusdt_1d_binance.csv.gz are typically 86,400 s apart, but 1h bars are 3,600"),
    ],
)
def test_import_errors_and_warnings_are_clear(home: Path, symbol: str, timeframe: str, exit_code: int, message: str):
    sample = market_file("btcusdt_1d_binance.csv.gz")
    code, out = run("data", "import", str(sample), "-s", symbol, "-t", timeframe)
    assert code == exit_code, out
    assert message in out


def test_export_round_trips_and_aggregates(home: Path, tmp_path: Path) -> None:
    src = market_file("solusdt_1h_binance.csv.gz")
    assert run("data", "import", str(src), "-s", "SOL-USDT", "-t", "1h")[0] == 0
    for name in ("sol.csv", "sol.csv.gz", "sol.parquet"):
        code, out = run("data", "export", str(tmp_path / name), "-s", "SOL/USDT", "-t", "1h")
        assert code == 0
        assert "50,489 rows written" in out
    original = pd.read_csv(src)
    for name in ("sol.csv", "sol.csv.gz"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name), original)
    code, out = run(
        "data",
        "export",
        str(tmp_path / "w.csv"),
        "-s",
        "SOL-USDT",
        "-t",
        "1w",
        "--start",
        "2024-01-01",
        "--end",
        "2024-03-31",
    )
    assert code == 0
    assert "13 rows written" in out
    weeks = pd.read_csv(tmp_path / "w.csv", parse_dates=["time"])
    assert (weeks["time"].dt.day_of_week == 0).all()
    code, out = run("data", "export", str(tmp_path / "none.csv"), "-s", "ETH-USDT", "-t", "1h")
    assert code == 1
    assert "unknown symbol ETH-USDT (stored: SOL-USDT)" in out


def test_bad_database_url_is_explained(home: Path) -> None:
    code, out = run("--db", "mysql://root:pw@localhost/x", "data", "status")
    assert code == 1
    assert "unsupported database 'mysql'" in out
    assert "pw" not in out


def test_delete_asks_then_deletes_a_range(home: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    rows = pd.DataFrame(
        {"time": pd.date_range("2024-01-01", periods=48, freq="1h", tz="UTC"), "open": 1.0, "high": 2.0,
         "low": 0.5, "close": 1.5, "volume": 10.0}
    )  # fmt: skip
    rows.to_csv(tmp_path / "c.csv", index=False)
    assert run("--db", db, "data", "import", str(tmp_path / "c.csv"), "-s", "BTC-USDT", "-t", "1h")[0] == 0
    args = ["--db", db, "data", "delete", "-s", "BTC-USDT", "-t", "1h", "--start", "2024-01-02"]
    refused = runner.invoke(app, args, input="n\n")
    assert refused.exit_code == 1
    assert "Delete BTC-USDT 1h, from 2024-01-02 to the last bar" in refused.output
    done = runner.invoke(app, args, input="y\n")
    assert done.exit_code == 0, done.output
    assert "deleted 24 rows" in done.output
    with open_store(db) as store:
        assert len(store.read_ohlcv("BTC-USDT", "1h")) == 24
