"""Direct, obviously-correct references for ``uptrade.indicators.spectral`` (test oracles).

Written from ``shared/spec/INDICATORS.md`` section 4 only; nothing here is shared with, or
copied from, ``uptrade.indicators``.

- :func:`direct_goertzel` evaluates ``X = sum_j w_j d_j exp(-2 pi i j / P)`` afresh for every
  bar (O(n*W): windows are gathered with ``sliding_window_view`` and summed by a matrix product,
  block by block). ``d`` is the window minus its least-squares line (computed in closed form
  about the window's centre, which is the same line ``np.polyfit(j, seg, 1)`` gives), ``w``
  is ``np.hanning(W)`` or ones.
- :func:`literal_goertzel` is the contract spelled out one bar at a time (``np.polyfit``,
  ``np.hanning``, ``np.exp``), and :func:`extended_goertzel` the same sum in ``np.longdouble``
  (64-bit mantissa on x86-64): both exist to check that the fast float64 oracle is itself
  accurate.
- :func:`direct_bandpass` is Ehlers' two-pole bandpass as a plain Python loop with the NaN rule
  of recursive indicators (NaN bars are skipped: compute on the compacted series, forward-fill).
- :func:`dominant_from_grid` turns a grid spectrum into the dominant cycle by the contract's
  rules (parabolic refinement of log power vs log period, lobe power share), and
  :func:`dense_peak` finds the spectrum's maximum by brute force on a very fine grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

HURST: dict[str, float] = {
    "5d": 4.3,
    "10d": 8.5,
    "20d": 17.0,
    "40d": 34.1,
    "80d": 68.2,
    "20w": 136.4,
    "40w": 272.8,
    "18m": 545.6,
    "54m": 1636.8,
    "9y": 3273.6,
    "18y": 6547.2,
}

_CNAN = complex(math.nan, math.nan)


def _periods(periods: float | Sequence[float] | np.ndarray) -> np.ndarray:
    return np.atleast_1d(np.asarray(periods, dtype=np.float64))


def taper_weights(window: int, taper: bool) -> np.ndarray:
    return np.hanning(window) if taper else np.ones(window)


def window_has_nan(x: np.ndarray, window: int) -> np.ndarray:
    """``out[t]`` is True when ``x[t-window+1 : t+1]`` holds a NaN or is not full (t < window-1)."""
    bad = np.isnan(np.asarray(x, dtype=np.float64)).astype(np.int64)
    count = np.convolve(bad, np.ones(window, dtype=np.int64))[: len(bad)]
    out = count > 0
    out[: window - 1] = True
    return out


def direct_goertzel(
    x: np.ndarray,
    periods: float | Sequence[float] | np.ndarray,
    window: int,
    detrend: bool = True,
    taper: bool = True,
    *,
    block: int = 2048,
    return_scale: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Complex spectrum ``(n, len(periods))`` of the trailing window at every bar, by the direct sum.

    With ``return_scale`` also returns ``sum_j |w_j d_j|`` per bar (the size of the terms that
    are summed: ``|X| / scale`` small means the sum cancels and any evaluation of it loses
    relative accuracy in proportion).
    """
    x = np.asarray(x, dtype=np.float64)
    per = _periods(periods)
    n, k = len(x), len(per)
    out = np.full((n, k), _CNAN, dtype=np.complex128)
    scale = np.full(n, math.nan)
    if n >= window:
        j = np.arange(window, dtype=np.float64)
        w = taper_weights(window, taper)
        # the angle 2 pi j / P reduced to one turn before the trigonometry
        ang = 2.0 * math.pi * np.mod(j[:, None] / per[None, :], 1.0)
        cos_m, sin_m = np.cos(ang), np.sin(ang)
        jc = j - j.mean()
        sjj = float(jc @ jc)
        wins = sliding_window_view(x, window)  # row r is the window ending at bar r + window - 1
        for start in range(0, len(wins), block):
            seg = wins[start : start + block]
            if detrend:
                c = seg - seg.mean(axis=1, keepdims=True)
                slope = (c @ jc) / sjj
                d = c - slope[:, None] * jc[None, :]
            else:
                d = seg
            wd = d * w[None, :]
            rows = slice(start + window - 1, start + window - 1 + len(seg))
            out[rows] = (wd @ cos_m) - 1j * (wd @ sin_m)
            scale[rows] = np.abs(wd).sum(axis=1)
    bad = window_has_nan(x, window)
    out[bad] = _CNAN
    scale[bad] = math.nan
    if return_scale:
        return out, scale
    return out


def literal_goertzel(
    x: np.ndarray, periods: Sequence[float] | np.ndarray, window: int, detrend: bool, taper: bool, bars: Sequence[int]
) -> np.ndarray:
    """The contract word for word (np.polyfit, np.hanning, np.exp) at the given bars: ``(len(bars), k)``."""
    x = np.asarray(x, dtype=np.float64)
    per = _periods(periods)
    j = np.arange(window, dtype=np.float64)
    w = taper_weights(window, taper)
    out = np.empty((len(bars), len(per)), dtype=np.complex128)
    for r, t in enumerate(bars):
        seg = x[t - window + 1 : t + 1]
        d = seg - np.polyval(np.polyfit(j, seg, 1), j) if detrend else seg
        for c, p in enumerate(per):
            out[r, c] = np.sum(w * d * np.exp(-2j * np.pi * j / p))
    return out


def extended_goertzel(
    x: np.ndarray,
    periods: float | Sequence[float] | np.ndarray,
    window: int,
    detrend: bool = True,
    taper: bool = True,
    bars: Sequence[int] | np.ndarray | None = None,
    *,
    block: int = 1024,
) -> np.ndarray:
    """The same sum in ``np.longdouble`` at ``bars`` (default: every bar), rounded to complex128 at the end.

    Returns ``(len(bars), k)``; bars whose window is not full or holds a NaN give NaN.
    """
    ld = np.longdouble
    x = np.asarray(x, dtype=np.float64)
    per = _periods(periods).astype(ld)
    idx = np.arange(len(x)) if bars is None else np.asarray(bars, dtype=np.int64)
    out = np.full((len(idx), len(per)), _CNAN, dtype=np.complex128)
    ok = ~window_has_nan(x, window)[idx] if len(idx) else np.zeros(0, dtype=bool)
    idx_ok = idx[ok]
    if len(idx_ok) == 0:
        return out
    two_pi = 8 * np.arctan(ld(1))
    j = np.arange(window).astype(ld)
    w = 0.5 - 0.5 * np.cos(two_pi * j / ld(window - 1)) if taper else np.ones(window, dtype=ld)
    ang = two_pi * np.mod(j[:, None] / per[None, :], ld(1))
    cos_m, sin_m = np.cos(ang), np.sin(ang)
    jc = j - j.mean()
    sjj = np.sum(jc * jc)
    res = np.empty((len(idx_ok), len(per)), dtype=np.complex128)
    for start in range(0, len(idx_ok), block):
        rows = idx_ok[start : start + block]
        seg = x[rows[:, None] + np.arange(1 - window, 1)[None, :]].astype(ld)
        if detrend:
            c = seg - seg.mean(axis=1, keepdims=True)
            d = c - ((c @ jc) / sjj)[:, None] * jc[None, :]
        else:
            d = seg
        wd = d * w[None, :]
        res[start : start + len(rows)] = (wd @ cos_m).astype(np.float64) - 1j * (wd @ sin_m).astype(np.float64)
    out[ok] = res
    return out


def oscillator_parts(
    spec: np.ndarray, periods: Sequence[float] | np.ndarray, window: int, taper: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(amplitude, phase, value) per the contract from a complex spectrum ``(n, k)``."""
    per = _periods(periods)
    amp = 2.0 * np.abs(spec) / taper_weights(window, taper).sum()
    phase = np.angle(spec)
    value = amp * np.cos(phase + 2.0 * np.pi * (window - 1) / per[None, :])
    return amp, phase, value


def _compact_apply(x: np.ndarray, fn: object) -> np.ndarray:
    """Run ``fn`` on the non-NaN bars of ``x``; skipped bars repeat the previous output (NaN before any)."""
    keep = ~np.isnan(x)
    compact = fn(x[keep])  # type: ignore[operator]
    out = np.full(len(x), math.nan)
    k = 0
    prev = math.nan
    for t in range(len(x)):
        if keep[t]:
            prev = compact[k]
            k += 1
        out[t] = prev
    return out


def bandpass_coefficients(period: float, bandwidth: float) -> tuple[float, float]:
    """(beta, alpha): the spec's ``alpha = gamma - sqrt(gamma^2 - 1)``, ``gamma = 1/cos(a)``, evaluated in
    extended precision (np.longdouble) so that its cancellation does not cost digits, then rounded."""
    beta = math.cos(2.0 * math.pi / period)
    a = np.longdouble(4.0) * np.longdouble(math.pi) * np.longdouble(bandwidth) / np.longdouble(period)
    gamma = np.longdouble(1.0) / np.cos(a)
    alpha = float(gamma - np.sqrt(gamma * gamma - np.longdouble(1.0)))
    return beta, alpha


def direct_bandpass(x: np.ndarray, period: float, bandwidth: float = 0.025) -> np.ndarray:
    """Ehlers' two-pole bandpass; ``bp = 0`` on the first two (valid) bars; NaN bars skipped."""
    beta, alpha = bandpass_coefficients(period, bandwidth)
    k1 = 0.5 * (1.0 - alpha)
    k2 = beta * (1.0 + alpha)

    def run(y: np.ndarray) -> np.ndarray:
        bp = [0.0] * len(y)
        for t in range(2, len(y)):
            bp[t] = k1 * (float(y[t]) - float(y[t - 2])) + k2 * bp[t - 1] - alpha * bp[t - 2]
        return np.asarray(bp, dtype=np.float64)

    return _compact_apply(np.asarray(x, dtype=np.float64), run)


def grid_spectrum(x: np.ndarray, periods: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """``|X|^2`` (detrended, Hann) of the last ``window`` bars at each period."""
    seg = np.asarray(x, dtype=np.float64)[-window:]
    spec = direct_goertzel(seg, periods, window, True, True)[-1]
    return np.abs(spec) ** 2


def _vertex(u: np.ndarray, y: np.ndarray) -> float:
    """Abscissa of the vertex of the parabola through three points."""
    (u0, u1, u2), (y0, y1, y2) = u, y
    num = (u1 - u0) ** 2 * (y1 - y2) - (u1 - u2) ** 2 * (y1 - y0)
    den = (u1 - u0) * (y1 - y2) - (u1 - u2) * (y1 - y0)
    if den == 0.0:
        return float(u1)
    return float(u1 - 0.5 * num / den)


def refine(periods: np.ndarray, power: np.ndarray, i: int) -> float:
    """Period of grid peak ``i`` refined by the vertex of a parabola through log power vs frequency."""
    if i == 0 or i == len(periods) - 1:
        return float(periods[i])
    sl = slice(i - 1, i + 2)
    f = 1.0 / periods[sl]
    v = _vertex(f, np.log(power[sl]))
    return 1.0 / min(max(v, f.min()), f.max())


def lobe(power: np.ndarray, i: int) -> tuple[int, int]:
    """Indices of the local minima (or grid edges) on each side of peak ``i``."""
    lo = i
    while lo > 0 and power[lo - 1] < power[lo]:
        lo -= 1
    hi = i
    while hi < len(power) - 1 and power[hi + 1] < power[hi]:
        hi += 1
    return lo, hi


def lobe_shares(power: np.ndarray, i: int, periods: np.ndarray) -> tuple[float, float]:
    """Peak ``i``'s share of the band's power integrated over frequency (each grid power times its
    frequency interval, proportional to ``1/P`` on a log grid): (minima included, minima excluded)."""
    lo, hi = lobe(power, i)
    weighted = power / periods
    total = float(np.sum(weighted))
    inclusive = float(np.sum(weighted[lo : hi + 1])) / total
    inner = weighted[lo + 1 if lo < i else lo : hi if hi > i else hi + 1]
    return inclusive, float(np.sum(inner)) / total


def local_maxima(power: np.ndarray, *, edges: bool) -> list[int]:
    """Grid indices that are local maxima (strictly above both neighbours; edges against their one)."""
    out = []
    last = len(power) - 1
    for i in range(len(power)):
        left = power[i - 1] if i > 0 else -math.inf
        right = power[i + 1] if i < last else -math.inf
        if (i in (0, last)) and not edges:
            continue
        if power[i] > left and power[i] > right:
            out.append(i)
    return out


def dominant_from_grid(periods: np.ndarray, power: np.ndarray) -> dict[str, float]:
    """Dominant cycle from a grid spectrum by the contract's rules."""
    i = int(np.argmax(power))
    inclusive, inner = lobe_shares(power, i, periods)
    return {"index": i, "period": refine(periods, power, i), "share_inclusive": inclusive, "share_inner": inner}


def dense_peak(x: np.ndarray, min_period: float, max_period: float, window: int, points_per_octave: int = 256) -> float:
    """Brute force: the period of the largest ``|X|^2`` on a very fine log grid."""
    octaves = math.log2(max_period / min_period)
    grid = min_period * 2.0 ** (np.arange(int(octaves * points_per_octave) + 1) / points_per_octave)
    return float(grid[int(np.argmax(grid_spectrum(x, grid, window)))])
