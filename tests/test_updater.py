"""DataUpdaterService against the fake Polygon server serving real 1m BTC candles, on both backends."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.fakes.clock import SimClock
from tests.fakes.market import FakeClock, Faults, Market, Series
from tests.fakes.polygon import FakePolygon, serve_polygon
from tests.helpers import assert_store_holds
from uptrade.cli import app
from uptrade.data.store import Store, open_store
from uptrade.data.updater import DataUpdaterService, FeedStatus, UpdaterConfig
from uptrade.errors import ConfigError
from uptrade.settings import Settings

MONTH_START, MONTH_END = pd.Timestamp("2024-03-01", tz="UTC"), pd.Timestamp("2024-03-31 23:59", tz="UTC")
AFTER_MONTH = (MONTH_END + pd.Timedelta(minutes=1, seconds=30)).timestamp()


@pytest.fixture(scope="module")
def month_market(btc_1m: pd.DataFrame) -> Market:
    """One real month of 1m BTC/USDT as Polygon ticker X:BTCUSDT."""
    m = Market()
    m.add("X:BTCUSDT", Series(btc_1m.loc[MONTH_START:MONTH_END], 60))
    return m


@pytest.fixture
def polygon(month_market: Market) -> Iterator[FakePolygon]:
    with serve_polygon(month_market, FakeClock(AFTER_MONTH), max_page=5000) as fake:
        yield fake


def settings_for(fake: FakePolygon, **extra: object) -> Settings:
    values: dict[str, object] = {
        "polygon_api_key": "test-key",
        "polygon_base_url": fake.base_url,
        "polygon_page_limit": 20_000,
        "source_attempts": 4,
        "source_backoff": 0.01,
        "source_max_backoff": 0.05,
        "source_timeout": 1.0,  # a reply a busy host delays past it is retried: only the outcome is asserted
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def month_feeds(*timeframes: str, **extra: object) -> UpdaterConfig:
    feeds = [
        {"source": "polygon", "symbol": "BTC-USDT", "timeframe": tf, "start": MONTH_START, "end": MONTH_END}
        for tf in timeframes
    ]
    return UpdaterConfig.parse({"feeds": feeds, "backoff": 0.01, "max_backoff": 0.1, "status_interval": 0.2, **extra})


def run(store: Store, config: UpdaterConfig, fake: FakePolygon, **kwargs: object) -> dict[str, FeedStatus]:
    service = DataUpdaterService(
        store,
        config,
        settings=settings_for(fake),
        clock=fake.clock,
        **kwargs,  # type: ignore[arg-type]
    )
    return asyncio.run(service.run())


def test_month_of_1m_backfills_exactly(store: Store, polygon: FakePolygon, month_market: Market) -> None:
    status = run(store, month_feeds("1m"), polygon, once=True)
    truth = month_market.series["X:BTCUSDT"].truth(60)
    assert len(truth) == 44_640
    assert_store_holds(store, "BTC-USDT", "1m", truth)
    (st,) = status.values()
    assert (st.state, st.lag_candles, st.rows_written, st.errors) == ("done", 0, 44_640, 0)


def test_random_faults_lose_and_duplicate_nothing(store: Store, month_market: Market) -> None:
    faults = Faults(
        rate_limit=0.08, server_error=0.08, slow=0.03, truncated=0.08, dropped=0.05, loop=0.1,
        retry_after="0", slow_seconds=1.5, seed=11,
    )  # fmt: skip
    with serve_polygon(month_market, FakeClock(AFTER_MONTH), max_page=2000, faults=faults) as fake:
        status = run(store, month_feeds("1m", "1h"), fake)
    injected = sum(fake.requests[k] for k in ("rate_limit", "server_error", "slow", "truncated", "dropped", "loop"))
    assert injected >= 10, fake.requests
    series = month_market.series["X:BTCUSDT"]
    assert_store_holds(store, "BTC-USDT", "1m", series.truth(60))
    assert_store_holds(store, "BTC-USDT", "1h", series.truth(3600))
    assert {s.state for s in status.values()} == {"done"}


def test_gaps_and_an_earlier_start_are_filled(store: Store, polygon: FakePolygon, month_market: Market) -> None:
    truth = month_market.series["X:BTCUSDT"].truth(60)
    holed = truth.drop(truth.index[5000:5100]).drop(truth.index[20_000:20_001]).iloc[10_000:30_000]
    store.write_ohlcv(holed, "BTC-USDT", "1m")
    assert len(store.find_gaps("BTC-USDT", "1m")) == 1  # the first hole lies before the stored range
    run(store, month_feeds("1m"), polygon, once=True)
    assert_store_holds(store, "BTC-USDT", "1m", truth)


def test_a_failing_feed_backs_off_without_stopping_the_others(store: Store, month_market: Market) -> None:
    broken = Series(month_market.series["X:BTCUSDT"].truth(60).iloc[:100], 60)
    market = Market()
    market.add("X:BTCUSDT", month_market.series["X:BTCUSDT"])
    market.add("X:ETHUSDT", broken)
    with serve_polygon(market, FakeClock(AFTER_MONTH), max_page=5000, broken={"X:ETHUSDT"}) as fake:
        config = UpdaterConfig.parse(
            {
                "feeds": [
                    {"source": "polygon", "symbol": "BTC-USDT", "timeframe": "1m", "start": MONTH_START,
                     "end": MONTH_END},
                    {"source": "polygon", "symbol": "ETH-USDT", "timeframe": "1m", "start": MONTH_START},
                ],
                "backoff": 0.05,
                "max_backoff": 0.2,
            }
        )  # fmt: skip
        service = DataUpdaterService(store, config, settings=settings_for(fake), clock=fake.clock)

        async def scenario() -> dict[str, FeedStatus]:
            runner = asyncio.create_task(service.run())
            btc, eth = service.status.values()
            while not (btc.state == "done" and eth.errors >= 3):  # no time limit: pytest-timeout bounds a hang
                await asyncio.sleep(0.05)
            service.stop()
            return await runner

        status = asyncio.run(scenario())
    btc, eth = status.values()
    assert btc.state == "done"
    assert_store_holds(store, "BTC-USDT", "1m", month_market.series["X:BTCUSDT"].truth(60))
    assert eth.errors >= 3
    assert eth.state == "stopped"
    assert "Internal server error" in (eth.last_error or "") or "MaxRetryError" in (eth.last_error or "")
    assert store.latest_time("ETH-USDT", "1m") is None


def test_a_refused_key_stops_the_feed_with_the_reason(store: Store, polygon: FakePolygon) -> None:
    service = DataUpdaterService(
        store, month_feeds("1m", "5m"), settings=settings_for(polygon, polygon_api_key="bad"), clock=polygon.clock
    )
    status = asyncio.run(service.run())  # no time limit: pytest-timeout bounds a hang
    assert {s.state for s in status.values()} == {"failed"}
    assert all("Unknown API Key" in (s.last_error or "") for s in status.values())
    saved = {row["feed"]: row for row in store.feed_status()}
    assert saved["polygon:BTC-USDT:1m"]["state"] == "failed"


def test_status_is_saved_and_shown_by_the_cli(
    tmp_path: Path, polygon: FakePolygon, month_market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uptrade.data.store import open_store

    url = f"sqlite:///{tmp_path / 'status.db'}"
    with open_store(url) as store:
        run(store, month_feeds("1m", "1h"), polygon, once=True)
        rows = store.feed_status()
    assert [(r["feed"], r["state"], r["lag_candles"]) for r in rows] == [
        ("polygon:BTC-USDT:1h", "done", 0),
        ("polygon:BTC-USDT:1m", "done", 0),
    ]
    assert rows[1]["last_candle"] == MONTH_END
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["--db", url, "data", "status"])
    assert result.exit_code == 0, result.output
    assert "polygon:BTC-USDT:1m" in result.output
    assert "44,640" in result.output


def test_feeds_file_errors_name_the_feed_and_field(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n"
        "  - {source: polygon, symbol: BTC-USD, timeframe: 1m}\n"
        "  - {source: polygon, symbol: ETH-USD, timeframe: 7q}\n"
    )
    with pytest.raises(ConfigError, match=r"feeds\.1\.timeframe"):
        UpdaterConfig.from_yaml(path)
    path.write_text("- {source: file, symbol: BTC-USD, timeframe: 1h}\n")
    with pytest.raises(ConfigError, match="needs 'path'"):
        UpdaterConfig.from_yaml(path)
    path.write_text(
        "feeds:\n"
        "  - {source: binance, symbol: BTC/USDT, timeframe: 1h}\n"
        "  - {source: binance, symbol: BTC-USDT, timeframe: 60m}\n"
    )
    with pytest.raises(ConfigError, match="listed twice: binance:BTC-USDT:1h"):
        UpdaterConfig.from_yaml(path)


def test_cli_backfill_reports_progress_and_fails_clearly(tmp_path: Path, polygon: FakePolygon) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"UPTRADE_POLYGON_BASE_URL": polygon.base_url, "COLUMNS": "200", "UPTRADE_SOURCE_BACKOFF": "0.01"}
    args = ["--db", url, "data", "backfill", "--source", "polygon", "-s", "BTC-USDT", "-t", "1h",
            "--start", "2024-03-01", "--end", "2024-03-10"]  # fmt: skip
    ok = CliRunner().invoke(app, args, env={**env, "UPTRADE_POLYGON_API_KEY": "test-key"})
    assert ok.exit_code == 0, ok.output
    assert "polygon:BTC-USDT:1h" in ok.output
    assert "done" in ok.output
    again = CliRunner().invoke(app, args, env={**env, "UPTRADE_POLYGON_API_KEY": "nope"})
    assert again.exit_code == 0, again.output  # already complete: nothing is fetched, the key is not even used
    args[1] = f"sqlite:///{tmp_path / 'other.db'}"
    bad = CliRunner().invoke(app, args, env={**env, "UPTRADE_POLYGON_API_KEY": "nope"})
    assert bad.exit_code == 1
    assert "Unknown API Key" in bad.output
    assert "nope" not in bad.output
    missing = CliRunner().invoke(app, ["--db", url, "data", "update"], env={"UPTRADE_FEEDS_FILE": ""})
    assert missing.exit_code != 0


def test_a_file_that_ends_before_the_window_says_so(tmp_path: Path, btc_1h: pd.DataFrame) -> None:
    path = tmp_path / "old.csv"
    btc_1h.loc["2020-01-01":"2020-01-10"].reset_index().to_csv(path, index=False)
    url = f"sqlite:///{tmp_path / 'file.db'}"
    args = ["--db", url, "data", "backfill", "--source", "file", "-s", "BTC-USDT", "-t", "1h", "--path", str(path)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "400"})
    assert result.exit_code == 1, result.output
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1
    assert "holds bars from 2020-01-01 00:00 to 2020-01-10 23:00" in error[0]
    assert "(default: the last 30 days); pass --start 2020-01-01" in error[0]
    ok = CliRunner().invoke(app, [*args, "--start", "2020-01-01"])
    assert ok.exit_code == 0, ok.output
    with open_store(url) as store:
        assert len(store.read_ohlcv("BTC-USDT", "1h")) == 240


def test_polls_stay_on_one_grid_and_a_feed_that_backed_off_rejoins_it(btc_1m: pd.DataFrame, tmp_path: Path) -> None:
    """Every feed polls at the service's start plus whole multiples of 0.8 candle, in simulated time.

    ETH's server fails from 610 s to 710 s; the feed backs off (up to 7 s, jittered, so off the
    grid) until it recovers, between two poll instants. Its next polls are BTC's again: a fixed
    pause after each cycle would have kept it out of step for good, waking the event loop and
    the writer on its own.
    """
    day = pd.Timestamp("2024-05-01", tz="UTC")
    candles = btc_1m.loc[day - pd.Timedelta(hours=2) : day + pd.Timedelta(hours=1)]
    market = Market()
    market.add("X:BTCUSDT", Series(candles, 60))
    market.add("X:ETHUSDT", Series(candles, 60, scale=0.05))
    clock = SimClock(day.timestamp())
    wakes: dict[str, list[float]] = defaultdict(list)  # feed -> instants its sleeps end at
    clock.on_sleep = lambda name, now, seconds: wakes[name].append(now + seconds - day.timestamp())
    start = day - pd.Timedelta(hours=1)
    feeds = [{"source": "polygon", "symbol": s, "timeframe": "1m", "start": start} for s in ("BTC-USDT", "ETH-USDT")]
    config = UpdaterConfig.parse({"feeds": feeds, "backoff": 7.0, "max_backoff": 7.0})
    with serve_polygon(market, clock) as fake, open_store(f"sqlite:///{tmp_path / 'grid.db'}") as store:
        service = DataUpdaterService(store, config, settings=settings_for(fake), clock=clock)

        async def scenario() -> dict[str, FeedStatus]:
            clock.track(asyncio.current_task())  # type: ignore[arg-type]
            runner = asyncio.create_task(service.run())
            while clock.tracked < 3:  # both feeds started
                await asyncio.sleep(0)
            await clock.sleep(610)
            fake.broken.add("X:ETHUSDT")
            await clock.sleep(100)
            fake.broken.discard("X:ETHUSDT")
            await clock.sleep(600)  # stop at 1310 s
            service.stop()
            return await runner

        status = asyncio.run(scenario())
        eth_truth = market.series["X:ETHUSDT"].truth(60).loc[start : day + pd.Timedelta(minutes=20)]
        assert_store_holds(store, "ETH-USDT", "1m", eth_truth)  # the newest closed bar at the last poll
    grid = [48.0 * k for k in range(1, 29)]  # the last sleep, begun at 1296 s, was to end at 1344 s
    btc, eth = wakes["polygon:BTC-USDT:1m"], wakes["polygon:ETH-USDT:1m"]
    assert btc == grid
    recovered = [t for t in eth if t not in grid][-1]  # the backoff whose retry succeeded
    assert 710 < recovered < 717, eth
    assert [t for t in eth if t > recovered] == [t for t in grid if t > recovered]
    assert status["polygon:ETH-USDT:1m"].errors >= 1
    assert {st.lag_candles for st in status.values()} == {0}


class _SlowWallClock(SimClock):
    """Simulated time in which each sleep ends a hair before the instant asked for.

    As a wall clock that NTP slews slower than the event loop's monotonic timer: a feed woken for
    a grid point reads the time just before it.
    """

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds * (1 - 1e-5))


def test_a_feed_woken_a_hair_before_its_poll_instant_polls_once_per_instant(
    btc_1m: pd.DataFrame, tmp_path: Path
) -> None:
    """A wake-up just short of the grid point is that point's poll, not a reason to sleep for the hair left."""
    day = pd.Timestamp("2024-05-01", tz="UTC")
    market = Market()
    market.add("X:BTCUSDT", Series(btc_1m.loc[day - pd.Timedelta(hours=2) : day + pd.Timedelta(hours=1)], 60))
    clock = _SlowWallClock(day.timestamp())
    sleeps: list[float] = []
    clock.on_sleep = lambda name, now, seconds: sleeps.append(seconds) if name.startswith("polygon:") else None
    start = day - pd.Timedelta(hours=1)
    config = UpdaterConfig.parse(
        {"feeds": [{"source": "polygon", "symbol": "BTC-USDT", "timeframe": "1m", "start": start}]}
    )
    with serve_polygon(market, clock) as fake, open_store(f"sqlite:///{tmp_path / 'slow.db'}") as store:
        service = DataUpdaterService(store, config, settings=settings_for(fake), clock=clock)

        async def scenario() -> dict[str, FeedStatus]:
            clock.track(asyncio.current_task())  # type: ignore[arg-type]
            runner = asyncio.create_task(service.run())
            while clock.tracked < 2:  # the feed started
                await asyncio.sleep(0)
            await clock.sleep(1210)  # grid points at 48 s, 96 s, ..., 1200 s
            service.stop()
            return await runner

        status = asyncio.run(scenario())
        # the last poll, a hair before 1200 s, saw 00:18 as the newest closed candle
        truth = market.series["X:BTCUSDT"].truth(60).loc[start : day + pd.Timedelta(minutes=18)]
        assert_store_holds(store, "BTC-USDT", "1m", truth)
    assert len(sleeps) == 26, sleeps  # a cycle at the start and at each of the 25 grid points, one sleep after each
    assert min(sleeps) > 47.9, sleeps
    assert status["polygon:BTC-USDT:1m"].lag_candles == 0
