"""Retrograde stations and exact aspect times, found on the interpolated ephemeris of :mod:`.astro`.

Both scan a function of TT on a half-day grid and refine every sign change by bisection to
~1e-6 day (0.1 s); event times are then converted to UTC and rounded to the minute. Aspect scans
also split a grid step at any turning point of the separation (found the same way from the
relative speed), so a near-tangent pair of exact aspects inside one step is not missed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from uptrade.errors import ParameterError
from uptrade.indicators.astro import (
    ASPECTS,
    check_body,
    check_range,
    evaluate,
    to_utc_index,
    tt_days,
    utc_from_tt,
)

SCAN_STEP = 0.5  # days: below the time between two turning points of any body or pair
STATION_BODIES = ("mercury", "venus", "mars", "jupiter", "saturn", "uranus", "neptune", "pluto", "true_node")
#: Exact separations (lon_a - lon_b) mod 360 scanned by :func:`aspect_events`, with their aspect.
SEPARATIONS = {
    0.0: "conjunction", 60.0: "sextile", 90.0: "square", 120.0: "trine",
    180.0: "opposition", 240.0: "trine", 270.0: "square", 300.0: "sextile",
}  # fmt: skip


def _span(start: Any, end: Any) -> tuple[float, float]:
    index, _ = to_utc_index([start, end])
    if index.hasnans:
        raise ParameterError(f"start/end: cannot read {start!r} .. {end!r} as timestamps")
    check_range(index)
    if index[1] <= index[0]:
        raise ParameterError(f"end: {index[1].isoformat()} must be after start {index[0].isoformat()}")
    tt = tt_days(index)
    return float(tt[0]), float(tt[1])


def _bisect(f: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Roots of ``f`` in brackets ``[lo, hi]`` where ``f`` changes sign, all brackets at once."""
    lo, hi = lo.copy(), hi.copy()
    if lo.size == 0:
        return lo
    f_lo = f(lo)
    while np.max(hi - lo) > tol:
        mid = 0.5 * (lo + hi)
        f_mid = f(mid)
        left = np.sign(f_mid) == np.sign(f_lo)
        lo = np.where(left, mid, lo)
        f_lo = np.where(left, f_mid, f_lo)
        hi = np.where(left, hi, mid)
    return 0.5 * (lo + hi)


def _grid(t0: float, t1: float) -> np.ndarray:
    n = max(int(np.ceil((t1 - t0) / SCAN_STEP)), 1)
    return np.linspace(t0, t1, n + 1)


def stations(body: str, start: Any, end: Any) -> pd.DataFrame:
    """Times the longitude's motion changes direction between ``start`` and ``end`` (UTC).

    Columns: ``time`` (UTC, rounded to the minute), ``kind`` (``"retrograde"`` where the
    speed turns negative, ``"direct"`` where it turns positive) and ``longitude`` (tropical, at
    the station). The Sun, the Moon and the mean node never station: a ``ValueError``.
    """
    key = check_body(body)
    if key not in STATION_BODIES:
        raise ParameterError(f"body: {key} has no stations (its motion never changes direction); use one of "
                         f"{', '.join(STATION_BODIES)}")  # fmt: skip
    t0, t1 = _span(start, end)
    grid = _grid(t0, t1)

    def spd(tt: np.ndarray) -> np.ndarray:
        return evaluate(tt, key, want_speed=True)[1]

    s = spd(grid)
    i = np.flatnonzero(np.sign(s[:-1]) * np.sign(s[1:]) < 0)
    roots = _bisect(spd, grid[i], grid[i + 1])
    lon = evaluate(roots, key)[0]
    return pd.DataFrame(
        {
            "time": utc_from_tt(roots).round("min"),
            "kind": np.where(s[i] > 0, "retrograde", "direct"),
            "longitude": lon,
        }
    )


def _aspect_angles(aspects: Iterable[str] | None) -> list[float]:
    if aspects is None:
        return list(SEPARATIONS)
    names = [str(a).strip().lower() for a in ([aspects] if isinstance(aspects, str) else aspects)]
    unknown = [a for a in names if a not in ASPECTS]
    if unknown or not names:
        raise ParameterError(f"aspects: unknown {unknown or names!r}; choose from {', '.join(ASPECTS)}")
    return [angle for angle, name in SEPARATIONS.items() if name in names]


def aspect_events(body_a: str, body_b: str, start: Any, end: Any, aspects: Iterable[str] | None = None) -> pd.DataFrame:
    """Every time between ``start`` and ``end`` that ``(lon_a - lon_b) mod 360`` equals an aspect angle.

    Separations 0, 60, 90, 120, 180, 240, 270 and 300 degrees (``aspects`` picks names among
    conjunction, sextile, square, trine, opposition). Columns: ``time`` (UTC, rounded to the
    minute), ``body_a``, ``body_b``, ``aspect``, ``angle`` (the separation) and both longitudes at
    the exact instant; sorted by time.
    """
    a, b = check_body(body_a), check_body(body_b)
    if a == b:
        raise ParameterError(f"body_b: must differ from body_a ({a})")
    angles = _aspect_angles(aspects)
    t0, t1 = _span(start, end)
    grid = _grid(t0, t1)

    def diff(tt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        la, sa = evaluate(tt, a, want_speed=True)
        lb, sb = evaluate(tt, b, want_speed=True)
        return la - lb, sa - sb

    d, rel = diff(grid)
    # split steps at turning points of the separation, so every exact crossing is a sign change
    turn = np.flatnonzero(np.sign(rel[:-1]) * np.sign(rel[1:]) < 0)
    if turn.size:
        extra = _bisect(lambda tt: diff(tt)[1], grid[turn], grid[turn + 1])
        grid = np.sort(np.concatenate([grid, extra]))
        d, _ = diff(grid)
    rows: list[pd.DataFrame] = []
    for angle in angles:

        def off(tt: np.ndarray, angle: float = angle) -> np.ndarray:
            return (diff(tt)[0] - angle + 180.0) % 360.0 - 180.0

        g = (d - angle + 180.0) % 360.0 - 180.0
        i = np.flatnonzero((np.sign(g[:-1]) * np.sign(g[1:]) <= 0) & (np.abs(g[:-1]) < 90) & (np.abs(g[1:]) < 90))
        i = i[g[i + 1] != 0]  # a zero on a grid point is found once, from the step that ends there
        if i.size == 0:
            continue
        roots = _bisect(off, grid[i], grid[i + 1])
        rows.append(
            pd.DataFrame(
                {
                    "tt": roots,
                    "body_a": a,
                    "body_b": b,
                    "aspect": SEPARATIONS[angle],
                    "angle": angle,
                    "lon_a": evaluate(roots, a)[0],
                    "lon_b": evaluate(roots, b)[0],
                }
            )
        )
    if not rows:
        cols = ["time", "body_a", "body_b", "aspect", "angle", "lon_a", "lon_b"]
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns, UTC]" if c == "time" else object) for c in cols})
    out = pd.concat(rows, ignore_index=True).sort_values("tt", ignore_index=True)
    out.insert(0, "time", utc_from_tt(out.pop("tt").to_numpy()).round("min"))
    return out
