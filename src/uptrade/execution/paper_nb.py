"""Numba kernel of paper trading: one closed bar of a bot's executors and account.

The rules are the backtest's own functions (:mod:`uptrade.research.engine_nb`), called bar by
bar instead of over the whole series: the open executors' barriers (:func:`barriers_nb`; live,
the time limit closes an executor on the bar after which the next bar cannot open within it, or
on the bar before a gap that passes it), the account's marks and liquidation rule
(:func:`mark_nb`, :func:`breached_nb`, checked before the bar's new executor opens), then
whether a new executor may open (:func:`may_open_nb`) and its entry bar's barriers. The equity
is summed in the batch's order, so a replay's equity curve is the backtest's to the bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from uptrade.research.engine_nb import (
    LIQUIDATION,
    X_COOLDOWN_TIME,
    X_MAINTENANCE_MARGIN,
    X_MAX_EXECUTORS_PER_SIDE,
    X_TRADE_COST,
    barriers_nb,
    breached_nb,
    end_time_nb,
    executor_notional_nb,
    mark_nb,
    may_open_nb,
    net_frac_nb,
    stop_price_nb,
)

#: ``c_bar`` of an executor still open: after every bar.
OPEN_BAR = 2**62
#: Fields of the account state (a float64 array), ``A_*`` their positions.
ACCOUNT_STATE = ("acc", "equity", "ruin", "shortfall", "first", "count", "busy")
A_ACC = 0  # initial capital plus the realised net PnL of the closed executors
A_EQUITY = 1  # equity on the last bar: A_ACC plus the open executors marked at its close
A_RUIN = 2  # bar of the liquidation; -1: none
A_SHORTFALL = 3  # what the positions lost beyond the capital at the liquidation
A_FIRST = 4  # executors before this one are all closed
A_COUNT = 5  # executors so far
A_BUSY = 6  # bars with at least one executor open (the exposure's numerator)


@njit(cache=True, error_model="numpy")
def paper_bar_nb(
    i: int,
    signal: int,
    trade: bool,
    interval: float,
    x: np.ndarray,
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    equity: np.ndarray,
    o_bar: np.ndarray,
    o_side: np.ndarray,
    c_bar: np.ndarray,
    c_type: np.ndarray,
    frac: np.ndarray,
    notional: np.ndarray,
    peak: np.ndarray,
    armed: np.ndarray,
    state: np.ndarray,
    changed: np.ndarray,
) -> int:
    """Process bar ``i`` (bars ``0..i`` in ``ts..close``) with its combined ``signal``; returns how many
    executors it changed (their indices fill ``changed``: every executor open on the bar, and a new one).

    ``trade``: a new executor may open on this bar. ``interval``: the bar's length in seconds.
    Executors are rows of ``o_bar..armed`` (``c_bar`` :data:`OPEN_BAR` while open), the account
    is ``state`` (:data:`ACCOUNT_STATE`), and ``equity[i]`` receives the bar's equity.
    """
    tc, mmr = x[X_TRADE_COST], x[X_MAINTENANCE_MARGIN]
    t = ts[i]
    first = int(state[A_FIRST])
    m = int(state[A_COUNT])
    if state[A_RUIN] >= 0:  # liquidated: the account keeps what was left and nothing opens
        equity[i] = state[A_EQUITY]
        return 0
    done = 0
    realised = 0.0  # closed on this bar, summed in executor order as the batch sums a bar's
    for e in range(first, m):
        if c_bar[e] != OPEN_BAR:
            continue
        side, entry = o_side[e], close[o_bar[e]]
        end_ts = end_time_nb(ts[o_bar[e]], x)
        k, kind, pnl, peak[e], armed[e] = barriers_nb(
            side, entry, ts, high, low, close, i, i, end_ts, stop_price_nb(side, entry, x), x, peak[e], armed[e],
            t + interval > end_ts,
        )  # fmt: skip
        changed[done] = e
        done += 1
        if kind != 0:
            c_bar[e], c_type[e], frac[e] = k, kind, pnl
            realised += frac[e] * notional[e]
    # the account before this bar's new executor: liquidated when its equity breaks the rule
    value = state[A_ACC] + realised
    carried = 0.0
    for e in range(first, m):
        if c_bar[e] == OPEN_BAR:
            marked, held = mark_nb(o_side[e], close[i], close[o_bar[e]], notional[e], tc)
            value += marked
            carried += held
    busy = False
    if breached_nb(value, carried, mmr):
        for e in range(first, m):
            busy |= c_bar[e] >= i
            if c_bar[e] == OPEN_BAR:
                c_bar[e], c_type[e] = i, LIQUIDATION
                frac[e] = net_frac_nb(o_side[e], close[i], close[o_bar[e]], tc)
        left = value if value > 0.0 else 0.0
        state[A_RUIN] = i
        state[A_SHORTFALL] = -value if value < 0.0 else 0.0
        state[A_EQUITY] = equity[i] = left
        state[A_BUSY] += busy
        return done
    if trade and signal != 0:
        ok, state[A_FIRST] = may_open_nb(
            signal, i, ts, o_bar, o_side, c_bar, first, m, int(x[X_MAX_EXECUTORS_PER_SIDE]), x[X_COOLDOWN_TIME]
        )
        if ok:
            side = 1 if signal > 0 else -1
            entry = close[i]
            end_ts = end_time_nb(t, x)
            o_bar[m], o_side[m], c_bar[m] = i, side, OPEN_BAR
            notional[m] = executor_notional_nb(x, entry)
            k, kind, pnl, peak[m], armed[m] = barriers_nb(
                side, entry, ts, high, low, close, i, i, end_ts, stop_price_nb(side, entry, x), x, -np.inf, False,
                t + interval > end_ts,
            )  # fmt: skip
            if kind != 0:
                c_bar[m], c_type[m], frac[m] = k, kind, pnl
                realised += frac[m] * notional[m]
            changed[done] = m
            done += 1
            m += 1
    acc = state[A_ACC] + realised
    value = acc
    for e in range(first, m):
        busy |= c_bar[e] >= i
        if c_bar[e] == OPEN_BAR:
            value += mark_nb(o_side[e], close[i], close[o_bar[e]], notional[e], tc)[0]
    state[A_ACC] = acc
    state[A_EQUITY] = equity[i] = value
    state[A_COUNT] = m
    state[A_BUSY] += busy
    return done


__all__ = ["ACCOUNT_STATE", "OPEN_BAR", "paper_bar_nb"]
