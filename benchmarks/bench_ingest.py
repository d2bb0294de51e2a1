"""Ingest and read speed: real BTC/USDT 1m rows into SQLite, PostgreSQL and TimescaleDB.

Prints rows/s of ``Store.write_ohlcv`` (validation + upsert, one transaction; on TimescaleDB also
the refresh of its continuous aggregates) against two bare anchors on the same rows and the same
primary key: ``sqlite3.executemany`` of prebuilt tuples, and a ``COPY ... FROM STDIN`` of prebuilt
CSV text into an empty table (on TimescaleDB: an empty hypertable). Goal: >= 300k rows/s. Then
the time of full reads of 5m/15m/1h/4h/1d/1w aggregated from the 1m rows on each backend, with the
ratio to SQLite and to pandas resampling the same frame in memory.

    python benchmarks/bench_ingest.py [--rows N] [--pg URL] [--timescale URL | --timescale '']

``--timescale`` defaults to the cluster that scripts/timescaledb.sh starts (127.0.0.1:5433);
an empty value, or a server that does not answer, leaves TimescaleDB out with a note.
"""

from __future__ import annotations

import argparse
import io
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import psycopg

from uptrade.data.io import read_table
from uptrade.data.store import Store, open_store

MARKET = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"
DDL = (
    "CREATE TABLE ohlcv (time {time} NOT NULL, symbol TEXT NOT NULL, timeframe TEXT NOT NULL, "
    "open {f} NOT NULL, high {f} NOT NULL, low {f} NOT NULL, close {f} NOT NULL, volume {f} NOT NULL, "
    "vwap {f}, trade_count BIGINT, PRIMARY KEY (symbol, timeframe, time)){suffix}"
)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


READ_TARGETS = ("5m", "15m", "1h", "4h", "1d", "1w")


def read_times(store: Store) -> dict[str, float]:
    """Seconds to read every candle of each target timeframe (aggregated from the stored 1m rows)."""
    return {tf: timed(lambda tf=tf: store.read_ohlcv("BTC-USDT", tf)) for tf in READ_TARGETS}


def pandas_times(df: pd.DataFrame) -> dict[str, float]:
    """The in-memory anchor: pandas resampling of the same frame with the same rules."""
    rules = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    offsets = {"5m": "5min", "15m": "15min", "1h": "1h", "4h": "4h", "1d": "1D", "1w": "W-MON"}
    return {
        tf: timed(lambda tf=tf: df.resample(offsets[tf], label="left", closed="left").agg(rules)) for tf in READ_TARGETS
    }


def bench_sqlite(df: pd.DataFrame, tmp: Path) -> tuple[float, float, float, dict[str, float]]:
    rows = [
        (int(t.timestamp()), "BTC-USDT", "1m", o, h, lo, c, v, None, None)
        for t, o, h, lo, c, v in zip(
            df.index, df["open"], df["high"], df["low"], df["close"], df["volume"], strict=True
        )
    ]
    conn = sqlite3.connect(tmp / "bare.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(DDL.format(time="INTEGER", f="REAL", suffix=" WITHOUT ROWID"))

    def bare() -> None:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO ohlcv VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")

    anchor = timed(bare)
    conn.close()
    store = open_store(f"sqlite:///{tmp / 'store.db'}")
    ours = timed(lambda: store.write_ohlcv(df, "BTC-USDT", "1m"))
    again = timed(lambda: store.write_ohlcv(df, "BTC-USDT", "1m"))
    reads = read_times(store)
    store.close()
    return ours, again, anchor, reads


def bench_postgres(
    df: pd.DataFrame, admin_url: str, *, timescaledb: bool
) -> tuple[float, float, float, dict[str, float]]:
    name = f"uptrade_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(admin_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = psycopg.conninfo.make_conninfo(admin_url, dbname=name)
    try:
        csv = io.StringIO()
        table = pd.DataFrame(
            {
                "time": df.index.strftime("%Y-%m-%d %H:%M:%S+00"),
                "symbol": "BTC-USDT",
                "timeframe": "1m",
                **{c: df[c] for c in ("open", "high", "low", "close", "volume")},
            }
        )
        table.to_csv(csv, index=False, header=False)
        payload = csv.getvalue().encode()
        with psycopg.connect(url) as conn:
            conn.execute(DDL.format(time="TIMESTAMPTZ", f="DOUBLE PRECISION", suffix="").replace("ohlcv", "bare"))
            if timescaledb:
                conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
                conn.execute("SELECT create_hypertable('bare', 'time')")
            conn.commit()

            def bare() -> None:
                with (
                    conn.cursor() as cur,
                    cur.copy(
                        "COPY bare (time, symbol, timeframe, open, high, low, close, volume) FROM STDIN (FORMAT csv)"
                    ) as copy,
                ):
                    copy.write(payload)
                conn.commit()

            anchor = timed(bare)
        store = open_store(_sa_url(admin_url, name), init=True, timescaledb=timescaledb)
        assert store.mode == ("timescaledb" if timescaledb else "postgresql"), store.mode
        ours = timed(lambda: store.write_ohlcv(df, "BTC-USDT", "1m"))
        again = timed(lambda: store.write_ohlcv(df, "BTC-USDT", "1m"))
        reads = read_times(store)
        store.close()
        return ours, again, anchor, reads
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _sa_url(admin_url: str, db: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(admin_url).set(drivername="postgresql+psycopg", database=db).render_as_string(False)


def _answers(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        print(f"TimescaleDB left out: {url} does not answer ({str(exc).strip().splitlines()[0]})")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--timescale", default="postgresql://postgres@127.0.0.1:5433/postgres")
    args = parser.parse_args()
    table = read_table(MARKET / "btcusdt_1m_binance.csv.gz").table.iloc[: args.rows]
    df = table.set_index(pd.DatetimeIndex(table.pop("time"), name="time"))
    n = len(df)
    print(f"{n:,} real BTC/USDT 1m rows ({df.index[0]} .. {df.index[-1]})")
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "sqlite": (*bench_sqlite(df, Path(tmp)), "sqlite3.executemany"),
            "postgresql": (*bench_postgres(df, args.pg, timescaledb=False), "bare COPY"),
        }
        if args.timescale and _answers(args.timescale):
            results["timescaledb"] = (*bench_postgres(df, args.timescale, timescaledb=True), "bare COPY (hypertable)")
    print(f"{'backend':<11} {'write_ohlcv':>14} {'re-upsert':>14} {'anchor':>14}  ratio (ours/anchor time)")
    for backend, (ours, again, anchor, _reads, anchor_name) in results.items():
        print(
            f"{backend:<11} {n / ours:>10,.0f} r/s {n / again:>10,.0f} r/s {n / anchor:>10,.0f} r/s  "
            f"{ours / anchor:.2f}x vs {anchor_name}  goal >= 300,000 r/s: {'met' if n / ours >= 300_000 else 'MISSED'}"
        )
    print(f"{'':<11} import {', '.join(f'{b} {r[0]:.1f} s' for b, r in results.items())}")
    anchor_reads = pandas_times(df)
    sqlite_reads = results["sqlite"][3]
    print(f"full reads (s)  {' '.join(f'{tf:>7}' for tf in READ_TARGETS)}   ratio to sqlite / to pandas, summed")
    for backend, (*_w, reads, _name) in results.items():
        total = sum(reads.values())
        print(
            f"{backend:<15} {' '.join(f'{reads[tf]:>7.2f}' for tf in READ_TARGETS)}   "
            f"{total / sum(sqlite_reads.values()):.2f}x / {total / sum(anchor_reads.values()):.1f}x"
        )
    print(f"{'pandas (memory)':<15} {' '.join(f'{anchor_reads[tf]:>7.2f}' for tf in READ_TARGETS)}")


if __name__ == "__main__":
    main()
