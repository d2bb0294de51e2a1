"""``uptrade bots deploy|list|status|stop|logs|sync|credentials`` and ``uptrade gateway``, end to end
through the CLI against the loopback hummingbot-api (tests/fakes/hbapi.py): what reaches the API,
what the user reads, and that a refused action sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.fakes.hbapi import FakeHummingbotApi
from tests.fakes.server import ServerThread
from uptrade.cli import app
from uptrade.data.store import open_store
from uptrade.execution.bundle import Bundle

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bots"
OKX = EXAMPLES / "combined_okx_btc_1h.yml"  # combined-btc-okx, okx spot, paper
PERP = EXAMPLES / "sniper_binance_perpetual_btc_1h.yml"  # binance_perpetual
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PASSWORD = "s3cret-Pa55"
IMAGE = "hummingbot/hummingbot:version-2.12.0"

runner = CliRunner()


@pytest.fixture
def fake() -> Iterator[FakeHummingbotApi]:
    api = FakeHummingbotApi(username="admin", password=PASSWORD, now=T0)
    yield api
    api.faults.release.set()  # free a request a test left waiting
    assert api.crashes == []


@pytest.fixture
def url(fake: FakeHummingbotApi) -> Iterator[str]:
    with ServerThread(fake.app) as served:
        yield served


@pytest.fixture
def cli(url: str, tmp_path: Path) -> Any:
    """``cli(*args, input=..., **env)``: run ``uptrade`` against the fake with a store in tmp_path."""
    db = f"sqlite:///{tmp_path / 'bots.db'}"

    def run(*args: str, input: str | None = None, **env: str) -> Any:
        base = {
            "UPTRADE_DATABASE_URL": None,
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
        return runner.invoke(app, ["--db", db, *args], env={**base, **env}, input=input)

    run.db = db  # type: ignore[attr-defined]
    return run


def one_error_line(result: Any) -> str:
    """The CLI's failure: exit code 1, one ``error:`` line, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def nothing_sent(fake: FakeHummingbotApi) -> bool:
    return not fake.controllers and not fake.configs and not fake.bots


def test_paper_deploy_runs_the_bundled_controller_on_the_paper_connector(cli, fake):
    result = cli("bots", "deploy", str(OKX))
    assert result.exit_code == 0, result.output
    assert fake.controllers == {
        ("directional_trading", "uptrade_combined"): Bundle(["uptrade_combined"]).render("uptrade_combined")
    }
    config = fake.configs["combined-btc-okx"]
    assert config["connector_name"] == "okx_paper_trade"  # paper by default
    assert config["candles_connector"] == "okx"  # the real candle feed
    assert config["controller_name"] == "uptrade_combined"
    assert config["sources"]["vzo:minor"]["vzo_length"] == 14
    ((name, bot),) = fake.bots.items()
    assert name == f"combined-btc-okx-{T0:%Y%m%d-%H%M%S}"
    assert bot.image == IMAGE
    assert bot.headless
    assert bot.credentials_profile == "master_account"
    assert bot.controllers == ["combined-btc-okx"]  # the config saved under the bot's name
    assert bot.status == "running"
    assert f"running: {name}" in result.stdout
    assert "status: not_found" in result.stdout
    assert "status: running" in result.stdout
    # the order: upload, save, validate, deploy, then status reads
    # the image was pulled before the deploy (not inside the deploy call)
    assert f"pulling {IMAGE}: completed" in result.stdout
    assert fake.inline_pulls == 0
    assert IMAGE in fake.images
    posts = [p for m, p in fake.requests if m == "POST"]
    assert posts == [
        "/docker/pull-image/",
        "/controllers/directional_trading/uptrade_combined",
        "/controllers/configs/combined-btc-okx",
        "/controllers/directional_trading/uptrade_combined/config/validate",
        "/bot-orchestration/deploy-v2-controllers",
    ]
    assert PASSWORD not in result.output
    # a second bot of the same controller: the code on the instance is the same, so it is not rewritten
    fake.tick(1)
    again = cli("bots", "deploy", str(OKX), "--name", "combined-2")
    assert again.exit_code == 0, again.output
    posts = [p for m, p in fake.requests if m == "POST"][5:]
    assert "/controllers/directional_trading/uptrade_combined" not in posts
    assert "/docker/pull-image/" not in posts  # the image is there now
    assert "/controllers/configs/combined-2" in posts
    assert fake.configs["combined-2"]["id"] == "combined-2"


def test_list_status_logs_sync_and_stop(cli, fake):
    assert cli("bots", "deploy", str(OKX)).exit_code == 0
    (name,) = fake.bots
    with fake.lock:
        fake.advance(name, pnl=12.5, volume=2000.0, unrealized=-2.5)
        fake.tick(300)
        fake.advance(name, pnl=7.5, volume=1000.0, unrealized=1.0)
        fake.log(name, "signal 1 on the closed bar: opened a long executor")
    listed = cli("bots", "list")
    assert listed.exit_code == 0, listed.output
    assert name in listed.stdout
    assert "running" in listed.stdout
    assert "+21.00" in listed.stdout  # realised 20 + unrealised 1
    status = cli("bots", "status", name)
    assert status.exit_code == 0, status.output
    assert "running" in status.stdout
    assert "3,000.00" in status.stdout
    logs = cli("bots", "logs", name)
    assert logs.exit_code == 0
    assert "opened a long executor" in logs.stdout

    synced = cli("bots", "sync")
    assert synced.exit_code == 0, synced.output
    with open_store(cli.db) as store:
        perf = store.paper_performance(name)
        latest = {r["bot_name"]: r for r in store.bot_performance_latest()}
    assert list(perf["pnl"]) == [10.0, 21.0]
    assert list(perf["realized_pnl"]) == [12.5, 20.0]
    assert list(perf["volume"]) == [2000.0, 3000.0]
    assert set(perf["source"]) == {"hummingbot"}
    assert set(perf["symbol"]) == {"BTC-USDT"}
    assert latest[name]["exchange"] == "okx_paper_trade"
    # idempotent: a second sync rewrites the same rows, adds none
    assert cli("bots", "sync").exit_code == 0
    with open_store(cli.db) as store:
        assert len(store.paper_performance(name)) == 2
    paper = cli("paper", "status")
    assert paper.exit_code == 0
    assert name in paper.stdout
    assert "+21.00" in paper.stdout

    stopped = cli("bots", "stop", name)
    assert stopped.exit_code == 0, stopped.output
    assert fake.bots[name].phase == "stopped"
    archived = cli("bots", "stop", name, "--archive")
    assert archived.exit_code == 0, archived.output
    assert name in fake.archived
    assert name not in fake.bots


def test_bad_credentials_unknown_bot_and_bad_name_are_one_line_and_send_nothing(cli, fake):
    bad = one_error_line(cli("bots", "deploy", str(OKX), UPTRADE_HBAPI_PASSWORD="wrong-one"))
    assert "HTTP 401" in bad
    assert "UPTRADE_HBAPI_PASSWORD" in bad
    assert "wrong-one" not in bad
    assert nothing_sent(fake)

    unknown = one_error_line(cli("bots", "status", "no-such-bot"))
    assert "no bot 'no-such-bot'" in unknown
    assert "no bot 'ghost'" in one_error_line(cli("bots", "stop", "ghost"))
    assert not any(p.endswith("stop-bot") for _, p in fake.requests)

    before = len(fake.requests)
    dotted = one_error_line(cli("bots", "deploy", str(OKX), "--name", "btc.v2"))
    assert "'btc.v2'" in dotted
    assert "letters, digits" in dotted
    assert "letters, digits" in one_error_line(cli("bots", "logs", "a.b"))
    assert len(fake.requests) == before  # refused before any request


def test_live_deploy_needs_the_setting_a_confirmation_and_keys(cli, fake):
    off = one_error_line(cli("bots", "deploy", str(PERP), "--live", "--yes"))
    assert "UPTRADE_ALLOW_LIVE=true" in off
    unconfirmed = one_error_line(cli("bots", "deploy", str(PERP), "--live", UPTRADE_ALLOW_LIVE="true"))
    assert "confirmation" in unconfirmed
    declined = cli("bots", "deploy", str(PERP), "--live", input="n\n", UPTRADE_ALLOW_LIVE="true")
    assert declined.exit_code == 1
    assert fake.requests == []  # nothing at all was sent

    # a perpetual has no Hummingbot paper connector: the paper deploy says what to do instead
    paper = one_error_line(cli("bots", "deploy", str(PERP)))
    assert "uptrade paper run" in paper
    assert "binance_perpetual_testnet" in paper
    assert fake.requests == []

    nokeys = one_error_line(cli("bots", "deploy", str(PERP), "--live", "--yes", UPTRADE_ALLOW_LIVE="true"))
    assert "no keys for binance_perpetual" in nokeys
    assert "nothing was deployed" in nokeys
    assert nothing_sent(fake)

    key, secret = "k3y-0123456789abcdef", "s3cr3t-fedcba9876543210"
    added = cli("bots", "credentials", "add", "binance_perpetual", input=f"{key}\n{secret}\n")
    assert added.exit_code == 0, added.output
    assert fake.accounts["master_account"]["binance_perpetual"] == {
        "binance_perpetual_api_key": key,
        "binance_perpetual_api_secret": secret,
    }
    assert key not in added.output
    assert secret not in added.output
    listed = cli("bots", "credentials", "list")
    assert "master_account: binance_perpetual" in listed.stdout
    assert key not in listed.stdout

    live = cli("bots", "deploy", str(PERP), "--live", "--yes", UPTRADE_ALLOW_LIVE="true")
    assert live.exit_code == 0, live.output
    config = next(iter(fake.configs.values()))
    assert config["connector_name"] == "binance_perpetual"  # the real connector: real orders
    assert config["leverage"] == yaml.safe_load(PERP.read_text())["execution"]["leverage"]


def test_hyperliquid_keys_prompt_types_and_unknown_connector(cli, fake):
    added = cli(
        "bots", "credentials", "add", "hyperliquid_perpetual", "--account", "hl",
        input="api_wallet\n\n0xabc0000000000000000000000000000000000001\nsecret-key-0000000000000000\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert fake.accounts["hl"]["hyperliquid_perpetual"] == {
        "hyperliquid_perpetual_mode": "api_wallet",  # use_vault left empty: optional, not sent
        "hyperliquid_perpetual_address": "0xabc0000000000000000000000000000000000001",
        "hyperliquid_perpetual_secret_key": "secret-key-0000000000000000",
    }
    unknown = one_error_line(cli("bots", "credentials", "add", "binanse", input="x\n"))
    assert "did you mean binance" in unknown


def test_an_image_that_cannot_be_pulled_deploys_nothing(cli, fake):
    fake.pull_error = "manifest for hummingbot/hummingbot:version-2.12.0 not found: manifest unknown"
    failed = one_error_line(cli("bots", "deploy", str(OKX)))
    assert f"pulling {IMAGE} failed: manifest for" in failed
    assert "nothing was deployed" in failed
    assert nothing_sent(fake)


def test_docker_failure_is_one_line_and_creates_no_bot(cli, fake):
    fake.docker_error = "pull access denied for hummingbot/hummingbot, repository does not exist"
    docker = one_error_line(cli("bots", "deploy", str(OKX)))
    assert "pull access denied" in docker
    assert fake.bots == {}


def test_a_bot_that_deploys_then_stops_with_errors(cli, fake):
    fake.import_errors["uptrade_combined"] = "ModuleNotFoundError: No module named 'numba'"
    died = one_error_line(cli("bots", "deploy", str(OKX)))
    (name,) = fake.bots
    assert f"{name} was deployed but stopped with errors" in died
    assert "No module named 'numba'" in died
    logs = cli("bots", "logs", name, "--errors")
    assert logs.exit_code == 0
    assert "ERROR Error loading controller uptrade_combined" in logs.stdout
    status = cli("bots", "status", name)
    assert "stopped" in status.stdout
    assert "No module named 'numba'" in status.stdout


def test_slow_and_dropped_answers(cli, fake):
    fake.faults.add("dropped", "/bot-orchestration/deploy-v2-controllers")
    dropped = one_error_line(cli("bots", "deploy", str(OKX)))
    assert "dropped the connection" in dropped
    assert "may have been carried out" in dropped
    assert fake.faults.served["dropped"] == 1  # sent once, never repeated
    assert fake.bots == {}

    fake.faults.add("slow", "/bot-orchestration/status")
    slow = one_error_line(cli("bots", "list", UPTRADE_HBAPI_TIMEOUT="0.5"))
    assert "timed out" in slow
    fake.faults.release.set()


def test_gateway_commands(cli, fake):
    chains = cli("gateway", "chains")
    assert chains.exit_code == 0, chains.output
    assert "ethereum" in chains.stdout
    assert "solana" in chains.stdout
    connectors = cli("gateway", "connectors")
    assert connectors.exit_code == 0
    assert "uniswap" in connectors.stdout

    key = "5" * 64
    wallet = cli("gateway", "add-wallet", "--chain", "ethereum", input=key + "\n")
    assert wallet.exit_code == 0, wallet.output
    assert fake.wallets["ethereum"]
    assert fake.wallets["ethereum"][0] in wallet.stdout
    assert key not in wallet.output
    assert key[:5] not in wallet.output

    quote = cli("gateway", "quote", "uniswap/router", "ethereum-mainnet", "WETH-USDC", "SELL", "0.5")
    assert quote.exit_code == 0, quote.output
    assert "price 3,000" in quote.stdout
    nothing = one_error_line(cli("gateway", "quote", "uniswap/router", "ethereum-mainnet", "FOO-BAR", "SELL", "1"))
    assert "no quote" in nothing
    assert "SIDE must be BUY or SELL" in one_error_line(
        cli("gateway", "quote", "uniswap/router", "ethereum-mainnet", "WETH-USDC", "HOLD", "1")
    )

    fake.gateway_up = False
    down = one_error_line(cli("gateway", "chains"))
    assert "HTTP 503" in down
    assert "Gateway" in down


def test_unreachable_api_is_one_line(cli, fake, tmp_path):
    result = one_error_line(cli("bots", "list", UPTRADE_HBAPI_URL="http://127.0.0.1:9"))
    assert "not reachable" in result
