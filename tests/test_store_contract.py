"""The Store contract, run against SQLite, the real PostgreSQL server and TimescaleDB alike."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.helpers import assert_same_candles, resample_oracle, with_extras
from uptrade.data.frames import COLUMNS
from uptrade.data.store import Store, open_store
from uptrade.data.store.schema import LATEST_VERSION
from uptrade.data.timeframes import parse_timeframe
from uptrade.data.validate import OHLCVValidationError
from uptrade.errors import ConfigError, NoDataError, StoreError, SymbolError, TimeframeError


def test_schema_is_versioned_and_init_idempotent(store: Store) -> None:
    assert store.init() == LATEST_VERSION == 5
    assert store.init() == LATEST_VERSION
    assert store.schema_version() == LATEST_VERSION
    assert store.mode in ("sqlite", "postgresql", "timescaledb")
    with store.engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT count(*) FROM schema_version").scalar()
    assert versions == LATEST_VERSION


def test_round_trip_is_exact_and_typed(store: Store, eth_1h: pd.DataFrame) -> None:
    df = with_extras(eth_1h.iloc[:5000])
    assert store.write_ohlcv(df, "ETH/USDT", "1h") == 5000
    got = store.read_ohlcv("X:ETHUSDT", "1h")
    assert str(got.index.tz) == "UTC"
    assert got.index.name == "time"
    assert got.dtypes.to_dict() == {**{c: np.dtype("float64") for c in COLUMNS[:-1]}, "trade_count": pd.Int64Dtype()}
    assert_same_candles(got, df)
    assert store.symbols() == ["ETH-USDT"]
    assert store.latest_time("ETH-USDT", "1h") == df.index[-1]
    assert store.latest_time("ETH-USDT", "4h") is None


def test_upsert_is_idempotent_and_keeps_known_extras(store: Store, btc_1h: pd.DataFrame) -> None:
    df = with_extras(btc_1h.iloc[:300])
    store.write_ohlcv(df, "BTC-USDT", "1h")
    store.write_ohlcv(df, "BTC-USDT", "1h")
    assert len(store.read_ohlcv("BTC-USDT", "1h")) == 300
    changed = btc_1h.iloc[100:110].copy()  # no vwap / trade_count columns at all
    changed["close"] = changed["open"]
    changed["high"] = changed[["high", "close"]].max(axis=1)
    changed["low"] = changed[["low", "close"]].min(axis=1)
    store.write_ohlcv(changed, "BTC-USDT", "1h")
    got = store.read_ohlcv("BTC-USDT", "1h")
    assert len(got) == 300
    np.testing.assert_array_equal(got["close"].iloc[100:110], changed["close"])
    np.testing.assert_array_equal(got["close"].iloc[:100], df["close"].iloc[:100])
    # a source without vwap/trade_count does not erase the stored ones
    np.testing.assert_array_equal(got["vwap"].iloc[100:110], df["vwap"].iloc[100:110])
    assert got["trade_count"].iloc[100:110].tolist() == df["trade_count"].iloc[100:110].tolist()


def test_invalid_rows_are_named_and_nothing_is_written(store: Store, btc_1h: pd.DataFrame) -> None:
    df = btc_1h.iloc[:50].copy()
    df.iloc[7, df.columns.get_loc("high")] = df["low"].iloc[7] / 2
    df.iloc[31, df.columns.get_loc("volume")] = -1.0
    with pytest.raises(OHLCVValidationError, match=r"2 invalid row\(s\) of 50: row 7: high.*row 31: volume") as err:
        store.write_ohlcv(df, "BTC-USDT", "1h")
    assert [i.position for i in err.value.report.issues] == [7, 31]
    assert store.read_ohlcv("BTC-USDT", "1h").empty
    with pytest.raises(OHLCVValidationError, match="not aligned to 4h"):
        store.write_ohlcv(btc_1h.iloc[:8], "BTC-USDT", "4h")


def test_failing_batch_leaves_nothing_behind(store: Store, btc_1h: pd.DataFrame) -> None:
    store.write_ohlcv(btc_1h.iloc[:10], "BTC-USDT", "1h")
    store.chunk_rows = 1000
    calls = []

    def explode(done: int, total: int) -> None:
        calls.append(done)
        if done >= 3000:
            raise RuntimeError("disk full, say")

    with pytest.raises(RuntimeError, match="disk full"):
        store.write_ohlcv(btc_1h.iloc[:20000], "BTC-USDT", "1h", on_progress=explode)
    assert calls == [1000, 2000, 3000]
    assert len(store.read_ohlcv("BTC-USDT", "1h")) == 10  # the 3000 rows already sent were rolled back


def test_database_errors_become_store_errors(store: Store, btc_1h: pd.DataFrame) -> None:
    with store.engine.begin() as conn:  # renamed away, not dropped: the database is shared by later tests
        conn.exec_driver_sql("ALTER TABLE ohlcv RENAME TO ohlcv_away")
    try:
        with pytest.raises(StoreError, match=r"writing 5 BTC-USDT 1h rows failed, nothing was written: .*ohlcv"):
            store.write_ohlcv(btc_1h.iloc[:5], "BTC-USDT", "1h")
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE ohlcv_away RENAME TO ohlcv")


def test_read_ranges_and_limits(store: Store, btc_1h: pd.DataFrame) -> None:
    df = btc_1h.loc["2024-01-01":"2024-01-31"]
    store.write_ohlcv(df, "BTC-USDT", "1h")
    got = store.read_ohlcv("BTC-USDT", "1h", start="2024-01-05", end="2024-01-06T00:00:00Z")
    assert got.index[0] == pd.Timestamp("2024-01-05", tz="UTC")
    assert got.index[-1] == pd.Timestamp("2024-01-06", tz="UTC")  # end is inclusive
    assert len(got) == 25
    last = store.read_ohlcv("BTC-USDT", "1h", limit=3)
    assert list(last.index) == list(df.index[-3:])
    naive_vs_aware = store.read_ohlcv("BTC-USDT", "1h", start=pd.Timestamp("2024-01-10T02:00:00+02:00"), limit=1)
    assert naive_vs_aware.index[0] == pd.Timestamp("2024-01-31T23:00:00Z")
    assert store.read_ohlcv("BTC-USDT", "1h", start="2030-01-01").empty
    with pytest.raises(ConfigError, match="limit must be >= 1"):
        store.read_ohlcv("BTC-USDT", "1h", limit=0)
    with pytest.raises(ConfigError, match="start: cannot parse 'soon'"):
        store.read_ohlcv("BTC-USDT", "1h", start="soon")
    with pytest.raises(TimeframeError):
        store.read_ohlcv("BTC-USDT", "2h")
    with pytest.raises(SymbolError):
        store.read_ohlcv("BTC", "1h")


@pytest.mark.parametrize("target", ["4h", "1d", "1w"])
def test_aggregated_reads_match_pandas(store: Store, btc_1h: pd.DataFrame, target: str) -> None:
    df = with_extras(btc_1h.loc["2021-06-01":"2023-06-01T13:00"])
    df.loc["2022-03-02T05:00", "vwap"] = np.nan  # one day/week whose vwap must come out NULL
    df.loc["2022-03-09T05:00", "trade_count"] = pd.NA
    store.write_ohlcv(df, "BTC-USDT", "1h")
    want = resample_oracle(df, "1h", target)
    got = store.read_ohlcv("BTC-USDT", target)
    assert_same_candles(got, want)
    # ranges pick whole buckets; limit takes the latest complete ones
    tf = parse_timeframe(target)
    mid = want.index[len(want) // 2]
    ranged = store.read_ohlcv("BTC-USDT", target, start=mid - pd.Timedelta(seconds=1), end=mid)
    assert list(ranged.index) == [mid]
    tail = store.read_ohlcv("BTC-USDT", target, limit=4)
    assert_same_candles(tail, want.iloc[-4:])
    assert tail.index[-1] + pd.Timedelta(seconds=tf.seconds) <= df.index[-1] + pd.Timedelta(hours=1)


def test_trailing_incomplete_bucket_is_left_out(store: Store, btc_1h: pd.DataFrame) -> None:
    store.write_ohlcv(btc_1h.loc["2024-03-04":"2024-03-05T22:00"], "BTC-USDT", "1h")
    days = store.read_ohlcv("BTC-USDT", "1d")
    assert list(days.index) == [pd.Timestamp("2024-03-04", tz="UTC")]
    store.write_ohlcv(btc_1h.loc["2024-03-05T23:00":"2024-03-05T23:00"], "BTC-USDT", "1h")
    assert len(store.read_ohlcv("BTC-USDT", "1d")) == 2


def test_finest_stored_timeframe_is_the_source(store: Store, btc_1h: pd.DataFrame) -> None:
    hours = btc_1h.loc["2024-01-01":"2024-01-10"]
    store.write_ohlcv(hours, "BTC-USDT", "1h")
    bogus_4h = resample_oracle(hours, "1h", "4h")[["open", "high", "low", "close", "volume"]] * 2
    store.write_ohlcv(bogus_4h, "BTC-USDT", "4h")
    days = store.read_ohlcv("BTC-USDT", "1d")
    assert_same_candles(days, resample_oracle(hours, "1h", "1d"))  # built from 1h, not the 4h rows
    assert store.read_ohlcv("BTC-USDT", "30m").empty  # nothing finer to build it from


def test_coverage_and_gaps(store: Store, btc_1h: pd.DataFrame, eth_1h: pd.DataFrame) -> None:
    store.write_ohlcv(btc_1h, "BTC-USDT", "1h")
    store.write_ohlcv(eth_1h.loc["2024"], "ETH-USDT", "1h")
    gaps = store.find_gaps("BTC-USDT", "1h")
    # SOURCES.md: 27 gaps, 122 missing hours, among them 2018-02-08 01:00 .. 2018-02-09 09:00
    assert (len(gaps), sum(g.missing for g in gaps)) == (27, 122)
    feb = next(g for g in gaps if g.missing == 33)
    assert (feb.start, feb.end) == (pd.Timestamp("2018-02-08T01:00Z"), pd.Timestamp("2018-02-09T09:00Z"))
    diffs = np.diff(btc_1h.index.asi8) // 3_600_000_000_000
    assert sum(g.missing for g in gaps) == int((diffs - 1).sum())
    cov = {(c.symbol, c.timeframe): c for c in store.coverage()}
    btc = cov["BTC-USDT", "1h"]
    assert (btc.first, btc.last, btc.rows, btc.gaps, btc.missing) == (
        btc_1h.index[0],
        btc_1h.index[-1],
        len(btc_1h),
        27,
        122,
    )
    assert cov["ETH-USDT", "1h"].rows == len(eth_1h.loc["2024"])
    assert [c.symbol for c in store.coverage("eth/usdt")] == ["ETH-USDT"]
    assert store.symbols() == ["BTC-USDT", "ETH-USDT"]


def test_backends_agree(pg_url: str, tmp_path, btc_1h: pd.DataFrame) -> None:
    """The same writes give the same reads, stored and aggregated, on SQLite and PostgreSQL."""
    df = with_extras(btc_1h.loc["2023"])
    stores = [open_store(f"sqlite:///{tmp_path / 'a.db'}"), open_store(pg_url)]
    try:
        with stores[1].engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM ohlcv")
        for s in stores:
            s.write_ohlcv(df, "BTC-USDT", "1h")
        for tf in ("1h", "4h", "1d", "1w"):
            a, b = (s.read_ohlcv("BTC-USDT", tf) for s in stores)
            assert_same_candles(a, b)
        assert stores[0].coverage() == stores[1].coverage()
        assert stores[0].find_gaps("BTC-USDT", "1h") == stores[1].find_gaps("BTC-USDT", "1h")
    finally:
        for s in stores:
            s.close()


def test_sqlite_uses_wal_and_reads_during_a_write(tmp_path, btc_1h: pd.DataFrame) -> None:
    path = tmp_path / "wal.db"
    writer, reader = open_store(f"sqlite:///{path}"), open_store(f"sqlite:///{path}")
    try:
        assert writer.journal_mode() == "wal"  # type: ignore[attr-defined]
        writer.write_ohlcv(btc_1h.iloc[:100], "BTC-USDT", "1h")
        seen = []
        writer.chunk_rows = 500

        def read_meanwhile(done: int, total: int) -> None:
            seen.append(len(reader.read_ohlcv("BTC-USDT", "1h")))  # a reader is not blocked by the open write

        writer.write_ohlcv(btc_1h.iloc[100:2100], "BTC-USDT", "1h", on_progress=read_meanwhile)
        assert seen == [100, 100, 100, 100]  # and sees only committed rows
        assert len(reader.read_ohlcv("BTC-USDT", "1h")) == 2100
    finally:
        writer.close()
        reader.close()


def test_urls_are_checked() -> None:
    with pytest.raises(ConfigError, match="unsupported database 'mysql'"):
        open_store("mysql://root@localhost/db")
    with pytest.raises(ConfigError, match="invalid database URL"):
        open_store("::nonsense::")


def test_unreachable_postgres_is_a_clear_store_error() -> None:
    with pytest.raises(StoreError, match=re.escape("opening postgresql+psycopg://u:***@127.0.0.1:1/x failed")):
        open_store("postgresql://u:secret@127.0.0.1:1/x")


def test_delete_removes_a_range_in_one_transaction(store: Store, btc_1h: pd.DataFrame) -> None:
    store.write_ohlcv(btc_1h.iloc[:300], "BTC-USDT", "1h")
    store.write_ohlcv(btc_1h.iloc[:50], "ETH-USDT", "1h")
    first, cut = btc_1h.index[0], btc_1h.index[99]
    assert store.delete_ohlcv("btc/usdt", "1h", start=first, end=cut) == 100
    left = store.read_ohlcv("BTC-USDT", "1h")
    assert len(left) == 200
    assert left.index[0] == btc_1h.index[100]
    assert store.delete_ohlcv("BTC-USDT", "4h") == 0  # nothing stored at 4h: nothing deleted, nothing raised
    assert store.delete_ohlcv("BTC-USDT") == 200
    assert store.symbols() == ["ETH-USDT"]
    assert len(store.read_ohlcv("ETH-USDT", "1h")) == 50


def test_unknown_symbols_are_named_with_suggestions(store: Store, btc_1h: pd.DataFrame) -> None:
    with pytest.raises(NoDataError, match=r"no candles are stored yet; load some with `uptrade demo`"):
        store.check_symbol("BTC-USDT")
    store.write_ohlcv(btc_1h.iloc[:10], "BTC-USDT", "1h")
    store.write_ohlcv(btc_1h.iloc[:10], "ETH-USDT", "1h")
    assert store.check_symbol("btc/usdt") == "BTC-USDT"
    with pytest.raises(
        NoDataError, match=re.escape("unknown symbol BTCUSD (stored: BTC-USDT, ETH-USDT; did you mean BTC-USDT?)")
    ):
        store.check_symbol("BTCUSD")
    with pytest.raises(NoDataError, match=re.escape("unknown symbol UNKNOWN (stored: BTC-USDT, ETH-USDT)")):
        store.check_symbol("UNKNOWN")
