"""TimescaleDB features; run when UPTRADE_TEST_TIMESCALE_URL points at a server with the extension.

The URL should name a scratch database: the tests create a fresh database next to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pandas as pd
import pytest

from tests.conftest import PgDatabases
from tests.helpers import assert_same_candles, resample_oracle, with_extras
from uptrade.data.store import Store, open_store
from uptrade.data.store.schema import LATEST_VERSION

URL = os.environ.get("UPTRADE_TEST_TIMESCALE_URL")
pytestmark = [
    pytest.mark.timescale,
    pytest.mark.skipif(not URL, reason="UPTRADE_TEST_TIMESCALE_URL not set (no TimescaleDB server here)"),
]


@pytest.fixture(scope="module")
def tsdb() -> Iterator[Store]:
    databases = PgDatabases(URL or "")
    store = open_store(databases.create("tsdb"))
    yield store
    store.close()
    databases.drop_all()


def test_mode_hypertables_aggregates_and_policies(tsdb: Store) -> None:
    assert tsdb.mode == "timescaledb"
    with tsdb.engine.connect() as conn:
        hypertables = {
            r[0] for r in conn.exec_driver_sql("SELECT hypertable_name FROM timescaledb_information.hypertables")
        }
        caggs = {
            r[0] for r in conn.exec_driver_sql("SELECT view_name FROM timescaledb_information.continuous_aggregates")
        }
        jobs = {r[0] for r in conn.exec_driver_sql("SELECT proc_name FROM timescaledb_information.jobs")}
        compressed = conn.exec_driver_sql(
            "SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = 'ohlcv'"
        ).scalar()
    assert {"ohlcv", "indicator_signals", "bot_performance", "dominant_cycles"} <= hypertables
    assert {"ohlcv_5m", "ohlcv_1h", "ohlcv_1d"} <= caggs
    assert {"policy_refresh_continuous_aggregate", "policy_compression"} <= jobs
    assert compressed
    assert tsdb.init() == LATEST_VERSION  # idempotent on an already set-up database


def test_continuous_aggregates_match_the_generic_rules(tsdb: Store, btc_1h: pd.DataFrame) -> None:
    minutes = with_extras(btc_1h.loc["2024-01-01":"2024-01-03"].resample("1min").ffill())
    tsdb.write_ohlcv(minutes, "BTC-USDT", "1m")
    for target in ("5m", "1h", "1d", "4h"):
        assert_same_candles(tsdb.read_ohlcv("BTC-USDT", target), resample_oracle(minutes, "1m", target))
