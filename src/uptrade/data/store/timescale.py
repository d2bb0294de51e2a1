"""TimescaleDB features, switched on when the extension is installed or can be created.

* all four series tables become hypertables on ``time`` (existing rows migrated);
* ``ohlcv_5m``, ``ohlcv_1h`` and ``ohlcv_1d`` are continuous aggregates of the 1m rows with the
  same rules as the generic aggregation in :mod:`uptrade.data.store.base` (first open, max high,
  min low, last close, summed volume, volume-weighted vwap and summed trade count only when every
  bar has them), real-time (``materialized_only = false``) and kept fresh by refresh policies and
  by an explicit refresh of the written range after every 1m write (so back-filled history is
  right at once, not only inside the policy window);
* ``ohlcv`` is compressed (segment by symbol, timeframe) by a 7-day policy.

Continuous-aggregate DDL and ``refresh_continuous_aggregate`` refuse to run inside a
transaction block, so everything here runs on an AUTOCOMMIT connection and is idempotent.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uptrade.data.store.schema import SERIES_TABLES
from uptrade.data.timeframes import Timeframe, parse_timeframe

log = logging.getLogger(__name__)

BASE_TIMEFRAME = "1m"
#: view -> (bucket timeframe, policy start_offset, end_offset, schedule_interval)
CONTINUOUS_AGGREGATES: dict[str, tuple[str, str, str, str]] = {
    "ohlcv_5m": ("5m", "1 day", "5 minutes", "5 minutes"),
    "ohlcv_1h": ("1h", "3 days", "1 hour", "30 minutes"),
    "ohlcv_1d": ("1d", "7 days", "1 day", "1 hour"),
}
_VIEW_FOR = {tf: view for view, (tf, *_rest) in CONTINUOUS_AGGREGATES.items()}


def installed_version(conn: Connection) -> str | None:
    """The installed extension version, or None."""
    return conn.exec_driver_sql("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").scalar()


def ensure_extension(engine: Engine) -> str | None:
    """Create the extension when the server offers it; return the installed version or None."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        version = installed_version(conn)
        if version:
            return version
        offered = conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").first()
        if not offered:
            return None
        try:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS timescaledb")
        except sa.exc.DBAPIError as exc:
            log.warning(
                "timescaledb offered but could not be created; plain PostgreSQL mode",
                extra={"reason": str(exc.orig).splitlines()[0]},
            )
            return None
        return installed_version(conn)


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


def setup(engine: Engine) -> None:
    """Hypertables, compression and continuous aggregates with their policies (idempotent)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in SERIES_TABLES:
            conn.exec_driver_sql(
                f"SELECT create_hypertable('{table}', 'time', if_not_exists => TRUE, migrate_data => TRUE)"
            )
        compressed = conn.exec_driver_sql(
            "SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = 'ohlcv'"
        ).scalar()
        if not compressed:
            conn.exec_driver_sql(
                "ALTER TABLE ohlcv SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol, timeframe', "
                "timescaledb.compress_orderby = 'time DESC')"
            )
        conn.exec_driver_sql("SELECT add_compression_policy('ohlcv', INTERVAL '7 days', if_not_exists => TRUE)")
        for view, (tf_name, start, end, every) in CONTINUOUS_AGGREGATES.items():
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_name = %s", (view,)
            ).first()
            if not exists:
                conn.exec_driver_sql(_cagg_sql(view, parse_timeframe(tf_name)))
                log.info("continuous aggregate created", extra={"view": view})
            conn.exec_driver_sql(
                f"SELECT add_continuous_aggregate_policy('{view}', start_offset => INTERVAL '{start}', "
                f"end_offset => INTERVAL '{end}', schedule_interval => INTERVAL '{every}', if_not_exists => TRUE)"
            )


def _literal(epoch_s: int) -> str:
    return "'" + datetime.fromtimestamp(epoch_s, tz=UTC).isoformat() + "'::timestamptz"


def refresh(engine: Engine, first: int, last: int) -> None:
    """Materialise every continuous aggregate over the buckets that [first, last] touched."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for view, (tf_name, *_rest) in CONTINUOUS_AGGREGATES.items():
            tf = parse_timeframe(tf_name)
            lo, hi = tf.floor(first), tf.floor(last) + tf.seconds
            conn.exec_driver_sql(f"CALL refresh_continuous_aggregate('{view}', {_literal(lo)}, {_literal(hi)})")


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
