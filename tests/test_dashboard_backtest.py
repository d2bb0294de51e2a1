"""The backtest page and its helpers (:mod:`uptrade.dashboard.components.backtest_views`).

The page runs in Streamlit's ``AppTest`` on a store of real Binance candles, over three months
of 1h bars. What it shows is compared with the library run directly: ``run_hummingbot`` on the
same config and candles, ``optimize`` over the same grid, and ``uptrade backtest --report`` for
the report the page offers.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from streamlit.runtime.memory_media_file_storage import _calculate_file_id
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from tests.conftest import load_market
from tests.dashboard_support import build_store, no_exception, page_test
from uptrade.cli.app import app
from uptrade.dashboard.components import backtest_views as bv
from uptrade.data.store import open_store
from uptrade.errors import ConfigError, ParameterError
from uptrade.execution.bots import load_backtest_config
from uptrade.research.config import BacktestConfig, ExecutorConfig
from uptrade.research.optimize import optimize
from uptrade.research.report_format import fmt_value
from uptrade.research.run import load_candles, run_hummingbot
from uptrade.research.space import ParamSpace
from uptrade.research.strategies import SOURCE_EXAMPLES

BOT = "bots/sniper_binance_perpetual_btc_1h.yml"
#: The controls' defaults (the demo's strategy), written out: what the controls mode must run.
CONTROLS = {
    "signals": {
        "sources": {"sniper:minor": {}, "vzo:minor": {"vzo_length": 14}},
        "combine": {"mode": "confirm", "primary": "sniper:minor", "confirm_window": 3},
    },
    "executor": {
        "total_amount_quote": 1000,
        "max_executors_per_side": 1,
        "cooldown_time": 3600,
        "stop_loss": 0.03,
        "take_profit": 0.06,
        "time_limit": 259200,
        "trade_cost": 0.0006,
    },
}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("backtest") / "store.db")


@pytest.fixture(scope="module")
def days() -> tuple[dt.date, dt.date]:
    """Three months of the stored 1h candles: the sidebar range the page tests use."""
    first = load_market("btcusdt_1h_binance.csv.gz").index[-400 * 24].date()
    start = first + dt.timedelta(days=30)
    return start, start + dt.timedelta(days=91)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("UPTRADE_HBAPI_URL", raising=False)
    return monkeypatch


def _page(env: pytest.MonkeyPatch, url: str, days: tuple[dt.date, dt.date]) -> AppTest:
    at = page_test(env, url, "backtest")
    at.sidebar.date_input[0].set_value(days).run()
    no_exception(at)
    return at


def _on_sidebar(cfg: BacktestConfig, days: tuple[dt.date, dt.date]) -> BacktestConfig:
    """``cfg`` on BTC-USDT 1h over the sidebar's days (the first bar of the first to the last of the last)."""
    return cfg.with_overrides(symbol="BTC-USDT", timeframe="1h", start=f"{days[0]} 00:00:00", end=f"{days[1]} 23:59:59")


def _direct(url: str, cfg: BacktestConfig) -> tuple[pd.DataFrame, Any]:
    store = open_store(url)
    try:
        candles = load_candles(store, cfg)
    finally:
        store.close()
    return candles, run_hummingbot(cfg, candles)[0]


def _element(at: AppTest, kind: str, key: str) -> Any:
    return next(e for e in at.get(kind) if e.proto.id.endswith(f"-{key}"))


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with ``column``."""
    return next(t.value for t in at.dataframe if column in t.value.columns)


def _shown_stats(at: AppTest) -> dict[str, str]:
    table = _table(at, "statistic")
    return dict(zip(table["statistic"], table["value"], strict=True))


def _array(value: Any) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array (``{"dtype", "bdata", "shape"}``)."""
    if isinstance(value, dict):
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return data.reshape([int(s) for s in str(shape).split(",")]) if shape else data
    return np.array(json.loads(json.dumps(value).replace("null", "NaN")), dtype=float)


def _assert_shows(at: AppTest, result: Any) -> None:
    """The page's statistics, headline and executors are those of ``result`` (a direct run)."""
    stats = result.stats
    assert _shown_stats(at) == {k: fmt_value(k, v) for k, v in stats.items()}
    assert {m.label: m.value for m in at.metric} == {
        "return": fmt_value("total_return", stats["total_return"]),
        "Sharpe": fmt_value("sharpe", stats["sharpe"]),
        "max drawdown": fmt_value("max_drawdown_pct", stats["max_drawdown_pct"]),
        "trades": f"{len(result.executors):,}",
        "win rate": fmt_value("win_rate", stats["win_rate"]),
    }
    shown = _table(at, "close_type")
    assert len(shown) == len(result.executors) > 0
    np.testing.assert_allclose(shown["net_pnl_quote"], result.executors["net_pnl_quote"])
    assert list(shown["close_type"]) == list(result.executors["close_type"])


# --- the page --------------------------------------------------------------------------------------


def test_an_example_bot_file_runs_on_the_sidebars_market(
    url: str, env: pytest.MonkeyPatch, days: tuple[dt.date, dt.date]
) -> None:
    at = _page(env, url, days)
    assert "sniper_btc_1h.yml" in at.selectbox(key="backtest_file").options
    at.selectbox(key="backtest_file").select(BOT).run()
    at.button(key="backtest_run").click().run()
    no_exception(at)
    cfg = _on_sidebar(load_backtest_config(SOURCE_EXAMPLES / BOT), days)
    candles, result = _direct(url, cfg)
    assert cfg.executor.leverage == 3
    assert cfg.executor.trailing_stop is not None
    assert candles.index[0].date() == days[0]
    assert candles.index[-1].date() == days[1]
    _assert_shows(at, result)
    assert not [i.value for i in at.info]  # the result shown is the current settings'
    assert at.subheader[0].value == f"Backtest BTC-USDT 1h {days[0]}..{days[1]} (hummingbot)"
    price = json.loads(_element(at, "plotly_chart", "backtest_price").proto.spec)
    opened = [t for t in price["data"] if str(t.get("name", "")).startswith("open ")]
    assert sum(len(_array(t["y"]).ravel()) for t in opened) == len(result.executors)
    equity = json.loads(_element(at, "plotly_chart", "backtest_equity").proto.spec)["data"][0]
    assert equity["name"] == "equity"
    assert _array(equity["y"])[-1] == pytest.approx(result.stats["final_equity"])  # the display keeps the ends


def test_the_controls_run_and_a_changed_take_profit_changes_the_result(
    url: str, env: pytest.MonkeyPatch, days: tuple[dt.date, dt.date]
) -> None:
    at = _page(env, url, days)
    at.radio(key="backtest_mode").set_value("controls").run()
    at.button(key="backtest_run").click().run()
    no_exception(at)
    base = _on_sidebar(BacktestConfig.model_validate({"symbol": "BTC-USDT", **CONTROLS}), days)
    _, first = _direct(url, base)
    _assert_shows(at, first)

    at.number_input(key="backtest_tp").set_value(2.0).run()
    assert any("settings changed" in i.value for i in at.info)  # shown, not recomputed, until Run
    _assert_shows(at, first)
    at.button(key="backtest_run").click().run()
    no_exception(at)
    changed = base.model_copy(update={"executor": base.executor.model_copy(update={"take_profit": 0.02})})
    _, second = _direct(url, changed)
    _assert_shows(at, second)
    assert second.stats["by_close_type"] != first.stats["by_close_type"]
    assert _shown_stats(at)["by_close_type"] != fmt_value("by_close_type", first.stats["by_close_type"])


def test_the_sweep_heatmap_is_optimizes_table(url: str, env: pytest.MonkeyPatch, days: tuple[dt.date, dt.date]) -> None:
    at = _page(env, url, days)
    at.selectbox(key="backtest_sweep_name1").select("take_profit").run()
    at.text_input(key="backtest_sweep_values1_take_profit").input("0.02,0.05").run()
    at.selectbox(key="backtest_sweep_name2").select("sniper:minor.length").run()
    at.text_input(key="backtest_sweep_values2_sniper:minor.length").input("20,28,36").run()
    at.selectbox(key="backtest_sweep_objective").select("calmar").run()
    at.number_input(key="backtest_sweep_min_trades").set_value(5).run()
    at.button(key="backtest_sweep_run").click().run()
    no_exception(at)

    cfg = _on_sidebar(load_backtest_config(SOURCE_EXAMPLES / "sniper_btc_1h.yml"), days)
    store = open_store(url)
    try:
        candles = load_candles(store, cfg)
    finally:
        store.close()
    names = ["take_profit", "sniper:minor.length"]
    space = ParamSpace.parse(["take_profit=0.02,0.05", "sniper:minor.length=20,28,36"], cfg)
    table = optimize(cfg, candles, space, objective="calmar", min_trades=5).table
    assert len(table) == 6
    heat = json.loads(_element(at, "plotly_chart", "backtest_sweep_figure_0").proto.spec)["data"][0]
    assert heat["x"] == ["0.02", "0.05"]
    assert heat["y"] == ["20", "28", "36"]
    expected = [
        [
            table.loc[(table[names[0]] == x) & (table[names[1]] == y) & table["eligible"], "calmar"].max()
            for x in (0.02, 0.05)
        ]
        for y in (20, 28, 36)
    ]
    np.testing.assert_allclose(_array(heat["z"]), np.array(expected, dtype=float), equal_nan=True)
    best = _table(at, "rank")
    ranked = table.sort_values("rank")
    assert list(best["take_profit"]) == list(ranked["take_profit"])
    assert list(best["sniper:minor.length"]) == list(ranked["sniper:minor.length"])
    np.testing.assert_allclose(best["calmar"], ranked["calmar"])


def _section(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


def test_the_report_download_is_the_report_the_cli_writes(
    url: str, env: pytest.MonkeyPatch, days: tuple[dt.date, dt.date], tmp_path: Path
) -> None:
    raw = yaml.safe_load((SOURCE_EXAMPLES / "sniper_btc_1h.yml").read_text())
    raw.update(start=str(days[0]), end=str(days[1]))
    path = tmp_path / "mine.yml"
    path.write_text(yaml.safe_dump(raw))
    at = _page(env, url, days)
    at.file_uploader(key="backtest_upload").set_value(("mine.yml", path.read_bytes(), "application/yaml")).run()
    at.checkbox(key="backtest_use_sidebar").uncheck().run()  # the file's own market and range
    at.button(key="backtest_run").click().run()
    no_exception(at)
    run = at.session_state["backtest_result"]
    button = _element(at, "download_button", "backtest_report")
    assert button.proto.url.split("/")[-1].split(".")[0] == _calculate_file_id(
        run.report_html, "text/html", run.report_name
    )
    page = run.report_html.decode()

    env.setenv("UPTRADE_DATABASE_URL", url)
    out = CliRunner().invoke(app, ["backtest", "-c", str(path), "--report", str(tmp_path / "cli.html")])
    assert out.exit_code == 0, out.output
    cli = (tmp_path / "cli.html").read_text()
    title = re.search(r"<title>(.*?)</title>", cli)
    assert title is not None
    assert title.group(1) in page
    assert title.group(1) == f"Backtest BTC-USDT 1h {days[0]}..{days[1]} (hummingbot)"
    for start, end in (
        ("<h2>Statistics</h2>", "<h2>Monthly returns</h2>"),
        ("<h2>Executors", "<p>Full table"),
        ("<h2>Config</h2>", "</body>"),
    ):
        assert _section(page, start, end) == _section(cli, start, end)
    assert (tmp_path / "cli.executors.csv").read_bytes() == run.executors_csv


def test_bad_input_is_one_error_line(
    url: str, env: pytest.MonkeyPatch, days: tuple[dt.date, dt.date], tmp_path: Path
) -> None:
    at = _page(env, url, days)
    bad = (SOURCE_EXAMPLES / "sniper_btc_1h.yml").read_text().replace("stop_loss:", "stop_los:")
    at.file_uploader(key="backtest_upload").set_value(("bad.yml", bad.encode(), "application/yaml")).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["bad.yml: executor.stop_los: unknown field; did you mean stop_loss?"]

    at.file_uploader(key="backtest_upload").set_value(None).run()
    at.selectbox(key="backtest_file").select("portfolio_sniper_btc_eth_sol_1h.yml").run()
    at.checkbox(key="backtest_use_sidebar").uncheck().run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("symbols: BTC-USDT, ETH-USDT, SOL-USDT is a portfolio")

    at.radio(key="backtest_mode").set_value("controls").run()
    at.text_input(key="backtest_params_sniper:minor").input("length=abc").run()
    assert not at.exception
    assert len(at.error) == 1
    assert "length" in at.error[0].value
    assert "\n" not in at.error[0].value

    at.text_input(key="backtest_params_sniper:minor").input("length=20").run()
    no_exception(at)
    at.text_input(key="backtest_sweep_values1_take_profit").input("0.01:0.99:0.001").run()
    at.selectbox(key="backtest_sweep_name2").select("(none)").run()
    at.button(key="backtest_sweep_run").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "grid: 981 points; the page runs at most 200 (use uptrade optimize for more)"
    ]


# --- the helpers -----------------------------------------------------------------------------------


def test_config_files_lists_backtest_and_bot_files(tmp_path: Path) -> None:
    files = [p.relative_to(SOURCE_EXAMPLES).as_posix() for p in bv.config_files(SOURCE_EXAMPLES)]
    assert "sniper_btc_1h.yml" in files
    assert BOT in files
    assert files.index("sniper_btc_1h.yml") < files.index(BOT)
    for p in bv.config_files(SOURCE_EXAMPLES):
        cfg = load_backtest_config(p)
        assert cfg.signals.sources
    (tmp_path / "notes.txt").write_text("x")
    assert bv.config_files(tmp_path) == []
    with pytest.raises(ConfigError, match="no such directory"):
        bv.config_files(tmp_path / "nowhere")


def test_load_uploaded_reads_bot_files_and_names_the_upload() -> None:
    bot = (SOURCE_EXAMPLES / BOT).read_bytes()
    assert bv.load_uploaded("mine.yml", bot) == load_backtest_config(SOURCE_EXAMPLES / BOT)
    with pytest.raises(ConfigError) as err:
        bv.load_uploaded("x.yml", b"symbol: BTC-USDT\nsignals: [1, 2]\n")
    assert str(err.value).startswith("x.yml: signals")
    with pytest.raises(ConfigError, match=r"^y.yml: not valid YAML"):
        bv.load_uploaded("y.yml", b"a: [")


def test_market_bounds_select_the_sidebars_candles(url: str) -> None:
    start, end = pd.Timestamp("2025-06-01", tz="UTC"), pd.Timestamp("2025-06-03 23:59:59", tz="UTC")
    assert bv.market_bounds(start, end) == ("2025-06-01 00:00:00", "2025-06-03 23:59:59")
    base = BacktestConfig.model_validate({"symbol": "ETH-USDT", "timeframe": "4h", **CONTROLS})
    cfg = bv.on_market(base, "BTC-USDT", "1h", start, end)
    assert (cfg.symbol, cfg.timeframe) == ("BTC-USDT", "1h")
    store = open_store(url)
    try:
        candles = load_candles(store, cfg)
    finally:
        store.close()
    btc = load_market("btcusdt_1h_binance.csv.gz")
    pd.testing.assert_index_equal(candles.index, btc.loc[start:end].index, check_names=False)
    assert len(candles) == 72


def test_parsing_the_controls_texts() -> None:
    assert bv.parse_pairs(" length=28, phase=0\nma_type=Jurik Moving Average ,") == [
        "length=28",
        "phase=0",
        "ma_type=Jurik Moving Average",
    ]
    assert bv.parse_weights("") is None
    assert bv.parse_weights("sniper:minor=2, vzo:minor=0.5") == {"sniper:minor": 2.0, "vzo:minor": 0.5}
    for bad in ("sniper:minor", "sniper:minor=x", "=2", "a=inf"):
        with pytest.raises(ParameterError, match=r"^weights: expected SOURCE=number") as err:
            bv.parse_weights(bad)
        assert err.value.param == "weights"
    assert (bv.fraction(3), bv.fraction(0), bv.fraction(1.1)) == (0.03, None, 0.011)
    assert (bv.seconds(72), bv.seconds(0), bv.seconds(0.5)) == (259200, None, 1800)


def test_controls_config_is_the_config_of_the_same_fields() -> None:
    start, end = pd.Timestamp("2025-06-01", tz="UTC"), pd.Timestamp("2025-08-31 23:59:59", tz="UTC")
    market: dict[str, Any] = {"symbol": "BTC-USDT", "timeframe": "1h", "start": start, "end": end}
    combine = CONTROLS["signals"]["combine"]
    sources = {"sniper:minor": "", "vzo:minor": "vzo_length=14"}
    cfg = bv.controls_config(**market, sources=sources, combine=combine, executor=CONTROLS["executor"])
    expected = {"symbol": "BTC-USDT", "start": "2025-06-01 00:00:00", "end": "2025-08-31 23:59:59", **CONTROLS}
    assert cfg == BacktestConfig.model_validate(expected)
    sources = {"sniper:minor": "length=20, ma_type=ema", "vzo:minor": ""}
    cfg = bv.controls_config(**market, sources=sources, combine={"mode": "or", "primary": None}, executor={})
    assert cfg.signals.sources == {"sniper:minor": {"length": 20, "ma_type": "ema"}, "vzo:minor": {}}
    assert cfg.signals.combine.mode == "or"
    assert cfg.executor == ExecutorConfig()
    with pytest.raises(ParameterError, match="length"):
        bv.controls_config(**market, sources={"sniper:minor": "length=0"}, combine={}, executor={})
    with pytest.raises(ConfigError, match=r"^executor.stop_loss: "):
        bv.controls_config(**market, sources={"ma:cross": ""}, combine={}, executor={"stop_loss": 1.5})
    with pytest.raises(ConfigError, match=r"^executor.cooldown_time: must be > 0"):
        bv.controls_config(**market, sources={"ma:cross": ""}, combine={}, executor={"cooldown_time": 0})
    with pytest.raises(ConfigError, match="at least one signal source"):
        bv.controls_config(**market, sources={}, combine={}, executor={})


def test_a_portfolio_is_refused_in_one_line() -> None:
    cfg = load_backtest_config(SOURCE_EXAMPLES / "portfolio_sniper_btc_eth_sol_1h.yml")
    with pytest.raises(ConfigError, match=r"^symbols: BTC-USDT, ETH-USDT, SOL-USDT is a portfolio"):
        bv.single_market(cfg)
    one = bv.on_market(
        cfg, "ETH-USDT", "1h", pd.Timestamp("2025-06-01", tz="UTC"), pd.Timestamp("2025-07-01", tz="UTC")
    )
    assert bv.single_market(one).markets == ["ETH-USDT"]


def test_run_config_and_the_tables_agree_with_the_library(url: str, days: tuple[dt.date, dt.date]) -> None:
    cfg = _on_sidebar(load_backtest_config(SOURCE_EXAMPLES / "sniper_btc_1h.yml"), days)
    candles, result = _direct(url, cfg)
    store = open_store(url)
    try:
        run = bv.run_config(store, cfg)
    finally:
        store.close()
    assert run.stats == result.stats
    assert run.config_json == cfg.model_dump_json()
    assert run.title == f"Backtest BTC-USDT 1h {days[0]}..{days[1]} (hummingbot)"
    assert run.report_name == f"backtest_BTC-USDT_1h_{days[0]}_{days[1]}.html"
    assert run.bars == len(candles)
    assert run.longs + run.shorts >= len(result.executors) > 0
    csv = pd.read_csv(io.BytesIO(run.executors_csv))
    pd.testing.assert_frame_equal(csv.iloc[:, 3:9], result.executors.iloc[:, 3:9], check_dtype=False)

    frame = bv.stats_frame(result.stats)
    assert set(frame["statistic"]) == set(result.stats)
    assert list(dict.fromkeys(frame["group"])) == ["Returns", "Risk", "Trades", "Benchmark"]
    row = frame.set_index("statistic").loc["max_drawdown_pct"]
    assert (row["group"], row["value"]) == ("Risk", f"{result.stats['max_drawdown_pct'] * 100:,.2f}%")
    assert dict(bv.headline(result.stats))["trades"] == str(len(result.executors))
    summary = bv.summary_frame(run.hummingbot).set_index("figure")["value"]
    assert summary["total_executors"] == str(len(result.executors))

    dd = bv.drawdown(result.equity)
    assert -dd.min() == pytest.approx(result.stats["max_drawdown_pct"])
    assert bv.drawdown(pd.Series([100.0, 110.0, 99.0, 120.0])).tolist() == pytest.approx([0, 0, -0.1, 0])


def test_sweep_choices_are_names_the_grid_accepts() -> None:
    cfg = load_backtest_config(SOURCE_EXAMPLES / BOT)  # a trailing stop, one source
    names = bv.sweep_choices(cfg)
    assert names[:2] == ["take_profit", "stop_loss"]
    assert "activation_price" in names
    assert "confirm_window" not in names
    assert "threshold" not in names
    assert "sniper:major.length" in names
    assert "sniper:major.ma_type" not in names
    tried = 0
    for name in names:
        values = bv.suggested_values(cfg, name)
        if values:
            space = ParamSpace.parse([f"{name}={values}"], cfg)
            assert space.names == [name]
            assert (space.grid_size or 0) >= 2
            tried += 1
    assert tried >= len(names) - 3
    assert bv.current_value(cfg, "take_profit") == 0.05
    assert bv.current_value(cfg, "sniper:major.length") == 28
    assert bv.suggested_values(cfg, "sniper:major.length") == "14,28,42"
    assert bv.suggested_values(cfg, "take_profit") == "0.025,0.05,0.075"
    confirm = load_backtest_config(SOURCE_EXAMPLES / "sniper_btc_1h.yml")
    assert "confirm_window" in bv.sweep_choices(confirm)
    assert "activation_price" not in bv.sweep_choices(confirm)


def test_grid_specs_and_the_sweep_limit(url: str) -> None:
    assert bv.grid_specs([("take_profit", "0.02, 0.04"), ("", "1,2")]) == ["take_profit=0.02,0.04"]
    with pytest.raises(ConfigError, match=r"^grid stop_loss: give its values"):
        bv.grid_specs([("stop_loss", " ")])
    with pytest.raises(ConfigError, match=r"^grid: choose at least one"):
        bv.grid_specs([])
    cfg = load_backtest_config(SOURCE_EXAMPLES / "sniper_btc_1h.yml")
    store = open_store(url)
    try:
        with pytest.raises(ConfigError, match=r"^grid: 12 points; the page runs at most 10"):
            bv.run_sweep(store, cfg, ["take_profit=0.01:0.04:0.01", "stop_loss=0.01,0.02,0.03"], "sharpe", 1, limit=10)
        with pytest.raises(ConfigError, match="take_profit"):
            bv.run_sweep(store, cfg, ["take_profit=0.01:0.04"], "sharpe", 1)
    finally:
        store.close()


def test_best_points_follow_the_rank() -> None:
    table = pd.DataFrame(
        {
            "take_profit": [0.02, 0.04, 0.06],
            "rank": [3, 1, 2],
            "sharpe": [0.1, 0.9, 0.5],
            **{c: [0, 0, 0] for c in bv.SWEEP_COLUMNS if c != "sharpe"},
        }
    )
    best = bv.best_points(table, ["take_profit"], "sharpe", top=2)
    assert list(best.columns) == ["rank", "take_profit", "sharpe", *[c for c in bv.SWEEP_COLUMNS if c != "sharpe"]]
    assert best["take_profit"].tolist() == [0.04, 0.06]
