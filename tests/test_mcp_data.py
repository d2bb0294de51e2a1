"""The MCP data and analysis tools through the SDK's own client, checked against the ``uptrade`` CLI.

Every tool runs in-process on a store of real Binance candles; its numbers are compared with what
the matching command prints (or writes) for the same inputs, and each has an error case that must
come back as a one-line tool error naming the parameter.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mcp import Client
from mcp.types import CallToolResult
from typer.testing import CliRunner, Result

from tests.conftest import load_market
from tests.dashboard_support import build_store
from uptrade.cli import app
from uptrade.data.io import read_table, write_frame
from uptrade.data.store import open_store
from uptrade.mcp.common import MAX_ROWS, close_stores
from uptrade.mcp.server import build_server

runner = CliRunner()
SYMBOL = "BTC-USDT"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One store of real candles for the module (BTC-USDT and ETH-USDT 1h, BTC-USDT 1d)."""
    return build_store(tmp_path_factory.mktemp("mcpdata") / "store.db")


@pytest.fixture
def url(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The server's store is the module's; no user settings leak in."""
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UPTRADE_DATABASE_URL", store_url)
    monkeypatch.chdir(tmp_path)
    yield store_url
    close_stores()


def call(name: str, args: dict[str, Any], progress: list[tuple[float, float | None, str | None]] | None = None) -> Any:
    """Call one tool in-process; returns the result (errors included)."""

    async def cb(done: float, total: float | None, message: str | None) -> None:
        assert progress is not None
        progress.append((done, total, message))

    async def run() -> CallToolResult:
        async with Client(build_server()) as client:
            return await client.call_tool(name, args, progress_callback=cb if progress is not None else None)

    return asyncio.run(run())


def ok(name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = call(name, args)
    assert not result.is_error, result.content[0].text
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def tool_error(name: str, args: dict[str, Any], *words: str) -> str:
    """The tool's error: one line that contains every word in ``words``."""
    result = call(name, args)
    assert result.is_error, result.structured_content
    text: str = result.content[0].text
    assert "\n" not in text.strip(), text
    assert "Traceback" not in text, text
    for word in words:
        assert word in text, text
    return text


def cli(url: str, *args: str) -> str:
    result: Result = runner.invoke(app, ["--db", url, *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def table_rows(output: str) -> list[list[str]]:
    """The body rows of rich tables in ``output`` as lists of stripped cells."""
    return [[c.strip() for c in line.strip().strip("│┃").split("│")] for line in output.splitlines() if
            line.lstrip().startswith("│")]  # fmt: skip


# ----------------------------------------------------------------------------- schemas
def test_list_tools_shows_input_and_output_schemas() -> None:
    async def run() -> dict[str, Any]:
        async with Client(build_server()) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    tools = asyncio.run(run())
    want = {
        "get_candles": {"symbol", "timeframe", "start", "end", "limit"},
        "update_data": {"source", "symbol", "timeframe", "start", "end", "path"},
        "run_indicator": {"symbol", "timeframe", "indicator", "params", "last"},
        "detect_cycles": {"symbol", "timeframes", "method", "window", "min_period", "end"},
        "planet_positions": {"at", "bodies", "frame"},
        "aspects": {"start", "end", "bodies", "aspects"},
        "list_symbols": set(),
        "coverage": {"symbol"},
    }
    for name, params in want.items():
        tool = tools[name]
        assert params <= set(tool.input_schema.get("properties", {})), (name, tool.input_schema)
        assert "ctx" not in tool.input_schema.get("properties", {})
        assert tool.output_schema, name
        assert tool.output_schema.get("properties"), name
        assert tool.description
    assert set(tools["get_candles"].output_schema["properties"]) >= {"symbol", "timeframe", "count", "candles"}


# ----------------------------------------------------------------------------- candles
@pytest.mark.parametrize(("timeframe", "start", "end"), [("4h", "2026-01-01", "2026-01-20T20:00"), ("1h", None, None)])
def test_get_candles_equal_the_export(
    url: str, tmp_path: Path, timeframe: str, start: str | None, end: str | None
) -> None:
    args = ["data", "export", str(tmp_path / "out.csv"), "-s", SYMBOL, "-t", timeframe]
    args += [*(["--start", start] if start else []), *(["--end", end] if end else [])]
    cli(url, *args)
    exported = read_table(tmp_path / "out.csv").table
    limit = 300
    got = ok("get_candles", {"symbol": "BTC/USDT", "timeframe": timeframe, "start": start, "end": end, "limit": limit})
    want = exported.tail(limit)
    assert got["symbol"] == SYMBOL
    assert got["timeframe"] == timeframe
    assert got["count"] == len(got["candles"]) == len(want)
    if start is not None:
        assert len(exported) == 20 * 6 - 1 + 1  # 2025-01-01 00:00 .. 01-20 20:00 at 4h, both inclusive
    frame = pd.DataFrame(got["candles"])
    assert list(pd.to_datetime(frame["time"], utc=True)) == list(pd.to_datetime(want["time"], utc=True))
    for col in ("open", "high", "low", "close", "volume"):
        assert frame[col].tolist() == pytest.approx(want[col].tolist(), rel=1e-12), col


def test_get_candles_errors(url: str) -> None:
    tool_error("get_candles", {"symbol": SYMBOL, "timeframe": "1h", "limit": MAX_ROWS + 1}, "limit", str(MAX_ROWS))
    tool_error("get_candles", {"symbol": "DOGE-USDT", "timeframe": "1h"}, "DOGE")
    tool_error("get_candles", {"symbol": SYMBOL, "timeframe": "7x"}, "7x")
    tool_error("get_candles", {"symbol": SYMBOL, "timeframe": "1h", "start": "yesterday-ish"}, "start")
    tool_error("get_candles", {"symbol": SYMBOL, "timeframe": "1h", "end": "2001-01-01"}, "start/end")
    tool_error("get_candles", {"symbol": "ETH-USDT", "timeframe": "5m"}, "timeframe")


# ----------------------------------------------------------------------------- backfill
def test_update_data_backfills_from_a_file_with_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    candles = load_market("ethusdt_1h_binance.csv.gz").iloc[-600:]
    source = tmp_path / "sol.csv"
    write_frame(candles, source)
    start, end = candles.index[0].isoformat(), candles.index[-1].isoformat()
    mine, theirs = f"sqlite:///{tmp_path / 'mcp.db'}", f"sqlite:///{tmp_path / 'cli.db'}"
    for u in (mine, theirs):
        open_store(u, init=True).close()
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UPTRADE_DATABASE_URL", mine)
    try:
        progress: list[tuple[float, float | None, str | None]] = []
        args = {
            "source": "file",
            "symbol": "SOL-USDT",
            "timeframe": "1h",
            "start": start,
            "end": end,
            "path": str(source),
        }
        result = call("update_data", args, progress)
        assert not result.is_error, result.content[0].text
        got = result.structured_content
        assert got["state"] == "done"
        assert got["rows_written"] == 600
        assert got["lag_candles"] == 0
        assert pd.Timestamp(got["last_candle"]) == candles.index[-1]
        assert len(progress) >= 2, progress  # a write's report, then the end's
        assert progress[-1][0] == 600, progress
        assert all(m and "SOL-USDT" in m for _, _, m in progress), progress
        assert all(b[0] >= a[0] for a, b in itertools.pairwise(progress)), progress
        again = call("update_data", args)  # caught up: nothing more to write
        assert not again.is_error
        assert again.structured_content["rows_written"] == 0
        tool_error("update_data", {**args, "path": None}, "path")
        tool_error("update_data", {**args, "timeframe": "7x"}, "7x")
    finally:
        close_stores()
    cli(theirs, "data", "backfill", "--source", "file", "-s", "SOL-USDT", "-t", "1h", "--start", start,
        "--end", end, "--path", str(source))  # fmt: skip
    a, b = open_store(mine), open_store(theirs)
    try:
        stored, by_cli = a.read_ohlcv("SOL-USDT", "1h"), b.read_ohlcv("SOL-USDT", "1h")
    finally:
        a.close()
        b.close()
    assert len(stored) == 600
    assert stored.index.equals(candles.index)
    pd.testing.assert_frame_equal(stored, by_cli)
    assert stored["close"].tolist() == candles["close"].tolist()


# ----------------------------------------------------------------------------- indicators
@pytest.mark.parametrize(
    ("indicator", "params"), [("ma", {"window": 34, "ma_type": "HMA"}), ("sniper", {}), ("vzo", {"vzo_length": 21})]
)
def test_run_indicator_equals_indicators_run(url: str, indicator: str, params: dict[str, Any]) -> None:
    pairs = [x for k, v in params.items() for x in ("--param", f"{k}={v}")]
    out = cli(url, "indicators", "run", "-s", SYMBOL, "-t", "4h", "-i", indicator, "--last", "5", *pairs)
    got = ok(
        "run_indicator", {"symbol": SYMBOL, "timeframe": "4h", "indicator": indicator, "params": params, "last": 5}
    )
    rows = table_rows(out)
    assert len(rows) == len(got["rows"]) == 5
    for cells, row in zip(rows, got["rows"], strict=True):
        assert cells[0] == f"{pd.Timestamp(row['time']):%Y-%m-%d %H:%M}"
        for text, col in zip(cells[1:], got["columns"], strict=False):
            value = row["values"][col]
            assert text == (f"{value:.4f}" if isinstance(value, float) or value is None else str(value)).replace(
                "None", "nan"
            ), (col, text, value)
        assert cells[-1] == " ".join(row["flags"])
    long, short = re.search(r"(\d+) long, (\d+) short", out).groups()  # type: ignore[union-attr]
    assert (got["long"], got["short"]) == (int(long), int(short))
    assert got["long"] + got["short"] > 0
    assert all(s["signal"] in (1, -1) for s in got["recent_signals"])
    for key, value in params.items():
        assert got["params"][key] == value or str(got["params"][key]).lower().startswith(str(value))


def test_run_indicator_errors(url: str) -> None:
    base = {"symbol": SYMBOL, "timeframe": "1h", "indicator": "ma"}
    tool_error("run_indicator", {**base, "params": {"window": -3}}, "window")
    tool_error("run_indicator", {**base, "params": {"windoe": 20}}, "windoe", "window")
    tool_error("run_indicator", {**base, "indicator": "macd"}, "indicator", "sniper")
    tool_error("run_indicator", {**base, "symbol": "DOGE-USDT"}, "DOGE")
    tool_error("run_indicator", {**base, "last": MAX_ROWS + 1}, "last")


# ----------------------------------------------------------------------------- cycles
def test_detect_cycles_equals_the_cycles_command(url: str) -> None:
    out = cli(url, "cycles", "-s", SYMBOL, "-t", "1h,4h,1d", "--end", "2026-05-01")
    got = ok("detect_cycles", {"symbol": SYMBOL, "end": "2026-05-01"})
    rows = {r[0]: r for r in table_rows(out)}
    assert [r["timeframe"] for r in got["rows"]] == ["1h", "4h", "1d"] == list(rows)
    for r in got["rows"]:
        cells = rows[r["timeframe"]]
        assert cells[1] == f"{pd.Timestamp(r['time']):%Y-%m-%d %H:%M}"
        assert cells[3] == f"{r['period_bars']:.2f}"
        assert cells[5] == f"{r['power']:.1%}"
        assert cells[6] == r["hurst_cycle"]
        assert pd.Timestamp(r["time"]) <= pd.Timestamp("2026-05-01", tz="UTC")
    minutes, length = re.search(r"\(([\d,]+) min.*suggested length: (\d+)", out.replace("\n", " ")).groups()  # type: ignore[union-attr]
    assert f"{got['composite_period_minutes']:,.0f}" == minutes
    assert got["suggested_length"] == int(length)


def test_detect_cycles_errors(url: str) -> None:
    tool_error("detect_cycles", {"symbol": SYMBOL, "method": "fourier"}, "method")
    tool_error("detect_cycles", {"symbol": SYMBOL, "timeframes": ["1h", "9q"]}, "9q")
    tool_error("detect_cycles", {"symbol": SYMBOL, "window": MAX_ROWS + 1}, "window")
    tool_error("detect_cycles", {"symbol": "DOGE-USDT"}, "DOGE")


# ----------------------------------------------------------------------------- astro
@pytest.mark.parametrize("frame", ["tropical", "sidereal"])
def test_planet_positions_equal_astro_positions(url: str, frame: str) -> None:
    out = cli(url, "astro", "positions", "--at", "2024-03-20T03:06Z", "--frame", frame)
    got = ok("planet_positions", {"at": "2024-03-20T03:06Z", "frame": frame})
    rows = {r[0]: r for r in table_rows(out)}
    assert [p["body"] for p in got["positions"]] == list(rows)
    for p in got["positions"]:
        cells = rows[p["body"]]
        assert cells[1] == f"{p['longitude']:.4f}"
        assert cells[2] == p["sign"]
        assert cells[3] == f"{p['degree']}°{p['minute']:02d}'"
        assert cells[4] == f"{p['speed']:+.4f}"
        assert (cells[5] == "R") == p["retrograde"]
        if frame == "sidereal":
            assert cells[6] == p["nakshatra"]
    sun = next(p for p in got["positions"] if p["body"] == "sun")
    if frame == "tropical":  # the March equinox of 2024 was at 03:06 UTC
        assert min(sun["longitude"], 360 - sun["longitude"]) < 0.01
    some = ok("planet_positions", {"at": "2024-03-20T03:06Z", "bodies": ["Moon", "sun"], "frame": frame})
    assert [p["body"] for p in some["positions"]] == ["moon", "sun"]


def test_planet_positions_errors(url: str) -> None:
    tool_error("planet_positions", {"at": "2024-01-01", "frame": "galactic"}, "frame")
    tool_error("planet_positions", {"at": "soon"}, "at")
    tool_error("planet_positions", {"at": "2024-01-01", "bodies": ["vulcan"]}, "vulcan")
    tool_error("planet_positions", {"at": "2099-01-01"}, "2050")


def test_aspects_equal_astro_aspects(url: str) -> None:
    out = cli(url, "astro", "aspects", "--from", "2024-01-01", "--to", "2024-03-01", "--bodies", "sun,moon,mars",
              "--aspects", "conjunction,square,opposition")  # fmt: skip
    got = ok(
        "aspects", {"start": "2024-01-01", "end": "2024-03-01", "aspects": ["conjunction", "square", "opposition"]}
    )
    rows = table_rows(out)
    assert got["count"] == len(got["events"]) == len(rows) > 10
    assert f"({got['count']} events)" in out
    for cells, e in zip(rows, got["events"], strict=True):
        want = [f"{pd.Timestamp(e['time']):%Y-%m-%d %H:%M}", e["body_a"], e["aspect"], e["body_b"], f"{e['angle']:g}"]
        assert cells[:5] == want
        assert cells[5:] == [f"{e['lon_a']:.4f}", f"{e['lon_b']:.4f}"]


def test_aspects_errors(url: str) -> None:
    tool_error("aspects", {"start": "2024-01-01", "end": "2026-01-01"}, "end", "366")
    tool_error("aspects", {"start": "2024-01-01", "end": "2024-02-01", "bodies": ["sun"]}, "bodies")
    tool_error("aspects", {"start": "2024-01-01", "end": "2024-02-01", "aspects": ["quincunx"]}, "quincunx")
    tool_error("aspects", {"start": "when", "end": "2024-02-01"}, "start")
