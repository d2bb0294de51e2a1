"""A plain reading of Hummingbot's directional backtest rules (docs/hummingbot-backtest.md), written
with pandas the way its simulator is: per executor, the first timestamp of each barrier, then the
earliest wins with ties in the order TP, SL, TS, TL. Independent of uptrade.research.engine_nb."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def simulate(df: pd.DataFrame, start: float, side: int, cfg: dict) -> tuple[float, str, float]:
    """(close timestamp, close type, net pnl fraction) of an executor created at ``start``."""
    last_ts = float(df.index[-1])
    tl_ts = start + cfg["time_limit"] if cfg["time_limit"] else last_ts
    w = df.loc[start : min(tl_ts, last_ts)]
    entry = w["close"].iloc[0]
    pnl = side * (w["close"] / entry - 1.0) - 2.0 * cfg["trade_cost"]
    cands: dict[str, float] = {}
    if cfg["take_profit"]:
        hit = w.index[pnl > cfg["take_profit"]]
        if len(hit):
            cands["take_profit"] = hit[0]
    if cfg["stop_loss"]:
        level = entry * (1 - side * cfg["stop_loss"])
        hit = w.index[w["low"] <= level] if side == 1 else w.index[w["high"] >= level]
        if len(hit):
            cands["stop_loss"] = hit[0]
    if cfg["trailing"]:
        act, delta = cfg["trailing"]
        armed = (pnl > act).cummax()
        trail = (pnl - delta).cummax()
        hit = w.index[armed & (pnl < trail)]
        if len(hit):
            cands["trailing_stop"] = hit[0]
    cands["time_limit"] = float(w.index[-1])
    best = min(cands.values())
    for kind in ("take_profit", "stop_loss", "trailing_stop", "time_limit"):
        if kind in cands and cands[kind] == best:
            return best, kind, float(pnl.loc[best])
    raise AssertionError("unreachable")


def backtest(df: pd.DataFrame, signal: np.ndarray, cfg: dict) -> list[dict]:
    """Executors (dicts) created bar by bar with the engine's creation rules."""
    out: list[dict] = []
    for i, t in enumerate(df.index):
        s = int(signal[i])
        if s == 0:
            continue
        active = [e for e in out if e["open_ts"] < t < e["close_ts"]]
        # Hummingbot's lambda: longs count active longs, shorts count every active executor
        chosen = [e for e in active if e["side"] == 1] if s > 0 else active
        latest = max((e["open_ts"] for e in chosen), default=0.0)
        if len(chosen) >= cfg["max_per_side"] or not (t - latest > cfg["cooldown"]):
            continue
        side = 1 if s > 0 else -1
        close_ts, kind, frac = simulate(df, t, side, cfg)
        notional = cfg["total"] / df["close"].iloc[i] / cfg["max_per_side"] * df["close"].iloc[i]
        out.append({"open_ts": t, "close_ts": close_ts, "side": side, "close_type": kind, "pnl": frac * notional})
    return out


def frame(candles: pd.DataFrame) -> pd.DataFrame:
    """Candles indexed by float seconds (Hummingbot's index)."""
    idx = (candles.index.as_unit("ns").asi8 // 1_000_000_000).astype(float)
    return pd.DataFrame({c: candles[c].to_numpy() for c in ("high", "low", "close")}, index=idx)


def is_close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
