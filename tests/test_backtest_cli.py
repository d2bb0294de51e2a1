"""``uptrade backtest`` (research mode) and the backtest YAML config, on both backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from uptrade.cli import app
from uptrade.data.store import Store
from uptrade.errors import ConfigError
from uptrade.research.config import BacktestConfig
from uptrade.research.report_format import fmt_value as format_stat
from uptrade.research.run import combined_signal, run_research, vectorbt_gaps
from uptrade.signals import combine, compute_signal

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sniper_btc_1h.yml"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UPTRADE_DATABASE_URL", raising=False)


def write_config(tmp_path: Path, **changes: object) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw.update({"start": "2025-06-01", "end": "2025-09-30"})
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            raw[section][field] = value
        else:
            raw[section] = value
    path = tmp_path / "cfg.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_example_config_loads_and_names_bad_fields(tmp_path: Path) -> None:
    cfg = BacktestConfig.from_yaml(EXAMPLE)
    assert cfg.symbol == "BTC-USDT"
    assert cfg.executor.amount_quote == cfg.executor.total_amount_quote / cfg.executor.max_executors_per_side
    assert list(cfg.signals.sources) == ["sniper:minor", "vzo:minor"]
    with pytest.raises(ConfigError, match=r"executor\.stop_loss"):
        BacktestConfig.from_yaml(write_config(tmp_path, executor__stop_loss=3))
    with pytest.raises(ConfigError, match="unknown"):
        BacktestConfig.from_yaml(write_config(tmp_path, signals={"sources": {"rsi:x": {}}}))
    with pytest.raises(ConfigError, match=r"executor\.bogus"):
        BacktestConfig.from_yaml(write_config(tmp_path, executor__bogus=1))
    with pytest.raises(ConfigError, match="no such file"):
        BacktestConfig.from_yaml(tmp_path / "missing.yml")
    assert vectorbt_gaps(cfg) == ["cooldown_time=3600s", "time_limit=259200s"]


def test_research_run_uses_the_combined_signal(btc_1h: pd.DataFrame) -> None:
    cfg = BacktestConfig.from_yaml(EXAMPLE)
    candles = btc_1h.loc["2025-06-01":"2025-09-30"]
    sig, parts = combined_signal(candles, cfg)
    want = combine(
        {
            "sniper:minor": compute_signal(candles, "sniper:minor", length=28),
            "vzo:minor": compute_signal(candles, "vzo:minor", vzo_length=14),
        },
        "confirm",
        primary="sniper:minor",
        confirm_window=3,
    )
    np.testing.assert_array_equal(sig.to_numpy(), want.to_numpy())
    assert set(parts) == {"sniper:minor", "vzo:minor"}
    result, _ = run_research(cfg, candles)
    opened = result.trades["open_time"]
    # every position opens on a bar whose combined signal points its way
    sides = np.where(result.trades["side"] == "BUY", 1, -1)
    np.testing.assert_array_equal(sig.loc[opened].to_numpy(), sides)


def test_cli_backtest_prints_stats_and_writes_the_report(tmp_path: Path, store: Store, btc_1h: pd.DataFrame) -> None:
    store.write_ohlcv(btc_1h.loc["2025-05-01":"2025-10-31"], "BTC-USDT", "1h")
    url = store.engine.url.render_as_string(hide_password=False)
    cfg_path = write_config(tmp_path)
    out = tmp_path / "report.html"
    args = ["--db", url, "backtest", "-c", str(cfg_path), "--mode", "vectorbt", "--report", str(out)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    cfg = BacktestConfig.from_yaml(cfg_path)
    candles = store.read_ohlcv("BTC-USDT", "1h", start=cfg.start, end=cfg.end)
    research, _ = run_research(cfg, candles)
    line = next(ln for ln in result.output.splitlines() if " executors " in ln)
    assert line.split("│")[2].strip() == str(research.stats["executors"])
    assert format_stat("net_pnl_quote", research.stats["net_pnl_quote"]) in result.output
    assert "research mode ignores: cooldown_time=3600s; time_limit=259200s" in result.output
    assert out.exists()
    assert f"<h2>Executors ({len(research.trades)})</h2>" in out.read_text()
    for args, message in (
        (["--mode", "zipline"], "must be hummingbot or vectorbt"),
        (["-c", str(tmp_path / "nope.yml")], "no such file"),
    ):
        bad = runner.invoke(app, ["--db", url, "backtest", "-c", str(cfg_path), *args], env={"COLUMNS": "200"})
        assert bad.exit_code == 1, bad.output
        assert message in bad.output
    empty = write_config(tmp_path, symbol="ETH-USDT")
    bad = runner.invoke(app, ["--db", url, "backtest", "-c", str(empty)], env={"COLUMNS": "200"})
    assert bad.exit_code == 1
    assert "unknown symbol ETH-USDT (stored: BTC-USDT)" in bad.output
    # a stored symbol with nothing in the config's window says which window
    later = write_config(tmp_path, start="2030-01-01", end="2030-12-31")
    bad = runner.invoke(app, ["--db", url, "backtest", "-c", str(later)], env={"COLUMNS": "200"})
    assert bad.exit_code == 1
    assert "no BTC-USDT 1h candles between 2030-01-01 and 2030-12-31" in bad.output


def test_cli_backtest_default_is_the_hummingbot_engine(tmp_path: Path, store: Store, btc_1h: pd.DataFrame) -> None:
    from uptrade.research.run import run_hummingbot

    store.write_ohlcv(btc_1h.loc["2025-05-01":"2025-10-31"], "BTC-USDT", "1h")
    url = store.engine.url.render_as_string(hide_password=False)
    cfg_path = write_config(tmp_path)
    result = runner.invoke(app, ["--db", url, "backtest", "-c", str(cfg_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    cfg = BacktestConfig.from_yaml(cfg_path)
    hb, _ = run_hummingbot(cfg, store.read_ohlcv("BTC-USDT", "1h", start=cfg.start, end=cfg.end))
    assert "(hummingbot)" in result.output
    assert "research mode ignores" not in result.output
    assert f"Hummingbot's summary: net_pnl_quote {hb.hummingbot_summary['net_pnl_quote']:,.4f}" in result.output
    line = next(ln for ln in result.output.splitlines() if " executors " in ln)
    assert line.split("│")[2].strip() == str(len(hb.executors))
