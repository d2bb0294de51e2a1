"""Numba event loop of the Hummingbot-faithful backtest (:mod:`uptrade.research.backtest`) and its executor row."""

from __future__ import annotations

import numpy as np
from numba import njit

#: Close types, numbered as Hummingbot's ``CloseType``.
TIME_LIMIT, STOP_LOSS, TAKE_PROFIT, TRAILING_STOP = 1, 2, 3, 6

#: Fields of an executor row, the float64 array the kernels read an executor's settings from
#: (``ExecutorConfig.kernel_row`` builds it; NaN switches a barrier off).
#: ``X_*`` are their positions.
EXECUTOR_ROW = (
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
X_TOTAL_AMOUNT_QUOTE = 0
X_MAX_EXECUTORS_PER_SIDE = 1
X_COOLDOWN_TIME = 2
X_STOP_LOSS = 3
X_TAKE_PROFIT = 4
X_TIME_LIMIT = 5
X_ACTIVATION_PRICE = 6
X_TRAILING_DELTA = 7
X_TRADE_COST = 8


@njit(cache=True, error_model="numpy")
def simulate_executor_nb(
    i: int,
    side: int,
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    x: np.ndarray,
) -> tuple[int, int, float]:
    """(close bar, close type, net PnL fraction) of an executor (row ``x``) opened at bar ``i``'s close.

    A NaN stop loss, take profit, time limit or activation price switches that barrier off.
    Checked per bar in Hummingbot's order: take profit (close-based, fees in), stop loss
    (high/low against the level, the entry bar included), trailing stop (close-based), then the
    time limit.
    """
    sl, tp, tl = x[X_STOP_LOSS], x[X_TAKE_PROFIT], x[X_TIME_LIMIT]
    act, delta, tc = x[X_ACTIVATION_PRICE], x[X_TRAILING_DELTA], x[X_TRADE_COST]
    n = close.shape[0]
    entry = close[i]
    end_ts = ts[i] + tl if not np.isnan(tl) else ts[n - 1]
    sl_price = entry * (1.0 - side * sl)
    peak = -np.inf
    armed = False
    last = i
    for k in range(i, n):
        if ts[k] > end_ts:
            break
        last = k
        pnl = side * (close[k] / entry - 1.0) - 2.0 * tc
        if not np.isnan(tp) and pnl > tp:
            return k, TAKE_PROFIT, pnl
        if not np.isnan(sl) and ((side == 1 and low[k] <= sl_price) or (side == -1 and high[k] >= sl_price)):
            return k, STOP_LOSS, pnl
        if not np.isnan(act):
            if not armed and pnl > act:
                armed = True
            trail = pnl - delta
            peak = max(peak, trail)
            if armed and pnl < peak:
                return k, TRAILING_STOP, pnl
    pnl = side * (close[last] / entry - 1.0) - 2.0 * tc
    return last, TIME_LIMIT, pnl


@njit(cache=True, error_model="numpy")
def backtest_nb(
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    signal: np.ndarray,
    x: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Executors of one backtest: (open bar, side, close bar, close type, net PnL fraction, notional).

    At most one executor (settings: the executor row ``x``) opens per bar, on a non-zero signal,
    when the executors still active at that bar allow it (see :mod:`uptrade.research.backtest`
    for the rules, Hummingbot's own).
    """
    total_amount_quote = x[X_TOTAL_AMOUNT_QUOTE]
    max_per_side = int(x[X_MAX_EXECUTORS_PER_SIDE])
    cooldown = x[X_COOLDOWN_TIME]
    n = close.shape[0]
    o_bar = np.empty(n, dtype=np.int64)
    o_side = np.empty(n, dtype=np.int64)
    c_bar = np.empty(n, dtype=np.int64)
    c_type = np.empty(n, dtype=np.int64)
    pnl = np.empty(n)
    notional = np.empty(n)
    m = 0
    first = 0  # executors before `first` are all closed by bar i (bars only move forward)
    for i in range(n):
        s = signal[i]
        if s == 0:
            continue
        while first < m and c_bar[first] <= i:
            first += 1
        count = 0
        latest = 0.0
        for e in range(first, m):
            # active at bar i: opened on an earlier bar and not closed by this one
            if o_bar[e] < i and c_bar[e] > i and (s < 0 or o_side[e] == 1):
                count += 1
                latest = max(latest, ts[o_bar[e]])
        if count >= max_per_side or not (ts[i] - latest > cooldown):
            continue
        side = 1 if s > 0 else -1
        k, kind, frac = simulate_executor_nb(i, side, ts, high, low, close, x)
        o_bar[m] = i
        o_side[m] = side
        c_bar[m] = k
        c_type[m] = kind
        pnl[m] = frac
        notional[m] = total_amount_quote / close[i] / max_per_side * close[i]
        m += 1
    return o_bar[:m], o_side[:m], c_bar[:m], c_type[:m], pnl[:m], notional[:m]


@njit(cache=True, error_model="numpy")
def equity_nb(
    close: np.ndarray,
    o_bar: np.ndarray,
    c_bar: np.ndarray,
    side: np.ndarray,
    notional: np.ndarray,
    frac: np.ndarray,
    capital: float,
    tc: float,
) -> tuple[np.ndarray, float]:
    """Capital + realised PnL + open executors marked at each close; the share of bars with one open."""
    n = close.shape[0]
    value = np.zeros(n)
    busy = np.zeros(n + 1, dtype=np.int64)
    for e in range(o_bar.shape[0]):
        o = o_bar[e]
        c = c_bar[e]
        value[c] += frac[e] * notional[e]
        busy[o] += 1
        busy[c + 1] -= 1
    acc = capital
    for t in range(n):
        acc += value[t]
        value[t] = acc
    for e in range(o_bar.shape[0]):
        o = o_bar[e]
        entry = close[o]
        for t in range(o, c_bar[e]):  # marked from its entry bar up to the bar before it closes
            value[t] += notional[e] * (side[e] * (close[t] / entry - 1.0) - 2.0 * tc)
    open_bars = 0
    running = 0
    for t in range(n):
        running += busy[t]
        if running > 0:
            open_bars += 1
    return value, open_bars / n if n else 0.0
