"""Bot files: every example loads, every rule Hummingbot's configs enforce is refused at load with one
line naming the file and field, and the file drives ``uptrade backtest`` as the backtest config it stands for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from uptrade.cli import app
from uptrade.data.store import open_store
from uptrade.errors import ConfigError, LiveTradingError
from uptrade.execution import venues
from uptrade.execution.bots import BotConfig, check_live, load_backtest_config
from uptrade.research.run import run_hummingbot

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "bots").glob("*.yml"))
runner = CliRunner()


def bot(**changes: Any) -> dict[str, Any]:
    """A valid bot mapping with ``section.field`` changes applied (``None`` deletes the field)."""
    raw: dict[str, Any] = {
        "name": "t-bot",
        "strategy": {"signals": {"sources": {"sniper:major": {}}}},
        "market": {"connector": "binance_perpetual", "trading_pair": "BTC-USDT", "timeframe": "1h"},
        "execution": {"leverage": 2, "cooldown_time": 60},
    }
    for key, value in changes.items():
        *path, last = key.split(".")
        node = raw
        for part in path:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return raw


def write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "bot.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_examples_cover_the_four_controllers_and_venue_kinds() -> None:
    bots = [BotConfig.from_yaml(p) for p in EXAMPLES]
    assert {b.controller_name for b in bots} == {"uptrade_sniper", "uptrade_vzo", "uptrade_cycle", "uptrade_combined"}
    connectors = {b.market.connector for b in bots}
    assert {"binance_perpetual", "hyperliquid_perpetual", "okx"} <= connectors
    assert any(venues.is_gateway(c) for c in connectors)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"execution.cooldown_time": 0}, "execution.cooldown_time: must be > 0 seconds"),
        ({"execution.stop_loss": 0}, "execution.stop_loss"),
        ({"execution.take_profit": -0.1}, "execution.take_profit"),
        ({"execution.time_limit": 0}, "execution.time_limit"),
        ({"execution.stop_los": 0.1}, "execution.stop_los: unknown field; did you mean stop_loss?"),
        ({"market.exchange": "binance"}, "market.exchange: unknown field"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"market.connector": "binance_perp"}, "market.connector: unknown connector 'binance_perp'; did you mean"),
        ({"market.trading_pair": "BTC/USDT"}, "market.trading_pair: expected BASE-QUOTE"),
        ({"market.trading_pair": "btc-usdt"}, "market.trading_pair: expected BASE-QUOTE"),
        ({"market.timeframe": "7m"}, "market.timeframe: expected one of Hummingbot's intervals"),
        ({"market.timeframe": "1s", "market.connector": "okx_perpetual"}, None),
        ({"market.timeframe": "1s", "market.connector": "hyperliquid_perpetual"}, "hyperliquid_perpetual candles"),
        ({"market.connector": "uniswap/router"}, "Hummingbot has no candle feed for 'uniswap/router'"),
        ({"market.connector": "binance", "execution.leverage": 3}, "execution.leverage: binance is a spot venue"),
        ({"name": "my bot"}, "name: must match"),
        ({"mode": "real"}, "mode:"),
        ({"strategy.signals.sources": {"spectral:turns": {}}}, "spectral cannot run inside Hummingbot"),
        ({"strategy.signals.sources": {"sniper:major": {"length": 0}}}, "sniper:major.length: must be an integer >= 1"),
        ({"strategy.controller": "uptrade_vzo"}, "controller: these sources run as uptrade_sniper"),
        ({"execution.total_amount_quote": 5000, "account.initial_capital": 1000}, "needs a margin of 2,500.00"),
    ],
)
def test_bad_bot_files_name_the_file_and_field(tmp_path: Path, changes: dict[str, Any], expected: str | None) -> None:
    path = write(tmp_path, bot(**changes))
    if expected is None:
        BotConfig.from_yaml(path)
        return
    with pytest.raises(ConfigError) as err:
        BotConfig.from_yaml(path)
    message = str(err.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message


def test_controller_follows_the_sources(tmp_path: Path) -> None:
    one = BotConfig.model_validate(bot(**{"strategy.signals.sources": {"vzo:minor": {}}}))
    assert one.controller_name == "uptrade_vzo"
    cyc = BotConfig.model_validate(bot(**{"strategy.signals.sources": {"cycle": {"max_period": 30}}}))
    assert cyc.controller_name == "uptrade_cycle"
    assert not cyc.needs_volume
    ma = BotConfig.model_validate(bot(**{"strategy.signals.sources": {"ma:cross": {"ma_type": "vwma"}}}))
    assert ma.controller_name == "uptrade_combined"  # an MA alone runs in the combined controller
    assert ma.needs_volume
    forced = BotConfig.model_validate(bot(**{"strategy.controller": "uptrade_combined"}))
    assert forced.controller_name == "uptrade_combined"


def test_live_needs_the_setting_and_a_confirmation() -> None:
    live = BotConfig.model_validate(bot(mode="live"))
    with pytest.raises(LiveTradingError, match="UPTRADE_ALLOW_LIVE"):
        check_live(live, confirmed=True, allow_live=False)
    with pytest.raises(LiveTradingError, match="confirm"):
        check_live(live, confirmed=False, allow_live=True)
    check_live(live, confirmed=True, allow_live=True)
    check_live(BotConfig.model_validate(bot()), confirmed=False, allow_live=False)  # paper: nothing to confirm


def test_bot_file_backtests_as_its_backtest_config(tmp_path: Path, btc_1h: pd.DataFrame) -> None:
    """`uptrade backtest -c BOT` runs the bot's signals, executors and account on its store symbol."""
    path = ROOT / "examples" / "bots" / "sniper_binance_perpetual_btc_1h.yml"
    cfg = load_backtest_config(path)
    b = BotConfig.from_yaml(path)
    assert cfg.symbol == b.market.symbol == "BTC-USDT"
    assert cfg.executor.model_dump() == b.execution.model_dump()
    assert cfg.initial_capital == 1000
    db = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(db, init=True) as store:
        store.write_ohlcv(btc_1h.loc["2024-01-01":"2024-06-30"], "BTC-USDT", "1h")
        want, _ = run_hummingbot(cfg, btc_1h.loc["2024-01-01":"2024-06-30"])
    out = runner.invoke(app, ["--db", db, "backtest", "--config", str(path)])
    assert out.exit_code == 0, out.output
    assert len(want.executors) > 5
    assert "backtest BTC-USDT 1h 2024-01-01" in out.output  # the bot's symbol, timeframe and range
    assert f"Hummingbot's summary: net_pnl_quote {want.hummingbot_summary['net_pnl_quote']:.4f}" in out.output
    assert re.search(rf"executors\s+│\s+{len(want.executors)}\s", out.output)


def test_validate_cli(tmp_path: Path) -> None:
    out = runner.invoke(app, ["bots", "validate", *map(str, EXAMPLES)])
    assert out.exit_code == 0, out.output
    assert out.output.count("valid:") == len(EXAMPLES)
    bad = write(tmp_path, bot(**{"execution.cooldown_time": 0}))
    out = runner.invoke(app, ["bots", "validate", str(EXAMPLES[0]), str(bad)])
    assert out.exit_code == 1
    assert "execution.cooldown_time: must be > 0" in out.output
