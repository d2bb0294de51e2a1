"""TimescaleDB for real: the server that scripts/test.sh builds from the vendored source and starts.

What the store contract (every ``store`` test) does not cover: the set-up ``db init`` makes and
that opening runs no DDL, reads served by the materialised aggregates, one single-pass refresh
per aggregate per write call, compression, concurrent first set-up, roles that do not own the
objects, JIT, and a database that is half set up. Background jobs on Debian's PostgreSQL 15 do
their work and then fail ("cannot drop portal", docs/deployment.md), so the tests run the
policies themselves with ``CALL run_job`` instead of waiting for the scheduler.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import PgDatabases, _pause_jobs
from tests.helpers import assert_same_candles, resample_oracle, with_extras
from uptrade.data.store import Store, open_store
from uptrade.data.store import timescale as ts
from uptrade.data.store.schema import LATEST_VERSION
from uptrade.data.timeframes import parse_timeframe
from uptrade.data.validate import frame_to_batch
from uptrade.errors import StoreError

pytestmark = pytest.mark.timescale
VIEWS = ("ohlcv_5m", "ohlcv_1h", "ohlcv_1d")
ONE_MINUTE = parse_timeframe("1m")


@pytest.fixture(scope="module")
def minutes(btc_1m: pd.DataFrame) -> pd.DataFrame:
    """Ten days of real 1m BTC/USDT bars (14,400), with vwap and trade counts."""
    return with_extras(btc_1m.loc["2024-01-01":"2024-01-10"])


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    """The SQL that SQLAlchemy sends on ``engine`` while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def refresh_calls(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("CALL refresh_continuous_aggregate")]


def cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UPTRADE_DATABASE_URL": db, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "uptrade.cli", *args], check=False, capture_output=True, text=True, env=env, timeout=300
    )


def succeeded(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 0, result.stderr
    for needle in needles:
        assert needle in result.stdout, (needle, result.stdout)


def refused(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit code 1 with a one-line error naming what went wrong, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in " ".join(result.stderr.split()), (needle, result.stderr)


def admin_sql(server: PgDatabases, database: str, *sql: str) -> None:
    engine = sa.create_engine(server.admin.url.set(database=database), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in sql:
            conn.exec_driver_sql(statement)
    engine.dispose()


def scaled(df: pd.DataFrame, k: float) -> pd.DataFrame:
    """The same bars at another price level (another symbol's series)."""
    out = df.copy()
    for col in ("open", "high", "low", "close", "vwap"):
        out[col] = out[col] * k
    return out


def test_db_init_sets_up_everything_and_opening_changes_nothing(tsdb: PgDatabases) -> None:
    store = open_store(tsdb.create("setup"))
    try:
        assert store.mode == "timescaledb"
        assert store.describe()["timescaledb"] == "2.28.3"
        with store.engine.connect() as conn:
            assert ts.missing(conn) == []
            hypertables = {
                r[0] for r in conn.exec_driver_sql("SELECT hypertable_name FROM timescaledb_information.hypertables")
            }
            caggs = dict(
                conn.exec_driver_sql(
                    "SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates"
                ).all()
            )
            jobs = conn.exec_driver_sql(
                "SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs "
                "WHERE proc_name LIKE 'policy_%%' AND hypertable_name IS NOT NULL ORDER BY hypertable_name"
            ).all()
        assert hypertables == {"ohlcv", "indicator_signals", "bot_performance", "dominant_cycles"}
        assert caggs == dict.fromkeys(VIEWS, False)  # real-time aggregates
        by_target = {target: (proc, config) for proc, target, config in jobs}
        assert by_target["ohlcv"][0] == "policy_compression"
        assert by_target["ohlcv"][1]["compress_after"] == "7 days"
        for view, (_tf, start, end, _every) in ts.CONTINUOUS_AGGREGATES.items():
            proc, config = by_target[view]
            assert proc == "policy_refresh_continuous_aggregate"
            got = (pd.Timedelta(config["start_offset"]), pd.Timedelta(config["end_offset"]))
            assert got == (pd.Timedelta(start), pd.Timedelta(end)), (view, config)
        # A second `db init` and every open only look: no DDL, no policy call, no extension change.
        with statements(store.engine) as seen:
            assert store.init() == LATEST_VERSION
            store.check()
        ddl = [
            s for s in seen if s.split()[0] in ("CREATE", "ALTER", "DROP") or "create_hypertable" in s or "add_" in s
        ]
        assert ddl == []
    finally:
        store.close()


def test_5m_1h_1d_reads_come_from_the_materialised_aggregates(
    tsdb: PgDatabases, minutes: pd.DataFrame, tmp_path: Path
) -> None:
    store = open_store(tsdb.create("reads"))
    sqlite = open_store(f"sqlite:///{tmp_path / 'same.db'}")
    try:
        store.write_ohlcv(minutes, "BTC-USDT", "1m")
        sqlite.write_ohlcv(minutes, "BTC-USDT", "1m")
        last = int(minutes.index[-1].timestamp())
        with store.engine.connect() as conn:
            marks = ts.watermarks(conn)
        for view, (tf_name, *_rest) in ts.CONTINUOUS_AGGREGATES.items():
            # the write materialised every complete bucket, and none that is still forming
            assert marks[view] == parse_timeframe(tf_name).floor(last + 60), view
        for target in ("5m", "1h", "1d", "4h", "15m"):
            with statements(store.engine) as seen:
                got = store.read_ohlcv("BTC-USDT", target)
            view = f"ohlcv_{target}"
            assert any(f"FROM {view} " in s for s in seen) == (view in VIEWS), (target, seen)
            assert_same_candles(got, resample_oracle(minutes, "1m", target))
            assert_same_candles(got, sqlite.read_ohlcv("BTC-USDT", target))
        ranged = store.read_ohlcv("BTC-USDT", "1h", start="2024-01-03 10:30", end="2024-01-04 02:00", limit=5)
        assert list(ranged.index) == list(pd.date_range("2024-01-03 22:00", periods=5, freq="1h", tz="UTC"))
    finally:
        store.close()
        sqlite.close()


def test_one_single_pass_refresh_per_aggregate_per_write_call(tsdb: PgDatabases, minutes: pd.DataFrame) -> None:
    """100 series in one call: one refresh per aggregate with a complete bucket, none for a forming one."""
    store = open_store(tsdb.create("refresh"))
    symbols = [f"C{i:03d}-USDT" for i in range(100)]
    frames = {s: scaled(minutes, 1 + i / 100) for i, s in enumerate(symbols)}

    def write(start: str, end: str) -> list[str]:
        items = [(frame_to_batch(frames[s].loc[start:end], ONE_MINUTE, s), s, "1m") for s in symbols]
        with statements(store.engine) as seen:
            store.write_batches(items)
        return refresh_calls(seen)

    try:
        calls = write("2024-01-01 00:00", "2024-01-01 00:59")  # completes 5m and 1h buckets, not the day
        assert [c.split("'")[1] for c in calls] == ["ohlcv_5m", "ohlcv_1h"]
        assert all('"buckets_per_batch": 0' in c for c in calls)
        assert write("2024-01-01 01:00", "2024-01-01 01:00") == []  # a forming bucket: real-time reads cover it
        assert [c.split("'")[1] for c in write("2024-01-01 01:01", "2024-01-01 01:04")] == ["ohlcv_5m"]
        for s in (symbols[0], symbols[57], symbols[-1]):
            part = frames[s].loc[:"2024-01-01 01:04"]
            for target in ("5m", "1h"):
                assert_same_candles(store.read_ohlcv(s, target), resample_oracle(part, "1m", target))
        # an import of one series: one refresh per aggregate, however long the range
        with statements(store.engine) as seen:
            store.write_ohlcv(frames[symbols[3]], symbols[3], "1m")
        assert [c.split("'")[1] for c in refresh_calls(seen)] == list(VIEWS)
    finally:
        store.close()


def test_deferred_refresh_refreshes_once_for_many_series(tsdb: PgDatabases, minutes: pd.DataFrame) -> None:
    """Series written one call at a time (imports of many files): one refresh per aggregate for all of them."""
    store = open_store(tsdb.create("deferred"))
    day = minutes.loc["2024-01-02"]
    frames = {f"D{i:02d}-USDT": scaled(day, 1 + i / 10) for i in range(10)}
    try:
        with statements(store.engine) as seen:
            with store.deferred_refresh():
                for sym, df in frames.items():
                    store.write_ohlcv(df, sym, "1m")
                    with store.deferred_refresh():  # nested blocks defer to the outermost
                        store.write_ohlcv(df.iloc[:10], sym, "1m")
                assert refresh_calls(seen) == []
            assert [c.split("'")[1] for c in refresh_calls(seen)] == list(VIEWS)
        with store.engine.connect() as conn:
            marks = ts.watermarks(conn)
        assert marks["ohlcv_1d"] == int(day.index[-1].timestamp()) + 60  # the whole day materialised at once
        for sym in ("D00-USDT", "D09-USDT"):
            for target in ("5m", "1h", "1d"):
                assert_same_candles(store.read_ohlcv(sym, target), resample_oracle(frames[sym], "1m", target))
    finally:
        store.close()


def test_rewritten_history_is_refreshed_at_once(tsdb: PgDatabases, minutes: pd.DataFrame) -> None:
    store = open_store(tsdb.create("rewrite"))
    try:
        store.write_ohlcv(minutes, "BTC-USDT", "1m")
        fixed = minutes.copy()
        hour = fixed.loc["2024-01-03 10:00":"2024-01-03 10:59"].index
        for col in ("open", "high", "low", "close", "vwap"):
            fixed.loc[hour, col] *= 1.01
        fixed.loc[hour, "volume"] += 1.5
        store.write_ohlcv(fixed.loc[hour], "BTC-USDT", "1m")  # below every watermark
        for target in ("5m", "1h", "1d"):
            assert_same_candles(store.read_ohlcv("BTC-USDT", target), resample_oracle(fixed, "1m", target))
    finally:
        store.close()


def test_deleted_history_is_refreshed_at_once(tsdb: PgDatabases, minutes: pd.DataFrame) -> None:
    store = open_store(tsdb.create("delete"))
    try:
        store.write_ohlcv(minutes, "BTC-USDT", "1m")
        gone = minutes.loc["2024-01-03 10:00":"2024-01-03 11:29"].index
        with statements(store.engine) as seen:
            assert store.delete_ohlcv("BTC-USDT", "1m", start=gone[0], end=gone[-1]) == len(gone)  # below the marks
        assert sum("refresh_continuous_aggregate" in s for s in seen) == len(VIEWS)
        left = minutes.drop(gone)
        for target in ("5m", "1h", "1d"):
            assert_same_candles(store.read_ohlcv("BTC-USDT", target), resample_oracle(left, "1m", target))
    finally:
        store.close()


def _job(store: Store, proc: str, target: str) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = %s AND hypertable_name = %s",
                (proc, target),
            ).scalar_one()
        )


def _run_job(store: Store, job_id: int) -> None:
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CALL run_job({job_id})")


def test_compressed_chunks_read_back_bit_for_bit_and_take_corrections(tsdb: PgDatabases, minutes: pd.DataFrame) -> None:
    store = open_store(tsdb.create("compress"))
    try:
        # the policies are paused in test databases (tests/conftest.py): this test runs them itself
        store.write_ohlcv(minutes, "BTC-USDT", "1m")
        store.write_ohlcv(scaled(minutes, 0.05), "ETH-USDT", "1m")
        _run_job(store, _job(store, "policy_compression", "ohlcv"))  # the policy itself, not the scheduler
        with store.engine.connect() as conn:
            chunks = conn.exec_driver_sql(
                "SELECT count(*), count(*) FILTER (WHERE is_compressed) FROM timescaledb_information.chunks "
                "WHERE hypertable_name = 'ohlcv'"
            ).one()
        assert chunks[0] >= 2
        assert chunks[1] == chunks[0]  # every chunk is older than 7 days
        assert_same_candles(store.read_ohlcv("BTC-USDT", "1m"), minutes)
        assert_same_candles(store.read_ohlcv("ETH-USDT", "1m"), scaled(minutes, 0.05))
        fixed = minutes.copy()
        rows = fixed.loc["2024-01-05 00:00":"2024-01-05 05:59"].index
        fixed.loc[rows, ["open", "high", "low", "close", "vwap"]] *= 0.99
        store.write_ohlcv(fixed.loc[rows], "BTC-USDT", "1m")  # an upsert into compressed chunks
        assert_same_candles(store.read_ohlcv("BTC-USDT", "1m"), fixed)
        for target in ("5m", "1h", "1d"):
            assert_same_candles(store.read_ohlcv("BTC-USDT", target), resample_oracle(fixed, "1m", target))
        for view in VIEWS:  # the refresh policies run cleanly too
            _run_job(store, _job(store, "policy_refresh_continuous_aggregate", view))
    finally:
        store.close()


@pytest.mark.parametrize("extension_first", [False, True], ids=["fresh-database", "extension-present"])
def test_four_processes_setting_up_one_database_at_once(tsdb: PgDatabases, extension_first: bool) -> None:
    url = tsdb.create("race", init=False)
    if extension_first:
        admin_sql(tsdb, sa.make_url(url).database or "", "CREATE EXTENSION timescaledb")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "uptrade.cli", "--db", url, "db", "init"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    assert all("mode: timescaledb" in out for out in outs), outs
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            assert ts.missing(conn) == []
            versions = conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY version").scalars().all()
            caggs = conn.exec_driver_sql("SELECT count(*) FROM timescaledb_information.continuous_aggregates").scalar()
        assert versions == list(range(1, LATEST_VERSION + 1))
        assert caggs == 3
    finally:
        store.close()


@pytest.fixture(scope="module")
def roles(tsdb: PgDatabases, minutes: pd.DataFrame) -> Iterator[dict[str, str]]:
    """A database owned by an owner role that ran `db init`, an application role and a read-only role."""
    tag = uuid.uuid4().hex[:8]
    owner, app, ro = (f"uptrade_{r}_{tag}" for r in ("owner", "app", "ro"))
    name = f"uptrade_test_roles_{tag}"
    admin_sql(
        tsdb,
        "postgres",
        *(f"CREATE ROLE {r} LOGIN" for r in (owner, app, ro)),
        f'CREATE DATABASE "{name}" OWNER {owner}',
    )
    try:
        base = tsdb.admin.url.set(database=name)
        names = {"owner": owner, "app": app, "ro": ro}
        urls = {k: base.set(username=v).render_as_string(hide_password=False) for k, v in names.items()}
        urls.update(names=names, database=name)  # type: ignore[arg-type]
        init = cli(urls["owner"], "db", "init")  # the owner creates the (trusted) extension and every object
        assert init.returncode == 0, init.stderr
        owner_engine = sa.create_engine(urls["owner"], isolation_level="AUTOCOMMIT")
        with owner_engine.connect() as conn:
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {app}, {ro}")
            conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {app}, {ro}")
            conn.exec_driver_sql(f"GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}")
        owner_engine.dispose()
        with open_store(urls["owner"]) as store:
            _pause_jobs(store)
            store.write_ohlcv(minutes.loc[:"2024-01-05"], "BTC-USDT", "1m")
        yield urls  # type: ignore[misc]
    finally:  # roles are global to the server: never leave them behind, even when set-up failed
        admin_sql(
            tsdb,
            "postgres",
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            *(f"DROP ROLE IF EXISTS {r}" for r in (app, ro, owner)),
        )


def test_read_only_role_runs_every_read(roles: dict[str, str], minutes: pd.DataFrame) -> None:
    owned = minutes.loc[:"2024-01-05"]
    with open_store(roles["ro"]) as store:  # the open itself used to run DDL: "must be owner of hypertable"
        assert store.mode == "timescaledb"
        assert store.schema_version() == LATEST_VERSION
        for target in ("1m", "5m", "1h", "1d", "4h"):
            assert_same_candles(
                store.read_ohlcv("BTC-USDT", target), resample_oracle(owned, "1m", target) if target != "1m" else owned
            )
        assert store.coverage()[0].rows == len(owned)
        assert len(store.jobs()) == 4
        with pytest.raises(StoreError, match="nothing was written: permission denied for table ohlcv"):
            store.write_ohlcv(minutes.loc["2024-01-06"], "BTC-USDT", "1m")
    succeeded(cli(roles["ro"], "data", "status"), "BTC-USDT")
    succeeded(cli(roles["ro"], "db", "init"), "mode: timescaledb")  # nothing to do, so nothing refused


def test_application_role_adds_new_bars_and_may_not_leave_history_stale(
    roles: dict[str, str], minutes: pd.DataFrame, tsdb: PgDatabases
) -> None:
    with open_store(roles["app"]) as store:
        with statements(store.engine) as seen:
            store.write_ohlcv(minutes.loc["2024-01-06"], "BTC-USDT", "1m")  # above every watermark
        assert refresh_calls(seen) == []  # it may not refresh; real-time aggregation covers the new bars
        so_far = minutes.loc[:"2024-01-06"]
        for target in ("5m", "1h", "1d"):
            assert_same_candles(store.read_ohlcv("BTC-USDT", target), resample_oracle(so_far, "1m", target))
        fixed = so_far.copy()
        hour = fixed.loc["2024-01-02 10:00":"2024-01-02 10:59"].index
        fixed.loc[hour, ["open", "high", "low", "close", "vwap"]] *= 1.02
        with pytest.raises(StoreError, match=r"would leave ohlcv_5m stale .* may not refresh it; nothing was written"):
            store.write_ohlcv(fixed.loc[hour], "BTC-USDT", "1m")
        assert_same_candles(store.read_ohlcv("BTC-USDT", "1m"), so_far)
    names: dict[str, str] = roles["names"]  # type: ignore[assignment]
    admin_sql(tsdb, roles["database"], f"GRANT {names['owner']} TO {names['app']}")
    try:
        with open_store(roles["app"]) as store:  # a member of the owner's role may refresh
            store.write_ohlcv(fixed.loc[hour], "BTC-USDT", "1m")
            for target in ("5m", "1h", "1d"):
                assert_same_candles(store.read_ohlcv("BTC-USDT", target), resample_oracle(fixed, "1m", target))
    finally:
        admin_sql(tsdb, roles["database"], f"REVOKE {names['owner']} FROM {names['app']}")


def test_jit_is_off_on_every_connection(tsdb: PgDatabases) -> None:
    store = open_store(tsdb.create("jit"))
    try:
        with store.engine.connect() as a, store.engine.connect() as b:
            assert [c.exec_driver_sql("SHOW jit").scalar() for c in (a, b)] == ["off", "off"]
        with sa.create_engine(tsdb.admin.url).connect() as plain:
            assert plain.exec_driver_sql("SHOW jit").scalar() == "on"  # the server's default, which we override
    finally:
        store.close()


def test_half_set_up_database_refuses_to_open_until_db_init(tsdb: PgDatabases, minutes: pd.DataFrame) -> None:
    url = tsdb.create("half", init=False)
    day = minutes.loc["2024-01-02"]
    with open_store(url, init=True, timescaledb=False) as plain:
        assert plain.mode == "postgresql"
        plain.write_ohlcv(day, "BTC-USDT", "1m")
    admin_sql(tsdb, sa.make_url(url).database or "", "CREATE EXTENSION timescaledb")
    with pytest.raises(
        StoreError,
        match=r"TimescaleDB 2\.28\.3 is installed .* not set up for it \(missing: hypertable ohlcv, .*db init`",
    ):
        open_store(url)
    with open_store(url, init=True) as store:  # converts: rows move into the hypertable, history is materialised
        assert store.mode == "timescaledb"
        assert_same_candles(store.read_ohlcv("BTC-USDT", "1m"), day)
        with store.engine.connect() as conn:
            assert ts.watermarks(conn)["ohlcv_1h"] == int(day.index[-1].timestamp()) + 60
        assert_same_candles(store.read_ohlcv("BTC-USDT", "1h"), resample_oracle(day, "1m", "1h"))


def test_server_that_offers_but_cannot_create_it_is_an_error_not_a_fallback(pg: PgDatabases) -> None:
    """The plain server on 5432 has the extension's files (same PostgreSQL install) but does not preload it."""
    url = pg.create("offered", init=False)
    with pg.admin.connect() as conn:
        offered = conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").first()
    if not offered:
        pytest.fail("the PostgreSQL server on 5432 should offer timescaledb: scripts/timescaledb.sh installs it")
    with pytest.raises(
        StoreError,
        match=r'offers TimescaleDB but it could not be created: extension "timescaledb" must be preloaded; .*--no-',
    ):
        open_store(url, init=True)
    with open_store(url, init=True, timescaledb=False) as store:
        assert store.mode == "postgresql"
    refused(cli(url, "db", "init", "--timescaledb"), "must be preloaded")


def test_db_jobs_and_db_refresh_commands(tsdb: PgDatabases, pg: PgDatabases, minutes: pd.DataFrame) -> None:
    url = tsdb.create("cli")
    with open_store(url) as store:
        store.write_ohlcv(minutes.loc["2024-01-02":"2024-01-03"], "BTC-USDT", "1m")
    jobs = cli(url, "db", "jobs")
    succeeded(jobs)
    assert jobs.stdout.count("refresh_continuous_aggregate") == 3
    assert jobs.stdout.count("compression") == 1
    refreshed = cli(url, "db", "refresh", "--start", "2024-01-02", "--end", "2024-01-03 23:59")
    succeeded(refreshed, "refreshed ohlcv_5m, ohlcv_1h, ohlcv_1d")
    refused(cli(pg.create("clijobs"), "db", "jobs"), "postgresql mode: there are no TimescaleDB jobs")
    refused(cli(url, "db", "refresh", "--start", "2024-01-03", "--end", "2024-01-02"), "is before start")


def test_aggregates_follow_the_generic_rules_with_gaps(tsdb: PgDatabases, minutes: pd.DataFrame) -> None:
    """Interior gaps and missing extras: the aggregates keep the same rules as every other backend."""
    df = minutes.loc["2024-01-02":"2024-01-03"].copy()
    df = df.drop(df.index[100:250])  # a 150-minute hole
    df.loc[df.index[500:520], "vwap"] = np.nan
    df["trade_count"] = df["trade_count"].astype("Int64")
    df.loc[df.index[900], "trade_count"] = pd.NA
    with open_store(tsdb.create("gaps")) as store:
        store.write_ohlcv(df, "BTC-USDT", "1m")
        for target in ("5m", "1h", "1d"):
            assert_same_candles(store.read_ohlcv("BTC-USDT", target), resample_oracle(df, "1m", target))
