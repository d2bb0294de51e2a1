"""Live polling in real time: the updater's lag, CPU per poll and the highest speed it keeps up with.

The fleet of ``tests/test_updater_scale.py`` (100 symbols x 1m/5m/15m/1h, real BTC 1m candles
scaled per symbol, the fake Polygon server in its own process, real HTTP through the official
client) runs against a clock that goes ``--speed`` times real time. Every 50 ms of real time the
benchmark reads each feed's status and counts the candles the source has closed that the feed
has not stored (its lag). It prints, per speed:

* lag percentiles in candles over every observation after the warm-up (each feed's backfill);
* CPU per poll: this process's CPU time over the feed cycles it ran, beside the anchor of the
  same requests made one after another through ``PolygonSource`` alone (nothing stored);
* whether the fleet kept up. Polling every 0.8 of a candle and sleeping after each cycle, a feed
  that keeps up is at most one closed candle short, or two for a moment when a cycle ran long
  (at 288x a 1m candle lasts 0.21 s of real time). So the fleet keeps up when no feed is ever
  more than two candles behind and at most 1% of observations are two behind.

``--simulated HOURS`` runs the same fleet on the scale test's discrete-event clock instead: a
simulated half hour of warm-up, then HOURS simulated hours, and prints this process's CPU per feed
cycle, split between the event loop's thread and the others (the store's writer). The host's
speed does not change what runs there (every feed of an instant polls at that instant), so this
figure drifts less than the real-time one; compare versions in one sitting.

``--find-max`` doubles the speed from ``--speed`` until the fleet does not keep up, then bisects,
and prints the highest speed at which it did, against the 288x (a simulated day in 5 minutes) the
data issue set. These are figures of this machine at this moment, not assertions: the tests
check the updater's behaviour in simulated time, independent of the host's speed.

    python benchmarks/bench_updater.py [--speed 288] [--seconds 30] [--find-max] [--pg URL] [--simulated HOURS]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.clock import SimClock  # noqa: E402
from tests.fakes.market import FakeClock, Market, Series  # noqa: E402
from tests.fakes.polygon import serve_polygon  # noqa: E402

from uptrade.data.io import read_table  # noqa: E402
from uptrade.data.sources.polygon import PolygonSource  # noqa: E402
from uptrade.data.store import open_store  # noqa: E402
from uptrade.data.timeframes import parse_timeframe  # noqa: E402
from uptrade.data.updater import DataUpdaterService, UpdaterConfig  # noqa: E402
from uptrade.settings import Settings  # noqa: E402

MARKET = ROOT.parent / "shared" / "data" / "market"
DAY = pd.Timestamp("2024-05-01", tz="UTC")
TIMEFRAMES = ("1m", "5m", "15m", "1h")
TARGET_SPEED = 288.0
#: Days of candles served: 30 s at 20,000x after the warm-up.
HORIZON_DAYS = 8


class CountingClock(FakeClock):
    """The real-time fake clock, counting the feed cycles (every cycle ends in one sleep)."""

    def __init__(self, now: float, speed: float) -> None:
        super().__init__(now, speed)
        self.cycles = 0

    async def sleep(self, seconds: float) -> None:
        self.cycles += 1
        await super().sleep(seconds)


def market_for(symbols: int) -> tuple[Market, list[str]]:
    table = read_table(MARKET / "btcusdt_1m_binance.csv.gz").table
    frame = table.set_index(pd.DatetimeIndex(table.pop("time"), name="time"))
    base = frame.loc[DAY - pd.Timedelta(hours=2) : DAY + pd.Timedelta(days=HORIZON_DAYS)]
    market = Market()
    names = [f"S{k:03d}-USD" for k in range(symbols)]
    for k, sym in enumerate(names):
        market.add(f"X:{sym.replace('-', '')}", Series(base, 60, scale=1 + k / 1000))
    return market, names


def anchor_cpu_per_request(base_url: str, clock: FakeClock, requests: int = 2000) -> float:
    """CPU seconds per request of ``PolygonSource`` alone: one closed 1m bar per request, in sequence."""
    source = PolygonSource("bench", base_url, clock=clock.now)
    now = int(clock.now()) // 60 * 60

    async def go() -> float:
        for k in range(requests + 100):
            if k == 100:  # after a warm-up: imports done, kernels loaded, connections open
                cpu = time.process_time()
            t = now - 60 * (2 + k % 60)
            await source.fetch_ohlcv("S000-USD", "1m", t, t)
        await source.aclose()
        return (time.process_time() - cpu) / requests

    return asyncio.run(go())


def run_at(speed: float, seconds: float, symbols: list[str], market: Market, url: str, warmup: float) -> dict:
    """Run the fleet at ``speed`` for ``seconds`` of real time after ``warmup`` simulated seconds."""
    clock = CountingClock(DAY.timestamp(), speed)
    config = fleet_config(symbols)
    tfs = {f.key: parse_timeframe(f.timeframe).seconds for f in config.feeds}
    lags: list[int] = []
    with serve_polygon(market, clock, process=True, api_key="bench") as fake, open_store(url) as store:
        settings = Settings(polygon_api_key="bench", polygon_base_url=fake.base_url)  # type: ignore[call-arg]
        service = DataUpdaterService(store, config, settings=settings, clock=clock)
        counted: dict[str, float] = {}

        async def scenario() -> None:
            runner = asyncio.create_task(service.run())
            while clock.now() < DAY.timestamp() + warmup:
                await asyncio.sleep(0.05)
            counted.update(cycles=clock.cycles, cpu=time.process_time(), wall=time.perf_counter(), own=0.0)
            while time.perf_counter() - counted["wall"] < seconds:
                await asyncio.sleep(0.05)
                own = time.thread_time()
                now = int(clock.now())
                for st in service.status.values():
                    tf = tfs[st.feed]
                    stored = st.candle_s if st.candle_s is not None else 0
                    lags.append(max(0, (now // tf * tf - tf - stored) // tf))
                counted["own"] += time.thread_time() - own  # the observer's CPU is not the updater's
            counted.update(
                cycles=clock.cycles - counted["cycles"],
                cpu=time.process_time() - counted["cpu"] - counted["own"],
                wall=time.perf_counter() - counted["wall"],
            )
            service.stop()
            await runner

        asyncio.run(scenario())
    arr = np.asarray(lags)
    return {
        "speed": speed,
        "p50": float(np.percentile(arr, 50)),
        "p99": float(np.percentile(arr, 99)),
        "p999": float(np.percentile(arr, 99.9)),
        "max": int(arr.max()),
        "behind": float((arr > 1).mean()),
        "kept_up": bool(arr.max() <= 2 and (arr > 1).mean() <= 0.01),
        "cpu_per_poll": counted["cpu"] / max(counted["cycles"], 1),
        "polls_per_s": counted["cycles"] / counted["wall"],
    }


def fleet_config(symbols: list[str]) -> UpdaterConfig:
    """Every symbol at every timeframe, backfilled from an hour before the day."""
    return UpdaterConfig.parse(
        {
            "feeds": [
                {"source": "polygon", "symbol": s, "timeframe": tf, "start": DAY - pd.Timedelta(hours=1)}
                for s in symbols
                for tf in TIMEFRAMES
            ],
            "status_interval": 5.0,
        }
    )


def simulated(hours: float, symbols: list[str], market: Market, url: str) -> tuple[float, float, int]:
    """CPU seconds per feed cycle (all threads, and the event loop's thread), and the cycles.

    Measured over ``hours`` simulated hours after a half-hour warm-up. The process's other
    threads are, in the steady state, the store's writer (the fake server has its own process).
    """
    config = fleet_config(symbols)
    clock = SimClock(DAY.timestamp())
    cycles = [0]
    clock.on_sleep = lambda _name, _now, _seconds: cycles.__setitem__(0, cycles[0] + 1)
    with serve_polygon(market, clock, process=True, api_key="bench") as fake, open_store(url) as store:
        settings = Settings(polygon_api_key="bench", polygon_base_url=fake.base_url)  # type: ignore[call-arg]

        async def scenario() -> tuple[float, int]:
            clock.track(asyncio.current_task())  # type: ignore[arg-type]
            service = DataUpdaterService(store, config, settings=settings, clock=clock)
            runner = asyncio.create_task(service.run())
            while clock.tracked < len(config.feeds) + 1:  # the service has started its feeds
                await asyncio.sleep(0)
            await clock.sleep(1800)
            first, cpu, loop_cpu = cycles[0], time.process_time(), time.thread_time()
            await clock.sleep(hours * 3600)
            spent, counted = time.process_time() - cpu, cycles[0] - first
            on_loop = time.thread_time() - loop_cpu
            service.stop()
            await runner
            return spent / counted, on_loop / counted, counted

        return asyncio.run(scenario())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--speed", type=float, default=TARGET_SPEED)
    parser.add_argument("--seconds", type=float, default=30.0, help="Real seconds measured per speed.")
    parser.add_argument("--find-max", action="store_true", help="Search the highest speed with no feed behind.")
    parser.add_argument("--pg", default=None, help="PostgreSQL admin URL (default: SQLite).")
    parser.add_argument("--simulated", type=float, default=None, metavar="HOURS", help="Simulated time instead.")
    args = parser.parse_args()

    market, symbols = market_for(args.symbols)
    print(f"{args.symbols} symbols x {len(TIMEFRAMES)} timeframes; fake Polygon in its own process")
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT") if args.pg else None
    made: list[str] = []

    def fresh_url(tmp: str) -> str:
        if admin is None:
            return f"sqlite:///{Path(tmp) / f'{uuid.uuid4().hex[:8]}.db'}"
        name = f"uptrade_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    def report(r: dict) -> None:
        print(
            f"speed {r['speed']:7.0f}x | lag p50 {r['p50']:.0f}  p99 {r['p99']:.0f}  p99.9 {r['p999']:.0f}  "
            f"max {r['max']} candles | {r['behind']:.2%} of observations behind | "
            f"{r['polls_per_s']:,.0f} polls/s, CPU {r['cpu_per_poll'] * 1e3:.2f} ms/poll "
            f"= {r['cpu_per_poll'] / anchor:.1f}x the bare client | {'kept up' if r['kept_up'] else 'FELL BEHIND'}"
        )

    try:
        with tempfile.TemporaryDirectory() as tmp:
            clock = FakeClock((DAY + pd.Timedelta(hours=3)).timestamp())
            with serve_polygon(market, clock, process=True, api_key="bench") as fake:
                anchor = anchor_cpu_per_request(fake.base_url, clock)
            print(f"anchor: PolygonSource alone, one 1m bar per request: CPU {anchor * 1e3:.2f} ms/request")
            if args.simulated is not None:
                per_cycle, on_loop, counted = simulated(args.simulated, symbols, market, fresh_url(tmp))
                print(
                    f"simulated time, {args.simulated:g} h: {counted:,} feed cycles, CPU {per_cycle * 1e3:.3f} ms "
                    f"per cycle = {per_cycle / anchor:.2f}x the bare client; event loop's thread "
                    f"{on_loop * 1e3:.3f} ms, other threads (the store's writer) {(per_cycle - on_loop) * 1e3:.3f} ms"
                )
                return
            warmup = 3600.0
            first = run_at(args.speed, args.seconds, symbols, market, fresh_url(tmp), warmup)
            report(first)
            if not args.find_max:
                return
            good, bad = (first["speed"], None) if first["kept_up"] else (None, first["speed"])
            speed = args.speed
            while bad is None:
                speed *= 2
                r = run_at(speed, args.seconds, symbols, market, fresh_url(tmp), warmup)
                report(r)
                good, bad = (speed, None) if r["kept_up"] else (good, speed)
            lo = good or 0.0
            for _ in range(3):
                mid = (lo + bad) / 2
                r = run_at(mid, args.seconds, symbols, market, fresh_url(tmp), warmup)
                report(r)
                lo, bad = (mid, bad) if r["kept_up"] else (lo, mid)
            print(
                f"highest speed at which the fleet kept up: {lo:.0f}x = {lo / TARGET_SPEED:.2f} of the "
                f"{TARGET_SPEED:.0f}x target ({args.symbols * len(TIMEFRAMES)} feeds)"
            )
    finally:
        if admin is not None:
            with admin.connect() as conn:
                for name in made:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
