"""Many-series writes on TimescaleDB, where each write call refreshes the continuous aggregates.

Two shapes that the updater produces, on real BTC/USDT 1m bars scaled per symbol:

* back-fill: 100 symbols x 2,880 bars (two days), one ``write_batch`` per series; then the second
  day rewritten the same way inside ``Store.deferred_refresh()`` (one refresh for all series);
* live: 60 rounds of one ``write_batches`` call with one new bar for each of the 100 series.

Prints the total and per-call times on TimescaleDB beside the same writes on plain PostgreSQL
(the anchor: no aggregates to keep fresh), and the ratio. A refresh per series made the back-fill
grow with every symbol (0.08 s to 2.3 s a write) and spent 0.9 of 1.3 s of a live round in 100
refreshes.

    python benchmarks/bench_tsdb_writes.py [--timescale URL] [--pg URL] [--symbols 100]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from pathlib import Path

import pandas as pd
import psycopg
import sqlalchemy as sa

from uptrade.data.frames import OHLCVBatch
from uptrade.data.io import read_table
from uptrade.data.store import open_store
from uptrade.data.timeframes import parse_timeframe
from uptrade.data.validate import frame_to_batch

MARKET = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"
BACKFILL_BARS = 2_880
LIVE_ROUNDS = 60
ONE_MINUTE = parse_timeframe("1m")


def _batch(df: pd.DataFrame, k: float) -> OHLCVBatch:
    out = df.copy()
    for col in ("open", "high", "low", "close"):
        out[col] = out[col] * k
    return frame_to_batch(out, ONE_MINUTE, "bench")


def run(admin_url: str, df: pd.DataFrame, symbols: list[str], timescaledb: bool) -> dict[str, list[float]]:
    name = f"uptrade_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = sa.make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(False)
    try:
        store = open_store(url, init=True, timescaledb=timescaledb)
        assert store.mode == ("timescaledb" if timescaledb else "postgresql"), store.mode
        scale = {s: 1 + i / 100 for i, s in enumerate(symbols)}
        backfill = []
        for s in symbols:
            batch = _batch(df.iloc[:BACKFILL_BARS], scale[s])
            start = time.perf_counter()
            store.write_batch(batch, s, "1m")
            backfill.append(time.perf_counter() - start)
        grouped = []  # the second day again, every series in one deferred refresh
        later = df.iloc[BACKFILL_BARS // 2 : BACKFILL_BARS]
        start = time.perf_counter()
        with store.deferred_refresh():
            for s in symbols:
                store.write_batch(_batch(later, scale[s] * 1.001), s, "1m")
        grouped.append(time.perf_counter() - start)
        live = []
        for i in range(LIVE_ROUNDS):
            bar = df.iloc[BACKFILL_BARS + i : BACKFILL_BARS + i + 1]
            items = [(_batch(bar, scale[s]), s, "1m") for s in symbols]
            start = time.perf_counter()
            store.write_batches(items)
            live.append(time.perf_counter() - start)
        store.close()
        return {"backfill": backfill, "grouped": grouped, "live": live}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timescale", default="postgresql://postgres@127.0.0.1:5433/postgres")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--symbols", type=int, default=100)
    args = parser.parse_args()
    table = read_table(MARKET / "btcusdt_1m_binance.csv.gz").table.iloc[: BACKFILL_BARS + LIVE_ROUNDS]
    df = table.set_index(pd.DatetimeIndex(table.pop("time"), name="time"))
    symbols = [f"S{i:03d}-USDT" for i in range(args.symbols)]
    results = {
        "timescaledb": run(args.timescale, df, symbols, True),
        "postgresql": run(args.pg, df, symbols, False),
    }
    print(
        f"{args.symbols} series: back-fill of {BACKFILL_BARS:,} 1m bars each, "
        f"then {LIVE_ROUNDS} live rounds of 1 bar each"
    )
    print(
        f"{'backend':<12} {'back-fill':>10} {'first':>7} {'last':>7} {'max':>7}   {'deferred':>9}   "
        f"{'live round median':>18} {'max':>7}"
    )
    for backend, r in results.items():
        b, live = r["backfill"], r["live"]
        print(
            f"{backend:<12} {sum(b):>8.1f} s {b[0]:>7.3f} {b[-1]:>7.3f} {max(b):>7.3f}   {r['grouped'][0]:>7.1f} s   "
            f"{statistics.median(live):>16.3f} s {max(live):>7.3f}"
        )
    ts, pg = results["timescaledb"], results["postgresql"]
    print(
        f"TimescaleDB / PostgreSQL: back-fill {sum(ts['backfill']) / sum(pg['backfill']):.2f}x, "
        f"deferred {ts['grouped'][0] / pg['grouped'][0]:.2f}x, "
        f"live round {statistics.median(ts['live']) / statistics.median(pg['live']):.2f}x"
    )


if __name__ == "__main__":
    main()
