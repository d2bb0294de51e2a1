"""Shared fixtures: real market data, throw-away PostgreSQL and TimescaleDB databases, stores per backend.

PostgreSQL is required: when 127.0.0.1:5432 (or ``UPTRADE_TEST_POSTGRES_URL``) cannot be reached
the run stops with an error instead of skipping the PostgreSQL half of the contract tests.
TimescaleDB (``UPTRADE_TEST_TIMESCALE_URL``, which ``scripts/test.sh`` starts) is required in CI;
elsewhere its tests are skipped with the reason when it is not set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from uptrade.data.io import read_table
from uptrade.data.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
MARKET = Path(os.environ.get("UPTRADE_MARKET_DATA", ROOT.parent / "shared" / "data" / "market"))
PG_ADMIN_URL = os.environ.get("UPTRADE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TIMESCALE_ADMIN_URL = os.environ.get("UPTRADE_TEST_TIMESCALE_URL")
#: Every store test runs on each: the embedded file, plain PostgreSQL and TimescaleDB.
BACKENDS = ("sqlite", "postgresql", "timescaledb")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``long`` run first: with two workers (``-n 2``) each starts on one of them."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def market_file(name: str) -> Path:
    path = MARKET / name
    if not path.exists():
        pytest.fail(f"real market data missing: {path} (set UPTRADE_MARKET_DATA to the shared/data/market folder)")
    return path


def load_market(name: str) -> pd.DataFrame:
    """A market file as a standard candle frame (UTC index)."""
    table = read_table(market_file(name)).table
    return table.set_index(pd.DatetimeIndex(table.pop("time"), name="time"))


class PgDatabases:
    """Creates uniquely named databases on a test server (set up as ``uptrade db init`` would) and drops them."""

    def __init__(self, admin_url: str, *, timescaledb: bool = False) -> None:
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.timescaledb = timescaledb
        self.created: list[str] = []
        try:
            with self.admin.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except sa.exc.OperationalError as exc:
            pytest.exit(
                f"{'TimescaleDB' if timescaledb else 'PostgreSQL'} at {self.admin.url} is not reachable "
                f"({exc.orig}); start it (see scripts/test.sh) - the store tests must run against it",
                returncode=3,
            )

    def create(self, tag: str, *, init: bool = True) -> str:
        """A new database's URL; with ``init`` its schema is created (plain PostgreSQL or TimescaleDB)."""
        name = f"uptrade_test_{tag}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        url = self.admin.url.set(database=name).render_as_string(hide_password=False)
        if init:
            store = open_store(url, init=True, timescaledb=self.timescaledb)
            if store.mode == "timescaledb":
                _pause_jobs(store)
            store.close()
        return url

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


def _pause_jobs(store: Store) -> None:
    """Stop TimescaleDB's scheduler from running this database's policies behind the tests' backs.

    The test data is from 2022-2025, so the compression policy would compress every chunk soon
    after each write, at moments of the scheduler's choosing: CPU taken from the tests and a
    concurrent actor that no test controls. Tests that check the policies run them with
    ``CALL run_job``.
    """
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs "
            "WHERE hypertable_name IS NOT NULL"
        )


@pytest.fixture(scope="session")
def pg() -> Iterator[PgDatabases]:
    """The plain PostgreSQL server; its databases are set up without TimescaleDB, whatever it offers."""
    databases = PgDatabases(PG_ADMIN_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def tsdb() -> Iterator[PgDatabases]:
    """The TimescaleDB server: required in CI, skipped with the reason elsewhere when not configured."""
    if not TIMESCALE_ADMIN_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("UPTRADE_TEST_TIMESCALE_URL is not set: CI runs the TimescaleDB tests (scripts/test.sh)")
        pytest.skip("UPTRADE_TEST_TIMESCALE_URL not set (scripts/test.sh builds and starts TimescaleDB)")
    databases = PgDatabases(TIMESCALE_ADMIN_URL, timescaledb=True)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def pg_url(pg: PgDatabases) -> str:
    """One database for the contract tests; each test starts from empty tables."""
    return pg.create("contract")


@pytest.fixture(scope="session")
def tsdb_url(tsdb: PgDatabases) -> str:
    """One TimescaleDB database for the contract tests; each test starts from empty tables and aggregates."""
    return tsdb.create("contract")


def _empty(store: Store) -> Store:
    with store.engine.begin() as conn:
        for table in ("ohlcv", "indicator_signals", "bot_performance", "dominant_cycles", "feed_status"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    if store.mode == "timescaledb":  # materialised buckets of earlier tests would outlive their rows
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for view in ("ohlcv_5m", "ohlcv_1h", "ohlcv_1d"):
                conn.exec_driver_sql(f"CALL refresh_continuous_aggregate('{view}', NULL, NULL)")
    return store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty, initialised store on each backend."""
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        s = _empty(open_store(request.getfixturevalue("tsdb_url" if request.param == "timescaledb" else "pg_url")))
    yield s
    s.close()


@pytest.fixture(scope="session")
def btc_1h() -> pd.DataFrame:
    return load_market("btcusdt_1h_binance.csv.gz")


@pytest.fixture(scope="session")
def eth_1h() -> pd.DataFrame:
    return load_market("ethusdt_1h_binance.csv.gz")


@pytest.fixture(scope="session")
def btc_1m() -> pd.DataFrame:
    """2.1 million real 1m BTC/USDT bars, 2022-2025."""
    return load_market("btcusdt_1m_binance.csv.gz")
