"""The dashboard's shell: home page, shared sidebar, error states, chart builders, ``uptrade dashboard``.

Pages run in Streamlit's ``AppTest`` against stores of real Binance candles; what they show is
compared with the store's own answers. The chart builders are checked against independent
references (Binance's own daily candles for the candle buckets).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import load_market
from tests.dashboard_support import build_store, last_year, page_test, plotly_values
from uptrade.cli.app import app
from uptrade.dashboard.components.charts import (
    MAX_POINTS,
    Panel,
    bucket_size,
    coverage_figure,
    downsample_candles,
    downsample_line,
    price_figure,
)
from uptrade.data.store import open_store
from uptrade.data.updater import FeedState, FeedStatus

PAGES = ("home", "bots", "signals", "cycles", "backtest", "astro")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("dash") / "store.db")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("UPTRADE_HBAPI_URL", raising=False)
    return monkeypatch


def _figure(at: object, key: str) -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id)  # type: ignore[attr-defined]
    return json.loads(chart.proto.spec)


# --- home and the sidebar --------------------------------------------------------------------------


def test_home_shows_what_the_store_holds(url: str, env: pytest.MonkeyPatch) -> None:
    at = page_test(env, url)
    assert not at.exception
    assert not at.error
    store = open_store(url)
    try:
        cov = store.coverage()
    finally:
        store.close()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "symbols": str(len({c.symbol for c in cov})),
        "series": str(len(cov)),
        "candles": f"{sum(c.rows for c in cov):,}",
        "missing bars": "0",
    }
    table = at.dataframe[0].value
    assert list(zip(table["symbol"], table["timeframe"], table["rows"], strict=True)) == [
        (c.symbol, c.timeframe, c.rows) for c in cov
    ]
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert sorted(fig["data"][0]["y"]) == sorted(f"{c.symbol} {c.timeframe}" for c in cov)
    assert "store: sqlite" in at.caption[0].value
    assert any("No gaps" in s.value for s in at.success)


def test_sidebar_offers_the_stored_series_and_their_range(url: str, env: pytest.MonkeyPatch) -> None:
    at = page_test(env, url)
    symbol, timeframe = at.sidebar.selectbox
    assert symbol.options == ["BTC-USDT", "ETH-USDT"]
    assert timeframe.options == ["1h", "4h", "1d", "1w"]  # stored 1h, 1d, and what the store aggregates
    btc = load_market("btcusdt_1h_binance.csv.gz")
    start, end = at.sidebar.date_input[0].value
    assert end == btc.index[-1].date()
    assert (end - start).days == 365
    assert last_year(btc).index[0].date() == start
    timeframe.select("1d").run()
    assert at.sidebar.date_input[0].value[1] == load_market("btcusdt_1d_binance.csv.gz").index[-1].date()
    symbol.select("ETH-USDT").run()
    assert at.sidebar.selectbox[1].options == ["1h", "4h", "1d", "1w"]
    assert at.sidebar.selectbox[1].value == "1d"  # the timeframe stays; ETH's 1d is built from its 1h
    assert [s.value for s in at.subheader if s.value.startswith("Gaps")] == [
        "Gaps in ETH-USDT 1h (1d is built from it)"
    ]


def test_home_lists_gaps_and_feeds(tmp_path: Path, env: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'gaps.db'}"
    frame = load_market("btcusdt_1h_binance.csv.gz").iloc[-2000:]
    holed = frame.drop(frame.index[[100, 101, 102, 900]])
    status = FeedStatus(
        feed="binance:BTC-USDT:1h", source="binance", symbol="BTC-USDT", timeframe="1h", state=FeedState.LIVE,
        candle_s=int(frame.index[-1].timestamp()), lag_candles=0, errors=2, rows_written=1996, last_error="timeout",
    )  # fmt: skip
    store = open_store(url, init=True)
    try:
        store.write_ohlcv(holed, "BTC-USDT", "1h")
        store.save_feed_status([status.row()])
        gaps = store.find_gaps("BTC-USDT", "1h")
    finally:
        store.close()
    at = page_test(env, url)
    assert not at.exception
    assert not at.error
    assert {m.label: m.value for m in at.metric}["missing bars"] == "4"
    shown_gaps = at.dataframe[1].value
    assert list(shown_gaps["missing"]) == [g.missing for g in gaps] == [3, 1]
    assert list(shown_gaps["start"]) == [g.start for g in gaps]
    feeds = at.dataframe[2].value
    assert feeds.iloc[0]["feed"] == "binance:BTC-USDT:1h"
    assert feeds.iloc[0]["state"] == "live"
    assert feeds.iloc[0]["errors"] == 2


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_when_the_store_is_empty(tmp_path: Path, env: pytest.MonkeyPatch, page: str) -> None:
    at = page_test(env, f"sqlite:///{tmp_path / 'empty.db'}", None if page == "home" else page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    notes = [i.value for i in at.info] + [i.value for i in at.sidebar.info]
    assert any("no candles" in n.lower() for n in notes), notes


@pytest.mark.parametrize("page", PAGES)
def test_an_unreachable_database_is_one_line_on_every_page(env: pytest.MonkeyPatch, page: str) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret = "s3cr3t-pw"
    at = page_test(env, f"postgresql+psycopg://trader:{secret}@127.0.0.1:{port}/uptrade", page)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value
    assert "\n" not in message.strip(), message
    assert "connect" in message.lower(), message
    everything = json.dumps([str(e.proto) for e in at.main] + [str(e.proto) for e in at.sidebar])
    assert secret not in everything
    if page == "bots":  # the bots do not need the store: the rest of the page is there
        assert "hummingbot-api" in [s.value for s in at.subheader]
    assert secret not in message


# --- the chart builders ---------------------------------------------------------------------------


def test_candle_buckets_are_the_exchanges_own_longer_candles() -> None:
    """A year of 1h candles drawn in 24-bar buckets equals Binance's own 1d candles of those days."""
    hourly = load_market("btcusdt_1h_binance.csv.gz").loc["2024-01-01":"2024-12-31"]
    daily = load_market("btcusdt_1d_binance.csv.gz").loc["2024-01-01":"2024-12-31"]
    assert len(hourly) == 24 * len(daily)
    merged = downsample_candles(hourly, max_points=len(daily))
    assert bucket_size(len(hourly), len(daily)) == 24
    pd.testing.assert_index_equal(merged.index, daily.index, check_names=False)
    for col in ("open", "high", "low", "close"):
        np.testing.assert_allclose(merged[col], daily[col], rtol=0, atol=1e-9, err_msg=col)
    np.testing.assert_allclose(merged["volume"], daily["volume"], rtol=1e-9)
    assert downsample_candles(hourly.iloc[:100]) is not None
    assert len(downsample_candles(hourly.iloc[:100])) == 100


def test_lines_keep_their_shape_and_only_real_points() -> None:
    close = load_market("btcusdt_1h_binance.csv.gz")["close"].iloc[-20_000:]
    thin = downsample_line(close, 1000)
    assert 0 < len(thin) <= 1000
    pd.testing.assert_series_equal(thin, close.loc[thin.index])  # every drawn point is a real one
    assert thin.index.is_monotonic_increasing
    assert thin.max() == close.max()
    assert thin.min() == close.min()
    with_gaps = close.copy()
    with_gaps.iloc[:50] = np.nan
    assert downsample_line(with_gaps, 1000).notna().all()
    assert downsample_line(close.iloc[:500], 1000).equals(close.iloc[:500])


def test_price_figure_draws_every_signal_and_at_most_max_points_candles() -> None:
    candles = load_market("btcusdt_1h_binance.csv.gz").iloc[-8760:]
    rng = np.random.default_rng(7)
    signal = pd.Series(rng.choice([-1, 0, 0, 0, 0, 0, 0, 0, 0, 1], len(candles)).astype(np.int8), index=candles.index)
    ma = candles["close"].rolling(50).mean()
    osc = candles["close"].pct_change().rolling(24).sum()
    fig = price_figure(
        candles,
        overlays={"SMA 50": ma},
        signal=signal,
        panels=[Panel("momentum", {"24h": osc}, levels=(0.0,))],
        title="t",
    )
    data = fig.to_dict()["data"]
    kinds = [d["type"] for d in data]
    assert kinds.count("candlestick") == 1
    assert kinds.count("bar") == 1
    candle = next(d for d in data if d["type"] == "candlestick")
    assert len(plotly_values(candle["x"])) <= MAX_POINTS < len(candles)
    buys = next(d for d in data if d["name"].startswith("buy"))
    sells = next(d for d in data if d["name"].startswith("sell"))
    assert len(plotly_values(buys["x"])) == int((signal == 1).sum())
    assert len(plotly_values(sells["x"])) == int((signal == -1).sum())
    assert f"drawn in buckets of {bucket_size(len(candles))} bars" in fig.layout.title.text
    assert bucket_size(len(candles)) == 9
    assert any(d["name"] == "momentum: 24h" for d in data)
    assert fig.layout.yaxis3.domain is not None  # price, volume and the panel each have a row


def test_coverage_figure_has_a_bar_per_series(url: str) -> None:
    store = open_store(url)
    try:
        cov = pd.DataFrame([c.__dict__ for c in store.coverage()])
    finally:
        store.close()
    bar = coverage_figure(cov).to_dict()["data"][0]
    assert len(bar["y"]) == len(cov) == 3
    assert all("0 missing" in t for t in bar["text"])


# --- the command -----------------------------------------------------------------------------------


def test_dashboard_command_refuses_a_taken_or_impossible_port() -> None:
    runner = CliRunner()
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        taken = runner.invoke(app, ["dashboard", "--port", str(port)])
    assert taken.exit_code == 1
    assert taken.output.strip().startswith(f"error: --port {port}: cannot listen on 127.0.0.1:{port}")
    assert len(taken.output.strip().splitlines()) == 1
    bad = runner.invoke(app, ["dashboard", "--port", "70000"])
    assert bad.exit_code == 1
    assert "--port 70000: expected 1-65535" in bad.output
    host = runner.invoke(app, ["dashboard", "--host", "no-such-host.invalid"])
    assert host.exit_code == 1
    assert "--host no-such-host.invalid" in host.output
