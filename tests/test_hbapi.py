"""The hummingbot-api client, deployer and performance sync against the loopback fake: retries only
where safe, every error style, secrets kept out of errors, a bot that dies after deploy, simulated
waits, cursor paging, the schema migration and the updater's periodic sync."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.fakes.clock import SimClock
from tests.fakes.hbapi import FakeHummingbotApi
from tests.fakes.server import ServerThread
from uptrade.data.store import open_store
from uptrade.data.store.schema import LATEST_VERSION
from uptrade.data.updater import DataUpdaterService, UpdaterConfig
from uptrade.errors import ApiAuthError, ApiUnavailableError, DeployError, HummingbotApiError
from uptrade.execution.deploy import Deployer, plan_deploy
from uptrade.execution.hbapi import HummingbotApi
from uptrade.execution.sync import sync_bots, sync_job
from uptrade.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bots"
OKX = EXAMPLES / "combined_okx_btc_1h.yml"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CODE = "class Config(DirectionalTradingControllerConfigBase):\n    controller_name: str = 'x'\n"


@pytest.fixture
def fake() -> Iterator[FakeHummingbotApi]:
    api = FakeHummingbotApi(password="pw-123456", now=T0)
    yield api
    api.faults.release.set()
    assert api.crashes == []


@pytest.fixture
def url(fake: FakeHummingbotApi) -> Iterator[str]:
    with ServerThread(fake.app) as served:
        yield served


class Sleeps(list[float]):
    """A ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(url: str, **kw: object) -> HummingbotApi:
    return HummingbotApi(url, "admin", SecretStr("pw-123456"), **kw)  # type: ignore[arg-type]


def test_reads_are_retried_and_writes_are_not(fake, url):
    sleeps = Sleeps()
    api = client(url, attempts=3, sleep=sleeps)  # 30 s timeout: no answer of the fake comes near it
    fake.faults.add("server_error", "/bot-orchestration/status")
    fake.faults.add("dropped", "/bot-orchestration/status")
    assert api.bots() == {}  # the third try answers
    assert len(sleeps) == 2

    # a read that never answers (the fake holds it until released) times out and is asked again;
    # its own client's timeout is short, and its tries are not counted (any may meet a busy host)
    fake.faults.add("slow", "/accounts/")
    with client(url, attempts=3, timeout=1.0, sleep=Sleeps()) as impatient:
        assert impatient.accounts() == ["master_account"]
    assert fake.faults.served["slow"] == 1

    for fault in ("server_error", "dropped"):
        fake.faults.add(fault, "/bot-orchestration/deploy-v2-controllers")
        before = fake.faults.served[fault]
        with pytest.raises(HummingbotApiError) as caught:
            api.deploy("b", ["c"], credentials_profile="master_account", image="hummingbot/hummingbot:version-2.12.0")
        assert fake.faults.served[fault] == before + 1  # sent once, never repeated
        assert len(sleeps) == 2
    assert "may have been carried out" in str(caught.value)
    assert fake.bots == {}

    fake.faults.add("server_error", "/accounts/", times=5)
    with pytest.raises(ApiUnavailableError, match=r"HTTP 500.*\(after 3 tries\)"):
        api.accounts()


def test_error_styles_become_one_clear_error(fake, url):
    api = client(url, attempts=1)
    with pytest.raises(ApiAuthError, match="HTTP 401") as auth:
        HummingbotApi(url, "admin", SecretStr("nope-nope"), attempts=1).bots()
    assert "nope-nope" not in str(auth.value)
    assert "nope-nope" not in repr(HummingbotApi(url, "admin", SecretStr("nope-nope")))

    # HTTP 200 carrying a failure: stop-and-archive of an unknown bot, stop-bot of an unknown bot
    with pytest.raises(HummingbotApiError, match="not found in active bots"):
        api.request("POST", "/bot-orchestration/stop-and-archive-bot/ghost", idempotent=False)
    with pytest.raises(HummingbotApiError, match="ghost"):
        api.request("POST", "/bot-orchestration/stop-bot", json={"bot_name": "ghost"}, idempotent=False)
    # 4xx with detail, 422 by field (never the value it got)
    with pytest.raises(HummingbotApiError, match=r"HTTP 404.*not found"):
        api.controller_config("missing")
    with pytest.raises(HummingbotApiError, match=r"HTTP 422\): chain: ") as invalid:
        api.request(
            "POST", "/accounts/gateway/add-wallet", json={"chain": ["x"], "private_key": "k" * 40}, idempotent=False
        )
    assert "kkkkk" not in str(invalid.value)
    # an unknown bot is HTTP 200 with status not_found
    assert api.bot("ghost").status == "not_found"


def test_wallet_key_never_reaches_an_error(fake, url):
    api = client(url, attempts=1)
    key = "0x" + "ab12" * 16
    fake.gateway_up = False
    with pytest.raises(ApiUnavailableError, match="HTTP 503") as down:
        api.add_wallet("ethereum", SecretStr(key))
    assert key[:7] not in str(down.value)
    fake.gateway_up = True
    answer = api.add_wallet("ethereum", SecretStr(key))
    assert answer["address"] in fake.wallets["ethereum"]
    assert key not in str(answer)


def _planned(tmp_path: Path) -> tuple:
    plan = plan_deploy(OKX, image="hummingbot/hummingbot:version-2.12.0", account="master_account")
    return plan, plan.name


def test_a_bot_that_dies_after_deploy_reports_its_error_logs(fake, url, tmp_path):
    plan, _ = _planned(tmp_path)
    seen: list[str] = []

    def on_status(status):  # the strategy dies while the deploy watches it start
        seen.append(status.status)
        if len(seen) == 2:
            name = next(iter(fake.bots))
            fake.discover(name)
            fake.crash(name, "Error loading controller uptrade_combined: numba could not compile kernel")

    with client(url, attempts=1) as api, pytest.raises(DeployError) as caught:
        Deployer(api, poll=3.0, sleep=Sleeps(), on_status=on_status).deploy(plan)
    assert "stopped with errors" in str(caught.value)
    assert "numba could not compile kernel" in str(caught.value)
    assert any("numba could not compile kernel" in line for line in caught.value.error_logs)


def test_a_bot_that_never_runs_times_out_in_simulated_time(fake, url, tmp_path):
    plan, _ = _planned(tmp_path)
    fake.images.add(plan.image)  # nothing to pull: only the start is waited for
    fake.polls_to_running = 10**9
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with client(url, attempts=1) as api, pytest.raises(DeployError, match="did not report running within 30 s"):
        Deployer(api, timeout=30.0, poll=3.0, clock=lambda: now[0], sleep=sleep).deploy(plan)
    assert now[0] == 30.0  # ten polls' waits, and not one real second
    statuses = [p for m, p in fake.requests if m == "GET" and p.endswith("/status")]
    assert len(statuses) == 11


def test_a_slow_image_pull_times_out_in_simulated_time(fake, url, tmp_path):
    plan, _ = _planned(tmp_path)
    fake.pull_reads = 10**9
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    states: list[str] = []
    with client(url, attempts=1) as api:
        deployer = Deployer(
            api, poll=5.0, pull_timeout=60.0, clock=lambda: now[0], sleep=sleep,
            on_pull=lambda image, state: states.append(state["status"]),
        )  # fmt: skip
        with pytest.raises(DeployError, match="still being pulled after 60 s"):
            deployer.deploy(plan)
    assert now[0] == 60.0
    assert states == ["pulling"] * 13
    assert fake.controllers == {}


def test_a_missing_profile_is_refused_before_anything_is_uploaded(fake, url):
    plan = plan_deploy(OKX, image="hummingbot/hummingbot:version-2.12.0", account="desk2")
    with client(url, attempts=1) as api, pytest.raises(DeployError, match="no credentials profile 'desk2'"):
        Deployer(api).deploy(plan)
    assert fake.controllers == {}


def test_sync_pages_per_controller_and_is_idempotent(fake, url, tmp_path):
    api = client(url, attempts=1)
    api.upload_controller("directional_trading", "x", CODE)
    for cid in ("c1", "c2"):
        api.save_controller_config(cid, {"id": cid, "controller_name": "x", "controller_type": "directional_trading",
                                         "connector_name": "binance", "trading_pair": "ETH-USDT"})  # fmt: skip
    name = api.deploy("duo", ["c1", "c2"], credentials_profile="master_account", image="i:1").unique_instance_name
    assert name is not None
    fake.discover(name)
    for k in range(7):  # seven dumps, both controllers stamped alike each time
        fake.tick(300)
        fake.advance(name, controller_id="c1", pnl=1.0, volume=10.0, snapshot=False)
        fake.advance(name, controller_id="c2", pnl=2.0, volume=5.0, snapshot=False, close_type_counts={"TP": k})
        fake.dump_performance()
    url_db = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(url_db, init=True) as store:
        report = sync_bots(api, store, page_size=3)  # pages of 3 rows: the cursor is followed
        assert report.rows == {name: 7}
        again = sync_bots(api, store, page_size=3)
        assert again.rows == {name: 1}  # the newest instant is re-read and rewritten, nothing added
        perf = store.paper_performance(name)
    assert len(perf) == 7
    assert list(perf["realized_pnl"]) == [3.0 * (k + 1) for k in range(7)]  # both controllers at each instant
    assert list(perf["volume"]) == [15.0 * (k + 1) for k in range(7)]
    assert list(perf["trades"]) == list(range(7))
    assert set(perf["symbol"]) == {"ETH-USDT"}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_schema_v4_database_gains_the_v5_columns_and_keeps_rows(backend, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else request.getfixturevalue("pg").create("v4")
    with open_store(url, init=True) as store:
        store.write_bot_performance([{"time": 1700000000, "bot_name": "old", "pnl": 1.5}])
        with store.engine.begin() as conn:  # back to the v4 table
            for column in ("source", "realized_pnl", "unrealized_pnl", "volume"):
                conn.exec_driver_sql(f"ALTER TABLE bot_performance DROP COLUMN {column}")
            conn.exec_driver_sql("DELETE FROM schema_version WHERE version = 5")
            assert conn.exec_driver_sql("SELECT max(version) FROM schema_version").scalar() == 4
    with open_store(url, init=True) as store:  # `uptrade db init` (PostgreSQL refuses an old schema without it)
        assert store.schema_version() == LATEST_VERSION == 5
        store.write_bot_performance([{"time": 1700000300, "bot_name": "old", "pnl": 2.0, "source": "paper"}])
        perf = store.paper_performance("old")
    assert list(perf["pnl"]) == [1.5, 2.0]
    assert list(perf["source"].fillna("-")) == ["-", "paper"]


def test_the_updater_runs_the_sync_beside_its_feeds(fake, url, tmp_path, btc_1h):
    api = client(url, attempts=1)
    api.upload_controller("directional_trading", "x", CODE)
    api.save_controller_config(
        "c1", {"id": "c1", "controller_name": "x", "controller_type": "directional_trading", "trading_pair": "BTC-USDT"}
    )
    name = api.deploy("solo", ["c1"], credentials_profile="master_account", image="i:1").unique_instance_name
    assert name is not None
    fake.discover(name)
    fake.advance(name, pnl=5.0, volume=100.0)

    candles = btc_1h.loc["2024-01-01":"2024-01-03"]
    path = tmp_path / "btc.csv"
    candles.reset_index().to_csv(path, index=False)
    start = int(candles.index[0].timestamp())
    t_end = int(candles.index[-1].timestamp()) + 3600
    config = UpdaterConfig.parse(
        {"feeds": [{"source": "file", "path": str(path), "symbol": "BTC-USDT", "timeframe": "1h", "start": start}]}
    )
    settings = Settings(hbapi_url=url, hbapi_password=SecretStr("pw-123456"), hbapi_attempts=1, bots_sync_interval=600)  # type: ignore[call-arg]
    clock = SimClock(float(t_end))
    with open_store(f"sqlite:///{tmp_path / 'u.db'}", init=True) as store:
        job = sync_job(store, settings)
        assert job is not None
        service = DataUpdaterService(store, config, settings=settings, clock=clock, jobs=[job])

        async def scenario() -> None:
            clock.track(asyncio.current_task())  # type: ignore[arg-type]
            runner = asyncio.create_task(service.run())
            while clock.tracked < 3:  # the feed and the job have started
                await asyncio.sleep(0)
            await clock.sleep(900)  # the job has run at +0 and +600
            with fake.lock:
                fake.tick(900)
                fake.advance(name, pnl=2.0, volume=50.0)
            await clock.sleep(1000)  # and at +1200 and +1800: the new snapshot is synced
            service.stop()
            await runner

        asyncio.run(scenario())
        perf = store.paper_performance(name)
        stored = store.read_ohlcv("BTC-USDT", "1h")
    assert job.runs == 4
    assert job.error is None
    assert list(perf["realized_pnl"]) == [5.0, 7.0]
    assert len(stored) == len(candles)  # the feed did its work beside the job


def test_sync_job_is_off_by_default(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'o.db'}", init=True) as store:
        assert sync_job(store, Settings()) is None  # type: ignore[call-arg]
