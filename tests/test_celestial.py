"""Celestial channel levels vs the spec formula on Swiss Ephemeris longitudes; nearest levels vs brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import swisseph as swe
import xingpan_ephemeris

from uptrade.indicators.astro import tt_days
from uptrade.indicators.celestial import celestial_channel_levels, nearest_levels

TIMES = pd.date_range("2021-01-01", periods=400, freq="37h", tz="UTC")


@pytest.fixture(scope="module")
def swiss() -> dict[str, np.ndarray]:
    swe.set_ephe_path(xingpan_ephemeris.get_ephe_path())
    jd = tt_days(TIMES) + 2451545.0
    out = {}
    for name, ipl in (("mars", swe.MARS), ("jupiter", swe.JUPITER), ("saturn", swe.SATURN)):
        rows = [swe.calc(j, ipl, swe.FLG_SWIEPH) for j in jd]
        assert all(r[1] & swe.FLG_SWIEPH for r in rows)
        out[name] = np.array([r[0][0] for r in rows])
    return out


def expected(lam: np.ndarray, scaler: float, base: int, n: int, mirror: bool) -> np.ndarray:
    s = -1.0 if mirror else 1.0
    return np.array([[s * x * scaler + 360 * scaler * (h + base) for h in range(n)] for x in lam])


@pytest.mark.parametrize("mirror", [False, True])
def test_levels_follow_the_formula(swiss: dict[str, np.ndarray], mirror: bool) -> None:
    lv = celestial_channel_levels(TIMES, "mars", scaler=16.18, base=6, n_harmonics=10, mirror=mirror)
    assert list(lv.columns) == [f"level_{h}" for h in range(10)]
    assert lv.index.equals(TIMES)
    # 1" of longitude times the scaler bounds the difference
    np.testing.assert_allclose(lv.to_numpy(), expected(swiss["mars"], 16.18, 6, 10, mirror), rtol=0, atol=16.18 / 3600)


def test_midpoint_levels(swiss: dict[str, np.ndarray]) -> None:
    a, b = swiss["jupiter"], swiss["saturn"]
    d = (b - a) % 360
    mid = (a + np.where(d <= 180, d, d - 360) / 2) % 360  # shorter arc, computed here independently
    lv = celestial_channel_levels(TIMES, "jupiter", scaler=2.5, base=1, n_harmonics=3, body_b="saturn")
    np.testing.assert_allclose(lv.to_numpy(), expected(mid, 2.5, 1, 3, False), rtol=0, atol=2.5 / 3600)


def test_parameters_are_checked() -> None:
    for kwargs, name in (({"scaler": 0}, "scaler"), ({"scaler": -1.0}, "scaler"), ({"n_harmonics": 0}, "n_harmonics"),
                         ({"base": 1.5}, "base"), ({"body_b": "mars"}, "body_b")):  # fmt: skip
        with pytest.raises(ValueError, match=name):
            celestial_channel_levels(TIMES[:3], "mars", **kwargs)
    with pytest.raises(ValueError, match="body"):
        celestial_channel_levels(TIMES[:3], "vulcan")


def test_nearest_levels_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    levels = np.sort(rng.uniform(0, 100, (500, 6)), axis=1)
    levels[rng.random(levels.shape) < 0.05] = np.nan
    close = rng.uniform(-10, 110, 500)
    close[:5] = levels[:5, 2]  # exactly on a level: that level is "below"
    close[5] = np.nan
    out = nearest_levels(close, levels)
    for i in range(500):
        row = levels[i][~np.isnan(levels[i])]
        lo = [x for x in row if x <= close[i]]
        hi = [x for x in row if x > close[i]]
        exp_lo = max(lo) if lo and np.isfinite(close[i]) else np.nan
        exp_hi = min(hi) if hi and np.isfinite(close[i]) else np.nan
        np.testing.assert_equal([out["below"][i], out["above"][i]], [exp_lo, exp_hi])
    with pytest.raises(ValueError, match="close"):
        nearest_levels(close[:3], levels)


def test_nearest_levels_on_channel_levels_keep_the_index() -> None:
    lv = celestial_channel_levels(TIMES[:50], "mars")
    close = pd.Series(lv["level_3"].to_numpy() + 1.0, index=TIMES[:50])
    out = nearest_levels(close, lv)
    assert out.index.equals(lv.index)
    np.testing.assert_array_equal(out["below"], lv["level_3"])
    np.testing.assert_array_equal(out["above"], lv["level_4"])
