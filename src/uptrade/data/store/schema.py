"""Tables, as in ARCHITECTURE.md, and the versioned migrations that create and upgrade them.

``time`` is the bar's open time in UTC: ``TIMESTAMPTZ`` on PostgreSQL, and on SQLite whole epoch
seconds in an ``INTEGER`` (fast to compare, bucket and index; SQLite has no time type). Primary
keys lead with the series columns and end with ``time`` so that one index serves both the
idempotent upsert and range reads of one series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlalchemy.engine import Connection

metadata = sa.MetaData()

Time = sa.BigInteger().with_variant(TIMESTAMP(timezone=True), "postgresql")
Json = sa.JSON().with_variant(JSONB(), "postgresql")

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", sa.Text, nullable=False),
)

ohlcv = sa.Table(
    "ohlcv",
    metadata,
    sa.Column("time", Time, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("timeframe", sa.Text, nullable=False),
    sa.Column("open", sa.Float(53), nullable=False),
    sa.Column("high", sa.Float(53), nullable=False),
    sa.Column("low", sa.Float(53), nullable=False),
    sa.Column("close", sa.Float(53), nullable=False),
    sa.Column("volume", sa.Float(53), nullable=False),
    sa.Column("vwap", sa.Float(53)),
    sa.Column("trade_count", sa.BigInteger),
    sa.PrimaryKeyConstraint("symbol", "timeframe", "time", name="ohlcv_pkey"),
    sqlite_with_rowid=False,
)

indicator_signals = sa.Table(
    "indicator_signals",
    metadata,
    sa.Column("time", Time, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("timeframe", sa.Text, nullable=False),
    sa.Column("indicator", sa.Text, nullable=False),
    sa.Column("signal", sa.SmallInteger, nullable=False),
    sa.Column("value", sa.Float(53)),
    sa.Column("params", Json),
    sa.PrimaryKeyConstraint("symbol", "timeframe", "indicator", "time", name="indicator_signals_pkey"),
    sqlite_with_rowid=False,
)

bot_performance = sa.Table(
    "bot_performance",
    metadata,
    sa.Column("time", Time, nullable=False),
    sa.Column("bot_name", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text),
    sa.Column("exchange", sa.Text),
    sa.Column("pnl", sa.Float(53)),
    sa.Column("trades", sa.Integer),
    sa.Column("win_rate", sa.Float(53)),
    sa.Column("drawdown", sa.Float(53)),
    sa.Column("sharpe", sa.Float(53)),
    # v5: where the row comes from ('paper': UpTrade's paper engine, 'hummingbot': synced from
    # hummingbot-api), and the figures Hummingbot's performance report has beyond the PnL
    sa.Column("source", sa.Text),
    sa.Column("realized_pnl", sa.Float(53)),
    sa.Column("unrealized_pnl", sa.Float(53)),
    sa.Column("volume", sa.Float(53)),
    sa.PrimaryKeyConstraint("bot_name", "time", name="bot_performance_pkey"),
    sqlite_with_rowid=False,
)

dominant_cycles = sa.Table(
    "dominant_cycles",
    metadata,
    sa.Column("time", Time, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("timeframe", sa.Text, nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("period", sa.Float(53)),
    sa.Column("power", sa.Float(53)),
    sa.Column("composite", sa.Float(53)),
    # v3: what the multi-timeframe detector reports beside period (bars) and power.
    sa.Column("period_minutes", sa.Float(53)),
    sa.Column("hurst_cycle", sa.Text),
    sa.Column("suggested_length", sa.Integer),
    sa.Column("base_timeframe", sa.Text),
    sa.PrimaryKeyConstraint("symbol", "timeframe", "method", "time", name="dominant_cycles_pkey"),
    sqlite_with_rowid=False,
)

feed_status = sa.Table(
    "feed_status",
    metadata,
    sa.Column("feed", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("timeframe", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("last_success", sa.DateTime(timezone=True)),
    sa.Column("last_candle", sa.DateTime(timezone=True)),
    sa.Column("lag_candles", sa.BigInteger),
    sa.Column("last_error", sa.Text),
    sa.Column("errors", sa.Integer, nullable=False, default=0),
    sa.Column("rows_written", sa.BigInteger, nullable=False, default=0),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# v4: paper trading (uptrade.execution.paper). A run's state, keyed by bot name; its executors,
# keyed by bot and open time (one executor per bar at most), so every write is an idempotent upsert.
paper_runs = sa.Table(
    "paper_runs",
    metadata,
    sa.Column("bot_name", sa.Text, primary_key=True),
    sa.Column("config_hash", sa.Text, nullable=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("timeframe", sa.Text, nullable=False),
    sa.Column("exchange", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),  # replay or live
    sa.Column("first_bar", Time, nullable=False),  # the bars are re-run from here on a restart
    sa.Column("trade_from", Time, nullable=False),  # executors open from this bar on (live: after the warm-up)
    sa.Column("end_bar", Time),  # a replay's last bar
    sa.Column("last_bar", Time),  # the last bar processed and written
    sa.Column("status", sa.Text, nullable=False),  # running, stopped, finished or ruined
    sa.Column("initial_capital", sa.Float(53), nullable=False),
    sa.Column("equity", sa.Float(53)),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.Text),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

paper_executors = sa.Table(
    "paper_executors",
    metadata,
    sa.Column("bot_name", sa.Text, nullable=False),
    sa.Column("open_time", Time, nullable=False),
    sa.Column("executor_id", sa.Text, nullable=False),
    sa.Column("side", sa.Text, nullable=False),  # BUY or SELL
    sa.Column("status", sa.Text, nullable=False),  # open or closed
    sa.Column("close_time", Time),
    sa.Column("close_type", sa.Text),
    sa.Column("entry_price", sa.Float(53), nullable=False),
    sa.Column("exit_price", sa.Float(53)),
    sa.Column("last_price", sa.Float(53), nullable=False),  # the close it was last marked at
    sa.Column("amount", sa.Float(53), nullable=False),  # base
    sa.Column("amount_quote", sa.Float(53), nullable=False),  # notional at entry
    sa.Column("net_pnl_quote", sa.Float(53), nullable=False),  # realised, or marked while open
    sa.Column("net_pnl_pct", sa.Float(53), nullable=False),
    sa.Column("fees_quote", sa.Float(53), nullable=False),
    sa.PrimaryKeyConstraint("bot_name", "open_time", name="paper_executors_pkey"),
    sqlite_with_rowid=False,
)

#: The time-series tables (hypertables on TimescaleDB).
SERIES_TABLES = ("ohlcv", "indicator_signals", "bot_performance", "dominant_cycles")


@dataclass(frozen=True)
class Migration:
    """One schema step; ``apply`` runs inside the migration's transaction."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[ohlcv, indicator_signals, bot_performance, dominant_cycles])


def _create_v2(conn: Connection) -> None:
    metadata.create_all(conn, tables=[feed_status])


#: Columns migration 3 adds to ``dominant_cycles`` (a database created at v1 lacks them).
_V3_CYCLE_COLUMNS = ("period_minutes", "hurst_cycle", "suggested_length", "base_timeframe")


def _add_columns(conn: Connection, table: sa.Table, names: tuple[str, ...]) -> None:
    """``ALTER TABLE ... ADD COLUMN`` each of ``names`` the table lacks (a database created earlier)."""
    have = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
    for name in names:
        if name not in have:
            kind = table.c[name].type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")


def _alter_v3(conn: Connection) -> None:
    _add_columns(conn, dominant_cycles, _V3_CYCLE_COLUMNS)


def _create_v4(conn: Connection) -> None:
    metadata.create_all(conn, tables=[paper_runs, paper_executors])


#: Columns migration 5 adds to ``bot_performance``.
_V5_PERFORMANCE_COLUMNS = ("source", "realized_pnl", "unrealized_pnl", "volume")


def _alter_v5(conn: Connection) -> None:
    _add_columns(conn, bot_performance, _V5_PERFORMANCE_COLUMNS)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "ohlcv, indicator_signals, bot_performance, dominant_cycles", _create_v1),
    Migration(2, "feed_status (per-feed state of the data updater)", _create_v2),
    Migration(3, "dominant_cycles: period_minutes, hurst_cycle, suggested_length, base_timeframe", _alter_v3),
    Migration(4, "paper_runs, paper_executors (paper trading)", _create_v4),
    Migration(5, "bot_performance: source, realized_pnl, unrealized_pnl, volume (hummingbot-api sync)", _alter_v5),
)
LATEST_VERSION = MIGRATIONS[-1].version
