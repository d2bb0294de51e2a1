"""PostgreSQL-only behaviour: the COPY fast path's race with a concurrent writer, plain mode, no DDL on open."""

from __future__ import annotations

import threading
import time

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import PgDatabases
from uptrade.data.store import open_store
from uptrade.data.store.postgres import PostgresStore
from uptrade.errors import StoreError


def test_concurrent_writer_in_the_same_range_falls_back_to_upsert(pg_url: str, btc_1h: pd.DataFrame) -> None:
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM ohlcv")
    batch = btc_1h.loc["2024-02-01":"2024-02-03"]
    clash = batch.index[10]
    other = psycopg.connect(sa.make_url(pg_url).set(drivername="postgresql").render_as_string(False))
    other.execute(  # an uncommitted row inside the batch's range: the fast path's check cannot see it
        "INSERT INTO ohlcv (time, symbol, timeframe, open, high, low, close, volume) "
        "VALUES (%s, 'BTC-USDT', '1h', 1, 1, 1, 1, 1)",
        (clash.to_pydatetime(),),
    )
    errors: list[BaseException] = []

    def write() -> None:
        try:
            store.write_ohlcv(batch, "BTC-USDT", "1h")
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    probe = psycopg.connect(sa.make_url(pg_url).set(drivername="postgresql").render_as_string(False), autocommit=True)
    while writer.is_alive():  # until the COPY blocks on the other transaction's key (no time limit)
        waiting = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()
        if waiting and waiting[0]:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the writer finished without blocking on the concurrent row")
    other.commit()
    writer.join()
    probe.close()
    other.close()
    assert not errors, errors
    got = store.read_ohlcv("BTC-USDT", "1h")
    assert len(got) == len(batch)
    assert got.loc[clash, "close"] == batch.loc[clash, "close"]  # the upsert replaced the concurrent row
    store.close()


def test_plain_postgres_mode_is_reported_and_jit_is_off(pg_url: str) -> None:
    store = open_store(pg_url)
    info = store.describe()
    assert (info["backend"], info["mode"], info["timescaledb"]) == ("postgresql", "postgresql", None)
    assert store.jobs() == []
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").first() is None
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
    with pytest.raises(StoreError, match="postgresql mode: it has no continuous aggregates to refresh"):
        store.refresh_aggregates("2024-01-01")
    store.close()


def test_fresh_database_must_be_initialised_first(pg: PgDatabases) -> None:
    """Opening runs no DDL: a database without the schema names the command that creates it."""
    url = pg.create("fresh", init=False)
    with pytest.raises(StoreError, match=r"has no UpTrade schema, this UpTrade needs version 5: run `uptrade db init`"):
        open_store(url)
    with open_store(url, init=True, timescaledb=False) as store:
        assert store.schema_version() == 5
    with open_store(url) as store:
        assert store.mode == "postgresql"
