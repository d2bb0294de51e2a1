"""The bots page, its cards and the library's view of a bot (:mod:`uptrade.execution.monitor`).

Paper runs are real replays of the paper engine on Binance BTC/USDT 1h candles in an embedded
store; hummingbot-api is the loopback fake (tests/fakes/hbapi.py) with bots deployed through the
client, their performance moved by the fake and synced into the store by ``sync_bots``. The page
is checked against ``uptrade paper status`` (the CLI's table, parsed), against the store, and
against the numbers the fake was given.
"""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from tests.dashboard_support import no_exception, page_test
from tests.fakes.hbapi import FakeHummingbotApi
from tests.fakes.server import ServerThread
from tests.test_paper import SNIPER, bot_dict, make_store
from uptrade.cli import app
from uptrade.dashboard.components import cards
from uptrade.data.store import Store, open_store
from uptrade.execution import monitor
from uptrade.execution.bots import BotConfig
from uptrade.execution.hbapi import HummingbotApi
from uptrade.execution.hbapi_models import BotStatus
from uptrade.execution.paper import PaperEngine
from uptrade.execution.sync import sync_bots
from uptrade.settings import Settings

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PASSWORD = "Hb-s3cret-Pa55"
CODE = "class Config(DirectionalTradingControllerConfigBase):\n    controller_name: str = 'x'\n"
POSITION = {
    "connector_name": "okx_paper_trade",
    "trading_pair": "BTC-USDT",
    "side": "BUY",
    "amount": 0.01,
    "breakeven_price": 61234.5,
    "unrealized_pnl_quote": 1.0,
}


@dataclass
class World:
    """The store with three paper runs (finished, running, interrupted) and a bot synced long ago."""

    url: str
    path: Path
    dead_pid: int


def _replay(store: Store, name: str, end: str) -> None:
    PaperEngine(BotConfig.model_validate(bot_dict(SNIPER, name=name)), store).replay("2023-02-01", end)


def _dead_pid() -> int:
    """A process id no process can have on this host (ids stay below ``pid_max``): a process that is gone."""
    return int(Path("/proc/sys/kernel/pid_max").read_text())


@pytest.fixture(scope="module")
def world(btc_1h: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("bots") / "bots.db"
    url = f"sqlite:///{path}"
    store = make_store(url, BTC_USDT=btc_1h.loc["2023-01-01":"2023-03-31"])
    try:
        _replay(store, "sniper_btc", "2023-03-10 05:00")  # finished, an executor still open
        _replay(store, "live_btc", "2023-02-20")
        _replay(store, "dead_btc", "2023-02-25")
        # live_btc: recorded as running by this very process (alive); dead_btc: by a process that is gone
        store.set_paper_status("live_btc", "running", datetime.now(UTC))
        dead = _dead_pid()
        run = store.paper_run("dead_btc")
        assert run is not None
        store.begin_paper_run({**run, "status": "running", "pid": dead})
        store.write_bot_performance(
            [
                {
                    "time": int(T0.timestamp()) - 86400,
                    "bot_name": "gone-bot",
                    "symbol": "ETH-USDT",
                    "exchange": "okx",
                    "source": "hummingbot",
                    "pnl": -4.25,
                    "realized_pnl": -4.25,
                    "unrealized_pnl": 0.0,
                    "volume": 300.0,
                    "trades": 3,
                }
            ]
        )
    finally:
        store.close()
    return World(url, path, dead)


@dataclass
class Hb:
    fake: FakeHummingbotApi
    url: str
    alpha: str
    beta: str


def _deploy(api: HummingbotApi, fake: FakeHummingbotApi, name: str, amount: float) -> str:
    api.save_controller_config(
        name,
        {
            "id": name,
            "controller_name": "x",
            "controller_type": "directional_trading",
            "connector_name": "okx_paper_trade",
            "trading_pair": "BTC-USDT",
            "total_amount_quote": amount,
        },
    )
    unique = api.deploy(name, [name], credentials_profile="master_account", image="i:1").unique_instance_name
    assert unique is not None
    fake.discover(unique)
    return unique


@pytest.fixture
def hb(world: World) -> Iterator[Hb]:
    """The fake with two running bots (alpha: two snapshots, a position, closed executors), synced to the store."""
    fake = FakeHummingbotApi(password=PASSWORD, now=T0)
    with ServerThread(fake.app) as url:
        with HummingbotApi(url, "admin", SecretStr(PASSWORD), attempts=1) as api:
            api.upload_controller("directional_trading", "x", CODE)
            alpha = _deploy(api, fake, "alpha", 1000.0)
            beta = _deploy(api, fake, "beta", 500.0)
            fake.advance(alpha, pnl=12.5, volume=2000.0, unrealized=-2.5)
            fake.advance(beta, pnl=-3.0, volume=500.0)
            fake.tick(300)
            fake.advance(
                alpha,
                pnl=7.5,
                volume=1000.0,
                unrealized=1.0,
                close_type_counts={"CloseType.TAKE_PROFIT": 2, "CloseType.STOP_LOSS": 1},
                positions_summary=[POSITION],
            )
            with open_store(world.url) as store:
                sync_bots(api, store)
        yield Hb(fake, url, alpha, beta)
        fake.faults.release.set()
    assert fake.crashes == []


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, world: World) -> pytest.MonkeyPatch:
    """No hummingbot-api configured, no settings from the host."""
    for name in ("UPTRADE_HBAPI_URL", "UPTRADE_HBAPI_PASSWORD", "UPTRADE_HBAPI_USERNAME", "UPTRADE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UPTRADE_HOME", str(world.path.parent / "home"))
    monkeypatch.setenv("UPTRADE_HBAPI_ATTEMPTS", "1")
    return monkeypatch


def configure(env: pytest.MonkeyPatch, url: str) -> None:
    env.setenv("UPTRADE_HBAPI_URL", url)
    env.setenv("UPTRADE_HBAPI_USERNAME", "admin")
    env.setenv("UPTRADE_HBAPI_PASSWORD", PASSWORD)


# --------------------------------------------------------------------------- helpers


def cli_rows(url: str) -> dict[str, dict[str, str]]:
    """``uptrade paper status``'s table of paper runs, parsed: bot -> column -> cell text."""
    result = CliRunner().invoke(app, ["--db", url, "paper", "status"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(ln for ln in lines if ln.startswith("┃"))
    columns = [c.strip() for c in header.strip("┃").split("┃")]
    rows = {}
    for line in lines[lines.index(header) :]:
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            row = dict(zip(columns, cells, strict=True))
            rows[row["bot"]] = row
        elif line.startswith("└"):
            break
    return rows


def card(at: AppTest, source: str, name: str) -> Any:
    return at.get_by_key(f"bots_card_{source}_{name}")


def metrics(block: Any) -> dict[str, tuple[str, str]]:
    """A card's metrics: label -> (value, delta)."""
    return {m.label: (m.value, m.proto.delta) for m in block.metric}


def texts(at: AppTest) -> list[str]:
    """Every element's protobuf text, main area and sidebar (for secrets)."""
    return [str(node.proto) for root in (at.main, at.sidebar) for node in root if node.proto is not None]


def figure(at: AppTest, key: str) -> dict[str, Any]:
    return json.loads(at.get_by_key(key).proto.spec)


def values(data: Any) -> list[float]:
    """A figure's array: plotly sends numbers as ``{"dtype", "bdata"}`` (base64) or as a list."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def run_page(env: pytest.MonkeyPatch, url: str) -> AppTest:
    return page_test(env, url, "bots")


# --------------------------------------------------------------------------- the page


def test_paper_runs_show_what_paper_status_prints(env, world):
    at = run_page(env, world.url)
    no_exception(at)
    cli = cli_rows(world.url)
    assert set(cli) == {"sniper_btc", "live_btc", "dead_btc"}
    assert {r["status"] for r in cli.values()} == {"finished", "running", "interrupted"}
    for name, row in cli.items():
        block = card(at, "paper", name)
        assert f"[{row['status']}]" in block.markdown[0].value
        shown = metrics(block)
        value, delta = shown["PnL"]
        assert f"{value} ({delta})" == row["PnL"]
        assert shown["open executors"][0] == row["open"]
        assert shown["trades"][0] == row["trades"]
        assert shown["equity"][0] == row["equity"]
    assert any(f"kill -TERM {os.getpid()}" in c.value for c in card(at, "paper", "live_btc").caption)
    assert any("resumes it" in c.value for c in card(at, "paper", "dead_btc").caption)
    assert any("Not configured" in c.value for c in at.caption)
    # the bot synced long ago: a card from the store, no API asked
    assert "[synced]" in card(at, "hummingbot", "gone-bot").markdown[0].value
    assert metrics(card(at, "hummingbot", "gone-bot"))["PnL"][0] == "-4.25"
    # details of the first run (the selectbox's first choice): its history and executors, as the store has them
    assert at.selectbox(key="bots_detail").value.startswith("dead_btc")
    at.selectbox(key="bots_detail").select("sniper_btc (paper)").run()
    no_exception(at)
    with open_store(world.url) as store:
        perf = store.paper_performance("sniper_btc")
        executors = store.paper_executors("sniper_btc")
    (line,) = figure(at, "bots_history")["data"]
    assert len(values(line["y"])) == len(perf) < 2000
    assert values(line["y"]) == pytest.approx(list(perf["pnl"]), abs=1e-9)
    table = at.get_by_key("bots_executors").dataframe[0].value
    assert len(table) == len(executors)
    assert (table["status"] == "open").sum() == (executors["status"] == "open").sum() == 1
    assert table["status"].iloc[0] == "open"


def test_hummingbot_bots_cards_history_and_executors(env, world, hb):
    configure(env, hb.url)
    at = run_page(env, world.url)
    no_exception(at)
    alpha = card(at, "hummingbot", hb.alpha)
    assert "[running]" in alpha.markdown[0].value
    shown = metrics(alpha)
    assert shown["PnL"] == ("+21.00", "+2.10%")  # realised 20 + unrealised 1, of total_amount_quote 1000
    assert shown["volume"][0] == "3,000.00"
    assert shown["open positions"][0] == "1"
    assert shown["trades"][0] == "3"
    assert any("last update 2026-12-01 12:05" in c.value for c in alpha.caption)
    beta = metrics(card(at, "hummingbot", hb.beta))
    assert beta["PnL"] == ("-3.00", "-0.60%")
    assert card(at, "hummingbot", hb.alpha).button(key=f"bots_card_hummingbot_{hb.alpha}_stop")
    gone = card(at, "hummingbot", "gone-bot")
    assert "[not_found]" in gone.markdown[0].value
    assert any("not on hummingbot-api now" in c.value for c in gone.caption)
    assert not gone.button  # nothing to stop

    at.selectbox(key="bots_detail").select(f"{hb.alpha} (hummingbot-api)").run()
    no_exception(at)
    lines = {t["name"]: values(t["y"]) for t in figure(at, "bots_history")["data"]}
    assert lines == {"PnL": [10.0, 21.0], "realised": [12.5, 20.0], "unrealised": [-2.5, 1.0]}  # the synced rows
    controllers = at.get_by_key("bots_controllers").dataframe[0].value
    (row,) = controllers.to_dict("records")
    assert (row["controller"], row["closed_executors"], row["open_positions"]) == ("alpha", 3, 1)
    assert row["close_types"] == "TAKE_PROFIT 2, STOP_LOSS 1"
    assert row["pnl"] == pytest.approx(21.0)
    positions = at.get_by_key("bots_positions").dataframe[0].value
    assert list(positions["breakeven_price"]) == [61234.5]
    assert not any(PASSWORD in t for t in texts(at))


def test_stop_asks_for_a_confirmation_then_stops_the_bot(env, world, hb):
    configure(env, hb.url)
    at = run_page(env, world.url)
    key = f"bots_card_hummingbot_{hb.beta}"
    stops = lambda: [p for m, p in hb.fake.requests if p.endswith("/stop-bot")]  # noqa: E731
    at.button(key=f"{key}_stop").click().run()
    no_exception(at)
    assert hb.fake.bots[hb.beta].phase == "running"  # one click only asks
    assert not stops()
    assert any(f"Stop {hb.beta}" in w.value for w in at.warning)
    at.button(key=f"{key}_cancel").click().run()
    assert hb.fake.bots[hb.beta].phase == "running"
    assert not at.warning
    at.button(key=f"{key}_stop").click().run()
    at.button(key=f"{key}_confirm").click().run()
    no_exception(at)
    assert hb.fake.bots[hb.beta].phase == "stopped"
    assert len(stops()) == 1
    assert hb.fake.bots[hb.alpha].phase == "running"
    assert any(f"{hb.beta}: stop sent" in s.value for s in at.success)
    after = card(at, "hummingbot", hb.beta)
    assert "[stopped]" in after.markdown[0].value
    assert metrics(after)["PnL"][0] == "-3.00"  # a stopped bot no longer reports: its last snapshot's figures
    assert not after.button


def test_hummingbot_api_down_is_one_line_and_the_paper_runs_still_show(env, world, hb):
    configure(env, hb.url)
    at = run_page(env, world.url)
    no_exception(at)

    def check(expected: str) -> None:
        assert not at.exception
        (error,) = at.error
        assert error.value.startswith("hummingbot-api: ")
        assert expected in error.value
        assert "Traceback" not in error.value
        assert "[finished]" in card(at, "paper", "sniper_btc").markdown[0].value
        assert "[synced]" in card(at, "hummingbot", "gone-bot").markdown[0].value  # the last sync's figures
        assert not any(PASSWORD in t for t in texts(at))

    hb.fake.faults.add("dropped", "/bot-orchestration/status")
    at.run()
    check("dropped the connection")
    hb.fake.faults.add("server_error", "/bot-orchestration/status")
    at.run()
    check("HTTP 500")
    hb.fake.gateway_up = False  # Gateway down: the bots' routes still answer
    at.run()
    no_exception(at)
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env.setenv("UPTRADE_HBAPI_URL", closed)
    at.run()
    check("not reachable")
    env.setenv("UPTRADE_HBAPI_PASSWORD", "wrong-one")
    env.setenv("UPTRADE_HBAPI_URL", hb.url)
    at.run()
    check("HTTP 401")
    assert not any("wrong-one" in t for t in texts(at))


def test_empty_and_unreachable_stores_are_one_message(env, tmp_path):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(empty, init=True).close()
    at = run_page(env, empty)
    no_exception(at)
    assert any("No paper runs in the store" in i.value for i in at.info)
    down = "postgresql+psycopg://uptrade:db-pw-123@127.0.0.1:9/nothing"
    env.setenv("UPTRADE_DATABASE_URL", down)
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert not any("db-pw-123" in t for t in texts(at))


# --------------------------------------------------------------------------- monitor


def test_paper_views_read_the_store(world):
    with open_store(world.url) as store:
        views = {v.name: v for v in monitor.paper_bots(store)}
        runs = {r["bot_name"]: r for r in store.paper_runs()}
        for name, view in views.items():
            run = runs[name]
            perf = store.paper_performance(name).iloc[-1]
            assert view.pnl == pytest.approx(run["equity"] - run["initial_capital"])
            assert view.pnl_pct == pytest.approx(view.pnl / 1000.0)  # SNIPER's initial capital
            assert view.trades == perf["trades"]
            assert view.win_rate == pytest.approx(perf["win_rate"])
            assert view.sharpe == pytest.approx(perf["sharpe"])
            assert view.open_executors == (store.paper_executors(name)["status"] == "open").sum()
            assert view.last_bar == pd.Timestamp(run["last_bar"], unit="s", tz="UTC")
            assert view.market == "BTC-USDT 1h"
        assert monitor.paper_bot(store, "nobody") is None
        executors = monitor.paper_executors(store, "sniper_btc")
    assert {n: (v.status, v.state) for n, v in views.items()} == {
        "sniper_btc": ("finished", "stopped"),
        "live_btc": ("running", "running"),
        "dead_btc": ("interrupted", "interrupted"),
    }
    assert views["dead_btc"].pid == world.dead_pid
    assert [v.name for v in monitor.by_state(views.values())] == ["dead_btc", "live_btc", "sniper_btc"]
    closed = executors[executors["status"] == "closed"]
    opened = executors[executors["status"] == "open"]
    assert list(closed["price"]) == list(closed["exit_price"])
    assert list(opened["price"]) == list(opened["last_price"])


def test_hummingbot_views_from_the_api_and_the_sync(world, hb):
    with HummingbotApi(hb.url, "admin", SecretStr(PASSWORD), attempts=1) as api, open_store(world.url) as store:
        views = {v.name: v for v in monitor.hummingbot_bots(api, store)}
        without_store = [v.name for v in monitor.hummingbot_bots(api)]
        monitor.stop_bot(api, hb.beta)
        stopped = {v.name: v for v in monitor.hummingbot_bots(api, store)}[hb.beta]
    alpha = views[hb.alpha]
    assert (alpha.status, alpha.state, alpha.symbol, alpha.exchange) == (
        "running",
        "running",
        "BTC-USDT",
        "okx_paper_trade",
    )
    assert (alpha.pnl, alpha.realized_pnl, alpha.unrealized_pnl, alpha.volume) == (21.0, 20.0, 1.0, 3000.0)
    assert (alpha.capital, alpha.trades, alpha.open_positions, alpha.open_executors) == (1000.0, 3, 1, None)
    assert alpha.last_update == pd.Timestamp(T0 + timedelta(seconds=300))
    assert alpha.controllers == ("alpha",)
    assert alpha.stoppable
    assert views["gone-bot"].status == "not_found"
    assert views["gone-bot"].pnl == -4.25
    assert not views["gone-bot"].stoppable
    assert without_store == sorted([hb.alpha, hb.beta])
    assert (stopped.status, stopped.state, stopped.pnl, stopped.stoppable) == ("stopped", "stopped", -3.0, False)


def _status(status: str, **kw: Any) -> BotStatus:
    return BotStatus.model_validate({"name": "b", "status": status, **kw})


@pytest.mark.parametrize(
    ("status", "extra", "state"),
    [
        ("running", {}, "running"),
        ("running", {"performance": {"c": {"status": "error", "error": "boom"}}}, "error"),
        ("idle", {}, "interrupted"),
        ("stopped", {}, "stopped"),
        ("stopped", {"error_logs": [{"level_name": "ERROR", "msg": "No module named 'numba'"}]}, "error"),
        ("not_found", {}, "stopped"),
        ("crashed", {}, "error"),
    ],
)
def test_hummingbot_state(status, extra, state):
    assert monitor.hummingbot_state(_status(status, **extra)) == state


def test_controller_and_position_tables():
    live = _status(
        "running",
        performance={
            "c1": {
                "performance": {
                    "global_pnl_quote": 2.0,
                    "volume_traded": 10.0,
                    "positions_summary": [POSITION],
                    "close_type_counts": {"CloseType.TIME_LIMIT": 4},
                }
            },
            "c2": {"status": "error", "error": "boom", "performance": {"global_pnl_quote": -1.0}},
        },
    )
    table = monitor.controller_table(live)
    assert list(table["controller"]) == ["c1", "c2"]
    assert list(table["closed_executors"]) == [4, 0]
    assert table["open_positions"].tolist()[0] == 1
    assert list(table["close_types"]) == ["TIME_LIMIT 4", ""]
    assert table["error"].isna().tolist() == [True, False]
    assert table["error"].iloc[1] == "boom"
    positions = monitor.position_table(live)
    assert positions.to_dict("records") == [{"controller": "c1", **POSITION}]
    assert monitor.position_table(_status("stopped")).empty


def test_configured_only_when_the_url_is_set(monkeypatch):
    monkeypatch.delenv("UPTRADE_HBAPI_URL", raising=False)
    assert not monitor.hbapi_configured(Settings())
    assert monitor.hbapi_client(Settings()) is None
    assert monitor.hbapi_configured(Settings(hbapi_url="http://127.0.0.1:8000"))  # the default, but set
    assert not monitor.hbapi_configured(Settings(hbapi_url=" "))
    monkeypatch.setenv("UPTRADE_HBAPI_URL", "http://10.0.0.2:8000")
    assert monitor.hbapi_configured(Settings())


def test_secrets_are_masked():
    settings = Settings(hbapi_password=SecretStr("pw-987654"), database_url=SecretStr("postgresql://u:dbpw-42@h/db"))
    error = RuntimeError("refused pw-987654 at postgresql://u:dbpw-42@h/db")
    assert monitor.public_message(error, settings) == "refused *** at postgresql://u:***@h/db"
    assert monitor.public_url("http://admin:pw-987654@10.0.0.2:8000/") == "http://admin:***@10.0.0.2:8000/"
    assert monitor.public_url("http://10.0.0.2:8000") == "http://10.0.0.2:8000"


# --------------------------------------------------------------------------- cards


def _paper(**kw: Any) -> monitor.BotView:
    base: dict[str, Any] = {
        "name": "p",
        "source": "paper",
        "status": "finished",
        "state": "stopped",
        "symbol": "BTC-USDT",
        "timeframe": "1h",
        "mode": "replay",
    }
    return monitor.BotView(**{**base, **kw})


def test_card_text():
    view = _paper(
        pnl=-46.845622,
        capital=1000.0,
        equity=953.154378,
        open_executors=1,
        trades=28,
        win_rate=0.428571,
        drawdown=0.0759,
        sharpe=-2.2122,
        last_bar=pd.Timestamp("2023-03-10 05:00Z"),
    )
    assert cards.pnl_text(view) == "-46.85"
    assert cards.pnl_delta(view) == "-4.68%"
    assert cards.pnl_line(view) == "-46.85 (-4.68%)"
    assert cards.badge(view) == ":gray-badge[finished]"
    assert cards.title(view) == "**p** :gray-badge[finished]"
    assert cards.subtitle(view) == "paper · BTC-USDT 1h · replay"
    assert (cards.open_label(view), cards.open_count(view)) == ("open executors", "1")
    assert cards.figures(view) == {
        "win rate": "42.86%",
        "drawdown": "7.59%",
        "sharpe": "-2.212",
        "last bar": "2023-03-10 05:00",
    }
    assert cards.figures_line(_paper()) == "win rate - · drawdown - · sharpe -"
    bot = monitor.BotView(
        name="h",
        source="hummingbot",
        status="idle",
        state="interrupted",
        pnl=5.0,
        realized_pnl=4.0,
        unrealized_pnl=1.0,
        open_positions=None,
    )
    assert cards.pnl_delta(bot) is None
    assert cards.pnl_line(bot) == "+5.00"
    assert cards.badge(bot) == ":orange-badge[idle]"
    assert (cards.open_label(bot), cards.open_count(bot)) == ("open positions", "-")
    assert cards.figures(bot) == {"realised": "+4.00", "unrealised": "+1.00"}
    assert cards.subtitle(bot) == "hummingbot-api · -"
    assert {cards.STATE_COLOURS[s] for s in monitor.STATES} == {"red", "orange", "green", "gray", "blue"}


def test_overview_and_executor_frames():
    views = [
        _paper(pnl=10.0, capital=200.0, open_executors=2, trades=5, win_rate=0.6),
        monitor.BotView(name="h", source="hummingbot", status="running", state="running", pnl=-1.0, open_positions=3),
    ]
    frame = cards.overview_frame(views)
    assert list(frame["bot"]) == ["p", "h"]
    assert frame["PnL %"].tolist()[0] == pytest.approx(5.0)
    assert pd.isna(frame["PnL %"].tolist()[1])
    assert frame["open"].tolist() == [2, 3]
    assert frame["win rate %"].tolist()[0] == pytest.approx(60.0)
    t = pd.Timestamp("2023-01-01", tz="UTC")
    executors = pd.DataFrame(
        {
            "status": ["closed", "open", "closed"],
            "open_time": [t, t + pd.Timedelta(hours=5), t + pd.Timedelta(hours=2)],
            "side": ["BUY", "SELL", "BUY"],
            "price": [1.0, 2.0, 3.0],
            "net_pnl_pct": [0.01, -0.02, 0.03],
            "executor_id": ["a", "b", "c"],
        }
    )
    shown = cards.executors_frame(executors)
    assert list(shown.columns) == ["status", "opened", "side", "last / exit", "PnL %"]
    assert list(shown["status"]) == ["open", "closed", "closed"]
    assert list(shown["last / exit"]) == [2.0, 3.0, 1.0]  # open first, then the newest closed
    assert list(shown["PnL %"]) == pytest.approx([-2.0, 3.0, 1.0])
