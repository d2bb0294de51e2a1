"""A paper bot's executors and account in memory, advanced one closed bar at a time.

:class:`PaperBook` holds the arrays :func:`~uptrade.execution.paper_nb.paper_bar_nb` works on
(bars, executors, the account state; grown as needed) and turns them into what the rest of
UpTrade reads: executor rows for the store, the executors table and statistics of the backtest
(:func:`uptrade.research.backtest.executors_frame`, :func:`uptrade.research.stats.summarize`:
the same functions, so the same definitions), and the figures of a ``bot_performance`` row.
It knows nothing of the store or of time: the same bars give the same book, which is what a
restart relies on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptrade.data.times import index_from_epoch
from uptrade.execution.paper_nb import (
    A_ACC,
    A_BUSY,
    A_COUNT,
    A_EQUITY,
    A_RUIN,
    A_SHORTFALL,
    ACCOUNT_STATE,
    OPEN_BAR,
    paper_bar_nb,
)
from uptrade.research.backtest import CLOSE_TYPES, executors_frame
from uptrade.research.config import AccountConfig, ExecutorConfig
from uptrade.research.engine_nb import (
    X_INITIAL_CAPITAL,
    X_MAX_EXECUTORS_PER_SIDE,
    X_TOTAL_AMOUNT_QUOTE,
    X_TRADE_COST,
    net_frac_nb,
)
from uptrade.research.stats import buy_and_hold, summarize
from uptrade.research.stats_nb import EQUITY_METRICS, equity_metrics_nb, trade_metrics_nb

_SHARPE = EQUITY_METRICS.index("sharpe")
_DRAWDOWN = EQUITY_METRICS.index("max_drawdown_pct")
_INT_FIELDS = ("o_bar", "o_side", "c_bar", "c_type")
_FLOAT_FIELDS = ("frac", "notional", "peak")
_BAR_FIELDS = ("ts", "high", "low", "close", "equity")


class PaperBook:
    """Executors and account of one paper bot (module docstring); ``step`` advances it by one bar."""

    def __init__(self, executor: ExecutorConfig, account: AccountConfig, bar_seconds: int) -> None:
        self.executor = executor
        self.x = executor.kernel_row(account)
        self.bar_seconds = int(bar_seconds)
        self.capital = float(self.x[X_INITIAL_CAPITAL])
        self.n = 0  # bars so far
        self.start: int | None = None  # the first bar it could trade on (live: after the warm-up)
        self.bars: dict[str, np.ndarray] = {k: np.empty(1024) for k in _BAR_FIELDS}
        self.ex: dict[str, np.ndarray] = {k: np.empty(64, dtype=np.int64) for k in _INT_FIELDS}
        self.ex.update({k: np.empty(64) for k in _FLOAT_FIELDS})
        self.ex["armed"] = np.empty(64, dtype=np.bool_)
        self.changed = np.empty(64, dtype=np.int64)
        self.state = np.zeros(len(ACCOUNT_STATE))
        self.state[A_ACC] = self.state[A_EQUITY] = self.capital
        self.state[A_RUIN] = -1.0

    # ----------------------------------------------------------------- state
    @property
    def count(self) -> int:
        """Executors opened so far."""
        return int(self.state[A_COUNT])

    @property
    def equity(self) -> float:
        """The account's equity at the last bar (open executors marked at its close, fees in)."""
        return float(self.state[A_EQUITY])

    @property
    def ruined(self) -> bool:
        """Whether the account was liquidated (nothing opens any more)."""
        return self.state[A_RUIN] >= 0

    @property
    def last_time(self) -> int | None:
        """Open time of the last bar (epoch seconds), None before the first."""
        return int(self.bars["ts"][self.n - 1]) if self.n else None

    def _grow(self) -> None:
        """Room for one more bar and one more executor."""
        if self.n + 1 > self.bars["ts"].shape[0]:
            for k, v in self.bars.items():
                self.bars[k] = np.concatenate([v, np.empty_like(v)])
        if self.count + 1 > self.ex["o_bar"].shape[0]:
            for k, v in self.ex.items():
                self.ex[k] = np.concatenate([v, np.empty_like(v)])
            self.changed = np.empty(self.ex["o_bar"].shape[0], dtype=np.int64)

    def step(self, time: int, high: float, low: float, close: float, signal: int, trade: bool) -> np.ndarray:
        """Process one closed bar (open ``time`` in epoch seconds) with its combined ``signal``.

        ``trade``: a new executor may open on it. Returns the indices of the executors it changed
        (every executor open on the bar, the one it opened, those it closed).
        """
        self._grow()
        i = self.n
        if trade and self.start is None:
            self.start = i
        b, e = self.bars, self.ex
        b["ts"][i], b["high"][i], b["low"][i], b["close"][i] = time, high, low, close
        done = paper_bar_nb(
            i, int(signal), bool(trade), float(self.bar_seconds), self.x,
            b["ts"], b["high"], b["low"], b["close"], b["equity"],
            e["o_bar"], e["o_side"], e["c_bar"], e["c_type"], e["frac"], e["notional"], e["peak"], e["armed"],
            self.state, self.changed,
        )  # fmt: skip
        self.n += 1
        return self.changed[:done].copy()

    # ----------------------------------------------------------------- views
    def rows(self, which: np.ndarray | None = None) -> list[dict[str, Any]]:
        """Executor rows (``paper_executors``' columns but the bot's) of ``which`` (default: all), in opening order.

        Open executors are marked at the last bar's close; times are epoch seconds.
        """
        b, e = self.bars, self.ex
        idx = np.arange(self.count) if which is None else np.sort(which)
        tc, total, per_side = self.x[X_TRADE_COST], self.x[X_TOTAL_AMOUNT_QUOTE], self.x[X_MAX_EXECUTORS_PER_SIDE]
        last_close = float(b["close"][self.n - 1]) if self.n else np.nan
        out = []
        for j in idx.tolist():
            o, c, side = int(e["o_bar"][j]), int(e["c_bar"][j]), int(e["o_side"][j])
            entry, notional = float(b["close"][o]), float(e["notional"][j])
            closed = c != OPEN_BAR
            frac = float(e["frac"][j]) if closed else float(net_frac_nb(side, last_close, entry, tc))
            out.append(
                {
                    "open_time": int(b["ts"][o]),
                    "side": "BUY" if side == 1 else "SELL",
                    "status": "closed" if closed else "open",
                    "close_time": int(b["ts"][c]) if closed else None,
                    "close_type": CLOSE_TYPES[int(e["c_type"][j])] if closed else None,
                    "entry_price": entry,
                    "exit_price": float(b["close"][c]) if closed else None,
                    "last_price": float(b["close"][c]) if closed else last_close,
                    "amount": total / entry / per_side,
                    "amount_quote": notional,
                    "net_pnl_quote": frac * notional,
                    "net_pnl_pct": frac,
                    "fees_quote": 2.0 * tc * notional,
                }
            )
        return out

    def open_rows(self) -> list[dict[str, Any]]:
        """Rows of the executors still open (marked at the last bar's close)."""
        return self.rows(np.flatnonzero(self.ex["c_bar"][: self.count] == OPEN_BAR))

    def _closed(self) -> np.ndarray:
        return np.flatnonzero(self.ex["c_bar"][: self.count] != OPEN_BAR)

    def executors(self) -> pd.DataFrame:
        """The closed executors as the backtest's table (:func:`~uptrade.research.backtest.executors_frame`)."""
        b, e = self.bars, self.ex
        done = self._closed()
        o_bar, c_bar = e["o_bar"][done], e["c_bar"][done]
        return executors_frame(
            self.index,
            b["close"][o_bar],
            b["close"][c_bar],
            o_bar,
            c_bar,
            e["o_side"][done],
            e["c_type"][done],
            e["frac"][done],
            e["notional"][done],
            self.executor,
        )

    @property
    def index(self) -> pd.DatetimeIndex:
        """Open times of the bars so far."""
        return index_from_epoch(self.bars["ts"][: self.n].astype(np.int64))

    @property
    def _trading(self) -> slice:
        """The bars from the first it could trade on: the statistics' bars (a warm-up is not trading)."""
        return slice(self.n if self.start is None else self.start, self.n)

    def equity_curve(self) -> pd.Series:
        """The equity at each bar it could trade on so far."""
        span = self._trading
        return pd.Series(self.bars["equity"][span].copy(), index=self.index[span], name="equity")

    def stats(self) -> dict[str, Any]:
        """The backtest's statistics (:func:`~uptrade.research.stats.summarize`) of the closed executors and
        the equity so far; open executors count in the equity (marked), not yet as trades."""
        equity = self.equity_curve()
        ruin = int(self.state[A_RUIN])
        close = pd.Series(self.bars["close"][self._trading], index=equity.index)
        return summarize(
            self.executors(),
            equity,
            float(self.state[A_BUSY]) / len(equity) if len(equity) else 0.0,
            self.capital,
            self.bar_seconds,
            ruined_at=self.index[ruin] if ruin >= 0 else None,
            shortfall=float(self.state[A_SHORTFALL]),
            benchmark=buy_and_hold(close, self.capital),
        )

    def performance(self) -> dict[str, float | int]:
        """The figures of a ``bot_performance`` row, by the statistics' definitions: ``pnl`` (equity minus the
        initial capital, open executors marked), ``trades`` (closed executors), ``win_rate``, ``drawdown``
        (the largest fall of the equity from its peak, a fraction) and ``sharpe`` (annualised, per-bar returns)."""
        done = self._closed()
        pnl = np.ascontiguousarray(self.ex["frac"][done] * self.ex["notional"][done])
        _net, win_rate, _factor, _expectancy = trade_metrics_nb(pnl)
        metrics = equity_metrics_nb(np.ascontiguousarray(self.bars["equity"][self._trading]), float(self.bar_seconds))
        return {
            "pnl": self.equity - self.capital,
            "trades": int(done.size),
            "win_rate": float(win_rate),
            "drawdown": float(metrics[_DRAWDOWN]),
            "sharpe": float(metrics[_SHARPE]),
        }


__all__ = ["PaperBook"]
