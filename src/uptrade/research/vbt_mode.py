"""Research mode on vectorbt: ``Portfolio.from_signals`` driven by an int8 signal.

``run_vectorbt(candles, signal, ...)`` opens a long on ``1`` and a short on ``-1`` at the close
of the signal's bar (an opposite signal reverses the position), with fees and slippage on both
sides, and optional stop loss, take profit and trailing stop evaluated against each bar's
high and low. It is the fast, approximate mode for exploring ideas: one position at a time per
column, a trailing stop that trails from the entry by ``stop_loss`` (vectorbt's ``sl_trail``),
and no time limit. The Hummingbot-faithful engine (many executors, activation price, cooldown,
time limit) is the other mode; both take the same signal arrays.

The result carries vectorbt's ``Portfolio`` (for its own ``stats()`` and ``plot()``), a trades
table in the executors' column names, the equity curve and :func:`uptrade.research.stats.summarize`.
Close types are read from the exit: ``signal`` for an exit at the close of an opposite signal's
bar, ``take_profit`` at the take-profit level (vectorbt sets stop levels from the entry bar's
close and fills them without slippage), otherwise the stop (``stop_loss`` or ``trailing_stop``);
``open`` for a position still open at the end.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from uptrade.data.frames import infer_timeframe
from uptrade.data.timeframes import parse_timeframe
from uptrade.errors import DataFormatError, ParameterError, SignalError
from uptrade.research.stats import buy_and_hold, summarize
from uptrade.signals.conventions import as_signal

TRADE_COLUMNS = (
    "open_time",
    "close_time",
    "side",
    "entry_price",
    "close_price",
    "amount_quote",
    "net_pnl_quote",
    "net_pnl_pct",
    "fees_quote",
    "close_type",
)


class ResearchResult(NamedTuple):
    """vectorbt's portfolio, the trades in executor columns, the equity curve and the statistics."""

    portfolio: Any
    trades: pd.DataFrame
    equity: pd.Series
    stats: dict[str, Any]


def _fraction(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    v = float(value)
    if not (np.isfinite(v) and 0.0 < v < 1.0):
        raise ParameterError(f"{name}: must be a fraction in (0, 1), e.g. 0.02 for 2%, got {value!r}")
    return v


def run_vectorbt(
    candles: pd.DataFrame,
    signal: Any,
    *,
    amount_quote: float = 100.0,
    init_cash: float = 1000.0,
    fees: float = 0.0006,
    slippage: float = 0.0,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_stop: bool = False,
    timeframe: str | None = None,
) -> ResearchResult:
    """Backtest ``signal`` (int8, one per candle) on ``candles`` with vectorbt (see the module docstring)."""
    import vectorbt as vbt

    missing = [c for c in ("open", "high", "low", "close") if c not in candles.columns]
    if missing:
        raise DataFormatError(f"candles: missing column(s) {', '.join(missing)}")
    sig = as_signal(signal, "signal", len(candles))
    if isinstance(signal, pd.Series) and not signal.index.equals(candles.index):
        raise SignalError("signal: its index differs from the candles'")
    for name, value in (("amount_quote", amount_quote), ("init_cash", init_cash)):
        if not (np.isfinite(value) and value > 0):
            raise ParameterError(f"{name}: must be a positive number, got {value!r}")
    if amount_quote > init_cash:
        raise ParameterError(f"amount_quote: {amount_quote} is more than init_cash {init_cash}")
    for name, value in (("fees", fees), ("slippage", slippage)):
        if not (np.isfinite(value) and 0.0 <= value < 0.1):
            raise ParameterError(f"{name}: must be a fraction in [0, 0.1), got {value!r}")
    sl = _fraction("stop_loss", stop_loss)
    tp = _fraction("take_profit", take_profit)
    if trailing_stop and sl is None:
        raise ParameterError("trailing_stop: needs stop_loss (the trailing distance)")
    tf = parse_timeframe(timeframe or infer_timeframe(candles.index))
    close = candles["close"].astype(np.float64)
    kw: dict[str, Any] = {}
    if sl is not None:
        kw.update(sl_stop=sl, sl_trail=bool(trailing_stop))
    if tp is not None:
        kw["tp_stop"] = tp
    pf = vbt.Portfolio.from_signals(
        close,
        entries=pd.Series(sig == 1, index=candles.index),
        short_entries=pd.Series(sig == -1, index=candles.index),
        open=candles["open"].astype(np.float64),
        high=candles["high"].astype(np.float64),
        low=candles["low"].astype(np.float64),
        size=float(amount_quote),
        size_type="value",
        fees=float(fees),
        slippage=float(slippage),
        init_cash=float(init_cash),
        freq=pd.Timedelta(seconds=tf.seconds),
        **kw,
    )
    trades = _trades(pf.trades.records_readable, close, sig, sl, tp, bool(trailing_stop), float(slippage))
    equity = pf.value()
    open_bars = np.zeros(len(candles), dtype=bool)
    pos = candles.index.get_indexer
    for o, c in zip(trades["open_time"], trades["close_time"], strict=True):
        lo = pos([o])[0]
        hi = len(candles) - 1 if pd.isna(c) else pos([c])[0]
        open_bars[lo : hi + 1] = True
    # vectorbt keeps no margin account: where its equity reaches 0 the account is ruined, as in
    # the Hummingbot-faithful engine, and stays written off (floored at 0) from there
    broke = np.flatnonzero(equity.to_numpy() <= 0.0)
    ruined_at, shortfall = None, 0.0
    if broke.size:
        at = int(broke[0])
        shortfall = float(max(-equity.iloc[at], 0.0))
        ruined_at = equity.index[at]
        equity = equity.copy()
        equity.iloc[at:] = max(float(equity.iloc[at]), 0.0)
    benchmark = buy_and_hold(close, float(init_cash))
    stats = summarize(
        trades,
        equity,
        float(open_bars.mean()),
        float(init_cash),
        tf.seconds,
        ruined_at=ruined_at,
        shortfall=shortfall,
        benchmark=benchmark,
    )
    return ResearchResult(pf, trades, equity, stats)


def _trades(
    records: pd.DataFrame,
    close: pd.Series,
    sig: np.ndarray,
    sl: float | None,
    tp: float | None,
    trail: bool,
    slippage: float,
) -> pd.DataFrame:
    rows = []
    sig_at = pd.Series(sig, index=close.index)
    for _, r in records.iterrows():
        side = 1 if r["Direction"] == "Long" else -1
        entry, exit_ = float(r["Avg Entry Price"]), float(r["Avg Exit Price"])
        amount = float(r["Size"]) * entry
        # vectorbt sets stop levels from the entry bar's close and fills them without slippage;
        # an exit on an opposite signal fills at the close moved against the position by the slippage
        base = float(close[r["Entry Timestamp"]])
        if r["Status"] != "Closed":
            kind = "open"
        elif sig_at.get(r["Exit Timestamp"], 0) == -side and np.isclose(
            exit_, float(close[r["Exit Timestamp"]]) * (1 - side * slippage), rtol=1e-9, atol=0
        ):
            kind = "signal"
        elif tp is not None and np.isclose(exit_, base * (1 + side * tp), rtol=1e-9, atol=0):
            kind = "take_profit"
        else:
            kind = "trailing_stop" if trail else "stop_loss"
        rows.append(
            (
                r["Entry Timestamp"],
                r["Exit Timestamp"] if r["Status"] == "Closed" else pd.NaT,
                "BUY" if side == 1 else "SELL",
                entry,
                exit_,
                amount,
                float(r["PnL"]),
                float(r["Return"]),
                float(r["Entry Fees"] + r["Exit Fees"]),
                kind,
            )
        )
    return pd.DataFrame(rows, columns=list(TRADE_COLUMNS))
