"""The astro page against the ephemeris, aspect search and celestial levels called directly, and its builders."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard_support import RUN_TIMEOUT, build_store, no_exception, page_test, plotly_times
from tests.dashboard_support import plotly_values as values
from uptrade.dashboard import APP_PATH
from uptrade.dashboard.components import astro_charts as ac
from uptrade.dashboard.components.charts import MAX_POINTS
from uptrade.data.store import Store, open_store
from uptrade.indicators.astro import planet_longitude
from uptrade.indicators.astro_events import aspect_events, stations
from uptrade.indicators.celestial import celestial_channel_levels, nearest_levels
from uptrade.indicators.params import CelestialParams

SYMBOL = "BTC-USDT"


# ----------------------------------------------------------------------------------------- helpers


def figures(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def times(t: dict[str, Any]) -> pd.DatetimeIndex:
    return plotly_times(t["x"])


def level_traces(fig: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in fig["data"] if str(t.get("name", "")).startswith("level_")}


def timeline(fig: dict[str, Any]) -> set[tuple[pd.Timestamp, str, str]]:
    """(time, pair, aspect) of every marker on the aspect timeline."""
    out = set()
    for t in fig["data"]:
        name = t["name"].split(" (")[0]
        out |= {(x, y, name) for x, y in zip(times(t), t["y"], strict=True)}
    return out


def library_timeline(bodies: list[str], start: pd.Timestamp, end: pd.Timestamp, kinds: list[str] | None = None) -> set:
    out = set()
    for a, b in itertools.combinations(bodies, 2):
        ev = aspect_events(a, b, start, end, kinds)
        out |= {(t, f"{a} – {b}", k) for t, k in zip(ev["time"], ev["aspect"], strict=True)}
    return out


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("astro") / "store.db")


@pytest.fixture(scope="module")
def store(url: str) -> Iterator[Store]:
    s = open_store(url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def span(store: Store) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The sidebar's default range for BTC-USDT 1h: the last 365 days to the last bar's day end."""
    last = store.read_ohlcv(SYMBOL, "1h").index[-1].normalize()
    return last - pd.Timedelta(days=365), last + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


@pytest.fixture
def at(url: str) -> Iterator[AppTest]:
    with pytest.MonkeyPatch.context() as mp:
        yield page_test(mp, url, "astro")


def page_with(url: str, symbol: str, timeframe: str) -> AppTest:
    """The page with ``symbol`` and ``timeframe`` chosen in the sidebar.

    AppTest runs the main script (which builds the sidebar) on its first run only; later runs
    and ``switch_page`` run the page's script alone. So the sidebar's widgets get their values
    through the session state before that first run, as a user's choice would give them.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UPTRADE_DATABASE_URL", url)
        at = AppTest.from_file(str(APP_PATH), default_timeout=RUN_TIMEOUT)
        at.session_state["sb_symbol"] = symbol
        at.session_state["sb_timeframe"] = timeframe
        at.run()
        assert at.sidebar.selectbox(key="sb_timeframe").value == timeframe
        at.switch_page("views/astro.py").run()
    return at


# ------------------------------------------------------------------------------------------- page


def test_longitudes_equal_planet_longitude(at: AppTest, span: tuple[pd.Timestamp, pd.Timestamp]) -> None:
    no_exception(at)
    fig = figures(at)[0]
    assert [t["name"] for t in fig["data"]] == ["sun", "mercury", "venus", "mars", "jupiter", "saturn"]
    for t in fig["data"]:
        x, y = times(t), values(t["y"])
        keep = ~np.isnan(y)
        assert x[keep][0] == span[0]
        step = x[1] - x[0]  # the sampling step: the last sample is within one step of the range's end
        assert span[1] - step < x[keep][-1] <= span[1]
        at_five = np.flatnonzero(keep)[[0, 100, 500, 900, -1]]
        np.testing.assert_allclose(y[at_five], planet_longitude(x[at_five], t["name"]).to_numpy(), atol=1e-9)
    at.multiselect(key="astro_lon_bodies").set_value(["moon", "true_node"])
    at.selectbox(key="astro_frame").select("sidereal").run()
    no_exception(at)
    fig = figures(at)[0]
    assert [t["name"] for t in fig["data"]] == ["moon", "true_node"]
    moon = fig["data"][0]
    x, y = times(moon), values(moon["y"])
    assert np.isnan(y).sum() >= 12  # a gap at each of the Moon's ~13 passes through 0°
    pick = np.flatnonzero(~np.isnan(y))[::397]
    expected = planet_longitude(x[pick], "moon", frame="sidereal").to_numpy()
    np.testing.assert_allclose(y[pick], expected, atol=1e-9)


def test_aspect_timeline_follows_the_bodies(at: AppTest, span: tuple[pd.Timestamp, pd.Timestamp]) -> None:
    default = timeline(figures(at)[1])
    assert default == library_timeline(["sun", "moon", "mars"], *span)
    at.multiselect(key="astro_aspect_bodies").set_value(["venus", "jupiter", "saturn"])
    at.multiselect(key="astro_aspect_kinds").set_value(["square", "trine", "opposition"]).run()
    no_exception(at)
    changed = timeline(figures(at)[1])
    assert changed
    assert changed != default
    assert changed == library_timeline(["venus", "jupiter", "saturn"], *span, ["square", "trine", "opposition"])
    at.multiselect(key="astro_aspect_bodies").set_value(["venus"]).run()
    no_exception(at)
    assert any("at least two bodies" in i.value for i in at.info)


def test_celestial_levels_equal_the_library(at: AppTest, store: Store, span: tuple[pd.Timestamp, pd.Timestamp]) -> None:
    candles = store.read_ohlcv(SYMBOL, "1h", span[0], span[1])
    drawn = level_traces(figures(at)[2])
    full = celestial_channel_levels(candles.index, "saturn", 16.18, 6, 10)
    spacing = 360 * 16.18
    low, high = candles["low"].min() - spacing, candles["high"].max() + spacing
    near = [c for c in full if full[c].max() >= low and full[c].min() <= high]
    assert sorted(drawn) == sorted(near)
    assert 0 < len(drawn) < 10
    for name, t in drawn.items():
        np.testing.assert_allclose(values(t["y"]), full[name].reindex(times(t)).to_numpy(), rtol=1e-12)
    nearest = nearest_levels(candles["close"].to_numpy()[-1:], full.to_numpy()[-1:])
    shown = {m.label: m.value for m in at.metric}
    assert shown["level below"] == f"{nearest['below'].iloc[0]:,.2f}"
    assert shown["level above"] == f"{nearest['above'].iloc[0]:,.2f}"

    at.selectbox(key="astro_cel_body").select("jupiter")
    at.selectbox(key="astro_cel_body_b").select("mars")
    at.number_input(key="astro_cel_scaler").set_value(20.0)
    at.number_input(key="astro_cel_base").set_value(5)
    at.number_input(key="astro_cel_harmonics").set_value(4)
    at.checkbox(key="astro_cel_mirror").check()
    at.checkbox(key="astro_cel_near").uncheck().run()
    no_exception(at)
    drawn = level_traces(figures(at)[2])
    full = celestial_channel_levels(candles.index, "jupiter", 20.0, 5, 4, mirror=True, body_b="mars")
    assert sorted(drawn) == ["level_0", "level_1", "level_2", "level_3"]
    for name, t in drawn.items():
        np.testing.assert_allclose(values(t["y"]), full[name].reindex(times(t)).to_numpy(), rtol=1e-12)


def test_bad_celestial_parameter_shows_one_line(at: AppTest) -> None:
    at.number_input(key="astro_cel_scaler").set_value(0.0).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("scaler:")


def test_sidebar_symbol_and_timeframe_change_the_price(url: str, store: Store) -> None:
    eth = page_with(url, "ETH-USDT", "1h")
    no_exception(eth)
    candle = figures(eth)[2]["data"][0]
    assert values(candle["close"])[-1] == store.read_ohlcv("ETH-USDT", "1h")["close"].iloc[-1]
    daily_page = page_with(url, SYMBOL, "1d")
    no_exception(daily_page)
    daily = store.read_ohlcv(SYMBOL, "1d")
    daily = daily[daily.index >= daily.index[-1].normalize() - pd.Timedelta(days=365)]
    fig = figures(daily_page)[2]
    np.testing.assert_array_equal(values(fig["data"][0]["close"]), daily["close"].to_numpy())
    full = celestial_channel_levels(daily.index, "saturn", 16.18, 6, 10)
    for name, t in level_traces(fig).items():
        assert list(times(t)) == list(daily.index)
        np.testing.assert_allclose(values(t["y"]), full[name].to_numpy(), rtol=1e-12)


# ------------------------------------------------------------------------------------- builders


def test_sample_times() -> None:
    start = pd.Timestamp("2024-01-01", tz="UTC")
    year = ac.sample_times(start, start + pd.Timedelta(days=366) - pd.Timedelta(seconds=1))
    assert MAX_POINTS * 0.95 < len(year) <= MAX_POINTS
    assert (year.as_unit("ns").asi8 % 60_000_000_000 == 0).all()
    assert len(set(np.diff(year.asi8))) == 1
    day = ac.sample_times(start, start + pd.Timedelta(days=1))
    assert len(day) == 25
    assert day[1] - day[0] == pd.Timedelta(hours=1)


def test_longitudes_and_figure_break_at_the_wrap() -> None:
    t = pd.date_range("2024-03-10", periods=60, freq="6h", tz="UTC")
    lons = ac.longitudes(t, ["moon", "sun"], "tropical")
    np.testing.assert_array_equal(lons["moon"], planet_longitude(t, "moon").to_numpy())
    np.testing.assert_array_equal(lons["sun"], planet_longitude(t, "sun").to_numpy())
    fig = ac.longitude_figure(lons, title="t")
    moon, sun = fig.data
    wraps = int((np.abs(np.diff(lons["moon"].to_numpy())) > 180).sum())
    assert wraps >= 1
    assert len(moon.y) == len(moon.x) == 60 + wraps
    assert np.isnan(moon.y).sum() == wraps
    gap = int(np.flatnonzero(np.isnan(moon.y))[0])
    assert moon.y[gap - 1] > 300
    assert moon.y[gap + 1] < 60
    assert moon.x[gap] == moon.x[gap + 1]
    np.testing.assert_array_equal(moon.y[~np.isnan(moon.y)], lons["moon"].to_numpy())
    assert np.isnan(sun.y).sum() == 1  # the Sun passes 0° Aries on 2024-03-20
    assert list(fig.layout.yaxis.range) == [0, 360]
    assert fig.layout.yaxis.ticktext[0] == "0° Aries"


def test_aspect_timeline_and_figure() -> None:
    start, end = "2024-01-01", "2024-03-01"
    events = ac.aspect_timeline(["sun", "moon", "venus"], start, end, ["conjunction", "square"])
    direct = pd.concat([aspect_events(a, b, start, end, ["conjunction", "square"])
                        for a, b in itertools.combinations(["sun", "moon", "venus"], 2)])  # fmt: skip
    assert len(events) == len(direct)
    assert events["time"].is_monotonic_increasing
    assert set(zip(events["time"], events["body_a"], events["body_b"], events["aspect"], strict=True)) == set(
        zip(direct["time"], direct["body_a"], direct["body_b"], direct["aspect"], strict=True)
    )
    pairs = [ac.pair_label(a, b) for a, b in itertools.combinations(["sun", "moon", "venus"], 2)]
    fig = ac.aspect_figure(events, pairs, title="t")
    assert [t.name for t in fig.data] == [f"{k} ({(events['aspect'] == k).sum()})" for k in ("conjunction", "square")]
    assert list(fig.layout.yaxis.categoryarray) == pairs
    assert sum(len(t.x) for t in fig.data) == len(events)
    empty = ac.aspect_timeline(["jupiter", "saturn"], "2024-01-01", "2024-01-05")
    assert list(empty.columns) == ac.EVENT_COLUMNS
    assert empty.empty
    assert len(ac.aspect_figure(empty, ["jupiter – saturn"], title="t").data) == 0


def test_station_table() -> None:
    table = ac.station_table(["sun", "mercury", "mars"], "2024-01-01", "2025-01-01")
    direct = pd.concat([stations("mercury", "2024-01-01", "2025-01-01"), stations("mars", "2024-01-01", "2025-01-01")])
    assert len(table) == len(direct) > 0
    assert table["time"].is_monotonic_increasing
    assert set(table["body"]) == {"mercury", "mars"}
    assert set(table["time"]) == set(direct["time"])
    assert ac.station_table(["sun", "moon"], "2024-01-01", "2025-01-01").empty


def test_channel_levels_visible_levels_and_figure() -> None:
    t = pd.date_range("2024-01-01", periods=48, freq="1h", tz="UTC")
    params = CelestialParams.of({"body": "mars", "body_b": "venus", "scaler": 10.0, "base": 2, "n_harmonics": 6,
                                 "mirror": 1})  # fmt: skip
    levels = ac.channel_levels(t, params)
    direct = celestial_channel_levels(t, "mars", 10.0, 2, 6, mirror=True, body_b="venus")
    pd.testing.assert_frame_equal(levels, direct)
    ladder = pd.DataFrame({f"level_{i}": np.full(3, 100.0 * i) for i in range(8)}, index=t[:3])
    assert list(ac.visible_levels(ladder, 310.0, 390.0).columns) == ["level_3", "level_4"]
    assert list(ac.visible_levels(ladder, 300.0, 300.0).columns) == ["level_2", "level_3", "level_4"]
    assert ac.visible_levels(ladder, 5000.0, 6000.0).empty
    candles = pd.DataFrame({"open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 3.0}, index=t[:3])
    fig = ac.celestial_figure(candles, ladder.iloc[:, :2], title="t")
    assert [d.name for d in fig.data] == ["price", "level_0", "level_1", "volume"]
    np.testing.assert_array_equal(fig.data[2].y, [100.0, 100.0, 100.0])
