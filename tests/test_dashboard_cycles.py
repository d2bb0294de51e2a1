"""The cycles page against the library called directly, and its chart builders, on real candles."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import load_market
from tests.dashboard_support import RUN_TIMEOUT, build_store, no_exception, page_test, plotly_times
from tests.dashboard_support import plotly_values as values
from uptrade.dashboard import APP_PATH
from uptrade.dashboard.components import cycle_charts as cc
from uptrade.data.store import Store, open_store
from uptrade.errors import ParameterError
from uptrade.indicators import cycle_spectra as cs
from uptrade.indicators.cycles import MTFCycleDetector
from uptrade.indicators.spectral import bandpass, dominant_cycle, hl2, period_grid

SYMBOL = "BTC-USDT"
#: What the page proposes for BTC-USDT (1h and 1d stored): every readable timeframe from 1h up.
DEFAULT_TFS = ["1h", "4h", "1d", "1w"]
COLUMNS = 12


# ----------------------------------------------------------------------------------------- helpers


def figures(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def trace(fig: dict[str, Any], name: str) -> dict[str, Any]:
    found = [t for t in fig["data"] if str(t.get("name", "")).startswith(name)]
    assert found, [t.get("name") for t in fig["data"]]
    return found[0]


def times(t: dict[str, Any], axis: str = "x") -> pd.DatetimeIndex:
    return plotly_times(t[axis])


def day_end(ts: pd.Timestamp) -> pd.Timestamp:
    """The sidebar's range end for a series whose last bar is ``ts``: that day's last second."""
    return ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("cycles") / "store.db")


@pytest.fixture(scope="module")
def store(url: str) -> Iterator[Store]:
    s = open_store(url)
    yield s
    s.close()


@pytest.fixture
def at(url: str) -> Iterator[AppTest]:
    with pytest.MonkeyPatch.context() as mp:
        app = page_test(mp, url, "cycles")
        app.number_input(key="cycles_columns").set_value(COLUMNS).run()
        yield app


def page_with(symbol: str, timeframe: str) -> AppTest:
    """The page with ``symbol`` and ``timeframe`` chosen in the sidebar (the store's URL set in the environment).

    AppTest runs the main script (which builds the sidebar) on its first run only; later runs
    and ``switch_page`` run the page's script alone. So the sidebar's widgets get their values
    through the session state before that first run, as a user's choice would give them.
    """
    at = AppTest.from_file(str(APP_PATH), default_timeout=RUN_TIMEOUT)
    at.session_state["sb_symbol"] = symbol
    at.session_state["sb_timeframe"] = timeframe
    at.run()
    assert at.sidebar.selectbox(key="sb_symbol").value == symbol
    assert at.sidebar.selectbox(key="sb_timeframe").value == timeframe
    at.switch_page("views/cycles.py").run()
    return at


def end_of(store: Store, timeframe: str = "1h", symbol: str = SYMBOL) -> pd.Timestamp:
    return day_end(store.read_ohlcv(symbol, timeframe).index[-1])


def table_matches(shown: pd.DataFrame, expected: MTFCycleDetector, store: Store, end: pd.Timestamp) -> None:
    found = expected.detect_store(store, SYMBOL, end=end)
    assert list(shown["timeframe"]) == list(found.table.index)
    np.testing.assert_allclose(shown["period (bars)"], found.table["period_bars"], rtol=1e-12)
    np.testing.assert_allclose(shown["period (minutes)"], found.table["period_minutes"], rtol=1e-12)
    np.testing.assert_allclose(shown["power"], found.table["power"], rtol=1e-12)
    assert list(shown["bars"]) == list(found.table["bars"])
    assert list(shown["nearest Hurst"]) == list(found.table["hurst_cycle"])
    assert list(pd.to_datetime(shown["as of"], utc=True)) == list(found.table["time"])


# ------------------------------------------------------------------------------------------- page


def test_page_shows_the_detectors_table_spectra_and_bandpass(at: AppTest, store: Store) -> None:
    no_exception(at)
    assert at.multiselect(key=f"cycles_timeframes_{SYMBOL}").value == DEFAULT_TFS
    end = end_of(store)
    table_matches(at.dataframe[0].value, MTFCycleDetector(DEFAULT_TFS), store, end)
    spectrogram, across, price = figures(at)

    # the time heatmap: the detector's period grid by the windows asked for, the last one at the range's end
    grid = period_grid(8.0, 618 / 3.0, 16, 618)[1:-1]
    heat = spectrogram["data"][0]
    assert values(heat["z"]).shape == (grid.size, COLUMNS)
    np.testing.assert_allclose(values(heat["y"]), grid, rtol=1e-12)
    candles = store.read_ohlcv(SYMBOL, "1h", end=end)
    assert times(heat)[-1] == candles.index[-1]
    # its last column is the spectrum dominant_cycle ranks for the table, whitened, over its maximum
    dc = dominant_cycle(hl2(candles).to_numpy()[-618:], 8.0, 206.0, 618)
    whitened = dc.spectrum * 4 * np.sin(np.pi / dc.periods) ** 2
    np.testing.assert_allclose(values(heat["z"])[:, -1], whitened / whitened.max(), rtol=1e-6, atol=1e-9)

    # across timeframes: one column per detected timeframe, each peaking at 1
    z = values(across["data"][0]["z"])
    assert across["data"][0]["x"] == DEFAULT_TFS
    np.testing.assert_array_equal(np.nanmax(z, axis=0), 1.0)

    # the bandpass of the 1h dominant cycle, as the library filters the whole history
    period = MTFCycleDetector(DEFAULT_TFS).detect_store(store, SYMBOL, end=end).table.loc["1h", "period_bars"]
    line = trace(price, "bandpass of hl2: 1h cycle")
    direct = bandpass(hl2(candles), float(period), 0.025)
    np.testing.assert_allclose(values(line["y"]), direct.reindex(times(line)).to_numpy(), rtol=1e-12)
    assert times(line)[0] >= end - pd.Timedelta(days=366)


def test_method_and_window_change_the_table(at: AppTest, store: Store) -> None:
    at.multiselect(key=f"cycles_timeframes_{SYMBOL}").set_value(["1h", "4h"]).run()
    before = at.dataframe[0].value
    at.selectbox(key="cycles_method").select("hurst").run()
    at.number_input(key="cycles_window").set_value(300).run()
    no_exception(at)
    after = at.dataframe[0].value
    assert not np.allclose(before["period (bars)"], after["period (bars)"])
    assert list(after["bars"]) == [300, 300]
    table_matches(after, MTFCycleDetector(["1h", "4h"], method="hurst", window=300), store, end_of(store))
    heat = figures(at)[0]["data"][0]
    assert values(heat["z"]).shape == (period_grid(8.0, 100.0, 16, 300).size - 2, COLUMNS)


def test_bandpass_follows_the_chosen_cycles_and_bandwidth(at: AppTest, store: Store) -> None:
    at.multiselect(key="cycles_bandpass_1h_4h_1d_1w").set_value(["1h", "4h"]).run()
    at.number_input(key="cycles_bandwidth").set_value(0.05).run()
    no_exception(at)
    end = end_of(store)
    table = MTFCycleDetector(DEFAULT_TFS).detect_store(store, SYMBOL, end=end).table
    candles = store.read_ohlcv(SYMBOL, "1h", end=end)
    price = figures(at)[2]
    for tf in ("1h", "4h"):
        line = trace(price, f"bandpass of hl2: {tf} cycle")
        direct = bandpass(hl2(candles), float(table.loc[tf, "period_minutes"]) / 60.0, 0.05)
        np.testing.assert_allclose(values(line["y"]), direct.reindex(times(line)).to_numpy(), rtol=1e-12)


def test_sidebar_symbol_and_timeframe_change_the_price(url: str, store: Store) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UPTRADE_DATABASE_URL", url)
        eth = page_with("ETH-USDT", "1h")
        no_exception(eth)
        candle = figures(eth)[2]["data"][0]
        assert values(candle["close"])[-1] == store.read_ohlcv("ETH-USDT", "1h")["close"].iloc[-1]
        daily_page = page_with(SYMBOL, "1d")
        no_exception(daily_page)
    daily = store.read_ohlcv(SYMBOL, "1d")
    daily = daily[daily.index >= daily.index[-1].normalize() - pd.Timedelta(days=365)]
    candle = figures(daily_page)[2]["data"][0]
    np.testing.assert_array_equal(values(candle["close"]), daily["close"].to_numpy())
    assert times(candle)[-1] == daily.index[-1]
    assert trace(figures(daily_page)[2], "bandpass of hl2: 1d cycle")
    heat = figures(daily_page)[0]["data"][0]
    assert times(heat)[-1] == daily.index[-1]


def test_bad_parameters_show_one_line(at: AppTest) -> None:
    at.number_input(key="cycles_min_period").set_value(400.0).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("timeframes: no dominant cycle on any timeframe")


# ------------------------------------------------------------------------------------- builders


@pytest.fixture(scope="module")
def hourly() -> pd.DataFrame:
    return load_market("btcusdt_1h_binance.csv.gz").iloc[-3000:]


def test_period_text() -> None:
    assert cc.period_text(645.4) == "10h 45m"
    assert cc.period_text(2501.87) == "1d 17h"
    assert cc.period_text(3 * 1440 + 5) == "3d 5m"
    assert cc.period_text(0.2) == "0m"
    assert cc.period_text(float("nan")) == "-"


def test_cycle_table_rows_and_skipped(hourly: pd.DataFrame) -> None:
    found = MTFCycleDetector(["1h", "4h", "1w"], window=200).detect(hourly.iloc[-1200:])
    table = cc.cycle_table(found)
    assert list(table.columns) == list(cc.TABLE_COLUMNS)
    assert list(table["timeframe"]) == ["1h", "4h", "1w"]
    np.testing.assert_array_equal(table["period (bars)"].iloc[:2], found.table["period_bars"])
    assert table["period"].iloc[0] == cc.period_text(found.table["period_minutes"].iloc[0])
    assert re.fullmatch(r"skipped: only \d bars \(needs 32\)", table["note"].iloc[2])
    assert np.isnan(table["power"].iloc[2])


def test_spectrum_ends_stride_and_history() -> None:
    index = pd.date_range("2024-01-01", periods=10, freq="1h", tz="UTC")
    np.testing.assert_array_equal(cs.spectrum_ends(index, index[3], 3, 0), [3, 6, 9])
    np.testing.assert_array_equal(cs.spectrum_ends(index, index[0], 20, 6), [6, 7, 8, 9])
    np.testing.assert_array_equal(cs.spectrum_ends(index, index[0], 2, 0), [4, 9])
    assert cs.spectrum_ends(index, index[0], 5, 10).size == 0
    with pytest.raises(ParameterError, match="columns"):
        cs.spectrum_ends(index, index[0], 0, 0)


@pytest.mark.parametrize("method", ["goertzel", "hurst"])
def test_rolling_spectrum_columns_equal_dominant_cycle(hourly: pd.DataFrame, method: str) -> None:
    detector = MTFCycleDetector(["1h"], window=128, min_period=6.0, method=method, whiten=False)
    since = hourly.index[-500]
    power = cs.rolling_spectrum(hourly, detector, since, 7)
    assert power.shape[1] == 7
    assert power.columns[-1] == hourly.index[-1]
    assert power.columns[0] >= since
    x = hl2(hourly).to_numpy()
    for j in (0, 6):
        end = hourly.index.get_loc(power.columns[j]) + 1
        src = x[max(0, end - 4 * 128) : end] if method == "hurst" else x[end - 128 : end]
        dc = dominant_cycle(src, 6.0, 128 / 3.0, 128, method=method)
        np.testing.assert_allclose(power.index, dc.periods, rtol=1e-12)
        np.testing.assert_allclose(power.iloc[:, j], dc.spectrum / dc.spectrum.max(), rtol=1e-6, atol=1e-9)
    assert cs.rolling_spectrum(hourly.iloc[:100], detector, hourly.index[0]).shape[1] == 0
    # passes of a few hundred bars give the windows of one long pass
    chunked = cs.rolling_spectrum(hourly, detector, hourly.index[0], 40, chunk_bars=300)
    whole = cs.rolling_spectrum(hourly, detector, hourly.index[0], 40, chunk_bars=10_000)
    assert chunked.shape == whole.shape == (power.shape[0], 40)
    np.testing.assert_allclose(chunked.to_numpy(), whole.to_numpy(), rtol=1e-7, atol=1e-12)


def test_snapshot_spectrum_whitened_and_skipped(hourly: pd.DataFrame) -> None:
    detector = MTFCycleDetector(["1h"], window=300)
    snap = cs.snapshot_spectrum(hourly, detector)
    assert snap is not None
    dc = dominant_cycle(hl2(hourly).to_numpy()[-300:], 8.0, 100.0, 300, whiten=True)
    assert snap.idxmax() == pytest.approx(dc.periods[np.argmax(dc.spectrum / dc.background)])
    assert snap.max() == 1.0
    assert abs(snap.idxmax() - dc.period) / dc.period < 0.05
    assert cs.snapshot_spectrum(hourly.iloc[:31], detector) is None  # under 4 * min_period bars


def test_timeframe_power_common_grid_and_unit() -> None:
    hourly = pd.Series([0.1, 1.0, 0.2], index=[8.0, 10.0, 12.0])  # peak at 10 hours
    daily = pd.Series([0.3, 1.0, 0.5], index=[4.0, 5.0, 6.0])  # peak at 5 days
    frame, unit = cs.timeframe_power({"1h": hourly, "1d": daily}, rows=200)
    assert unit == "days"
    assert frame.shape == (200, 2)
    assert frame.index[0] == pytest.approx(8 / 24, rel=0.03)
    assert frame.index[-1] == pytest.approx(6.0, rel=0.03)
    assert frame["1h"].idxmax() == pytest.approx(10 / 24, rel=0.03)
    assert frame["1d"].idxmax() == pytest.approx(5.0, rel=0.03)
    assert frame.max().tolist() == [1.0, 1.0]  # a peak keeps its height on the common grid
    assert frame["1h"].iloc[0] == 0.1
    assert np.isnan(frame["1h"].iloc[-1])  # NaN outside its band
    assert np.isnan(frame["1d"].iloc[0])
    _, short = cs.timeframe_power({"1h": hourly})
    assert short == "hours"


def test_log_ticks() -> None:
    assert cc.log_ticks(8, 206) == [10, 20, 50, 100, 200]
    assert cc.log_ticks(0.3, 1.5) == [0.5, 1]
    assert cc.log_ticks(0, 10) == []


def test_heatmap_figures() -> None:
    cols = pd.date_range("2024-01-01", periods=3, freq="1D", tz="UTC")
    power = pd.DataFrame([[1.0, 0.2, 0.1], [0.5, 1.0, 0.3], [0.1, 0.4, 1.0]], index=[10.0, 20.0, 40.0], columns=cols)
    fig = cc.spectrogram_figure(power, title="t")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), power.to_numpy())
    assert fig.layout.yaxis.type == "log"
    np.testing.assert_array_equal(fig.data[1].y, [10.0, 20.0, 40.0])
    across = pd.DataFrame({"1h": [1.0, 0.5, np.nan], "4h": [np.nan, 0.2, 1.0]}, index=[1.0, 2.0, 4.0])
    fig = cc.timeframe_heatmap_figure(across, "hours", title="t")
    assert list(fig.data[0].x) == ["1h", "4h"]
    assert fig.layout.yaxis.title.text == "period (hours)"
    np.testing.assert_array_equal(fig.data[1].y, [1.0, 4.0])


def test_cycle_periods_and_bandpass_lines(hourly: pd.DataFrame) -> None:
    found = MTFCycleDetector(["1h", "4h"], window=300).detect(hourly)
    minutes = found.table["period_minutes"]
    periods, short = cc.cycle_periods(found, "1d", ["1h", "4h", "1d"])  # 1d is not in the table
    assert periods == {}
    assert short == ["1h", "4h"]  # periods of hours are under two daily bars
    periods, short = cc.cycle_periods(found, "1h", ["4h", "1h"])
    assert not short
    assert list(periods) == [f"4h cycle ({minutes['4h'] / 60:.1f} bars)", f"1h cycle ({minutes['1h'] / 60:.1f} bars)"]
    assert list(periods.values()) == pytest.approx([minutes["4h"] / 60, minutes["1h"] / 60])
    lines = cc.bandpass_lines(hourly, periods, 0.03)
    for name, p in periods.items():
        np.testing.assert_array_equal(lines[name].to_numpy(), bandpass(hl2(hourly), p, 0.03).to_numpy())
    fig = cc.bandpass_figure(hourly.iloc[-500:], {k: v.iloc[-500:] for k, v in lines.items()}, title="t")
    names = [t.name for t in fig.data]
    assert [n for n in names if n and n.startswith("bandpass of hl2")] == [f"bandpass of hl2: {k}" for k in periods]
    assert [t.type for t in cc.bandpass_figure(hourly.iloc[-50:], {}, title="t").data] == ["candlestick", "bar"]
