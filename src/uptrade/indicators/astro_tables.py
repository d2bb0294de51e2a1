"""Ephemeris tables for :mod:`uptrade.indicators.astro`: skyfield + DE421 sampled on uniform TT grids.

Each body's table is built on first use (a few seconds), kept in memory and cached on disk under
``<home>/cache/astro`` (``.npz``, written atomically; an unreadable file is rebuilt). The grid
covers 1899-11-16 .. 2051-01-31 TT, which holds the public range 1900-01-01 .. 2050-12-31 UTC plus
the interpolation stencil. Steps were chosen by measurement (:func:`interpolation_error`): an
8-point Lagrange interpolant then stays below 0.002" for every body, far inside the 1" goal.

Positions are skyfield's ``earth.at(t).observe(body).apparent(deflectors=())`` in
``ecliptic_frame`` (true ecliptic and equinox of date); the Sun's light deflection is added by the
kernel (see :mod:`uptrade.indicators.nb.astro`). ``apparent=False`` tables are astrometric
(light-time only). The time table holds TT-UTC per UTC day: leap seconds from 1972 on (constant
within a day), and before 1972 timestamps are taken as UT1 (as Swiss Ephemeris does), so TT-UT1 is
Delta T (:func:`delta_t`), interpolated linearly within the day.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

KERNEL = "de421"
FORMAT = 1  # of the body tables' cache files
TIME_FORMAT = 2  # of the cached time table: 2 = observed Delta T from 1955 (see delta_t)
T_START = -36570.5  # TT days since J2000 of the first grid point (JD 2414974.5, 1899-11-16)
T_END = 18657.5  # TT days since J2000 the grids reach at least (JD 2470202.5, 2051-01-31)
FIRST_DAY = -25598  # 1899-12-01 as days since 1970-01-01: the first day of the time table
LAST_DAY = 29996  # 2052-02-15: past the end of the grids
DAY_1972 = 730  # 1972-01-01: UTC with leap seconds starts here
JD_1952 = 2434012.5  # 1952-01-01: Delta T starts to move from the SMH 2016 spline to the observed values
JD_1955 = 2435108.5  # 1955-01-01: observed Delta T (atomic time) from here to the IERS daily values


@dataclass(frozen=True)
class BodyInfo:
    """How one body is tabulated: skyfield target, grid step (days) and kind."""

    key: str | None
    step: float
    kind: str  # "planet" (Sun deflection at evaluation), "sun", "moon", "mean_node", "true_node"


BODY_INFO: dict[str, BodyInfo] = {
    "sun": BodyInfo("sun", 1.0, "sun"),
    "moon": BodyInfo("moon", 0.5, "moon"),
    "mercury": BodyInfo("mercury", 1.0, "planet"),
    "venus": BodyInfo("venus", 1.0, "planet"),
    "mars": BodyInfo("mars barycenter", 2.0, "planet"),
    "jupiter": BodyInfo("jupiter barycenter", 2.0, "planet"),
    "saturn": BodyInfo("saturn barycenter", 2.0, "planet"),
    "uranus": BodyInfo("uranus barycenter", 2.0, "planet"),
    "neptune": BodyInfo("neptune barycenter", 2.0, "planet"),
    "pluto": BodyInfo("pluto barycenter", 2.0, "planet"),
    "mean_node": BodyInfo(None, 1.0, "mean_node"),
    "true_node": BodyInfo(None, 0.5, "true_node"),
}


@dataclass(frozen=True)
class Table:
    """One interpolation table: ``data[k]`` holds the columns at TT ``t0 + k * step`` days since J2000."""

    data: np.ndarray
    t0: float
    step: float
    deflect: bool


@dataclass(frozen=True)
class TimeTable:
    """TT-UTC seconds at the start and end of each UTC day from ``first_day`` (days since 1970)."""

    first_day: int
    start: np.ndarray
    end: np.ndarray


_LOCK = threading.RLock()
_TABLES: dict[str, Table] = {}
_TIME: list[TimeTable] = []
_SKY: dict[str, Any] = {}
BUILD_SECONDS: dict[str, float] = {}


def cache_dir() -> Path:
    """``<home>/cache/astro`` (``UPTRADE_HOME``, default ``~/.uptrade``)."""
    from uptrade.settings import get_settings

    return get_settings().home / "cache" / "astro"


def _skyfield() -> dict[str, Any]:
    """skyfield's loader, a timescale with :class:`DeltaT` and the DE421 kernel from skyfield-data (offline)."""
    if not _SKY:
        with warnings.catch_warnings():
            # skyfield-data ships an expired IERS finals2000A.all; the built-in timescale is what we use
            warnings.filterwarnings("ignore", message=".*finals2000A.all.*", category=RuntimeWarning)
            import skyfield_data
            from skyfield.api import Loader
            from skyfield.timelib import Timescale

            loader = Loader(skyfield_data.get_skyfield_data_path(), verbose=False)
            builtin = loader.timescale(builtin=True)
            ts = Timescale(DeltaT(builtin), builtin.leap_dates, builtin.leap_offsets)
            _SKY.update(ts=ts, builtin_ts=builtin, eph=loader(f"{KERNEL}.bsp"))
    return _SKY


class DeltaT:
    """TT - UT1 (seconds) at TT Julian dates: skyfield's built-in model, with observed values 1955-1973.

    skyfield's built-in Delta T is the Stephenson-Morrison-Hohenkerk (2016) spline up to 1973 and
    the IERS daily values after. The spline smooths over years and misses the Delta T measured
    against atomic time from 1955 by up to 0.66 s (1955.0: 30.41 s against 31.07 s), which moves
    the Moon by up to 0.4". From 1955-01-01 until the IERS values start (1973-01-02) we therefore
    interpolate the observed half-yearly values (USNO/Astronomical Almanac) that skyfield ships as
    ``historic_deltat.npy``; from 1952 to 1955 the spline's offset from them is brought in
    linearly, so Delta T stays continuous (the offset is 0.27 s at 1952.0, where both are estimates
    from lunar occultations). Outside 1952-1973 this is skyfield's value unchanged.
    """

    def __init__(self, builtin: Any) -> None:
        from skyfield.functions import load_bundled_npy

        self.builtin = builtin.delta_t_function
        self.iers_from = float(builtin.delta_t_table[0][0])
        observed = load_bundled_npy("historic_deltat.npy")
        self.observed_tt = np.asarray(observed[0], dtype=np.float64)
        self.observed = np.asarray(observed[1], dtype=np.float64)
        self.offset = float(np.interp(JD_1955, self.observed_tt, self.observed) - self.builtin(JD_1955))

    def __call__(self, tt: Any) -> Any:
        tt = np.asarray(tt, dtype=np.float64)
        out = np.asarray(self.builtin(tt), dtype=np.float64)
        ramp = np.clip((tt - JD_1952) / (JD_1955 - JD_1952), 0.0, 1.0)
        out = out + np.where(tt < JD_1955, ramp * self.offset, 0.0)
        observed = (tt >= JD_1955) & (tt < self.iers_from)
        return np.where(observed, np.interp(tt, self.observed_tt, self.observed), out)


def delta_t(tt_jd: Any) -> Any:
    """TT - UT1 in seconds at TT Julian dates (:class:`DeltaT`)."""
    return _skyfield()["ts"].delta_t_function(tt_jd)


def _cache_path(name: str, version: int = FORMAT) -> Path:
    return cache_dir() / f"{KERNEL}-v{version}-{name}.npz"


def _load(name: str, version: int = FORMAT) -> dict[str, np.ndarray] | None:
    path = _cache_path(name, version)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, EOFError):
        return None  # missing or corrupt: rebuild


def _save(name: str, arrays: dict[str, np.ndarray], version: int = FORMAT) -> None:
    path = _cache_path(name, version)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, allow_pickle=True, **arrays)  # the default, named so that no array can stand for it
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only home only costs a rebuild next time


def grid(step: float) -> np.ndarray:
    """The TT grid (days since J2000) of a table with this step."""
    n = int(np.ceil((T_END - T_START) / step)) + 1
    return T_START + step * np.arange(n)


def time_table() -> TimeTable:
    """The daily TT-UTC table (built from skyfield once, then cached)."""
    with _LOCK:
        if _TIME:
            return _TIME[0]
        z = _load("timescale", TIME_FORMAT)
        if z is None or z["start"].shape[0] != LAST_DAY - FIRST_DAY + 1:
            z = _build_time_table()
            _save("timescale", z, TIME_FORMAT)
        _TIME.append(TimeTable(FIRST_DAY, np.ascontiguousarray(z["start"]), np.ascontiguousarray(z["end"])))
        return _TIME[0]


def _build_time_table() -> dict[str, np.ndarray]:
    ts = _skyfield()["ts"]
    days = np.arange(FIRST_DAY, LAST_DAY + 2)
    jd = 2440587.5 + days.astype(np.float64)
    # before 1972: the timestamp is UT1, TT - UT1 = Delta T (smooth; linear within a day)
    dt_ut1 = np.asarray(ts.ut1_jd(jd).delta_t, dtype=np.float64)
    # from 1972: TT - UTC = 32.184 s + TAI - UTC, constant within a UTC day
    leap_at = np.searchsorted(ts.leap_dates, jd, side="right")
    leap = np.where(leap_at > 0, np.asarray(ts.leap_offsets)[np.maximum(leap_at - 1, 0)], 10.0)
    utc = 32.184 + leap
    modern = days >= DAY_1972
    start = np.where(modern, utc, dt_ut1)[:-1]
    end = np.where(modern[:-1], utc[:-1], dt_ut1[1:])
    return {"start": start.astype(np.float64), "end": end.astype(np.float64)}


def table(body: str, apparent: bool = True) -> Table:
    """The interpolation table of ``body`` (a key of :data:`BODY_INFO`), built or loaded on first use."""
    info = BODY_INFO[body]
    if info.kind in ("mean_node", "true_node"):
        apparent = True  # the nodes have no light-time or aberration: one table serves both
    name = f"{body}-{'apparent' if apparent else 'astrometric'}"
    with _LOCK:
        if name in _TABLES:
            return _TABLES[name]
        deflect = info.kind == "planet" and apparent
        n = grid(info.step).shape[0]
        z = _load(name)
        if z is None or z["data"].shape != (n, 7 if deflect else 2) or not np.isfinite(z["data"]).all():
            start = time.perf_counter()
            data = _build(body, info, apparent)
            BUILD_SECONDS[name] = time.perf_counter() - start
            _save(name, {"data": data})
        else:
            data = z["data"]
        tab = Table(np.ascontiguousarray(data, dtype=np.float64), T_START, info.step, deflect)
        _TABLES[name] = tab
        return tab


def _build(body: str, info: BodyInfo, apparent: bool) -> np.ndarray:
    tt = grid(info.step)
    columns = sample(body, tt, apparent)
    return np.ascontiguousarray(np.column_stack(columns))


def _unwrap_deg(radians: np.ndarray) -> np.ndarray:
    return np.degrees(np.unwrap(radians))


def sample(body: str, tt: np.ndarray, apparent: bool = True, chunk: int = 8192) -> list[np.ndarray]:
    """The table columns of ``body`` computed directly by skyfield at TT days since J2000 (sorted).

    Nutation is IAU 2000B (within 1 mas of IAU 2000A, and 15 times faster to build the tables).
    """
    parts = [_sample(body, tt[i : i + chunk], apparent) for i in range(0, tt.shape[0], chunk)]
    columns = [np.concatenate([p[c] for p in parts]) for c in range(len(parts[0]))]
    columns[0] = _unwrap_deg(np.radians(columns[0]))
    if len(columns) > 2:
        columns[4] = _unwrap_deg(np.radians(columns[4]))
    return columns


def _sample(body: str, tt: np.ndarray, apparent: bool) -> list[np.ndarray]:
    from skyfield.framelib import ecliptic_frame
    from skyfield.nutationlib import iau2000b_radians

    sky = _skyfield()
    ts, eph = sky["ts"], sky["eph"]
    info = BODY_INFO[body]
    t = ts.tt_jd(2451545.0 + tt)
    t._nutation_angles_radians = iau2000b_radians(t)  # skyfield's documented switch to IAU 2000B
    dpsi = np.degrees(t._nutation_angles_radians[0])
    earth = eph["earth"]
    if info.kind == "mean_node":
        return [_mean_node_deg(tt) + dpsi, dpsi]
    if info.kind == "true_node":
        r, v = (eph["moon"] - earth).at(t).frame_xyz_and_velocity(ecliptic_frame)
        h = np.cross(r.au.T, v.au_per_d.T).T  # orbital angular momentum in the ecliptic of date
        return [np.degrees(np.arctan2(h[0], -h[1])), dpsi]

    def ecl(key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        astrometric = earth.at(t).observe(eph[key])
        pos = astrometric.apparent(deflectors=()) if apparent else astrometric
        lat, lon, dist = pos.frame_latlon(ecliptic_frame)
        return lon.degrees, lat.degrees, dist.au

    lon, lat, dist = ecl(info.key or body)
    if info.kind != "planet" or not apparent:
        return [lon, dpsi]
    sun_lon, sun_lat, sun_dist = ecl("sun")
    return [lon, dpsi, lat, dist, sun_lon, sun_lat, sun_dist]


def _mean_node_deg(tt: np.ndarray) -> np.ndarray:
    """Mean longitude of the Moon's ascending node, mean equinox of date (Chapront et al. 1998 via Meeus)."""
    t = tt / 36525.0
    return 125.0445479 + t * (-1934.1362891 + t * (0.0020754 + t * (1.0 / 467441.0 + t * (-1.0 / 60616000.0))))


def interpolation_error(body: str, samples: int = 2000, seed: int = 0) -> float:
    """Largest |interpolated - direct skyfield| longitude (arcseconds) at random instants in 1900-2050."""
    from uptrade.indicators.nb.astro import longitude_nb

    tab = table(body)
    rng = np.random.default_rng(seed)
    tt = np.sort(rng.uniform(-36524.0, 18627.0, samples))
    cols = sample(body, tt)
    direct = cols[0]
    if tab.deflect:
        from uptrade.indicators.nb.astro import sun_deflection_nb

        direct = direct + np.array(
            [sun_deflection_nb(*(c[i] for k, c in enumerate(cols) if k != 1)) for i in range(samples)]
        )
    lon = np.empty(samples)
    longitude_nb(tab.data, tab.t0, tab.step, tt, tab.deflect, False, False, lon, np.empty(0))
    diff = (lon - direct + 180.0) % 360.0 - 180.0
    return float(np.abs(diff).max() * 3600.0)
