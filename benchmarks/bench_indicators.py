"""Kernel speed against TA-Lib on the same 10,000,000 bars (real BTC/USDT 1m closes, tiled).

Prints, per kernel, the best of 5 runs for ours and for TA-Lib and the ratio (goal: <= 1.0x).
Both sides allocate their output with NumPy (TA-Lib's wrapper does it itself).
So far: SMA, EMA, WMA, LINEARREG, MAX, MIN; DEMA, TEMA, TRIMA, KAMA, T3 and ADX join as they
are built.

    python benchmarks/bench_indicators.py [--bars N] [--window W]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import talib

from uptrade.data.io import read_table
from uptrade.indicators.nb import ema_nb, linreg_nb, rolling_extreme_nb, sma_nb, wma_nb

MARKET = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"


def best(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=10_000_000)
    parser.add_argument("--window", type=int, default=30)
    args = parser.parse_args()
    closes = read_table(MARKET / "btcusdt_1m_binance.csv.gz").table["close"].to_numpy("float64")
    x = np.resize(closes, args.bars)
    n = args.window
    pairs = {
        "SMA": (lambda: sma_nb(x, n, np.empty_like(x)), lambda: talib.SMA(x, n)),
        "EMA": (lambda: ema_nb(x, n, np.nan, np.empty_like(x)), lambda: talib.EMA(x, n)),
        "WMA": (lambda: wma_nb(x, n, np.empty_like(x)), lambda: talib.WMA(x, n)),
        "LINEARREG": (lambda: linreg_nb(x, n, np.empty_like(x)), lambda: talib.LINEARREG(x, n)),
        "MAX": (lambda: rolling_extreme_nb(x, n, True, np.empty_like(x)), lambda: talib.MAX(x, n)),
        "MIN": (lambda: rolling_extreme_nb(x, n, False, np.empty_like(x)), lambda: talib.MIN(x, n)),
    }
    print(f"{len(x):,} bars, window {n}; best of 5")
    print(f"{'kernel':<10} {'ours ms':>9} {'TA-Lib ms':>10} {'ratio':>7}")
    for name, (ours, ref) in pairs.items():
        ours()  # compile / load from the numba cache
        a, b = best(ours), best(ref)
        print(f"{name:<10} {a * 1e3:9.1f} {b * 1e3:10.1f} {a / b:6.2f}x")


if __name__ == "__main__":
    main()
