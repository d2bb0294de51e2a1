"""HTML reports: formatting of the statistics, the figures' structure, thinning, the executors CSV,
the config and ruin banner, the optimisation page, and one report rendered in headless Chromium.

Every report is built from real backtests of the sample BTC/USDT 1h candles.
"""

from __future__ import annotations

import html
import os
import re
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from uptrade.research.backtest import run_backtest
from uptrade.research.config import BacktestConfig
from uptrade.research.optimize import WalkForward, optimize
from uptrade.research.report import csv_path, write_optimize_report, write_report
from uptrade.research.report_figures import MAX_CANDLES, MAX_MARKERS, backtest_figure, sweep_figures, thin
from uptrade.research.report_format import fmt_duration, fmt_value, group_stats, stats_html
from uptrade.research.run import combined_signal, demo_config, run_hummingbot
from uptrade.research.space import ParamSpace
from uptrade.research.stats import monthly_returns

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def cfg() -> BacktestConfig:
    """Two signal sources (SniperProX minor turns confirmed by VZOProX), as the demo."""
    return demo_config(start="2024-01-01")


@pytest.fixture(scope="module")
def year(btc_1h: pd.DataFrame) -> pd.DataFrame:
    return btc_1h.loc["2024-01-01":"2024-12-31"]


@pytest.fixture(scope="module")
def backtest(cfg: BacktestConfig, year: pd.DataFrame) -> Any:
    result, _ = run_hummingbot(cfg, year)
    return result


# --- formatting ---------------------------------------------------------------------------------


def test_statistics_are_formatted_by_kind() -> None:
    assert fmt_value("net_pnl_pct", 0.16219956) == "16.22%"
    assert fmt_value("max_drawdown_pct", 0.3067) == "30.67%"
    assert fmt_value("benchmark_cagr", -0.05) == "-5.00%"
    assert fmt_value("net_pnl_quote", 1234567.891) == "1,234,567.89"
    assert fmt_value("initial_capital", 1000.0) == "1,000.00"
    assert fmt_value("sharpe", 0.58846) == "0.588"
    assert fmt_value("profit_factor", float("inf")) == "∞"
    assert fmt_value("calmar", float("nan")) == "-"
    assert fmt_value("executors", 144) == "144"
    assert fmt_value("avg_trade_duration", pd.Timedelta(days=3, hours=4, minutes=10)) == "3d 4h"
    assert fmt_duration(pd.Timedelta(hours=5, minutes=30)) == "5h 30m"
    assert fmt_duration(pd.NaT) == "-"
    assert fmt_value("ruined", True) == "yes"
    assert fmt_value("ruined_at", pd.Timestamp("2024-05-01 13:00", tz="UTC")) == "2024-05-01 13:00"
    assert fmt_value("ruined_at", None) == "-"
    assert fmt_value("something_new", 12.345678) == "12.346"
    assert fmt_value("something_new", "text") == "text"


def test_statistics_are_grouped_and_nested_dicts_become_lists(backtest: Any) -> None:
    stats = {**backtest.stats, "benchmark_return": 1.2, "mystery": 3.0}
    groups = group_stats(stats)
    assert list(groups) == ["Returns", "Risk", "Trades", "Benchmark", "Other"]
    assert set(groups["Benchmark"]) == {k for k in stats if k.startswith("benchmark_")}
    assert groups["Other"] == {"mystery": 3.0}
    assert sum(len(g) for g in groups.values()) == len(stats)
    page = stats_html(stats)
    for kind, count in backtest.stats["by_close_type"].items():
        assert f"<li>{kind}: {count}</li>" in page
    assert "<td>120.00%</td>" in page
    assert f"<td>{backtest.stats['win_rate'] * 100:.2f}%</td>" in page


# --- figures ------------------------------------------------------------------------------------


def _rows(fig: Any) -> dict[str, set[str]]:
    """Trace names by the subplot title of their row (each row has its own legend: legend, legend2, ...)."""
    titles = [ann.text for ann in fig.layout.annotations]
    rows: dict[str, set[str]] = {}
    for trace in fig.data:
        row = int(trace.legend[len("legend") :] or 1)
        rows.setdefault(titles[row - 1], set()).add(trace.name)
    return {title: rows[title] for title in titles if title in rows}


def test_the_figure_has_a_row_per_source_and_the_combined_signal(
    cfg: BacktestConfig, year: pd.DataFrame, backtest: Any
) -> None:
    fig = backtest_figure(year, backtest.executors, backtest.equity, 1000.0, cfg)
    rows = _rows(fig)
    assert list(rows) == [
        "price and executors",
        "sniper:minor",
        "vzo:minor {'vzo_length': 14}",
        "combined signal",
        "equity against buy-and-hold",
        "drawdown",
    ]
    assert {"price", "open buy", "open sell", "close: stop_loss", "close: take_profit"} <= rows["price and executors"]
    assert {"sniper:minor: f3", "sniper:minor: buy", "sniper:minor: sell"} <= rows["sniper:minor"]
    assert "sniper:minor: adx (right axis)" in rows["sniper:minor"]
    assert {"vzo:minor: vzo", "vzo:minor: buy", "vzo:minor: sell"} <= rows["vzo:minor {'vzo_length': 14}"]
    assert rows["combined signal"] == {"combined: long", "combined: short"}
    assert rows["equity against buy-and-hold"] == {"equity", "buy and hold"}
    combined, parts = combined_signal(year, cfg)
    by_name = {t.name: t for t in fig.data}
    assert len(by_name["combined: long"].x) == int((combined == 1).sum())
    assert len(by_name["sniper:minor: sell"].x) == int((parts["sniper:minor"] == -1).sum())
    assert len(by_name["open buy"].x) == int((backtest.executors["side"] == "BUY").sum())
    # buy-and-hold ends where the close went, from 1000 quote
    bench = np.asarray(by_name["buy and hold"].y, dtype=float)
    assert bench[-1] == pytest.approx(1000 * year["close"].iloc[-1] / year["close"].iloc[0], rel=1e-6)
    without = backtest_figure(year, backtest.executors, backtest.equity, 1000.0)
    assert list(_rows(without)) == ["price and executors", "equity against buy-and-hold", "drawdown"]


def test_long_ranges_thin_markers_and_draw_the_close(btc_1h: pd.DataFrame) -> None:
    cfg = BacktestConfig.model_validate(
        {
            "symbol": "BTC-USDT",
            "signals": {"sources": {"vzo:minor": {"vzo_length": 14}}},
            "executor": {"cooldown_time": 1, "max_executors_per_side": 3, "time_limit": 7200, "take_profit": 0.005},
            "account": {"initial_capital": 1_000_000},
        }
    )
    result, signal = run_hummingbot(cfg, btc_1h)
    assert len(btc_1h) > MAX_CANDLES
    assert (signal == 1).sum() > MAX_MARKERS
    assert (result.executors["side"] == "BUY").sum() > MAX_MARKERS
    fig = backtest_figure(btc_1h, result.executors, result.equity, 1000.0, cfg)
    by_name = {t.name.split(" (")[0]: t for t in fig.data}
    assert "candlestick" not in {t.type for t in fig.data}
    assert by_name["close"].name == f"close (line: {len(btc_1h):,} bars)"
    for name in ("open buy", "vzo:minor: buy", "combined: long"):
        assert len(by_name[name].x) <= MAX_MARKERS
        assert "shown)" in by_name[name].name
    assert f"markers thinned to at most {MAX_MARKERS:,}" in fig.layout.title.text
    picked = thin(10_000, 100)
    assert len(picked) == 100
    assert (picked[0], picked[-1]) == (0, 9_999)
    assert np.array_equal(thin(50, 100), np.arange(50))


# --- the page -----------------------------------------------------------------------------------


def test_report_writes_the_executors_csv_config_and_ruin_banner(
    tmp_path: Path, cfg: BacktestConfig, year: pd.DataFrame, backtest: Any
) -> None:
    stats = {**backtest.stats, "ruined": True, "ruined_at": pd.Timestamp("2024-05-01 13:00", tz="UTC")}
    out = write_report(tmp_path / "r" / "bt.html", year, backtest.executors, backtest.equity, stats, "BT", config=cfg)
    text = out.read_text(encoding="utf-8")
    csv = csv_path(out)
    assert csv == tmp_path / "r" / "bt.executors.csv"
    saved = pd.read_csv(csv, parse_dates=["open_time", "close_time"])
    pd.testing.assert_frame_equal(saved, backtest.executors.reset_index(drop=True), check_dtype=False)
    assert "href='bt.executors.csv'" in text
    assert not list((tmp_path / "r").glob("*.tmp"))
    assert "RUINED at 2024-05-01 13:00: the account was liquidated" in text
    assert text.index("RUINED") < text.index("<h2>Statistics</h2>")
    block = re.search(r"<pre class='config'>(.*?)</pre>", text, re.S)
    assert block is not None
    assert yaml.safe_load(html.unescape(block.group(1))) == cfg.model_dump(mode="json")
    n = len(backtest.executors)
    assert n > 40
    assert f"... {n - 40:,} more ..." in text
    assert text.count("<table class='executors'>") == 1
    table = text[text.index("<table class='executors'>") :]
    assert table[: table.index("</table>")].count("<tr>") == 1 + 40
    assert text.count("* plotly.js v") == 1  # inlined once
    calm = write_report(tmp_path / "calm.html", year, backtest.executors, backtest.equity, backtest.stats)
    assert "RUINED" not in calm.read_text(encoding="utf-8")
    assert "<pre class='config'>" not in calm.read_text(encoding="utf-8")


def test_optimisation_report_labels_cells_and_shows_out_of_sample_equity(
    tmp_path: Path, cfg: BacktestConfig, btc_1h: pd.DataFrame
) -> None:
    candles = btc_1h.loc["2024-01-01":"2024-12-31"]
    space = ParamSpace.parse(["stop_loss=0.02,0.03,0.05", "take_profit=0.03,0.06"], cfg)
    result = optimize(cfg, candles, space, min_trades=5, walk_forward=WalkForward.parse("train=120d,test=60d"))
    figs = sweep_figures(result.table, space.names, "sharpe")
    assert len(figs) == 1
    heat = figs[0].data[0]
    assert heat.type == "heatmap"
    assert heat.texttemplate == "%{z:.3g}"
    # the out-of-sample curve: each fold's test window traded with its train window's best point
    # (the whole history's signal cut to the window, as the search uses it), returns chained
    signal, _ = combined_signal(candles, cfg)
    level, pieces = 1000.0, []
    for fold in result.folds.itertuples():
        point = cfg.model_dump()
        point["executor"].update(stop_loss=fold.stop_loss, take_profit=fold.take_profit)
        chosen = BacktestConfig.model_validate(point)
        window = slice(fold.test_start, fold.test_end)
        part = run_backtest(candles.loc[window], signal.loc[window], chosen.executor, "1h", chosen.account)
        pieces.append(level * part.equity / 1000.0)
        level = float(pieces[-1].iloc[-1])
    oos = pd.concat(pieces)
    assert result.oos_equity is not None
    assert result.oos_equity.index.equals(oos.index)
    np.testing.assert_allclose(result.oos_equity.to_numpy(), oos.to_numpy(), rtol=1e-12)
    assert result.oos_stats is not None
    assert result.oos_stats["total_return"] == pytest.approx(oos.iloc[-1] / 1000.0 - 1.0, rel=1e-12)
    text = write_optimize_report(tmp_path / "opt.html", result, space.names).read_text(encoding="utf-8")
    assert "walk-forward: stitched out-of-sample equity" in text
    assert "Out of sample (stitched)" in text
    assert f"<td>{fmt_value('cagr', result.oos_stats['cagr'])}</td>" in text
    assert text.index("stitched out-of-sample equity") < text.index("the train window's best point")
    plain_result = optimize(cfg, candles, space, min_trades=5)
    plain = write_optimize_report(tmp_path / "plain.html", plain_result, space.names).read_text(encoding="utf-8")
    assert "stitched out-of-sample equity" not in plain
    assert "best sharpe by stop_loss and take_profit" in plain


# --- in a real browser --------------------------------------------------------------------------


def _png_rows(path: Path) -> int:
    """Distinct pixel rows of a PNG, read with zlib and struct (a blank page has a handful).

    Rows are compared as stored (each filtered against the row above), which is enough to tell
    a drawn page from an empty one without a decoder.
    """
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert (depth, colour) in ((8, 2), (8, 6))
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    assert len(raw) == height * stride
    return len({raw[y * stride : (y + 1) * stride] for y in range(height)})


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path: Path, cfg: BacktestConfig, year: pd.DataFrame) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: CI renders the report in a browser (scripts/test.sh installs it)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver; scripts/test.sh does it)")
    result, _ = run_hummingbot(cfg, year)
    page = write_report(
        tmp_path / "report.html", year, result.executors, result.equity, result.stats, "BTC 2024", config=cfg
    )
    size = page.stat().st_size
    print(f"report: {page} ({size / 1e6:.1f} MB)")
    base = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000"]
    run = subprocess.run(
        [*base, "--enable-logging=stderr", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = re.sub(r"<script.*?</script>", "", run.stdout, flags=re.S)
    figures = page.read_text(encoding="utf-8").count("Plotly.newPlot(")
    assert figures == 2  # the backtest's panels and the monthly returns
    assert dom.count('class="plot-container plotly"') == figures
    assert dom.count('class="main-svg"') >= 2 * figures
    assert 'class="trace boxes"' in dom  # the candles
    assert dom.count('class="trace scatter') >= 20  # indicator lines, signals, executors, equity
    january = monthly_returns(result.equity).loc[2024, 1]
    assert f">{january * 100:.1f}%</text>" in dom  # the heatmap's cell labels are drawn
    assert 'class="js-error"' not in dom  # no script error on the page
    assert "Uncaught" not in run.stderr
    shot = tmp_path / "report.png"
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1400,3000", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    print(f"screenshot: {shot}")
    assert shot.exists()
    assert shot.stat().st_size > 50_000
    assert _png_rows(shot) > 300
