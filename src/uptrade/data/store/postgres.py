"""The PostgreSQL backend, with TimescaleDB features when the extension is there.

Bulk writes stream rows with psycopg's binary ``COPY`` (``Copy.write_row``): straight into
``ohlcv`` when the series has no rows in the chunk's time range (the common case: new candles;
a savepoint covers the race with a concurrent writer), otherwise into a temporary table and then
``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` into ``ohlcv``; all in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import pandas as pd
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uptrade.data.frames import OHLCVBatch
from uptrade.data.store import timescale
from uptrade.data.store.base import Store
from uptrade.data.timeframes import Timeframe

log = logging.getLogger(__name__)

_ANALYZE_ROWS = 50_000
_TYPES = {"time": "timestamptz", "symbol": "text", "timeframe": "text", "trade_count": "int8"}

_CREATE_LOAD = (
    "CREATE TEMP TABLE IF NOT EXISTS _uptrade_ohlcv_load (time timestamptz, open float8, high float8, "
    "low float8, close float8, volume float8, vwap float8, trade_count bigint) ON COMMIT DROP"
)
_UPSERT = (
    "INSERT INTO ohlcv (time, symbol, timeframe, open, high, low, close, volume, vwap, trade_count) "
    "SELECT time, %(symbol)s, %(timeframe)s, open, high, low, close, volume, vwap, trade_count "
    "FROM _uptrade_ohlcv_load "
    "ON CONFLICT (symbol, timeframe, time) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, "
    "low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume, "
    "vwap = COALESCE(EXCLUDED.vwap, ohlcv.vwap), trade_count = COALESCE(EXCLUDED.trade_count, ohlcv.trade_count) "
    "WHERE (ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close, ohlcv.volume, ohlcv.vwap, ohlcv.trade_count) "
    "IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume, "
    "COALESCE(EXCLUDED.vwap, ohlcv.vwap), COALESCE(EXCLUDED.trade_count, ohlcv.trade_count))"
)


#: Batches up to this size are upserted with one pipelined INSERT instead of COPY (fewer round trips).
SMALL_BATCH = 256
_UPSERT_ROWS = _UPSERT.replace(
    "SELECT time, %(symbol)s, %(timeframe)s, open, high, low, close, volume, vwap, trade_count "
    "FROM _uptrade_ohlcv_load ",
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ",
)


def _copy_columns(batch: OHLCVBatch, key: tuple[str, str] | None) -> dict[str, Iterable[Any]]:
    """Column name -> values for ``Copy.write_row``; with ``key`` the constant symbol and timeframe."""
    columns: dict[str, Iterable[Any]] = {"time": pd.DatetimeIndex(batch.time * 1_000_000_000, tz="UTC").to_pydatetime()}
    if key is not None:
        columns["symbol"], columns["timeframe"] = repeat(key[0]), repeat(key[1])
    columns.update(batch.value_columns())
    return columns


def _value_rows(batch: OHLCVBatch, symbol: str, timeframe: str) -> list[tuple[Any, ...]]:
    """Rows for ``_UPSERT_ROWS``: every column, None where a value is missing."""
    cols = _copy_columns(batch, key=(symbol, timeframe))
    n = len(batch)
    values = (cols.get(c, repeat(None, n)) for c in ("open", "high", "low", "close", "volume", "vwap", "trade_count"))
    return list(zip(cols["time"], repeat(symbol, n), repeat(timeframe, n), *values, strict=False))


def _copy(cur: psycopg.Cursor, table: str, columns: dict[str, Iterable[Any]]) -> None:
    names = list(columns)
    with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([_TYPES.get(n, "float8") for n in names])
        for row in zip(*columns.values(), strict=False):  # symbol/timeframe are endless repeats
            copy.write_row(row)


def create_postgres_engine(url: sa.URL) -> Engine:
    """An engine on psycopg 3 that checks connections before use (survives server restarts)."""
    return sa.create_engine(url, pool_pre_ping=True)


class PostgresStore(Store):
    """Candles in PostgreSQL; hypertables, continuous aggregates and compression on TimescaleDB."""

    backend = "postgresql"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._timescale_version: str | None = None
        self._probed = False

    @property
    def timescaledb_version(self) -> str | None:
        """The installed TimescaleDB extension version, or None on plain PostgreSQL."""
        if not self._probed:
            with self.engine.connect() as conn:
                self._timescale_version = timescale.installed_version(conn)
            self._probed = True
        return self._timescale_version

    @property
    def mode(self) -> str:
        return "timescaledb" if self.timescaledb_version else "postgresql"

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["timescaledb"] = self.timescaledb_version
        return info

    def _epoch(self, expr: str) -> str:
        return f"CAST(EXTRACT(EPOCH FROM {expr}) AS BIGINT)"

    def _time_param(self, epoch_s: int) -> Any:
        return datetime.fromtimestamp(int(epoch_s), tz=UTC)

    def _lock_schema(self, conn: Connection) -> None:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('uptrade.schema'))")

    def _setup_features(self) -> None:
        self._timescale_version = timescale.ensure_extension(self.engine)
        self._probed = True
        if self._timescale_version:
            timescale.setup(self.engine)
        else:
            log.info(
                "timescaledb extension not available: plain PostgreSQL mode (no hypertables, "
                "continuous aggregates or compression; aggregation by GROUP BY)",
                extra={"store": self.url},
            )

    def _after_write(self, symbol: str, timeframe: Timeframe, first: int, last: int, rows: int) -> None:
        if rows >= _ANALYZE_ROWS:  # keep planner statistics in step with bulk loads
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE ohlcv")
        if self.mode == "timescaledb" and timeframe.name == timescale.BASE_TIMEFRAME:
            timescale.refresh(self.engine, first, last)

    def _aggregate_sql(self, conn: Connection, src: Timeframe, target: Timeframe) -> str | None:
        if self.mode == "timescaledb":
            cagg = timescale.aggregate_sql(src, target)
            if cagg:
                return cagg
        # One pass with ordered array_agg for first/last: no join, so no dependence on fresh
        # planner statistics right after a bulk load.
        t = self._epoch("time")
        return (
            f"SELECT ({t} - (({t} - :origin) % :step)) AS bucket, (array_agg(open ORDER BY time))[1], "
            "max(high), min(low), (array_agg(close ORDER BY time DESC))[1], sum(volume), "
            "CASE WHEN count(vwap) = count(*) THEN sum(vwap * volume) / NULLIF(sum(volume), 0) END, "
            "CASE WHEN count(trade_count) = count(*) THEN sum(trade_count) END "
            "FROM ohlcv WHERE symbol = :symbol AND timeframe = :src{where} GROUP BY 1 ORDER BY 1 {order}"
        )

    def _upsert_chunk(self, conn: Connection, batch: OHLCVBatch, symbol: str, timeframe: str) -> None:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            if len(batch) <= SMALL_BATCH:  # live updates: a few bars, one pipelined statement
                cur.executemany(_UPSERT_ROWS, _value_rows(batch, symbol, timeframe))
                return
            if self._copy_into_free_range(cur, batch, symbol, timeframe):
                return
            cur.execute(_CREATE_LOAD)
            cur.execute("TRUNCATE _uptrade_ohlcv_load")
            _copy(cur, "_uptrade_ohlcv_load", _copy_columns(batch, key=None))
            cur.execute(_UPSERT, {"symbol": symbol, "timeframe": timeframe})

    def _upsert_many(self, conn: Connection, items: list[tuple[OHLCVBatch, str, str]]) -> None:
        """Small batches of all series in one pipelined INSERT; large ones through COPY as usual."""
        small = [item for item in items if len(item[0]) <= SMALL_BATCH]
        if len(small) > 1:
            rows = [row for batch, sym, tf in small for row in _value_rows(batch, sym, tf)]
            with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.executemany(_UPSERT_ROWS, rows)
            items = [item for item in items if len(item[0]) > SMALL_BATCH]
        super()._upsert_many(conn, items)

    def _copy_into_free_range(self, cur: psycopg.Cursor, batch: OHLCVBatch, symbol: str, timeframe: str) -> bool:
        """Fast path: COPY straight into ``ohlcv`` when the series has no rows in the batch's range.

        A concurrent writer that fills the range first makes the COPY hit the primary key; the
        savepoint then undoes it and the caller falls back to the upsert.
        """
        lo, hi = (datetime.fromtimestamp(int(t), tz=UTC) for t in (batch.time[0], batch.time[-1]))
        cur.execute(
            "SELECT 1 FROM ohlcv WHERE symbol = %s AND timeframe = %s AND time BETWEEN %s AND %s LIMIT 1",
            (symbol, timeframe, lo, hi),
        )
        if cur.fetchone() is not None:
            return False
        cur.execute("SAVEPOINT uptrade_copy")
        try:
            _copy(cur, "ohlcv", _copy_columns(batch, key=(symbol, timeframe)))
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT uptrade_copy")
            return False
        cur.execute("RELEASE SAVEPOINT uptrade_copy")
        return True
