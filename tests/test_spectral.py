"""Spectral analysis (spec section 4): Goertzel vs direct sums, bandpass vs its recursion, dominant cycle.

How the Goertzel error is measured: per bar and per period, ``|X - X_ref| / |X_ref|`` with ``X_ref``
the direct sum of the contract evaluated in ``np.longdouble`` (``tests.refs.spectral_ref``), every
bar of long real series; the tolerance is the spec's 1e-9. The float64 direct NumPy sum is checked
against the same extended-precision sum, so the oracle's own error is known (it is the spec's
"direct NumPy evaluation"). Failure messages give the condition number of the worst bar,
``sum_j |w_j d_j| / |X_ref|``: the relative error any float64 evaluation makes grows with it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.refs import spectral_ref as ref
from uptrade.indicators.spectral import (
    HURST_CYCLES,
    bandpass,
    dominant_cycle,
    dominant_cycle_rolling,
    goertzel_spectrum,
    spectral,
    spectral_frame,
)

RTOL = 1e-9  # the spec's tolerance against the direct sum
CAUSAL_RTOL = 1e-12  # the spec's causality tolerance
HURST_NAMES = list(ref.HURST)


# --------------------------------------------------------------------------- helpers


def hl2(frame: pd.DataFrame) -> np.ndarray:
    return ((frame["high"] + frame["low"]) / 2.0).to_numpy("float64")


def with_holes(x: np.ndarray, seed: int, *, lead: int = 5, runs: tuple[int, ...] = (1, 1, 1, 7, 30)) -> np.ndarray:
    """Leading NaNs, isolated NaN bars and NaN runs at random places in the second half."""
    y = x.copy()
    y[:lead] = np.nan
    rng = np.random.default_rng(seed)
    for length in runs:
        start = int(rng.integers(len(y) // 2, len(y) - length - 1))
        y[start : start + length] = np.nan
    return y


def cnan(a: np.ndarray) -> np.ndarray:
    return np.isnan(a.real) | np.isnan(a.imag)


def assert_spectrum(
    ours: np.ndarray,
    truth: np.ndarray,
    periods,
    scale: np.ndarray,
    label: str,
    *,
    level: np.ndarray | None = None,
    window: int = 0,
) -> float:
    """Per bar and period ``|X - X_ref| / |X_ref| <= RTOL`` (0/0 counts as exact); returns the worst.

    With ``level`` (``sum_j w_j |x_j|`` per bar) a bar where the sum cancels may instead stay within
    the a-priori error bound of any float64 evaluation of it, ``eps * (4 level + W sum|w d|)``
    (the bound the direct NumPy sum itself needs: see ``test_direct_oracle_is_trustworthy``).
    Where ``sum|w d| / |X_ref|`` is 1e7, 1e-9 of ``|X_ref|`` is below what float64 can resolve.
    """
    assert ours.dtype == np.complex128, ours.dtype
    assert ours.shape == truth.shape, (ours.shape, truth.shape)
    bad_o, bad_t = cnan(ours), cnan(truth)
    if (bad_o != bad_t).any():
        r, c = np.argwhere(bad_o != bad_t)[0]
        pytest.fail(f"{label}: NaN pattern differs first at bar {r}, period {periods[c]}: ours {ours[r, c]}")
    ok = ~bad_t
    err = np.abs(ours - truth)
    size = np.abs(truth)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(err == 0.0, 0.0, err / size)
    rel[~ok] = 0.0
    if level is not None:
        bound = np.finfo(np.float64).eps * (4.0 * level + window * scale)
        within = err <= bound[:, None]
        rel[within & (rel > RTOL)] = 0.0
    worst = float(rel.max(initial=0.0))
    if worst > RTOL:
        r, c = np.unravel_index(int(np.argmax(rel)), rel.shape)
        n_bad = (rel > RTOL).sum(axis=0)
        pytest.fail(
            f"{label}: worst |X-X_ref|/|X_ref| = {worst:.3e} at bar {r}, period {periods[c]} "
            f"(|X_ref| = {size[r, c]:.4g}, cond sum|w d|/|X_ref| = {scale[r] / size[r, c]:.3g}, "
            f"|X-X_ref|/sum|w d| = {err[r, c] / scale[r]:.3g}); bars over {RTOL:g} per period: "
            f"{dict(zip(map(float, periods), n_bad.tolist(), strict=True))}; "
            f"worst per period: {[f'{v:.2e}' for v in rel.max(axis=0)]}"
        )
    return worst


def float64_level(x: np.ndarray, window: int, taper: bool = True) -> np.ndarray:
    """``sum_j w_j |x_j|`` over the window ending at each bar (NaN before it is full)."""
    w = np.hanning(window) if taper else np.ones(window)
    level = np.convolve(np.abs(x), w[::-1])[: len(x)]
    level[: window - 1] = np.nan
    return level


def assert_prefix(part: np.ndarray, full: np.ndarray, label: str) -> None:
    """``part`` equals ``full[:len(part)]``: same NaNs, values within 1e-12 relative (elementwise)."""
    head = full[: len(part)]
    assert part.shape == head.shape, (label, part.shape, head.shape)
    np.testing.assert_array_equal(np.isnan(part), np.isnan(head), err_msg=label)
    ok = ~np.isnan(head)
    np.testing.assert_allclose(part[ok], head[ok], rtol=CAUSAL_RTOL, atol=0.0, err_msg=label)


def assert_close(ours: np.ndarray, want: np.ndarray, rtol: float = RTOL, label: str = "") -> None:
    """House style: same NaNs; ``rtol`` relative, ``rtol * max|want|`` absolute (oscillators cross zero)."""
    ours = np.asarray(ours, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(want), err_msg=label)
    ok = ~np.isnan(want)
    if ok.any():
        np.testing.assert_allclose(
            ours[ok], want[ok], rtol=rtol, atol=rtol * float(np.nanmax(np.abs(want))), err_msg=label
        )


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def m1(btc_1m: pd.DataFrame) -> pd.DataFrame:
    """The last 150,000 real 1m BTC bars."""
    return btc_1m.iloc[-150_000:]


@pytest.fixture(scope="module")
def long_case(m1: pd.DataFrame) -> dict:
    """150k bars of 1m hl2, window 618, default detrend + Hann: ours, the float64 oracle and the truth."""
    x = hl2(m1)
    periods = (4.3, 8.5, 34.1, 545.6, 6547.2, 23.7)
    f64, scale = ref.direct_goertzel(x, periods, 618, return_scale=True)
    return {
        "x": x,
        "periods": periods,
        "ours": goertzel_spectrum(x, periods, 618),
        "f64": f64,
        "scale": scale,
        "truth": ref.extended_goertzel(x, periods, 618),
    }


# --------------------------------------------------------------------------- (a) Goertzel


def test_hurst_cycles_table() -> None:
    assert list(HURST_CYCLES.items()) == list(ref.HURST.items())


def test_goertzel_equals_direct_sum_on_150k_real_bars(long_case: dict) -> None:
    c = long_case
    worst = assert_spectrum(c["ours"], c["truth"], c["periods"], c["scale"], "1m hl2 W=618")
    assert worst <= RTOL
    # and against the float64 direct NumPy sum itself (the spec's wording)
    assert_spectrum(c["ours"], c["f64"], c["periods"], c["scale"], "1m hl2 W=618 vs float64 oracle")


def test_direct_oracle_is_trustworthy(long_case: dict) -> None:
    """The float64 direct sum and the literal np.polyfit evaluation agree with the extended-precision sum."""
    c = long_case
    x, periods, truth = c["x"], c["periods"], c["truth"]
    # float64 oracle at every bar within the spec tolerance of the exact sum
    assert_spectrum(c["f64"], truth, periods, c["scale"], "float64 oracle vs longdouble")
    # and within the a-priori error bound of a float64 evaluation: detrending rounds each d_j by about
    # eps*|x_j| (the price level), the dot product adds at most W*eps*sum|w_j d_j|
    eps = np.finfo(np.float64).eps
    w = np.hanning(618)
    level = np.convolve(np.abs(x), w[::-1])[: len(x)]  # sum_j w_j |x_j| over each window
    bound = eps * (4.0 * level + 618 * c["scale"])
    ok = ~np.isnan(bound)
    assert np.all(np.abs(c["f64"] - truth)[ok] <= bound[ok, None])
    # the contract spelled out (np.polyfit detrend, np.hanning, np.exp) on a subset incl. the worst-conditioned bars
    rng = np.random.default_rng(1)
    bars = np.unique(
        np.r_[
            rng.choice(np.arange(617, len(x)), 60, replace=False),
            np.argsort(-np.nanmax(c["scale"][:, None] / np.abs(truth), 1))[:20],
        ]
    )
    literal = ref.literal_goertzel(x, periods, 618, True, True, bars)
    assert_spectrum(literal, truth[bars], periods, c["scale"][bars], "literal np.polyfit evaluation vs longdouble")


@pytest.mark.parametrize(("detrend", "taper"), [(True, True), (True, False), (False, True), (False, False)])
def test_goertzel_detrend_taper_combinations(m1: pd.DataFrame, detrend: bool, taper: bool) -> None:
    x = m1["close"].to_numpy("float64")[-60_000:]
    periods = (4.3, 17.0, 136.4, 6547.2)
    ours = goertzel_spectrum(x, periods, 618, detrend=detrend, taper=taper)
    _, scale = ref.direct_goertzel(x, periods, 618, detrend, taper, return_scale=True)
    truth = ref.extended_goertzel(x, periods, 618, detrend, taper)
    label = f"1m close W=618 detrend={detrend} taper={taper}"
    assert_spectrum(ours, truth, periods, scale, label, level=float64_level(x, 618, taper), window=618)


@pytest.mark.parametrize("window", [16, 64, 257])
def test_goertzel_small_windows(m1: pd.DataFrame, window: int) -> None:
    x = hl2(m1)[-100_000:]
    periods = (2.5, 4.3, 8.5, 17.0, 100.0, 6547.2)
    ours = goertzel_spectrum(x, periods, window)
    _, scale = ref.direct_goertzel(x, periods, window, return_scale=True)
    truth = ref.extended_goertzel(x, periods, window)
    assert_spectrum(ours, truth, periods, scale, f"1m hl2 W={window}")


@pytest.mark.parametrize(("window", "period"), [(3, 4.3), (618, 2.0), (64, 2.0)])
def test_goertzel_edge_parameters(m1: pd.DataFrame, window: int, period: float) -> None:
    """The smallest window and the Nyquist period, where real prices make the sum cancel (tiny |X_ref|)."""
    x = hl2(m1)[-50_000:]
    ours = goertzel_spectrum(x, [period], window)
    _, scale = ref.direct_goertzel(x, [period], window, return_scale=True)
    truth = ref.extended_goertzel(x, [period], window)
    label = f"1m hl2 W={window} P={period}"
    assert_spectrum(ours, truth, [period], scale, label, level=float64_level(x, window), window=window)


@pytest.mark.parametrize("window", [100, 618])
def test_goertzel_nan_holes(btc_1h: pd.DataFrame, window: int) -> None:
    """NaN while a NaN is in the window (and before bar W-1); exact again once it has left."""
    x = with_holes(hl2(btc_1h), window, runs=(1, 1, 3, 40, 700))
    periods = (4.3, 34.1, 6547.2)
    ours = goertzel_spectrum(x, periods, window)
    _, scale = ref.direct_goertzel(x, periods, window, return_scale=True)
    truth = ref.extended_goertzel(x, periods, window)
    undefined = ref.window_has_nan(x, window)
    assert undefined.sum() < len(x) // 4  # the test really has defined bars after the holes
    np.testing.assert_array_equal(cnan(ours), np.repeat(undefined[:, None], 3, axis=1))
    assert_spectrum(ours, truth, periods, scale, f"1h hl2 with holes W={window}")


@pytest.mark.parametrize(("detrend", "taper"), [(True, True), (False, False)])
def test_goertzel_amplitude_phase_value(btc_1h: pd.DataFrame, detrend: bool, taper: bool) -> None:
    frame = btc_1h.iloc[-20_000:]
    x = pd.Series(hl2(frame), index=frame.index)
    window = 300
    res = spectral(x, method="goertzel", window=window, detrend=detrend, taper=taper)
    periods = list(ref.HURST.values())
    truth = ref.extended_goertzel(x.to_numpy(), periods, window, detrend, taper)
    amp, phase, value = ref.oscillator_parts(truth, periods, window, taper)
    for frame_out in (res.cycles, res.amplitude, res.phase):
        assert list(frame_out.columns) == HURST_NAMES
        assert frame_out.index.equals(x.index)
    assert res.composite.index.equals(x.index)
    a, p, v = (f.to_numpy("float64") for f in (res.amplitude, res.phase, res.cycles))
    np.testing.assert_array_equal(np.isnan(a), np.isnan(amp))
    ok = ~np.isnan(amp)
    assert ok[:, 0].sum() == len(x) - window + 1
    # amplitude 2|X|/sum(w): relative; phase arg X: |dphase| <= |dX|/|X|; value: |dv| <= 2|dX|/sum(w)
    np.testing.assert_allclose(a[ok], amp[ok], rtol=RTOL, atol=0.0)
    dphase = np.angle(np.exp(1j * (p[ok] - phase[ok])))
    assert np.max(np.abs(dphase)) <= RTOL
    assert np.all(np.abs(v[ok] - value[ok]) <= RTOL * amp[ok])
    # internal consistency of the three outputs, and the composite
    carry = 2.0 * np.pi * (window - 1) / np.asarray(periods)
    assert np.all(np.abs(v[ok] - a[ok] * np.cos(p[ok] + np.broadcast_to(carry, a.shape)[ok])) <= 1e-12 * a[ok] + 1e-300)
    comp = res.composite.to_numpy("float64")
    want = res.cycles.sum(axis=1, skipna=False).to_numpy("float64")
    assert_close(comp, want, rtol=1e-12, label="composite")


def test_spectral_goertzel_column_names(btc_1h: pd.DataFrame) -> None:
    x = hl2(btc_1h.iloc[-3000:])
    res = spectral(x, periods=[23.7, 4.3, 100.0], method="goertzel", window=256)
    assert list(res.cycles.columns) == ["23.7", "5d", "100"]
    assert list(res.amplitude.columns) == ["23.7", "5d", "100"]
    assert res.cycles.index.equals(pd.RangeIndex(3000))
    truth = ref.extended_goertzel(x, [23.7, 4.3, 100.0], 256)
    _, _, value = ref.oscillator_parts(truth, [23.7, 4.3, 100.0], 256, True)
    assert_close(res.cycles.to_numpy("float64"), value, label="cycles")


# --------------------------------------------------------------------------- (b) bandpass


@pytest.fixture(scope="module")
def h1_holes(btc_1h: pd.DataFrame) -> pd.Series:
    frame = btc_1h
    return pd.Series(with_holes(hl2(frame), 7, lead=9, runs=(1, 1, 2, 5, 48)), index=frame.index)


@pytest.mark.parametrize(
    ("period", "bandwidth"), [*((p, 0.025) for p in ref.HURST.values()), (23.7, 0.1), (10.0, 0.05)]
)
def test_bandpass_equals_direct_recursion(h1_holes: pd.Series, period: float, bandwidth: float) -> None:
    x = h1_holes.to_numpy()
    ours = bandpass(x, period, bandwidth)
    assert isinstance(ours, np.ndarray)
    want = ref.direct_bandpass(x, period, bandwidth)
    assert np.isnan(want[:9]).all()
    assert (want[9:11] == 0.0).all()
    assert not np.isnan(want[9:]).any()
    assert_close(ours, want, label=f"bandpass P={period} bw={bandwidth}")


@pytest.mark.parametrize("period", [4.3, 68.2, 6547.2])
def test_bandpass_skips_nan_bars_exactly(h1_holes: pd.Series, period: float) -> None:
    """A NaN bar is skipped: the output equals the compacted series' output, forward-filled."""
    x = h1_holes.to_numpy()[:30_000]
    keep = ~np.isnan(x)
    full = bandpass(x, period)
    compact = bandpass(x[keep], period)
    np.testing.assert_array_equal(full[keep], compact)
    idx = np.flatnonzero(~keep)
    idx = idx[idx > 9]
    np.testing.assert_array_equal(full[idx], full[idx - 1])  # holes (runs included, left to right) repeat


def test_spectral_hurst_cycles_and_composite(h1_holes: pd.Series) -> None:
    x = h1_holes.iloc[-25_000:]
    res = spectral(x)
    assert res.amplitude is None
    assert res.phase is None
    assert list(res.cycles.columns) == HURST_NAMES
    assert res.cycles.index.equals(x.index)
    assert res.composite.index.equals(x.index)
    arr = x.to_numpy()
    for name, period in ref.HURST.items():
        assert_close(res.cycles[name].to_numpy("float64"), ref.direct_bandpass(arr, period), label=name)
    want = res.cycles.sum(axis=1, skipna=False).to_numpy("float64")
    assert_close(res.composite.to_numpy("float64"), want, rtol=1e-12, label="composite")
    sub = spectral(x, periods=[17.0, 23.7], bandwidth=0.1)
    assert list(sub.cycles.columns) == ["20d", "23.7"]
    assert_close(sub.cycles["23.7"].to_numpy("float64"), ref.direct_bandpass(arr, 23.7, 0.1), label="23.7")


# --------------------------------------------------------------------------- (c) dominant cycle


def planted(rng: np.random.Generator, n: int, cycles: list[tuple[float, float]], sigma: float) -> np.ndarray:
    """Sum of sines (period, amplitude) with random phases + a random linear trend + N(0, sigma) noise."""
    t = np.arange(n, dtype=np.float64)
    amp_max = max(a for _, a in cycles)
    x = 1000.0 * amp_max + rng.uniform(-5, 5) * amp_max / n * t  # the trend moves up to 5 amplitudes
    for period, amp in cycles:
        x = x + amp * np.sin(2.0 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    return x + rng.normal(0.0, sigma, n)


def describe(x: np.ndarray, window: int, dc, period: float) -> str:
    """Spectrum shape for a failure report."""
    top = np.argsort(-dc.spectrum)[:5]
    dense = ref.dense_peak(x, float(dc.periods[0]), float(dc.periods[-1]), window)
    return (
        f"planted {period:.3f}: found {dc.period:.3f} (power {dc.power:.3f}); dense-grid argmax {dense:.3f}; "
        f"top grid points {[(round(float(dc.periods[i]), 2), float(dc.spectrum[i] / dc.spectrum.max())) for i in top]}"
    )


@pytest.mark.parametrize("window", [618, 256])
def test_dominant_cycle_finds_planted_sine_at_snr_1(window: int) -> None:
    rng = np.random.default_rng(window)
    failures = []
    errors = []
    for _ in range(200):
        period = rng.uniform(8.0, window / 3.0)
        amp = 10.0 ** rng.uniform(-2, 3)
        x = planted(rng, window + 37, [(period, amp)], amp / math.sqrt(2.0))  # signal power = noise power
        x[:20] = np.nan  # bars before the last `window` are not used
        dc = dominant_cycle(x, window=window)
        assert 0.0 <= dc.power <= 1.0
        err = abs(dc.period / period - 1.0)
        errors.append(err)
        if err > 0.05:
            failures.append(describe(x, window, dc, period))
    assert not failures, f"{len(failures)}/200 misses (max rel err {max(errors):.3f}):\n" + "\n".join(failures)


def _check_rules(x: np.ndarray, window: int, dc, min_period: float, max_period: float, ppo: int) -> None:
    """The grid, the spectrum, the refinement, the power share and the peak table, by the contract's rules."""
    grid = np.asarray(dc.periods, dtype=np.float64)
    spec = np.asarray(dc.spectrum, dtype=np.float64)
    assert grid.shape == spec.shape
    steps = np.diff(np.log2(grid))
    assert np.all(steps > 0)
    assert np.ptp(steps) < 1e-9 * steps.mean()  # a log grid
    assert steps.mean() <= 1.0 / ppo * (1 + 1e-12)  # at least ppo points per octave
    assert grid[0] == pytest.approx(min_period, rel=1e-12)
    assert grid[-1] <= max_period * (1 + 1e-12)
    assert grid[-1] * 2.0 ** steps.mean() > max_period
    truth = ref.extended_goertzel(x[-window:], grid, window)[-1]
    np.testing.assert_allclose(np.sqrt(spec), np.abs(truth), rtol=RTOL, atol=0.0)
    interior = ref.local_maxima(spec, edges=False)
    with_edges = ref.local_maxima(spec, edges=True)
    # the dominant cycle is the highest grid power of the band; at a band end the contract leaves
    # the refinement open (the implementation uses the grid point beyond, not in dc.spectrum)
    i = int(np.argmax(spec))
    if 0 < i < len(grid) - 1:
        assert dc.period == pytest.approx(ref.refine(grid, spec, i), rel=RTOL)
    else:
        assert grid[0] <= dc.period <= grid[-1]
    inclusive, inner = ref.lobe_shares(spec, i, grid)
    assert min(abs(dc.power - inclusive), abs(dc.power - inner)) <= RTOL * inclusive, (dc.power, inclusive, inner)
    share = 1 if abs(dc.power - inclusive) <= abs(dc.power - inner) else 2  # minima counted in the lobe or not
    peaks = dc.peaks
    assert list(peaks.columns) == ["period", "power", "peak"]
    assert np.all(np.diff(peaks["peak"].to_numpy()) <= 0)  # highest peak first ...
    assert peaks["period"].iloc[0] == dc.period  # ... and that is the dominant cycle
    assert peaks["power"].iloc[0] == dc.power
    # every local maximum is a row (refined period, lobe share, grid power); band ends count when above
    # their one neighbour
    assert len(peaks) == len(with_edges), (len(peaks), len(interior), len(with_edges))
    got = peaks.to_numpy("float64")
    for k in interior:
        period = ref.refine(grid, spec, k)
        share_k = ref.lobe_shares(spec, k, grid)[share - 1]
        hit = np.isclose(got[:, 0], period, rtol=RTOL, atol=0.0) & np.isclose(got[:, 1], share_k, rtol=RTOL, atol=0.0)
        assert hit.sum() == 1, (k, period, share_k, got)
        assert np.isclose(got[hit, 2], spec[k], rtol=RTOL, atol=0.0).all()


@pytest.mark.parametrize("window", [618, 256])
def test_dominant_cycle_follows_the_rules(btc_1h: pd.DataFrame, window: int) -> None:
    rng = np.random.default_rng(window + 1)
    cases = []
    for _ in range(10):
        period = rng.uniform(8.0, window / 3.0)
        cases.append((planted(rng, window, [(period, 1.0)], 1 / math.sqrt(2)), 8.0, window / 3.0, 16, {}))
    x_real = hl2(btc_1h)
    for end in (20_000, 50_000, len(x_real)):
        cases.append((x_real[:end], 8.0, window / 3.0, 16, {}))
        cases.append((x_real[:end], 5.0, 60.0, 8, {"min_period": 5.0, "max_period": 60.0, "points_per_octave": 8}))
    for x, lo, hi, ppo, kw in cases:
        dc = dominant_cycle(x, window=window, **kw)
        _check_rules(x, window, dc, lo, hi, ppo)


@pytest.mark.parametrize("window", [618, 256])
def test_dominant_cycle_ranks_two_planted_cycles(window: int) -> None:
    rng = np.random.default_rng(window + 2)
    failures = []
    for _ in range(50):
        while True:
            p1, p2 = np.exp(rng.uniform(math.log(8.0), math.log(window / 3.0), 2))
            # resolvable: the Hann main lobe is 2 bins either side, so the two must be 4 bins apart
            if max(p1, p2) / min(p1, p2) >= 1.6 and abs(1 / p1 - 1 / p2) >= 4.0 / window:
                break
        strong, weak = (float(p1), float(p2))
        x = planted(rng, window, [(strong, 2.0), (weak, 1.0)], 1.0 / math.sqrt(2.0))  # weak one at SNR 1
        dc = dominant_cycle(x, window=window)
        got = dc.peaks["period"].to_numpy()[:2]
        if len(got) < 2 or abs(got[0] / strong - 1) > 0.05 or abs(got[1] / weak - 1) > 0.05:
            failures.append(
                f"strong {strong:.2f} weak {weak:.2f}: peaks {dc.peaks.head(4).round(4).to_dict('records')}"
            )
    assert not failures, f"{len(failures)}/50 wrongly ranked:\n" + "\n".join(failures)


# --------------------------------------------------------------------------- (d) causality


@pytest.fixture(scope="module")
def causal_x(btc_1h: pd.DataFrame) -> np.ndarray:
    x = hl2(btc_1h.iloc[-2500:]).copy()
    x[:3] = np.nan
    x[1800] = np.nan
    x[2100:2110] = np.nan
    return x


KS = (1, 2, 3, 4, 5, 99, 100, 101, 617, 618, 619, 1000, 1799, 1800, 1801, 1802, 1918, 1919, 2105, 2300, 2499)


def test_causality_bandpass_and_goertzel(causal_x: np.ndarray) -> None:
    x = causal_x
    for period in (4.3, 34.1, 6547.2):
        full = bandpass(x, period)
        for k in KS:
            assert_prefix(bandpass(x[:k], period), full, f"bandpass {period} k={k}")
    periods = (2.0, 4.3, 34.1, 6547.2)
    for window in (100, 618):
        full = goertzel_spectrum(x, periods, window)
        for k in KS:
            part = goertzel_spectrum(x[:k], periods, window)
            assert part.shape == (k, len(periods))
            np.testing.assert_array_equal(cnan(part), cnan(full[:k]))
            ok = ~cnan(part)
            assert np.all(np.abs(part[ok] - full[:k][ok]) <= CAUSAL_RTOL * np.abs(full[:k][ok])), (window, k)


@pytest.mark.parametrize("method", ["hurst", "goertzel"])
def test_causality_spectral(causal_x: np.ndarray, method: str) -> None:
    x = causal_x
    full = spectral(x, method=method, window=100)
    for k in KS:
        part = spectral(x[:k], method=method, window=100)
        for field in ("cycles", "composite", "amplitude", "phase"):
            a, b = getattr(part, field), getattr(full, field)
            if method == "hurst" and field in ("amplitude", "phase"):
                assert a is None
                assert b is None
                continue
            assert_prefix(a.to_numpy("float64"), b.to_numpy("float64"), f"{method} {field} k={k}")


def test_causality_dominant_cycle_rolling(causal_x: np.ndarray) -> None:
    x = causal_x[:900]
    full = dominant_cycle_rolling(x, window=128).to_numpy("float64")
    for k in (1, 50, 127, 128, 129, 130, 400, 899, 900):
        part = dominant_cycle_rolling(x[:k], window=128).to_numpy("float64")
        assert_prefix(part, full, f"rolling k={k}")


# --------------------------------------------------------------------------- (e) rolling dominant cycle


def test_dominant_cycle_rolling_matches_point_calls(btc_1h: pd.DataFrame) -> None:
    frame = btc_1h.iloc[-1500:]
    xs = pd.Series(hl2(frame), index=frame.index)
    x = xs.to_numpy()
    roll = dominant_cycle_rolling(xs, window=256)
    assert list(roll.columns) == ["period", "power"]
    assert roll.index.equals(xs.index)
    vals = roll.to_numpy("float64")
    assert np.isnan(vals[:255]).all()
    assert not np.isnan(vals[255:]).any()
    last = dominant_cycle(x, window=256)
    assert vals[-1, 0] == pytest.approx(last.period, rel=RTOL)
    assert vals[-1, 1] == pytest.approx(last.power, rel=RTOL)
    for t in (255, 256, 300, 777, 1200):
        dc = dominant_cycle(x[: t + 1], window=256)
        assert vals[t, 0] == pytest.approx(dc.period, rel=RTOL), t
        assert vals[t, 1] == pytest.approx(dc.power, rel=RTOL), t
    kw = {"min_period": 10.0, "max_period": 60.0, "points_per_octave": 12}
    roll2 = dominant_cycle_rolling(x, window=200, **kw).to_numpy("float64")
    assert roll2.shape == (1500, 2)
    for t in (199, 1000, 1499):
        dc = dominant_cycle(x[: t + 1], window=200, **kw)
        assert roll2[t, 0] == pytest.approx(dc.period, rel=RTOL), t
        assert roll2[t, 1] == pytest.approx(dc.power, rel=RTOL), t


def test_dominant_cycle_nan_handling(btc_1h: pd.DataFrame) -> None:
    x = hl2(btc_1h.iloc[-1000:]).copy()
    x[500] = np.nan
    roll = dominant_cycle_rolling(x, window=128).to_numpy("float64")
    undefined = ref.window_has_nan(x, 128)
    np.testing.assert_array_equal(np.isnan(roll[:, 0]), undefined)
    np.testing.assert_array_equal(np.isnan(roll[:, 1]), undefined)
    with pytest.raises(ValueError, match=r"(?i)nan"):  # a NaN inside the last window
        dominant_cycle(x[:600], window=128)
    dc = dominant_cycle(x, window=128)  # the NaN is older than the window
    assert dc.period == pytest.approx(roll[-1, 0], rel=RTOL)


# --------------------------------------------------------------------------- (f) validation


def test_input_validation_names_the_parameter() -> None:
    x = 100.0 + np.sin(np.arange(2000) / 5.0)
    with pytest.raises(ValueError, match="window"):
        goertzel_spectrum(x, 10.0, window=2)
    with pytest.raises(ValueError, match="period"):
        goertzel_spectrum(x, [10.0, 1.9], window=100)
    with pytest.raises(ValueError, match="period"):
        spectral(x, periods=[1.5], method="goertzel", window=100)
    with pytest.raises(ValueError, match="period"):
        spectral(x, periods=[1.5], method="hurst")
    with pytest.raises(ValueError, match="period"):
        bandpass(x, 1.5)
    with pytest.raises(ValueError, match="window"):
        spectral(x, method="goertzel", window=1)
    with pytest.raises(ValueError, match="method"):
        spectral(x, method="fourier")
    with pytest.raises(ValueError, match="points_per_octave"):
        dominant_cycle(x, window=300, points_per_octave=7)
    with pytest.raises(ValueError, match="points_per_octave"):
        dominant_cycle_rolling(x, window=300, points_per_octave=4)
    with pytest.raises(ValueError, match=r"src|window"):
        dominant_cycle(x[:100], window=300)
    with pytest.raises(ValueError, match="min_period"):
        dominant_cycle(x, min_period=1.0, window=300)
    with pytest.raises(ValueError, match="window"):
        dominant_cycle(x, window=2)
    dominant_cycle(x, window=300, points_per_octave=8)  # the minimum is accepted


# --------------------------------------------------------------------------- (g) pandas in, pandas out


def test_series_in_series_out_and_spectral_frame(btc_1h: pd.DataFrame) -> None:
    frame = btc_1h.iloc[-4000:]
    src = pd.Series(hl2(frame), index=frame.index, name="hl2")
    out = bandpass(src, 17.0)
    assert isinstance(out, pd.Series)
    assert out.index.equals(src.index)
    np.testing.assert_array_equal(out.to_numpy(), bandpass(src.to_numpy(), 17.0))
    for method in ("hurst", "goertzel"):
        a = spectral_frame(frame, method=method, window=300)
        b = spectral(src, method=method, window=300)
        assert a.cycles.index.equals(frame.index)
        pd.testing.assert_frame_equal(a.cycles, b.cycles)
        pd.testing.assert_series_equal(a.composite, b.composite, check_names=False)
        # hl2, not the close
        c = spectral(frame["close"], method=method, window=300)
        assert not np.allclose(a.cycles.to_numpy(), c.cycles.to_numpy(), equal_nan=True)
    d = spectral_frame(frame, periods=[34.1])
    assert list(d.cycles.columns) == ["40d"]
    assert_close(d.cycles["40d"].to_numpy("float64"), ref.direct_bandpass(src.to_numpy(), 34.1), label="frame 40d")
    arr = spectral(src.to_numpy(), periods=[34.1])
    assert arr.cycles.index.equals(pd.RangeIndex(4000))
