"""Numba kernels of the many-configuration backtest: every (configuration, window) pair in one call.

Each pair runs the Hummingbot-faithful event loop in its account
(:func:`~uptrade.research.engine_nb.trade_account_nb`) on the bars ``[lo, hi)`` of the window, with
its configuration's signal row and executor row (``params``: one
:data:`~uptrade.research.engine_nb.EXECUTOR_ROW` per configuration), and reduces it to the statistics of
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

from uptrade.research.engine_nb import X_INITIAL_CAPITAL, trade_account_nb
from uptrade.research.stats_nb import EQUITY_METRICS, equity_metrics_nb, net_pnl_pct_nb, trade_metrics_nb

#: Columns of a result row, in order (see :mod:`uptrade.research.stats` for the definitions).
METRICS = (
    "executors",
    "ruined",
    "net_pnl_quote",
    "net_pnl_pct",
    "win_rate",
    "profit_factor",
    "expectancy_quote",
    "exposure",
    *EQUITY_METRICS,
)
N_METRICS = len(METRICS)
M_EXECUTORS = 0
M_RUINED = 1
M_NET_PNL_QUOTE = 2
M_NET_PNL_PCT = 3
M_WIN_RATE = 4
M_PROFIT_FACTOR = 5
M_EXPECTANCY_QUOTE = 6
M_EXPOSURE = 7
M_EQUITY = 8  # the equity metrics follow, in EQUITY_METRICS order


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
    c = close[lo:hi]
    o_bar, _side, _c_bar, _kind, frac, notional, value, ruin, _shortfall, exposure = trade_account_nb(
        ts[lo:hi], high[lo:hi], low[lo:hi], c, c[:, np.newaxis], signals[row, lo:hi], x
    )
    net_pnl, win_rate, profit_factor, expectancy = trade_metrics_nb(frac * notional)
    out[M_EXECUTORS] = o_bar.shape[0]
    out[M_RUINED] = 1.0 if ruin >= 0 else 0.0
    out[M_NET_PNL_QUOTE] = net_pnl
    out[M_NET_PNL_PCT] = net_pnl_pct_nb(net_pnl, x[X_INITIAL_CAPITAL])
    out[M_WIN_RATE] = win_rate
    out[M_PROFIT_FACTOR] = profit_factor
    out[M_EXPECTANCY_QUOTE] = expectancy
    out[M_EXPOSURE] = exposure
    out[M_EQUITY:] = equity_metrics_nb(value, bar_seconds)


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
