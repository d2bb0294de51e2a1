"""``Store.write_batches``: many series in one call, on every backend, equal to writing them one by one.

Small batches (a live updater's 1-row pages) share statements across series; these tests check
that this gives exactly what separate ``write_batch`` calls give, in order (overlapping pages,
pages with and without vwap/trade_count, small runs interrupted by a large batch), and that a
failing call leaves nothing of any series behind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uptrade.data.frames import MISSING_COUNT, OHLCVBatch
from uptrade.data.store import Store, open_store
from uptrade.data.store.base import driver_connection
from uptrade.errors import StoreError

T0 = 1_714_521_600  # 2024-05-01, aligned to every timeframe used here


def _batch(times: list[int], k: float, *, vwap: bool = True, counts: bool = True, gap: int | None = None) -> OHLCVBatch:
    """Valid candles at ``times``, values shifted by ``k``; ``gap``: that row lacks vwap and trade count."""
    n = len(times)
    base = 100.0 + k + np.arange(n, dtype="float64") / 8
    vw = base + 0.25 if vwap else np.full(n, np.nan)
    tc = np.arange(n, dtype="int64") + 7 if counts else np.full(n, MISSING_COUNT, dtype="int64")
    if gap is not None:
        vw[gap], tc[gap] = np.nan, MISSING_COUNT
    return OHLCVBatch(
        np.asarray(times, dtype="int64"), base, base + 1.5, base - 1.5, base + 0.5, np.full(n, 10.0 + k), vw, tc
    )


def _items() -> list[tuple[OHLCVBatch, str, str]]:
    """Pages of six series: small and large, overlapping, with and without the optional columns."""
    items: list[tuple[OHLCVBatch, str, str]] = []
    for k in range(6):  # first a page of history per series, then live pages
        tf, step = (("1m", 60), ("5m", 300), ("1h", 3600))[k % 3]
        items.append((_batch([T0 + i * step for i in range(5)], k), f"S{k}-USD", tf))
    items.append((_batch([T0 + 5 * 60], 20.0), "S0-USD", "1m"))
    items.append((_batch([T0 + 60], 21.0, vwap=False, counts=False), "S0-USD", "1m"))  # keeps stored extras
    items.append((_batch([T0 + 60], 22.0, counts=False), "S3-USD", "1m"))
    items.append((_batch([T0 + 300 * i for i in range(300)], 23.0), "S1-USD", "5m"))  # large: own statements
    items.append((_batch([T0 + 300 * 2], 24.0), "S1-USD", "5m"))  # after the large batch: must win
    items.append((_batch([T0 + 2 * 60, T0 + 3 * 60], 25.0, gap=1), "S0-USD", "1m"))  # a row without extras
    items.append((_batch([T0 + 2 * 60], 26.0, vwap=False), "S0-USD", "1m"))  # same row again, later
    items.append((_batch([], 0.0), "S5-USD", "1h"))  # empty: nothing, but counted
    items.append((_batch([T0 + 3600 * 7], 27.0), "s5/usd", "1h"))  # any symbol form
    return items


def _contents(store: Store) -> dict[tuple[str, str], pd.DataFrame]:
    series = [(f"S{k}-USD", tf) for k in range(6) for tf in ("1m", "5m", "1h")]
    with store.engine.connect() as conn:
        stored = set(conn.exec_driver_sql("SELECT DISTINCT symbol, timeframe FROM ohlcv").all())
    return {(s, tf): store.read_ohlcv(s, tf) for s, tf in series if (s, tf) in stored}


@pytest.mark.parametrize("small_rows", [256, 0])
def test_batches_equal_writes_one_by_one(store: Store, small_rows: int) -> None:
    """Shared statements (or none, with ``small_rows`` 0) store exactly what one call per page stores."""
    items = _items()
    for batch, sym, tf in items:
        store.write_batch(batch, sym, tf)
    want = _contents(store)
    for k in range(6):
        store.delete_ohlcv(f"S{k}-USD")
    assert _contents(store) == {}
    store.small_rows = small_rows
    assert store.write_batches(items) == [len(b) for b, _, _ in items]
    got = _contents(store)
    assert list(got) == list(want)
    for key, frame in want.items():
        pd.testing.assert_frame_equal(got[key], frame, check_exact=True, obj=str(key))
    s0 = got[("S0-USD", "1m")]
    assert s0["close"].iloc[1] == 121.5
    assert s0["vwap"].iloc[1] == 100.25 + 1 / 8  # the extras of the first page were kept
    assert s0["close"].iloc[2] == 126.5  # the later page of the same row won
    assert s0["trade_count"].iloc[2] == 7
    assert got[("S1-USD", "5m")]["close"].iloc[2] == 124.5


def test_a_failing_call_leaves_no_series_behind(store: Store) -> None:
    """A page the database refuses, after small runs and a large batch, undoes the whole call."""
    store.write_batch(_batch([T0], 1.0), "S0-USD", "1m")
    before = _contents(store)
    if store.backend == "sqlite":
        trigger = (
            "CREATE TRIGGER refuse_bad BEFORE INSERT ON ohlcv WHEN NEW.symbol = 'BAD-USD' "
            "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END",
        )
        drop = ("DROP TRIGGER refuse_bad",)
    else:
        trigger = (
            "CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.symbol = 'BAD-USD' THEN RAISE EXCEPTION 'refused by trigger'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_bad BEFORE INSERT ON ohlcv FOR EACH ROW EXECUTE FUNCTION refuse_bad()",
        )
        drop = ("DROP TRIGGER refuse_bad ON ohlcv", "DROP FUNCTION refuse_bad()")
    with store.engine.begin() as conn:
        for sql in trigger:
            conn.exec_driver_sql(sql)
    try:
        items = [*_items(), (_batch([T0], 9.0), "BAD-USD", "1m")]
        with pytest.raises(StoreError, match=r"rows of 16 series failed, nothing was written: .*refused by trigger"):
            store.write_batches(items)
        with pytest.raises(StoreError, match="nothing was written"):
            store.write_batches([(_batch([T0 + 60], 2.0), "S0-USD", "1m"), (_batch([T0], 9.0), "BAD-USD", "1m")])
    finally:
        with store.engine.begin() as conn:
            for sql in drop:
                conn.exec_driver_sql(sql)
    got = _contents(store)
    assert list(got) == list(before)
    pd.testing.assert_frame_equal(got[("S0-USD", "1m")], before[("S0-USD", "1m")], check_exact=True)


def test_few_row_value_columns_equal_the_numpy_path() -> None:
    """``value_columns`` on a few rows (plain Python) gives what the numpy path gives on more."""
    for vwap in (True, False):
        for counts in (True, False):
            for gap in (None, 0, 2):
                few = _batch([T0 + 60 * i for i in range(3)], 1.0, vwap=vwap, counts=counts, gap=gap)
                many = _batch([T0 + 60 * i for i in range(300)], 1.0, vwap=vwap, counts=counts, gap=gap)
                got, want = few.value_columns(), many.value_columns()
                assert list(got) == list(want)
                for name, values in got.items():
                    assert values == want[name][:3], name
                    assert [type(v) for v in values] == [type(v) for v in want[name][:3]], name
    inf = _batch([T0], 1.0)
    inf.vwap[0] = np.inf  # not finite: no vwap column, as np.isfinite decides on the numpy path
    assert "vwap" not in inf.value_columns()


def test_sqlite_begin_errors_are_sqlalchemy_errors(tmp_path) -> None:
    """BEGIN goes straight to the driver; its errors still arrive as SQLAlchemy's."""
    import sqlalchemy as sa

    with open_store(f"sqlite:///{tmp_path / 'x.db'}") as store, store.engine.connect() as conn:
        conn.commit()  # no transaction open on our side
        driver_connection(conn).execute("BEGIN")  # one open behind SQLAlchemy's back
        with pytest.raises(sa.exc.OperationalError, match="within a transaction"):
            conn.exec_driver_sql("SELECT 1")
