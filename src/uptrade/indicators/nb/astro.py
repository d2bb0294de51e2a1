"""Astro kernels (``*_nb``): UTC to TT, uniform-grid Lagrange interpolation of ephemeris tables.

A table is a float64 array ``(n, ncol)`` sampled every ``step`` days of TT from ``t0`` (TT days
since J2000). Column 0 is the unwrapped ecliptic longitude (degrees), column 1 the nutation in
longitude (degrees, for sidereal positions). Planet tables add the body's latitude and distance
and the Sun's longitude, latitude and distance (columns 2..6): the Sun's light deflection is
added at evaluation time, because it changes within hours when a planet passes behind the Sun
and would spoil the interpolation of a tabulated apparent longitude.

Only plain loops (numba 0.61 / numpy 2.2 compatible).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

ORDER = 8  # Lagrange points per evaluation (a degree-7 polynomial); the stencil is centred on t
_HALF = ORDER // 2
NS_DAY = 86_400_000_000_000
UNIX_DAY_J2000 = 10957  # 2000-01-01 as days since 1970-01-01 (J2000 is that day at 12:00 TT)
NAT = np.iinfo(np.int64).min
# 2 GM_sun / (c^2 au): the light deflection scale at 1 au, in radians
_DEFLECT = 2.0 * 1.32712440017987e20 / (299792458.0 * 299792458.0 * 149597870700.0)
_SUN_RADIUS_AU = 696000.0 / 149597870.7
# Fraction of the deflection applied to a body seen inside the solar disc, at r = 0, 0.025, .. 1
# solar radii from the centre: measured from Swiss Ephemeris (residual < 0.012" of deflection).
_TAPER = np.array(
    [
        0.0, 0.0157, 0.0560, 0.1155, 0.1871, 0.2671, 0.3499, 0.4313, 0.5083, 0.5790, 0.6423,
        0.6977, 0.7456, 0.7863, 0.8207, 0.8499, 0.8742, 0.8946, 0.9114, 0.9259, 0.9377, 0.9476,
        0.9565, 0.9642, 0.9702, 0.9752, 0.9798, 0.9837, 0.9867, 0.9894, 0.9918, 0.9937, 0.9952,
        0.9965, 0.9976, 0.9984, 0.9990, 0.9994, 0.9997, 0.9999, 1.0,
    ]
)  # fmt: skip
# Lahiri ayanamsa (Swiss Ephemeris SIDM_LAHIRI): value at JD 2435553.5 TT, carried by precession
LAHIRI_T0 = (2435553.5 - 2451545.0) / 36525.0
LAHIRI_AYAN0 = 23.245524743


@njit(cache=True)
def tt_from_utc_nb(t_ns: np.ndarray, first_day: int, dt_start: np.ndarray, dt_end: np.ndarray, out: np.ndarray) -> None:
    """TT days since J2000 for UTC ns since 1970 (NaT -> NaN) from daily TT-UTC seconds."""
    for i in range(t_ns.shape[0]):
        v = t_ns[i]
        if v == NAT:
            out[i] = np.nan
            continue
        day = v // NS_DAY
        frac = (v - day * NS_DAY) / NS_DAY
        j = day - first_day
        dt = dt_start[j] + frac * (dt_end[j] - dt_start[j])
        out[i] = (day - UNIX_DAY_J2000) - 0.5 + frac + dt / 86400.0


@njit(cache=True)
def lagrange_weights_nb(u: float, w: np.ndarray, dw: np.ndarray, want_d: bool) -> None:
    """Weights of the ORDER-point Lagrange interpolant at ``u`` (nodes 0..ORDER-1) and of its derivative."""
    for j in range(ORDER):
        c = 1.0
        p = 1.0
        for m in range(ORDER):
            if m != j:
                c *= j - m
                p *= u - m
        w[j] = p / c
        if want_d:
            s = 0.0
            for k in range(ORDER):
                if k == j:
                    continue
                q = 1.0
                for m in range(ORDER):
                    if (m - j) * (m - k) != 0:
                        q *= u - m
                s += q
            dw[j] = s / c


@njit(cache=True)
def sun_deflection_nb(lam: float, beta: float, dist: float, lam_s: float, beta_s: float, r_s: float) -> float:
    """Longitude shift (degrees) of a body by the Sun's light deflection (PPN; tapered inside the disc)."""
    lr = np.radians(lam)
    br = np.radians(beta)
    px = np.cos(br) * np.cos(lr)
    py = np.cos(br) * np.sin(lr)
    pz = np.sin(br)
    sx = np.cos(np.radians(beta_s)) * np.cos(np.radians(lam_s))
    sy = np.cos(np.radians(beta_s)) * np.sin(np.radians(lam_s))
    sz = np.sin(np.radians(beta_s))
    # q: Sun -> body; e: Sun -> Earth (unit -s)
    qx = dist * px - r_s * sx
    qy = dist * py - r_s * sy
    qz = dist * pz - r_s * sz
    qn = np.sqrt(qx * qx + qy * qy + qz * qz)
    qx /= qn
    qy /= qn
    qz /= qn
    pdotq = px * qx + py * qy + pz * qz
    qdote = -(qx * sx + qy * sy + qz * sz)
    edotp = -(sx * px + sy * py + sz * pz)
    if abs(edotp) > 0.99999999999:
        return 0.0
    g = _DEFLECT / r_s
    if dist > r_s:
        cx = py * sz - pz * sy
        cy = pz * sx - px * sz
        cz = px * sy - py * sx
        r = np.sqrt(cx * cx + cy * cy + cz * cz) / (_SUN_RADIUS_AU / r_s)
        if r < 1.0:
            x = r * (_TAPER.shape[0] - 1)
            k = min(int(x), _TAPER.shape[0] - 2)
            g *= _TAPER[k] + (x - k) * (_TAPER[k + 1] - _TAPER[k])
    f = g / (1.0 + qdote)
    dx = f * (pdotq * -sx - edotp * qx)
    dy = f * (pdotq * -sy - edotp * qy)
    return np.degrees((-np.sin(lr) * dx + np.cos(lr) * dy) / np.cos(br))


@njit(cache=True)
def lahiri_nb(tt: float) -> float:
    """Mean Lahiri ayanamsa (degrees) at TT days since J2000: IAU 2006 general precession p_A."""
    t = tt / 36525.0
    t0 = LAHIRI_T0
    pa = t * (5028.796195 + t * (1.1054348 + t * (0.00007964 + t * (-0.000023857 + t * -0.0000000383))))
    pa0 = t0 * (5028.796195 + t0 * (1.1054348 + t0 * (0.00007964 + t0 * (-0.000023857 + t0 * -0.0000000383))))
    return LAHIRI_AYAN0 + (pa - pa0) / 3600.0


@njit(cache=True)
def lahiri_rate_nb(tt: float) -> float:
    """Rate of the mean Lahiri ayanamsa (degrees/day)."""
    t = tt / 36525.0
    dpa = 5028.796195 + t * (
        2.0 * 1.1054348 + t * (3.0 * 0.00007964 + t * (-4.0 * 0.000023857 - 5.0 * 0.0000000383 * t))
    )
    return dpa / 3600.0 / 36525.0


@njit(cache=True)
def _eval_one_nb(
    tab: np.ndarray, t0: float, step: float, tt: float, deflect: bool, sidereal: bool, want_speed: bool,
    w: np.ndarray, dw: np.ndarray, v: np.ndarray, dv: np.ndarray,
) -> tuple[float, float]:  # fmt: skip
    """Longitude (unreduced degrees) and speed (degrees/day) of one table at one TT instant."""
    x = (tt - t0) / step
    k0 = int(np.floor(x)) - _HALF + 1
    if not np.isfinite(x) or k0 < 0 or k0 + ORDER > tab.shape[0]:
        return np.nan, np.nan
    lagrange_weights_nb(x - k0, w, dw, want_speed)
    ncol = 7 if deflect else 2
    for c in range(ncol):
        a = 0.0
        b = 0.0
        for j in range(ORDER):
            a += w[j] * tab[k0 + j, c]
            if want_speed:
                b += dw[j] * tab[k0 + j, c]
        v[c] = a
        dv[c] = b / step
    lon = v[0]
    spd = dv[0]
    if deflect:
        lon += sun_deflection_nb(v[0], v[2], v[3], v[4], v[5], v[6])
        if want_speed:
            h = 0.01  # days: a central difference of the (slowly varying) deflection term
            hi = sun_deflection_nb(
                v[0] + h * dv[0],
                v[2] + h * dv[2],
                v[3] + h * dv[3],
                v[4] + h * dv[4],
                v[5] + h * dv[5],
                v[6] + h * dv[6],
            )
            lo = sun_deflection_nb(
                v[0] - h * dv[0],
                v[2] - h * dv[2],
                v[3] - h * dv[3],
                v[4] - h * dv[4],
                v[5] - h * dv[5],
                v[6] - h * dv[6],
            )
            spd += (hi - lo) / (2.0 * h)
    if sidereal:
        lon -= v[1] + lahiri_nb(tt)
        spd -= dv[1] + lahiri_rate_nb(tt)
    return lon, spd


@njit(cache=True, parallel=True)
def longitude_nb(
    tab: np.ndarray, t0: float, step: float, tt: np.ndarray, deflect: bool, sidereal: bool, want_speed: bool,
    lon_out: np.ndarray, speed_out: np.ndarray,
) -> None:  # fmt: skip
    """Longitude in [0, 360) and speed (degrees/day) at every TT instant (NaN outside the table)."""
    n = tt.shape[0]
    chunk = 4096
    for c in prange((n + chunk - 1) // chunk):
        w = np.empty(ORDER)
        dw = np.empty(ORDER)
        v = np.empty(7)
        dv = np.zeros(7)
        for i in range(c * chunk, min(n, (c + 1) * chunk)):
            lon, spd = _eval_one_nb(tab, t0, step, tt[i], deflect, sidereal, want_speed, w, dw, v, dv)
            r = lon % 360.0
            lon_out[i] = r - 360.0 if r >= 360.0 else r
            if want_speed:
                speed_out[i] = spd
