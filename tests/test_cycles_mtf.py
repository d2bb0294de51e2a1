"""Multi-timeframe cycles: planted cycles agree in minutes across timeframes, the store round trip
(``dominant_cycles`` v3, both backends), the in-place migration from v2, rolling causality and the
``uptrade cycles`` command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from uptrade.cli import app
from uptrade.data.frames import resample_candles
from uptrade.data.store import Store
from uptrade.data.store.schema import LATEST_VERSION
from uptrade.errors import StoreError
from uptrade.indicators.cycles import MAX_LENGTH, MIN_LENGTH, MTFCycleDetector, suggested_length
from uptrade.indicators.spectral import HURST_CYCLES, dominant_cycle, nearest_hurst

SYMBOL = "BTC-USDT"
runner = CliRunner()


def planted_candles(
    period_minutes: float, bars: int, seed: int, *, random_walk: bool, amplitude: float = 1.0
) -> pd.DataFrame:
    """1h candles whose hl2 is a sine of ``period_minutes`` on a trend (or a random walk) plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(bars)
    noise = rng.normal(0.0, amplitude / np.sqrt(2.0), bars)
    background = np.cumsum(noise) * 0.35 if random_walk else 0.002 * t + noise
    phase = rng.uniform(0.0, 2.0 * np.pi)
    mid = 100.0 + background + amplitude * np.sin(2.0 * np.pi * t * 60.0 / period_minutes + phase)
    spread = 0.05 + np.abs(rng.normal(0.0, 0.05, bars))
    index = pd.date_range("2021-03-01", periods=bars, freq="1h", tz="UTC", name="time")
    close = mid + rng.uniform(-1.0, 1.0, bars) * spread
    return pd.DataFrame(
        {
            "open": mid,
            "high": mid + spread,
            "low": mid - spread,
            "close": close,
            "volume": rng.uniform(1.0, 2.0, bars),
        },
        index=index,
    )


@pytest.mark.parametrize(("seed", "random_walk"), [(1, False), (2, False), (3, True), (4, True)])
def test_a_planted_cycle_is_the_same_in_minutes_on_two_timeframes(seed: int, random_walk: bool) -> None:
    rng = np.random.default_rng(100 + seed)
    period_minutes = float(rng.uniform(1.5, 3.0) * 1440)  # 36-72 1h bars, 9-18 4h bars
    candles = planted_candles(period_minutes, 618 * 4 + 7, seed, random_walk=random_walk)
    found = MTFCycleDetector(["1h", "4h"], whiten=random_walk).detect(candles)
    assert set(found.table.index) == {"1h", "4h"}
    for tf in ("1h", "4h"):
        row = found.table.loc[tf]
        assert row["period_minutes"] == pytest.approx(period_minutes, rel=0.05), tf
        assert row["period_bars"] * (60 if tf == "1h" else 240) == pytest.approx(row["period_minutes"])
        assert row["hurst_cycle"] == nearest_hurst(row["period_minutes"] / 1440)
    weights = found.table["power"].to_numpy(float)
    expected = float(np.sum(weights * found.table["period_minutes"].to_numpy(float)) / weights.sum())
    assert found.composite_period_minutes == pytest.approx(expected, rel=1e-12)
    assert found.composite_period_minutes == pytest.approx(period_minutes, rel=0.05)
    assert found.suggested_length == round(found.composite_period_minutes / 60)
    assert found.base_timeframe == "1h"


def test_each_timeframe_equals_dominant_cycle_on_its_own_resampled_bars() -> None:
    candles = planted_candles(2.2 * 1440, 3000, 9, random_walk=False)
    det = MTFCycleDetector(["1h", "4h"], window=400, min_period=6, whiten=False)
    found = det.detect(candles)
    for tf in ("1h", "4h"):
        bars = resample_candles(candles, "1h", tf)
        hl2 = ((bars["high"] + bars["low"]) / 2).to_numpy()
        ref = dominant_cycle(hl2, 6, None, 400)
        assert found.table.loc[tf, "period_bars"] == ref.period
        assert found.table.loc[tf, "power"] == ref.power
        assert found.table.loc[tf, "time"] == bars.index[-1]


def test_nearest_hurst_and_suggested_length_rules() -> None:
    names, periods = list(HURST_CYCLES), np.array(list(HURST_CYCLES.values()))
    for days in (0.2, 4.3, 6.0, 6.1, 25.0, 100.0, 400.0, 9000.0):
        assert nearest_hurst(days) == names[int(np.argmin(np.abs(np.log(periods / days))))]
    assert suggested_length(1.0, 60.0) == MIN_LENGTH
    assert suggested_length(10**9, 60.0) == MAX_LENGTH
    assert suggested_length(30 * 60.0, 60.0) == 30
    with pytest.raises(ValueError, match="period_minutes"):
        suggested_length(float("nan"), 60.0)


def test_short_or_unreachable_timeframes_are_skipped_with_a_reason() -> None:
    candles = planted_candles(2 * 1440, 700, 5, random_walk=False)
    found = MTFCycleDetector(["5m", "1h", "1d"]).detect(candles)
    assert list(found.table.index) == ["1h"]
    assert "cannot be built from 1h" in found.skipped["5m"]
    assert "only 29 bars" in found.skipped["1d"]
    with pytest.raises(ValueError, match="no dominant cycle on any timeframe"):
        MTFCycleDetector(["1d"]).detect(candles)
    with pytest.raises(ValueError, match="method"):
        MTFCycleDetector(["1h"], method="fft")
    with pytest.raises(ValueError, match="window"):
        MTFCycleDetector(["1h"], window=2)


def test_rolling_is_causal_and_ends_at_the_snapshot() -> None:
    candles = planted_candles(1.7 * 1440, 1600, 11, random_walk=True)
    det = MTFCycleDetector(["1h", "4h"], window=300, whiten=True)
    full = det.rolling(candles)
    assert len(full) == len(candles)
    for k in (400, 1203, 1599):
        part = det.rolling(candles.iloc[:k])
        pd.testing.assert_frame_equal(part, full.iloc[:k], rtol=1e-12, atol=0)
    snap = det.detect(candles)
    last = full.iloc[-1]
    assert last["composite_period_minutes"] == pytest.approx(snap.composite_period_minutes, rel=1e-9)
    assert last["suggested_length"] == snap.suggested_length
    for tf in ("1h", "4h"):
        assert last[f"minutes_{tf}"] == pytest.approx(snap.table.loc[tf, "period_minutes"], rel=1e-9)
    # a 4h value is used only from the close of its bar: the 1h bar opening at 02:00 closes at 03:00,
    # before the 00:00-04:00 bar closes, so it still carries the previous 4h bar's value.
    four = full["minutes_4h"].dropna()
    first = four.index[0]
    assert first.hour % 4 == 3


def test_detect_store_reads_each_timeframe_and_round_trips(store: Store) -> None:
    candles = planted_candles(2.5 * 1440, 618 * 4 + 20, 21, random_walk=False)
    store.write_ohlcv(candles, SYMBOL, "1h")
    det = MTFCycleDetector(["1h", "4h"], whiten=False)
    found = det.detect_store(store, SYMBOL)
    direct = det.detect(candles)
    pd.testing.assert_frame_equal(found.table, direct.table)
    assert store.write_cycles(found.rows(SYMBOL)) == 2
    assert store.write_cycles(found.rows(SYMBOL)) == 2  # a rerun replaces, never duplicates
    got = store.read_cycles(SYMBOL)
    assert len(got) == 2
    assert sorted(got["timeframe"]) == ["1h", "4h"]
    for _, row in got.iterrows():
        tf = row["timeframe"]
        assert row.name == found.table.loc[tf, "time"]
        assert row["period"] == found.table.loc[tf, "period_bars"]
        assert row["period_minutes"] == found.table.loc[tf, "period_minutes"]
        assert row["power"] == found.table.loc[tf, "power"]
        assert row["composite"] == found.composite_period_minutes
        assert row["suggested_length"] == found.suggested_length
        assert row["hurst_cycle"] == found.table.loc[tf, "hurst_cycle"]
        assert row["method"] == "goertzel"
        assert row["base_timeframe"] == "1h"
    assert len(store.read_cycles(SYMBOL, "4h", "goertzel")) == 1
    assert store.read_cycles(SYMBOL, "4h", "hurst").empty


def test_a_failing_cycle_write_leaves_the_stored_rows(store: Store) -> None:
    row = {"time": "2024-01-01", "symbol": SYMBOL, "timeframe": "1h", "method": "goertzel", "period": 20.0}
    assert store.write_cycles([row]) == 1
    clash = {**row, "period": 30.0, "timeframe": "4h"}
    with pytest.raises(StoreError, match="nothing was written"):
        store.write_cycles([clash, {**row, "period": 40.0}, {**row, "period": 50.0}])  # same key twice
    got = store.read_cycles(SYMBOL)
    assert list(got["period"]) == [20.0]
    with pytest.raises(Exception, match="unknown column"):
        store.write_cycles([{**row, "colour": "red"}])


def test_v2_database_is_migrated_in_place(store: Store) -> None:
    new = ("period_minutes", "hurst_cycle", "suggested_length", "base_timeframe")
    with store.engine.begin() as conn:
        for col in new:
            conn.exec_driver_sql(f"ALTER TABLE dominant_cycles DROP COLUMN {col}")
        conn.exec_driver_sql("DELETE FROM schema_version WHERE version >= 3")
        when = "1704067200" if store.backend == "sqlite" else "'2024-01-01T00:00:00Z'"
        conn.exec_driver_sql(
            "INSERT INTO dominant_cycles (time, symbol, timeframe, method, period, power, composite) "
            f"VALUES ({when}, 'BTC-USDT', '1h', 'goertzel', 21.5, 0.4, 3000.0)"
        )
    assert store.schema_version() == 2
    assert store.init() == LATEST_VERSION == 5
    got = store.read_cycles(SYMBOL)
    assert list(got["period"]) == [21.5]
    assert got["period_minutes"].isna().all()
    assert got.index[0] == pd.Timestamp("2024-01-01", tz="UTC")


# --- CLI ----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UPTRADE_DATABASE_URL", raising=False)


def invoke(store: Store, *args: str) -> Result:
    url = store.engine.url.render_as_string(hide_password=False)
    return runner.invoke(app, ["--db", url, *args], env={"COLUMNS": "200"})


def test_cli_cycles_prints_and_stores_what_the_library_finds(store: Store, btc_1h: pd.DataFrame) -> None:
    store.write_ohlcv(btc_1h.iloc[-3000:], SYMBOL, "1h")
    result = invoke(store, "cycles", "-s", SYMBOL, "-t", "1h,4h,1d", "--store")
    assert result.exit_code == 0, result.output
    found = MTFCycleDetector(["1h", "4h", "1d"], whiten=True).detect_store(store, SYMBOL)
    for tf, row in found.table.iterrows():
        line = next(ln for ln in result.output.splitlines() if ln.strip("│ ").startswith(tf + " "))
        assert f"{row['period_bars']:.2f}" in line
        assert f"{row['power']:.1%}" in line
        assert row["hurst_cycle"] in line
    assert found.table.loc["1d", "bars"] == 125  # 3000 1h bars are 125 days: the window shrinks to them
    assert f"suggested length: {found.suggested_length} 1h bars" in result.output
    stored = store.read_cycles(SYMBOL)
    assert sorted(stored["timeframe"]) == sorted(found.table.index)
    assert set(stored["suggested_length"]) == {found.suggested_length}


def test_cli_cycles_errors_exit_1_and_write_nothing(store: Store) -> None:
    store.init()
    result = invoke(store, "cycles", "-s", "ETH-USDT", "-t", "1h", "--store")
    assert result.exit_code == 1
    assert "unknown symbol ETH-USDT" in result.output
    result = invoke(store, "cycles", "-s", SYMBOL, "--method", "fft")
    assert result.exit_code == 1
    assert "method" in result.output
    result = invoke(store, "cycles", "-s", SYMBOL, "-t", "7m")
    assert result.exit_code == 1
    assert "7m" in result.output
    assert store.read_cycles(SYMBOL).empty
