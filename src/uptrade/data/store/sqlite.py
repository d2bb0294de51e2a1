"""The embedded SQLite backend: one file, WAL mode so an updater can write while a dashboard reads.

pysqlite's own transaction handling is switched off and SQLAlchemy emits ``BEGIN`` itself (the
recipe in SQLAlchemy's SQLite dialect docs), so DDL and bulk writes are truly transactional.
Bulk writes use the driver's ``executemany`` inside that transaction.
"""

from __future__ import annotations

import functools
import sqlite3
from itertools import repeat
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from uptrade.data.frames import OHLCVBatch
from uptrade.data.store.base import Store, driver_connection
from uptrade.errors import StoreError


def _upsert_sql(symbol: str, timeframe: str, columns: list[str]) -> str:
    """The chunk upsert; the series key is written into the SQL as literals.

    Binding the same two strings on every row costs more than the six numbers (about 40% of
    the insert time), and both are safe literals: the symbol is canonical (``[A-Z0-9]+-[A-Z0-9]+``)
    and the timeframe comes from a fixed list. Only the chunk's columns are set, so a source
    without vwap/trade_count never erases stored ones.
    """
    sym, tf = symbol.replace("'", "''"), timeframe.replace("'", "''")
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns)
    return (
        f"INSERT INTO ohlcv (time, symbol, timeframe, {', '.join(columns)}) "
        f"VALUES (?, '{sym}', '{tf}'{', ?' * len(columns)}) ON CONFLICT (symbol, timeframe, time) DO UPDATE SET {sets}"
    )


@functools.lru_cache(maxsize=16)
def _keyed_upsert_sql(columns: tuple[str, ...]) -> str:
    """The upsert of rows of any series (symbol and timeframe bound per row), same update rule as above.

    Runs of small batches of many series share it: one statement, prepared once, instead of
    one per series (SQLite's statement cache holds 128, fewer than a fleet's series).
    """
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns)
    return (
        f"INSERT INTO ohlcv (time, symbol, timeframe, {', '.join(columns)}) "
        f"VALUES (?, ?, ?{', ?' * len(columns)}) ON CONFLICT (symbol, timeframe, time) DO UPDATE SET {sets}"
    )


def _prepare_file(path: Path) -> None:
    """Create the database file's directory; a path that cannot hold the file is a clear error."""
    if path.is_dir():
        raise StoreError(f"sqlite:///{path}: is a directory, expected a database file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"sqlite:///{path}: cannot create its directory {path.parent}: {exc.strerror}") from None


def create_sqlite_engine(url: sa.URL) -> Engine:
    """An engine with WAL, a busy timeout and SQLAlchemy-controlled transactions."""
    database = url.database or ""
    memory = database in ("", ":memory:")
    if not memory:
        _prepare_file(Path(database).expanduser())
    kwargs: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
    engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN below
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # straight to the driver: BEGIN has no result, and SQLAlchemy's execution path cost
        # about as much as the rest of a small live write's transaction
        try:
            driver_connection(conn).execute("BEGIN")
        except sqlite3.Error as exc:  # raised as SQLAlchemy would have, so callers see the same errors
            raise sa.exc.DBAPIError.instance("BEGIN", None, exc, sqlite3.Error) from exc

    return engine


class SQLiteStore(Store):
    """Candles in a SQLite file; ``time`` stored as whole epoch seconds."""

    backend = "sqlite"

    @property
    def mode(self) -> str:
        return "sqlite"

    def _schema_behind(self, version: int) -> int:
        """A file that is behind is created or migrated in place, not refused.

        The embedded file belongs to the user who opens it and has no roles, so its first use
        creates it (the offline default needs no ``db init``); a newer schema is still refused.
        """
        return self.init()

    def _epoch(self, expr: str) -> str:
        return expr

    def _time_param(self, epoch_s: int) -> Any:
        return int(epoch_s)

    def journal_mode(self) -> str:
        """The journal mode in force (``wal`` for a file database)."""
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())

    def _upsert_chunk(self, conn: Connection, batch: OHLCVBatch, symbol: str, timeframe: str) -> None:
        values = batch.value_columns()
        sql = _upsert_sql(symbol, timeframe, list(values))
        cursor = driver_connection(conn).cursor()
        try:
            cursor.executemany(sql, zip(batch.time.tolist(), *values.values(), strict=True))
        finally:
            cursor.close()

    def _upsert_small(self, conn: Connection, items: list[tuple[OHLCVBatch, str, str]]) -> None:
        """One ``executemany`` per run of consecutive batches that carry the same columns (in order).

        A batch sets only the columns it carries, as in :meth:`_upsert_chunk`, so batches with and
        without vwap/trade_count cannot share a statement; runs keep the order of the writes.
        """
        cursor = driver_connection(conn).cursor()
        try:
            columns: tuple[str, ...] | None = None
            rows: list[tuple[Any, ...]] = []
            for batch, symbol, timeframe in items:
                n = len(batch)
                if n == 0:
                    continue
                values = batch.value_columns()
                if tuple(values) != columns:
                    if rows:
                        cursor.executemany(_keyed_upsert_sql(columns or ()), rows)
                    columns, rows = tuple(values), []
                key = repeat(symbol, n), repeat(timeframe, n)
                rows.extend(zip(batch.time.tolist(), *key, *values.values(), strict=True))
            if rows:
                cursor.executemany(_keyed_upsert_sql(columns or ()), rows)
        finally:
            cursor.close()
