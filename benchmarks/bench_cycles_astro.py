"""Astro speed against the goal of issue 5: 1,000,000 timestamps x ten bodies in under 2 s on two cores.

The ephemeris tables are built (or loaded from ``<home>/cache/astro``) and the kernels compiled
during a warm-up; then ``planet_longitude`` runs on one million 1-minute UTC timestamps for the
Sun, the Moon and Mercury .. Pluto, best of 3. Also printed: each table's size and its measured
interpolation error (largest difference from skyfield at 500 random instants, arcseconds).

    python benchmarks/bench_cycles_astro.py
"""

from __future__ import annotations

import time

import numba
import pandas as pd

from uptrade.indicators import astro_tables
from uptrade.indicators.astro import PLANETS, planet_longitude


def bench_astro(n: int = 1_000_000, runs: int = 3) -> float:
    """Seconds for ``n`` timestamps x the ten planets (best of ``runs``), after a warm-up."""
    times = pd.date_range("2020-01-01", periods=n, freq="1min", tz="UTC")
    start = time.perf_counter()
    for body in PLANETS:
        planet_longitude(times[:10], body)
    warm = time.perf_counter() - start
    print(f"\nastro: warm-up (tables + kernels) {warm:.2f} s, numba threads {numba.get_num_threads()}")
    print(f"{'body':<9} {'rows':>8} {'step d':>7} {'MB':>6} {'interp err (arcsec)':>20}")
    for body in PLANETS:
        tab = astro_tables.table(body)
        err = astro_tables.interpolation_error(body, 500)
        print(f"{body:<9} {tab.data.shape[0]:8,} {tab.step:7.1f} {tab.data.nbytes / 1e6:6.2f} {err:20.2e}")
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for body in PLANETS:
            planet_longitude(times, body)
        best = min(best, time.perf_counter() - start)
    print(f"{n:,} timestamps x {len(PLANETS)} bodies: {best:.3f} s (goal < 2 s)")
    return best


def main() -> None:
    bench_astro()


if __name__ == "__main__":
    main()
