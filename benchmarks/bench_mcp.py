"""What the MCP server costs per tool call, against calling the library directly, in one run.

The store holds 400 days of real BTC/USDT and ETH/USDT 1h candles (``tests/dashboard_support``).
For three tools, each timed as the best of ``REPEAT`` calls:

- **anchor**: the library call the tool makes (``Store.coverage``; ``read_ohlcv`` of the latest
  500 4h bars; ``indicator_frame`` of VZOProX on the whole 1h history);
- **in process**: the SDK's ``Client`` on ``build_server()`` in this process (validation, the
  pydantic result, the structured content);
- **stdio**: ``uptrade mcp`` as its own process, the JSON-RPC messages through its pipes.

Printed, never asserted: the figures are this host's.

    python benchmarks/bench_mcp.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from tests.dashboard_support import build_store  # noqa: E402

from uptrade.data.store import open_store  # noqa: E402
from uptrade.mcp.common import close_stores  # noqa: E402
from uptrade.mcp.server import build_server  # noqa: E402
from uptrade.signals import indicator_frame  # noqa: E402

REPEAT = 7
CALLS: dict[str, dict[str, Any]] = {
    "coverage": {},
    "get_candles": {"symbol": "BTC-USDT", "timeframe": "4h", "limit": 500},
    "run_indicator": {"symbol": "BTC-USDT", "timeframe": "1h", "indicator": "vzo", "last": 10},
}


def best_sync(fn: Callable[[], object]) -> float:
    fn()
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


async def best_async(fn: Callable[[], Awaitable[object]]) -> float:
    await fn()
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return min(times)


async def _client_times(client: Client) -> dict[str, float]:
    out = {}
    for name, args in CALLS.items():

        async def call(name: str = name, args: dict[str, Any] = args) -> None:
            result = await client.call_tool(name, args)
            assert not result.is_error, result.content

        out[name] = await best_async(call)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = build_store(Path(tmp) / "store.db")
        os.environ["UPTRADE_DATABASE_URL"] = url
        store = open_store(url)
        anchors = {
            "coverage": best_sync(store.coverage),
            "get_candles": best_sync(lambda: store.read_ohlcv("BTC-USDT", "4h", limit=500)),
            "run_indicator": best_sync(lambda: indicator_frame(store.read_ohlcv("BTC-USDT", "1h"), "vzo")),
        }
        store.close()

        async def in_process() -> dict[str, float]:
            async with Client(build_server()) as client:
                return await _client_times(client)

        async def over_stdio() -> dict[str, float]:
            params = StdioServerParameters(
                command=sys.executable, args=["-m", "uptrade.cli", "mcp"], env=dict(os.environ)
            )
            async with Client(params) as client:
                return await _client_times(client)

        inproc = asyncio.run(in_process())
        close_stores()
        stdio = asyncio.run(over_stdio())
    print(f"best of {REPEAT} calls; ratios against the library call the tool makes (the anchor)")
    for name in CALLS:
        a, i, s = anchors[name], inproc[name], stdio[name]
        print(
            f"  {name:14s} library {a * 1e3:8.2f} ms   in process {i * 1e3:8.2f} ms ({i / a:6.2f}x)   "
            f"stdio {s * 1e3:8.2f} ms ({s / a:6.2f}x)"
        )


if __name__ == "__main__":
    main()
