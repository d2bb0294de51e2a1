"""Numba kernels of the backtest statistics: their one definition (:mod:`uptrade.research.stats`
describes them), used by the statistics of one backtest (:mod:`uptrade.research.stats`, from its
tables) and by the many-configuration sweep (:mod:`uptrade.research.sweep_nb`, per pair).

Sums are taken in NumPy's order (:func:`sum_nb`) and NaN propagates as in NumPy's reductions, so
every statistic is what the NumPy expression in its docstring gives on the same array, to the bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SECONDS_PER_YEAR = 365 * 86_400
#: Block below which :func:`sum_nb` stops splitting (NumPy's ``PW_BLOCKSIZE``).
PAIRWISE_BLOCK = 128
#: What :func:`pairwise_sums_nb` adds up: an array's values, or terms of the returns of an equity curve.
SUM_VALUES, SUM_RETURNS, SUM_DEVIATIONS = 0, 1, 2


@njit(cache=True, error_model="numpy")
def term_nb(a: np.ndarray, i: int, kind: int, centre: float) -> tuple[float, float]:
    """Term ``i`` of a :func:`pairwise_sums_nb` walk: ``(a[i], 0)``; of ``r = a[i + 1] / a[i] - 1`` (0 if a[i] is 0)."""
    if kind == SUM_VALUES:
        return a[i], 0.0
    r = (a[i + 1] - a[i]) / a[i] if a[i] != 0.0 else 0.0  # a written-off account earns nothing
    if kind == SUM_RETURNS:
        d = r if r < 0.0 else 0.0  # a NaN return makes the mean NaN, whatever the downside
        return r, d * d
    d = r - centre
    return d * d, 0.0


@njit(cache=True, error_model="numpy")
def block_sums_nb(a: np.ndarray, lo: int, n: int, kind: int, centre: float) -> tuple[float, float]:
    """Sums of terms ``lo`` to ``lo + n - 1`` (``n <= PAIRWISE_BLOCK``), as NumPy's ``pairwise_sum`` adds a block."""
    if n < 8:
        s, t = 0.0, 0.0
        for i in range(lo, lo + n):
            x, y = term_nb(a, i, kind, centre)
            s, t = s + x, t + y
        return s, t
    # eight accumulators per sum, started with the first eight terms
    s0, t0 = term_nb(a, lo, kind, centre)
    s1, t1 = term_nb(a, lo + 1, kind, centre)
    s2, t2 = term_nb(a, lo + 2, kind, centre)
    s3, t3 = term_nb(a, lo + 3, kind, centre)
    s4, t4 = term_nb(a, lo + 4, kind, centre)
    s5, t5 = term_nb(a, lo + 5, kind, centre)
    s6, t6 = term_nb(a, lo + 6, kind, centre)
    s7, t7 = term_nb(a, lo + 7, kind, centre)
    end = lo + n - n % 8
    for i in range(lo + 8, end, 8):
        x, y = term_nb(a, i, kind, centre)
        s0, t0 = s0 + x, t0 + y
        x, y = term_nb(a, i + 1, kind, centre)
        s1, t1 = s1 + x, t1 + y
        x, y = term_nb(a, i + 2, kind, centre)
        s2, t2 = s2 + x, t2 + y
        x, y = term_nb(a, i + 3, kind, centre)
        s3, t3 = s3 + x, t3 + y
        x, y = term_nb(a, i + 4, kind, centre)
        s4, t4 = s4 + x, t4 + y
        x, y = term_nb(a, i + 5, kind, centre)
        s5, t5 = s5 + x, t5 + y
        x, y = term_nb(a, i + 6, kind, centre)
        s6, t6 = s6 + x, t6 + y
        x, y = term_nb(a, i + 7, kind, centre)
        s7, t7 = s7 + x, t7 + y
    s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    t = ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7))
    for i in range(end, lo + n):
        x, y = term_nb(a, i, kind, centre)
        s, t = s + x, t + y
    return s, t


@njit(cache=True, error_model="numpy")
def pairwise_sums_nb(a: np.ndarray, n: int, kind: int, centre: float) -> tuple[float, float]:
    """NumPy's pairwise sums of ``n`` terms by ``kind``: values; returns, downside squares; squares about ``centre``."""
    # The returns' terms are computed as they are added (no array of n), and NumPy's recursion
    # is walked with a stack, as cached numba code may not recurse.
    todo = np.empty((64, 3), dtype=np.int64)  # (start, length, halves done) of the open ranges
    sums = np.empty((64, 2))  # sums of the finished ranges still to be added to their sibling
    todo[0, 0], todo[0, 1], todo[0, 2] = 0, n, 0
    top = 0
    done = 0
    while top >= 0:
        lo, size, state = todo[top, 0], todo[top, 1], todo[top, 2]
        if size <= PAIRWISE_BLOCK:
            sums[done, 0], sums[done, 1] = block_sums_nb(a, lo, size, kind, centre)
            done += 1
            top -= 1
        elif state == 2:
            sums[done - 2, 0] += sums[done - 1, 0]
            sums[done - 2, 1] += sums[done - 1, 1]
            done -= 1
            top -= 1
        else:
            half = size // 2
            half -= half % 8
            todo[top, 2] = state + 1
            top += 1
            todo[top, 0] = lo if state == 0 else lo + half
            todo[top, 1] = half if state == 0 else size - half
            todo[top, 2] = 0
    return sums[0, 0], sums[0, 1]


@njit(cache=True, error_model="numpy")
def sum_nb(a: np.ndarray) -> float:
    """``a.sum()`` in NumPy's order: halves (cut at a multiple of 8) split down to blocks of 128, then added back."""
    return pairwise_sums_nb(a, a.shape[0], SUM_VALUES, 0.0)[0]


@njit(cache=True, error_model="numpy")
def annual_scale_nb(bar_seconds: float) -> float:
    """``sqrt(SECONDS_PER_YEAR / bar_seconds)``: the square root of the bars in a 365-day year."""
    return np.sqrt(SECONDS_PER_YEAR / bar_seconds)


@njit(cache=True, error_model="numpy")
def return_moments_nb(value: np.ndarray) -> tuple[float, float, float]:
    """``r.mean()``, ``r.std(ddof=1)``, ``sqrt(mean(minimum(r, 0) ** 2))`` of ``r = np.diff(value) / value[:-1]``."""
    n = value.shape[0] - 1
    total, downside = pairwise_sums_nb(value, n, SUM_RETURNS, 0.0)
    mean = total / n
    squares = pairwise_sums_nb(value, n, SUM_DEVIATIONS, mean)[0]
    return mean, np.sqrt(squares / (n - 1)), np.sqrt(downside / n)


@njit(cache=True, error_model="numpy")
def ratio_nb(mean: float, deviation: float, scale: float) -> float:
    """``mean / deviation * scale``: Sharpe (standard deviation) or Sortino (downside); NaN unless deviation > 0."""
    return mean / deviation * scale if deviation > 0.0 else np.nan


@njit(cache=True, error_model="numpy")
def peak_share_nb(deepest: float, peak: float) -> float:
    """The largest ``fall / peak`` of the bars under one running peak, from their largest fall."""
    # division rounds monotonically in the numerator: under a positive peak the deepest fall
    # gives the largest share, under a negative one the peak's own bar (fall 0) does
    return (deepest if peak > 0.0 else 0.0) / peak


@njit(cache=True, error_model="numpy")
def max_drawdown_nb(value: np.ndarray) -> tuple[float, float, int]:
    """``((peak - value) / peak).max()``, ``(peak - value).max()``, ``peak = np.maximum.accumulate(value)``,
    and the longest stretch in bars from a running peak to the first bar back at or above it (or the last bar)."""
    peak = value[0]
    deepest = 0.0  # the largest fall under the current peak
    worst = -np.inf
    worst_quote = 0.0
    nan_fall = False  # a NaN value, or an infinite peak: NumPy's maxima are NaN
    zero_peak = False  # 0 / 0 on a zero peak's own bar: the share is NaN
    high = value[0]  # the running peak for the duration (a bar back at it ends the stretch)
    at = 0
    longest = 0
    for t in range(value.shape[0]):
        v = value[t]
        if v >= high:
            high = v
            at = t
        longest = max(longest, t - at)
        if v > peak:
            worst = max(worst, peak_share_nb(deepest, peak))
            worst_quote = max(worst_quote, deepest)
            zero_peak |= peak == 0.0
            peak = v
            deepest = 0.0
        fall = peak - v
        deepest = max(deepest, fall)
        nan_fall |= np.isnan(fall)
    worst = max(worst, peak_share_nb(deepest, peak))
    worst_quote = max(worst_quote, deepest)
    zero_peak |= peak == 0.0
    if nan_fall:
        return np.nan, np.nan, longest
    return (np.nan if zero_peak else worst), worst_quote, longest


@njit(cache=True, error_model="numpy")
def cagr_nb(value: np.ndarray, bar_seconds: float) -> float:
    """Compound annual growth rate of an equity curve of bars ``bar_seconds`` long (-1 when it ends at or below 0)."""
    years = (value.shape[0] - 1) * bar_seconds / SECONDS_PER_YEAR
    growth = value[-1] / value[0]
    return growth ** (1.0 / years) - 1.0 if growth > 0.0 else -1.0


@njit(cache=True, error_model="numpy")
def calmar_nb(cagr: float, max_drawdown: float) -> float:
    """``cagr / max_drawdown``; ``inf`` when it grew without a drawdown, NaN when it did neither."""
    if max_drawdown > 0.0:
        return cagr / max_drawdown
    return np.inf if cagr > 0.0 else np.nan


#: Fields of :func:`equity_metrics_nb`'s result, in order.
EQUITY_METRICS = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown_pct",
    "max_drawdown_quote",
    "max_drawdown_bars",
)


@njit(cache=True, error_model="numpy")
def equity_metrics_nb(value: np.ndarray, bar_seconds: float) -> np.ndarray:
    """:data:`EQUITY_METRICS` of an equity curve, one value per bar (NaN ratios, 0 drawdowns below 2 values).

    Returns are ``r = np.diff(value) / value[:-1]`` (0 after a value of 0: a written-off account
    earns nothing); Sharpe ``mean(r) / std(r, ddof=1)``, Sortino ``mean(r) / sqrt(mean(minimum(r,
    0) ** 2))`` and volatility ``std(r, ddof=1)`` are annualised with the bars in a 365-day year;
    CAGR compounds over ``len(r)`` bars; Calmar is CAGR over the max drawdown.
    """
    out = np.full(len(EQUITY_METRICS), np.nan)
    if value.shape[0] < 2:
        out[0] = 0.0 if value.shape[0] == 1 else np.nan
        out[6], out[7], out[8] = 0.0, 0.0, 0.0
        return out
    mean, sd, downside = return_moments_nb(value)
    scale = annual_scale_nb(bar_seconds)
    drawdown, drawdown_quote, drawdown_bars = max_drawdown_nb(value)
    cagr = cagr_nb(value, bar_seconds)
    out[0] = value[-1] / value[0] - 1.0
    out[1] = cagr
    out[2] = sd * scale
    out[3] = ratio_nb(mean, sd, scale)
    out[4] = ratio_nb(mean, downside, scale)
    out[5] = calmar_nb(cagr, drawdown)
    out[6] = drawdown
    out[7] = drawdown_quote
    out[8] = drawdown_bars
    return out


@njit(cache=True, error_model="numpy")
def win_rate_nb(pnl: np.ndarray) -> float:
    """``(pnl > 0).mean()``: the share of executors with a positive net PnL; NaN without executors."""
    n = pnl.shape[0]
    if n == 0:
        return np.nan
    wins = 0
    for q in pnl:
        if q > 0.0:
            wins += 1
    return wins / n


@njit(cache=True, error_model="numpy")
def signed_sum_nb(pnl: np.ndarray, sign: float, scratch: np.ndarray) -> float:
    """``pnl[pnl * sign > 0].sum()``, the entries gathered in ``scratch`` (as long as ``pnl``)."""
    k = 0
    for q in pnl:
        if q * sign > 0.0:
            scratch[k] = q
            k += 1
    return sum_nb(scratch[:k])


@njit(cache=True, error_model="numpy")
def profit_factor_nb(pnl: np.ndarray) -> float:
    """``pnl[pnl > 0].sum() / -pnl[pnl < 0].sum()``; ``inf`` without losses, NaN without profit and loss."""
    if pnl.shape[0] == 0:
        return np.nan
    scratch = np.empty(pnl.shape[0])
    gains = signed_sum_nb(pnl, 1.0, scratch)
    losses = -signed_sum_nb(pnl, -1.0, scratch)
    if losses == 0.0:
        return np.inf if gains > 0.0 else np.nan
    return gains / losses


@njit(cache=True, error_model="numpy")
def trade_metrics_nb(pnl: np.ndarray) -> tuple[float, float, float, float]:
    """(net PnL, win rate, profit factor, expectancy: the mean net PnL per executor, NaN without) of net PnLs."""
    net = sum_nb(pnl)
    expectancy = net / pnl.shape[0] if pnl.shape[0] else np.nan
    return net, win_rate_nb(pnl), profit_factor_nb(pnl), expectancy


@njit(cache=True, error_model="numpy")
def net_pnl_pct_nb(net_pnl: float, capital: float) -> float:
    """``net_pnl / capital``; NaN without capital."""
    return net_pnl / capital if capital != 0.0 else np.nan
