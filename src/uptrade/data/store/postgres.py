"""The PostgreSQL backend, with TimescaleDB features when the extension is there.

Bulk writes stream the chunk into a temporary table with ``COPY ... (FORMAT BINARY)`` and then
``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` into ``ohlcv``, all in the caller's transaction.
The binary COPY payload is built with one vectorised NumPy structured-array conversion instead
of psycopg's per-row ``Copy.write_row``: every field is fixed-width (the symbol and timeframe,
constant per batch, are added by the ``INSERT``), so the whole chunk is one ``tobytes()``; this
is several times faster than converting a million Python tuples (see benchmarks/bench_ingest.py).
Missing values travel as NaN / -1 and become NULL in the ``INSERT``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uptrade.data.frames import OHLCVBatch
from uptrade.data.store import timescale
from uptrade.data.store.base import Store
from uptrade.data.timeframes import Timeframe

log = logging.getLogger(__name__)

_ANALYZE_ROWS = 50_000
_PG_EPOCH = 946_684_800  # 2000-01-01T00:00:00Z, the zero of PostgreSQL's binary timestamps
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_FIELDS = ("time", "open", "high", "low", "close", "volume", "vwap", "trade_count")
_ROW = np.dtype(
    [("n", ">i2")]
    + [(f, t) for name, kind in zip(_FIELDS, ("i8", *["f8"] * 6, "i8"), strict=True)
       for f, t in ((f"len_{name}", ">i4"), (name, f">{kind}"))]
)

_CREATE_LOAD = (
    "CREATE TEMP TABLE IF NOT EXISTS _uptrade_ohlcv_load (time timestamptz, open float8, high float8, "
    "low float8, close float8, volume float8, vwap float8, trade_count bigint) ON COMMIT DROP"
)
_UPSERT = (
    "INSERT INTO ohlcv (time, symbol, timeframe, open, high, low, close, volume, vwap, trade_count) "
    "SELECT time, %(symbol)s, %(timeframe)s, open, high, low, close, volume, "
    "NULLIF(vwap, 'NaN'::float8), NULLIF(trade_count, -1) FROM _uptrade_ohlcv_load "
    "ON CONFLICT (symbol, timeframe, time) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, "
    "low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume, "
    "vwap = COALESCE(EXCLUDED.vwap, ohlcv.vwap), trade_count = COALESCE(EXCLUDED.trade_count, ohlcv.trade_count) "
    "WHERE (ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close, ohlcv.volume, ohlcv.vwap, ohlcv.trade_count) "
    "IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume, "
    "COALESCE(EXCLUDED.vwap, ohlcv.vwap), COALESCE(EXCLUDED.trade_count, ohlcv.trade_count))"
)


def binary_copy_payload(batch: OHLCVBatch) -> bytes:
    """The chunk in PostgreSQL's binary COPY format (columns as in ``_uptrade_ohlcv_load``)."""
    rows = np.empty(len(batch), dtype=_ROW)
    rows["n"] = len(_FIELDS)
    for name in _FIELDS:
        rows[f"len_{name}"] = 8
    rows["time"] = (batch.time - _PG_EPOCH) * 1_000_000
    for name in _FIELDS[1:]:
        rows[name] = getattr(batch, name)
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


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
            cur.execute(_CREATE_LOAD)
            cur.execute("TRUNCATE _uptrade_ohlcv_load")
            with cur.copy("COPY _uptrade_ohlcv_load FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(binary_copy_payload(batch))
            cur.execute(_UPSERT, {"symbol": symbol, "timeframe": timeframe})
