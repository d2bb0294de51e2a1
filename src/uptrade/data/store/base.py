"""The storage interface: one abstract :class:`Store`, one subclass per backend (as in freqtrade).

The shared logic lives here: validation before any write, chunked writes inside one
transaction (a failing batch leaves nothing behind), reads that aggregate a timeframe that was
not stored from the finest stored one that tiles it, coverage and gap reports. Backends supply
the few dialect pieces: how ``time`` is stored, the bulk upsert, extra database features.

Aggregation rules (the same on every backend): first open, max high, min low, last close, sum
volume; ``vwap`` volume-weighted and ``trade_count`` summed, each only when every source bar
has one (NULL otherwise). Buckets are aligned as in :mod:`uptrade.data.timeframes`. A trailing
bucket that the stored data does not yet complete is left out, so a still-forming candle is
never presented as closed; buckets with interior gaps are kept.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uptrade.data.frames import OHLCVBatch, empty_frame, frame_from_columns
from uptrade.data.store import schema
from uptrade.data.store.dberrors import db_reason
from uptrade.data.store.paper import PaperMixin
from uptrade.data.store.results import ResultsMixin
from uptrade.data.symbols import canonical_symbol, unknown_symbol
from uptrade.data.timeframes import TIMEFRAMES, Timeframe, parse_timeframe
from uptrade.data.times import TimeLike, as_utc, from_epoch, to_epoch
from uptrade.data.validate import frame_to_batch
from uptrade.errors import ConfigError, SchemaVersionError, StoreError, SymbolError
from uptrade.settings import mask_url

log = logging.getLogger(__name__)

ProgressCallback: TypeAlias = Callable[[int, int], None]

_OHLCV_SELECT = "open, high, low, close, volume, vwap, trade_count"


@dataclass(frozen=True)
class Gap:
    """Missing bars of one series: ``start``..``end`` are the first and last missing open times."""

    start: pd.Timestamp
    end: pd.Timestamp
    missing: int


@dataclass(frozen=True)
class Written:
    """The time range one write put into one series (for the backends' after-write work)."""

    symbol: str
    timeframe: Timeframe
    first: int
    last: int
    rows: int


@dataclass(frozen=True)
class Coverage:
    """What one (symbol, timeframe) series holds."""

    symbol: str
    timeframe: str
    first: pd.Timestamp
    last: pd.Timestamp
    rows: int
    gaps: int
    missing: int


def driver_connection(conn: Connection) -> Any:
    """The database driver's own connection under ``conn`` (for its bulk paths)."""
    raw = conn.connection.driver_connection
    if raw is None:
        raise StoreError("the database connection has been closed")
    return raw


class Store(ResultsMixin, PaperMixin, ABC):
    """Candle storage. Use :func:`uptrade.data.store.open_store` to get one."""

    backend: ClassVar[str]
    #: Rows per write chunk (all chunks of one call share one transaction).
    chunk_rows: int = 100_000
    #: Batches up to this many rows count as small in :meth:`write_batches` (see :meth:`_upsert_many`).
    small_rows: int = 256

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._deferred: list[Written] | None = None
        # Bulk paths talk to the driver directly, so its own exception base is caught too.
        self._db_errors: tuple[type[BaseException], ...] = (sa.exc.SQLAlchemyError, engine.dialect.loaded_dbapi.Error)

    # ----------------------------------------------------------------- dialect hooks
    @property
    @abstractmethod
    def mode(self) -> str:
        """``sqlite``, ``postgresql`` or ``timescaledb``."""

    @abstractmethod
    def _epoch(self, expr: str) -> str:
        """SQL giving whole epoch seconds of a time-column expression."""

    @abstractmethod
    def _time_param(self, epoch_s: int) -> Any:
        """The bind value for the time column."""

    @abstractmethod
    def _upsert_chunk(self, conn: Connection, batch: OHLCVBatch, symbol: str, timeframe: str) -> None:
        """Insert or update the rows of one chunk inside the caller's transaction."""

    @contextmanager
    def _schema_lock(self) -> Iterator[None]:
        """Serialise concurrent :meth:`init` calls across processes (backends that can)."""
        yield

    def _setup_features(self, *, created: bool) -> None:
        """Backend extras after migrations, under the schema lock; ``created``: the schema was new."""

    def _check_features(self) -> None:
        """Check, without changing anything, that the backend extras in the database are complete."""

    def _before_write(self, conn: Connection, written: Sequence[Written]) -> None:
        """Hook inside the write's transaction, before any row: refuse a write that could not be finished."""

    def _after_write(self, written: Sequence[Written]) -> None:
        """Hook after a committed write call, once for all its series (e.g. refresh continuous aggregates)."""

    def _aggregate_sql(self, conn: Connection, src: Timeframe, target: Timeframe) -> str | None:
        """A backend-specific query for ``target`` from ``src`` (None: use the generic one)."""
        return None

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return mask_url(self.engine.url.render_as_string(hide_password=False))

    def init(self) -> int:
        """Create or upgrade the schema in place and set up the backend's extras; returns the version.

        Idempotent, and only what is missing is created, so re-running it on a current database
        changes nothing. Concurrent calls from several processes are serialised (PostgreSQL: an
        advisory lock held from the first migration to the last extra).
        """
        with self._schema_lock():
            before = self._migrate()
            self._setup_features(created=before == 0)
        return self.schema_version()

    def check(self) -> int:
        """Open an existing database without changing it: the schema must be current and complete.

        Raises :class:`~uptrade.errors.StoreError` naming ``uptrade db init`` when it is not, and
        :class:`~uptrade.errors.SchemaVersionError` when it is newer than this UpTrade.
        """
        try:
            version = self.schema_version()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"opening {self.url} failed: {db_reason(exc)}") from exc
        if version > schema.LATEST_VERSION:
            raise SchemaVersionError(
                f"database schema version {version} is newer than this UpTrade supports "
                f"({schema.LATEST_VERSION}); upgrade UpTrade"
            )
        if version < schema.LATEST_VERSION:
            return self._schema_behind(version)
        self._check_features()
        return version

    def _schema_behind(self, version: int) -> int:
        """What opening a database whose schema is behind does: refuse, naming ``uptrade db init``."""
        state = "has no UpTrade schema" if version == 0 else f"has schema version {version}"
        raise StoreError(
            f"the database at {self.url} {state}, this UpTrade needs version {schema.LATEST_VERSION}: "
            "run `uptrade db init` (as a role that may create tables) to create or upgrade it"
        )

    def _migrate(self) -> int:
        """Apply the pending migrations in one transaction; returns the version found before."""
        try:
            with self.engine.begin() as conn:
                schema.metadata.create_all(conn, tables=[schema.schema_version])
                table = schema.schema_version
                current = conn.execute(sa.select(sa.func.max(table.c.version))).scalar() or 0
                if current > schema.LATEST_VERSION:
                    raise SchemaVersionError(
                        f"database schema version {current} is newer than this UpTrade supports "
                        f"({schema.LATEST_VERSION}); upgrade UpTrade"
                    )
                for migration in schema.MIGRATIONS:
                    if migration.version > current:
                        migration.apply(conn)
                        conn.execute(
                            table.insert().values(
                                version=migration.version,
                                description=migration.description,
                                applied_at=pd.Timestamp.now(tz="UTC").isoformat(),
                            )
                        )
                        log.info("schema migrated", extra={"version": migration.version, "store": self.url})
                # Recreate any current table that went missing (idempotent; repairs in place).
                schema.metadata.create_all(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"initialising the schema at {self.url} failed: {db_reason(exc)}") from exc
        return int(current)

    def jobs(self) -> list[dict[str, Any]]:
        """The database's background jobs with their health (TimescaleDB policies); none elsewhere."""
        return []

    def refresh_aggregates(self, start: TimeLike, end: TimeLike = None) -> list[str]:
        """Materialise the continuous aggregates over [start, end] (TimescaleDB); returns the views refreshed."""
        raise StoreError(f"{self.url} is in {self.mode} mode: it has no continuous aggregates to refresh")

    def schema_version(self) -> int:
        """The applied schema version (0 before :meth:`init`)."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("schema_version"):
                return 0
            return conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))).scalar() or 0

    def describe(self) -> dict[str, Any]:
        """Backend, mode, masked URL and schema version, for status displays."""
        return {"backend": self.backend, "mode": self.mode, "url": self.url, "schema_version": self.schema_version()}

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- writes
    @contextmanager
    def deferred_refresh(self) -> Iterator[None]:
        """Run the after-write work (TimescaleDB: refreshing the aggregates) once for all writes in the block.

        Each write call refreshes what it touched, for every series, so writing many series one
        call at a time into the same period costs a refresh per series over all of them (100
        series x 2 days: 86 s instead of 2). Inside this block that happens once, on leaving it;
        until then other readers may see the aggregates of the period without the new rows.
        """
        outer = self._deferred is None
        if outer:
            self._deferred = []
        try:
            yield
        finally:
            if outer:
                pending, self._deferred = self._deferred or [], None
                if pending:
                    self._after_write(pending)

    def _written(self, written: list[Written]) -> None:
        if self._deferred is not None:
            self._deferred.extend(written)
        elif written:
            self._after_write(written)

    def write_ohlcv(
        self, df: pd.DataFrame, symbol: str, timeframe: str | Timeframe, *, on_progress: ProgressCallback | None = None
    ) -> int:
        """Validate and upsert candles; returns the number of rows written.

        ``df`` is a standard candle frame (UTC DatetimeIndex) or a table with a ``time`` column.
        Any invalid row raises :class:`~uptrade.data.validate.OHLCVValidationError` naming the
        rows, and nothing is written. Existing rows with the same time are replaced, except that
        a missing vwap/trade_count never erases a stored one.
        """
        sym, tf = canonical_symbol(symbol), parse_timeframe(timeframe)
        return self.write_batch(frame_to_batch(df, tf, f"{sym} {tf}"), sym, tf, on_progress=on_progress)

    def write_batch(
        self, batch: OHLCVBatch, symbol: str, timeframe: str | Timeframe, *, on_progress: ProgressCallback | None = None
    ) -> int:
        """Upsert an already validated, time-sorted batch in one transaction."""
        sym, tf = canonical_symbol(symbol), parse_timeframe(timeframe)
        total = len(batch)
        if total == 0:
            return 0
        done = 0
        written = [Written(sym, tf, int(batch.time[0]), int(batch.time[-1]), total)]
        try:
            with self.engine.begin() as conn:
                self._before_write(conn, written)
                for chunk in batch.chunks(self.chunk_rows):
                    self._upsert_chunk(conn, chunk, sym, tf.name)
                    done += len(chunk)
                    if on_progress is not None:
                        on_progress(done, total)
        except self._db_errors as exc:
            raise StoreError(f"writing {total} {sym} {tf} rows failed, nothing was written: {db_reason(exc)}") from exc
        self._written(written)
        log.info("ohlcv written", extra={"symbol": sym, "timeframe": tf.name, "rows": total, "store": self.mode})
        return total

    def write_batches(self, items: Sequence[tuple[OHLCVBatch, str, str | Timeframe]]) -> list[int]:
        """Upsert validated batches of several series in one transaction (all or nothing).

        Many small writes (a live updater with hundreds of feeds) cost one commit instead of one each.
        """
        keyed = [(b, canonical_symbol(s), parse_timeframe(t)) for b, s, t in items]
        written = [Written(s, t, int(b.time[0]), int(b.time[-1]), len(b)) for b, s, t in keyed if len(b)]
        try:
            with self.engine.begin() as conn:
                self._before_write(conn, written)
                self._upsert_many(conn, [(b, s, t.name) for b, s, t in keyed])
        except self._db_errors as exc:
            total = sum(len(b) for b, _, _ in keyed)
            raise StoreError(
                f"writing {total} rows of {len(keyed)} series failed, nothing was written: {db_reason(exc)}"
            ) from exc
        self._written(written)
        return [len(b) for b, _, _ in keyed]

    def delete_ohlcv(
        self, symbol: str, timeframe: str | Timeframe | None = None, start: TimeLike = None, end: TimeLike = None
    ) -> int:
        """Delete a symbol's candles (one timeframe or all, open time in [start, end]); returns the rows deleted.

        One transaction for every timeframe; the backends' write hooks run as for a write, so
        TimescaleDB refreshes the continuous aggregates over the deleted range (and a role that
        may not refresh them cannot delete below their watermark).
        """
        sym = canonical_symbol(symbol)
        tf_clause, params = "", {"symbol": sym}
        if timeframe is not None:
            tf_clause, params["tf"] = " AND timeframe = :tf", parse_timeframe(timeframe).name
        where, bounds = self._range_clause(to_epoch(start, "start"), to_epoch(end, "end"), inclusive_hi=True)
        match = f"FROM ohlcv WHERE symbol = :symbol{tf_clause}{where}"
        span = f"SELECT timeframe, {self._epoch('min(time)')}, {self._epoch('max(time)')}, count(*) {match}"
        try:
            with self.engine.begin() as conn:
                found = conn.execute(sa.text(f"{span} GROUP BY timeframe"), {**params, **bounds}).all()
                written = [Written(sym, parse_timeframe(t), int(lo), int(hi), int(n)) for t, lo, hi, n in found]
                self._before_write(conn, written)
                deleted = conn.execute(sa.text(f"DELETE {match}"), {**params, **bounds}).rowcount
        except self._db_errors as exc:
            raise StoreError(f"deleting {sym} candles failed, nothing was deleted: {db_reason(exc)}") from exc
        self._written(written)
        log.info("ohlcv deleted", extra={"symbol": sym, "rows": deleted, "store": self.mode})
        return int(deleted)

    def _upsert_many(self, conn: Connection, items: list[tuple[OHLCVBatch, str, str]]) -> None:
        """Upsert several series inside the caller's transaction, in the order given.

        Each run of consecutive small batches (at most :attr:`small_rows` rows, a live updater's
        pages) goes to :meth:`_upsert_small` at once, so a backend can write it with one shared
        statement; larger batches are written chunk by chunk. Keeping the order keeps the result
        of overlapping batches what writing them one after another gives.
        """
        run: list[tuple[OHLCVBatch, str, str]] = []
        for item in items:
            if len(item[0]) <= self.small_rows:
                run.append(item)
                continue
            if run:
                self._upsert_small(conn, run)
                run = []
            batch, sym, tf_name = item
            for chunk in batch.chunks(self.chunk_rows):
                self._upsert_chunk(conn, chunk, sym, tf_name)
        if run:
            self._upsert_small(conn, run)

    def _upsert_small(self, conn: Connection, items: list[tuple[OHLCVBatch, str, str]]) -> None:
        """Upsert a run of small batches of any series, in order (backends write them in shared statements)."""
        for batch, sym, tf_name in items:
            if len(batch):
                self._upsert_chunk(conn, batch, sym, tf_name)

    # ----------------------------------------------------------------- reads
    def read_ohlcv(
        self,
        symbol: str,
        timeframe: str | Timeframe,
        start: TimeLike = None,
        end: TimeLike = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Candles with open time in [start, end] (both inclusive), oldest first.

        ``limit`` keeps the latest ``limit`` rows of that range. A timeframe that was not stored
        is aggregated in SQL from the finest stored timeframe that tiles it (empty if none).
        """
        sym, tf = canonical_symbol(symbol), parse_timeframe(timeframe)
        lo, hi = to_epoch(start, "start"), to_epoch(end, "end")
        if limit is not None and limit < 1:
            raise ConfigError(f"limit must be >= 1, got {limit}")
        try:
            with self.engine.connect() as conn:
                src = self._source_timeframe(conn, sym, tf)
                if src is None:
                    return empty_frame()
                if src == tf:
                    rows = self._read_stored(conn, sym, tf, lo, hi, limit)
                else:
                    rows = self._read_aggregated(conn, sym, src, tf, lo, hi, limit)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading {sym} {tf} failed: {db_reason(exc)}") from exc
        return _rows_to_frame(rows)

    def latest_time(self, symbol: str, timeframe: str | Timeframe) -> pd.Timestamp | None:
        """Open time of the newest stored bar of that series, or None."""
        return self._edge_time("max", symbol, timeframe)

    def first_time(self, symbol: str, timeframe: str | Timeframe) -> pd.Timestamp | None:
        """Open time of the oldest stored bar of that series, or None."""
        return self._edge_time("min", symbol, timeframe)

    def _edge_time(self, fn: str, symbol: str, timeframe: str | Timeframe) -> pd.Timestamp | None:
        sym, tf = canonical_symbol(symbol), parse_timeframe(timeframe)
        try:
            with self.engine.connect() as conn:
                return from_epoch(self._scalar_time(conn, fn, sym, tf))
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading the {fn} time of {sym} {tf} failed: {db_reason(exc)}") from exc

    def symbols(self) -> list[str]:
        """Symbols with stored candles (a loose index scan: fast on large tables)."""
        sql = (
            "WITH RECURSIVE s(sym) AS (SELECT min(symbol) FROM ohlcv UNION ALL "
            "SELECT (SELECT min(symbol) FROM ohlcv WHERE symbol > s.sym) FROM s WHERE s.sym IS NOT NULL) "
            "SELECT sym FROM s WHERE sym IS NOT NULL"
        )
        try:
            with self.engine.connect() as conn:
                return [r[0] for r in conn.execute(sa.text(sql))]
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"listing the stored symbols failed: {db_reason(exc)}") from exc

    def check_symbol(self, symbol: str) -> str:
        """The canonical form of a stored ``symbol``; a :class:`~uptrade.errors.NoDataError` otherwise.

        The message lists the stored symbols and the closest ones (an empty store says how to
        load candles), so every command reports an unknown symbol the same way.
        """
        stored = self.symbols()
        try:
            key = canonical_symbol(symbol)
        except SymbolError:
            key = None
        if key is None or key not in stored:
            raise unknown_symbol(symbol, stored)
        return key

    def coverage(self, symbol: str | None = None) -> list[Coverage]:
        """First/last bar, rows, gaps and missing bars of every stored series (or one symbol's)."""
        where = "WHERE symbol = :symbol" if symbol else ""
        sql = (
            f"SELECT symbol, timeframe, {self._epoch('min(time)')}, {self._epoch('max(time)')}, count(*) "
            f"FROM ohlcv {where} GROUP BY symbol, timeframe"
        )
        params = {"symbol": canonical_symbol(symbol)} if symbol else {}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(sql), params).all()
            out = []
            for sym, tf_name, first, last, count in rows:
                tf = parse_timeframe(tf_name)
                gaps = self._gaps(conn, sym, tf)
                missing = sum(g.missing for g in gaps)
                out.append(Coverage(sym, tf.name, from_epoch(first), from_epoch(last), int(count), len(gaps), missing))
        return sorted(out, key=lambda c: (c.symbol, parse_timeframe(c.timeframe)))

    def find_gaps(self, symbol: str, timeframe: str | Timeframe) -> list[Gap]:
        """Runs of missing bars between the first and last stored bar of a series."""
        sym, tf = canonical_symbol(symbol), parse_timeframe(timeframe)
        try:
            with self.engine.connect() as conn:
                return self._gaps(conn, sym, tf)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"finding gaps of {sym} {tf} failed: {db_reason(exc)}") from exc

    # ----------------------------------------------------------------- updater status
    def save_feed_status(self, rows: Sequence[dict[str, Any]]) -> None:
        """Replace the status rows of these feeds (one transaction; see ``schema.feed_status``)."""
        if not rows:
            return
        table = schema.feed_status
        try:
            with self.engine.begin() as conn:
                conn.execute(table.delete().where(table.c.feed.in_([r["feed"] for r in rows])))
                conn.execute(table.insert(), list(rows))
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"saving updater status failed: {db_reason(exc)}") from exc

    def feed_status(self) -> list[dict[str, Any]]:
        """Every feed's last saved status (times as UTC Timestamps), ordered by feed."""
        table = schema.feed_status
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(table).order_by(table.c.feed)).mappings().all()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading updater status failed: {db_reason(exc)}") from exc
        out = []
        for row in rows:
            item = dict(row)
            for key in ("last_success", "last_candle", "updated_at"):
                if item[key] is not None:
                    item[key] = as_utc(item[key])
            out.append(item)
        return out

    # ----------------------------------------------------------------- internals
    def _gaps(self, conn: Connection, symbol: str, tf: Timeframe) -> list[Gap]:
        t = self._epoch("time")
        sql = (
            f"SELECT prev_t, t FROM (SELECT {t} AS t, lag({t}) OVER (ORDER BY time) AS prev_t FROM ohlcv "
            "WHERE symbol = :symbol AND timeframe = :tf) x WHERE t - prev_t > :step ORDER BY t"
        )
        rows = conn.execute(sa.text(sql), {"symbol": symbol, "tf": tf.name, "step": tf.seconds}).all()
        step = tf.seconds
        return [Gap(from_epoch(p + step), from_epoch(t - step), int((t - p) // step - 1)) for p, t in rows]

    def _scalar_time(self, conn: Connection, fn: str, symbol: str, tf: Timeframe) -> int | None:
        sql = f"SELECT {self._epoch(f'{fn}(time)')} FROM ohlcv WHERE symbol = :symbol AND timeframe = :tf"
        value = conn.execute(sa.text(sql), {"symbol": symbol, "tf": tf.name}).scalar()
        return None if value is None else int(value)

    def _has_series(self, conn: Connection, symbol: str, tf: Timeframe) -> bool:
        sql = "SELECT 1 FROM ohlcv WHERE symbol = :symbol AND timeframe = :tf LIMIT 1"
        return conn.execute(sa.text(sql), {"symbol": symbol, "tf": tf.name}).first() is not None

    def _source_timeframe(self, conn: Connection, symbol: str, tf: Timeframe) -> Timeframe | None:
        if self._has_series(conn, symbol, tf):
            return tf
        for candidate in sorted(t for t in TIMEFRAMES if t < tf and t.divides(tf)):
            if self._has_series(conn, symbol, candidate):
                return candidate
        return None

    def _read_stored(
        self, conn: Connection, symbol: str, tf: Timeframe, lo: int | None, hi: int | None, limit: int | None
    ) -> Sequence[Any]:
        where, params = self._range_clause(lo, hi, inclusive_hi=True)
        order = "DESC LIMIT :limit" if limit else "ASC"
        sql = (
            f"SELECT {self._epoch('time')} AS t, {_OHLCV_SELECT} FROM ohlcv "
            f"WHERE symbol = :symbol AND timeframe = :tf{where} ORDER BY time {order}"
        )
        rows = conn.execute(sa.text(sql), {"symbol": symbol, "tf": tf.name, "limit": limit, **params}).all()
        return rows[::-1] if limit else rows

    def _read_aggregated(
        self,
        conn: Connection,
        symbol: str,
        src: Timeframe,
        tf: Timeframe,
        lo: int | None,
        hi: int | None,
        limit: int | None,
    ) -> Sequence[Any]:
        last = self._scalar_time(conn, "max", symbol, src)
        if last is None:
            return []
        hi_excl = tf.floor(last + src.seconds)  # buckets starting before this are complete
        if hi is not None:
            hi_excl = min(hi_excl, tf.floor(hi) + tf.seconds)
        lo_b = None if lo is None else (lo if tf.is_aligned(lo) else tf.floor(lo) + tf.seconds)
        if lo_b is not None and lo_b >= hi_excl:
            return []
        sql = self._aggregate_sql(conn, src, tf) or self._generic_aggregate_sql()
        order = "DESC LIMIT :limit" if limit else "ASC"
        params = {"symbol": symbol, "src": src.name, "step": tf.seconds, "origin": tf.origin, "limit": limit}

        def run(lo_bound: int | None) -> Sequence[Any]:
            where, bounds = self._range_clause(lo_bound, hi_excl, inclusive_hi=False)
            return conn.execute(sa.text(sql.format(where=where, order=order)), {**params, **bounds}).all()

        if limit and lo_b is None:
            # Try the last `limit` buckets first; widen to everything only if gaps left it short.
            rows = run(hi_excl - limit * tf.seconds)
            if len(rows) < limit:
                rows = run(None)
        else:
            rows = run(lo_b)
        return rows[::-1] if limit else rows

    def _generic_aggregate_sql(self) -> str:
        t = self._epoch("time")
        return (
            f"WITH g AS (SELECT ({t} - (({t} - :origin) % :step)) AS bucket, min(time) AS first_time, "
            "max(time) AS last_time, max(high) AS high, min(low) AS low, sum(volume) AS volume, "
            "CASE WHEN count(vwap) = count(*) THEN sum(vwap * volume) / NULLIF(sum(volume), 0) END AS vwap, "
            "CASE WHEN count(trade_count) = count(*) THEN sum(trade_count) END AS trade_count "
            "FROM ohlcv WHERE symbol = :symbol AND timeframe = :src{where} GROUP BY 1) "
            "SELECT g.bucket, o.open, g.high, g.low, c.close, g.volume, g.vwap, g.trade_count FROM g "
            "JOIN ohlcv o ON o.symbol = :symbol AND o.timeframe = :src AND o.time = g.first_time "
            "JOIN ohlcv c ON c.symbol = :symbol AND c.timeframe = :src AND c.time = g.last_time "
            "ORDER BY g.bucket {order}"
        )

    def _range_clause(self, lo: int | None, hi: int | None, *, inclusive_hi: bool) -> tuple[str, dict[str, Any]]:
        clause, params = "", {}
        if lo is not None:
            clause += " AND time >= :lo"
            params["lo"] = self._time_param(lo)
        if hi is not None:
            clause += " AND time <= :hi" if inclusive_hi else " AND time < :hi"
            params["hi"] = self._time_param(hi)
        return clause, params


def _rows_to_frame(rows: Sequence[Any]) -> pd.DataFrame:
    if not rows:
        return empty_frame()
    t, o, h, lo, c, v, vw, n = zip(*rows, strict=True)
    counts = [None if x is None else int(x) for x in n]
    return frame_from_columns(
        np.asarray(t, dtype="int64"),
        {
            "open": np.asarray(o, dtype="float64"),
            "high": np.asarray(h, dtype="float64"),
            "low": np.asarray(lo, dtype="float64"),
            "close": np.asarray(c, dtype="float64"),
            "volume": np.asarray(v, dtype="float64"),
            "vwap": np.array(vw, dtype="float64"),
            "trade_count": counts,
        },
    )
