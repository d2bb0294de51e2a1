"""TimescaleDB features: set up by ``uptrade db init``, checked on every open, kept fresh by writes.

Set up (:func:`setup`, only from ``PostgresStore.init``, under the schema lock):

* all four series tables become hypertables on ``time`` (existing rows migrated);
* ``ohlcv_5m``, ``ohlcv_1h`` and ``ohlcv_1d`` are continuous aggregates of the 1m rows with the
  same rules as the generic aggregation in :mod:`uptrade.data.store.base` (first open, max high,
  min low, last close, summed volume, volume-weighted vwap and summed trade count only when every
  bar has them), real-time (``materialized_only = false``), with refresh policies;
* ``ohlcv`` is compressed (segment by symbol, timeframe) by a 7-day policy.

Only what is missing is created, so re-running it on a complete database runs no DDL (a role
that does not own the objects may run it). Opening a store runs none: :func:`missing` says what
is absent and the store refuses to open half set up.

Freshness. A read of a real-time aggregate combines the buckets materialised below its
*watermark* with an aggregation of the raw 1m rows above it. Rows written above the watermark are
therefore right at once; rows written below it (back-fills, corrections) leave stale buckets
until those are refreshed. After every write call (one import, one updater round of all its
series) :func:`refresh` materialises the buckets that the combined written range touched: one
``refresh_continuous_aggregate`` per aggregate for all series, in a single pass
(``buckets_per_batch = 0``; 2.28 otherwise works in batches of 10 buckets, some 42,000 for a
2.1M-row 5m import). A forming last bucket that is not yet materialised is left out
(:func:`windows`), so live bars that extend it stay above the watermark and need no refresh;
the policies materialise recent windows on their own.
Refreshing needs the aggregate's owner (or a member of the owner's role); a role without that
may still write above the watermark, and a write below it is refused before any row is written
(:func:`stale_views`).

Continuous-aggregate DDL and ``refresh_continuous_aggregate`` refuse to run inside a
transaction block, so those run on AUTOCOMMIT connections.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from uptrade.data.store.schema import SERIES_TABLES
from uptrade.data.timeframes import Timeframe, parse_timeframe

BASE_TIMEFRAME = "1m"
BASE_SECONDS = 60
#: view -> (bucket timeframe, policy start_offset, end_offset, schedule_interval)
CONTINUOUS_AGGREGATES: dict[str, tuple[str, str, str, str]] = {
    "ohlcv_5m": ("5m", "1 day", "5 minutes", "5 minutes"),
    "ohlcv_1h": ("1h", "3 days", "1 hour", "30 minutes"),
    "ohlcv_1d": ("1d", "7 days", "1 day", "1 hour"),
}
COMPRESS_AFTER = "7 days"
_VIEW_FOR = {tf: view for view, (tf, *_rest) in CONTINUOUS_AGGREGATES.items()}
#: What a refresh is asked for: all buckets of the window in one pass.
REFRESH_OPTIONS = '{"buckets_per_batch": 0}'


def installed_version(conn: Connection) -> str | None:
    """The extension version installed in this database, or None."""
    return conn.exec_driver_sql("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").scalar()


def offered(conn: Connection) -> bool:
    """Whether the server has the extension's files (so ``CREATE EXTENSION`` can be tried)."""
    sql = "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    return conn.exec_driver_sql(sql).first() is not None


def _cagg_sql(view: str, tf: Timeframe) -> str:
    return (
        f"CREATE MATERIALIZED VIEW {view} WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS "
        f"SELECT time_bucket(INTERVAL '{tf.seconds} seconds', time) AS bucket, symbol, "
        "first(open, time) AS open, max(high) AS high, min(low) AS low, last(close, time) AS close, "
        "sum(volume) AS volume, "
        "CASE WHEN count(vwap) = count(*) THEN sum(vwap * volume) / NULLIF(sum(volume), 0) END AS vwap, "
        "CASE WHEN count(trade_count) = count(*) THEN sum(trade_count) END AS trade_count "
        f"FROM ohlcv WHERE timeframe = '{BASE_TIMEFRAME}' GROUP BY bucket, symbol WITH NO DATA"
    )


def _state(conn: Connection) -> tuple[set[str], bool, set[str], set[tuple[str, str]]]:
    """Hypertables, whether ``ohlcv`` is compressed, continuous aggregates, (proc, table or view) of jobs."""
    hypertables = {
        r[0]: bool(r[1])
        for r in conn.exec_driver_sql(
            "SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables "
            "WHERE hypertable_schema = current_schema()"
        )
    }
    caggs = {
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT view_name FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema()"
        )
    }
    jobs = {
        (r[0], r[1])
        for r in conn.exec_driver_sql(
            "SELECT proc_name, hypertable_name FROM timescaledb_information.jobs "
            "WHERE proc_name IN ('policy_compression', 'policy_refresh_continuous_aggregate')"
        )
    }
    return set(hypertables), hypertables.get("ohlcv", False), caggs, jobs


def missing(conn: Connection) -> list[str]:
    """What of the TimescaleDB setup this database lacks (empty when complete); no changes made."""
    hypertables, compressed, caggs, jobs = _state(conn)
    out = [f"hypertable {t}" for t in SERIES_TABLES if t not in hypertables]
    if not compressed:
        out.append("compression of ohlcv")
    if ("policy_compression", "ohlcv") not in jobs:
        out.append("compression policy on ohlcv")
    for view in CONTINUOUS_AGGREGATES:
        if view not in caggs:
            out.append(f"continuous aggregate {view}")
        elif ("policy_refresh_continuous_aggregate", view) not in jobs:
            out.append(f"refresh policy of {view}")
    return out


def setup(conn: Connection) -> list[str]:
    """Create what :func:`missing` lists, on an AUTOCOMMIT connection; returns what was created."""
    todo = missing(conn)
    for table in SERIES_TABLES:
        if f"hypertable {table}" in todo:
            conn.exec_driver_sql(f"SELECT create_hypertable('{table}', 'time', migrate_data => TRUE)")
    if "compression of ohlcv" in todo:
        conn.exec_driver_sql(
            "ALTER TABLE ohlcv SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol, timeframe', "
            "timescaledb.compress_orderby = 'time DESC')"
        )
    if "compression policy on ohlcv" in todo:
        conn.exec_driver_sql(f"SELECT add_compression_policy('ohlcv', INTERVAL '{COMPRESS_AFTER}')")
    new_views = [v for v in CONTINUOUS_AGGREGATES if f"continuous aggregate {v}" in todo]
    for view, (tf_name, start, end, every) in CONTINUOUS_AGGREGATES.items():
        if view in new_views:
            conn.exec_driver_sql(_cagg_sql(view, parse_timeframe(tf_name)))
        if view in new_views or f"refresh policy of {view}" in todo:
            conn.exec_driver_sql(
                f"SELECT add_continuous_aggregate_policy('{view}', start_offset => INTERVAL '{start}', "
                f"end_offset => INTERVAL '{end}', schedule_interval => INTERVAL '{every}')"
            )
    if new_views:  # a database converted with its rows: materialise their history now, not bucket by bucket later
        span = conn.exec_driver_sql(
            "SELECT CAST(EXTRACT(EPOCH FROM min(time)) AS BIGINT), CAST(EXTRACT(EPOCH FROM max(time)) AS BIGINT) "
            f"FROM ohlcv WHERE timeframe = '{BASE_TIMEFRAME}'"
        ).one()
        if span[0] is not None:
            refresh(conn, [(int(span[0]), int(span[1]))])
    return todo


def can_refresh(conn: Connection) -> bool:
    """Whether the connected role owns every continuous aggregate (directly or through a role)."""
    sql = (
        "SELECT bool_and(pg_has_role(current_user, c.relowner, 'USAGE')) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = current_schema() AND c.relname IN ({', '.join(repr(v) for v in CONTINUOUS_AGGREGATES)})"
    )
    return bool(conn.exec_driver_sql(sql).scalar())


def watermarks(conn: Connection) -> dict[str, float]:
    """Epoch seconds up to which each aggregate is materialised (a huge negative number: nothing yet)."""
    sql = (
        "SELECT user_view_name, EXTRACT(EPOCH FROM _timescaledb_functions.to_timestamp("
        "_timescaledb_functions.cagg_watermark(mat_hypertable_id))) FROM _timescaledb_catalog.continuous_agg "
        "WHERE user_view_schema = current_schema()"
    )
    return {r[0]: float(r[1]) for r in conn.exec_driver_sql(sql) if r[0] in CONTINUOUS_AGGREGATES}


def windows(first: int, last: int, marks: dict[str, float]) -> dict[str, tuple[int, int]]:
    """Per aggregate, the [start, end) of the buckets to refresh after 1m bars from ``first`` to ``last`` were written.

    Every bucket the range touched, except a last bucket that the write leaves incomplete and
    that is not yet materialised (at or above the watermark in ``marks``): real-time reads
    cover that one, and leaving it out keeps the watermark below it, so the live bars that
    complete it need no refresh either. Empty windows are left out.
    """
    out = {}
    for view, (tf_name, *_rest) in CONTINUOUS_AGGREGATES.items():
        tf = parse_timeframe(tf_name)
        lo, tail = tf.floor(first), tf.floor(last)
        hi = tail + tf.seconds
        if last + BASE_SECONDS < hi and tail >= marks.get(view, float("-inf")):
            hi = tail
        if hi > lo:
            out[view] = (lo, hi)
    return out


def stale_views(conn: Connection, first: int) -> list[tuple[str, float]]:
    """Aggregates whose materialised buckets a write of 1m bars from ``first`` on would make stale."""
    marks = watermarks(conn)
    out = []
    for view, (tf_name, *_rest) in CONTINUOUS_AGGREGATES.items():
        if parse_timeframe(tf_name).floor(first) < marks.get(view, float("-inf")):
            out.append((view, marks[view]))
    return out


def _literal(epoch_s: int) -> str:
    return "'" + datetime.fromtimestamp(epoch_s, tz=UTC).isoformat() + "'::timestamptz"


def refresh(conn: Connection, ranges: Sequence[tuple[int, int]]) -> list[str]:
    """Materialise, on an AUTOCOMMIT connection, the complete buckets of the combined 1m ``ranges``.

    One single-pass refresh per aggregate whatever the number of series; returns the views refreshed.
    """
    if not ranges:
        return []
    first, last = min(r[0] for r in ranges), max(r[1] for r in ranges)
    done = []
    for view, (lo, hi) in windows(first, last, watermarks(conn)).items():
        conn.exec_driver_sql(
            f"CALL refresh_continuous_aggregate('{view}', {_literal(lo)}, {_literal(hi)}, "
            f"options => '{REFRESH_OPTIONS}')"
        )
        done.append(view)
    return done


def aggregate_sql(src: Timeframe, target: Timeframe) -> str | None:
    """Read ``target`` from its continuous aggregate when it is built from ``src``; else None."""
    view = _VIEW_FOR.get(target.name)
    if view is None or src.name != BASE_TIMEFRAME:
        return None
    return (
        "SELECT CAST(EXTRACT(EPOCH FROM time) AS BIGINT), open, high, low, close, volume, vwap, trade_count "
        f"FROM (SELECT bucket AS time, open, high, low, close, volume, vwap, trade_count FROM {view} "
        "WHERE symbol = :symbol) a WHERE TRUE{where} ORDER BY time {order}"
    )


def jobs(conn: Connection) -> list[dict[str, object]]:
    """Every TimescaleDB background job with its health, for ``uptrade db jobs`` and the docs' checks."""
    sql = (
        "SELECT j.job_id, j.proc_name, j.hypertable_name AS target, j.schedule_interval, s.last_run_status, "
        "CASE WHEN isfinite(s.last_successful_finish) THEN s.last_successful_finish END AS last_successful_finish, "
        "s.total_runs, s.total_failures, CASE WHEN isfinite(s.next_start) THEN s.next_start END AS next_start, "
        "(SELECT e.err_message FROM timescaledb_information.job_errors e WHERE e.job_id = j.job_id "
        "ORDER BY e.finish_time DESC LIMIT 1) AS last_error "
        "FROM timescaledb_information.jobs j "
        "LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id "
        "WHERE j.proc_name IN ('policy_compression', 'policy_refresh_continuous_aggregate') ORDER BY j.job_id"
    )
    return [dict(r) for r in conn.exec_driver_sql(sql).mappings()]
