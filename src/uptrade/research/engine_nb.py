"""Numba event loop of the Hummingbot-faithful backtest (:mod:`uptrade.research.backtest`), its
executor row, and the account the executors trade in (equity marked every bar, liquidation).

The rules are single functions that the batch loop here and the paper engine
(:mod:`uptrade.execution.paper_nb`, one bar at a time) both call, so the two cannot drift apart:
:func:`barriers_nb` (an open executor's take profit, stop loss, trailing stop and time limit),
:func:`may_open_nb` (whether a new executor may open on a bar), :func:`executor_notional_nb`,
:func:`net_frac_nb` (net PnL), and the account's :func:`mark_nb` and :func:`breached_nb`
(marking an open executor; the liquidation rule). The small ones the hot loops call are inlined
by numba (``inline="always"``), so sharing them costs the batch nothing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Close types, numbered as Hummingbot's ``CloseType``.
TIME_LIMIT, STOP_LOSS, TAKE_PROFIT, TRAILING_STOP = 1, 2, 3, 6
#: The account's own close type (Hummingbot's engine keeps no account, so it has none): closed
#: because the account was liquidated.
LIQUIDATION = 100

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
    "initial_capital",
    "maintenance_margin",
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
X_INITIAL_CAPITAL = 9
X_MAINTENANCE_MARGIN = 10


@njit(cache=True, error_model="numpy")
def ratio_frac_nb(side: int, ratio: float, tc: float) -> float:
    """Net PnL fraction of an executor of ``side`` at ``ratio`` = price / entry: both sides' fees in."""
    return side * (ratio - 1.0) - 2.0 * tc


@njit(cache=True, error_model="numpy")
def net_frac_nb(side: int, price: float, entry: float, tc: float) -> float:
    """Net PnL fraction of an executor of ``side`` entered at ``entry``, at ``price``."""
    return ratio_frac_nb(side, price / entry, tc)


@njit(cache=True, error_model="numpy", inline="always")
def barriers_nb(
    side: int,
    entry: float,
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    k0: int,
    k1: int,
    end_ts: float,
    sl_price: float,
    x: np.ndarray,
    peak: float,
    armed: bool,
    expired: bool,
) -> tuple[int, int, float, float, bool]:
    """The barriers of an executor open before bar ``k0``, on bars ``k0..k1``: (bar, close type or 0
    while open, net PnL fraction, trailing peak, armed) where one closes it, else at ``k1``.

    Per bar, in Hummingbot's order: take profit (close-based, fees in), stop loss (the bar's
    low/high against ``sl_price``, the entry bar included), trailing stop (close-based; ``peak``
    and ``armed`` carry its state between calls), then the time limit, which closes it at the
    last bar with an open time <= ``end_ts``: on reaching a later bar (it closed on the one
    before), or on bar ``k1`` when ``expired`` (no later bar can fall within it: the batch at the
    end of its data, live when the next bar cannot open by ``end_ts``). NaN settings in ``x``
    (and a NaN ``sl_price``) switch a barrier off.
    """
    tp, tc = x[X_TAKE_PROFIT], x[X_TRADE_COST]
    act, delta = x[X_ACTIVATION_PRICE], x[X_TRAILING_DELTA]
    last = k0 - 1
    for k in range(k0, k1 + 1):
        if ts[k] > end_ts:
            return last, TIME_LIMIT, net_frac_nb(side, close[last], entry, tc), peak, armed
        last = k
        pnl = net_frac_nb(side, close[k], entry, tc)
        if not np.isnan(tp) and pnl > tp:
            return k, TAKE_PROFIT, pnl, peak, armed
        if not np.isnan(sl_price) and ((side == 1 and low[k] <= sl_price) or (side == -1 and high[k] >= sl_price)):
            return k, STOP_LOSS, pnl, peak, armed
        if not np.isnan(act):
            if not armed and pnl > act:
                armed = True
            trail = pnl - delta
            peak = max(peak, trail)
            if armed and pnl < peak:
                return k, TRAILING_STOP, pnl, peak, armed
    return k1, TIME_LIMIT if expired else 0, net_frac_nb(side, close[k1], entry, tc), peak, armed


@njit(cache=True, error_model="numpy")
def stop_price_nb(side: int, entry: float, x: np.ndarray) -> float:
    """The stop-loss level of an executor of ``side`` entered at ``entry`` (NaN: no stop loss)."""
    return entry * (1.0 - side * x[X_STOP_LOSS])


@njit(cache=True, error_model="numpy")
def end_time_nb(t: float, x: np.ndarray) -> float:
    """The time limit of an executor created at ``t``: the last bar open time it may close on (inf: none)."""
    tl = x[X_TIME_LIMIT]
    return t + tl if not np.isnan(tl) else np.inf


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

    :func:`barriers_nb` from the entry bar to the end of the data (an executor still open there
    closes as a time limit on the last bar).
    """
    entry = close[i]
    k, kind, pnl, _peak, _armed = barriers_nb(
        side,
        entry,
        ts,
        high,
        low,
        close,
        i,
        close.shape[0] - 1,
        end_time_nb(ts[i], x),
        stop_price_nb(side, entry, x),
        x,
        -np.inf,
        False,
        True,
    )
    return k, kind, pnl


@njit(cache=True, error_model="numpy", inline="always")
def may_open_nb(
    s: int,
    i: int,
    ts: np.ndarray,
    o_bar: np.ndarray,
    o_side: np.ndarray,
    c_bar: np.ndarray,
    first: int,
    m: int,
    max_per_side: int,
    cooldown: float,
) -> tuple[bool, int]:
    """Whether an executor may open at bar ``i`` on signal ``s`` (Hummingbot's rule), and the new ``first``.

    Counted are the executors ``first..m-1`` active at bar ``i`` (opened on an earlier bar, not
    closed by this one: ``c_bar > i``) of the signal's side, a short counting either side (as
    Hummingbot's selection reads). It may open when fewer than ``max_per_side`` are counted and
    ``ts[i]`` minus the newest counted creation time exceeds ``cooldown``. ``first`` moves past
    the executors closed by bar ``i`` (bars only move forward).
    """
    while first < m and c_bar[first] <= i:
        first += 1
    count = 0
    latest = 0.0
    for e in range(first, m):
        if o_bar[e] < i and c_bar[e] > i and (s < 0 or o_side[e] == 1):
            count += 1
            latest = max(latest, ts[o_bar[e]])
    return count < max_per_side and ts[i] - latest > cooldown, first


@njit(cache=True, error_model="numpy", inline="always")
def executor_notional_nb(x: np.ndarray, price: float) -> float:
    """Quote notional of one executor entered at ``price``: Hummingbot's amount (total / price / per side) x price."""
    return x[X_TOTAL_AMOUNT_QUOTE] / price / x[X_MAX_EXECUTORS_PER_SIDE] * price


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
    when :func:`may_open_nb` allows it (see :mod:`uptrade.research.backtest` for the rules,
    Hummingbot's own).
    """
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
    first = 0
    for i in range(n):
        s = signal[i]
        if s == 0:
            continue
        ok, first = may_open_nb(s, i, ts, o_bar, o_side, c_bar, first, m, max_per_side, cooldown)
        if not ok:
            continue
        side = 1 if s > 0 else -1
        k, kind, frac = simulate_executor_nb(i, side, ts, high, low, close, x)
        o_bar[m] = i
        o_side[m] = side
        c_bar[m] = k
        c_type[m] = kind
        pnl[m] = frac
        notional[m] = executor_notional_nb(x, close[i])
        m += 1
    return o_bar[:m], o_side[:m], c_bar[:m], c_type[:m], pnl[:m], notional[:m]


@njit(cache=True, error_model="numpy")
def mark_nb(side: int, price: float, entry: float, size: float, tc: float) -> tuple[float, float]:
    """(net PnL in quote, marked notional) of an open executor of notional ``size`` at ``price`` (both fees in)."""
    ratio = price / entry
    return size * ratio_frac_nb(side, ratio, tc), size * ratio


@njit(cache=True, error_model="numpy")
def breached_nb(equity: float, carried: float, mmr: float) -> bool:
    """The account's liquidation rule: equity <= 0, or below ``mmr`` times the marked notional it carries."""
    return (equity <= 0.0) | (equity < mmr * carried)


@njit(cache=True, error_model="numpy")
def account_nb(
    close: np.ndarray,
    col: np.ndarray,
    o_bar: np.ndarray,
    c_bar: np.ndarray,
    side: np.ndarray,
    notional: np.ndarray,
    frac: np.ndarray,
    x: np.ndarray,
) -> tuple[np.ndarray, int, float]:
    """(equity per bar, ruin bar or -1, shortfall) of the account the executors trade in.

    ``close`` holds one column of closes per market (bars x markets, on one time axis), and
    ``col`` each executor's market; one market is a single column.

    Equity is the initial capital plus the realised PnL of the executors closed so far plus the
    open ones marked at each close (fees of both sides in, as Hummingbot books them). The account
    is ruined at the first bar where, before that bar's new executors open, its equity is <= 0
    or below the maintenance margin (``maintenance_margin`` times the marked notional it
    carries). From that bar on the equity stays at its value there, floored at 0: a negative
    balance is written off, and what was lost beyond the capital is the shortfall.
    """
    capital, tc, mmr = x[X_INITIAL_CAPITAL], x[X_TRADE_COST], x[X_MAINTENANCE_MARGIN]
    n = close.shape[0]
    m = o_bar.shape[0]
    value = np.zeros(n)
    carried = np.zeros(n)  # marked notional of the executors open at each close
    for e in range(m):
        value[c_bar[e]] += frac[e] * notional[e]
    acc = capital
    for t in range(n):
        acc += value[t]
        value[t] = acc
    for e in range(m):
        o = o_bar[e]
        k = col[e]
        entry = close[o, k]
        size = notional[e]
        s = side[e]
        for t in range(o, c_bar[e]):  # marked from its entry bar up to the bar before it closes
            marked, held = mark_nb(s, close[t, k], entry, size, tc)
            value[t] += marked
            carried[t] += held
    # a bar may need the exact check only where the marked equity fails it (the exact check adds
    # back the fees of the executors opened on that bar and drops their notional: never stricter)
    flagged = 0
    for t in range(n):
        flagged += breached_nb(value[t], carried[t], mmr)
    if flagged == 0:
        return value, -1, 0.0
    e = 0  # executors are in opening order: those opened on bar t are not yet there when it is checked
    for t in range(n):
        equity = value[t]
        if not breached_nb(equity, carried[t], mmr):
            continue
        fresh_notional = 0.0
        while e < m and o_bar[e] < t:
            e += 1
        j = e
        while j < m and o_bar[j] == t:
            if c_bar[j] > t:
                equity += 2.0 * tc * notional[j]
                fresh_notional += notional[j]
            else:  # opened and closed on this bar: realised here
                equity -= frac[j] * notional[j]
            j += 1
        if breached_nb(equity, carried[t] - fresh_notional, mmr):
            shortfall = -equity if equity < 0.0 else 0.0
            left = equity if equity > 0.0 else 0.0
            value[t:] = left
            return value, t, shortfall
    return value, -1, 0.0


@njit(cache=True, error_model="numpy")
def liquidate_nb(
    close: np.ndarray,
    col: np.ndarray,
    o_bar: np.ndarray,
    side: np.ndarray,
    c_bar: np.ndarray,
    kind: np.ndarray,
    frac: np.ndarray,
    notional: np.ndarray,
    ruin: int,
    tc: float,
) -> np.ndarray:
    """Liquidate at bar ``ruin``: close the executors open there (in place); returns which executors remain.

    Executors opened from ``ruin`` on are dropped (``False``); ``close`` and ``col`` as in :func:`account_nb`.
    """
    keep = o_bar < ruin
    for e in range(o_bar.shape[0]):
        if keep[e] and c_bar[e] > ruin:
            c_bar[e] = ruin
            kind[e] = LIQUIDATION
            frac[e] = net_frac_nb(side[e], close[ruin, col[e]], close[o_bar[e], col[e]], tc)
    return keep


@njit(cache=True, error_model="numpy")
def exposure_nb(o_bar: np.ndarray, c_bar: np.ndarray, n: int) -> float:
    """The share of the ``n`` bars with at least one executor open (from its entry bar to its closing bar)."""
    if n == 0:
        return 0.0
    busy = np.zeros(n + 1, dtype=np.int64)
    for e in range(o_bar.shape[0]):
        busy[o_bar[e]] += 1
        busy[c_bar[e] + 1] -= 1
    open_bars = 0
    running = 0
    for t in range(n):
        running += busy[t]
        if running > 0:
            open_bars += 1
    return open_bars / n


@njit(cache=True, error_model="numpy")
def trade_account_nb(
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    closes: np.ndarray,
    signal: np.ndarray,
    x: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, float, float]:
    """One backtest in its account: the executors (as :func:`backtest_nb`, cut by a liquidation),
    the equity per bar, the ruin bar (-1: none), the shortfall and the exposure.

    ``closes`` is ``close`` as one column (``close.reshape(-1, 1)``: a view, no copy).
    """
    o_bar, side, c_bar, kind, frac, notional = backtest_nb(ts, high, low, close, signal, x)
    col = np.zeros(o_bar.shape[0], dtype=np.int64)
    value, ruin, shortfall = account_nb(closes, col, o_bar, c_bar, side, notional, frac, x)
    if ruin >= 0:
        keep = liquidate_nb(closes, col, o_bar, side, c_bar, kind, frac, notional, ruin, x[X_TRADE_COST])
        o_bar, side, c_bar, kind, frac, notional = (
            o_bar[keep],
            side[keep],
            c_bar[keep],
            kind[keep],
            frac[keep],
            notional[keep],
        )
    exposure = exposure_nb(o_bar, c_bar, close.shape[0])
    return o_bar, side, c_bar, kind, frac, notional, value, ruin, shortfall, exposure
