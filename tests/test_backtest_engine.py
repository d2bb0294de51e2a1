"""The Hummingbot-faithful engine against a plain pandas reading of Hummingbot's rules, and each rule
on a hand-built scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.refs import hb_ref
from uptrade.research.backtest import run_backtest
from uptrade.research.config import ExecutorConfig, TrailingStop
from uptrade.signals import compute_signal

CONFIGS = [
    {"max_executors_per_side": 1, "cooldown_time": 3600, "stop_loss": 0.02, "take_profit": 0.03, "time_limit": 86400},
    {"max_executors_per_side": 3, "cooldown_time": 7200, "stop_loss": 0.015, "take_profit": 0.01, "time_limit": 36000},
    {
        "max_executors_per_side": 2,
        "cooldown_time": 300,
        "stop_loss": 0.03,
        "take_profit": 0.05,
        "time_limit": None,
        "trailing_stop": TrailingStop(activation_price=0.01, trailing_delta=0.004),
    },
    {"max_executors_per_side": 2, "cooldown_time": 300, "stop_loss": None, "take_profit": 0.02, "time_limit": 18000},
]


def ref_cfg(ex: ExecutorConfig) -> dict:
    return {
        "total": ex.total_amount_quote,
        "max_per_side": ex.max_executors_per_side,
        "cooldown": ex.cooldown_time,
        "stop_loss": ex.stop_loss,
        "take_profit": ex.take_profit,
        "time_limit": ex.time_limit,
        "trailing": (ex.trailing_stop.activation_price, ex.trailing_stop.trailing_delta) if ex.trailing_stop else None,
        "trade_cost": ex.trade_cost,
    }


@pytest.mark.parametrize("k", range(len(CONFIGS)))
@pytest.mark.parametrize("source", ["sniper:minor", "vzo:minor", "random"])
def test_engine_equals_the_rules_reference(btc_1h: pd.DataFrame, k: int, source: str) -> None:
    candles = btc_1h.iloc[-2500:]
    if source == "random":
        rng = np.random.default_rng(k)
        sig = pd.Series(rng.choice([-1, 0, 1], len(candles), p=[0.05, 0.9, 0.05]).astype(np.int8), index=candles.index)
    else:
        sig = compute_signal(candles, source)
    ex = ExecutorConfig(total_amount_quote=1000, trade_cost=0.0006, **CONFIGS[k])
    got = run_backtest(candles, sig, ex).executors
    want = hb_ref.backtest(hb_ref.frame(candles), sig.to_numpy(), ref_cfg(ex))
    assert len(got) == len(want) > 5
    secs = lambda s: (s.as_unit("ns").asi8 // 1_000_000_000).astype(float)  # noqa: E731
    np.testing.assert_array_equal(secs(pd.DatetimeIndex(got["open_time"])), [e["open_ts"] for e in want])
    np.testing.assert_array_equal(secs(pd.DatetimeIndex(got["close_time"])), [e["close_ts"] for e in want])
    assert list(got["close_type"]) == [e["close_type"] for e in want]
    assert list(got["side"]) == ["BUY" if e["side"] == 1 else "SELL" for e in want]
    np.testing.assert_allclose(got["net_pnl_quote"], [e["pnl"] for e in want], rtol=1e-9, atol=1e-9)


IDX = pd.date_range("2024-01-01", periods=10, freq="1h", tz="UTC")


def scenario(close: list[float], low: list[float] | None = None, high: list[float] | None = None) -> pd.DataFrame:
    c = np.asarray(close, dtype=float)
    return pd.DataFrame(
        {"open": c, "high": c + 0.1 if high is None else high, "low": c - 0.1 if low is None else low, "close": c},
        index=IDX[: len(c)],
    )


def run(candles: pd.DataFrame, signal: list[int], **cfg: object):
    base = {"total_amount_quote": 100, "max_executors_per_side": 1, "cooldown_time": 1, "trade_cost": 0.001}
    base.update(cfg)
    return run_backtest(candles, pd.Series(signal, index=candles.index, dtype=np.int8), ExecutorConfig(**base))


def test_stop_loss_counts_the_entry_bar_and_books_the_close() -> None:
    c = scenario([100, 100, 100, 100], low=[97.0, 99.9, 99.9, 99.9])
    r = run(c, [1, 0, 0, 0], stop_loss=0.02, take_profit=0.05, time_limit=None)
    e = r.executors.iloc[0]
    assert e["close_type"] == "stop_loss"
    assert e["close_time"] == IDX[0]  # the entry bar's own low reached 98
    assert e["close_price"] == 100.0  # booked at the close, not at the level
    assert e["net_pnl_quote"] == pytest.approx(100 * (0 - 0.002))


def test_take_profit_is_close_based_with_fees_and_beats_a_stop_on_the_same_bar() -> None:
    c = scenario([100, 103, 103.1, 101], low=[99.9, 97.0, 97.0, 99.0])
    r = run(c, [1, 0, 0, 0], stop_loss=0.02, take_profit=0.029, time_limit=None)
    e = r.executors.iloc[0]
    # bar 1: 3% - 0.2% fees = 2.8% is not > 2.9%, and the low hits the stop: stop loss there
    assert (e["close_type"], e["close_time"]) == ("stop_loss", IDX[1])
    r = run(c, [1, 0, 0, 0], stop_loss=0.02, take_profit=0.027, time_limit=None)
    e = r.executors.iloc[0]
    assert (e["close_type"], e["close_time"]) == ("take_profit", IDX[1])  # both fire on bar 1: TP wins


def test_trailing_stop_arms_then_trails_the_peak() -> None:
    c = scenario([100, 101, 103, 102.9, 102.0, 101])
    trail = TrailingStop(activation_price=0.01, trailing_delta=0.005)
    r = run(c, [1, 0, 0, 0, 0, 0], stop_loss=None, take_profit=None, time_limit=None, trailing_stop=trail)
    e = r.executors.iloc[0]
    # net PnL: 0.8% (not armed), 2.8% (armed, peak 2.3%), 2.7%, 1.8% < 2.3%: fires on bar 4
    assert (e["close_type"], e["close_time"], e["close_price"]) == ("trailing_stop", IDX[4], 102.0)


def test_time_limit_and_end_of_data() -> None:
    c = scenario([100, 100.5, 101, 100.7, 100.2, 100.1])
    r = run(c, [1, 0, 0, 0, 0, 0], stop_loss=None, take_profit=None, time_limit=7200)
    e = r.executors.iloc[0]
    assert (e["close_type"], e["close_time"]) == ("time_limit", IDX[2])  # open time <= creation + 2 h
    r = run(c, [0, 0, 0, -1, 0, 0], stop_loss=None, take_profit=None, time_limit=None)
    e = r.executors.iloc[0]
    assert (e["close_type"], e["close_time"], e["side"]) == ("time_limit", IDX[5], "SELL")
    r = run(c, [0, 0, 0, 0, 0, 1], time_limit=7200)  # created on the last bar: one-bar executor
    e = r.executors.iloc[0]
    assert (e["close_time"], e["net_pnl_pct"]) == (IDX[5], pytest.approx(-0.002))
    assert r.hummingbot_summary["max_drawdown_usd"] == 0.0  # not in the PnL timeseries
    assert r.hummingbot_summary["net_pnl_quote"] == pytest.approx(-0.2)


def test_creation_rules_limits_cooldown_and_the_short_side_quirk() -> None:
    c = scenario([100.0] * 8)
    kw = {"stop_loss": None, "take_profit": None, "time_limit": 3 * 3600}
    # one long per side: the second long waits until the first is closed (bar 3), and opens on that bar
    r = run(c, [1, 1, 1, 1, 0, 0, 0, 0], **kw)
    assert list(r.executors["open_time"]) == [IDX[0], IDX[3]]
    # a short while a long is active: refused (shorts count every active executor)...
    r = run(c, [1, -1, 0, 0, 0, 0, 0, 0], **kw)
    assert list(r.executors["side"]) == ["BUY"]
    # ...but a long while a short is active is allowed, and the opposite signal closes nothing
    r = run(c, [-1, 1, 0, 0, 0, 0, 0, 0], **kw)
    assert list(r.executors["side"]) == ["SELL", "BUY"]
    assert list(r.executors["close_time"]) == [IDX[3], IDX[4]]
    # cooldown: strictly more than cooldown_time since the newest active executor's creation
    r = run(c, [1, 1, 1, 0, 0, 0, 0, 0], max_executors_per_side=3, cooldown_time=3600, **kw)
    assert list(r.executors["open_time"]) == [IDX[0], IDX[2]]


def test_summary_figures(btc_1h: pd.DataFrame) -> None:
    candles = btc_1h.iloc[-1500:]
    r = run_backtest(candles, compute_signal(candles, "sniper:minor"), ExecutorConfig(total_amount_quote=1000))
    s, ex = r.hummingbot_summary, r.executors
    assert s["net_pnl_quote"] == pytest.approx(ex["net_pnl_quote"].sum())
    assert s["total_executors"] == len(ex)
    assert sum(s["close_types"].values()) == len(ex)
    wins, losses = ex["net_pnl_quote"][ex["net_pnl_quote"] > 0], ex["net_pnl_quote"][ex["net_pnl_quote"] < 0]
    assert s["accuracy"] == pytest.approx(len(wins) / (len(wins) + len(losses)))
    assert s["profit_factor"] == pytest.approx(wins.sum() / -losses.sum())
    assert r.equity.iloc[-1] == pytest.approx(1000 + ex["net_pnl_quote"].sum())
    assert r.stats["net_pnl_quote"] == pytest.approx(s["net_pnl_quote"])
