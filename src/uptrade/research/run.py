"""Run a configured backtest: candles from the store, the combined signal, the chosen engine
(``run_hummingbot``: Hummingbot V2's rules; ``run_research``: vectorbt).

Research mode (vectorbt) keeps one position at a time and has no time limit, cooldown or
trailing activation; :func:`vectorbt_gaps` lists the settings of a config it cannot honour, and
the CLI prints them, so a result is never mistaken for what the bot would do.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

from uptrade.errors import ConfigError, NoDataError, ParameterError, SignalError
from uptrade.research.backtest import BacktestResult, run_backtest
from uptrade.research.config import BacktestConfig
from uptrade.research.vbt_mode import ResearchResult, run_vectorbt
from uptrade.signals import combine, compute_signal

if TYPE_CHECKING:
    from uptrade.data.store import Store


def demo_config(symbol: str = "BTC-USDT", timeframe: str = "1h", start: str | None = "2024-01-01") -> BacktestConfig:
    """The demo's strategy (as ``examples/sniper_btc_1h.yml``): SniperProX minor turns confirmed by VZOProX."""
    return BacktestConfig.model_validate(
        {
            "symbol": symbol,
            "timeframe": timeframe,
            "start": start,
            "signals": {
                "sources": {"sniper:minor": {}, "vzo:minor": {"vzo_length": 14}},
                "combine": {"mode": "confirm", "primary": "sniper:minor", "confirm_window": 3},
            },
            "executor": {
                "total_amount_quote": 1000,
                "max_executors_per_side": 1,
                "cooldown_time": 3600,
                "stop_loss": 0.03,
                "take_profit": 0.06,
                "time_limit": 259200,
                "trade_cost": 0.0006,
            },
        }
    )


def load_candles(store: Store, cfg: BacktestConfig) -> pd.DataFrame:
    """The config's candles from the store; ``NoDataError`` for an unknown symbol or when there are none.

    One market only: a portfolio's (``symbols``) come from :func:`uptrade.research.portfolio.load_markets`.
    """
    if cfg.is_portfolio:
        raise ConfigError(f"symbols: {', '.join(cfg.markets)} is a portfolio; this runs one market (symbol)")
    symbol = store.check_symbol(cfg.markets[0])
    candles = store.read_ohlcv(symbol, cfg.timeframe, start=cfg.start, end=cfg.end)
    if candles.empty:
        raise NoDataError(
            f"no {symbol} {cfg.timeframe} candles between {cfg.start or 'the start'} and {cfg.end or 'now'} "
            "in the store"
        )
    return candles


def combined_signal(
    candles: pd.DataFrame, cfg: BacktestConfig, cache: dict[str, pd.Series] | None = None
) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Each source's signal and their combination (int8 Series on the candles' index).

    ``cache`` (source and parameters -> signal) lets many configs on the same candles compute
    each source signal once; a source's bad parameter is a ``ConfigError`` naming it.
    """
    signals = {}
    for name, params in cfg.signals.sources.items():
        key = json.dumps([name, params], sort_keys=True, default=str)
        value = None if cache is None else cache.get(key)
        if value is None:
            try:
                value = compute_signal(candles, name, **params)
            except (ParameterError, SignalError) as exc:
                raise ConfigError(f"{name} {params}: {exc}") from None
            if cache is not None:
                cache[key] = value
        signals[name] = value
    return combine(signals, **cfg.signals.combine.model_dump()), signals


def vectorbt_gaps(cfg: BacktestConfig) -> list[str]:
    """The executor settings research mode does not model (empty when it models them all)."""
    ex = cfg.executor
    gaps = []
    if ex.max_executors_per_side > 1:
        gaps.append(f"max_executors_per_side={ex.max_executors_per_side} (one position at a time)")
    if ex.cooldown_time:
        gaps.append(f"cooldown_time={ex.cooldown_time}s")
    if ex.time_limit:
        gaps.append(f"time_limit={ex.time_limit}s")
    if ex.trailing_stop is not None:
        gaps.append("trailing_stop activation (trails from the entry by stop_loss)")
    if ex.leverage != 1:
        gaps.append(f"leverage={ex.leverage}")
    return gaps


def run_research(cfg: BacktestConfig, candles: pd.DataFrame) -> tuple[ResearchResult, pd.Series]:
    """The vectorbt backtest of ``cfg`` on ``candles``; also returns the combined signal."""
    signal, _ = combined_signal(candles, cfg)
    ex = cfg.executor
    result = run_vectorbt(
        candles,
        signal,
        amount_quote=ex.amount_quote,
        init_cash=cfg.initial_capital,
        fees=ex.trade_cost,
        slippage=ex.slippage,
        stop_loss=ex.stop_loss,
        take_profit=ex.take_profit,
        trailing_stop=ex.trailing_stop is not None and ex.stop_loss is not None,
        timeframe=cfg.timeframe,
    )
    return result, signal


def run_hummingbot(cfg: BacktestConfig, candles: pd.DataFrame) -> tuple[BacktestResult, pd.Series]:
    """The Hummingbot-faithful backtest of ``cfg`` on ``candles``; also returns the combined signal."""
    signal, _ = combined_signal(candles, cfg)
    return run_backtest(candles, signal, cfg.executor, cfg.timeframe, cfg.account), signal
