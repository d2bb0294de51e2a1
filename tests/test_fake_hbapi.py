"""The fake hummingbot-api answers like the real one (shapes and codes read from its source), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.hbapi import FakeHummingbotApi
from tests.fakes.server import ServerThread

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CODE = """
from decimal import Decimal
from pydantic import Field

class CrossConfig(DirectionalTradingControllerConfigBase):
    controller_name: str = "cross"
    fast: int = 10
    slow: int
    ratio: Decimal = Decimal("0.5")
    leverage: float = Field(default=2.0)
"""


@pytest.fixture
def fake() -> FakeHummingbotApi:
    return FakeHummingbotApi(username="admin", password="secret", now=T0)


@pytest.fixture
def api(fake: FakeHummingbotApi) -> Iterator[httpx.Client]:
    with ServerThread(fake.app) as url, httpx.Client(base_url=url, auth=("admin", "secret"), timeout=10) as client:
        yield client
    assert fake.crashes == []


def deploy(api: httpx.Client, name: str = "bot", configs: tuple[str, ...] = ("c1",), **extra: object) -> httpx.Response:
    body = {"instance_name": name, "credentials_profile": "master_account", "controllers_config": list(configs)}
    return api.post("/bot-orchestration/deploy-v2-controllers", json={**body, **extra})


def ready(api: httpx.Client, fake: FakeHummingbotApi, configs: dict[str, dict] | None = None) -> None:
    """Upload the controller and its configs (c1 by default)."""
    assert api.post("/controllers/directional_trading/cross", json={"content": CODE}).status_code == 201
    for name, cfg in (configs or {"c1": {"id": "c1"}}).items():
        body = {"controller_name": "cross", "controller_type": "directional_trading", "slow": 20, **cfg}
        assert api.post(f"/controllers/configs/{name}", json=body).status_code == 201


def status(api: httpx.Client, name: str) -> dict:
    r = api.get(f"/bot-orchestration/{name}/status")
    assert r.status_code == 200
    assert r.json()["status"] == "success"
    return r.json()["data"]


def test_auth_routing_and_validation_errors(fake, api):
    url = str(api.base_url)
    r = httpx.get(url + "/bot-orchestration/status")
    assert (r.status_code, r.json(), r.headers["www-authenticate"]) == (401, {"detail": "Not authenticated"}, "Basic")
    r = httpx.get(url + "/accounts/", auth=("admin", "wrong"))
    assert (r.status_code, r.json()) == (401, {"detail": "Incorrect username or password"})
    assert httpx.get(url + "/").json() == {"name": "Hummingbot API", "version": "1.0.1", "status": "running"}
    assert api.get("/bot-orchestration/nope").json() == {"detail": "Not Found"}
    assert api.get("/bot-orchestration/stop-bot").status_code == 405
    assert api.get("/accounts").status_code == 404  # no slash redirects
    # a malformed body is refused before the credentials are looked at
    r = httpx.post(url + "/bot-orchestration/stop-bot", content=b"{bad", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "json_invalid"
    assert api.post("/bot-orchestration/stop-bot", json={}).json() == {
        "detail": [{"type": "missing", "loc": ["body", "bot_name"], "msg": "Field required", "input": {}}]
    }
    r = api.get("/bot-orchestration/controller-performance-history", params={"limit": 1001, "interval": "2m"})
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in r.json()["detail"]] == [
        ("less_than_equal", ["query", "limit"]),
        ("string_pattern_mismatch", ["query", "interval"]),
    ]
    r = api.get("/bot-orchestration/controller-performance-history", params={"start_time": "yesterday"})
    assert r.status_code == 400
    assert r.json()["detail"].startswith("Invalid datetime format:")
    # the real name validator's ValueError breaks the API's own 422 handler
    r = deploy(api, "bad name")
    assert (r.status_code, r.text) == (500, "Internal Server Error")
    r = api.post("/accounts/add-account")
    assert r.json()["detail"][0]["loc"] == ["query", "account_name"]
    assert ("POST", "/accounts/add-account") in fake.requests


def test_controllers_and_configs(fake, api):
    ready(api, fake)
    assert api.get("/controllers/").json() == {"directional_trading": ["cross"], "market_making": [], "generic": []}
    got = api.get("/controllers/directional_trading/cross").json()
    assert got == {"name": "cross", "type": "directional_trading", "content": CODE}
    r = api.post("/controllers/generic/cross", json={"content": "x", "type": "market_making"})
    assert r.status_code == 400
    assert r.json()["detail"].startswith("Controller type mismatch")
    assert api.get("/controllers/futures/cross").json()["detail"][0]["type"] == "enum"
    assert api.get("/controllers/generic/cross").status_code == 404
    # configs are stored as YAML: keys come back sorted, with id set to the config name
    assert api.post("/controllers/configs/c2", json={"z": 1, "a": [1, 2], "id": "other"}).status_code == 201
    assert list(api.get("/controllers/configs/c2").json().items()) == [("a", [1, 2]), ("id", "c2"), ("z", 1)]
    assert [c["id"] for c in api.get("/controllers/configs/").json()] == ["c1", "c2"]
    assert api.delete("/controllers/configs/c2").status_code == 200
    assert api.get("/controllers/configs/c2").json() == {"detail": "Configuration 'c2' not found"}
    template = api.get("/controllers/directional_trading/cross/config/template").json()
    assert template["fast"] == {"default": 10, "type": "<class 'int'>", "required": False}
    assert template["slow"]["default"] == "PydanticUndefined"
    assert template["ratio"]["default"] == "0.5"
    assert template["leverage"]["default"] == 2.0
    validate = "/controllers/directional_trading/cross/config/validate"
    assert api.post(validate, json={"slow": 5}).json() == {"message": "Configuration is valid"}
    r = api.post(validate, json={"fast": "x"})
    assert r.status_code == 400
    assert "slow\n  Field required" in r.json()["detail"]
    assert api.post("/controllers/generic/broken", json={"content": "def (:"}).status_code == 201
    r = api.get("/controllers/generic/broken/config/template")
    assert (r.status_code, r.text) == (500, "Internal Server Error")
    assert api.post("/controllers/generic/plain", json={"content": "X = 1"}).status_code == 201
    assert api.get("/controllers/generic/plain/config/template").status_code == 404
    assert fake.controllers[("generic", "plain")] == "X = 1"


def test_bot_starts_after_reads_then_stops_and_archives(fake, api):
    ready(api, fake)
    r = deploy(api, "alpha", image="hummingbot/hummingbot:2.9.0")
    name = "alpha-20260302-120000"
    assert r.json() == {
        "success": True,
        "message": f"Instance {name} created successfully.",
        "script_config_generated": f"{name}.yml",
        "controllers_deployed": ["c1"],
        "unique_instance_name": name,
    }
    assert fake.bots[name].image == "hummingbot/hummingbot:2.9.0"
    assert status(api, name) == {"status": "not_found", "error": f"Bot {name} not found"}
    assert status(api, name)["status"] == "stopped"
    running = status(api, name)
    assert running["status"] == "running"
    assert running["recently_active"] is True
    perf = running["performance"]["c1"]
    assert perf["status"] == "running"
    assert perf["performance"]["realized_pnl_quote"] == 0.0
    assert set(perf["performance"]) >= {"volume_traded", "global_pnl_quote", "close_type_counts", "positions_summary"}
    assert list(api.get("/bot-orchestration/status").json()["data"]) == [name]
    assert api.get("/bot-orchestration/status").json()["data"][name]["source"] == "docker"

    assert api.post("/bot-orchestration/stop-bot", json={"bot_name": name}).json() == {
        "status": "success",
        "response": {"success": True},
    }
    stopped = status(api, name)
    assert (stopped["status"], stopped["performance"]) == ("stopped", {})
    unknown = api.post("/bot-orchestration/stop-bot", json={"bot_name": "ghost", "skip_order_cancellation": True})
    assert unknown.json()["response"] == {"success": False, "message": "Bot ghost not found"}
    run = api.get("/bot-orchestration/bot-runs", params={"bot_name": name}).json()["data"][0]
    assert (run["run_status"], run["deployment_status"], run["strategy_name"]) == (
        "STOPPED",
        "DEPLOYED",
        "v2_with_controllers",
    )
    assert run["deployed_at"] == T0.isoformat()

    r = api.post(f"/bot-orchestration/stop-and-archive-bot/{name}")
    assert r.json()["status"] == "success"
    assert status(api, name)["status"] == "not_found"
    assert api.get("/archived-bots/").json() == [f"bots/archived/{name}/data/{name}.sqlite"]
    summary = api.get(f"/archived-bots/bots/archived/{name}/data/{name}.sqlite/summary").json()
    assert (summary["total_trades"], summary["total_controllers"]) == (0, 1)
    assert api.get("/archived-bots/bots/archived/x/data/x.sqlite/status").status_code == 404
    assert api.get("/archived-bots/secrets/x.sqlite/status").status_code == 400
    assert api.get(f"/bot-orchestration/bot-runs/{run['id']}").json()["data"]["deployment_status"] == "ARCHIVED"
    again = api.post(f"/bot-orchestration/stop-and-archive-bot/{name}").json()
    assert again["status"] == "error"
    assert "not found in active bots" in again["message"]


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("no_config", "No such file or directory: '/home/hummingbot/conf/controllers/c1.yml'"),
        ("no_code", "No module named 'controllers.directional_trading.cross'"),
        ("bad_code", "invalid syntax"),
    ],
)
def test_bot_that_cannot_start_shows_stopped_with_error_logs(fake, api, setup, needle):
    if setup != "no_config":
        ready(api, fake)
    if setup == "no_code":
        api.delete("/controllers/directional_trading/cross")
    if setup == "bad_code":
        api.post("/controllers/directional_trading/cross", json={"content": "class X(:\n"})
    name = deploy(api, "beta").json()["unique_instance_name"]
    assert status(api, name)["status"] == "not_found"
    for _ in range(fake.polls_to_running - 1):
        early = status(api, name)
        assert (early["status"], early["error_logs"]) == ("stopped", [])
    data = status(api, name)
    assert data["status"] == "stopped"
    [entry] = data["error_logs"]
    assert entry["level_name"] == "ERROR"
    assert needle in entry["msg"]
    assert set(entry) == {"level_name", "msg", "timestamp", "level_no", "logger_name"}


def test_deploy_failures_answer_200_or_500_like_docker(fake, api):
    ready(api, fake)
    fake.docker_error = "404 Client Error: pull access denied for hummingbot/nope"
    assert deploy(api).json() == {"success": False, "message": fake.docker_error}
    assert fake.bots == {}
    fake.docker_error = None
    r = deploy(api, credentials_profile="nobody")
    assert r.status_code == 500
    assert "bots/credentials/nobody" in r.json()["detail"]
    assert deploy(api).json()["success"] is True
    clash = deploy(api).json()  # same name in the same second: the container name is taken
    assert clash["success"] is False
    assert "409 Client Error" in clash["message"]
    fake.tick(1)
    assert deploy(api).json()["unique_instance_name"] == "bot-20260302-120001"


def test_performance_history_is_paginated_like_the_repository(fake, api):
    ready(api, fake, {"c1": {"id": "c1"}, "c2": {"id": "c2"}})
    name = deploy(api, configs=("c1", "c2")).json()["unique_instance_name"]
    fake.discover(name)
    for i in range(3):
        fake.advance(name, pnl=1.0, volume=50.0, unrealized=-0.5)
        if i < 2:
            fake.tick(300)
    latest = api.get("/bot-orchestration/controller-performance-latest", params={"bot_name": name}).json()["data"]
    assert [(row["controller_id"], row["performance"]["realized_pnl_quote"]) for row in latest] == [
        ("c1", 3.0),
        ("c2", 3.0),
    ]
    assert latest[0]["timestamp"] == (T0 + timedelta(minutes=10)).isoformat()
    assert latest[0]["performance"]["global_pnl_quote"] == 2.5
    history = "/bot-orchestration/controller-performance-history"
    page1 = api.get(history, params={"bot_name": name, "limit": 3}).json()
    assert page1 == api.get(history, params={"bot_name": name, "limit": 3}).json()  # reads change nothing
    assert page1["pagination"] == {
        "next_cursor": (T0 + timedelta(minutes=5)).isoformat(),
        "has_more": True,
        "limit": 3,
        "interval": "5m",
    }
    assert len(page1["data"]) == 3
    page2 = api.get(history, params={"bot_name": name, "limit": 3, "cursor": page1["pagination"]["next_cursor"]}).json()
    # strictly older than the cursor: the other row of the 12:05 dump is skipped, as in the real API
    assert [row["timestamp"] for row in page2["data"]] == [T0.isoformat()] * 2
    assert page2["pagination"]["has_more"] is False
    sampled = api.get(history, params={"bot_name": name, "controller_id": "c1", "interval": "15m"}).json()
    assert len(sampled["data"]) == 1  # 10 minutes of 5-minute rows hold one 15-minute sample
    windowed = api.get(history, params={"bot_name": name, "end_time": "2026-03-02T12:04:00"}).json()
    assert len(windowed["data"]) == 2
    fake.tick(300)
    assert fake.dump_performance() == 2


def test_accounts_wallets_and_gateway(fake, api):
    assert api.get("/accounts/").json() == ["master_account"]
    assert api.post("/accounts/add-account", params={"account_name": "desk"}).status_code == 201
    assert api.post("/accounts/add-account", params={"account_name": "desk"}).json() == {
        "detail": "Account already exists."
    }
    assert api.post("/accounts/add-account", params={"account_name": "de sk"}).status_code == 400
    keys = {"binance_api_key": "k-123", "binance_api_secret": "s-456"}
    r = api.post("/accounts/add-credential/desk/binance", json=keys)
    assert (r.status_code, r.json()) == (201, {"message": "Connector credentials added successfully."})
    assert fake.accounts["desk"]["binance"] == keys
    assert api.get("/accounts/desk/credentials").json() == ["binance"]
    assert api.post("/accounts/add-credential/desk/binance", json={"api_key": "x"}).status_code == 400
    assert api.post("/accounts/add-credential/desk/nowhere", json={}).json() == {"detail": "'nowhere'"}
    assert api.post("/accounts/delete-credential/desk/binance").status_code == 200
    assert api.get("/accounts/ghost/credentials").status_code == 404

    key = "0x" + "1f" * 32
    r = api.post("/accounts/gateway/add-wallet", json={"chain": "ethereum", "private_key": key})
    assert r.status_code == 201
    address = r.json()["address"]
    assert key[2:] not in r.text
    assert fake.wallets == {"ethereum": [address]}
    bad = api.post("/accounts/gateway/add-wallet", json={"chain": "ethereum", "private_key": "0xdeadbeef"})
    assert bad.status_code == 400
    assert "deadb" not in bad.text
    assert api.get("/accounts/gateway/wallets").json()[0]["default_address"] == address

    quote = {"connector": "jupiter", "network": "solana-mainnet-beta", "trading_pair": "SOL-USDC", "side": "SELL"}
    assert api.post("/gateway/swap/quote", json={**quote, "amount": 2}).json() == {
        "base": "SOL",
        "quote": "USDC",
        "price": "150.0",
        "amount": "2",
        "amount_in": "2.0",
        "amount_out": "300.0",
        "expected_amount": "300.0",
        "slippage_pct": "1.0",
        "gas_estimate": None,
    }
    refused = api.post("/gateway/swap/quote", json={**quote, "connector": "raydium", "amount": 2}).json()
    assert (refused["price"], refused["amount_out"]) == ("0", None)
    assert "jupiter" in [c["name"] for c in api.get("/gateway/connectors").json()["connectors"]]

    fake.gateway_up = False
    for path in ("/gateway/chains", "/gateway/connectors", "/accounts/gateway/wallets"):
        r = api.get(path)
        assert (r.status_code, r.json()) == (503, {"detail": "Gateway service is not available"})
    assert api.post("/gateway/swap/quote", json={**quote, "amount": 1}).status_code == 503
    assert api.get("/gateway/status").json()["running"] is False


def test_scripted_faults(fake, api):
    fake.faults.add("server_error", prefix="/bot-orchestration")
    assert api.get("/accounts/").status_code == 200  # another prefix passes untouched
    r = api.get("/bot-orchestration/status")
    assert (r.status_code, r.json()) == (500, {"detail": "Internal Server Error"})
    assert api.get("/bot-orchestration/status").status_code == 200
    fake.faults.add("dropped")
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/accounts/")
    fake.faults.add("slow")
    with pytest.raises(httpx.ReadTimeout):
        api.get("/accounts/", timeout=0.2)  # held until released, however fast the host
    fake.faults.release.set()
    assert api.get("/accounts/").status_code == 200
    assert fake.faults.served == {"server_error": 1, "dropped": 1, "slow": 1}


def test_validate_finds_the_config_class_as_the_real_lookup_does(fake, api):
    """By name among the module's classes: an imported base class named before the module's own wins."""
    imported = (
        "from hummingbot.strategy_v2.controllers.directional_trading_controller_base import (\n"
        "    DirectionalTradingControllerConfigBase,\n)\n\n"
        "class UpTradeXConfig(DirectionalTradingControllerConfigBase):\n    signal_kind: str = 'minor'\n"
    )
    through_module = (
        "from hummingbot.strategy_v2.controllers import directional_trading_controller_base as directional\n\n"
        "class UpTradeXConfig(directional.DirectionalTradingControllerConfigBase):\n    signal_kind: str = 'minor'\n"
    )
    config = {"controller_name": "x", "controller_type": "directional_trading", "signal_kind": "major"}
    for code, status in ((imported, 400), (through_module, 200)):
        assert api.post("/controllers/directional_trading/x", json={"content": code}).status_code == 201
        r = api.post("/controllers/directional_trading/x/config/validate", json=config)
        assert r.status_code == status, r.text
        if status == 400:  # validated against the base class, which forbids the module's own fields
            assert "signal_kind" in r.json()["detail"]
            assert "Extra inputs are not permitted" in r.json()["detail"]
