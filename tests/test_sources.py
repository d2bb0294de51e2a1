"""Sources against fake servers that speak the real protocols: Polygon (massive client), Binance (ccxt), files."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from tests.fakes.binance import serve_binance
from tests.fakes.market import FakeClock, Faults, Market, Series
from tests.fakes.polygon import FakePolygon, serve_polygon
from uptrade.data.frames import OHLCVBatch
from uptrade.data.sources import RetryPolicy, open_source
from uptrade.data.sources.exchange import ExchangeSource
from uptrade.data.sources.file import FileSource
from uptrade.data.sources.polygon import PolygonSource
from uptrade.data.validate import OHLCVValidationError
from uptrade.errors import (
    PaginationLoopError,
    SourceAuthError,
    SourceUnavailableError,
    SymbolError,
    TimeframeError,
)
from uptrade.settings import get_settings

# A local reply takes milliseconds, so 2 s is never near it; a reply a busy host delays past it is
# retried (and the fakes count faults by what they served, so no count depends on it).
FAST = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, timeout=2)
NOW = pd.Timestamp("2024-06-01 12:30:30", tz="UTC")


@pytest.fixture(scope="module")
def market(btc_1h: pd.DataFrame) -> Market:
    m = Market()
    m.add("X:BTCUSDT", Series(btc_1h, 3600))
    m.add("BTCUSDT", Series(btc_1h, 3600))
    return m


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW.timestamp())


@pytest.fixture
def polygon(market: Market, clock: FakeClock) -> Iterator[FakePolygon]:
    with serve_polygon(market, clock, max_page=1000) as fake:
        yield fake


def _poly(fake: FakePolygon, clock: FakeClock, key: str = "test-key", retry: RetryPolicy = FAST) -> PolygonSource:
    return PolygonSource(key, fake.base_url, limit=5000, retry=retry, clock=clock.now)


def _truth(market: Market, key: str, seconds: int, start: str, end: pd.Timestamp) -> pd.DataFrame:
    t = market.series[key].truth(seconds)
    return t[(t.index >= start) & (t.index <= end)]


def _same(batch: OHLCVBatch, truth: pd.DataFrame, extras: bool = True) -> None:
    np.testing.assert_array_equal(batch.time, truth.index.asi8 // 1_000_000_000)
    for col in ("open", "high", "low", "close", "volume", *(("vwap",) if extras else ())):
        np.testing.assert_array_equal(getattr(batch, col), truth[col].to_numpy(), err_msg=col)
    if extras:
        np.testing.assert_array_equal(batch.trade_count, truth["trade_count"].to_numpy("int64"))


def fetch(source: object, *args: object) -> OHLCVBatch:
    async def go() -> OHLCVBatch:
        try:
            return await source.fetch_ohlcv(*args)  # type: ignore[attr-defined]
        finally:
            await source.aclose()  # type: ignore[attr-defined]

    return asyncio.run(go())


# ----------------------------------------------------------------------------- Polygon
def test_polygon_pages_through_next_url_and_keeps_vwap_and_trades(
    polygon: FakePolygon, clock: FakeClock, market: Market
) -> None:
    got = fetch(_poly(polygon, clock), "BTC-USDT", "1h", "2024-01-01", None)
    # closed bars only: at 12:30:30 the 12:00 bar is still forming, 11:00 is the last closed one
    truth = _truth(market, "X:BTCUSDT", 3600, "2024-01-01", pd.Timestamp("2024-06-01 11:00", tz="UTC"))
    _same(got, truth)
    assert polygon.requests["ok"] >= 4  # 3660 bars, pages of at most 1000: next_url was followed


def test_polygon_aggregated_timeframes_and_explicit_end(polygon: FakePolygon, clock: FakeClock, market: Market) -> None:
    got = fetch(_poly(polygon, clock), "X:BTCUSDT", "4h", "2024-03-01", "2024-04-01")
    _same(got, _truth(market, "X:BTCUSDT", 14400, "2024-03-01", pd.Timestamp("2024-04-01", tz="UTC")))


def test_polygon_forming_bar_is_never_returned(polygon: FakePolygon, clock: FakeClock, market: Market) -> None:
    clock.set(pd.Timestamp("2024-06-01 12:59:59", tz="UTC").timestamp())
    got = fetch(_poly(polygon, clock), "BTC-USDT", "1h", "2024-06-01", None)
    assert pd.Timestamp(got.time[-1], unit="s", tz="UTC") == pd.Timestamp("2024-06-01 11:00", tz="UTC")
    clock.set(pd.Timestamp("2024-06-01 13:00:00", tz="UTC").timestamp())
    got = fetch(_poly(polygon, clock), "BTC-USDT", "1h", "2024-06-01", None)
    truth = _truth(market, "X:BTCUSDT", 3600, "2024-06-01", pd.Timestamp("2024-06-01 12:00", tz="UTC"))
    _same(got, truth)  # the 12:00 bar now has its final values, not the partial ones served before


@pytest.mark.parametrize(
    ("key", "entitled", "words"),
    [("wrong-key", True, "Unknown API Key"), ("test-key", False, "not entitled")],
)
def test_polygon_refused_key_fails_fast(market: Market, clock: FakeClock, key: str, entitled: bool, words: str) -> None:
    with serve_polygon(market, clock, entitled=entitled) as fake:
        with pytest.raises(SourceAuthError, match=words) as info:
            fetch(_poly(fake, clock, key=key, retry=RetryPolicy(attempts=5, backoff=1)), "BTC-USDT", "1h", "2024-05-01")
        assert fake.requests["total"] == 1  # fails fast: one request, no retry (and so no backoff) of a refused key
        assert "wrong-key" not in str(info.value)


def test_polygon_without_key_says_which_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPTRADE_POLYGON_API_KEY", raising=False)
    monkeypatch.setenv("MASSIVE_API_KEY", "from-the-client-environment")  # must not be picked up
    with pytest.raises(SourceAuthError, match="UPTRADE_POLYGON_API_KEY"):
        open_source("polygon", get_settings())


def test_polygon_honours_retry_after(market: Market, clock: FakeClock) -> None:
    faults = Faults(script=["rate_limit"], retry_after="1")  # exactly one 429, then clean replies
    with serve_polygon(market, clock, faults=faults) as fake:
        source = _poly(fake, clock, retry=RetryPolicy(attempts=4, backoff=0.01, max_backoff=5))
        started = time.monotonic()
        got = fetch(source, "BTC-USDT", "1h", "2024-05-01", "2024-05-02")
        assert time.monotonic() - started >= 1.0  # a lower bound: a slow host only makes it longer
        assert fake.requests["rate_limit"] == 1
        assert len(got) == 25


@pytest.mark.parametrize("fault", ["server_error", "truncated", "dropped", "slow"])
def test_polygon_transient_faults_are_retried_then_reported(market: Market, clock: FakeClock, fault: str) -> None:
    # a "slow" reply never comes in time (30 s, far past the 1 s timeout; the server drops it when
    # the client leaves), and a clean one is never near the timeout: a busy host cannot swap them
    faults = Faults(**{fault: 1.0}, slow_seconds=30.0)
    retry = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, timeout=1.0)
    with serve_polygon(market, clock, faults=faults) as fake:
        with pytest.raises(SourceUnavailableError, match="Polygon"):
            fetch(_poly(fake, clock, retry=retry), "BTC-USDT", "1h", "2024-05-01", "2024-05-02")
        assert fake.requests[fault] == 3  # bounded: exactly `attempts` tries
        setattr(faults, fault, 0.0)
        faults.script = [fault, fault, None, fault, None]  # failures between successes: retries get through
        got = fetch(
            _poly(fake, clock, retry=RetryPolicy(attempts=8, backoff=0.01, max_backoff=0.05, timeout=1.0)),
            "BTC-USDT",
            "1h",
            "2024-05-01",
            "2024-05-03",
        )
        _same(got, _truth(market, "X:BTCUSDT", 3600, "2024-05-01", pd.Timestamp("2024-05-03", tz="UTC")))


def test_polygon_pagination_loop_is_detected(market: Market, clock: FakeClock) -> None:
    with serve_polygon(market, clock, max_page=100, faults=Faults(loop=1.0)) as fake:
        with pytest.raises(PaginationLoopError, match="same next_url twice"):
            fetch(_poly(fake, clock), "BTC-USDT", "1h", "2024-01-01", "2024-03-01")
        assert fake.requests["loop"] == 1


def test_polygon_weeks_are_refused_with_a_way_out(polygon: FakePolygon, clock: FakeClock) -> None:
    with pytest.raises(TimeframeError, match="store 1d"):
        fetch(_poly(polygon, clock), "BTC-USDT", "1w", "2024-01-01")


# ----------------------------------------------------------------------------- exchanges via ccxt
def test_binance_backfill_through_ccxt_equals_source(market: Market, clock: FakeClock) -> None:
    with serve_binance(market, clock) as (fake, url):
        got = fetch(ExchangeSource("binance", api_url=url, retry=FAST, clock=clock.now), "BTC/USDT", "1h", "2024-01-01")
    truth = _truth(market, "BTCUSDT", 3600, "2024-01-01", pd.Timestamp("2024-06-01 11:00", tz="UTC"))
    _same(got, truth, extras=False)
    assert np.isnan(got.vwap).all()  # ccxt's unified candles carry no vwap: left empty, never invented
    assert fake.requests["klines"] == 4  # 3660 bars in pages of 1000


def test_binance_faults_are_retried_and_retry_after_honoured(market: Market, clock: FakeClock) -> None:
    faults = Faults(rate_limit=0.15, server_error=0.15, truncated=0.15, retry_after="0", seed=5)
    with serve_binance(market, clock, faults=faults) as (fake, url):
        retry = RetryPolicy(attempts=10, backoff=0.01, max_backoff=0.05, timeout=2)
        got = fetch(
            ExchangeSource("binance", api_url=url, retry=retry, clock=clock.now), "BTC/USDT", "1h", "2023-01-01"
        )
        assert fake.requests["truncated"] + fake.requests["rate_limit"] + fake.requests["server_error"] > 0
        truth = _truth(market, "BTCUSDT", 3600, "2023-01-01", pd.Timestamp("2024-06-01 11:00", tz="UTC"))
        _same(got, truth, extras=False)
        faults.rate_limit, faults.server_error, faults.truncated = 0.0, 0.0, 0.0
        faults.script, faults.retry_after = ["rate_limit"], "1"
        started = time.monotonic()
        fetch(ExchangeSource("binance", api_url=url, retry=retry, clock=clock.now), "BTC/USDT", "1h", "2024-05-01")
        assert time.monotonic() - started >= 0.05  # capped at max_backoff but waited, not hammered (a lower bound)


def test_binance_errors_become_ours(market: Market, clock: FakeClock) -> None:
    with serve_binance(market, clock, faults=Faults(server_error=1.0)) as (fake, url):
        source = ExchangeSource("binance", api_url=url, retry=FAST, clock=clock.now)
        with pytest.raises(SymbolError, match="DOGE/USDT"):
            fetch(source, "DOGE/USDT", "1h", "2024-01-01")
        with pytest.raises(SourceUnavailableError, match="after 4 attempts"):
            fetch(ExchangeSource("binance", api_url=url, retry=FAST, clock=clock.now), "BTC/USDT", "1h", "2024-05-01")
        assert fake.requests["server_error"] == 4
        with pytest.raises(TimeframeError, match="unsupported timeframe '2w'"):
            fetch(ExchangeSource("binance", api_url=url, retry=FAST, clock=clock.now), "BTC/USDT", "2w", "2024-05-01")


def test_binance_markets_and_timeframes_through_ccxt(market: Market, clock: FakeClock) -> None:
    eth = Market()
    for key in ("BTCUSDT", "ETHUSDT", "ETHBTC"):
        eth.add(key, market.series["BTCUSDT"])
    with serve_binance(eth, clock) as (fake, url):
        source = ExchangeSource("binance", api_url=url, retry=FAST, clock=clock.now)
        every = asyncio.run(source.markets())
        usdt = asyncio.run(source.markets(quote="usdt"))
        eth_only = asyncio.run(source.markets(search="eth-"))
        asyncio.run(source.aclose())
    assert [(m.symbol, m.base, m.quote, m.type, m.active) for m in every] == [
        ("BTC/USDT", "BTC", "USDT", "spot", True),
        ("ETH/BTC", "ETH", "BTC", "spot", True),
        ("ETH/USDT", "ETH", "USDT", "spot", True),
    ]
    assert [m.symbol for m in usdt] == ["BTC/USDT", "ETH/USDT"]
    assert [m.symbol for m in eth_only] == ["ETH/BTC", "ETH/USDT"]
    assert fake.requests["exchangeInfo"] == 1  # spot only: one request, loaded once
    assert {"1m", "1h", "1d", "1M"} <= set(source.timeframes())


def test_timeframes_of_each_source_and_markets_only_from_exchanges() -> None:
    from uptrade.data.sources import list_markets, source_timeframes
    from uptrade.errors import ConfigError

    assert source_timeframes("polygon") == ["1m", "5m", "15m", "30m", "1h", "4h", "1d"]  # no 1w: Sunday weeks
    assert source_timeframes("file") is None
    assert "4h" in (source_timeframes("okx") or [])
    with pytest.raises(ConfigError, match="file lists no markets"):
        list_markets("file")


@pytest.mark.parametrize("exchange", ["okx", "bybit"])
def test_other_exchanges_are_configured(exchange: str) -> None:
    source = ExchangeSource(exchange)
    assert source.exchange.enableRateLimit is True
    assert "1m" in source.exchange.timeframes
    asyncio.run(source.aclose())


# ----------------------------------------------------------------------------- files
def test_file_source_serves_a_range_and_names_bad_rows(tmp_path, btc_1h: pd.DataFrame) -> None:
    path = tmp_path / "btc.csv"
    btc_1h.iloc[:1000].reset_index().to_csv(path, index=False)
    source = FileSource(path, clock=lambda: 4e9)
    got = fetch(source, "BTC-USDT", "1h", btc_1h.index[100], btc_1h.index[199])
    np.testing.assert_array_equal(got.close, btc_1h["close"].iloc[100:200].to_numpy())
    bad = btc_1h.iloc[:50].reset_index()
    bad.loc[7, "high"] = bad.loc[7, "low"] - 1
    bad.to_csv(path, index=False)
    with pytest.raises(OHLCVValidationError, match="line 9"):
        fetch(FileSource(path, clock=lambda: 4e9), "BTC-USDT", "1h", btc_1h.index[0])


def test_blocking_calls_reuse_daemon_workers_run_concurrently_and_raise() -> None:
    import threading

    from uptrade.data.sources import base
    from uptrade.data.sources.base import run_blocking

    def who() -> tuple[str, bool]:
        me = threading.current_thread()
        return me.name, me.daemon

    # liveness guard only: 8 pooled calls meet in milliseconds; a minute bounds a broken pool's hang
    barrier = threading.Barrier(8, timeout=60)

    def meet() -> int:
        return barrier.wait()  # only returns when 8 calls run at the same time

    def fail() -> None:
        raise KeyError("boom")

    async def scenario() -> None:
        started = base._WORKERS._started
        seen = {await run_blocking(who) for _ in range(200)}
        assert base._WORKERS._started - started <= 1  # one call at a time: no thread started per call
        assert all(daemon for _, daemon in seen)  # never holds up interpreter exit
        assert sorted(await asyncio.gather(*(run_blocking(meet) for _ in range(8)))) == list(range(8))
        with pytest.raises(KeyError, match="boom"):
            await run_blocking(fail)
        assert (await run_blocking(who))[1]  # still serving after an error

    asyncio.run(scenario())


def test_blocking_calls_work_in_a_forked_child() -> None:
    """A child forked while the parent has idle workers gets its own (the parent's are not there)."""
    import multiprocessing

    from uptrade.data.sources.base import run_blocking

    assert asyncio.run(run_blocking(lambda: 1)) == 1  # the parent now has an idle worker
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()

    def in_child() -> None:
        child.send(asyncio.run(asyncio.wait_for(run_blocking(lambda: 42), 60)))  # liveness guard, as below

    proc = ctx.Process(target=in_child, daemon=True)
    proc.start()
    try:
        assert parent.poll(120), "the forked child's blocking call never ran"  # a hang, not a slow host
        assert parent.recv() == 42
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()


def test_cli_lists_markets_and_timeframes(market: Market, clock: FakeClock) -> None:
    from typer.testing import CliRunner

    from uptrade.cli import app

    with serve_binance(market, clock) as (_fake, url):
        env = {"UPTRADE_EXCHANGE_URLS": f'{{"binance": "{url}"}}', "COLUMNS": "200"}
        result = CliRunner().invoke(app, ["data", "markets", "--source", "binance", "--quote", "USDT"], env=env)
    assert result.exit_code == 0, result.output
    assert "BTC/USDT" in result.output
    assert "spot" in result.output
    shown = CliRunner().invoke(app, ["data", "timeframes", "--source", "polygon"])
    assert "UpTrade stores: 1m 5m 15m 30m 1h 4h 1d" in shown.output
