"""Astro precision against Swiss Ephemeris (pyswisseph with its .se1 files), per body, in one run.

At N seeded random UTC instants across 1900-2050 (the range DE421 covers), the largest
difference in ecliptic longitude (arcseconds) between ``planet_longitude`` and Swiss Ephemeris:

* at the same TT (``swe.calc`` at our TT): the ephemerides and the reduction alone;
* at the same UTC: ``swe.calc`` at the TT that ``swe.utc_to_jd`` makes of the UTC time. Where
  the two readings of UTC agree within half a second (every instant up to autumn 2033: Delta T
  observed before 1972, leap seconds since), and where they do not: from late 2033 Swiss
  Ephemeris takes a UTC time as UT1 plus its predicted Delta T, while we keep TT - UTC =
  69.184 s (no leap second since 2016). The last column moves our position by our speed times
  the difference of the two TTs, which leaves what is not Delta T.

The goal (issue 20) is < 1" for every body; the anchor column is the same-TT difference.

    python benchmarks/bench_astro_accuracy.py [--instants 3000]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import swisseph as swe
import xingpan_ephemeris

from uptrade.indicators.astro import BODIES, planet_longitude, speed, tt_days

IDS = {
    "sun": swe.SUN,
    "moon": swe.MOON,
    "mercury": swe.MERCURY,
    "venus": swe.VENUS,
    "mars": swe.MARS,
    "jupiter": swe.JUPITER,
    "saturn": swe.SATURN,
    "uranus": swe.URANUS,
    "neptune": swe.NEPTUNE,
    "pluto": swe.PLUTO,
    "mean_node": swe.MEAN_NODE,
    "true_node": swe.TRUE_NODE,
}
#: Seconds between the two readings of one UTC time above which Swiss Ephemeris is predicting Delta T.
PREDICTED = 0.5


def arcsec(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((a - b + 180.0) % 360.0 - 180.0) * 3600.0


def swiss_tt(t: pd.Timestamp) -> float:
    """Swiss Ephemeris' own reading of a UTC time as TT (Julian day)."""
    sec = t.second + t.microsecond / 1e6 + t.nanosecond / 1e9
    return swe.utc_to_jd(t.year, t.month, t.day, t.hour, t.minute, sec, swe.GREG_CAL)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instants", type=int, default=3000)
    args = parser.parse_args()
    swe.set_ephe_path(xingpan_ephemeris.get_ephe_path())
    rng = np.random.default_rng(12345)
    lo, hi = pd.Timestamp("1900-01-01", tz="UTC").value, pd.Timestamp("2051-01-01", tz="UTC").value
    times = pd.DatetimeIndex(pd.to_datetime(np.sort(rng.integers(lo, hi, args.instants)), unit="ns", utc=True))
    jd_tt = tt_days(times) + 2451545.0
    jd_swiss = np.array([swiss_tt(t) for t in times])
    late = np.abs(jd_tt - jd_swiss) * 86400.0 > PREDICTED
    print(f"{args.instants:,} random UTC instants 1900-2050, worst |ours - Swiss| in arcseconds (goal < 1)")
    print(f"same UTC read alike by both: {(~late).sum():,} instants; Swiss predicting Delta T: {late.sum():,}")
    print(f"{'body':<10} {'same TT':>8} {'UTC alike':>10} {'UTC, pred.':>10} {'pred. less Delta T':>19}")
    worst = 0.0
    for body in BODIES:
        ours = planet_longitude(times, body).to_numpy()
        flags = swe.FLG_SWIEPH
        at_tt = np.array([swe.calc(j, IDS[body], flags)[0][0] for j in jd_tt])
        at_ut = np.array([swe.calc(j, IDS[body], flags)[0][0] for j in jd_swiss])
        moved = ours - speed(times, body).to_numpy() * (jd_tt - jd_swiss)  # ours at Swiss' TT
        same_tt, same_ut = arcsec(ours, at_tt), arcsec(ours, at_ut)
        explained = arcsec(moved, at_ut)
        worst = max(worst, same_tt.max(), same_ut[~late].max(), explained[late].max())
        print(
            f"{body:<10} {same_tt.max():8.4f} {same_ut[~late].max():10.4f} {same_ut[late].max():10.4f} "
            f"{explained[late].max():19.4f}"
        )
    print(f'worst outside Swiss\' predicted Delta T: {worst:.4f}" (goal < 1")')


if __name__ == "__main__":
    main()
