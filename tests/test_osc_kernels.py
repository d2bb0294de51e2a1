"""The oscillators' batch-only kernels against their definitions: percentile, fused %K, fused JMAs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.refs.naive_osc import _pctl_nb as naive_pctl
from uptrade.indicators.nb.jma3 import jma_chain3_nb, jma_parallel3_nb
from uptrade.indicators.nb.ma_batch import ma_1d_nb
from uptrade.indicators.nb.machines import pctl_size, pctl_step_nb
from uptrade.indicators.nb.pctl import float_keys_nb, rolling_pctl2_nb
from uptrade.indicators.nb.sniper import STOCH_BLOCK, stoch_5_8_17_nb, stoch_nb
from uptrade.indicators.nb.vzo import vzo_jma_nb
from uptrade.indicators.sniper import SniperProXStream, sniper_prox
from uptrade.indicators.vzo import VZOProXStream, vzo_prox


def _machine_pctl(x: np.ndarray, m: int, pa: float, pb: float) -> tuple[np.ndarray, np.ndarray]:
    st = np.zeros(pctl_size(m))
    ua, ub = np.empty(x.size), np.empty(x.size)
    for i, v in enumerate(x):
        ua[i], ub[i] = pctl_step_nb(st, 0, m, v, pa, pb)
    return ua, ub


def _series(rng: np.random.Generator, n: int) -> np.ndarray:
    kind = rng.integers(0, 5)
    if kind == 0:
        x = rng.normal(size=n)
    elif kind == 1:
        x = rng.integers(-3, 4, size=n).astype(float)  # many ties
    elif kind == 2:
        x = np.full(n, 2.5)  # constant
    elif kind == 3:
        x = rng.choice([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf], size=n)
    else:
        x = np.cumsum(rng.normal(size=n))
    nan_rate = rng.choice([0.0, 0.0, 0.02, 0.2])
    x[rng.random(n) < nan_rate] = np.nan
    if rng.random() < 0.3:
        x[: rng.integers(1, 10)] = np.nan  # leading NaNs
    return x


@pytest.mark.parametrize("seed", range(8))
def test_rolling_percentile_is_the_nearest_rank_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n = int(rng.integers(1, 300))
        m = int(rng.choice([1, 2, 3, int(rng.integers(1, 80))]))
        x = _series(rng, n)
        pa = float(rng.choice([0.0, 100.0, 50.0, 88.0, 28.0, rng.uniform(0, 100)]))
        pb = float(rng.choice([100.0 - pa, pa, rng.uniform(0, 100)]))
        ua, ub = rolling_pctl2_nb(x, m, pa, pb, np.empty(n), np.empty(n))
        np.testing.assert_array_equal(ua, naive_pctl(x, m, pa))
        np.testing.assert_array_equal(ub, naive_pctl(x, m, pb))
        ma, mb = _machine_pctl(x, m, pa, pb)  # the live machine selects the same values
        np.testing.assert_array_equal(ua, ma)
        np.testing.assert_array_equal(ub, mb)


def test_rolling_percentile_against_numpy_on_full_windows() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 20, size=2000).astype(float)
    m = 55
    ua, ub = rolling_pctl2_nb(x, m, 88.0, 12.0, np.empty(x.size), np.empty(x.size))
    win = np.lib.stride_tricks.sliding_window_view(x, m)
    # nearest rank ceil(p*m/100) - 1 is numpy's "inverted_cdf" method
    np.testing.assert_array_equal(ua[m - 1 :], np.percentile(win, 88.0, axis=1, method="inverted_cdf"))
    np.testing.assert_array_equal(ub[m - 1 :], np.percentile(win, 12.0, axis=1, method="inverted_cdf"))
    assert np.isnan(rolling_pctl2_nb(np.full(9, np.nan), 3, 50.0, 50.0, np.empty(9), np.empty(9))[0]).all()


def test_float_keys_order_like_the_floats() -> None:
    x = np.array([-np.inf, -1e300, -2.5, -1e-310, -0.0, 0.0, 1e-310, 3.0, 1e300, np.inf])
    k = float_keys_nb(x, np.empty(x.size, dtype=np.int64))
    assert (np.diff(k) > 0).all()
    np.testing.assert_array_equal(
        float_keys_nb(k.view(np.float64), np.empty(x.size, dtype=np.int64)).view(np.float64), x
    )


@pytest.mark.parametrize("seed", range(6))
def test_fused_stochastics_equal_one_window_at_a_time(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(1, 120))
        hi = rng.choice(
            [1.0, 2.0, 3.0, 0.0, -0.0, np.nan, np.inf, -np.inf], size=n, p=[0.3, 0.2, 0.2, 0.05, 0.05, 0.1, 0.05, 0.05]
        )
        lo = hi - rng.choice([0.0, 1.0, np.nan], size=n, p=[0.4, 0.5, 0.1])
        cl = rng.choice([1.0, 2.0, np.nan], size=n, p=[0.45, 0.45, 0.1])
        if rng.random() < 0.5:  # long clean stretches with gaps at their edges
            hi = 100 + np.cumsum(rng.normal(size=n))
            lo = hi - rng.uniform(0, 2, size=n)
            cl = lo + rng.uniform(0, 1, size=n) * (hi - lo)
            for arr in (hi, lo, cl):
                arr[rng.random(n) < 0.03] = np.nan
        outs = [np.empty(n) for _ in range(3)]
        stoch_5_8_17_nb(hi, lo, cl, *outs)
        for w, got in zip((5, 8, 17), outs, strict=True):
            np.testing.assert_array_equal(got, stoch_nb(hi, lo, cl, w, np.empty(n)))


@pytest.mark.parametrize("seed", range(4))
def test_fused_stochastics_across_blocks(seed: int) -> None:
    """Series longer than a block: gaps, infinities and a late start around the block edges."""
    rng = np.random.default_rng(seed)
    n = 4 * STOCH_BLOCK + int(rng.integers(0, STOCH_BLOCK))
    hi = 100 + np.cumsum(rng.normal(size=n))
    lo = hi - rng.uniform(0, 2, size=n)
    cl = lo + rng.uniform(0, 1, size=n) * (hi - lo)
    lo[: int(rng.integers(0, 40))] = np.inf  # the first finite low comes late
    for edge in range(STOCH_BLOCK, n, STOCH_BLOCK):
        j = edge + int(rng.integers(-20, 20))
        rng.choice((hi, lo, cl))[j] = rng.choice([np.nan, np.inf, -np.inf])
    for arr in (hi, lo):
        arr[rng.random(n) < 0.002] = np.nan
    outs = [np.empty(n) for _ in range(3)]
    stoch_5_8_17_nb(hi, lo, cl, *outs)
    for w, got in zip((5, 8, 17), outs, strict=True):
        np.testing.assert_array_equal(got, stoch_nb(hi, lo, cl, w, np.empty(n)))


@pytest.mark.parametrize("seed", range(4))
def test_fused_jmas_are_jma_nb_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    xs = [100 + np.cumsum(rng.normal(size=n)) for _ in range(3)]
    for x, head in zip(xs, (0, 4, 16), strict=True):
        x[:head] = np.nan
    phase, power = float(rng.uniform(-100, 100)), float(rng.uniform(0.5, 3))
    windows = (3, 5, int(rng.integers(1, 40)))
    outs = [np.empty(n) for _ in range(3)]
    jma_parallel3_nb(*xs, *windows, phase, power, *outs)
    for x, w, got in zip(xs, windows, outs, strict=True):
        ref = ma_1d_nb(8, x, w, phase, power, x, x, x, np.empty(n))
        np.testing.assert_array_equal(got, ref)
    chain = [np.empty(n) for _ in range(3)]
    assert jma_chain3_nb(xs[1], 28, phase, power, *chain)
    ref = xs[1]
    for got in chain:
        ref = ma_1d_nb(8, ref, 28, phase, power, ref, ref, ref, np.empty(n))
        np.testing.assert_array_equal(got, ref)
    empty = [np.empty(5) for _ in range(3)]
    jma_parallel3_nb(np.full(5, np.nan), xs[0][:5], xs[2][:5], 3, 5, 5, phase, power, *empty)
    assert np.isnan(empty[0]).all()
    np.testing.assert_array_equal(empty[1], ma_1d_nb(8, xs[0][:5], 5, phase, power, xs[0], xs[0], xs[0], np.empty(5)))


@pytest.mark.parametrize("ma_type", ["Jurik Moving Average", "EMA"])
def test_batch_equals_live_with_gaps(ma_type: str) -> None:
    """NaN bars at the start, in the middle and near the end: the fast batch paths and the live machines agree."""
    rng = np.random.default_rng(3)
    n = 700
    c = 100 + np.cumsum(rng.normal(size=n))
    h = c + rng.uniform(0, 1, size=n)
    lo = c - rng.uniform(0, 1, size=n)
    v = rng.uniform(0, 10, size=n)
    for arr, idx in ((c, [0, 1, 300, 650]), (h, [2, 301, 420]), (v, [5, 500, 690]), (lo, [640])):
        arr[idx] = np.nan
    for params, data in (
        ({"ma_type": ma_type}, (h, lo, c, v)),
        ({"ma_type": ma_type, "data_sample": 7}, (h, lo, c, v)),
    ):
        batch = sniper_prox(*data, **params)._asdict()
        live = SniperProXStream(**params)
        rows = [live.update({"high": a, "low": b, "close": d, "volume": e}) for a, b, d, e in zip(*data, strict=True)]
        for name, arr in batch.items():
            np.testing.assert_array_equal(np.array([r[name] for r in rows]), arr, err_msg=name)
        batch = vzo_prox(c, v, **params)._asdict()
        live_v = VZOProXStream(**params)
        rows = [live_v.update({"close": d, "volume": e}) for d, e in zip(c, v, strict=True)]
        for name, arr in batch.items():
            np.testing.assert_array_equal(np.array([r[name] for r in rows]), arr, err_msg=name)


def _vzo_stages(sv: np.ndarray, vol: np.ndarray, n: int, noise: int, phase: float, power: float) -> tuple:
    """vzo and vzo_smoothed one Jurik MA at a time (the general batch path)."""
    a_sv = ma_1d_nb(8, sv, n, phase, power, sv, sv, sv, np.empty(sv.size))
    a_v = ma_1d_nb(8, vol, n, phase, power, vol, vol, vol, np.empty(sv.size))
    with np.errstate(all="ignore"):
        vz = np.where(a_v != 0.0, 100.0 * a_sv / a_v, 0.0)
    vz[np.isnan(a_sv) | np.isnan(a_v)] = np.nan
    return vz, ma_1d_nb(8, vz, noise, phase, power, vz, vz, vz, np.empty(sv.size))


@pytest.mark.parametrize("seed", range(4))
def test_fused_vzo_jmas_are_the_stages_bit_for_bit(seed: int) -> None:
    """Signed volume and volume starting at different bars, zero volumes; an overflow falls back."""
    rng = np.random.default_rng(seed)
    n = 2000
    phase, power = float(rng.uniform(-100, 100)), float(rng.uniform(0.5, 3))
    length, noise = int(rng.integers(1, 30)), int(rng.integers(1, 6))
    for head_sv, head_v in ((0, 0), (3, 0), (0, 9), (n, 0)):
        vol = rng.uniform(0, 10, size=n)
        vol[rng.random(n) < 0.05] = 0.0
        sv = np.sign(rng.normal(size=n)) * vol
        sv[:head_sv] = np.nan
        vol[:head_v] = np.nan
        vz, sm = np.empty(n), np.empty(n)
        assert vzo_jma_nb(sv, vol, length, noise, phase, power, vz, sm)
        ref_vz, ref_sm = _vzo_stages(sv, vol, length, noise, phase, power)
        np.testing.assert_array_equal(vz, ref_vz)
        np.testing.assert_array_equal(sm, ref_sm)
    vol = rng.uniform(0, 1, size=n) * 1.7e308  # the averages overflow: vzo has NaNs after its start
    sv = np.sign(rng.normal(size=n)) * vol
    vz, sm = np.empty(n), np.empty(n)
    assert not vzo_jma_nb(sv, vol, 14, 2, 50.0, 2.0, vz, sm)
    np.testing.assert_array_equal(vz, _vzo_stages(sv, vol, 14, 2, 50.0, 2.0)[0])


def test_vzo_batch_equals_live_on_the_fused_path_and_its_fallback() -> None:
    """No gap (the fused Jurik loop), a late volume start, and an overflow that takes the general path."""
    rng = np.random.default_rng(11)
    n = 600
    c = 100 + np.cumsum(rng.normal(size=n))
    for v in (rng.uniform(0, 10, size=n), np.r_[np.full(7, np.nan), rng.uniform(0, 10, size=n - 7)]):
        for vol in (v, v * 1.7e307):  # finite, but the averages overflow
            batch = vzo_prox(c, vol)._asdict()
            live = VZOProXStream()
            rows = [live.update({"close": d, "volume": e}) for d, e in zip(c, vol, strict=True)]
            for name, arr in batch.items():
                np.testing.assert_array_equal(np.array([r[name] for r in rows]), arr, err_msg=name)


def test_sniper_batch_equals_live_without_gaps() -> None:
    """Clean inputs take every fast batch path (fused %K, JMAs, two-pass flags): the live values bit for bit."""
    rng = np.random.default_rng(5)
    n = 3 * STOCH_BLOCK + 37
    c = 100 + np.cumsum(rng.normal(size=n))
    h = c + rng.uniform(0, 1, size=n)
    lo = c - rng.uniform(0, 1, size=n)
    v = rng.uniform(0, 10, size=n)
    batch = sniper_prox(h, lo, c, v)._asdict()
    live = SniperProXStream()
    rows = [live.update({"high": a, "low": b, "close": d, "volume": e}) for a, b, d, e in zip(h, lo, c, v, strict=True)]
    for name, arr in batch.items():
        np.testing.assert_array_equal(np.array([r[name] for r in rows]), arr, err_msg=name)
    for name in ("minor_buy", "minor_sell", "buy_trail", "sell_trail"):
        assert batch[name].any(), name
