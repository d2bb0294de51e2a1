"""Numba kernels of the many-configuration backtest: every (configuration, window) pair in one call.

Each pair runs the Hummingbot-faithful event loop (:func:`~uptrade.research.engine_nb.backtest_nb`)
on the bars ``[lo, hi)`` of the window with its configuration's signal row and executor row
(``params``: one :data:`~uptrade.research.engine_nb.EXECUTOR_ROW` per configuration), marks the
equity (:func:`~uptrade.research.engine_nb.equity_nb`) and reduces it to the statistics of
:mod:`uptrade.research.stats` with the same kernels (:mod:`uptrade.research.stats_nb`), without
building a table per run: a row equals ``run_backtest(...).stats`` to the bit.
``sweep_parallel_nb`` spreads the pairs over all cores (``prange``); ``sweep_serial_nb`` is the
same loop on one thread, for callers that parallelise themselves (Dask workers). Both give
bit-identical rows: each pair is computed by the same function from the same inputs,
independently of the others.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from uptrade.research.engine_nb import X_TOTAL_AMOUNT_QUOTE, X_TRADE_COST, backtest_nb, equity_nb
from uptrade.research.stats_nb import equity_metrics_nb, net_pnl_pct_nb, trade_metrics_nb

#: Columns of a result row, in order (see :mod:`uptrade.research.stats` for the definitions).
METRICS = (
    "executors",
    "net_pnl_quote",
    "net_pnl_pct",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown_pct",
    "win_rate",
    "profit_factor",
    "exposure",
)
N_METRICS = len(METRICS)
M_EXECUTORS = 0
M_NET_PNL_QUOTE = 1
M_NET_PNL_PCT = 2
M_SHARPE = 3
M_SORTINO = 4
M_CALMAR = 5
M_MAX_DRAWDOWN_PCT = 6
M_WIN_RATE = 7
M_PROFIT_FACTOR = 8
M_EXPOSURE = 9


@njit(cache=True, error_model="numpy")
def run_pair_nb(
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    signals: np.ndarray,
    row: int,
    x: np.ndarray,
    lo: int,
    hi: int,
    bar_seconds: float,
    out: np.ndarray,
) -> None:
    """The statistics of one configuration (executor row ``x``, signal row ``row``) on bars ``[lo, hi)``."""
    o_bar, side, c_bar, _kind, frac, notional = backtest_nb(
        ts[lo:hi], high[lo:hi], low[lo:hi], close[lo:hi], signals[row, lo:hi], x
    )
    capital = x[X_TOTAL_AMOUNT_QUOTE]
    value, exposure = equity_nb(close[lo:hi], o_bar, c_bar, side, notional, frac, capital, x[X_TRADE_COST])
    net_pnl, win_rate, profit_factor = trade_metrics_nb(frac * notional)
    sharpe, sortino, calmar, drawdown, _ = equity_metrics_nb(value, bar_seconds)
    out[M_EXECUTORS] = o_bar.shape[0]
    out[M_NET_PNL_QUOTE] = net_pnl
    out[M_NET_PNL_PCT] = net_pnl_pct_nb(net_pnl, capital)
    out[M_SHARPE] = sharpe
    out[M_SORTINO] = sortino
    out[M_CALMAR] = calmar
    out[M_MAX_DRAWDOWN_PCT] = drawdown
    out[M_WIN_RATE] = win_rate
    out[M_PROFIT_FACTOR] = profit_factor
    out[M_EXPOSURE] = exposure


@njit(cache=True, error_model="numpy", parallel=True)
def sweep_parallel_nb(
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    signals: np.ndarray,
    rows: np.ndarray,
    params: np.ndarray,
    windows: np.ndarray,
    bar_seconds: float,
) -> np.ndarray:
    """Statistics of every (configuration, window) pair, configurations outer: shape (configs * windows, N_METRICS)."""
    n_cfg = rows.shape[0]
    n_win = windows.shape[0]
    out = np.empty((n_cfg * n_win, N_METRICS))
    for j in prange(n_cfg * n_win):
        c = j // n_win
        w = j % n_win
        run_pair_nb(
            ts, high, low, close, signals, rows[c], params[c], windows[w, 0], windows[w, 1], bar_seconds, out[j]
        )
    return out


@njit(cache=True, error_model="numpy")
def sweep_serial_nb(
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    signals: np.ndarray,
    rows: np.ndarray,
    params: np.ndarray,
    windows: np.ndarray,
    bar_seconds: float,
) -> np.ndarray:
    """``sweep_parallel_nb`` on one thread (for workers that are already parallel)."""
    n_cfg = rows.shape[0]
    n_win = windows.shape[0]
    out = np.empty((n_cfg * n_win, N_METRICS))
    for j in range(n_cfg * n_win):
        c = j // n_win
        w = j % n_win
        run_pair_nb(
            ts, high, low, close, signals, rows[c], params[c], windows[w, 0], windows[w, 1], bar_seconds, out[j]
        )
    return out
