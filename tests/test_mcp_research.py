"""The MCP research tools, resources and prompt through the SDK's own client, in process, on real candles.

Each result is checked against ``uptrade backtest``, ``uptrade optimize`` and ``uptrade paper status``
run on the same store (typer's runner): the numbers the tools return must print as the CLI prints
them. A live paper run is a real ``uptrade paper run`` process, started and stopped through the tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from mcp import Client
from typer.testing import CliRunner

from tests.conftest import load_market
from uptrade.cli import app
from uptrade.data.store import open_store
from uptrade.indicators.ma import MA_TYPES
from uptrade.indicators.params import SniperParams
from uptrade.mcp.common import close_stores
from uptrade.mcp.server import build_server
from uptrade.research.optimize import SHOWN_METRICS
from uptrade.research.report_format import fmt_value

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "sniper_btc_1h.yml"
BOT = ROOT / "examples" / "bots" / "combined_okx_btc_1h.yml"
SPAN = {"start": "2025-03-01", "end": "2025-05-31"}
GRID = ["sniper:minor.length=20,28", "stop_loss=0.02,0.03"]
runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """BTC-USDT and ETH-USDT 1h candles of 2025-01 .. 2025-06 (Binance) in an embedded store."""
    url = f"sqlite:///{tmp_path_factory.mktemp('mcp') / 'research.db'}"
    store = open_store(url, init=True)
    store.write_ohlcv(load_market("btcusdt_1h_binance.csv.gz").loc["2025-01-01":"2025-06-30"], "BTC-USDT", "1h")
    store.write_ohlcv(load_market("ethusdt_1h_binance.csv.gz").loc["2025-01-01":"2025-06-30"], "ETH-USDT", "1h")
    store.close()
    return url


@pytest.fixture
def env(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The server's store is ``db``, its home a fresh folder (returned)."""
    home = tmp_path / "home"
    monkeypatch.setenv("UPTRADE_DATABASE_URL", db)
    monkeypatch.setenv("UPTRADE_HOME", str(home))
    yield home
    close_stores()


def call(name: str, args: dict[str, Any], progress: list[tuple[float, float | None, str | None]] | None = None) -> Any:
    """Call a tool through the SDK's client (``progress`` collects its progress notifications)."""

    async def cb(done: float, total: float | None, message: str | None) -> None:
        assert progress is not None
        progress.append((done, total, message))

    async def go() -> Any:
        async with Client(build_server()) as client:
            return await client.call_tool(name, args, progress_callback=cb if progress is not None else None)

    return asyncio.run(go())


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    return dict(result.structured_content)


def error(result: Any) -> str:
    assert result.is_error
    text = str(result.content[0].text)
    assert "\n" not in text
    assert "Traceback" not in text
    return text.partition(": ")[2]  # after the SDK's "Error executing tool NAME: "


def cli(db: str, home: Path, *args: str) -> str:
    out = runner.invoke(app, ["--db", db, *args], env={"COLUMNS": "220", "UPTRADE_HOME": str(home)})
    assert out.exit_code == 0, out.output
    return out.output


def table(output: str, first: str) -> dict[str, list[str]]:
    """Rows of the CLI's rich tables whose first cell is text, by that cell (cells stripped)."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0] and cells[0] != first:
            rows[cells[0]] = cells[1:]
    return rows


# --- backtest ------------------------------------------------------------------------------------


def test_backtest_matches_the_cli_and_writes_its_report(env: Path, db: str) -> None:
    run = ok(call("backtest", {"config_path": str(CONFIG), **SPAN}))
    stats = run["stats"]
    shown = table(cli(db, env, "backtest", "--config", str(CONFIG), "--start", SPAN["start"], "--end", SPAN["end"]), "")
    for key in ("executors", "net_pnl_quote", "fees_quote", "win_rate", "profit_factor", "sharpe", "sortino",
                "max_drawdown_pct", "total_return", "exposure", "benchmark_return"):  # fmt: skip
        assert shown[key][0] == fmt_value(key, stats[key]), key
    duration = pd.Timedelta(seconds=stats["max_drawdown_duration_seconds"])
    assert shown["max_drawdown_duration"][0] == fmt_value("max_drawdown_duration", duration)
    assert run["trades"] == stats["executors"] > 0
    assert sum(stats["by_close_type"].values()) == stats["executors"]
    assert run["first_bar"] == "2025-03-01T00:00:00+00:00"
    assert run["last_bar"] == "2025-05-31T00:00:00+00:00"
    report = Path(run["report"])
    assert report.parent == env / "reports"
    assert report.is_file()
    assert f"<title>{run['title']}</title>" in report.read_text(encoding="utf-8")
    # the same config inline gives the same run; report=false writes nothing more
    inline = ok(call("backtest", {"config": yaml.safe_load(CONFIG.read_text()), **SPAN, "report": False}))
    assert inline["stats"] == stats
    assert inline["report"] is None
    assert len(list((env / "reports").glob("*.html"))) == 1


def test_portfolio_backtest_matches_the_cli(env: Path, db: str, tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "examples" / "portfolio_sniper_btc_eth_sol_1h.yml").read_text())
    raw.update(symbols=["BTC-USDT", "ETH-USDT"], **SPAN)
    run = ok(call("backtest", {"config": raw}))
    assert run["markets"] == ["BTC-USDT", "ETH-USDT"]
    assert run["title"].startswith("Portfolio BTC-USDT, ETH-USDT 1h")
    path = tmp_path / "portfolio.yml"
    path.write_text(yaml.safe_dump(raw))
    shown = table(cli(db, env, "backtest", "--config", str(path)), "")
    for key in ("executors", "net_pnl_quote", "sharpe", "max_drawdown_pct", "initial_capital"):
        assert shown[key][0] == fmt_value(key, run["stats"][key]), key
    assert Path(run["report"]).is_file()


def test_backtest_errors_are_one_line_tool_errors(env: Path) -> None:
    assert error(call("backtest", {"config_path": str(ROOT / "nope.yml")})).startswith("config_path: ")
    assert error(call("backtest", {})).startswith("config_path: give either")
    both = {"config_path": str(CONFIG), "config": {"symbol": "BTC-USDT"}}
    assert error(call("backtest", both)).startswith("config_path: give either")
    bad = yaml.safe_load(CONFIG.read_text())
    bad["executor"]["stop_los"] = 0.02
    assert "stop_los" in error(call("backtest", {"config": bad})).partition("config: ")[2]
    assert "SOL-USDT" in error(call("backtest", {"config_path": str(CONFIG), "symbol": "SOL-USDT"}))
    assert error(call("backtest", {"config_path": str(CONFIG), "timeframe": "7x"})).startswith("timeframe")


# --- optimize ------------------------------------------------------------------------------------


def test_optimize_matches_the_cli_and_reports_progress(env: Path, db: str) -> None:
    progress: list[tuple[float, float | None, str | None]] = []
    run = ok(call("optimize", {"config_path": str(CONFIG), "grid": GRID, "min_trades": 1, **SPAN}, progress))
    assert run["points"] == 4
    assert run["dimensions"] == ["sniper:minor.length", "stop_loss"]
    assert progress, "no progress notification reached the client"
    done = [p[0] for p in progress]
    assert done == sorted(done)
    assert progress[-1][0] == progress[-1][1]
    assert any("backtests" in (m or "") for _, _, m in progress)
    args = ["optimize", "--config", str(CONFIG), "--min-trades", "1", "--start", SPAN["start"], "--end", SPAN["end"]]
    out = cli(db, env, *args, *[a for g in GRID for a in ("--grid", g)])
    rows: dict[int, list[str]] = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0].isdigit():
            rows[int(cells[0])] = cells
    assert sorted(rows) == [p["rank"] for p in run["top"]]
    for point in run["top"]:
        cells = rows[point["rank"]]
        values = [point["params"]["sniper:minor.length"], point["params"]["stop_loss"]]
        values += [point[m] for m in SHOWN_METRICS]
        expect = ["RUINED" if v is True else "no" if v is False else f"{v:.4g}" if isinstance(v, float) else str(v)
                  for v in values]  # fmt: skip
        assert cells[1:] == expect
    best = run["best"]
    assert best == run["top"][0]["params"]
    assert f"best: sniper:minor.length={best['sniper:minor.length']}" in out


def test_optimize_errors_are_tool_errors(env: Path) -> None:
    base = {"config_path": str(CONFIG), **SPAN}
    assert error(call("optimize", {**base, "grid": ["sniper:minor.lenght=20,28"]})).startswith("grid: ")
    assert error(call("optimize", {**base, "grid": ["length=20:40"]})).startswith("grid: ")
    too_many = error(call("optimize", {**base, "grid": ["sniper:minor.length=10:110:1", "stop_loss=0.02,0.03"]}))
    assert too_many.startswith("grid: 202 points")
    assert "max_points=200" in too_many
    assert error(call("optimize", {**base, "grid": GRID, "objective": "profit"})).startswith("objective: ")
    assert error(call("optimize", {**base, "grid": GRID, "max_points": 10**6})).startswith("max_points: ")
    assert error(call("optimize", {"grid": GRID})).startswith("config_path: ")


def test_tools_publish_their_schemas() -> None:
    async def go() -> dict[str, Any]:
        async with Client(build_server()) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    tools = asyncio.run(go())
    for name in ("backtest", "optimize", "paper_start", "paper_status", "paper_stop"):
        assert tools[name].output_schema is not None, name
    assert "ctx" not in tools["optimize"].input_schema["properties"]
    assert tools["optimize"].input_schema["required"] == ["grid"]
    ranked = tools["optimize"].output_schema["$defs"]["RankedPoint"]["properties"]
    assert set(SHOWN_METRICS) <= set(ranked)


# --- paper ---------------------------------------------------------------------------------------


def bot_copy(folder: Path, name: str) -> Path:
    raw = yaml.safe_load(BOT.read_text())
    raw["name"] = name
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_paper_replay_runs_in_the_call_and_status_matches_the_cli(env: Path, db: str, tmp_path: Path) -> None:
    bot = bot_copy(tmp_path, "replay-btc")
    run = ok(call("paper_start", {"bot_file": str(bot), "replay_from": "2025-04-01", "replay_to": "2025-04-30"}))
    candles = load_market("btcusdt_1h_binance.csv.gz")
    bars = candles[(candles.index >= "2025-04-01") & (candles.index <= "2025-04-30")]  # the end bar included
    assert run["mode"] == "replay"
    assert run["status"] == "finished"
    assert run["bars"] == len(bars)
    status = ok(call("paper_status", {"name": "replay-btc"}))["runs"]
    assert status == [run["run"]]
    view = status[0]
    assert view["trades"] == run["stats"]["executors"]
    assert view["status"] == "finished"
    shown = table(cli(db, env, "paper", "status", "replay-btc"), "field")
    assert shown["trades"][0] == fmt_value("trades", view["trades"])
    assert shown["equity"][0] == f"{view['equity']:,.2f}"
    assert shown["sharpe"][0] == fmt_value("sharpe", view["sharpe"])
    assert shown["status"][0] == "finished"
    listed = ok(call("paper_status", {}))["runs"]
    assert [r["name"] for r in listed] == ["replay-btc"]
    assert error(call("paper_stop", {"name": "replay-btc"})).startswith("name: the paper run replay-btc is not running")


def test_paper_errors_are_tool_errors(env: Path, tmp_path: Path) -> None:
    assert error(call("paper_status", {"name": "ghost"})).startswith("name: no paper run named 'ghost'")
    assert error(call("paper_stop", {"name": "ghost"})).startswith("name: no paper run named 'ghost'")
    assert error(call("paper_start", {"bot_file": str(tmp_path / "none.yml")})).startswith("bot_file: ")
    bot = bot_copy(tmp_path, "late-btc")
    late = {"bot_file": str(bot), "replay_from": "2026-01-01", "replay_to": "2026-01-31"}
    assert "no BTC-USDT 1h candles" in error(call("paper_start", late))
    backwards = {"bot_file": str(bot), "replay_from": "2025-04-30", "replay_to": "2025-04-01"}
    assert error(call("paper_start", backwards)).startswith("replay_to: ")


def test_live_paper_run_starts_in_its_own_process_and_stops_cleanly(env: Path, tmp_path: Path) -> None:
    bot = bot_copy(tmp_path, "live-btc")
    started = ok(call("paper_start", {"bot_file": str(bot)}))
    pid = started["pid"]
    try:
        assert started["mode"] == "live"
        assert started["status"] == "running"
        assert pid != os.getpid()
        view = ok(call("paper_status", {"name": "live-btc"}))["runs"][0]
        assert view["status"] == "running"
        assert view["pid"] == pid
        assert view["mode"] == "live"
        assert error(call("paper_start", {"bot_file": str(bot)})).startswith("bot_file: the paper run live-btc is")
        stopped = ok(call("paper_stop", {"name": "live-btc"}))["runs"][0]
        assert stopped["status"] == "stopped"
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert "stopped; the state is saved" in Path(started["log"]).read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 15)


# --- resources and the prompt --------------------------------------------------------------------


def read(uri: str) -> str:
    async def go() -> str:
        async with Client(build_server()) as client:
            return str((await client.read_resource(uri)).contents[0].text)  # type: ignore[union-attr]

    return asyncio.run(go())


def test_resources_list_and_read(env: Path) -> None:
    async def listed() -> tuple[list[str], list[str]]:
        async with Client(build_server()) as client:
            plain = [str(r.uri) for r in (await client.list_resources()).resources]
            templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
            return plain, templates

    plain, templates = asyncio.run(listed())
    assert {"uptrade://indicators", "uptrade://bots", "uptrade://reports"} <= set(plain)
    assert "uptrade://bots/{name}" in templates
    catalogue = json.loads(read("uptrade://indicators"))
    assert [t["name"] for t in catalogue["ma_types"]] == [t.name for t in MA_TYPES]
    assert len(MA_TYPES) == 34
    sniper = next(i for i in catalogue["indicators"] if i["name"] == "sniper")
    params = {p["name"]: p for p in sniper["parameters"]}
    assert {k: p["default"] for k, p in params.items()} == SniperParams.defaults()
    schema = SniperParams.model_json_schema()["properties"]
    ranged = [k for k, s in schema.items() if "minimum" in s]
    assert ranged
    assert all(params[k]["minimum"] == schema[k]["minimum"] for k in ranged)
    assert "sniper:minor" in {s["name"] for s in catalogue["signal_sources"]}
    bots = json.loads(read("uptrade://bots"))["bots"]
    files = sorted(p.stem for p in (ROOT / "examples" / "bots").glob("*.yml"))
    assert [b["name"] for b in bots] == files
    assert all("error" not in b for b in bots)
    assert read("uptrade://bots/combined_okx_btc_1h") == BOT.read_text()
    assert json.loads(read("uptrade://reports"))["reports"] == []
    run = ok(call("backtest", {"config_path": str(CONFIG), **SPAN}))
    reports = json.loads(read("uptrade://reports"))["reports"]
    assert [(r["path"], r["title"]) for r in reports] == [(run["report"], run["title"])]
    assert abs(pd.Timestamp(reports[0]["written"]).timestamp() - Path(run["report"]).stat().st_mtime) < 1e-3
    assert not math.isnan(run["stats"]["sharpe"])


def test_unknown_bot_resource_and_the_prompt(env: Path) -> None:
    async def go() -> tuple[str, str]:
        async with Client(build_server()) as client:
            try:
                await client.read_resource("uptrade://bots/ghost")
                missing = ""
            except Exception as exc:  # the client raises the protocol error
                missing = str(exc)
            prompt = await client.get_prompt("research_strategy", {"symbol": "ETH-USDT"})
            return missing, str(prompt.messages[0].content.text)  # type: ignore[union-attr]

    missing, text = asyncio.run(go())
    assert "no bot file 'ghost'" in missing
    assert "combined_okx_btc_1h" in missing
    assert "ETH-USDT" in text
    for tool in ("coverage", "backtest", "optimize", "paper_start", "uptrade://indicators"):
        assert tool in text
