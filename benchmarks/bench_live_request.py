"""Instructions per live Polygon request: our libcurl path against aiohttp and the asyncio floor.

A live poll asks for one bar, so the cost of one keep-alive request is the cost of polling. CPU
seconds of so small a piece of work drift with whatever else the host runs; instructions do
not. Each client below runs under ``valgrind --tool=callgrind`` twice, making N and N + M
requests (20 at a time) to the fake Polygon server in its own process, and the difference over M
is one request, start-up excluded, JSON decoding included:

* ``CurlPool`` (what :class:`~uptrade.data.sources.polygon_live.LiveAggs` uses);
* anchor: an aiohttp ``ClientSession`` as the live path used before (keep-alive pool, timeouts);
* tornado's ``CurlAsyncHTTPClient`` (the maintained asyncio binding of libcurl);
* floor: a bare asyncio protocol writing a fixed request and cutting the reply by
  ``Content-Length``, which no real client can undercut.

Then the updater's instant, when a hundred feeds poll at once through the live path's pool of
8 connections: ``CurlPool`` queueing the transfers beyond 8 itself, against the anchor of
libcurl queueing them (``CURLMOPT_MAX_TOTAL_CONNECTIONS``), as the pool did until then.

    python benchmarks/bench_live_request.py [--requests 500]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = 1_714_532_400  # 2024-05-01 03:00 UTC: the fake market's clock
HEADERS = {"Authorization": "Bearer bench", "Accept": "application/json"}
BATCH = 20
#: The updater's instant: this many polls at once over the live path's default pool.
BURST, POOL = 100, 8


def _path(k: int) -> str:
    t = (NOW - 60 * (2 + k % 60)) * 1000
    return f"/v2/aggs/ticker/X:S000USD/range/1/minute/{t}/{t}?sort=asc&limit=50000"


async def _curl(base: str, n: int) -> None:
    from uptrade.data.sources.polygon_live import CurlPool

    pool = CurlPool([f"{k}: {v}" for k, v in HEADERS.items()], timeout=10.0, max_in_flight=BATCH)

    async def one(k: int) -> bytes:
        reply = await pool.get(base + _path(k))
        assert reply is not None
        assert reply[0] == 200
        return reply[1]

    await _run(one, n)
    pool.close()


async def _burst(base: str, n: int, *, libcurl_queue: bool) -> None:
    import pycurl

    from uptrade.data.sources.polygon_live import CurlPool

    headers = [f"{k}: {v}" for k, v in HEADERS.items()]
    pool = CurlPool(headers, timeout=10.0, max_in_flight=BURST if libcurl_queue else POOL)
    if libcurl_queue:  # every transfer handed to libcurl at once, which runs 8 and queues the rest
        pool._multi.setopt(pycurl.M_MAX_TOTAL_CONNECTIONS, POOL)

    async def one(k: int) -> bytes:
        reply = await pool.get(base + _path(k))
        assert reply is not None
        assert reply[0] == 200
        return reply[1]

    await _run(one, n, BURST)
    pool.close()


async def _aiohttp(base: str, n: int) -> None:
    import aiohttp
    from yarl import URL

    session = aiohttp.ClientSession(
        headers=HEADERS,
        connector=aiohttp.TCPConnector(limit=BATCH),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=10),
    )

    async def one(k: int) -> bytes:
        async with session.get(URL(base + _path(k), encoded=True)) as resp:
            body = await resp.read()
        assert resp.status == 200
        return body

    await _run(one, n)
    await session.close()


async def _tornado(base: str, n: int) -> None:
    from tornado.curl_httpclient import CurlAsyncHTTPClient

    client = CurlAsyncHTTPClient(max_clients=BATCH, force_instance=True)

    async def one(k: int) -> bytes:
        resp = await client.fetch(base + _path(k), headers=HEADERS, raise_error=False, connect_timeout=10)
        assert resp.code == 200
        return bytes(resp.body)

    await _run(one, n)
    client.close()


async def _floor(base: str, n: int) -> None:
    url = urlsplit(base)
    head = f"Host: {url.netloc}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())

    class Bare(asyncio.Protocol):
        def __init__(self) -> None:
            self.buf = b""
            self.reply: asyncio.Future[bytes] | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.buf += data
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            size = int(re.search(rb"(?i)content-length: *(\d+)", self.buf[:end]).group(1))  # type: ignore[union-attr]
            if len(self.buf) >= end + 4 + size:
                body, self.buf = self.buf[end + 4 : end + 4 + size], self.buf[end + 4 + size :]
                assert self.reply is not None
                self.reply.set_result(body)

        def get(self, path: str) -> asyncio.Future[bytes]:
            self.reply = asyncio.get_running_loop().create_future()
            self.transport.write(f"GET {path} HTTP/1.1\r\n{head}\r\n".encode())  # type: ignore[attr-defined]
            return self.reply

    loop = asyncio.get_running_loop()
    conns = [(await loop.create_connection(Bare, url.hostname, url.port))[1] for _ in range(BATCH)]

    async def one(k: int) -> bytes:
        return await conns[k % BATCH].get(_path(k))

    await _run(one, n)


async def _run(one, n: int, batch: int = BATCH) -> None:  # type: ignore[no-untyped-def]
    import orjson

    async def decoded(k: int) -> None:
        assert len(orjson.loads(await one(k))["results"]) == 1

    for start in range(0, n, batch):
        await asyncio.gather(*(decoded(k) for k in range(start, start + batch)))


CLIENTS = {"libcurl (CurlPool)": _curl, "aiohttp": _aiohttp, "tornado curl": _tornado, "asyncio floor": _floor}
BURSTS = {
    "CurlPool's queue": partial(_burst, libcurl_queue=False),
    "libcurl's queue": partial(_burst, libcurl_queue=True),
}


def _instructions(client: str, base: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg", sys.executable, __file__]
        out = subprocess.run(
            [*command, "--child", client, base, str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))  # type: ignore[union-attr]


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        client, base, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
        asyncio.run({**CLIENTS, **BURSTS}[client](base, n))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="M: requests counted (after the start-up ones).")
    args = parser.parse_args()
    if args.requests % BURST:
        parser.error(f"--requests must be a multiple of {BURST} (the burst is counted in whole bursts)")

    from benchmarks.bench_updater import DAY, market_for
    from tests.fakes.market import FakeClock
    from tests.fakes.polygon import serve_polygon

    market, _ = market_for(1)
    clock = FakeClock(NOW)
    assert int(DAY.timestamp()) + 3 * 3600 == NOW
    per: dict[str, float] = {}
    with serve_polygon(market, clock, process=True, api_key="bench") as fake:
        for name in CLIENTS:
            low = _instructions(name, fake.base_url, 200)
            high = _instructions(name, fake.base_url, 200 + args.requests)
            per[name] = (high - low) / args.requests
        burst: dict[str, float] = {}
        for name in BURSTS:
            low = _instructions(name, fake.base_url, 2 * BURST)
            high = _instructions(name, fake.base_url, 2 * BURST + args.requests)
            burst[name] = (high - low) / args.requests
    anchor = per["aiohttp"]
    print(f"one request, {BATCH} at a time:")
    for name, count in per.items():
        print(f"  {name:20s} {count:10,.0f} instructions per request = {count / anchor:.2f}x aiohttp")
    anchor = burst["libcurl's queue"]
    print(f"{BURST} requests at once over {POOL} connections (a hundred feeds polling at one instant):")
    for name, count in burst.items():
        print(f"  {name:20s} {count:10,.0f} instructions per request = {count / anchor:.2f}x libcurl's queue")


if __name__ == "__main__":
    main()
