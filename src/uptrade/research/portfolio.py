"""Portfolio backtests: one config over several markets (``symbols: [...]``) from one shared account.

Each market runs the Hummingbot-faithful engine (:mod:`uptrade.research.backtest`) on its own
candles with the config's signals and executor, as one directional controller per trading pair
would (freqtrade's pairs). Their executors then share one account
(:func:`~uptrade.research.engine_nb.account_nb`), marked every bar on the union of the markets'
bar times (a market's close carried forward over bars it lacks): the account's capital
(``initial_capital``, by default each market's ``total_amount_quote`` summed), its equity, and one
liquidation for all: when the shared equity can no longer carry the positions, every market's
open executors close at that bar and none opens after.

The statistics are those of a single backtest (:mod:`uptrade.research.stats`) on the shared
equity; the per-market table gives each market's executors, PnL and its share of the total, win
rate, profit factor, expectancy, exposure and the market's own buy-and-hold return. The benchmark
is buy-and-hold of the capital split equally across the markets, each bought at its first bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from uptrade.data.timeframes import parse_timeframe
from uptrade.errors import NoDataError
from uptrade.research.backtest import engine_bars, executors_frame
from uptrade.research.config import BacktestConfig
from uptrade.research.engine_nb import (
    X_INITIAL_CAPITAL,
    X_TRADE_COST,
    account_nb,
    backtest_nb,
    exposure_nb,
    liquidate_nb,
)
from uptrade.research.run import combined_signal
from uptrade.research.stats import monthly_returns, summarize, trade_stats

if TYPE_CHECKING:
    from uptrade.data.store import Store


class PortfolioResult(NamedTuple):
    """The shared account's executors (with their ``symbol``), equity, statistics, per-market table,
    equal-weight buy-and-hold benchmark, monthly returns and each market's combined signal."""

    executors: pd.DataFrame
    equity: pd.Series
    stats: dict[str, object]
    markets: pd.DataFrame
    benchmark: pd.Series
    monthly: pd.DataFrame
    signals: dict[str, pd.Series]


def load_markets(store: Store, cfg: BacktestConfig) -> dict[str, pd.DataFrame]:
    """Each market's candles from the store; ``NoDataError`` names every market without any."""
    known = [store.check_symbol(s) for s in cfg.markets]
    out = {s: store.read_ohlcv(s, cfg.timeframe, start=cfg.start, end=cfg.end) for s in known}
    empty = [s for s, c in out.items() if c.empty]
    if empty:
        raise NoDataError(
            f"no {cfg.timeframe} candles for {', '.join(empty)} between {cfg.start or 'the start'} and "
            f"{cfg.end or 'now'} in the store"
        )
    return out


def run_portfolio(
    cfg: BacktestConfig, candles: dict[str, pd.DataFrame], caches: dict[str, dict[str, pd.Series]] | None = None
) -> PortfolioResult:
    """Backtest ``cfg`` on every market of ``candles`` from one shared account (module docstring).

    ``caches`` (market -> source signals) lets many configs on the same candles compute each
    market's source signals once (:func:`~uptrade.research.run.combined_signal`).
    """
    x = cfg.kernel_row()
    tf = parse_timeframe(cfg.timeframe)
    names = list(candles)
    bars = {s: engine_bars(candles[s]) for s in names}
    times = pd.DatetimeIndex(sorted(set().union(*(b.index for b in bars.values()))))
    if len(times) < 2:
        raise NoDataError(f"{', '.join(names)} {cfg.timeframe}: fewer than 2 bars with prices")
    closes = np.column_stack(
        [pd.Series(bars[s].close, index=bars[s].index).reindex(times).ffill().to_numpy() for s in names]
    )
    signals: dict[str, pd.Series] = {}
    parts = []
    for k, s in enumerate(names):
        b = bars[s]
        signal = combined_signal(candles[s], cfg, None if caches is None else caches.setdefault(s, {}))[0]
        signals[s] = signal
        sig = np.ascontiguousarray(signal.to_numpy()[b.keep])
        o, side, c, kind, frac, notional = backtest_nb(b.ts, b.high, b.low, b.close, sig, x)
        at = times.get_indexer(b.index)  # the market's bars on the shared time axis
        parts.append((np.full(len(o), k), at[o], side, at[c], kind, frac, notional))
    col, o_bar, side, c_bar, kind, frac, notional = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.argsort(o_bar, kind="stable")
    col, o_bar, side, c_bar, kind, frac, notional = (
        np.ascontiguousarray(a[order]) for a in (col, o_bar, side, c_bar, kind, frac, notional)
    )
    value, ruin, shortfall = account_nb(closes, col, o_bar, c_bar, side, notional, frac, x)
    if ruin >= 0:
        keep = liquidate_nb(closes, col, o_bar, side, c_bar, kind, frac, notional, ruin, x[X_TRADE_COST])
        col, o_bar, side, c_bar, kind, frac, notional = (
            a[keep] for a in (col, o_bar, side, c_bar, kind, frac, notional)
        )
    executors = executors_frame(
        times, closes[o_bar, col], closes[c_bar, col], o_bar, c_bar, side, kind, frac, notional, cfg.executor
    )
    executors.insert(0, "symbol", np.asarray(names, dtype=object)[col])
    capital = float(x[X_INITIAL_CAPITAL])
    equity = pd.Series(value, index=times, name="equity")
    benchmark = equal_weight_hold(closes, times, capital)
    exposure = exposure_nb(o_bar, c_bar, len(times))
    stats = summarize(
        executors,
        equity,
        exposure,
        capital,
        tf.seconds,
        ruined_at=times[ruin] if ruin >= 0 else None,
        shortfall=shortfall,
        benchmark=benchmark,
    )
    table = market_table(executors, names, closes, times)
    return PortfolioResult(executors, equity, stats, table, benchmark, monthly_returns(equity), signals)


def equal_weight_hold(closes: np.ndarray, times: pd.DatetimeIndex, capital: float) -> pd.Series:
    """``capital`` split equally across the markets, each bought at its first close and held (no fees)."""
    share = capital / closes.shape[1]
    value = np.zeros(closes.shape[0])
    for k in range(closes.shape[1]):
        c = closes[:, k]
        first = int(np.flatnonzero(~np.isnan(c))[0])
        value += np.where(np.arange(len(c)) < first, share, share * c / c[first])
    return pd.Series(value, index=times, name="buy_and_hold")


def market_table(
    executors: pd.DataFrame, names: list[str], closes: np.ndarray, times: pd.DatetimeIndex
) -> pd.DataFrame:
    """One row per market: its executors' statistics, share of the net PnL, exposure and buy-and-hold return."""
    total = float(executors["net_pnl_quote"].sum())
    rows = []
    for k, s in enumerate(names):
        mine = executors[executors["symbol"] == s]
        t = trade_stats(mine)
        opened, closed = times.get_indexer(mine["open_time"]), times.get_indexer(mine["close_time"])
        c = closes[:, k]
        valid = c[~np.isnan(c)]
        rows.append(
            {
                "symbol": s,
                "executors": t["executors"],
                "net_pnl_quote": t["net_pnl_quote"],
                "pnl_share": t["net_pnl_quote"] / total if total else np.nan,
                "win_rate": t["win_rate"],
                "profit_factor": t["profit_factor"],
                "expectancy_quote": t["expectancy_quote"],
                "exposure": exposure_nb(opened, closed, len(times)),
                "buy_and_hold_return": float(valid[-1] / valid[0] - 1.0),
            }
        )
    return pd.DataFrame(rows).set_index("symbol")
