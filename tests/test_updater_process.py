"""The updater as users run it (``uptrade data backfill|update``) under SIGKILL, SIGTERM and a database restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import PgDatabases
from tests.fakes.market import FakeClock, Market, Series
from tests.fakes.polygon import FakePolygon, serve_polygon
from tests.helpers import assert_store_holds
from uptrade.data.store import open_store
from uptrade.data.updater import DataUpdaterService, UpdaterConfig
from uptrade.settings import Settings

Q1_START, Q1_END = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-03-31 23:59", tz="UTC")


@pytest.fixture(scope="module")
def q1(btc_1m: pd.DataFrame) -> Market:
    m = Market()
    m.add("X:BTCUSDT", Series(btc_1m.loc[Q1_START:Q1_END], 60))
    return m


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kill.db'}"
    pg: PgDatabases = request.getfixturevalue("pg")
    return pg.create("kill")


def cli_env(db: str, fake: FakePolygon, home: Path, page_limit: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "UPTRADE_DATABASE_URL": db,
            "UPTRADE_HOME": str(home),
            "UPTRADE_POLYGON_API_KEY": "test-key",
            "UPTRADE_POLYGON_BASE_URL": fake.base_url,
            "UPTRADE_POLYGON_PAGE_LIMIT": str(page_limit),
            "UPTRADE_SOURCE_BACKOFF": "0.01",
            "UPTRADE_SOURCE_MAX_BACKOFF": "0.05",
            "COLUMNS": "200",
        }
    )
    return env


def count_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM ohlcv").scalar() or 0)


BACKFILL = [
    sys.executable, "-m", "uptrade.cli", "data", "backfill", "--source", "polygon", "-s", "BTC-USDT",
    "-t", "1m", "-t", "1h", "--start", str(Q1_START), "--end", str(Q1_END),
]  # fmt: skip


@pytest.mark.long
def test_sigkill_twenty_times_mid_write_then_complete(db_url: str, q1: Market, tmp_path: Path) -> None:
    """Each run is killed at a random moment within one page's latency after it has written something.

    Independent of the host's speed: a run writes at least one page (we wait for it, with no time
    limit) and at most about three before the kill (every page takes the server's 20 ms), so 20
    runs store at most ~60 of the 131 pages of 1,000 bars and the last run always has work left.
    """
    rng = random.Random(20)
    with serve_polygon(q1, FakeClock((Q1_END + pd.Timedelta(minutes=2)).timestamp()), latency=0.02) as fake:
        env = cli_env(db_url, fake, tmp_path, page_limit=1000)
        subprocess.run([*BACKFILL[:3], "db", "init"], env=env, check=True, capture_output=True)
        engine = open_store(db_url).engine
        kills_during_progress = 0
        for _ in range(20):
            before = count_rows(engine)
            proc = subprocess.Popen(BACKFILL, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            while proc.poll() is None and count_rows(engine) == before:
                time.sleep(0.005)
            assert proc.poll() is None, f"backfill ended before it could be killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
            time.sleep(rng.uniform(0, 0.02))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()  # type: ignore[union-attr]
            kills_during_progress += 1
        killed_at = count_rows(engine)
        engine.dispose()
        # liveness guard only: the rest of the backfill takes seconds; 5 minutes bounds a hang
        done = subprocess.run(BACKFILL, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
    assert kills_during_progress == 20
    truth = q1.series["X:BTCUSDT"]
    assert 0 < killed_at < len(truth.truth(60)), "the kills should land before the backfill is complete"
    with open_store(db_url) as store:
        assert_store_holds(store, "BTC-USDT", "1m", truth.truth(60))
        assert_store_holds(store, "BTC-USDT", "1h", truth.truth(3600))


def test_sigterm_finishes_the_write_and_exits_cleanly(q1: Market, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'term.db'}"
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{source: polygon, symbol: BTC-USDT, timeframe: 1m, start: '{Q1_START}'}}\n")
    with serve_polygon(q1, FakeClock((Q1_END + pd.Timedelta(minutes=2)).timestamp()), latency=0.02) as fake:
        env = cli_env(url, fake, tmp_path, page_limit=2000)
        cmd = [sys.executable, "-m", "uptrade.cli", "data", "update", "--config", str(feeds)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        engine = open_store(url).engine
        while count_rows(engine) < 10_000:  # no time limit: pytest-timeout bounds a hang
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)  # a hang, not a slow host: the write in progress is one page
        engine.dispose()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    with open_store(url) as store:
        (row,) = store.feed_status()
        got = store.read_ohlcv("BTC-USDT", "1m")
    assert row["state"] == "stopped"
    truth = q1.series["X:BTCUSDT"].truth(60)
    assert 10_000 <= len(got) < len(truth)
    pd.testing.assert_frame_equal(got, truth.iloc[: len(got)], check_exact=True, check_freq=False)
    assert row["rows_written"] == len(got)


# ----------------------------------------------------------------------------- database restart
class PrivateCluster:
    """A throw-away PostgreSQL cluster of our own, so it can be stopped and started mid-test."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not bins:
            pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = bins[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="uptrade-pg-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.prefix = []
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        # liveness guard only: initdb and pg_ctl take seconds; two minutes bounds a hang
        subprocess.run([*self.prefix, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    c = PrivateCluster()
    c.start()
    yield c
    c.remove()


def test_postgres_restart_while_updating_loses_nothing(cluster: PrivateCluster, q1: Market) -> None:
    clock = FakeClock((Q1_END + pd.Timedelta(minutes=2)).timestamp())
    config = UpdaterConfig.parse(
        {
            "feeds": [{"source": "polygon", "symbol": "BTC-USDT", "timeframe": tf, "start": Q1_START, "end": Q1_END}
                      for tf in ("1m", "1h")],
            "backoff": 0.05,
            "max_backoff": 0.3,
        }
    )  # fmt: skip
    restarted = threading.Event()
    with serve_polygon(q1, clock, latency=0.02) as fake, open_store(cluster.url, init=True, timescaledb=False) as store:
        settings = Settings(
            polygon_api_key="test-key", polygon_base_url=fake.base_url, polygon_page_limit=2000,
            source_backoff=0.01, source_max_backoff=0.05,
        )  # type: ignore[call-arg]  # fmt: skip
        service = DataUpdaterService(store, config, settings=settings, clock=clock)
        probe = sa.create_engine(cluster.url, poolclass=sa.pool.NullPool)

        def outage() -> None:
            while count_rows(probe) < 20_000:
                time.sleep(0.01)
            # hold the source's replies while the database is down, so the backfill (still 110 of its
            # 131k bars to go) meets the outage however fast or slow this host stops a server
            fake.latency = 1.0
            cluster.stop()
            time.sleep(2.0)
            cluster.start()
            fake.latency = 0.02
            restarted.set()

        thread = threading.Thread(target=outage, daemon=True)
        thread.start()
        status = asyncio.run(service.run())  # no time limit: pytest-timeout bounds a hang
        thread.join()
        assert restarted.is_set()
        st = status["polygon:BTC-USDT:1m"]
        assert st.state == "done"
        assert st.errors >= 1, "the feed should have met the outage"
        assert "nothing was written" in (st.last_error or "") or "failed" in (st.last_error or "")
        truth = q1.series["X:BTCUSDT"]
        assert_store_holds(store, "BTC-USDT", "1m", truth.truth(60))
        assert_store_holds(store, "BTC-USDT", "1h", truth.truth(3600))
        probe.dispose()
