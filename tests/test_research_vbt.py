"""vectorbt research mode on hand-computed scenarios, and the statistics against NumPy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uptrade.research.stats import SECONDS_PER_YEAR, equity_stats, trade_stats
from uptrade.research.vbt_mode import run_vectorbt
from uptrade.signals import SignalError, compute_signal

IDX = pd.date_range("2024-01-01", periods=8, freq="1h", tz="UTC")
CLOSE = pd.Series([100, 101, 102, 99, 98, 103, 104, 105.0], index=IDX)
CANDLES = pd.DataFrame(
    {"open": CLOSE.shift(1).fillna(100.0), "high": CLOSE + 0.5, "low": CLOSE - 0.5, "close": CLOSE, "volume": 1.0}
)
SIGNAL = pd.Series([1, 0, 0, 0, 0, -1, 0, 0], index=IDX)


def test_signal_reversal_with_fees_by_hand() -> None:
    r = run_vectorbt(CANDLES, SIGNAL, amount_quote=100.0, fees=0.0006)
    first, second = r.trades.iloc[0], r.trades.iloc[1]
    # long 1 unit at 100, reversed at 103: 3 - fees on 100 + 103
    assert first["side"] == "BUY"
    assert first["close_type"] == "signal"
    assert first["net_pnl_quote"] == pytest.approx(3.0 - 0.0006 * 203.0, rel=1e-12)
    assert first["close_time"] == IDX[5]
    # the short opened at 103 is still open at the end
    assert second["side"] == "SELL"
    assert second["close_type"] == "open"
    assert pd.isna(second["close_time"])
    assert r.stats["executors"] == 2
    assert r.stats["by_close_type"] == {"signal": 1, "open": 1}
    assert r.stats["exposure"] == 1.0


def test_stop_loss_and_slippage_by_hand() -> None:
    r = run_vectorbt(CANDLES, SIGNAL, amount_quote=100.0, fees=0.0006, stop_loss=0.015, take_profit=0.03)
    long, short = r.trades.iloc[0], r.trades.iloc[1]
    # long: bar 3's low (98.5) reaches 100 * (1 - 1.5%): filled at the level
    assert long["close_type"] == "stop_loss"
    assert long["close_price"] == pytest.approx(98.5, rel=1e-12)
    assert long["net_pnl_quote"] == pytest.approx(-1.5 - 0.0006 * 198.5, rel=1e-12)
    # short at 103: bar 7's high (105.5) passes 103 * 1.015 = 104.545
    assert short["close_type"] == "stop_loss"
    assert short["close_price"] == pytest.approx(104.545, rel=1e-12)
    assert r.stats["exposure"] == pytest.approx(7 / 8)
    slipped = run_vectorbt(CANDLES, SIGNAL, amount_quote=100.0, fees=0.0, slippage=0.001, stop_loss=0.015)
    assert slipped.trades.iloc[0]["entry_price"] == pytest.approx(100.1, rel=1e-12)


def test_take_profit_by_hand() -> None:
    sig = pd.Series([1, 0, 0, 0, 0, 0, 0, 0], index=IDX)
    r = run_vectorbt(CANDLES, sig, amount_quote=100.0, fees=0.0, take_profit=0.03)
    t = r.trades.iloc[0]
    # 100 * 1.03 = 103 is reached by bar 5's high (103.5)
    assert t["close_type"] == "take_profit"
    assert t["close_price"] == pytest.approx(103.0, rel=1e-12)
    assert t["close_time"] == IDX[5]


def test_inputs_are_checked() -> None:
    with pytest.raises(SignalError, match="bar 1 holds 2"):
        run_vectorbt(CANDLES, [1, 2, 0, 0, 0, 0, 0, 0])
    with pytest.raises(SignalError, match="length 3"):
        run_vectorbt(CANDLES, [1, 0, 0])
    with pytest.raises(ValueError, match="stop_loss"):
        run_vectorbt(CANDLES, SIGNAL, stop_loss=2.0)
    with pytest.raises(ValueError, match="trailing_stop"):
        run_vectorbt(CANDLES, SIGNAL, trailing_stop=True)
    with pytest.raises(ValueError, match="amount_quote"):
        run_vectorbt(CANDLES, SIGNAL, amount_quote=5000.0, init_cash=1000.0)
    with pytest.raises(ValueError, match="close"):
        run_vectorbt(CANDLES.drop(columns="close"), SIGNAL)


def test_real_candles_trades_add_up(btc_1h: pd.DataFrame) -> None:
    candles = btc_1h.iloc[-3000:]
    sig = compute_signal(candles, "sniper:minor")
    r = run_vectorbt(candles, sig, amount_quote=500.0, init_cash=1000.0, stop_loss=0.02, take_profit=0.04)
    closed = r.trades[r.trades["close_type"] != "open"]
    assert len(closed) > 20
    # equity: the cash start plus every trade's PnL (open ones marked at the last close)
    assert r.equity.iloc[-1] == pytest.approx(1000.0 + r.trades["net_pnl_quote"].sum(), rel=1e-9)
    assert r.stats["net_pnl_quote"] == pytest.approx(r.trades["net_pnl_quote"].sum(), rel=1e-12)
    assert set(r.trades["close_type"]) <= {"signal", "stop_loss", "take_profit", "open"}
    tp = r.trades[r.trades["close_type"] == "take_profit"]
    assert np.all(tp["net_pnl_quote"] > 0)


def test_statistics_against_numpy() -> None:
    rng = np.random.default_rng(3)
    values = 1000.0 * np.cumprod(1.0 + rng.normal(0.0005, 0.01, 500))
    eq = pd.Series(values)
    got = equity_stats(eq, 3600)
    rets = values[1:] / values[:-1] - 1.0
    scale = np.sqrt(SECONDS_PER_YEAR / 3600)
    assert got["sharpe"] == pytest.approx(rets.mean() / rets.std(ddof=1) * scale, rel=1e-12)
    assert got["sortino"] == pytest.approx(rets.mean() / np.sqrt(np.mean(np.minimum(rets, 0) ** 2)) * scale, rel=1e-12)
    worst = max((values[:i].max() - values[i]) / values[:i].max() for i in range(1, len(values)))
    assert got["max_drawdown_pct"] == pytest.approx(max(worst, 0.0), rel=1e-12)
    ex = pd.DataFrame(
        {"net_pnl_quote": [5.0, -2.0, 3.0, -1.0, 0.0], "fees_quote": 0.1, "close_type": ["a", "b", "a", "a", "b"]}
    )
    t = trade_stats(ex)
    assert t["win_rate"] == pytest.approx(2 / 5)
    assert t["profit_factor"] == pytest.approx(8 / 3)
    assert t["by_close_type"] == {"a": 3, "b": 2}
    assert trade_stats(ex.iloc[:1])["profit_factor"] == float("inf")


def test_html_report_holds_the_figure_stats_and_trades(tmp_path, btc_1h: pd.DataFrame) -> None:
    from uptrade.research.report import write_report

    candles = btc_1h.iloc[-800:]
    r = run_vectorbt(candles, compute_signal(candles, "sniper:minor"), stop_loss=0.02, take_profit=0.04)
    out = write_report(tmp_path / "r" / "report.html", candles, r.trades, r.equity, r.stats, "BTC test")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "<title>BTC test</title>" in text
    assert "plotly" in text.lower()
    assert '"name":"equity"' in text
    assert '"name":"drawdown"' in text
    assert f"<h2>Executors ({len(r.trades)})</h2>" in text
    assert text.count("<tr>") >= len(r.trades) + len(r.stats)
    assert "net_pnl_quote" in text
    assert not (tmp_path / "r" / "report.html.tmp").exists()
