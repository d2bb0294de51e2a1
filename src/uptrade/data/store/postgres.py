"""The PostgreSQL backend, with TimescaleDB features when the extension is set up in the database.

Every connection runs with ``jit = off``: the reads here are many short range scans and
aggregations, for which LLVM compilation costs far more than it saves (on-the-fly 4h/15m/1w
aggregation of years of 1m rows over hundreds of chunks took 46-52 s with JIT, 2.3 s without).

Bulk writes stream rows with psycopg's binary ``COPY`` (``Copy.write_row``): straight into
``ohlcv`` when the series has no rows in the chunk's time range (the common case: new candles;
a savepoint covers the race with a concurrent writer), otherwise into a temporary table and then
``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` into ``ohlcv``; all in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uptrade.data.frames import OHLCVBatch
from uptrade.data.store import timescale
from uptrade.data.store.base import Store, Written, driver_connection
from uptrade.data.store.dberrors import db_reason
from uptrade.data.timeframes import Timeframe
from uptrade.data.times import TimeLike, index_from_epoch, to_epoch
from uptrade.errors import ConfigError, StoreError

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
    columns: dict[str, Iterable[Any]] = {"time": index_from_epoch(batch.time).to_pydatetime()}
    if key is not None:
        columns["symbol"], columns["timeframe"] = repeat(key[0]), repeat(key[1])
    columns.update(batch.value_columns())
    return columns


def _value_rows(batch: OHLCVBatch, symbol: str, timeframe: str) -> list[tuple[Any, ...]]:
    """Rows for ``_UPSERT_ROWS`` (a small batch): every column, None where a value is missing."""
    cols = batch.value_columns()
    n = len(batch)
    times = [datetime.fromtimestamp(t, tz=UTC) for t in batch.time.tolist()]  # no pandas index for a few rows
    values = (cols.get(c, repeat(None, n)) for c in ("open", "high", "low", "close", "volume", "vwap", "trade_count"))
    return list(zip(times, repeat(symbol, n), repeat(timeframe, n), *values, strict=False))


def _copy(cur: psycopg.Cursor, table: str, columns: dict[str, Iterable[Any]]) -> None:
    names = list(columns)
    with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([_TYPES.get(n, "float8") for n in names])
        for row in zip(*columns.values(), strict=False):  # symbol/timeframe are endless repeats
            copy.write_row(row)


def create_postgres_engine(url: sa.URL) -> Engine:
    """An engine on psycopg 3 that checks connections before use (survives server restarts), JIT off."""
    engine = sa.create_engine(url, pool_pre_ping=True)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:  # a SET, not a startup option: works through pgbouncer too
            cur.execute("SET jit = off")
        dbapi_conn.commit()

    return engine


class PostgresStore(Store):
    """Candles in PostgreSQL; hypertables, continuous aggregates and compression on TimescaleDB.

    ``timescaledb`` is what :meth:`init` does about the extension: True requires it (and converts
    an existing plain database: its rows move into hypertables), False keeps plain PostgreSQL,
    None (default) sets it up in a new database when the server offers it and keeps an existing
    database as it is. A server that offers it but cannot create it is an error, never a silent
    fall-back to plain PostgreSQL. Once open, the mode is what the database holds.
    """

    backend = "postgresql"

    def __init__(self, engine: Engine, *, timescaledb: bool | None = None) -> None:
        super().__init__(engine)
        self.want_timescaledb = timescaledb
        self._timescale_version: str | None = None
        self._probed = False
        self._can_refresh: bool | None = None

    @property
    def timescaledb_version(self) -> str | None:
        """The TimescaleDB extension version installed in this database, or None on plain PostgreSQL."""
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

    def jobs(self) -> list[dict[str, Any]]:
        if self.mode != "timescaledb":
            return []
        try:
            with self.engine.connect() as conn:
                return timescale.jobs(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading TimescaleDB's jobs at {self.url} failed: {db_reason(exc)}") from exc

    def refresh_aggregates(self, start: TimeLike, end: TimeLike = None) -> list[str]:
        if self.mode != "timescaledb":
            return super().refresh_aggregates(start, end)
        lo = to_epoch(start, "start")
        hi = to_epoch(end, "end") if end is not None else int(datetime.now(tz=UTC).timestamp())
        if lo is None:
            raise ConfigError("start: a time is required")
        if hi < lo:
            raise StoreError(f"end {end} is before start {start}")
        if not self._refreshes():
            raise StoreError(
                f"this role may not refresh the continuous aggregates of {self.url}: refresh as their owner "
                "(or a member of the owner's role)"
            )
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                return timescale.refresh(conn, [(lo, hi)])
        except self._db_errors as exc:
            raise StoreError(f"refreshing the continuous aggregates failed: {db_reason(exc)}") from exc

    def _epoch(self, expr: str) -> str:
        return f"CAST(EXTRACT(EPOCH FROM {expr}) AS BIGINT)"

    def _time_param(self, epoch_s: int) -> Any:
        return datetime.fromtimestamp(int(epoch_s), tz=UTC)

    @contextmanager
    def _schema_lock(self) -> Iterator[None]:
        """A session advisory lock on its own connection, held across migrations and TimescaleDB setup.

        Setup cannot share the migrations' transaction (continuous-aggregate DDL refuses to run
        in one), so a transaction-scoped lock would leave it unguarded: four processes opening
        a fresh database at once then raced on ``CREATE EXTENSION`` and the aggregates.
        """
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"connecting to {self.url} failed: {db_reason(exc)}") from exc
        try:
            conn.exec_driver_sql("SELECT pg_advisory_lock(hashtext('uptrade.schema'))")
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(hashtext('uptrade.schema'))")
        finally:
            conn.close()

    def _setup_features(self, *, created: bool) -> None:
        self._probed = False
        self._can_refresh = None
        wanted = self.want_timescaledb if self.want_timescaledb is not None else created
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                version = timescale.installed_version(conn)
                if version is None and wanted:
                    version = self._create_extension(conn, required=self.want_timescaledb is True)
                if version is None:
                    hint = " (`uptrade db init --timescaledb` converts it)" if timescale.offered(conn) else ""
                    log.info(f"plain PostgreSQL mode{hint}", extra={"store": self.url})
                    return
                made = timescale.setup(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"setting up TimescaleDB at {self.url} failed: {db_reason(exc)}") from exc
        if made:
            log.info("timescaledb set up", extra={"store": self.url, "created": made, "version": version})

    def _create_extension(self, conn: Connection, *, required: bool) -> str | None:
        if not timescale.offered(conn):
            if required:
                raise StoreError(f"the server of {self.url} does not offer the timescaledb extension")
            return None
        try:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS timescaledb")
        except sa.exc.DBAPIError as exc:
            raise StoreError(
                f"the server of {self.url} offers TimescaleDB but it could not be created: {db_reason(exc)}; "
                "preload it (shared_preload_libraries = 'timescaledb') and restart the server, grant CREATE "
                "on the database, or run `uptrade db init --no-timescaledb` for plain PostgreSQL"
            ) from exc
        return timescale.installed_version(conn)

    def _check_features(self) -> None:
        with self.engine.connect() as conn:
            self._timescale_version = timescale.installed_version(conn)
            self._probed = True
            if self._timescale_version is None:
                return
            absent = timescale.missing(conn)
        if absent:
            raise StoreError(
                f"TimescaleDB {self._timescale_version} is installed in {self.url} but the schema is not set up "
                f"for it (missing: {', '.join(absent)}): run `uptrade db init` as the owner of the tables"
            )

    def _refreshes(self, conn: Connection | None = None) -> bool:
        """Whether this role may refresh the continuous aggregates (it must own them, or be in the owner's role).

        Asked once per store, on ``conn`` when the caller has one open.
        """
        if self._can_refresh is None:
            if conn is not None:
                self._can_refresh = timescale.can_refresh(conn)
            else:
                with self.engine.connect() as own:
                    self._can_refresh = timescale.can_refresh(own)
        return self._can_refresh

    def _before_write(self, conn: Connection, written: Sequence[Written]) -> None:
        base = [w for w in written if w.timeframe.name == timescale.BASE_TIMEFRAME]
        if not base or self.mode != "timescaledb" or self._refreshes(conn):
            return
        first = min(w.first for w in base)
        stale = timescale.stale_views(conn, first)
        if stale:
            view, mark = stale[0]
            role = conn.exec_driver_sql("SELECT current_user").scalar()
            raise StoreError(
                f"writing 1m bars from {datetime.fromtimestamp(first, tz=UTC):%Y-%m-%d %H:%M} would leave "
                f"{view} stale (materialised up to {datetime.fromtimestamp(mark, tz=UTC):%Y-%m-%d %H:%M}), "
                f"and role {role} may not refresh it; nothing was written. Write as the owner of the "
                "continuous aggregates, or a member of the owner's role"
            )

    def _after_write(self, written: Sequence[Written]) -> None:
        rows = sum(w.rows for w in written)
        base = [(w.first, w.last) for w in written if w.timeframe.name == timescale.BASE_TIMEFRAME]
        refresh = bool(base) and self.mode == "timescaledb" and self._refreshes()
        if rows < _ANALYZE_ROWS and not refresh:
            return
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                if rows >= _ANALYZE_ROWS:  # keep planner statistics in step with bulk loads
                    conn.exec_driver_sql("ANALYZE ohlcv")
                if refresh:
                    timescale.refresh(conn, base)
        except self._db_errors as exc:
            raise StoreError(
                f"{rows} rows were written, but refreshing the continuous aggregates failed: {db_reason(exc)}; "
                "reads of 5m/1h/1d may be stale there until `uptrade db refresh` covers the range"
            ) from exc

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
        with driver_connection(conn).cursor() as cur:
            if len(batch) <= SMALL_BATCH:  # live updates: a few bars, one pipelined statement
                cur.executemany(_UPSERT_ROWS, _value_rows(batch, symbol, timeframe))
                return
            if self._copy_into_free_range(cur, batch, symbol, timeframe):
                return
            cur.execute(_CREATE_LOAD)
            cur.execute("TRUNCATE _uptrade_ohlcv_load")
            _copy(cur, "_uptrade_ohlcv_load", _copy_columns(batch, key=None))
            cur.execute(_UPSERT, {"symbol": symbol, "timeframe": timeframe})

    def _upsert_small(self, conn: Connection, items: list[tuple[OHLCVBatch, str, str]]) -> None:
        """A run of small batches of any series in one pipelined ``executemany``, rows in order.

        The update rule (COALESCE for vwap/trade_count) does not depend on which columns a batch
        carries, so every small batch of the run shares the statement.
        """
        rows = [row for batch, sym, tf in items for row in _value_rows(batch, sym, tf)]
        if rows:
            with driver_connection(conn).cursor() as cur:
                cur.executemany(_UPSERT_ROWS, rows)

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
