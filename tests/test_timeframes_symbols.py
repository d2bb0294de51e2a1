from __future__ import annotations

import pandas as pd
import pytest

from uptrade.data.symbols import Symbol, canonical_symbol, parse_symbol, to_ccxt, to_hummingbot, to_polygon
from uptrade.data.timeframes import TIMEFRAMES, parse_timeframe
from uptrade.errors import SymbolError, TimeframeError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m", 60),
        ("5m", 300),
        ("15m", 900),
        ("30m", 1800),
        ("1h", 3600),
        ("4h", 14400),
        ("1d", 86400),
        ("1w", 604800),
        (" 1H ", 3600),
        ("60m", 3600),
        ("1min", 60),
    ],
)
def test_parse_timeframe(text: str, seconds: int) -> None:
    assert parse_timeframe(text).seconds == seconds


@pytest.mark.parametrize("bad", ["2h", "1M", "", "1y", "hour", "0m"])
def test_unknown_timeframe_lists_valid_ones(bad: str) -> None:
    with pytest.raises(TimeframeError, match="valid timeframes: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w"):
        parse_timeframe(bad)


def test_timeframes_are_ordered_and_tile_each_other() -> None:
    assert [t.name for t in sorted(TIMEFRAMES, reverse=True)] == ["1w", "1d", "4h", "1h", "30m", "15m", "5m", "1m"]
    for small in TIMEFRAMES:
        for big in TIMEFRAMES:
            if small <= big:
                assert small.divides(big), (small, big)
    assert not parse_timeframe("1h").divides(parse_timeframe("30m"))


def test_week_buckets_start_on_monday() -> None:
    week = parse_timeframe("1w")
    for day in pd.date_range("2024-01-01", "2024-03-01", freq="13h", tz="UTC"):
        start = pd.Timestamp(week.floor(int(day.timestamp())), unit="s", tz="UTC")
        assert start.day_of_week == 0
        assert start.hour == 0
        assert start <= day < start + pd.Timedelta(days=7)
    assert week.is_aligned(int(pd.Timestamp("2024-01-01", tz="UTC").timestamp()))  # a Monday
    assert not week.is_aligned(int(pd.Timestamp("2024-01-04", tz="UTC").timestamp()))  # a Thursday


def test_floor_and_alignment() -> None:
    h4 = parse_timeframe("4h")
    t = int(pd.Timestamp("2024-05-05T13:37:00Z").timestamp())
    assert pd.Timestamp(h4.floor(t), unit="s", tz="UTC") == pd.Timestamp("2024-05-05T12:00:00Z")
    assert h4.is_aligned(h4.floor(t))
    assert not h4.is_aligned(t)


@pytest.mark.parametrize(
    ("text", "base", "quote"),
    [
        ("X:BTCUSD", "BTC", "USD"),
        ("X:BTCUSDT", "BTC", "USDT"),
        ("btc-usdt", "BTC", "USDT"),
        ("BTC/USDT", "BTC", "USDT"),
        ("ETHBTC", "ETH", "BTC"),
        ("SOL_USDC", "SOL", "USDC"),
        ("C:EURUSD", "EUR", "USD"),
        ("1000PEPE-USDT", "1000PEPE", "USDT"),
    ],
)
def test_parse_symbol_forms(text: str, base: str, quote: str) -> None:
    assert parse_symbol(text) == Symbol(base, quote)


def test_conversions_between_forms() -> None:
    assert to_polygon("BTC-USDT") == "X:BTCUSDT"
    assert to_hummingbot("X:BTCUSD") == "BTC-USD"
    assert to_ccxt("X:ETHUSD") == "ETH/USD"
    assert to_ccxt("BTC/USDT:USDT") == "BTC/USDT:USDT"
    assert to_hummingbot("BTC/USDT:USDT") == "BTC-USDT"
    for form in ("X:SOLUSDT", "SOL-USDT", "sol/usdt"):
        assert canonical_symbol(form) == "SOL-USDT"


@pytest.mark.parametrize("bad", ["", "BTC", "X:FOOBAR", "BTC-", "B TC-USDT", "BTC/US$"])
def test_bad_symbols_are_explained(bad: str) -> None:
    with pytest.raises(SymbolError, match=r"BTC-USDT|base and quote"):
        parse_symbol(bad)
