"""The bundled controllers inside Hummingbot: the signals and executors of ``uptrade backtest``.

For each controller, bot files are turned into controller configs by ``uptrade hb config`` and the
bundle is written by ``uptrade hb bundle``; then, in Hummingbot's own environment (hummingbot
20260922, Python 3.12, numba 0.61, no UpTrade; offline, every socket refused), each config is
loaded by Hummingbot's controller loader from its YAML and run by Hummingbot's
``BacktestingEngineBase`` on the last 3000 real 1h candles of BTC or ETH
(``scripts/hb_crosscheck/run_controllers.py``). Bar for bar, the signal the controller computes
must be UpTrade's batch signal (``research.run.combined_signal`` on the bot's backtest config), and
the executors must be ``uptrade backtest``'s (``research.backtest.run_backtest`` with the bot's
execution and account): count, open and close times, sides, close types, net PnL to 1e-9.

The cases cover the four controllers, every combine mode, spot paper bots (``*_paper_trade``), live
perpetual bots (``--live``), a candle feed from another connector than the traded one, trailing
stops and several executors per side. A fresh controller on a live-style feed (the last row still
forming) acts on a bar's signal once, on the first tick after the bar closes. Skipped without the
Hummingbot environment like ``tests/test_hummingbot_crosscheck.py`` (CI has it).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from tests.hbenv import hummingbot_python, kept_bundle
from uptrade.cli import app
from uptrade.execution.bots import BotConfig
from uptrade.research.backtest import run_backtest
from uptrade.research.run import combined_signal

ROOT = Path(__file__).resolve().parents[1]
HB_PYTHON = hummingbot_python()
SCRIPT = ROOT / "scripts" / "hb_crosscheck" / "run_controllers.py"
BARS = 3000

pytestmark = [
    pytest.mark.skipif(
        not HB_PYTHON.exists(), reason=f"no Hummingbot environment at {HB_PYTHON} (bash scripts/hummingbot_env.sh)"
    ),
    pytest.mark.long,
]

SPOT = {"connector": "binance", "timeframe": "1h"}
PERP = {"connector": "binance_perpetual", "timeframe": "1h"}


def execution(**kw: Any) -> dict[str, Any]:
    base = {"total_amount_quote": 1000, "max_executors_per_side": 1, "cooldown_time": 3600, "stop_loss": 0.02,
            "take_profit": 0.03, "time_limit": 86400, "trade_cost": 0.0006}  # fmt: skip
    return {**base, **kw}


#: controller -> cases: (name, symbol, mode, market, sources, combine, execution)
CASES: dict[str, list[tuple[str, str, str, dict[str, Any], dict[str, Any], dict[str, Any] | None, dict[str, Any]]]] = {
    "uptrade_sniper": [
        ("sniper-minor-btc", "btc", "paper", SPOT, {"sniper:minor": {}}, None,
         execution(trailing_stop={"activation_price": 0.01, "trailing_delta": 0.004})),
        ("sniper-trail-eth", "eth", "live", {**PERP, "candles": {"connector": "binance"}},
         {"sniper:trail": {"length": 21, "ma_type": "ema"}}, None,
         execution(leverage=2, max_executors_per_side=2, cooldown_time=7200, stop_loss=0.015, take_profit=0.01)),
    ],
    "uptrade_vzo": [
        ("vzo-minor-btc", "btc", "live", PERP, {"vzo:minor": {"vzo_length": 21}}, None,
         execution(max_executors_per_side=3, cooldown_time=7200, time_limit=36000)),
        ("vzo-zero-eth", "eth", "paper", SPOT, {"vzo:zero_cross": {"ma_type": "hma"}}, None, execution()),
    ],
    "uptrade_cycle": [
        ("cycle-btc", "btc", "paper", SPOT, {"cycle:cross": {}}, None, execution(time_limit=43200)),
        ("cycle-frama-eth", "eth", "live", PERP,
         {"cycle:cross": {"ma_type": "frama", "window": 96, "min_period": 10, "max_period": 40}}, None,
         execution(max_executors_per_side=2, stop_loss=0.03, take_profit=0.02)),
    ],
    "uptrade_combined": [
        ("and-btc", "btc", "paper", SPOT, {"sniper:minor": {}, "vzo:minor": {}}, {"mode": "and"}, execution()),
        ("or-eth", "eth", "live", PERP, {"vzo:zero_cross": {}, "ma:cross": {"window": 30, "ma_type": "hma"}},
         {"mode": "or"}, execution(max_executors_per_side=2, cooldown_time=1800)),
        ("weighted-btc", "btc", "live", PERP,
         {"sniper:trail": {}, "vzo:adaptive": {}, "cycle:cross": {"ma_type": "jma"}},
         {"mode": "weighted", "weights": {"sniper:trail": 2.0}, "threshold": 0.5},
         execution(trailing_stop={"activation_price": 0.015, "trailing_delta": 0.005})),
        ("confirm-eth", "eth", "paper", SPOT, {"sniper:minor": {"length": 21}, "vzo:minor": {}},
         {"mode": "confirm", "primary": "sniper:minor", "confirm_window": 4}, execution(time_limit=172800)),
        ("ma-btc", "btc", "paper", SPOT, {"ma:cross": {"window": 48, "ma_type": "vwma"}}, None, execution()),
    ],
}  # fmt: skip
CLASSES = {
    "uptrade_sniper": "UpTradeSniper",
    "uptrade_vzo": "UpTradeVZO",
    "uptrade_cycle": "UpTradeCycle",
    "uptrade_combined": "UpTradeCombined",
}


def write_npz(path: Path, candles: pd.DataFrame) -> None:
    seconds = (candles.index.as_unit("ns").asi8 // 1_000_000_000).astype(float)
    np.savez(
        path,
        timestamp=seconds,
        **{c: candles[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close", "volume")},
    )


def cli(*args: str, live: bool = False) -> str:
    env = {"UPTRADE_ALLOW_LIVE": "true" if live else "false", "COLUMNS": "200"}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("controller", sorted(CASES))
def test_controller_in_hummingbot_is_the_backtest(
    tmp_path: Path, btc_1h: pd.DataFrame, eth_1h: pd.DataFrame, controller: str
) -> None:
    markets = {"btc": ("BTC-USDT", btc_1h.iloc[-BARS:]), "eth": ("ETH-USDT", eth_1h.iloc[-BARS:])}
    cli("hb", "bundle", "--out", str(tmp_path / "bundle"))
    conf = tmp_path / "conf"
    spec_cases, bots = [], {}
    for name, symbol, mode, market, sources, combine, ex in CASES[controller]:
        pair, candles = markets[symbol]
        signals: dict[str, Any] = {"sources": sources} | ({"combine": combine} if combine else {})
        bot = {"name": name, "mode": mode, "strategy": {"signals": signals},
               "market": {**market, "trading_pair": pair}, "execution": ex}  # fmt: skip
        path = tmp_path / f"{name}.bot.yml"
        path.write_text(yaml.safe_dump(bot, sort_keys=False))
        cli("hb", "config", str(path), "--out", str(conf), *(["--live"] if mode == "live" else []), live=mode == "live")
        written = yaml.safe_load((conf / f"{name}.yml").read_text())
        assert written["controller_name"] == controller
        assert written["connector_name"] == ("binance_paper_trade" if mode == "paper" else market["connector"])
        npz = tmp_path / f"{symbol}.npz"
        if not npz.exists():
            write_npz(npz, candles)
        loaded = BotConfig.from_yaml(path)
        signal = combined_signal(candles, loaded.backtest_config())[0].to_numpy()
        live_bar = int(np.flatnonzero(signal[BARS // 2 :])[0]) + BARS // 2  # a bar with a signal, mid-feed
        spec_cases.append(
            {
                "name": name,
                "config": f"{name}.yml",
                "candles": str(npz),
                "trade_cost": ex["trade_cost"],
                "live_bar": live_bar,
            }
        )
        bots[name] = (loaded, candles, live_bar)
    kept = kept_bundle(tmp_path / "bundle")  # numba's cache of its kernels survives between runs
    spec = {"bundle": str(kept / "bundle"), "conf_dir": str(conf), "cases": spec_cases}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(kept / "numba")}
    done = subprocess.run(
        # liveness guard only (compiling a controller's kernels takes about a minute): a hang fails
        [str(HB_PYTHON), str(SCRIPT), str(tmp_path / "spec.json"), str(tmp_path / "out.json")],
        check=False,
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
    )
    assert done.returncode == 0, f"Hummingbot run failed ({done.returncode}):\n{done.stderr[-4000:]}"
    results = json.loads((tmp_path / "out.json").read_text())
    for name, (bot, candles, live_bar) in bots.items():
        check_case(name, controller, bot, candles, results[name])
        # live: the bar's signal is acted on once, on the first tick after its close
        want = int(combined_signal(candles, bot.backtest_config())[0].iloc[live_bar])
        assert results[name]["live"] == [0, want, 0], name


def check_case(name: str, controller: str, bot: BotConfig, candles: pd.DataFrame, hb: dict[str, Any]) -> None:
    assert hb["controller"] == CLASSES[controller] + "Controller", name
    assert hb["config_class"] == CLASSES[controller] + "Config", name
    cfg = bot.backtest_config()
    signal, _ = combined_signal(candles, cfg)
    seconds = (candles.index.as_unit("ns").asi8 // 1_000_000_000).astype(float)
    # the controller's own features: one row per bar, UpTrade's signal on each
    np.testing.assert_array_equal(hb["features"]["timestamp"], seconds, err_msg=name)
    np.testing.assert_array_equal(hb["features"]["signal"], signal.to_numpy(), err_msg=name)
    # what the engine merged with its candles and kept: every bar
    np.testing.assert_array_equal(hb["merged"]["timestamp"], seconds, err_msg=name)
    np.testing.assert_array_equal(hb["merged"]["signal"], signal.to_numpy(), err_msg=name)
    assert np.count_nonzero(signal) > 10, name
    ours = run_backtest(candles, signal, cfg.executor, cfg.timeframe, cfg.account)
    assert not ours.stats["ruined"], name  # Hummingbot's engine has no account: a ruin would stop ours early
    ex, theirs = ours.executors, hb["executors"]
    assert len(theirs) > 5, name
    assert len(ex) == len(theirs), name
    secs = lambda col: (pd.DatetimeIndex(ex[col]).as_unit("ns").asi8 // 1_000_000_000).astype(float)  # noqa: E731
    np.testing.assert_array_equal(secs("open_time"), [e["timestamp"] for e in theirs], err_msg=name)
    np.testing.assert_array_equal(secs("close_time"), [e["close_timestamp"] for e in theirs], err_msg=name)
    assert list(ex["side"]) == [e["side"] for e in theirs], name
    assert list(ex["close_type"].str.upper()) == [e["close_type"] for e in theirs], name
    np.testing.assert_allclose(
        ex["net_pnl_quote"], [e["net_pnl_quote"] for e in theirs], rtol=1e-9, atol=1e-9, err_msg=name
    )
    summary = ours.hummingbot_summary
    assert summary["net_pnl_quote"] == pytest.approx(hb["results"]["net_pnl_quote"], rel=1e-9, abs=1e-9), name
    assert summary["close_types"] == hb["results"]["close_types"], name
