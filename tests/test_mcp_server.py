"""``uptrade mcp`` on the wire: the SDK's own client over stdio and over streamable HTTP (bearer token).

The server runs as its own process, as an assistant's client starts it, against a store of real
candles. The tools' own results are checked in ``test_mcp_data.py``, ``test_mcp_research.py``
and ``test_mcp_bots.py`` (in process); here: the transports, the schemas clients see, tool errors
on the wire, and that HTTP refuses a request without the token.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from typer.testing import CliRunner

from tests.conftest import load_market
from tests.dashboard_browser import free_port, server_process
from tests.dashboard_support import build_store
from tests.fakes.hbapi import FakeHummingbotApi
from tests.fakes.server import ServerThread
from uptrade.cli.app import app
from uptrade.data.io import write_frame
from uptrade.data.store import open_store

TOKEN = "t0ken-for-tests"
HB_PASSWORD = "Hb-stdio-pw"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
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


def _every_tool(tmp: Path, url: str) -> dict[str, dict[str, Any]]:
    """A cheap, valid call of every tool (the results themselves are checked in the tools' own tests)."""
    source = tmp / "sol.csv"
    sol = load_market("solusdt_1h_binance.csv.gz").iloc[-48:]
    write_frame(sol, source)
    return {
        "list_symbols": {},
        "coverage": {"symbol": "BTC-USDT"},
        "get_candles": {"symbol": "BTC-USDT", "timeframe": "4h", "limit": 5},
        "update_data": {
            "source": "file", "symbol": "SOL-USDT", "timeframe": "1h", "path": str(source),
            "start": sol.index[0].isoformat(), "end": sol.index[-1].isoformat(),
        },
        "run_indicator": {"symbol": "BTC-USDT", "timeframe": "1h", "indicator": "vzo", "last": 3},
        "detect_cycles": {"symbol": "BTC-USDT", "timeframes": ["1h", "4h"]},
        "planet_positions": {"at": "2024-03-20T03:06:00Z", "bodies": ["sun", "moon"]},
        "aspects": {"start": "2024-01-01", "end": "2024-02-01"},
        "backtest": {"config_path": str(EXAMPLES / "sniper_btc_1h.yml"), "start": "2026-03-01", "end": "2026-04-30"},
        "optimize": {
            "config_path": str(EXAMPLES / "sniper_btc_1h.yml"), "start": "2026-03-01", "end": "2026-04-30",
            "grid": ["stop_loss=0.02,0.03"], "min_trades": 1,
        },
        "paper_start": {
            "bot_file": str(EXAMPLES / "bots" / "combined_okx_btc_1h.yml"),
            "replay_from": "2026-03-01", "replay_to": "2026-03-15",
        },
        "paper_status": {},
        "list_bots": {},
        "deploy_bot": {"bot_file": str(EXAMPLES / "bots" / "combined_okx_btc_1h.yml")},
    }  # fmt: skip


def test_stdio_calls_every_tool(tmp_path: Path) -> None:
    """Over stdio, with the loopback hummingbot-api: every tool answers, progress arrives, errors are errors."""
    url = build_store(tmp_path / "tools.db")  # its own: update_data and paper_start write to it
    fake = FakeHummingbotApi(username="admin", password=HB_PASSWORD, now=datetime(2026, 12, 1, tzinfo=UTC))
    with ServerThread(fake.app) as api_url:
        env = {
            **_env(url), "UPTRADE_HOME": str(tmp_path / "home"), "UPTRADE_HBAPI_URL": api_url,
            "UPTRADE_HBAPI_USERNAME": "admin", "UPTRADE_HBAPI_PASSWORD": HB_PASSWORD, "UPTRADE_HBAPI_ATTEMPTS": "1",
            "UPTRADE_DEPLOY_POLL": "0.001",  # the fake's status moves per read, never with time
        }  # fmt: skip
        params = StdioServerParameters(command=sys.executable, args=["-m", "uptrade.cli", "mcp"], env=env, cwd=tmp_path)
        calls = _every_tool(tmp_path, url)
        progress: dict[str, int] = {}
        results: dict[str, Any] = {}

        async def run() -> None:
            async with Client(params) as client:
                await _exercise(client, url)
                listed = {t.name for t in (await client.list_tools()).tools}
                assert listed == set(calls) | {"bot_status", "stop_bot", "paper_stop"}
                for name, args in calls.items():

                    async def seen(done: float, total: float | None, message: str | None, name: str = name) -> None:
                        progress[name] = progress.get(name, 0) + 1

                    results[name] = await client.call_tool(name, args, progress_callback=seen)
                deployed = results["deploy_bot"].structured_content["instance"]
                results["bot_status"] = await client.call_tool("bot_status", {"name": deployed})
                results["stop_bot"] = await client.call_tool("stop_bot", {"name": deployed})
                results["paper_stop"] = await client.call_tool("paper_stop", {"name": "nobody"})
                resources = {str(r.uri) for r in (await client.list_resources()).resources}
                assert {"uptrade://indicators", "uptrade://bots", "uptrade://reports"} <= resources
                prompt = await client.get_prompt("research_strategy", {"symbol": "ETH-USDT"})
                assert "ETH-USDT" in str(prompt.messages[0].content)

        asyncio.run(run())
        fake.faults.release.set()
    for name, result in results.items():
        if name == "paper_stop":
            assert result.is_error
            assert result.content[0].text.count("\n") == 0
            continue
        assert not result.is_error, (name, result.content[0].text)
        assert HB_PASSWORD not in json.dumps(result.structured_content), name
    assert results["update_data"].structured_content["rows_written"] == 48
    assert results["get_candles"].structured_content["count"] == 5
    assert results["deploy_bot"].structured_content["connector"] == "okx_paper_trade"
    assert fake.bots[results["deploy_bot"].structured_content["instance"]].phase == "stopped"
    assert progress.get("optimize", 0) >= 1  # notifications cross the process boundary
    assert progress.get("update_data", 0) >= 1
    assert fake.crashes == []


@pytest.fixture(scope="module")
def http_server(url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``uptrade mcp --http`` with a bearer token, as its own process; yields the endpoint's URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("mcplog") / "mcp.log"
    env = {**_env(url), "UPTRADE_MCP_TOKEN": TOKEN}
    endpoint = f"http://127.0.0.1:{port}/mcp"
    args = ["-m", "uptrade.cli", "mcp", "--http", "--port", str(port)]
    with server_process(args, endpoint, log, env, ready=None, inherit=False):
        yield endpoint
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
