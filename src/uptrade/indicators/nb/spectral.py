"""Spectral kernels: Ehlers bandpass, sliding Goertzel (windowed DFT) and per-bar dominant cycle.

The Goertzel spectrum of the last ``W`` bars at period ``P`` is
``X = sum_j w_j d_j exp(-i w j)`` with ``d`` the window minus its least-squares line and ``w`` a
symmetric Hann taper (``numpy.hanning``). Both are linear, so ``X`` splits into sums that slide
in O(1) per bar:

- the Hann taper is ``0.5 - 0.25 e^{i t j} - 0.25 e^{-i t j}`` (``t = 2 pi / (W-1)``), so the
  tapered sum is three plain sliding DFT bins, at ``w`` and ``w -+ t``;
- the line ``a + b j`` comes from ``S0 = sum x`` and ``S1 = sum j x`` (both slide), and its
  contribution is ``a C0 + b C1`` with constants ``C0 = sum w_j e^{-i w j}``,
  ``C1 = sum j w_j e^{-i w j}``.

A bin slides as ``Y <- e^{i w} (Y - x_old) + x_new e^{-i w (W-1)}``. Rounding makes that a random
walk, so every ``reanchor`` bars (and whenever the window becomes NaN-free again) the sums are
recomputed directly from the window. Sums are kept relative to the window's newest value at the
anchor, which removes the price level from them (the result does not depend on it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Number of scalar sliding sums kept beside the DFT bins: S0, S1, offset, bars since the anchor.
_ST = 4


@njit(cache=True, error_model="numpy")
def bandpass_alpha_nb(period: float, bandwidth: float) -> float:
    """Ehlers' ``alpha = gamma - sqrt(gamma^2 - 1)``, ``gamma = 1/cos(a)``, as ``(1 - sin a)/cos a``.

    The same number without the cancellation: at period 6547 the spec's form loses 7 digits.
    """
    a = 4.0 * np.pi * bandwidth / period
    return (1.0 - np.sin(a)) / np.cos(a)


@njit(cache=True, error_model="numpy")
def bandpass_nb(x: np.ndarray, period: float, bandwidth: float, out: np.ndarray) -> np.ndarray:
    """Ehlers two-pole bandpass at ``period``; a NaN bar is skipped and repeats the last output."""
    beta = np.cos(2.0 * np.pi / period)
    alpha = bandpass_alpha_nb(period, bandwidth)
    c0 = 0.5 * (1.0 - alpha)
    c1 = beta * (1.0 + alpha)
    x1 = np.nan
    x2 = np.nan
    b1 = 0.0
    b2 = 0.0
    seen = 0
    last = np.nan
    for t in range(x.shape[0]):
        v = x[t]
        if not np.isfinite(v):
            out[t] = last
            continue
        bp = 0.0 if seen < 2 else c0 * (v - x2) + c1 * b1 - alpha * b2
        b2 = b1
        b1 = bp
        x2 = x1
        x1 = v
        seen += 1
        last = bp
        out[t] = bp
    return out


@njit(cache=True, error_model="numpy")
def goertzel_tables_nb(
    periods: np.ndarray, window: int, taper: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Bins, weights and constants: (table[j, bin], rotation, coef, C0, C1, bin frequencies, sum w)."""
    k = periods.shape[0]
    m = 3 if taper else 1
    nb = k * m
    theta = 2.0 * np.pi / (window - 1)
    omega = np.empty(nb)
    coef = np.empty(nb)
    for p in range(k):
        w0 = 2.0 * np.pi / periods[p]
        omega[p * m] = w0
        coef[p * m] = 0.5 if taper else 1.0
        if taper:
            omega[p * m + 1] = w0 - theta
            omega[p * m + 2] = w0 + theta
            coef[p * m + 1] = -0.25
            coef[p * m + 2] = -0.25
    table = np.empty((window, nb), dtype=np.complex128)
    for j in range(window):
        for b in range(nb):
            a = omega[b] * j
            table[j, b] = complex(np.cos(a), -np.sin(a))
    rot = np.empty(nb, dtype=np.complex128)
    for b in range(nb):
        rot[b] = complex(np.cos(omega[b]), np.sin(omega[b]))
    c0 = np.zeros(k, dtype=np.complex128)
    c1 = np.zeros(k, dtype=np.complex128)
    wsum = 0.0
    for j in range(window):
        w = 0.5 - 0.5 * np.cos(2.0 * np.pi * j / (window - 1)) if taper else 1.0
        wsum += w
        for p in range(k):
            c0[p] += w * table[j, p * m]
            c1[p] += (j * w) * table[j, p * m]
    return table, rot, coef, c0, c1, omega, wsum


@njit(cache=True, error_model="numpy")
def split_tables_nb(table: np.ndarray, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Real and imaginary parts as separate contiguous arrays (the loops below vectorise over bins)."""
    w, nb = table.shape
    tr = np.empty((w, nb))
    ti = np.empty((w, nb))
    for j in range(w):
        for b in range(nb):
            tr[j, b] = table[j, b].real
            ti[j, b] = table[j, b].imag
    rr = np.empty(nb)
    ri = np.empty(nb)
    for b in range(nb):
        rr[b] = rot[b].real
        ri[b] = rot[b].imag
    return tr, ti, rr, ri


@njit(cache=True, error_model="numpy", inline="always")
def _advance_nb(
    x: np.ndarray,
    t: int,
    window: int,
    tr: np.ndarray,
    ti: np.ndarray,
    rr: np.ndarray,
    ri: np.ndarray,
    br: np.ndarray,
    bi: np.ndarray,
    st: np.ndarray,
    anchor: bool,
) -> None:
    """Move the sums to the window ending at ``t``: slide one bar, or recompute them (``anchor``).

    The bins are complex; their real and imaginary parts live in ``br``/``bi`` (and the tables in
    ``tr``/``ti``, the rotations in ``rr``/``ri``) so that the per-bin loops vectorise.
    """
    nb = br.shape[0]
    if anchor:
        base = t - window + 1
        c = x[t]
        s0 = 0.0
        s1 = 0.0
        br[:] = 0.0
        bi[:] = 0.0
        for j in range(window):
            d = x[base + j] - c
            s0 += d
            s1 += j * d
            for b in range(nb):
                br[b] += d * tr[j, b]
                bi[b] += d * ti[j, b]
        st[0] = s0
        st[1] = s1
        st[2] = c
        st[3] = 0.0
        return
    c = st[2]
    old = x[t - window] - c
    new = x[t] - c
    s0 = st[0]
    st[1] = st[1] - (s0 - old) + (window - 1) * new
    st[0] = s0 - old + new
    st[3] += 1.0
    last = window - 1
    for b in range(nb):
        u = br[b] - old
        v = bi[b]
        br[b] = (rr[b] * u - ri[b] * v) + new * tr[last, b]
        bi[b] = (rr[b] * v + ri[b] * u) + new * ti[last, b]


@njit(cache=True, error_model="numpy", inline="always")
def _line_nb(st: np.ndarray, window: int) -> tuple[float, float]:
    """Intercept and slope of the window's least-squares line (relative to the anchor offset)."""
    sj = 0.5 * window * (window - 1.0)
    sjj = (window - 1.0) * window * (2.0 * window - 1.0) / 6.0
    b = (window * st[1] - sj * st[0]) / (window * sjj - sj * sj)
    return (st[0] - b * sj) / window, b


@njit(cache=True, error_model="numpy", inline="always")
def _bin_nb(
    br: np.ndarray,
    bi: np.ndarray,
    st: np.ndarray,
    coef: np.ndarray,
    c0: np.ndarray,
    c1: np.ndarray,
    p: int,
    m: int,
    a: float,
    b: float,
    detrend: bool,
) -> tuple[float, float]:
    """Real and imaginary part of ``X`` at period ``p`` from the current sums."""
    re = 0.0
    im = 0.0
    for i in range(m):
        re += coef[p * m + i] * br[p * m + i]
        im += coef[p * m + i] * bi[p * m + i]
    if detrend:
        re -= a * c0[p].real + b * c1[p].real
        im -= a * c0[p].imag + b * c1[p].imag
    else:
        re += st[2] * c0[p].real
        im += st[2] * c0[p].imag
    return re, im


@njit(cache=True, error_model="numpy", inline="always")
def _spectrum_nb(
    br: np.ndarray,
    bi: np.ndarray,
    st: np.ndarray,
    coef: np.ndarray,
    c0: np.ndarray,
    c1: np.ndarray,
    window: int,
    detrend: bool,
    out: np.ndarray,
) -> None:
    """``X`` per period from the current sums into ``out``."""
    k = c0.shape[0]
    m = br.shape[0] // k
    a, b = _line_nb(st, window) if detrend else (0.0, 0.0)
    for p in range(k):
        re, im = _bin_nb(br, bi, st, coef, c0, c1, p, m, a, b, detrend)
        out[p] = complex(re, im)


@njit(cache=True, error_model="numpy", inline="always")
def _bin3_nb(
    br: np.ndarray,
    bi: np.ndarray,
    st: np.ndarray,
    coef: np.ndarray,
    c0: np.ndarray,
    c1: np.ndarray,
    p: int,
    a: float,
    b: float,
    detrend: bool,
) -> tuple[float, float]:
    """:func:`_bin_nb` for three bins per period (Hann), unrolled: the same operations in the same order."""
    j = 3 * p
    re = 0.0 + coef[j] * br[j]
    im = 0.0 + coef[j] * bi[j]
    re += coef[j + 1] * br[j + 1]
    im += coef[j + 1] * bi[j + 1]
    re += coef[j + 2] * br[j + 2]
    im += coef[j + 2] * bi[j + 2]
    if detrend:
        re -= a * c0[p].real + b * c1[p].real
        im -= a * c0[p].imag + b * c1[p].imag
    else:
        re += st[2] * c0[p].real
        im += st[2] * c0[p].imag
    return re, im


@njit(cache=True, error_model="numpy", inline="always")
def _rank_nb(re: float, im: float, sines: np.ndarray, whiten: bool, work: np.ndarray, p: int) -> bool:
    """Power ``re^2 + im^2`` (times ``4 sin^2(pi/P)`` with ``whiten``) into ``work[p]``; True if NaN."""
    v = re * re + im * im
    nan = np.isnan(v)
    if whiten:
        s = sines[p]
        v = v * 4.0 * s * s
    work[p] = v
    return nan


@njit(cache=True, error_model="numpy", inline="always")
def _power_loop_nb(
    br: np.ndarray,
    bi: np.ndarray,
    st: np.ndarray,
    coef: np.ndarray,
    c0: np.ndarray,
    c1: np.ndarray,
    m: int,
    a: float,
    b: float,
    detrend: bool,
    sines: np.ndarray,
    whiten: bool,
    work: np.ndarray,
) -> bool:
    """The ranked power of every period into ``work`` (see :func:`_rank_nb`); True if any is NaN."""
    bad = False
    if m == 3:  # Hann: unrolled, so that the loop vectorises
        for p in range(c0.shape[0]):
            re, im = _bin3_nb(br, bi, st, coef, c0, c1, p, a, b, detrend)
            bad |= _rank_nb(re, im, sines, whiten, work, p)
    else:
        for p in range(c0.shape[0]):
            re, im = _bin_nb(br, bi, st, coef, c0, c1, p, m, a, b, detrend)
            bad |= _rank_nb(re, im, sines, whiten, work, p)
    return bad


@njit(cache=True, error_model="numpy", inline="always")
def _dominant_sums_nb(
    br: np.ndarray,
    bi: np.ndarray,
    st: np.ndarray,
    coef: np.ndarray,
    c0: np.ndarray,
    c1: np.ndarray,
    window: int,
    detrend: bool,
    periods: np.ndarray,
    sines: np.ndarray,
    whiten: bool,
    work: np.ndarray,
) -> tuple[float, float]:
    """:func:`dominant_nb` of the power ``|X|^2`` of the current sums, without a spectrum array.

    The ranked power (whitened with the precomputed ``sines``, see :func:`whiten_nb`) goes to
    ``work`` in one loop that vectorises (the three Hann bins of a period are unrolled); a
    second finds the highest in-band point and the band's power total. Every number is
    computed as :func:`dominant_nb` computes it, in the same order, so the results are the same.
    """
    k = c0.shape[0]
    m = br.shape[0] // k
    a, b = _line_nb(st, window) if detrend else (0.0, 0.0)
    if whiten:  # constant flags inside the loop: a run-time one there costs it 4x
        bad = _power_loop_nb(br, bi, st, coef, c0, c1, m, a, b, detrend, sines, True, work)
    else:
        bad = _power_loop_nb(br, bi, st, coef, c0, c1, m, a, b, detrend, sines, False, work)
    if bad:
        return np.nan, np.nan
    best = 1
    top = work[1]
    total = 0.0
    for p in range(1, k - 1):
        v = work[p]
        total += v / periods[p]
        if v > top:
            top = v
            best = p
    return _pick_nb(periods, work, best, total)


@njit(cache=True, error_model="numpy")
def goertzel_nb(
    x: np.ndarray, periods: np.ndarray, window: int, detrend: bool, taper: bool, reanchor: int, out: np.ndarray
) -> np.ndarray:
    """Complex spectrum ``X[t, p]`` of the last ``window`` bars per period into ``out`` (n x k); NaN until defined.

    ``out`` comes from NumPy: it backs large arrays with huge pages, numba's allocator does not.
    """
    n = x.shape[0]
    table, rot, coef, c0, c1, _, _ = goertzel_tables_nb(periods, window, taper)
    tr, ti, rr, ri = split_tables_nb(table, rot)
    br = np.zeros(coef.shape[0])
    bi = np.zeros(coef.shape[0])
    st = np.zeros(_ST)
    nan = complex(np.nan, np.nan)
    last_nan = -1
    ready = False
    for t in range(n):
        if not np.isfinite(x[t]):  # an inf bar is a missing bar too: it would poison the sums
            last_nan = t
        if t - last_nan < window:
            out[t, :] = nan
            ready = False
            continue
        _advance_nb(x, t, window, tr, ti, rr, ri, br, bi, st, (not ready) or st[3] + 1.0 >= reanchor)
        ready = True
        _spectrum_nb(br, bi, st, coef, c0, c1, window, detrend, out[t])
    return out


@njit(cache=True, error_model="numpy")
def refine_peak_nb(freq: np.ndarray, power: np.ndarray, i: int) -> float:
    """Frequency of the vertex of the parabola through log power at ``i - 1, i, i + 1``."""
    return _vertex_nb(freq[i - 1], freq[i], freq[i + 1], power[i - 1], power[i], power[i + 1])


@njit(cache=True, error_model="numpy", inline="always")
def _vertex_nb(x0: float, x1: float, x2: float, p0: float, p1: float, p2: float) -> float:
    """Vertex of the parabola through ``(x, log p)`` at three points, clamped to ``[x0, x2]``."""
    if not (p0 > 0.0 and p1 > 0.0 and p2 > 0.0):
        return x1
    y0 = np.log(p0)
    y1 = np.log(p1)
    y2 = np.log(p2)
    den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0)
    if den == 0.0:
        return x1
    v = x1 - 0.5 * ((x1 - x0) ** 2 * (y1 - y2) - (x1 - x2) ** 2 * (y1 - y0)) / den
    lo = min(x0, x2)
    hi = max(x0, x2)
    return min(max(v, lo), hi)


@njit(cache=True, error_model="numpy")
def lobe_nb(power: np.ndarray, i: int, lo: int, hi: int) -> tuple[int, int]:
    """Indices of the local minima (or band edges ``lo``/``hi``) either side of the peak ``i``."""
    a = i
    while a > lo and power[a - 1] <= power[a]:
        a -= 1
    b = i
    while b < hi and power[b + 1] <= power[b]:
        b += 1
    return a, b


@njit(cache=True, error_model="numpy")
def whiten_nb(periods: np.ndarray, power: np.ndarray, out: np.ndarray) -> bool:
    """``power`` times ``4 sin^2(pi / P)`` into ``out``: the spectrum of the first differences.

    Prices are close to a random walk, whose power falls as ``1/f^2``, so the raw spectrum's
    maximum is nearly always the longest period scanned. Differencing (returns instead of
    prices) has the gain ``|1 - e^{-iw}|^2 = 4 sin^2(w/2)``, which makes a random walk flat and
    leaves a cycle standing out. Returns True (the signature matches a fitted background).
    """
    for g in range(periods.shape[0]):
        s = np.sin(np.pi / periods[g])
        out[g] = power[g] * 4.0 * s * s
    return True


@njit(cache=True, error_model="numpy")
def is_peak_nb(power: np.ndarray, g: int) -> bool:
    """A local maximum of the band (``power[1:-1]``): above its in-band neighbours (one at an end)."""
    hi = power.shape[0] - 2
    left = power[g - 1] if g > 1 else -np.inf
    right = power[g + 1] if g < hi else -np.inf
    return power[g] > left and power[g] > right


@njit(cache=True, error_model="numpy")
def lobe_share_nb(periods: np.ndarray, power: np.ndarray, g: int) -> float:
    """Share of the band's power in peak ``g``'s lobe, integrated over frequency.

    On a log grid a point stands for a frequency interval proportional to its frequency, so each
    power is weighted by ``1/P``: long periods' wide lobes get no extra weight for their points.
    """
    total = 0.0
    for i in range(1, periods.shape[0] - 1):
        total += power[i] / periods[i]
    return _lobe_share_nb(periods, power, g, total)


@njit(cache=True, error_model="numpy", inline="always")
def _lobe_share_nb(periods: np.ndarray, power: np.ndarray, g: int, total: float) -> float:
    """:func:`lobe_share_nb` given the band's total ``sum power / P``."""
    a, b = lobe_nb(power, g, 1, periods.shape[0] - 2)
    lobe = 0.0
    for i in range(a, b + 1):
        lobe += power[i] / periods[i]
    return lobe / total if total > 0.0 else np.nan


@njit(cache=True, error_model="numpy")
def dominant_nb(periods: np.ndarray, power: np.ndarray, whiten: bool, work: np.ndarray) -> tuple[float, float]:
    """(refined period, lobe share) of the highest in-band power; ``periods[0]``/``[-1]`` are stencil only.

    With ``whiten`` the background-relative power (:func:`whiten_nb`, written to ``work``) is
    ranked, otherwise ``power``. A maximum at a band end is refined with the stencil point
    beyond and clamped to the band (the spectrum may keep rising past it).
    """
    lo = 1
    hi = periods.shape[0] - 2
    for g in range(periods.shape[0]):
        if np.isnan(power[g]):
            return np.nan, np.nan
    if not (whiten and whiten_nb(periods, power, work)):
        work[:] = power
    best = lo
    total = 0.0
    for g in range(lo, hi + 1):
        if work[g] > work[best]:
            best = g
        total += work[g] / periods[g]
    return _pick_nb(periods, work, best, total)


@njit(cache=True, error_model="numpy", inline="always")
def _pick_nb(periods: np.ndarray, work: np.ndarray, best: int, total: float) -> tuple[float, float]:
    """Refined period and lobe share of the grid maximum ``best`` (``total``: the band's ``sum work / P``)."""
    if not work[best] > 0.0:
        return np.nan, np.nan
    f0, f1, f2 = 1.0 / periods[best - 1], 1.0 / periods[best], 1.0 / periods[best + 1]
    f = _vertex_nb(f0, f1, f2, work[best - 1], work[best], work[best + 1])
    period = min(max(1.0 / f, periods[1]), periods[periods.shape[0] - 2])
    return period, _lobe_share_nb(periods, work, best, total)


@njit(cache=True, error_model="numpy")
def dominant_goertzel_nb(
    x: np.ndarray, periods: np.ndarray, window: int, detrend: bool, taper: bool, reanchor: int, whiten: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar dominant period and its lobe share from the sliding Goertzel power on a period grid."""
    n = x.shape[0]
    k = periods.shape[0]
    table, rot, coef, c0, c1, _, _ = goertzel_tables_nb(periods, window, taper)
    tr, ti, rr, ri = split_tables_nb(table, rot)
    br = np.zeros(coef.shape[0])
    bi = np.zeros(coef.shape[0])
    st = np.zeros(_ST)
    sines = whiten_sines_nb(periods)
    work = np.empty(k)
    per = np.full(n, np.nan)
    share = np.full(n, np.nan)
    last_nan = -1
    ready = False
    for t in range(n):
        if not np.isfinite(x[t]):  # an inf bar is a missing bar too: it would poison the sums
            last_nan = t
        if t - last_nan < window:
            ready = False
            continue
        _advance_nb(x, t, window, tr, ti, rr, ri, br, bi, st, (not ready) or st[3] + 1.0 >= reanchor)
        ready = True
        per[t], share[t] = _dominant_sums_nb(br, bi, st, coef, c0, c1, window, detrend, periods, sines, whiten, work)
    return per, share


@njit(cache=True, error_model="numpy")
def whiten_sines_nb(periods: np.ndarray) -> np.ndarray:
    """``sin(pi / P)`` per period, the factor :func:`whiten_nb` squares (computed once per grid)."""
    out = np.empty(periods.shape[0])
    for g in range(periods.shape[0]):
        out[g] = np.sin(np.pi / periods[g])
    return out


@njit(cache=True, error_model="numpy")
def dominant_bandpass_nb(
    x: np.ndarray, periods: np.ndarray, bandwidth: float, window: int, whiten: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bar dominant period and share from a bandpass bank's mean square over ``window`` bars.

    Also returns the last bar's power per period (the spectrum). A NaN bar is skipped, as in
    :func:`bandpass_nb`, and repeats the previous outputs.
    """
    n = x.shape[0]
    k = periods.shape[0]
    alpha = np.empty(k)
    c0 = np.empty(k)
    c1 = np.empty(k)
    for p in range(k):
        beta = np.cos(2.0 * np.pi / periods[p])
        alpha[p] = bandpass_alpha_nb(periods[p], bandwidth)
        c0[p] = 0.5 * (1.0 - alpha[p])
        c1[p] = beta * (1.0 + alpha[p])
    b1 = np.zeros(k)
    b2 = np.zeros(k)
    ring = np.zeros((window, k))
    sums = np.zeros(k)
    power = np.full(k, np.nan)
    work = np.empty(k)
    per = np.full(n, np.nan)
    share = np.full(n, np.nan)
    x1 = np.nan
    x2 = np.nan
    seen = 0
    for t in range(n):
        v = x[t]
        if not np.isfinite(v):
            if t > 0:
                per[t] = per[t - 1]
                share[t] = share[t - 1]
            continue
        slot = seen % window
        for p in range(k):
            bp = 0.0 if seen < 2 else c0[p] * (v - x2) + c1[p] * b1[p] - alpha[p] * b2[p]
            b2[p] = b1[p]
            b1[p] = bp
            sums[p] += bp * bp - ring[slot, p]
            ring[slot, p] = bp * bp
        x2 = x1
        x1 = v
        seen += 1
        if slot == window - 1:  # exact re-sum once per window: no drift in the running sums
            for p in range(k):
                acc = 0.0
                for j in range(window):
                    acc += ring[j, p]
                sums[p] = acc
        if seen >= window:
            for p in range(k):
                power[p] = sums[p] / window
            per[t], share[t] = dominant_nb(periods, power, whiten, work)
    return per, share, power
