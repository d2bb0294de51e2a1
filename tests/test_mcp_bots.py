"""The MCP bot tools (list_bots, bot_status, deploy_bot, stop_bot) through the SDK's own client, against the
loopback hummingbot-api (tests/fakes/hbapi.py): the figures equal ``uptrade bots ...``'s, a live deploy
goes out only with the setting, live=true and confirm=true, and every failure is one line without secrets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from typer.testing import CliRunner

from tests.fakes.hbapi import FakeHummingbotApi
from tests.fakes.server import ServerThread
from uptrade.cli import app
from uptrade.mcp.server import build_server

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bots"
OKX = EXAMPLES / "combined_okx_btc_1h.yml"  # combined-btc-okx, okx spot
PERP = EXAMPLES / "sniper_binance_perpetual_btc_1h.yml"  # binance_perpetual: no paper connector
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PASSWORD = "s3cret-Pa55"
IMAGE = "hummingbot/hummingbot:version-2.12.0"

runner = CliRunner()


@pytest.fixture
def fake() -> Iterator[FakeHummingbotApi]:
    api = FakeHummingbotApi(username="admin", password=PASSWORD, now=T0)
    yield api
    api.faults.release.set()
    assert api.crashes == []


@pytest.fixture
def env(fake: FakeHummingbotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The server's settings (the environment): the fake as hummingbot-api, live trading off."""
    with ServerThread(fake.app) as url:
        values = {
            "UPTRADE_HOME": str(tmp_path / "home"),
            "UPTRADE_HBAPI_URL": url,
            "UPTRADE_HBAPI_USERNAME": "admin",
            "UPTRADE_HBAPI_PASSWORD": PASSWORD,
            "UPTRADE_HBAPI_ATTEMPTS": "1",
            "UPTRADE_BOT_IMAGE": IMAGE,
            "UPTRADE_DEPLOY_POLL": "0.001",  # the fake's status moves per read, never with time
            "UPTRADE_DEPLOY_TIMEOUT": "3600",
            "UPTRADE_ALLOW_LIVE": "false",
            "COLUMNS": "200",
        }
        monkeypatch.delenv("UPTRADE_DATABASE_URL", raising=False)
        monkeypatch.chdir(tmp_path)  # no .env of the developer's
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        yield values


def cli(*args: str) -> Any:
    """``uptrade ...`` on the same settings as the server (the environment the fixture set)."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def call(name: str, args: dict[str, Any] | None = None, messages: list[str] | None = None) -> Any:
    """One tool call through the SDK's client on a fresh server (progress messages into ``messages``)."""

    async def record(progress: float, total: float | None, message: str | None) -> None:
        assert messages is not None
        messages.append(message or "")

    async def run() -> Any:
        async with Client(build_server()) as client:
            return await client.call_tool(name, args or {}, progress_callback=record if messages is not None else None)

    return asyncio.run(run())


def ok(name: str, args: dict[str, Any] | None = None, messages: list[str] | None = None) -> dict[str, Any]:
    """The tool's structured result (no error, no password in it)."""
    result = call(name, args, messages)
    assert not result.is_error, result.content[0].text
    assert PASSWORD not in json.dumps(result.structured_content)
    return dict(result.structured_content)


def tool_error(name: str, args: dict[str, Any] | None = None) -> str:
    """The tool's error message: one line, no traceback, no password."""
    result = call(name, args)
    assert result.is_error
    text = str(result.content[0].text)
    assert "\n" not in text.strip()
    assert "Traceback" not in text
    assert PASSWORD not in text
    prefix = f"Error executing tool {name}: "  # the SDK's
    assert text.startswith(prefix), text
    return text.removeprefix(prefix)


def nothing_sent(fake: FakeHummingbotApi) -> bool:
    return not fake.controllers and not fake.configs and not fake.bots


def test_the_tools_and_their_schemas(env):
    async def listed() -> Any:
        async with Client(build_server()) as client:
            return await client.list_tools()

    tools = {t.name: t for t in asyncio.run(listed()).tools}
    assert {"list_bots", "bot_status", "deploy_bot", "stop_bot"} <= set(tools)
    deploy = tools["deploy_bot"].input_schema
    assert deploy["required"] == ["bot_file"]
    assert deploy["properties"]["live"]["default"] is False
    assert deploy["properties"]["confirm"]["default"] is False
    assert "ctx" not in deploy["properties"]
    assert "pnl" in tools["list_bots"].output_schema["$defs"]["BotSummary"]["properties"]
    assert "error_logs" in tools["bot_status"].output_schema["properties"]


def test_paper_deploy_runs_on_the_paper_connector_with_progress(env, fake):
    progress: list[str] = []
    done = ok("deploy_bot", {"bot_file": str(OKX)}, progress)
    ((instance, bot),) = fake.bots.items()
    assert done["instance"] == instance == f"combined-btc-okx-{T0:%Y%m%d-%H%M%S}"
    assert done["mode"] == "paper"
    assert done["status"] == "running" == bot.status
    assert done["connector"] == "okx_paper_trade"
    assert fake.configs["combined-btc-okx"]["connector_name"] == "okx_paper_trade"
    assert bot.image == IMAGE
    assert bot.credentials_profile == "master_account"
    # the same requests as `uptrade bots deploy` (tests/test_deploy.py)
    posts = [p for m, p in fake.requests if m == "POST"]
    assert posts == [
        "/docker/pull-image/",
        "/controllers/directional_trading/uptrade_combined",
        "/controllers/configs/combined-btc-okx",
        "/controllers/directional_trading/uptrade_combined/config/validate",
        "/bot-orchestration/deploy-v2-controllers",
    ]
    assert progress[0] == "deploying combined-btc-okx (paper) on okx_paper_trade"
    assert f"pulling {IMAGE}: completed" in progress
    assert progress[-1] == "combined-btc-okx: running"
    assert "combined-btc-okx: not_found" in progress


def test_live_needs_the_setting_live_and_confirm(env, fake, monkeypatch):
    off = tool_error("deploy_bot", {"bot_file": str(PERP), "live": True, "confirm": True})
    assert "UPTRADE_ALLOW_LIVE=true" in off
    assert "confirm" not in off.replace("confirm=true", "")  # only the setting is missing
    neither = tool_error("deploy_bot", {"bot_file": str(PERP), "live": True})
    assert "UPTRADE_ALLOW_LIVE=true" in neither
    assert "confirm=true" in neither
    # confirm alone, without live, is a paper deploy: a perpetual has none and says what to do instead
    paper = tool_error("deploy_bot", {"bot_file": str(PERP), "confirm": True})
    assert "uptrade paper run" in paper
    assert fake.requests == []

    monkeypatch.setenv("UPTRADE_ALLOW_LIVE", "true")
    unconfirmed = tool_error("deploy_bot", {"bot_file": str(PERP), "live": True})
    assert "confirm=true" in unconfirmed
    assert "UPTRADE_ALLOW_LIVE" not in unconfirmed
    assert "nothing was deployed" in unconfirmed
    assert fake.requests == []  # nothing at all reached the API

    nokeys = tool_error("deploy_bot", {"bot_file": str(PERP), "live": True, "confirm": True})
    assert "no keys for binance_perpetual" in nokeys
    assert nothing_sent(fake)

    with fake.lock:
        fake.accounts["master_account"]["binance_perpetual"] = {
            "binance_perpetual_api_key": "k3y-0123456789abcdef",
            "binance_perpetual_api_secret": "s3cr3t-fedcba9876543210",
        }
    live = ok("deploy_bot", {"bot_file": str(PERP), "live": True, "confirm": True, "name": "sniper-live"})
    assert live["mode"] == "live"
    assert live["connector"] == "binance_perpetual"
    assert fake.configs["sniper-live"]["connector_name"] == "binance_perpetual"  # the real connector
    assert fake.bots[live["instance"]].status == "running"
    assert "s3cr3t" not in json.dumps(live)


def test_list_and_status_equal_the_cli(env, fake):
    cli("bots", "deploy", str(OKX))
    (name,) = fake.bots
    with fake.lock:
        fake.advance(name, pnl=12.5, volume=2000.0, unrealized=-2.5)
        fake.tick(300)
        fake.advance(name, pnl=7.5, volume=1000.0, unrealized=1.0)
    listed = ok("list_bots")["bots"]
    (bot,) = listed
    assert bot["name"] == name
    assert bot["status"] == "running"
    assert bot["state"] == "running"
    assert bot["pnl"] == pytest.approx(21.0)  # realised 12.5 + 7.5, unrealised 1
    assert bot["volume"] == pytest.approx(3000.0)
    assert bot["symbol"] == "BTC-USDT"
    assert bot["connector"] == "okx_paper_trade"
    assert bot["last_update"] == "2026-12-01T12:05:00+00:00"
    table = cli("bots", "list").stdout
    row = next(line for line in table.splitlines() if name in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]  # bot, status, controllers, PnL, volume, errors, active
    assert cells[:6] == [
        name, bot["status"], ", ".join(bot["controllers"]), f"{bot['pnl']:+,.2f}", f"{bot['volume']:,.2f}",
        str(len(bot["errors"])),
    ]  # fmt: skip

    status = ok("bot_status", {"name": name})
    assert status["status"] == "running"
    (controller,) = status["controllers"]
    assert controller["controller"] == "combined-btc-okx"
    shown = cli("bots", "status", name).stdout
    assert f"{controller['pnl']:,.2f}" in shown
    assert f"{controller['realized_pnl']:,.2f}" in shown
    assert f"{controller['volume']:,.2f}" in shown
    assert controller["pnl"] == pytest.approx(21.0)
    assert status["pnl"] == pytest.approx(bot["pnl"])
    assert status["error_logs"] == []


def test_status_of_a_bot_that_stopped_with_errors_has_the_cli_error_lines(env, fake):
    fake.import_errors["uptrade_combined"] = "ModuleNotFoundError: No module named 'numba'"
    died = tool_error("deploy_bot", {"bot_file": str(OKX)})
    (name,) = fake.bots
    assert f"{name} was deployed but stopped with errors" in died
    assert "No module named 'numba'" in died
    status = ok("bot_status", {"name": name})
    assert status["status"] == "stopped"
    assert status["state"] == "error"
    lines = [ln for ln in cli("bots", "logs", name, "--errors").stdout.splitlines() if ln.strip()]
    assert status["error_logs"] == lines
    assert any("Error loading controller uptrade_combined" in ln for ln in lines)
    assert ok("bot_status", {"name": name, "last_errors": 1})["error_logs"] == lines[-1:]


def test_stop_and_archive_as_the_cli(env, fake):
    cli("bots", "deploy", str(OKX), "--name", "by-tool")
    fake.tick(1)
    cli("bots", "deploy", str(OKX), "--name", "by-cli")
    tool_bot, cli_bot = sorted(fake.bots, key=lambda n: not n.startswith("by-tool"))
    before = len(fake.requests)
    stopped = ok("stop_bot", {"name": tool_bot})
    tool_requests = fake.requests[before:]
    before = len(fake.requests)
    shown = cli("bots", "stop", cli_bot).stdout.strip()
    assert [(m, p.replace(cli_bot, tool_bot)) for m, p in fake.requests[before:]] == tool_requests
    assert stopped["message"] == shown.replace(cli_bot, tool_bot)
    assert fake.bots[tool_bot].phase == "stopped"
    assert ok("list_bots")["bots"][1 if tool_bot > cli_bot else 0]["status"] == "stopped"

    archived = ok("stop_bot", {"name": tool_bot, "archive": True})
    assert archived["archive"] is True
    assert tool_bot in fake.archived
    assert tool_bot not in fake.bots


def test_bad_input_is_one_line_naming_the_parameter_and_sends_nothing(env, fake):
    assert tool_error("bot_status", {"name": "a.b"}).startswith("name: ")
    assert tool_error("stop_bot", {"name": "x/y"}).startswith("name: ")
    assert "last_errors" in tool_error("bot_status", {"name": "ok", "last_errors": 0})
    assert tool_error("deploy_bot", {"bot_file": str(OKX), "name": "btc.v2"}).startswith("name: ")
    assert tool_error("deploy_bot", {"bot_file": "no/such.yml"}).startswith("bot_file: ")
    assert fake.requests == []
    assert "no bot 'ghost'" in tool_error("bot_status", {"name": "ghost"})
    assert "no bot 'ghost'" in tool_error("stop_bot", {"name": "ghost"})
    assert not any(p.endswith("stop-bot") for _, p in fake.requests)


def test_unconfigured_down_and_refused_api_are_tool_errors_without_the_password(env, fake, monkeypatch):
    monkeypatch.setenv("UPTRADE_HBAPI_PASSWORD", "wrong-one")
    for name, args in (("list_bots", {}), ("bot_status", {"name": "x"}), ("stop_bot", {"name": "x"})):
        refused = tool_error(name, args)
        assert "HTTP 401" in refused
        assert "wrong-one" not in refused
    bad = tool_error("deploy_bot", {"bot_file": str(OKX)})
    assert "HTTP 401" in bad
    assert "wrong-one" not in bad
    assert nothing_sent(fake)

    monkeypatch.setenv("UPTRADE_HBAPI_PASSWORD", PASSWORD)
    monkeypatch.setenv("UPTRADE_HBAPI_URL", f"http://admin:{PASSWORD}@127.0.0.1:9")
    down = tool_error("list_bots")
    assert "not reachable" in down

    monkeypatch.delenv("UPTRADE_HBAPI_URL")
    for name, args in (
        ("list_bots", {}),
        ("bot_status", {"name": "x"}),
        ("stop_bot", {"name": "x"}),
        ("deploy_bot", {"bot_file": str(OKX)}),
    ):
        assert "not configured: set UPTRADE_HBAPI_URL" in tool_error(name, args)
