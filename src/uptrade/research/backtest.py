"""Backtest that reproduces Hummingbot V2's directional trading backtest (``BacktestingEngineBase``
with a directional controller and its position-executor simulator, hummingbot 20260922).

The rules, as Hummingbot implements them (read from its source; ``docs/hummingbot-backtest.md``
gives file and line references):

- **Entry.** A non-zero signal on bar ``t`` opens one executor at bar ``t``'s close (at most one
  per bar). Amount: ``total_amount_quote / close / max_executors_per_side``; leverage and
  position mode do not change the simulation, and nothing is quantised.
- **Who may open.** Only executors still active at bar ``t`` count (opened on an earlier bar, not
  closed by this one). A long needs fewer than ``max_executors_per_side`` active longs; a short
  needs fewer than that many active executors *of either side* (Hummingbot's selection lambda
  reads ``is_active and (side == BUY if signal > 0 else SELL)``, and ``SELL`` is truthy). The
  cooldown passes when ``time - creation time of the newest counted executor > cooldown_time``
  (strict, seconds; nothing counted means it passes). An opposite signal closes nothing. A new
  executor may open on the bar where the previous one closed.
- **Barriers**, checked from the entry bar on, in this order on each bar (the first bar where
  any fires closes the executor):
  1. take profit: ``side * (close/entry - 1) - 2 * trade_cost > take_profit`` (closes, fees in);
  2. stop loss: the bar's low (long) or high (short) reaches ``entry * (1 -+ stop_loss)``
     (no fees; the entry bar itself counts);
  3. trailing stop: armed from the first bar whose net PnL exceeds ``activation_price``; fires
     on an armed bar whose net PnL is below the running peak of ``net PnL - trailing_delta``;
  4. time limit: the last bar with ``open time <= creation + time_limit``, or the last bar of
     the data (an executor still open there closes as a time limit).
- **Exit price** is the close of the closing bar for every close type (a stop loss books the
  bar's close, not the level). **PnL** = ``notional * (side * (close/entry - 1) - 2 * trade_cost)``:
  fees are ``2 * trade_cost`` of the entry notional.
- **Account** (ours: Hummingbot's engine keeps none): the executors trade in an account of
  ``initial_capital``, marked every bar; when its equity is <= 0 or below the maintenance
  margin, it is liquidated at that bar (:func:`~uptrade.research.engine_nb.account_nb`): the
  open executors close there (``liquidation``), none opens after, and the run is ruined. A run
  that is never ruined has exactly Hummingbot's executors.
- **Summary** (``hummingbot_summary``): Hummingbot's own figures: net PnL, accuracy, profit
  factor (1 without losses), close types, and drawdown and "Sharpe" of the cumulative realised
  PnL level per bar (not annualised). ``stats`` gives ours (:mod:`uptrade.research.stats`) on
  the marked-to-market equity curve.

Signals must be on the candles' own bars (Hummingbot joins coarser signals backwards in time,
which looks ahead; we refuse that by construction). Bars with a NaN price are dropped, as
Hummingbot drops them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from uptrade.data.frames import infer_timeframe
from uptrade.data.timeframes import parse_timeframe
from uptrade.data.times import epoch_seconds
from uptrade.errors import DataFormatError, SignalError
from uptrade.research.config import AccountConfig, ExecutorConfig
from uptrade.research.engine_nb import (
    LIQUIDATION,
    STOP_LOSS,
    TAKE_PROFIT,
    TIME_LIMIT,
    TRAILING_STOP,
    X_INITIAL_CAPITAL,
    trade_account_nb,
)
from uptrade.research.stats import buy_and_hold, monthly_returns, summarize
from uptrade.research.vbt_mode import TRADE_COLUMNS
from uptrade.signals.conventions import as_signal

CLOSE_TYPES = {
    TIME_LIMIT: "time_limit",
    STOP_LOSS: "stop_loss",
    TAKE_PROFIT: "take_profit",
    TRAILING_STOP: "trailing_stop",
    LIQUIDATION: "liquidation",
}


class BacktestResult(NamedTuple):
    """Executors (one row each), the equity curve, our statistics, Hummingbot's summary, the
    buy-and-hold benchmark on the same bars and the monthly returns (years x months)."""

    executors: pd.DataFrame
    equity: pd.Series
    stats: dict[str, Any]
    hummingbot_summary: dict[str, Any]
    benchmark: pd.Series
    monthly: pd.DataFrame


class EngineBars(NamedTuple):
    """The engine's inputs from a candle frame: which bars it keeps, their times and prices."""

    index: pd.DatetimeIndex
    keep: np.ndarray  # bars with high, low and close (Hummingbot drops the others)
    ts: np.ndarray  # open times, epoch seconds
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


def engine_bars(candles: pd.DataFrame) -> EngineBars:
    """Contiguous float64 arrays of the bars the engine keeps; ``ValueError`` names missing columns."""
    missing = [c for c in ("high", "low", "close") if c not in candles.columns]
    if missing:
        raise DataFormatError(f"candles: missing column(s) {', '.join(missing)}")
    keep = candles[["high", "low", "close"]].notna().all(axis=1).to_numpy()
    bars = candles.loc[keep]
    ts = epoch_seconds(bars.index).astype(np.float64)
    high, low, close = (np.ascontiguousarray(bars[c].to_numpy(np.float64)) for c in ("high", "low", "close"))
    return EngineBars(bars.index, keep, ts, high, low, close)


def executors_frame(
    index: pd.DatetimeIndex,
    entry: np.ndarray,
    exit_price: np.ndarray,
    o_bar: np.ndarray,
    c_bar: np.ndarray,
    side: np.ndarray,
    kind: np.ndarray,
    frac: np.ndarray,
    notional: np.ndarray,
    ex: ExecutorConfig,
) -> pd.DataFrame:
    """The executors table (:data:`TRADE_COLUMNS`) of the kernels' arrays; bars are positions in ``index``."""
    return pd.DataFrame(
        {
            "open_time": index[o_bar],
            "close_time": index[c_bar],
            "side": np.where(side == 1, "BUY", "SELL"),
            "entry_price": entry,
            "close_price": exit_price,
            "amount_quote": notional,
            "net_pnl_quote": frac * notional,
            "net_pnl_pct": frac,
            "fees_quote": 2.0 * ex.trade_cost * notional,
            "close_type": [CLOSE_TYPES[int(k)] for k in kind],
        },
        columns=list(TRADE_COLUMNS),
    )


def run_backtest(
    candles: pd.DataFrame,
    signal: Any,
    executor: ExecutorConfig | None = None,
    timeframe: str | None = None,
    account: AccountConfig | None = None,
) -> BacktestResult:
    """Backtest ``signal`` (int8, one per candle) by Hummingbot's rules in ``account`` (module docstring)."""
    ex = executor or ExecutorConfig()
    b = engine_bars(candles)
    sig = as_signal(signal, "signal", len(candles))
    if isinstance(signal, pd.Series) and not signal.index.equals(candles.index):
        raise SignalError("signal: its index differs from the candles'")
    tf = parse_timeframe(timeframe or infer_timeframe(candles.index))
    sig = sig[b.keep]
    close = b.close
    x = ex.kernel_row(account)
    o_bar, side, c_bar, kind, frac, notional, value, ruin, shortfall, exposure = trade_account_nb(
        b.ts, b.high, b.low, close, close.reshape(-1, 1), sig, x
    )
    index = b.index
    executors = executors_frame(index, close[o_bar], close[c_bar], o_bar, c_bar, side, kind, frac, notional, ex)
    capital = float(x[X_INITIAL_CAPITAL])
    equity = pd.Series(value, index=index, name="equity")
    benchmark = buy_and_hold(pd.Series(close, index=index), capital)
    stats = summarize(
        executors,
        equity,
        exposure,
        capital,
        tf.seconds,
        ruined_at=index[ruin] if ruin >= 0 else None,
        shortfall=shortfall,
        benchmark=benchmark,
    )
    summary = _hummingbot_summary(executors, o_bar, c_bar, len(index), ex)
    return BacktestResult(executors, equity, stats, summary, benchmark, monthly_returns(equity))


def _hummingbot_summary(
    executors: pd.DataFrame, o_bar: np.ndarray, c_bar: np.ndarray, n: int, ex: ExecutorConfig
) -> dict[str, Any]:
    """The figures of Hummingbot's ``summarize_results`` for a directional backtest."""
    pnl = executors["net_pnl_quote"].to_numpy()
    sides = executors["side"].to_numpy()
    with_pos = pnl != 0
    wins = pnl > 0
    losses = pnl < 0
    gross_loss = -pnl[losses].sum()
    # realised PnL per bar as Hummingbot's engine detects closes: at the closing bar, but an
    # executor is created after that bar's update, so one closing on its own entry bar is seen
    # on the next bar, and one opened on the last bar never reaches the PnL timeseries
    level = np.zeros(n)
    seen = np.maximum(c_bar, o_bar + 1)
    inside = seen <= n - 1
    np.add.at(level, seen[inside], pnl[inside])
    level = np.cumsum(level)
    total = float(ex.total_amount_quote)
    drawdown = float((level - np.maximum.accumulate(np.concatenate([[0.0], level]))[1:]).min()) if n else 0.0
    r = level / total
    sd = r.std(ddof=1) if n > 1 else 0.0
    longs = sides == "BUY"
    shorts = ~longs
    return {
        "net_pnl_quote": float(pnl.sum()),
        "net_pnl": float(pnl.sum()) / total,
        "total_executors": len(executors),
        "total_executors_with_position": int(with_pos.sum()),
        "total_volume": float(2.0 * executors["amount_quote"].to_numpy()[with_pos].sum()),
        "total_long": int((longs & with_pos).sum()),
        "total_short": int((shorts & with_pos).sum()),
        "close_types": {k.upper(): int(v) for k, v in executors["close_type"].value_counts().items()},
        "accuracy": float(wins.sum() / with_pos.sum()) if with_pos.any() else 0.0,
        "accuracy_long": float((wins & longs).sum() / (longs & with_pos).sum()) if (longs & with_pos).any() else 0.0,
        "accuracy_short": float((wins & shorts).sum() / (shorts & with_pos).sum())
        if (shorts & with_pos).any()
        else 0.0,
        "profit_factor": float(pnl[wins].sum() / gross_loss) if gross_loss > 0 else 1.0,
        "max_drawdown_usd": drawdown,
        "max_drawdown_pct": drawdown / total,
        "sharpe_ratio": float(r.mean() / sd) if sd > 0 else 0.0,
        "total_fees_quote": float(executors["fees_quote"].sum()),
    }
