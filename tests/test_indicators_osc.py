"""SniperProX and VZOProX: naive O(n*w) references, TA-Lib DMI, causality, streaming, hypothesis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.refs.naive_osc import naive_sniper, naive_vzo
from uptrade.indicators.sniper import SniperProXStream, sniper_prox, sniper_prox_frame
from uptrade.indicators.vzo import VZOProXStream, vzo_prox, vzo_prox_frame

SNIPER_CASES = [
    {},
    {"ma_type": "EMA", "length": 10},
    {"ma_type": "SMA", "dmi_len": 9, "data_sample": 30, "pcnt_above": 70.0},
]
VZO_CASES = [{}, {"ma_type": "EMA"}, {"ma_type": "SMA", "vzo_length": 21, "noise_length": 3, "pcnt_below": 65.0}]


def _ohlcv(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(frame[k].to_numpy("float64") for k in ("high", "low", "close", "volume"))


def assert_same(ours: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> None:
    assert set(ours) == set(ref)
    for name, a in ours.items():
        b = ref[name]
        if a.dtype == np.float64:
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=name)
            ok = ~np.isnan(b)
            np.testing.assert_allclose(a[ok], b[ok], rtol=1e-9, atol=1e-9, err_msg=name)
        else:
            assert a.dtype == b.dtype, name
            np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("params", SNIPER_CASES)
def test_sniper_matches_the_naive_reference(btc_1h: pd.DataFrame, eth_1h: pd.DataFrame, params: dict) -> None:
    for frame in (btc_1h.iloc[-5000:], eth_1h.iloc[:5000]):
        h, lo, c, v = _ohlcv(frame)
        res = sniper_prox(h, lo, c, v, **params)
        assert_same(res._asdict(), naive_sniper(h, lo, c, v, **params))
        assert np.abs(res.signal).sum() > 0


@pytest.mark.parametrize("params", VZO_CASES)
def test_vzo_matches_the_naive_reference(btc_1h: pd.DataFrame, eth_1h: pd.DataFrame, params: dict) -> None:
    for frame in (btc_1h.iloc[-5000:], eth_1h.iloc[:5000]):
        _, _, c, v = _ohlcv(frame)
        res = vzo_prox(c, v, **params)
        assert_same(res._asdict(), naive_vzo(c, v, **params))
        assert np.abs(res.signal).sum() > 0


def test_classic_vzo_is_the_ema_ratio(btc_1h: pd.DataFrame) -> None:
    c = btc_1h["close"].to_numpy("float64")[:4000]
    v = btc_1h["volume"].to_numpy("float64")[:4000]
    sv = np.sign(np.diff(c, prepend=c[0])) * v
    ref = 100 * talib.EMA(sv, 14) / talib.EMA(v, 14)
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(vzo_prox(c, v, ma_type="EMA").vzo[ok], ref[ok], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n", [2, 5, 14, 30])
def test_sniper_dmi_is_talib(btc_1h: pd.DataFrame, eth_1h: pd.DataFrame, n: int) -> None:
    rng = np.random.default_rng(n)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 5000)))
    rnd = (close * (1 + rng.uniform(0, 0.01, 5000)), close * (1 - rng.uniform(0, 0.01, 5000)), close, np.ones(5000))
    for h, lo, c, v in (_ohlcv(btc_1h), _ohlcv(eth_1h), rnd):
        res = sniper_prox(h, lo, c, v, dmi_len=n)
        for ours, ref in ((res.plus_di, talib.PLUS_DI(h, lo, c, n)), (res.minus_di, talib.MINUS_DI(h, lo, c, n))):
            np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
            np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9)
        adx = talib.ADX(h, lo, c, n)
        np.testing.assert_array_equal(np.isnan(res.adx), np.isnan(adx))
        np.testing.assert_allclose(res.adx, adx, rtol=1e-9, atol=1e-9)


def test_causality_and_streaming(eth_1h: pd.DataFrame) -> None:
    frame = eth_1h.iloc[-1200:]
    h, lo, c, v = _ohlcv(frame)
    full_s = sniper_prox(h, lo, c, v)._asdict()
    full_v = vzo_prox(c, v)._asdict()
    for k in (1, 2, 3, 17, 60, 401, 1199):
        part = sniper_prox(h[:k], lo[:k], c[:k], v[:k])._asdict()
        for name in full_s:
            np.testing.assert_array_equal(part[name], full_s[name][:k], err_msg=name)
        part = vzo_prox(c[:k], v[:k])._asdict()
        for name in full_v:
            np.testing.assert_array_equal(part[name], full_v[name][:k], err_msg=name)
    ss, vs = SniperProXStream(), VZOProXStream()
    rows = list(frame.itertuples())
    live_s = [ss.update(r) for r in rows]
    live_v = [vs.update({"close": r.close, "volume": r.volume}) for r in rows]
    for name in full_s:
        np.testing.assert_array_equal(np.array([x[name] for x in live_s]), full_s[name], err_msg=name)
    for name in full_v:
        np.testing.assert_array_equal(np.array([x[name] for x in live_v]), full_v[name], err_msg=name)


def test_frames_and_errors(btc_1h: pd.DataFrame) -> None:
    frame = btc_1h.iloc[:500]
    out = sniper_prox_frame(frame, length=14)
    assert out.index.equals(frame.index)
    assert out["signal"].dtype == np.int8
    assert "adaptive_cross_down" in out
    assert vzo_prox_frame(frame).index.equals(frame.index)
    with pytest.raises(ValueError, match=r"frame: missing column\(s\) volume"):
        vzo_prox_frame(frame.drop(columns="volume"))
    with pytest.raises(ValueError, match=r"SniperProX: unknown parameter\(s\) lenght; did you mean length\?"):
        sniper_prox_frame(frame, lenght=3)
    with pytest.raises(ValueError, match=r"length: must be an integer >= 1"):
        sniper_prox_frame(frame, length=0)
    with pytest.raises(ValueError, match=r"ma_type: unknown type 'nope'"):
        vzo_prox_frame(frame, ma_type="nope")
    with pytest.raises(ValueError, match=r"ma_type: Alexander Moving Average needs windows >= 4"):
        sniper_prox_frame(frame, ma_type="alexander")
    with pytest.raises(ValueError, match=r"pcnt_above: must be a finite number in \[0.0, 100.0\]"):
        vzo_prox_frame(frame, pcnt_above=120)
    with pytest.raises(ValueError, match=r"volume: length 499 differs"):
        vzo_prox(frame["close"], frame["volume"].iloc[:-1])


ohlcv_arrays = hnp.arrays(
    np.float64,
    st.integers(1, 150),
    elements=st.one_of(st.just(np.nan), st.floats(0.0, 1e5), st.just(0.0), st.just(1.0)),
)


@settings(max_examples=60, deadline=None)
@given(base=ohlcv_arrays, spread=st.floats(0, 0.1), zero_volume=st.booleans())
def test_oscillators_never_crash_and_stay_in_range(base: np.ndarray, spread: float, zero_volume: bool) -> None:
    h = base * (1 + spread)
    lo = base * (1 - spread)
    v = np.zeros_like(base) if zero_volume else np.abs(base[::-1])
    s = sniper_prox(h, lo, base, v)
    for k in (s.k1v, s.k2v, s.k3v):
        ok = ~np.isnan(k)
        assert (np.abs(k[ok]) < 1).all()
    assert np.isfinite(s.f3).all()
    assert set(np.unique(s.signal)) <= {-1, 0, 1}
    assert not (s.major_buy & ~s.minor_buy).any()
    assert not (s.major_sell & ~s.minor_sell).any()
    ok = ~np.isnan(s.adx)
    assert ((s.adx[ok] >= 0) & (s.adx[ok] <= 100 + 1e-9)).all()
    z = vzo_prox(base, v)
    assert set(np.unique(z.signal)) <= {-1, 0, 1}
    assert not (z.major_buy & ~z.minor_buy).any()
    ok = ~np.isnan(z.upper)
    assert (z.lower[ok] <= z.upper[ok]).all()
