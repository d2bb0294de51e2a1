"""100 symbols x 4 timeframes for a simulated day against the fake Polygon server, in simulated time.

The clock is discrete-event (``tests/fakes/clock.py``): simulated time jumps to the next wake-up
only when every feed task (and the test's scenario) sleeps on it. The updater's work takes no
simulated time however slow the host is, so what is asserted here depends on the updater alone
and holds exactly, on a quiet machine or a saturated one. Requests still go over real HTTP to the
fake Polygon server, through ``PolygonSource`` (libcurl for live polls, the official client for
backfills); the 100 instruments are the real BTC 1m candles of one day, each scaled by its own
factor. How fast the updater keeps up in real time is a benchmark figure
(``benchmarks/bench_updater.py``), not something a test can assert.

Asserted, on SQLite and PostgreSQL:

* every feed polls every 0.8 of its candle in simulated time, from its first cycle to the stop;
* at every cycle end the feed is at most one candle behind (it is in fact never behind: the
  cycle fetches every bar that has closed), and at no simulated instant is any feed more than
  one candle behind what the source has closed;
* every closed candle is stored once: the store equals the source's closed bars for all 400
  series (so nothing is missing and no forming candle was stored as closed), and the rows the
  feeds wrote add up to the rows stored (no bar written twice);
* a restart at midday, after 37 minutes down, resumes from the store: the bars missed while
  down are fetched in the first cycle, with no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.fakes.clock import SimClock
from tests.fakes.market import Market, Series
from tests.fakes.polygon import serve_polygon
from uptrade.data.store import open_store
from uptrade.data.timeframes import parse_timeframe
from uptrade.data.updater import DataUpdaterService, FeedStatus, UpdaterConfig
from uptrade.settings import Settings

SYMBOLS = 100
TIMEFRAMES = ("1m", "5m", "15m", "1h")
DAY = pd.Timestamp("2024-05-01", tz="UTC")
START = DAY - pd.Timedelta(hours=1)  # each feed's backfill start
#: The first run stops half a second after midday (no feed wakes then), the second starts 37 min later.
STOP_1 = DAY.timestamp() + 43_200.5
DOWN = 37 * 60
#: Half a second past the end of the day: no feed of either run wakes at that instant.
END = DAY.timestamp() + 86_400.25


def fleet(symbols: list[str]) -> UpdaterConfig:
    return UpdaterConfig.parse(
        {
            "feeds": [
                {"source": "polygon", "symbol": s, "timeframe": tf, "start": START}
                for s in symbols
                for tf in TIMEFRAMES
            ],
            "status_interval": 5.0,
        }
    )


class Observer:
    """What the feeds do in simulated time: cycle ends (with their lag) and the lag at every instant."""

    def __init__(self, clock: SimClock) -> None:
        self.service: DataUpdaterService | None = None
        self.run = 0
        #: (run, feed) -> [(simulated time, seconds asked, lag at cycle end)]
        self.cycles: dict[tuple[int, str], list[tuple[float, float, int | None]]] = defaultdict(list)
        self.worst_lag = 0  # candles, over every instant the service was up
        clock.on_sleep = self._sleep
        clock.on_advance = self._advance

    def _sleep(self, name: str, now: float, seconds: float) -> None:
        if self.service is not None and name in self.service.status:
            self.cycles[(self.run, name)].append((now, seconds, self.service.status[name].lag_candles))

    def _advance(self, now: float) -> None:
        if self.service is None:
            return
        for st in self.service.status.values():
            tf = parse_timeframe(st.timeframe).seconds
            closed = int(now) // tf * tf - tf  # the newest bar the source has closed
            stored = st.candle_s if st.candle_s is not None else START.timestamp() - tf
            self.worst_lag = max(self.worst_lag, int(closed - stored) // tf)


@pytest.mark.long
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_hundred_symbols_four_timeframes_for_a_simulated_day(
    btc_1m: pd.DataFrame, backend: str, tmp_path, request: pytest.FixtureRequest
) -> None:
    base = btc_1m.loc[DAY - pd.Timedelta(hours=2) : DAY + pd.Timedelta(days=1, hours=1)]
    market = Market()
    symbols = [f"S{k:03d}-USD" for k in range(SYMBOLS)]
    for k, sym in enumerate(symbols):
        market.add(f"X:{sym.replace('-', '')}", Series(base, 60, scale=1 + k / 1000))
    url = f"sqlite:///{tmp_path / 'scale.db'}" if backend == "sqlite" else request.getfixturevalue("pg").create("scale")
    config = fleet(symbols)
    clock = SimClock(DAY.timestamp())
    seen = Observer(clock)
    finished: list[dict[str, FeedStatus]] = []
    started_at: list[float] = []

    with serve_polygon(market, clock, process=True) as fake:
        settings = Settings(polygon_api_key="test-key", polygon_base_url=fake.base_url)  # type: ignore[call-arg]

        async def run_until(stop_at: float) -> None:
            with open_store(url) as store:  # each run opens the store afresh, as a restarted process would
                service = DataUpdaterService(store, config, settings=settings, clock=clock)
                seen.service, seen.run = service, seen.run + 1
                started_at.append(clock.now())
                runner = asyncio.create_task(service.run())
                while clock.tracked < len(config.feeds) + 1:  # the service has started its feeds
                    await asyncio.sleep(0)
                await clock.sleep(stop_at - clock.now())
                service.stop()
                finished.append(await runner)
                seen.service = None

        async def scenario() -> None:
            clock.track(asyncio.current_task())  # type: ignore[arg-type]
            await run_until(STOP_1)
            await clock.sleep(DOWN)  # nothing else is tracked: time jumps
            await run_until(END)

        wall, cpu = time.perf_counter(), time.process_time()
        asyncio.run(scenario())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    cycles = sum(len(v) for v in seen.cycles.values())
    at_end = Counter(lag for v in seen.cycles.values() for _, _, lag in v)
    print(
        f"\nscale ({backend}): {len(config.feeds)} feeds, {clock.instants} simulated instants, {cycles} cycles "
        f"in {wall:.1f} s real ({cpu:.1f} s CPU in this process); lag at cycle ends {dict(at_end)}, "
        f"worst lag at any instant {seen.worst_lag} candle(s)"
    )

    # cadence and lag at every cycle end, per run and feed
    for run, (begin, stop) in enumerate(((started_at[0], STOP_1), (started_at[1], END)), start=1):
        assert begin == (DAY.timestamp() if run == 1 else STOP_1 + DOWN)
        for feed in config.feeds:
            step = 0.8 * feed.tf.seconds
            got = seen.cycles[(run, feed.key)]
            expected = [begin + i * step for i in range(int((stop - begin) // step) + 1)]
            assert [t for t, _, _ in got] == expected, f"run {run}, {feed.key}: cycles end off the 0.8-candle grid"
            assert {s for _, s, _ in got} == {step}, f"run {run}, {feed.key}: slept other than 0.8 of a candle"
            lags = {lag for _, _, lag in got}
            assert lags <= {0, 1}, f"run {run}, {feed.key}: lag at a cycle end {sorted(lags, key=str)}"
    assert seen.worst_lag <= 1

    # every closed candle stored once, nothing missing, nothing forming
    statuses = [st for run in finished for st in run.values()]
    assert {(st.errors, st.state) for st in statuses} == {(0, "stopped")}
    written = sum(st.rows_written for st in statuses)
    with open_store(url) as store:
        with store.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM ohlcv")).scalar_one()
        truth_rows = 0
        for feed in config.feeds:
            seconds = feed.tf.seconds
            last_cycle = seen.cycles[(2, feed.key)][-1][0]
            truth = market.series[f"X:{feed.symbol.replace('-', '')}"].truth(seconds)
            closed = truth.index.asi8 // 1_000_000_000 + seconds <= int(last_cycle)
            truth = truth[(truth.index >= START) & closed]
            truth_rows += len(truth)
            got = store.read_ohlcv(feed.symbol, feed.timeframe)
            pd.testing.assert_frame_equal(got, truth, check_exact=True, check_freq=False, obj=feed.key)
    assert stored == truth_rows
    assert written == stored, f"{written} rows written for {stored} stored: some bar was written twice"
