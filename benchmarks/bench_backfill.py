"""Backfill speed: one year of real 1m BTC/USDT candles (2024, 527,040 bars) from the fake Polygon
server (its own process, real HTTP, pages of 50,000) into SQLite and PostgreSQL.

Prints, per backend, the seconds of ``DataUpdaterService`` in backfill mode (fetch, validate,
write, status) against two anchors measured in the same run on the same bars: the fetch alone
(``PolygonSource`` through the official client, nothing stored) and the store write alone
(``Store.write_batch`` of the already fetched batch). Target: under 30 s (originally 2 min).

    python benchmarks/bench_backfill.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.market import FakeClock, Market, Series  # noqa: E402
from tests.fakes.polygon import serve_polygon  # noqa: E402

from uptrade.data.io import read_table  # noqa: E402
from uptrade.data.sources.polygon import PolygonSource  # noqa: E402
from uptrade.data.store import open_store  # noqa: E402
from uptrade.data.updater import DataUpdaterService, UpdaterConfig  # noqa: E402
from uptrade.settings import Settings  # noqa: E402

MARKET = ROOT.parent / "shared" / "data" / "market"
START, END = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-12-31 23:59", tz="UTC")


def backfill(url: str, base_url: str, clock: FakeClock) -> tuple[float, int]:
    config = UpdaterConfig.parse(
        {"feeds": [{"source": "polygon", "symbol": "BTC-USDT", "timeframe": "1m", "start": START, "end": END}]}
    )
    settings = Settings(polygon_api_key="bench", polygon_base_url=base_url)  # type: ignore[call-arg]
    with open_store(url) as store:
        service = DataUpdaterService(store, config, settings=settings, clock=clock, once=True)
        started = time.perf_counter()
        status = asyncio.run(service.run())
        seconds = time.perf_counter() - started
        rows = store.coverage("BTC-USDT")[0].rows
    st = status["polygon:BTC-USDT:1m"]
    if st.state != "done":
        raise SystemExit(f"backfill did not finish: {st}")
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    table = read_table(MARKET / "btcusdt_1m_binance.csv.gz").table
    frame = table.set_index(pd.DatetimeIndex(table.pop("time"), name="time")).loc[START:END]
    market = Market()
    market.add("X:BTCUSDT", Series(frame, 60))
    clock = FakeClock((END + pd.Timedelta(minutes=2)).timestamp())
    print(f"{len(frame):,} bars of 2024 1m BTC/USDT; fake Polygon server in its own process")

    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
    db = f"uptrade_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
    pg_url = admin.url.set(database=db).render_as_string(hide_password=False)
    try:
        with serve_polygon(market, clock, process=True, api_key="bench") as fake, tempfile.TemporaryDirectory() as tmp:

            async def fetch_only() -> object:
                source = PolygonSource("bench", fake.base_url, clock=clock.now)
                try:
                    return await source.fetch_ohlcv("BTC-USDT", "1m", START, END)
                finally:
                    await source.aclose()

            started = time.perf_counter()
            batch = asyncio.run(fetch_only())
            fetch_s = time.perf_counter() - started
            print(f"anchor fetch only      : {fetch_s:6.2f} s  ({len(batch) / fetch_s:,.0f} bars/s)")  # type: ignore[arg-type]
            for name, url in (("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}"), ("postgresql", pg_url)):
                with open_store(url) as store:
                    started = time.perf_counter()
                    store.write_batch(batch, "ETH-USDT", "1m")  # type: ignore[arg-type]
                    write_s = time.perf_counter() - started
                seconds, rows = backfill(url, fake.base_url, clock)
                print(
                    f"{name:<10} write only : {write_s:6.2f} s | backfill {seconds:6.2f} s "
                    f"({rows / seconds:,.0f} bars/s) = {seconds / (fetch_s + write_s):.2f}x fetch+write, "
                    f"{seconds / 30:.2f} of the 30 s target"
                )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
