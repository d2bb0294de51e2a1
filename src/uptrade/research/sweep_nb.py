"""Numba kernels of the many-configuration backtest: every (configuration, window) pair in one call.

Each pair runs the Hummingbot-faithful event loop (:func:`~uptrade.research.engine_nb.backtest_nb`)
on the bars ``[lo, hi)`` of the window with its configuration's signal row, marks the equity
(:func:`~uptrade.research.engine_nb.equity_nb`) and reduces it to the statistics of
:mod:`uptrade.research.stats`, without building a table per run. ``sweep_parallel_nb`` spreads the
pairs over all cores (``prange``); ``sweep_serial_nb`` is the same loop on one thread, for callers
that parallelise themselves (Dask workers). Both give bit-identical rows: each pair is computed by
the same function from the same inputs, independently of the others.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from uptrade.research.engine_nb import backtest_nb, equity_nb

#: Columns of a configuration's parameter row.
PARAMS = (
    "total_amount_quote",
    "max_executors_per_side",
    "cooldown_time",
    "stop_loss",
    "take_profit",
    "time_limit",
    "activation_price",
    "trailing_delta",
    "trade_cost",
)
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
SECONDS_PER_YEAR = 365.0 * 86_400.0


@njit(cache=True, error_model="numpy")
def equity_metrics_nb(value: np.ndarray, bar_seconds: float, out: np.ndarray) -> None:
    """Sharpe, Sortino, Calmar and max drawdown of an equity curve into ``out[3:7]``."""
    n = value.shape[0]
    out[3] = np.nan
    out[4] = np.nan
    out[5] = np.nan
    out[6] = 0.0
    if n < 2:
        return
    scale = np.sqrt(SECONDS_PER_YEAR / bar_seconds)
    total = 0.0
    for t in range(1, n):
        total += (value[t] - value[t - 1]) / value[t - 1]
    mean = total / (n - 1)
    ss = 0.0
    down = 0.0
    for t in range(1, n):
        r = (value[t] - value[t - 1]) / value[t - 1]
        ss += (r - mean) * (r - mean)
        if r < 0.0:
            down += r * r
    sd = np.sqrt(ss / (n - 2)) if n > 2 else np.nan
    if sd > 0.0:
        out[3] = mean / sd * scale
    dd = np.sqrt(down / (n - 1))
    if dd > 0.0:
        out[4] = mean / dd * scale
    peak = value[0]
    worst = 0.0
    for t in range(n):
        peak = max(peak, value[t])
        worst = max(worst, (peak - value[t]) / peak)
    out[6] = worst
    years = (n - 1) * bar_seconds / SECONDS_PER_YEAR
    growth = value[n - 1] / value[0]
    cagr = growth ** (1.0 / years) - 1.0 if growth > 0.0 else -1.0
    if worst > 0.0:
        out[5] = cagr / worst
    elif cagr > 0.0:
        out[5] = np.inf


@njit(cache=True, error_model="numpy")
def run_pair_nb(
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    signals: np.ndarray,
    row: int,
    p: np.ndarray,
    lo: int,
    hi: int,
    bar_seconds: float,
    out: np.ndarray,
) -> None:
    """The statistics of one configuration (parameter row ``p``, signal row ``row``) on bars ``[lo, hi)``."""
    capital = p[0]
    tc = p[8]
    o_bar, side, c_bar, _kind, frac, notional = backtest_nb(
        ts[lo:hi],
        high[lo:hi],
        low[lo:hi],
        close[lo:hi],
        signals[row, lo:hi],
        capital,
        int(p[1]),
        p[2],
        p[3],
        p[4],
        p[5],
        p[6],
        p[7],
        tc,
    )
    m = o_bar.shape[0]
    value, exposure = equity_nb(close[lo:hi], o_bar, c_bar, side, notional, frac, capital, tc)
    pnl = 0.0
    gains = 0.0
    losses = 0.0
    wins = 0
    for e in range(m):
        q = frac[e] * notional[e]
        pnl += q
        if q > 0.0:
            gains += q
            wins += 1
        elif q < 0.0:
            losses -= q
    out[0] = m
    out[1] = pnl
    out[2] = pnl / capital
    equity_metrics_nb(value, bar_seconds, out)
    out[7] = wins / m if m > 0 else np.nan
    if m == 0:
        out[8] = np.nan
    elif losses == 0.0:
        out[8] = np.inf if gains > 0.0 else np.nan
    else:
        out[8] = gains / losses
    out[9] = exposure


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
    """Statistics of every (configuration, window) pair, configurations outer: shape (configs * windows, 10)."""
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
