"""The signals page and its components, against the library called directly and ``uptrade signals run``.

The page runs in Streamlit's ``AppTest`` on a store of real Binance candles. What it draws is
read back from the figure's JSON (float arrays are exact: plotly ships their bytes) and
compared with the moving averages, oscillators and combined signals computed here on the
store's own history, and with what the CLI prints for the same inputs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from annotated_types import Ge, Le
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from tests.conftest import load_market
from tests.dashboard_support import build_store, last_year, no_exception, page_test, plotly_times, plotly_values
from uptrade.cli.app import app
from uptrade.dashboard.components.charts import MAX_POINTS, Panel, downsample_candles, price_figure
from uptrade.dashboard.components.signal_panels import (
    checked_params,
    combined_signal,
    decimals,
    input_step,
    label_markers,
    latest_signals,
    ma_choices,
    ma_label,
    ma_overlay,
    param_specs,
    signal_counts,
    sniper_panel,
    source_indicators,
    source_signals,
    vzo_panel,
)
from uptrade.data.store import open_store
from uptrade.errors import ParameterError
from uptrade.indicators.ma import MA_TYPES, moving_average
from uptrade.indicators.params import CelestialParams, SniperParams, VZOParams
from uptrade.indicators.sniper import sniper_prox_frame
from uptrade.indicators.vzo import vzo_prox_frame
from uptrade.signals import CombinerConfig, combine, compute_signal

# --- fixtures and figure readers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("signals") / "store.db")


@pytest.fixture(scope="module")
def history(url: str) -> dict[str, pd.DataFrame]:
    """Each symbol's stored 1h candles, read from the store directly (the page's default history)."""
    store = open_store(url)
    try:
        return {s: store.read_ohlcv(s, "1h") for s in ("BTC-USDT", "ETH-USDT")}
    finally:
        store.close()


@pytest.fixture
def page(url: str) -> Iterator[AppTest]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("UPTRADE_HBAPI_URL", raising=False)
        at = page_test(mp, url, "signals")
        no_exception(at)
        yield at


def _figure(at: AppTest) -> dict[str, Any]:
    chart = next(c for c in at.get("plotly_chart") if "signals_chart" in c.proto.id)
    return json.loads(chart.proto.spec)


def _line(fig: dict[str, Any], name: str) -> pd.Series:
    """The trace called ``name`` as a Series on its x times."""
    trace = next(t for t in fig["data"] if t.get("name") == name)
    return pd.Series(plotly_values(trace["y"]).astype(float), index=plotly_times(trace["x"]))


def _names(fig: dict[str, Any]) -> set[str]:
    return {t.get("name", "") for t in fig["data"]}


def _markers(fig: dict[str, Any], axis: str = "y") -> pd.Series:
    """The buy (1) and sell (-1) markers drawn on ``axis`` (``y``: the price row), sorted by time."""
    parts = []
    for t in fig["data"]:
        name = t.get("name", "")
        kind = re.fullmatch(r".* (buy|sell) \((\d+)\)", name)
        if t.get("yaxis", "y") == axis and kind:
            times = plotly_times(t["x"])
            assert len(times) == int(kind[2])
            parts.append(pd.Series(1 if kind[1] == "buy" else -1, index=times))
    return pd.concat(parts).sort_index() if parts else pd.Series(dtype="int64")


def _hits(signal: pd.Series, shown: pd.DataFrame) -> pd.Series:
    """The non-zero bars of ``signal`` inside the range ``shown`` covers."""
    inside = signal.loc[shown.index[0] : shown.index[-1]]
    return inside[inside != 0].astype("int64")


def _at(line: pd.Series, reference: np.ndarray, index: pd.DatetimeIndex) -> np.ndarray:
    """``reference`` (one value per bar of ``index``) at the times ``line`` was drawn."""
    return pd.Series(reference, index=index).reindex(line.index).to_numpy()


# --- the page --------------------------------------------------------------------------------------


def test_default_page_draws_a_year_downsampled_with_every_combined_marker(
    page: AppTest, url: str, history: dict[str, pd.DataFrame]
) -> None:
    hist = history["BTC-USDT"]
    shown = last_year(hist)
    fig = _figure(page)
    candles = next(t for t in fig["data"] if t["type"] == "candlestick")
    k = math.ceil(len(shown) / MAX_POINTS)
    assert len(shown) > 8000
    assert k > 1
    assert len(plotly_values(candles["x"])) == math.ceil(len(shown) / k) <= MAX_POINTS
    assert f"buckets of {k} bars" in fig["layout"]["title"]["text"]

    sources = ["sniper:major", "vzo:major"]
    signals = {s: compute_signal(hist, s) for s in sources}
    combined = pd.Series(combine(signals, "or"), index=hist.index)
    expected = _hits(combined, shown)
    drawn = _markers(fig)
    assert len(expected) > 100
    assert drawn.index.equals(expected.index)
    assert (drawn.to_numpy() == expected.to_numpy()).all()

    ema = _line(fig, "EMA 50")
    reference = moving_average(hist["close"].to_numpy(), 50, "ema")
    np.testing.assert_array_equal(ema.to_numpy(), _at(ema, reference, hist.index))
    assert ema.index[0] >= shown.index[0]
    assert ema.index[-1] <= shown.index[-1]

    f3 = _line(fig, "SniperProX: f3")
    np.testing.assert_array_equal(f3.to_numpy(), _at(f3, sniper_prox_frame(hist)["f3"].to_numpy(), hist.index))
    vzo = _line(fig, "VZOProX: vzo")
    np.testing.assert_array_equal(vzo.to_numpy(), _at(vzo, vzo_prox_frame(hist)["vzo"].to_numpy(), hist.index))
    sniper_own = _hits(compute_signal(hist, "sniper:major"), shown)
    assert _markers(fig, "y3").index.equals(sniper_own.index)

    latest = page.dataframe[0].value
    tail = expected.index[-10:]
    assert list(pd.to_datetime(latest["time"], utc=True)) == list(tail)
    assert latest["close"].tolist() == hist["close"].reindex(tail).tolist()
    assert latest["combined"].tolist() == expected.reindex(tail).tolist()
    assert latest["sniper:major"].tolist() == signals["sniper:major"].reindex(tail).tolist()

    counts = page.dataframe[1].value.set_index("source")
    assert counts.loc["combined", "long"] == int((expected == 1).sum())
    command = "signals run -s BTC-USDT -t 1h -i sniper:major -i vzo:major --mode or --last 10"
    cli = CliRunner().invoke(app, ["--db", url, *command.split()], env={"COLUMNS": "200"})
    assert cli.exit_code == 0, cli.output
    printed = {m[0]: (int(m[1]), int(m[2])) for m in re.findall(r"^(\S+): (\d+) long, (\d+) short$", cli.output, re.M)}
    shown_all = {s: (r["long (all history)"], r["short (all history)"]) for s, r in counts.iterrows()}
    assert printed == shown_all
    assert len(printed) == 3
    cli_times = re.findall(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2})", cli.output)
    assert cli_times == [f"{t:%Y-%m-%d %H:%M}" for t in tail]


def test_overlay_and_panel_follow_their_parameters(page: AppTest, history: dict[str, pd.DataFrame]) -> None:
    hist = history["BTC-USDT"]
    before = _figure(page)
    page.selectbox(key="signals_ma_type_0").select("Hull Moving Average").run()
    page.number_input(key="signals_ma_window_0").set_value(30).run()
    no_exception(page)
    after = _figure(page)
    assert "EMA 50" in _names(before)
    assert "EMA 50" not in _names(after)
    hma = _line(after, "HMA 30")
    reference = moving_average(hist["close"].to_numpy(), 30, "hma")
    np.testing.assert_array_equal(hma.to_numpy(), _at(hma, reference, hist.index))
    assert not np.allclose(hma.to_numpy(), _at(hma, moving_average(hist["close"].to_numpy(), 50, "ema"), hist.index))

    page.selectbox(key="signals_ma_type_1").select("Fractal Adaptive Moving Average").run()
    frama = _line(_figure(page), "FRAMA 200")
    reference = moving_average(
        hist["close"].to_numpy(), 200, "frama", high=hist["high"].to_numpy(), low=hist["low"].to_numpy()
    )
    np.testing.assert_array_equal(frama.to_numpy(), _at(frama, reference, hist.index))

    f3_before = _line(after, "SniperProX: f3")
    page.number_input(key="signals_sniper_phase").set_value(50.0).run()
    no_exception(page)
    f3 = _line(_figure(page), "SniperProX: f3")
    assert not np.array_equal(f3.to_numpy(), f3_before.to_numpy())
    reference = sniper_prox_frame(hist, phase=50.0)["f3"].to_numpy()
    np.testing.assert_array_equal(f3.to_numpy(), _at(f3, reference, hist.index))
    # the sniper:major source reads the same parameters as the panel
    expected = pd.Series(
        combine({"sniper:major": compute_signal(hist, "sniper:major", phase=50.0),
                 "vzo:major": compute_signal(hist, "vzo:major")}, "or"),
        index=hist.index,
    )  # fmt: skip
    assert _markers(_figure(page)).index.equals(_hits(expected, last_year(hist)).index)


def test_weighted_and_confirm_markers_equal_the_combiner(page: AppTest, history: dict[str, pd.DataFrame]) -> None:
    hist = history["BTC-USDT"]
    shown = last_year(hist)
    sources = ["sniper:minor", "vzo:major", "vzo:minor"]
    page.multiselect(key="signals_sources").set_value(sources).run()
    page.selectbox(key="signals_mode").select("weighted").run()
    page.number_input(key="signals_weight_sniper:minor").set_value(2.0).run()
    page.number_input(key="signals_threshold").set_value(0.6).run()
    no_exception(page)
    signals = {s: compute_signal(hist, s) for s in sources}
    weights = {"sniper:minor": 2.0, "vzo:major": 1.0, "vzo:minor": 1.0}
    weighted = pd.Series(combine(signals, "weighted", weights=weights, threshold=0.6), index=hist.index)
    drawn = _markers(_figure(page))
    expected = _hits(weighted, shown)
    assert len(expected) > 50
    assert drawn.index.equals(expected.index)
    assert (drawn.to_numpy() == expected.to_numpy()).all()

    page.selectbox(key="signals_mode").select("confirm").run()
    page.selectbox(key="signals_primary").select("vzo:major").run()
    page.number_input(key="signals_confirm_window").set_value(5).run()
    no_exception(page)
    confirmed = pd.Series(combine(signals, "confirm", primary="vzo:major", confirm_window=5), index=hist.index)
    drawn = _markers(_figure(page))
    expected = _hits(confirmed, shown)
    assert len(expected) > 5
    assert not expected.index.equals(_hits(weighted, shown).index)
    assert drawn.index.equals(expected.index)
    assert (drawn.to_numpy() == expected.to_numpy()).all()


def test_switching_the_symbol_redraws_its_candles(page: AppTest, history: dict[str, pd.DataFrame]) -> None:
    btc = next(t for t in _figure(page)["data"] if t["type"] == "candlestick")
    page.sidebar.selectbox(key="sb_symbol").select("ETH-USDT").run()
    no_exception(page)
    fig = _figure(page)
    eth = next(t for t in fig["data"] if t["type"] == "candlestick")
    expected = downsample_candles(last_year(history["ETH-USDT"]))
    np.testing.assert_array_equal(plotly_values(eth["close"]).astype(float), expected["close"].to_numpy())
    assert not np.allclose(plotly_values(btc["close"]).astype(float), expected["close"].to_numpy())
    assert "ETH-USDT" in fig["layout"]["title"]["text"]


def test_a_value_a_model_refuses_is_one_line_on_the_page(page: AppTest) -> None:
    cases = [
        ("signals_sniper_ma_type", "Alexander Moving Average", "SniperProX: ma_type", "Jurik Moving Average"),
        ("signals_ma_type_0", "Alexander Moving Average", None, "Exponential Moving Average"),
    ]
    page.number_input(key="signals_ma_window_0").set_value(3).run()
    for key, bad, start, good in cases:
        page.selectbox(key=key).select(bad).run()
        assert not page.exception
        assert len(page.error) == 1
        assert "\n" not in page.error[0].value
        message = page.error[0].value
        assert message.startswith(start or "MA overlay 1: window: must be >= 4"), message
        assert not page.get("plotly_chart")
        page.selectbox(key=key).select(good).run()
        no_exception(page)
    page.selectbox(key="signals_mode").select("weighted").run()
    page.number_input(key="signals_threshold").set_value(0.0).run()
    assert not page.exception
    assert [e.value for e in page.error] == ["threshold: must be in (0, 1], got 0.0"]


# --- components ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_market("btcusdt_1h_binance.csv.gz").iloc[-3000:]


def test_param_specs_follow_the_models() -> None:
    for model in (SniperParams, VZOParams, CelestialParams):
        specs = param_specs(model)
        assert [s.name for s in specs] == list(model.model_fields)
        defaults = model.defaults()
        for spec in specs:
            field = model.model_fields[spec.name]
            ge = next((m.ge for m in field.metadata if isinstance(m, Ge)), None)
            le = next((m.le for m in field.metadata if isinstance(m, Le)), None)
            if spec.kind in ("int", "float"):
                assert spec.default == defaults[spec.name]
                assert (spec.low, spec.high) == (ge, le) or spec.name == "scaler"
            assert isinstance(spec.default, {"int": int, "float": float, "ma": str, "text": str}[spec.kind])
    sniper = {s.name: s for s in param_specs(SniperParams)}
    assert (sniper["length"].kind, sniper["length"].low, sniper["length"].high) == ("int", 1, None)
    assert (sniper["pcnt_above"].low, sniper["pcnt_above"].high) == (0.0, 100.0)
    assert sniper["ma_type"].kind == "ma"
    assert sniper["ma_type"].default == "Jurik Moving Average"
    assert sniper["dmi_ma_type"].default == "Relative Moving Average"  # the model's "RMA"
    assert sniper["dmi_len"].label == "dmi len"
    assert "DMI" in sniper["dmi_len"].help
    celestial = {s.name: s for s in param_specs(CelestialParams)}
    assert celestial["scaler"].low == 0
    assert celestial["body"].kind == "text"
    assert (celestial["mirror"].low, celestial["mirror"].high) == (0, 1)
    combiner = {s.name: s for s in param_specs(CombinerConfig)}
    assert (combiner["threshold"].low, combiner["threshold"].high, combiner["threshold"].default) == (0, 1, 0.5)
    assert (combiner["confirm_window"].kind, combiner["confirm_window"].low) == ("int", 1)


def test_ma_choices_labels_and_number_formats() -> None:
    choices = ma_choices()
    assert len(choices) == len(set(choices)) == 34
    assert choices[8] == "Jurik Moving Average"
    assert choices[-1] == "Least Squares Moving Average"
    assert [ma_label(c, 20) for c in (choices[1], 6, "kaufman adaptive moving average")] == [
        "EMA 20",
        "HMA 20",
        "KAMA 20",
    ]
    assert [decimals(v) for v in (1.386, 20.0, 0.025, 0.5)] == [3, 1, 3, 1]
    assert [input_step(v) for v in (1.386, 0.986, 20.0, 88.0, 0.025, 0.0)] == [0.1, 0.01, 1.0, 1.0, 0.001, 0.1]


def test_checked_params_fill_defaults_and_name_the_bad_one() -> None:
    full = checked_params("sniper", {"length": 14})
    assert full == {**SniperParams.defaults(), "length": 14}
    assert checked_params("ma", {"ma_type": "Hull Moving Average", "window": 9})["window"] == 9
    with pytest.raises(ParameterError, match=r"^VZOProX: pcnt_above: .*100"):
        checked_params("vzo", {"pcnt_above": 101.0})
    with pytest.raises(ParameterError, match=r"^MA overlay 2: window: must be >= 2 for Simple Decycler, got 1$"):
        checked_params("ma", {"ma_type": "Simple Decycler", "window": 1}, owner="MA overlay 2")


def test_ma_overlay_is_the_library_moving_average(candles: pd.DataFrame) -> None:
    close, high, low, volume = (candles[c].to_numpy() for c in ("close", "high", "low", "volume"))
    for t in MA_TYPES:
        window = max(t.min_window, 21)
        line = ma_overlay(candles, t.name, window)
        kw: dict[str, Any] = {"volume": volume} if t.needs_volume else {}
        if t.uses_hl:
            kw.update(high=high, low=low)
        np.testing.assert_array_equal(line.to_numpy(), moving_average(close, window, t.code, **kw), err_msg=t.name)
        assert line.index.equals(candles.index)
        assert line.name == ma_label(t.code, window)
    assert not np.allclose(
        ma_overlay(candles, "ema", 21).to_numpy()[50:], ma_overlay(candles, "ema", 22).to_numpy()[50:]
    )


def test_panels_draw_the_oscillators_with_their_levels(candles: pd.DataFrame) -> None:
    from uptrade.signals import indicator_frame

    sniper = sniper_panel(indicator_frame(candles, "sniper", overbought_oversold=1.5), {"overbought_oversold": 1.5})
    reference = sniper_prox_frame(candles, overbought_oversold=1.5)
    assert sniper.title == "SniperProX"
    assert list(sniper.lines) == ["f3", "upper zone", "lower zone"]
    np.testing.assert_array_equal(sniper.lines["f3"].to_numpy(), reference["f3"].to_numpy())
    np.testing.assert_array_equal(sniper.lines["lower zone"].to_numpy(), reference["lower"].to_numpy())
    assert tuple(sniper.levels) == (1.5, 0.0, -1.5)
    assert sniper.signal is not None
    assert (
        sniper.signal.to_numpy() == compute_signal(candles, "sniper:major", overbought_oversold=1.5).to_numpy()
    ).all()

    vzo = vzo_panel(indicator_frame(candles, "vzo"))
    np.testing.assert_array_equal(vzo.lines["vzo"].to_numpy(), vzo_prox_frame(candles)["vzo"].to_numpy())
    assert tuple(vzo.levels) == (60.0, 40.0, 0.0, -40.0, -60.0)
    assert vzo.signal is not None
    assert (vzo.signal.to_numpy() == compute_signal(candles, "vzo:major").to_numpy()).all()


def test_source_signals_use_their_indicators_parameters(candles: pd.DataFrame) -> None:
    assert source_indicators(["sniper:major", "vzo", "SNIPER:minor", "ma:cross"]) == ["sniper", "vzo", "ma"]
    got = source_signals(candles, ["sniper:minor", "vzo:major", "ma"], {"sniper": {"phase": 50.0}, "ma": {"window": 9}})
    assert list(got) == ["sniper:minor", "vzo:major", "ma:cross"]
    assert (got["sniper:minor"] == compute_signal(candles, "sniper:minor", phase=50.0)).all()
    assert not (got["sniper:minor"] == compute_signal(candles, "sniper:minor")).all()
    assert (got["ma:cross"] == compute_signal(candles, "ma:cross", window=9)).all()
    assert (got["vzo:major"] == compute_signal(candles, "vzo:major")).all()


def test_combined_signal_modes_on_a_hand_made_example() -> None:
    index = pd.date_range("2024-01-01", periods=6, freq="h", tz="UTC")
    a = pd.Series([1, 1, -1, 0, 1, 0], index=index, dtype="int8")
    b = pd.Series([1, -1, -1, 1, 0, 0], index=index, dtype="int8")
    c = pd.Series([0, -1, 0, 0, 0, 1], index=index, dtype="int8")
    sig = {"a": a, "b": b, "c": c}
    assert combined_signal(sig, "and").tolist() == [0, 0, 0, 0, 0, 0]
    assert combined_signal({"a": a, "b": b}, "and").tolist() == [1, 0, -1, 0, 0, 0]
    assert combined_signal(sig, "or").tolist() == [1, -1, -1, 1, 1, 1]
    # scores with weights 2, 1, 1 (sum 4): .75, 0, -.75, .25, .5, .25
    weighted = combined_signal(sig, "weighted", weights={"a": 2.0}, threshold=0.5)
    assert weighted.tolist() == [1, 0, -1, 0, 1, 0]
    assert weighted.name == "combined"
    # b's bars where a and c showed the same direction within 2 bars: only bar 2 (-1)
    assert combined_signal(sig, "confirm", primary="b", confirm_window=2).tolist() == [0, 0, -1, 0, 0, 0]
    assert combined_signal(sig, "or", threshold=0.0).tolist() == [1, -1, -1, 1, 1, 1]  # unused options ignored
    with pytest.raises(ValueError, match="threshold"):
        combined_signal(sig, "weighted", threshold=0.0)


def test_latest_signals_and_counts_on_a_hand_made_example() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="h", tz="UTC")
    candles = pd.DataFrame({"close": [10.0, 11.0, 12.0, 13.0, 14.0]}, index=index)
    a = pd.Series([1, 0, -1, 0, 1], index=index, dtype="int8")
    b = pd.Series([0, 0, -1, 1, 1], index=index, dtype="int8")
    combined = pd.Series([1, 0, -1, 1, 1], index=index, dtype="int8")
    table = latest_signals(candles, {"a": a, "b": b}, combined, last=2)
    assert table.columns.tolist() == ["time", "close", "a", "b", "combined"]
    assert table["time"].tolist() == list(index[3:])
    assert table.drop(columns="time").values.tolist() == [[13.0, 0, 1, 1], [14.0, 1, 1, 1]]
    assert len(latest_signals(candles, {"a": a}, combined * 0)) == 0
    counts = signal_counts({"a": a, "b": b}, combined)
    assert counts.values.tolist() == [["a", 2, 1], ["b", 2, 1], ["combined", 3, 1]]
    assert signal_counts({"a": a}).values.tolist() == [["a", 2, 1]]


def test_label_markers_names_each_rows_signal(candles: pd.DataFrame) -> None:
    small = candles.iloc[:200]
    index = small.index
    sig = pd.Series(np.tile(np.array([1, 0, -1, 0], dtype="int8"), 50), index=index)
    panels = [
        Panel("SniperProX", lines={"f3": small["close"]}, signal=sig),
        Panel("VZOProX", lines={"vzo": small["close"]}, signal=-sig),
    ]
    fig = price_figure(small, overlays={"EMA 5": small["close"]}, signal=sig, panels=panels)
    label_markers(fig, "combined", [p.title for p in panels])
    names = {(t.name, t.yaxis) for t in fig.data if "(" in str(t.name)}
    assert names == {
        ("combined buy (50)", "y"),
        ("combined sell (50)", "y"),
        ("SniperProX buy (50)", "y3"),
        ("SniperProX sell (50)", "y3"),
        ("VZOProX buy (50)", "y4"),
        ("VZOProX sell (50)", "y4"),
    }
    assert "EMA 5" in {t.name for t in fig.data}
