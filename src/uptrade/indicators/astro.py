"""Planetary longitudes, speeds, zodiac, nakshatras, aspects and midpoints (``INDICATORS.md`` section 5).

``planet_longitude(times, "mars")`` gives the geocentric apparent ecliptic longitude (degrees in
``[0, 360)``, true ecliptic and equinox of date) from JPL DE421 via skyfield, sampled once on a
uniform TT grid and interpolated by a numba kernel (:mod:`uptrade.indicators.astro_tables`): a
million timestamps cost milliseconds per body. Valid for 1900-01-01 .. 2050-12-31 UTC; outside it
:class:`AstroRangeError`.

Times are anything :func:`pandas.to_datetime` reads; naive means UTC. From 1972 they are UTC
(leap seconds: TT = UTC + 32.184 s + TAI-UTC, and TAI-UTC stays 37 s after 2016, as in Swiss
Ephemeris and skyfield); before 1972 they are taken as UT1 (TT = UT1 + Delta T: skyfield's, with
the observed values from 1955, :func:`uptrade.indicators.astro_tables.delta_t`).
A DatetimeIndex or Series of times gives a Series indexed by the times, a scalar a float,
anything else an ndarray.

Accuracy, measured against Swiss Ephemeris 2.10 with its .se1 files at random instants 1900-2050
(``tests/test_astro.py``; details in ``docs/astro.md``): at the same TT, Sun..Saturn within 0.03",
Uranus/Neptune/Pluto within 0.31" (barycentre differences between DE421 and Swiss' files) and the
Moon within 0.011" (DE421 against Swiss' DE431-based files). Given the same UTC
(``swe.utc_to_jd`` then ``calc_ut``) the differences are the same up to the two Delta T tables
before 1972 (Moon 0.033"), until 2033. From 2034 Swiss' predicted Delta T exceeds TT - UTC by
over a second and it takes UTC as UT1, while we keep TT - UTC = 69.184 s (no new leap seconds):
that moves the Moon up to 3.5" by 2050, and the tests show the gap is exactly the Delta T
difference. Mean node within 0.11", true (osculating) node within 0.14", Lahiri ayanamsa within
0.14" (a constant 0.13" offset). Interpolation adds < 0.002".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptrade.errors import DataFormatError, ParameterError, UpTradeError
from uptrade.indicators import astro_tables as at
from uptrade.indicators.nb.astro import longitude_nb, tt_from_utc_nb

PLANETS = ("sun", "moon", "mercury", "venus", "mars", "jupiter", "saturn", "uranus", "neptune", "pluto")
BODIES = (*PLANETS, "mean_node", "true_node")
FRAMES = ("tropical", "sidereal")
SIGNS = (
    "Aries", "Taurus", "Gemini", "Cancer", "Leo", "Virgo",
    "Libra", "Scorpio", "Sagittarius", "Capricorn", "Aquarius", "Pisces",
)  # fmt: skip
NAKSHATRAS = (
    "Ashwini", "Bharani", "Krittika", "Rohini", "Mrigashira", "Ardra", "Punarvasu", "Pushya", "Ashlesha",
    "Magha", "Purva Phalguni", "Uttara Phalguni", "Hasta", "Chitra", "Swati", "Vishakha", "Anuradha",
    "Jyeshtha", "Mula", "Purva Ashadha", "Uttara Ashadha", "Shravana", "Dhanishta", "Shatabhisha",
    "Purva Bhadrapada", "Uttara Bhadrapada", "Revati",
)  # fmt: skip
ASPECTS = {"conjunction": 0.0, "sextile": 60.0, "square": 90.0, "trine": 120.0, "opposition": 180.0}
VALID_START = pd.Timestamp("1900-01-01", tz="UTC")
VALID_END = pd.Timestamp("2051-01-01", tz="UTC")  # exclusive: the range ends with 2050-12-31


class AstroRangeError(UpTradeError, ValueError):
    """A timestamp lies outside the ephemeris range 1900-01-01 .. 2050-12-31 UTC."""


def check_body(body: str, allowed: tuple[str, ...] = BODIES) -> str:
    """The normalised body name, or a ``ValueError`` listing the valid ones."""
    key = str(body).strip().lower().replace(" ", "_")
    if key not in allowed:
        raise ParameterError(f"body: unknown body {body!r}; choose one of {', '.join(allowed)}")
    return key


def check_frame(frame: str) -> str:
    """``"tropical"`` or ``"sidereal"``, else a ``ValueError``."""
    key = str(frame).strip().lower()
    if key not in FRAMES:
        raise ParameterError(f"frame: must be 'tropical' or 'sidereal', got {frame!r}")
    return key


def to_utc_index(times: Any) -> tuple[pd.DatetimeIndex, str]:
    """``times`` as a UTC nanosecond DatetimeIndex and the output kind: ``"series"``, ``"scalar"`` or ``"array"``."""
    if isinstance(times, pd.DatetimeIndex):
        kind = "series"
    elif isinstance(times, pd.Series):
        kind = "series"
        times = times.to_numpy()
    elif isinstance(times, (str, pd.Timestamp, np.datetime64)) or np.ndim(times) == 0:
        kind = "scalar"
        times = [times]
    else:
        kind = "array"
    try:
        try:
            index = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
        except ValueError:  # strings in several formats, e.g. a date and a date-time
            index = pd.DatetimeIndex(pd.to_datetime(times, utc=True, format="mixed"))
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"times: cannot read {times!r} as timestamps ({exc})") from None
    return index.as_unit("ns"), kind


def check_range(index: pd.DatetimeIndex) -> None:
    """:class:`AstroRangeError` naming the first timestamp outside 1900-01-01 .. 2050-12-31 UTC."""
    ns = index.asi8
    ok = index.notna()
    bad = ok & ((ns < VALID_START.value) | (ns >= VALID_END.value))
    if bad.any():
        first = index[np.flatnonzero(bad)[0]]
        raise AstroRangeError(
            f"times: {first.isoformat()} is outside the ephemeris range 1900-01-01 .. 2050-12-31 UTC "
            f"(JPL {at.KERNEL.upper()})"
        )


def tt_days(index: pd.DatetimeIndex) -> np.ndarray:
    """TT days since J2000 (NaN for NaT) of checked UTC timestamps."""
    tt = at.time_table()
    out = np.empty(len(index))
    tt_from_utc_nb(np.ascontiguousarray(index.as_unit("ns").asi8), tt.first_day, tt.start, tt.end, out)
    return out


def utc_from_tt(tt: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps of TT days since J2000 (the inverse of :func:`tt_days`, to about a microsecond)."""
    table = at.time_table()
    tt = np.asarray(tt, dtype=np.float64)
    utc_days = tt + 0.5  # days since 2000-01-01 00:00 UTC, refined below
    for _ in range(3):
        day = np.floor(utc_days + 10957)
        frac = utc_days + 10957 - day
        j = np.clip(day.astype(np.int64) - table.first_day, 0, table.start.shape[0] - 1)
        dt = table.start[j] + frac * (table.end[j] - table.start[j])
        utc_days = tt + 0.5 - dt / 86400.0
    ns = np.round((utc_days + 10957) * 86400e9).astype(np.int64)
    return pd.DatetimeIndex(pd.to_datetime(ns, unit="ns", utc=True))


def evaluate(
    tt: np.ndarray, body: str, frame: str = "tropical", apparent: bool = True, want_speed: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude (degrees) and, with ``want_speed``, speed (degrees/day) at TT days since J2000."""
    tab = at.table(body, apparent)
    tt = np.ascontiguousarray(tt, dtype=np.float64)
    lon = np.empty(tt.shape[0])
    spd = np.empty(tt.shape[0] if want_speed else 0)
    longitude_nb(tab.data, tab.t0, tab.step, tt, tab.deflect, frame == "sidereal", want_speed, lon, spd)
    return lon, spd


def _shape(values: np.ndarray, index: pd.DatetimeIndex, kind: str, name: str) -> Any:
    if kind == "series":
        return pd.Series(values, index=index, name=name)
    if kind == "scalar":
        return float(values[0])
    return values


def planet_longitude(times: Any, body: str, *, frame: str = "tropical", apparent: bool = True) -> Any:
    """Geocentric ecliptic longitude (degrees, ``[0, 360)``) of ``body`` at ``times``.

    ``frame="tropical"``: true equinox of date; ``"sidereal"``: minus the Lahiri ayanamsa (with
    nutation, as Swiss Ephemeris). ``apparent=False`` gives the astrometric position (light-time
    only: no aberration, no light deflection), still in the ecliptic of date; the nodes ignore it.
    """
    key, fr = check_body(body), check_frame(frame)
    index, kind = to_utc_index(times)
    check_range(index)
    lon, _ = evaluate(tt_days(index), key, fr, apparent)
    return _shape(lon, index, kind, key)


def speed(times: Any, body: str, *, frame: str = "tropical", apparent: bool = True) -> Any:
    """Rate of the longitude (degrees/day; negative = retrograde), the derivative of the interpolant."""
    key, fr = check_body(body), check_frame(frame)
    index, kind = to_utc_index(times)
    check_range(index)
    _, spd = evaluate(tt_days(index), key, fr, apparent, want_speed=True)
    return _shape(spd, index, kind, f"{key}_speed")


def _lon_array(lon: Any, name: str) -> tuple[np.ndarray, pd.Index | None]:
    index = lon.index if isinstance(lon, pd.Series) else None
    arr = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    if arr.ndim != 1:
        raise DataFormatError(f"{name}: expected a scalar or a 1-D series of longitudes, got shape {arr.shape}")
    return arr, index


def zodiac(lon: Any) -> pd.DataFrame:
    """Sign (name and 0-based index), whole degree (0-29) and whole arc minute (0-59) within the sign."""
    x, index = _lon_array(lon, "lon")
    x = np.mod(x, 360.0)
    minutes = np.floor(x * 60.0 + 1e-9)  # total arc minutes; the epsilon keeps exact minutes exact
    ok = np.isfinite(minutes)
    m = np.where(ok, minutes, 0).astype(np.int64) % (360 * 60)
    sign = m // 1800
    names = np.asarray(SIGNS, dtype=object)[sign]
    names[~ok] = None
    out = pd.DataFrame(
        {
            "sign": names,
            "sign_index": np.where(ok, sign, -1),
            "degree": np.where(ok, (m % 1800) // 60, -1),
            "minute": np.where(ok, m % 60, -1),
        },
        index=index,
    )
    return out


def nakshatra(lon: Any) -> pd.DataFrame:
    """Nakshatra of a *sidereal* longitude: ``number`` 1..27, ``name``, ``pada`` 1..4, ``degree`` within it.

    The 27 nakshatras are 13 deg 20 min each from sidereal 0 deg (Lahiri, as
    ``planet_longitude(..., frame="sidereal")``); each pada is a quarter (3 deg 20 min).
    Non-finite longitudes give number 0, a missing name and NaN degree.
    """
    x, index = _lon_array(lon, "lon")
    x = np.mod(x, 360.0)
    span = 360.0 / 27.0
    ok = np.isfinite(x)
    k = np.where(ok, np.floor(x / span + 1e-12), 0).astype(np.int64) % 27
    within = np.where(ok, x - k * span, np.nan)
    within = np.where(within < 0, 0.0, within)
    pada = np.where(ok, np.minimum(np.floor(within / (span / 4) + 1e-12), 3), -1).astype(np.int64) + 1
    names = np.asarray(NAKSHATRAS, dtype=object)[k]
    names[~ok] = None
    return pd.DataFrame(
        {
            "number": np.where(ok, k + 1, 0),
            "name": names,
            "pada": np.where(ok, pada, 0),
            "degree": within,
        },
        index=index,
    )


def separation(lon_a: Any, lon_b: Any) -> np.ndarray:
    """Angular distance on the shorter arc, in ``[0, 180]`` degrees."""
    d = np.mod(np.asarray(lon_a, dtype=np.float64) - np.asarray(lon_b, dtype=np.float64), 360.0)
    return np.where(d > 180.0, 360.0 - d, d)


def aspect(lon_a: Any, lon_b: Any, orb: float = 6.0) -> Any:
    """The major aspect between two longitudes, if within ``orb`` degrees.

    Returns a DataFrame with ``aspect`` (name, missing when none), ``orb`` (separation minus the exact angle:
    negative = not yet reached from below, i.e. a signed distance from exact; NaN when none) and
    ``separation`` (shorter arc, 0..180); for two scalars a ``(name or None, orb)`` tuple. When
    orbs overlap (``orb`` > 15) the nearest aspect wins.
    """
    if not (isinstance(orb, (int, float, np.integer, np.floating)) and 0 < float(orb) < 30):
        raise ParameterError(f"orb: must be a number in (0, 30) degrees, got {orb!r}")
    scalar = np.ndim(lon_a) == 0 and np.ndim(lon_b) == 0
    index = lon_a.index if isinstance(lon_a, pd.Series) else lon_b.index if isinstance(lon_b, pd.Series) else None
    a = np.atleast_1d(np.asarray(lon_a, dtype=np.float64))
    b = np.atleast_1d(np.asarray(lon_b, dtype=np.float64))
    if a.shape != b.shape and a.size != 1 and b.size != 1:
        raise DataFormatError(f"lon_a/lon_b: lengths differ ({a.size} and {b.size})")
    sep = separation(a, b)
    angles = np.array(list(ASPECTS.values()))
    dev = sep[:, None] - angles[None, :]
    best = np.argmin(np.abs(dev), axis=1)
    off = dev[np.arange(sep.shape[0]), best]
    hit = np.abs(off) <= orb
    names = np.where(hit, np.asarray(list(ASPECTS), dtype=object)[best], None)
    if scalar:
        return (names[0], float(off[0])) if hit[0] else (None, float("nan"))
    return pd.DataFrame({"aspect": names, "orb": np.where(hit, off, np.nan), "separation": sep}, index=index)


def midpoint(lon_a: Any, lon_b: Any) -> Any:
    """Midpoint on the shorter arc, in ``[0, 360)``.

    At exactly 180 degrees apart both midpoints are equally near; we return ``lon_a + 90``
    (counter-clockwise from ``lon_a``). Scalars give a float, a Series a Series, else an ndarray.
    """
    a = np.asarray(lon_a, dtype=np.float64)
    d = np.mod(np.asarray(lon_b, dtype=np.float64) - a, 360.0)
    mid = np.mod(a + np.where(d <= 180.0, d, d - 360.0) / 2.0, 360.0)
    mid = np.where(mid >= 360.0, mid - 360.0, mid)
    if np.ndim(mid) == 0:
        return float(mid)
    if isinstance(lon_a, pd.Series) or isinstance(lon_b, pd.Series):
        src = lon_a if isinstance(lon_a, pd.Series) else lon_b
        return pd.Series(mid, index=src.index, name="midpoint")
    return mid
