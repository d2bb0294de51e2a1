"""``uptrade mcp`` on the wire: the SDK's own client over stdio and over streamable HTTP (bearer token).

The server runs as its own process, as an assistant's client starts it, against a store of real
candles. The tools' own results are checked in ``test_mcp_data.py``, ``test_mcp_research.py``
and ``test_mcp_bots.py`` (in process); here: the transports, the schemas clients see, tool errors
on the wire, and that HTTP refuses a request without the token.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from typer.testing import CliRunner

from tests.dashboard_browser import free_port
from tests.dashboard_support import build_store
from uptrade.cli.app import app
from uptrade.data.store import open_store

TOKEN = "t0ken-for-tests"
#: Liveness guard (s) for the HTTP server to answer: a server that never starts fails, never hangs.
START_GUARD = 120


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("mcp") / "store.db")


def _env(url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("UPTRADE_")}
    return {**keep, "UPTRADE_DATABASE_URL": url, "UPTRADE_HOME": str(Path(url.removeprefix("sqlite:///")).parent)}


def _coverage(url: str) -> list[tuple[str, str, int]]:
    with open_store(url) as store:
        return [(c.symbol, c.timeframe, c.rows) for c in store.coverage()]


async def _exercise(client: Client, url: str) -> None:
    """What every transport must carry: schemas, a structured result, a tool error."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"list_symbols", "coverage"} <= set(tools)
    for tool in tools.values():
        assert tool.input_schema["type"] == "object", tool.name
        assert tool.output_schema is not None, f"{tool.name} returns no typed result"
        assert tool.description, tool.name
    assert "symbol" in tools["coverage"].input_schema["properties"]
    symbols = await client.call_tool("list_symbols", {})
    assert not symbols.is_error
    assert symbols.structured_content == {"symbols": ["BTC-USDT", "ETH-USDT"]}
    cov = await client.call_tool("coverage", {})
    assert not cov.is_error
    rows = [(s["symbol"], s["timeframe"], s["rows"]) for s in cov.structured_content["series"]]
    assert rows == _coverage(url)
    bad = await client.call_tool("coverage", {"symbol": "DOGE-USDT"})
    assert bad.is_error
    text = bad.content[0].text
    assert "unknown symbol DOGE-USDT" in text
    assert "\n" not in text
    assert "Traceback" not in text
    typed = await client.call_tool("coverage", {"symbol": 5})
    assert typed.is_error  # the input schema is enforced


def test_stdio(url: str) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "uptrade.cli", "mcp"], env=_env(url))

    async def run() -> None:
        async with Client(params) as client:
            await _exercise(client, url)

    asyncio.run(run())


@pytest.fixture(scope="module")
def http_server(url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``uptrade mcp --http`` with a bearer token, as its own process; yields the endpoint's URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("mcplog") / "mcp.log"
    env = {**_env(url), "UPTRADE_MCP_TOKEN": TOKEN}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uptrade.cli", "mcp", "--http", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    endpoint = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + START_GUARD
        while True:
            try:
                httpx.get(endpoint, timeout=5)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the MCP server did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.2)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    text = log.read_text(errors="replace")
    assert TOKEN not in text
    assert "Traceback" not in text, text[-3000:]


def test_http_needs_the_bearer_token(http_server: str) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    for auth in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        answer = httpx.post(http_server, json=hello, headers={**headers, **auth}, timeout=30)
        assert answer.status_code == 401, (auth, answer.status_code, answer.text[:200])
        assert answer.headers["www-authenticate"].lower().startswith("bearer")


def test_http_with_the_token(http_server: str, url: str) -> None:
    import httpx2

    async def run() -> None:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        async with http, Client(streamable_http_client(http_server, http_client=http)) as client:
            await _exercise(client, url)

    asyncio.run(run())


def test_the_command_refuses_a_bad_port_or_host() -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["mcp", "--http", "--port", "0"])
    assert bad.exit_code == 1
    assert bad.output.strip() == "error: --port 0: expected 1-65535"
    host = runner.invoke(app, ["mcp", "--http", "--host", "no-such-host.invalid"])
    assert host.exit_code == 1
    assert "--host no-such-host.invalid" in host.output
