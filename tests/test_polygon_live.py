"""The Polygon live path (one libcurl request per small window) against the fake server: the same bars as
the official client, the same errors, and every reply that is not clean handed to the official client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from collections.abc import Iterator

import numpy as np
import orjson
import pandas as pd
import pytest

from tests.fakes.market import FakeClock, Faults, Market, Series
from tests.fakes.polygon import FakePolygon, serve_polygon
from uptrade.data.frames import OHLCVBatch
from uptrade.data.sources import RetryPolicy
from uptrade.data.sources.base import rows_to_batch
from uptrade.data.sources.polygon import PolygonSource
from uptrade.data.sources.polygon_live import LIVE_BARS, CurlPool, bars_to_columns
from uptrade.data.timeframes import parse_timeframe
from uptrade.data.validate import OHLCVValidationError
from uptrade.errors import SourceAuthError

RETRY = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, timeout=1.0)
NOW = pd.Timestamp("2024-06-01 12:30:30", tz="UTC")
NAMES = ("time", "open", "high", "low", "close", "volume", "vwap", "trade_count")


@pytest.fixture(scope="module")
def market(btc_1h: pd.DataFrame) -> Market:
    m = Market()
    m.add("X:BTCUSDT", Series(btc_1h, 3600))
    return m


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW.timestamp())


@pytest.fixture
def polygon(market: Market, clock: FakeClock) -> Iterator[FakePolygon]:
    with serve_polygon(market, clock) as fake:
        yield fake


def _source(fake: FakePolygon, clock: FakeClock, *, live: bool = True, key: str = "test-key") -> PolygonSource:
    return PolygonSource(key, fake.base_url, limit=5000, retry=RETRY, clock=clock.now, live=live)


def _fetch(source: PolygonSource, start: str, end: str | None) -> OHLCVBatch:
    async def go() -> OHLCVBatch:
        try:
            return await source.fetch_ohlcv("BTC-USDT", "1h", start, end)
        finally:
            await source.aclose()

    return asyncio.run(go())


def _equal(a: OHLCVBatch, b: OHLCVBatch) -> None:
    for name in NAMES:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert getattr(a, name).dtype == getattr(b, name).dtype, name


@pytest.mark.parametrize(
    ("start", "end", "live_windows"),
    [
        ("2024-06-01 11:00", None, 1),  # the newest closed bar: a live poll
        ("2024-06-01 04:00", None, 1),  # LIVE_BARS bars, the largest live window
        ("2024-06-01 03:00", None, 0),  # one bar more: the official client alone
    ],
)
def test_live_path_returns_what_the_official_client_returns(
    polygon: FakePolygon, clock: FakeClock, start: str, end: str | None, live_windows: int
) -> None:
    live = _source(polygon, clock)
    got = _fetch(live, start, end)
    want = _fetch(_source(polygon, clock, live=False), start, end)
    _equal(got, want)
    assert live.live is not None
    assert (live.live.served, live.live.handed_over) == (live_windows, 0)
    if start == "2024-06-01 04:00":
        assert len(got) == LIVE_BARS


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "truncated", "dropped", "slow", "loop"])
def test_live_path_hands_a_reply_that_is_not_clean_to_the_official_client(
    market: Market, clock: FakeClock, fault: str
) -> None:
    faults = Faults(script=[fault], retry_after="0", slow_seconds=30.0)  # one fault, then clean replies
    with serve_polygon(market, clock, faults=faults) as fake:
        source = _source(fake, clock)
        got = _fetch(source, "2024-06-01 09:00", None)
        want = _fetch(_source(fake, clock, live=False), "2024-06-01 09:00", None)
        assert fake.requests[fault] == 1
    _equal(got, want)
    assert len(got) == 3
    assert source.live is not None
    assert (source.live.served, source.live.handed_over) == (0, 1)


@pytest.mark.parametrize(
    ("key", "entitled", "words"), [("wrong", True, "Unknown API Key"), ("test-key", False, "entitled")]
)
def test_live_path_refused_key_fails_fast(
    market: Market, clock: FakeClock, key: str, entitled: bool, words: str
) -> None:
    with serve_polygon(market, clock, entitled=entitled) as fake:
        with pytest.raises(SourceAuthError, match=words):
            _fetch(_source(fake, clock, key=key), "2024-06-01 11:00", None)
        assert fake.requests["total"] == 1  # one request, as through the official client


def test_bars_to_columns_reads_bars_as_the_official_client_and_refuses_what_is_not_clean() -> None:
    bar = {"t": 1_717_200_000_000, "o": 1.0, "h": 2, "l": 0.5, "c": 1.5, "v": 10.0}  # no vw, no n
    cols = bars_to_columns({"status": "OK", "results": [bar]})
    assert cols is not None
    assert cols["time"].tolist() == [1_717_200_000]
    assert (cols["open"], cols["high"], cols["close"]) == ([1.0], [2], [1.5])
    assert np.isnan(cols["vwap"][0])
    assert np.isnan(cols["trade_count"][0])
    empty = bars_to_columns({"status": "OK", "resultsCount": 0})
    assert empty is not None
    assert len(empty["time"]) == 0
    for unclean in (
        [bar],  # not an object
        {"results": [bar], "next_url": "https://api.polygon.io/v2/aggs/...?cursor=x"},  # more pages
        {"results": {"t": 1}},  # results not a list
        {"results": [{**bar, "t": None}]},  # a bar without its time
        {"results": [{**bar, "t": 1.7e12}]},  # a time that is not an integer
    ):
        assert bars_to_columns(unclean) is None


def _page(times: list[int], vwap: list[float], counts: list[float]) -> dict[str, list[float]]:
    n = len(times)
    return {
        "open": [100.0 + i for i in range(n)],
        "high": [110.0 + i for i in range(n)],
        "low": [90.0 + i for i in range(n)],
        "close": [105.0 + i for i in range(n)],
        "volume": [1.0] * n,
        "vwap": vwap,
        "trade_count": counts,
    }


def test_rows_to_batch_fast_path_equals_the_general_path() -> None:
    tf = parse_timeframe("1m")
    t0 = 1_717_200_000
    times = [t0, t0 + 60, t0 + 120]
    vwap, counts = [np.nan, 101.0, np.nan], [np.nan, 7.0, np.nan]  # NaN gaps at both edges
    fast = rows_to_batch(np.asarray(times), _page(times, vwap, counts), tf, t0, t0 + 120, "test")
    # the same bars shuffled, plus one before and one after the window: the general path
    order = [2, 0, 1]
    wide = [t0 - 60, *(times[i] for i in order), t0 + 180]
    page = _page(times, vwap, counts)
    shuffled = {k: [v[0], *(v[i] for i in order), v[0]] for k, v in page.items()}
    general = rows_to_batch(np.asarray(wide), shuffled, tf, t0, t0 + 120, "test")
    _equal(fast, general)
    assert fast.trade_count.tolist() == [-1, 7, -1]
    assert np.isnan(fast.vwap[[0, 2]]).all()
    no_extras = {k: v for k, v in _page(times, vwap, counts).items() if k not in ("vwap", "trade_count")}
    bare = rows_to_batch(np.asarray(times), no_extras, tf, t0, t0 + 120, "test")
    assert np.isnan(bare.vwap).all()
    assert (bare.trade_count == -1).all()
    # a bad bar inside the window: the fast path declines and the general one reports it
    bad = _page(times, vwap, counts)
    bad["high"][1] = 1.0
    with pytest.raises(OHLCVValidationError):
        rows_to_batch(np.asarray(times), bad, tf, t0, t0 + 120, "test")
    # unsorted but inside the window: declined by the fast path, sorted by the general one
    unsorted = rows_to_batch(np.asarray([times[i] for i in order]), shuffled_inner(page, order), tf, t0, t0 + 120, "x")
    _equal(unsorted, fast)


def shuffled_inner(page: dict[str, list[float]], order: list[int]) -> dict[str, list[float]]:
    return {k: [v[i] for i in order] for k, v in page.items()}


def test_live_path_follows_the_event_loop(polygon: FakePolygon, clock: FakeClock) -> None:
    """One source used from successive event loops (each ``asyncio.run`` of a CLI command) opens a
    pool on each, and closing it from yet another loop, after the others are gone, raises nothing."""
    source = _source(polygon, clock)

    async def one() -> OHLCVBatch:
        return await source.fetch_ohlcv("BTC-USDT", "1h", "2024-06-01 11:00", None)

    first, second = asyncio.run(one()), asyncio.run(one())
    asyncio.run(source.aclose())
    _equal(first, second)
    assert len(first) == 1
    assert source.live is not None
    assert (source.live.served, source.live.handed_over) == (2, 0)
    assert polygon.requests["total"] == 2


def _hour_url(fake: FakePolygon, k: int) -> str:
    t = int((NOW.floor("h") - pd.Timedelta(hours=1 + k)).timestamp()) * 1000
    return f"{fake.base_url}/v2/aggs/ticker/X:BTCUSDT/range/1/hour/{t}/{t}?sort=asc&limit=50"


def test_requests_beyond_the_pool_wait_their_turn(polygon: FakePolygon, market: Market) -> None:
    """Twelve requests at once through a pool of two: two connections, every reply right; one
    cancelled while it waited is never sent, and closing the pool cancels what still waits."""
    truth = market.series["X:BTCUSDT"].truth(3600)

    async def go() -> tuple[list[tuple[int, bytes] | None], list[bool]]:
        pool = CurlPool(["Authorization: Bearer test-key"], timeout=5.0, max_in_flight=2)
        futures = [pool.get(_hour_url(polygon, k)) for k in range(12)]
        futures[7].cancel()
        replies = await asyncio.gather(*(f for k, f in enumerate(futures) if k != 7))
        left = [pool.get(_hour_url(polygon, k)) for k in range(5)]
        pool.close()
        return replies, [f.cancelled() for f in left]

    replies, cancelled = asyncio.run(go())
    opened = [k for k in range(12) if k != 7]
    for k, reply in zip(opened, replies, strict=True):
        assert reply is not None
        assert reply[0] == 200
        (bar,) = orjson.loads(reply[1])["results"]
        assert pd.Timestamp(bar["t"], unit="ms", tz="UTC") == NOW.floor("h") - pd.Timedelta(hours=1 + k)
        assert bar["c"] == truth.loc[NOW.floor("h") - pd.Timedelta(hours=1 + k), "close"]
    assert polygon.requests["total"] == 11  # the cancelled one never left
    assert len(polygon.peers) <= 2
    assert cancelled == [True] * 5


def _socket_bound_to(address: tuple[str, int]) -> int:
    """The file descriptor of this process's socket bound to ``address`` (libcurl's end of a connection)."""
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # gone meanwhile (the listing's own descriptor)
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            with socket.socket(fileno=os.dup(int(name))) as probe:
                if probe.getsockname()[:2] == address[:2]:
                    return int(name)
    raise AssertionError(f"no socket bound to {address}")


@pytest.mark.parametrize("how", ["close", "reset"])
def test_an_idle_connection_the_server_drops_leaves_the_pool_quiet_and_working(how: str) -> None:
    """A kept-alive connection the server closes (FIN) or resets (RST) while idle: its socket
    leaves the pool's epoll at once (nothing stays ready, so the loop does not spin on it), and
    the next request goes out on a new connection."""
    body = b'{"results": [], "status": "OK"}'
    served: list[bytes] = []
    peers: list[tuple[str, int]] = []

    async def go() -> tuple[list[tuple[int, bytes] | None], list[tuple[int, int]]]:
        dropped = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                while True:
                    served.append(await reader.readuntil(b"\r\n\r\n"))
                    peers.append(writer.get_extra_info("peername"))
                    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                    writer.write(head.encode() + body)
                    await writer.drain()
                    if len(served) == 1:  # keep-alive promised, then dropped while the client idles
                        if how == "reset":
                            sock = writer.get_extra_info("socket")
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                            writer.transport.abort()
                        else:
                            writer.close()
                        dropped.set()
                        return

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v2/aggs"
        pool = CurlPool([], timeout=5.0, max_in_flight=2)
        first = await pool.get(url)
        await dropped.wait()
        fd = _socket_bound_to(peers[0])
        loop = asyncio.get_running_loop()
        arrived = loop.create_future()  # the FIN or RST reached the client's socket: it turns readable
        loop.add_reader(fd, lambda: arrived.done() or arrived.set_result(None))
        await arrived
        loop.remove_reader(fd)
        for _ in range(3):  # the loop's next turns see the pool's epoll ready and drop the socket
            await asyncio.sleep(0)
        left = pool._epoll.poll(0)
        second = await pool.get(url)
        pool.close()
        server.close()
        await server.wait_closed()
        return [first, second], left

    replies, left = asyncio.run(go())
    assert left == []
    assert replies == [(200, body), (200, body)]
    assert len(served) == 2
