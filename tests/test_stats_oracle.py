"""The backtest statistics against empyrical (an independent, well-kept library) on the same equity
curves, to 1e-9, on real candles: a run that survives, a ruined one (the ETH case of the research
issue), and the many-configuration sweep, which must give the single backtest's figures.

The returns handed to empyrical are computed here with pandas from the equity curve (0 after a
value of 0: a written-off account earns nothing), not taken from our code.
"""

from __future__ import annotations

from pathlib import Path

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from uptrade.research.config import BacktestConfig
from uptrade.research.optimize import optimize
from uptrade.research.run import run_hummingbot
from uptrade.research.space import ParamSpace
from uptrade.research.stats import SECONDS_PER_YEAR

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sniper_btc_1h.yml"
REL = 1e-9
BARS_PER_YEAR = SECONDS_PER_YEAR / 3600


def returns_of(equity: pd.Series) -> pd.Series:
    prev = equity.shift(1)
    r = (equity / prev - 1.0).where(prev != 0, 0.0)
    return r.iloc[1:]


def drawdown_bars(values: np.ndarray) -> int:
    """Longest stretch from a peak to the first bar back at it: with pandas, by the bar of the last peak."""
    s = pd.Series(values)
    at_peak = s >= s.cummax()
    last_peak = pd.Series(np.where(at_peak, np.arange(len(s)), np.nan)).ffill()
    return int((np.arange(len(s)) - last_peak).max())


def check_against_empyrical(stats: dict, equity: pd.Series, benchmark: pd.Series) -> None:
    r = returns_of(equity)
    want = {
        "total_return": ep.cum_returns_final(r),
        "cagr": ep.annual_return(r, annualization=BARS_PER_YEAR),
        "volatility": ep.annual_volatility(r, annualization=BARS_PER_YEAR),
        "sharpe": ep.sharpe_ratio(r, annualization=BARS_PER_YEAR),
        "sortino": ep.sortino_ratio(r, annualization=BARS_PER_YEAR),
        "max_drawdown_pct": -ep.max_drawdown(r),
        "calmar": ep.calmar_ratio(r, annualization=BARS_PER_YEAR),
    }
    for key, value in want.items():
        assert stats[key] == pytest.approx(value, rel=REL, abs=1e-12), key
    peak = equity.cummax()
    assert stats["max_drawdown_quote"] == pytest.approx(float((peak - equity).max()), rel=REL)
    assert stats["max_drawdown_duration"] == pd.Timedelta(hours=drawdown_bars(equity.to_numpy()))
    b = returns_of(benchmark)
    assert stats["benchmark_return"] == pytest.approx(ep.cum_returns_final(b), rel=REL)
    assert stats["benchmark_sharpe"] == pytest.approx(ep.sharpe_ratio(b, annualization=BARS_PER_YEAR), rel=REL)
    assert stats["benchmark_max_drawdown_pct"] == pytest.approx(-ep.max_drawdown(b), rel=REL)


def check_trades(stats: dict, executors: pd.DataFrame) -> None:
    pnl = executors["net_pnl_quote"]
    assert stats["executors"] == len(executors)
    assert stats["win_rate"] == pytest.approx((pnl > 0).mean(), rel=REL)
    assert stats["profit_factor"] == pytest.approx(pnl[pnl > 0].sum() / -pnl[pnl < 0].sum(), rel=REL)
    assert stats["expectancy_quote"] == pytest.approx(pnl.mean(), rel=REL)
    held = (executors["close_time"] - executors["open_time"]).mean()
    assert stats["avg_trade_duration"] == held


def test_statistics_equal_empyrical_on_a_surviving_run(btc_1h: pd.DataFrame) -> None:
    cfg = BacktestConfig.from_yaml(EXAMPLE)
    candles = btc_1h.loc[cfg.start : cfg.end]
    result, _ = run_hummingbot(cfg, candles)
    assert not result.stats["ruined"]
    assert result.stats["executors"] > 100
    check_against_empyrical(result.stats, result.equity, result.benchmark)
    check_trades(result.stats, result.executors)
    # the account's last value is the capital plus every executor's net PnL
    assert result.equity.iloc[-1] == pytest.approx(1000 + result.executors["net_pnl_quote"].sum(), rel=REL)
    # monthly returns: empyrical compounds each calendar month's returns
    monthly = ep.aggregate_returns(returns_of(result.equity), "monthly")
    got = result.monthly.stack()
    assert len(got) == len(monthly)
    for (year, month), value in monthly.items():
        assert result.monthly.loc[year, month] == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_the_eth_case_is_ruined_with_a_loss_and_a_negative_sharpe(eth_1h: pd.DataFrame) -> None:
    cfg = BacktestConfig.from_yaml(EXAMPLE).with_overrides(symbol="ETH-USDT", start="2022-01-01")
    candles = eth_1h.loc[cfg.start : cfg.end]
    result, _ = run_hummingbot(cfg, candles)
    s = result.stats
    assert s["ruined"]
    at = s["ruined_at"]
    assert candles.index[0] < at < candles.index[-1]
    # liquidated: the equity is floored at 0 or above from there, and flat; nothing opens after
    assert (result.equity.loc[at:] == result.equity.loc[at]).all()
    assert (result.executors["open_time"] < at).all()
    assert (result.executors["close_time"] <= at).all()
    assert (result.executors["close_type"] == "liquidation").any()
    assert s["net_pnl_quote"] < -500
    assert s["total_return"] < -0.5
    assert s["sharpe"] < 0
    assert s["sortino"] < 0
    check_against_empyrical(s, result.equity, result.benchmark)
    check_trades(s, result.executors)
    # before the liquidation bar every mark kept the equity above the maintenance margin's floor
    assert (result.equity.loc[: at - pd.Timedelta(hours=1)] > 0).all()


def test_the_sweep_gives_the_single_backtest_figures_including_ruin(eth_1h: pd.DataFrame) -> None:
    cfg = BacktestConfig.from_yaml(EXAMPLE).with_overrides(symbol="ETH-USDT", start="2022-01-01")
    candles = eth_1h.loc[cfg.start : cfg.end]
    space = ParamSpace.parse(["stop_loss=0.02,0.03,none", "take_profit=0.04,0.06", "confirm_window=2,3"], cfg)
    result = optimize(cfg, candles, space, min_trades=10)
    table = result.table
    assert table["ruined"].any()
    assert not table["ruined"].all()
    for point in (int(table.index[table["ruined"]][0]), int(table.index[~table["ruined"]][0])):
        single, _ = run_hummingbot(space.apply(result.points[point]), candles)
        row = table.loc[point]
        assert bool(row["ruined"]) == single.stats["ruined"]
        for key in ("executors", "net_pnl_quote", "total_return", "cagr", "sharpe", "sortino", "max_drawdown_pct"):
            assert row[key] == single.stats[key] or (np.isnan(row[key]) and np.isnan(single.stats[key])), key


@pytest.mark.parametrize("objective", ["sharpe", "sortino", "calmar", "net_pnl"])
def test_no_ruined_or_thin_point_ranks_above_a_valid_one(eth_1h: pd.DataFrame, objective: str) -> None:
    cfg = BacktestConfig.from_yaml(EXAMPLE).with_overrides(symbol="ETH-USDT", start="2022-01-01")
    candles = eth_1h.loc[cfg.start : cfg.end]
    space = ParamSpace.parse(["stop_loss=0.02,0.03,none", "take_profit=0.04,0.06", "confirm_window=2,3"], cfg)
    result = optimize(cfg, candles, space, objective=objective, min_trades=10)
    table = result.table.sort_values("rank")
    eligible = table["eligible"].to_numpy()
    assert eligible.any()
    # every eligible point comes before every ineligible one
    assert not (~eligible[:-1] & eligible[1:]).any()
    best = table.iloc[0]
    assert not best["ruined"]
    assert best["executors"] >= 10
    assert result.best is not None
    # the grid: the best point made money or lost least among the valid points
    valid = table[table["eligible"]]
    assert best["net_pnl_quote"] > 0 or best["net_pnl_quote"] == valid["net_pnl_quote"].max()
