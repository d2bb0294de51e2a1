"""Portfolio backtests (``symbols: [...]``): one shared account over several markets, on real candles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from tests.conftest import load_market
from uptrade.cli import app
from uptrade.errors import ConfigError
from uptrade.research.config import BacktestConfig
from uptrade.research.optimize import WalkForward, optimize
from uptrade.research.portfolio import run_portfolio
from uptrade.research.run import run_hummingbot
from uptrade.research.space import ParamSpace

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "portfolio_sniper_btc_eth_sol_1h.yml"
runner = CliRunner()


@pytest.fixture(scope="module")
def markets() -> dict[str, pd.DataFrame]:
    span = slice("2024-01-01", "2024-12-31")
    return {
        "BTC-USDT": load_market("btcusdt_1h_binance.csv.gz").loc[span],
        "ETH-USDT": load_market("ethusdt_1h_binance.csv.gz").loc[span],
        "SOL-USDT": load_market("solusdt_1h_binance.csv.gz").loc[span],
    }


def flat(text: str) -> str:
    return " ".join(text.split())


def config(**account: float) -> BacktestConfig:
    raw = BacktestConfig.from_yaml(EXAMPLE).model_dump()
    raw["account"] = {**raw["account"], **account}
    return BacktestConfig.model_validate(raw)


def test_each_market_trades_as_alone_and_the_account_adds_them_up(markets: dict[str, pd.DataFrame]) -> None:
    cfg = config(initial_capital=3000)
    result = run_portfolio(cfg, markets)
    assert not result.stats["ruined"]
    assert result.stats["initial_capital"] == 3000
    total = 0.0
    for symbol, candles in markets.items():
        single, _ = run_hummingbot(cfg.with_overrides(symbol=symbol), candles)
        mine = result.executors[result.executors["symbol"] == symbol].drop(columns="symbol").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, single.executors, check_exact=True)
        row = result.markets.loc[symbol]
        assert row["executors"] == len(single.executors)
        assert row["net_pnl_quote"] == pytest.approx(single.stats["net_pnl_quote"], rel=1e-12)
        total += single.equity.iloc[-1] - single.stats["initial_capital"]
    # the shared account ends at its capital plus every market's result
    assert result.equity.iloc[-1] == pytest.approx(3000 + total, rel=1e-12)
    assert result.markets["pnl_share"].sum() == pytest.approx(1.0)
    # equal-weight buy and hold: a third of the capital in each market from its first close
    want = sum(1000 * c["close"].iloc[-1] / c["close"].iloc[0] for c in markets.values())
    assert result.benchmark.iloc[-1] == pytest.approx(want, rel=1e-12)
    assert result.stats["benchmark_return"] == pytest.approx(want / 3000 - 1, rel=1e-12)


def test_the_shared_account_is_ruined_for_every_market_at_once(markets: dict[str, pd.DataFrame]) -> None:
    # leverage 20 on 150 of capital: a few stop losses in any market drain the one account
    raw = BacktestConfig.from_yaml(EXAMPLE).model_dump()
    raw["account"] = {"initial_capital": 150, "maintenance_margin": 0.05}
    raw["executor"].update(leverage=20)
    cfg = BacktestConfig.model_validate(raw)
    result = run_portfolio(cfg, markets)
    s = result.stats
    assert s["ruined"]
    at = s["ruined_at"]
    ex = result.executors
    assert (ex["open_time"] < at).all()
    assert (ex["close_time"] <= at).all()
    assert set(ex.loc[ex["close_type"] == "liquidation", "symbol"]) == set(ex.loc[ex["close_time"] == at, "symbol"])
    assert (result.equity.loc[at:] == result.equity.loc[at]).all()
    assert s["total_return"] == pytest.approx(result.equity.iloc[-1] / 150 - 1)
    assert len(set(ex["symbol"])) > 1


def test_configs_say_what_is_wrong() -> None:
    raw = BacktestConfig.from_yaml(EXAMPLE).model_dump()
    with pytest.raises(ValidationError, match=r"either symbol .* or symbols"):
        BacktestConfig.model_validate({**raw, "symbol": "BTC-USDT"})
    with pytest.raises(ValidationError, match="each market once"):
        BacktestConfig.model_validate({**raw, "symbols": ["BTC-USDT", "BTC-USDT"]})
    # three markets of 1,000 each need 3,000 at leverage 1
    raw["account"]["initial_capital"] = 2000
    with pytest.raises(ValidationError, match=r"total_amount_quote: 3 x 1,000.00 needs a margin of 3,000.00"):
        BacktestConfig.model_validate(raw)
    raw["executor"]["leverage"] = 2
    assert BacktestConfig.model_validate(raw).initial_capital == 2000
    del raw["account"]["initial_capital"]
    assert BacktestConfig.model_validate(raw).initial_capital == 3000


def test_cli_backtest_of_a_portfolio_prints_both_tables_and_writes_the_report(
    tmp_path: Path, markets: dict[str, pd.DataFrame]
) -> None:
    from uptrade.data.store import open_store

    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = open_store(url)
    for symbol, candles in markets.items():
        store.write_ohlcv(candles, symbol, "1h")
    store.close()
    report = tmp_path / "portfolio.html"
    args = ["--db", url, "backtest", "-c", str(EXAMPLE), "--start", "2024-01-01", "--end", "2024-12-31"]
    res = runner.invoke(app, [*args, "--report", str(report)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "portfolio backtest BTC-USDT, ETH-USDT, SOL-USDT 1h" in res.output
    assert "by market" in res.output
    for symbol in markets:
        assert symbol in res.output
    text = report.read_text(encoding="utf-8")
    assert "By market" in text
    assert "realised PnL by market" in text
    csv = pd.read_csv(report.with_name("portfolio.executors.csv"))
    assert set(csv["symbol"]) == set(markets)
    one = runner.invoke(app, [*args, "-s", "ETH-USDT"], env={"COLUMNS": "200"})
    assert one.exit_code == 0, one.output
    assert "backtest ETH-USDT 1h" in one.output
    bad = runner.invoke(app, [*args, "--mode", "vectorbt"], env={"COLUMNS": "200"})
    assert bad.exit_code == 1
    assert "a portfolio (symbols: [...]) runs with --mode hummingbot" in bad.output
    search = ["--db", url, "optimize", "-c", str(EXAMPLE), "-g", "stop_loss=0.02,0.03"]
    opt = runner.invoke(app, search)
    assert opt.exit_code == 0, opt.output
    assert "2 points over stop_loss" in flat(opt.output)
    assert "one shared account per point" in flat(opt.output)
    wf = runner.invoke(
        app,
        [
            "--db",
            url,
            "optimize",
            "-c",
            str(EXAMPLE),
            "-g",
            "stop_loss=0.02,0.03",
            "--walk-forward",
            "train=90d,test=30d",
        ],
    )
    assert wf.exit_code == 1
    assert wf.output.startswith("error: --walk-forward: a portfolio is searched on its whole period")
    assert np.isfinite(csv["net_pnl_quote"]).all()


def test_a_portfolio_search_ranks_each_point_as_its_own_portfolio_backtest(markets: dict[str, pd.DataFrame]) -> None:
    raw = BacktestConfig.from_yaml(EXAMPLE).model_dump()
    raw["account"] = {"initial_capital": 300, "maintenance_margin": 0.05}
    raw["executor"]["leverage"] = 10
    cfg = BacktestConfig.model_validate(raw)
    space = ParamSpace.parse(["stop_loss=0.01,0.03,none", "take_profit=0.02,0.06"], cfg)
    result = optimize(cfg, markets, space, objective="sharpe", min_trades=5)
    table = result.table
    assert len(table) == 6
    for point in table.index:
        stats = run_portfolio(space.apply(result.points[point]), markets).stats
        row = table.loc[point]
        assert bool(row["ruined"]) == stats["ruined"]
        for key in ("executors", "net_pnl_quote", "total_return", "sharpe", "max_drawdown_pct", "exposure"):
            assert row[key] == stats[key] or (np.isnan(row[key]) and np.isnan(stats[key])), key
    ordered = table.sort_values("rank")
    eligible = ordered["eligible"].to_numpy()
    assert not (~eligible[:-1] & eligible[1:]).any()
    assert table["ruined"].any()  # 10x leverage on 300: some barriers ruin the shared account
    with pytest.raises(ConfigError, match="walk_forward: a portfolio is searched on its whole period"):
        optimize(cfg, markets, space, walk_forward=WalkForward.parse("train=90d,test=30d"))
