"""`uptrade indicators list|run [--store]`, the indicator_signals store API and the vectorbt factories.

Everything runs on real BTC/USDT 1h candles; the CLI and ``write_signals``/``read_signals`` run on
both backends (the ``store`` fixture: a SQLite file and a real PostgreSQL database).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from uptrade.cli import app
from uptrade.data.store import Store
from uptrade.errors import ConfigError, StoreError
from uptrade.indicators.factory import SniperProX, UniversalMA, VZOProX
from uptrade.indicators.ma import MA_TYPES, moving_average
from uptrade.indicators.registry import INDICATORS, get_indicator
from uptrade.indicators.sniper import SniperResult, sniper_prox
from uptrade.indicators.vzo import VZOResult, vzo_prox
from uptrade.signals import indicator_frame

SYMBOL = "BTC-USDT"
BARS = 3000
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user settings, .env or default database leak into the CLI runs."""
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UPTRADE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def loaded(store: Store, btc_1h: pd.DataFrame) -> Store:
    """The store (each backend) holding the latest ``BARS`` real BTC-USDT 1h candles."""
    assert store.write_ohlcv(btc_1h.iloc[-BARS:], SYMBOL, "1h") == BARS
    return store


def invoke(*args: str, columns: int = 200) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": str(columns)})


def run_indicator(store: Store, name: str, *params: str, symbol: str = SYMBOL, save: bool = True) -> Result:
    url = store.engine.url.render_as_string(hide_password=False)
    args = ["--db", url, "indicators", "run", "-s", symbol, "-t", "1h", "-i", name, "--last", "3"]
    for p in params:
        args += ["--param", p]
    return invoke(*args, *(["--store"] if save else []))


def assert_clean_exit(result: Result, code: int) -> str:
    """``code`` came from the command itself (not an uncaught exception); the output text."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}\n{result.output}") from result.exception
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def signal_rows(store: Store, indicator: str | None = None) -> int:
    with store.engine.connect() as conn:
        if indicator is None:
            return conn.exec_driver_sql("SELECT count(*) FROM indicator_signals").scalar_one()
        sql = "SELECT count(*) FROM indicator_signals WHERE indicator = " + (
            "%s" if store.backend == "postgresql" else "?"
        )
        return conn.exec_driver_sql(sql, (indicator,)).scalar_one()


def null_values(store: Store, indicator: str) -> int:
    with store.engine.connect() as conn:
        sql = "SELECT count(*) FROM indicator_signals WHERE value IS NULL AND indicator = " + (
            "%s" if store.backend == "postgresql" else "?"
        )
        return conn.exec_driver_sql(sql, (indicator,)).scalar_one()


def assert_stored(store: Store, name: str, want: pd.DataFrame, params: dict[str, Any]) -> None:
    """indicator_signals holds exactly ``want``'s signal and value, tagged with ``params``."""
    got = store.read_signals(SYMBOL, "1h", name)
    assert str(got.index.tz) == "UTC"
    pd.testing.assert_index_equal(got.index.as_unit("ns"), want.index.as_unit("ns"), check_names=False)
    assert got["signal"].dtype.kind == "i"
    np.testing.assert_array_equal(got["signal"].to_numpy(np.int64), want["signal"].to_numpy(np.int64))
    value = want["value"].to_numpy(np.float64)
    np.testing.assert_array_equal(got["value"].to_numpy(np.float64), value)  # NULL read back as NaN
    assert null_values(store, name) == int(np.isnan(value).sum())
    assert all(p == params for p in got["params"]), got["params"].iloc[0]
    assert signal_rows(store, name) == len(want)


# ----------------------------------------------------------------- indicators list
def test_list_shows_indicators_defaults_and_all_ma_types() -> None:
    out = assert_clean_exit(invoke("indicators", "list", columns=400), 0)
    for name, info in INDICATORS.items():
        row = next((line for line in out.splitlines() if re.match(rf"\W*{name}\s+│", line)), None)
        assert row is not None, f"no row for {name}"
        assert info.title in row
        assert ", ".join(info.inputs) in row
        for key, default in info.params.items():
            assert f"{key}={default}" in row, (key, row)
    assert "length=28" in out
    assert "ma_type=Jurik Moving Average" in out
    assert "vzo_length=14" in out
    assert "window=20, ma_type=sma, phase=0.0, power=2.0" in out
    assert len(MA_TYPES) == 34
    for t in MA_TYPES:
        pattern = rf"│ {t.code}\s+│ {re.escape(t.name)}\s+│ {re.escape(', '.join(t.aliases))}\s+│ {t.min_window}\s+│"
        assert re.search(pattern, out), t.name
    assert re.search(r"│ 0\s+│ Simple Moving Average\s+│ sma\s+│ 1\s+│ talib.SMA", out)
    assert re.search(r"│ 8\s+│ Jurik Moving Average\s+│ jma\s+│", out)
    assert re.search(r"│ 22\s+│ Alexander Moving Average\s+│ alexander\s+│ 4\s+│", out)
    assert re.search(r"│ 33\s+│ Least Squares Moving Average\s+│ lsma, linreg, linear regression", out)
    assert not re.search(r"│ 34\s+│", out)


# ----------------------------------------------------------------- indicators run --store
RUN_CASES = [
    ("sniper", ["length=14", "ma_type=EMA", "adx_thresh=25"], {"length": 14, "ma_type": "EMA", "adx_thresh": 25.0}),
    ("vzo", ["vzo_length=21", "phase=0", "noise_length=3"], {"vzo_length": 21, "phase": 0.0, "noise_length": 3}),
    ("ma", ["window=50", "ma_type=hma"], {"window": 50, "ma_type": "hma"}),
]


@pytest.mark.parametrize(("name", "cli_params", "params"), RUN_CASES, ids=[c[0] for c in RUN_CASES])
def test_run_stores_what_the_registry_computes(
    loaded: Store, name: str, cli_params: list[str], params: dict[str, Any]
) -> None:
    store = loaded
    info = get_indicator(name)
    frame = store.read_ohlcv(SYMBOL, "1h")
    assert len(frame) == BARS
    want = indicator_frame(frame, info.name, **params)
    longs, shorts = int((want["signal"] == 1).sum()), int((want["signal"] == -1).sum())
    assert longs + shorts > 0

    out = assert_clean_exit(run_indicator(store, name, *cli_params), 0)
    assert f"{BARS:,} bars;" in out
    for ts in frame.index[-3:]:
        assert f"{ts:%Y-%m-%d %H:%M}" in out
    assert f"{frame.index[-4]:%Y-%m-%d %H:%M}" not in out  # --last 3
    assert f"{want[info.value].iloc[-1]:.4f}" in out
    assert f"{frame['close'].iloc[-1]:.4f}" in out
    assert f"signals over the whole history: {longs} long, {shorts} short" in out
    assert f"stored {BARS:,} rows in indicator_signals ({name}, params" in out
    merged = {**info.params, **params}
    assert_stored(store, name, want, merged)
    if name == "ma":
        assert np.isnan(want["value"]).sum() >= 49, "the warm-up NaN -> NULL path is exercised"

    # A rerun with other parameters (here the defaults) replaces every row: no mix of the two.
    again = indicator_frame(frame, info.name)
    assert not np.array_equal(again["value"].to_numpy(), want["value"].to_numpy(), equal_nan=True)
    out = assert_clean_exit(run_indicator(store, name), 0)
    assert f"stored {BARS:,} rows" in out
    assert_stored(store, name, again, dict(info.params))


def test_indicators_keep_their_own_rows_and_run_without_store_writes_nothing(loaded: Store) -> None:
    frame = loaded.read_ohlcv(SYMBOL, "1h")
    assert_clean_exit(run_indicator(loaded, "sniper"), 0)
    assert_clean_exit(run_indicator(loaded, "ma", "ma_type=frama", "window=16"), 0)
    assert_stored(loaded, "sniper", indicator_frame(frame, "sniper"), dict(INDICATORS["sniper"].params))
    ma_params = {**INDICATORS["ma"].params, "ma_type": "frama", "window": 16}
    assert_stored(loaded, "ma", indicator_frame(frame, "ma", ma_type="frama", window=16), ma_params)

    out = assert_clean_exit(run_indicator(loaded, "vzo", save=False), 0)
    assert "signals over the whole history:" in out
    assert "indicator_signals" not in out
    assert signal_rows(loaded, "vzo") == 0
    assert signal_rows(loaded) == 2 * BARS


ERROR_CASES = [
    ("unknown", "nope", SYMBOL, [], ["indicator: unknown 'nope'", "sniper, vzo, ma"]),
    ("bogus-param", "ma", SYMBOL, ["bogus=1"], ["--param bogus", "valid: window, ma_type, phase, power"]),
    ("bad-type", "ma", SYMBOL, ["window=x"], ["--param window", "int", "'x'"]),
    ("bad-length", "sniper", SYMBOL, ["length=0"], ["length:", ">= 1", "got 0"]),
    ("min-window", "ma", SYMBOL, ["window=3", "ma_type=alexander"], ["window:", ">= 4", "Alexander"]),
    ("bad-ma-type", "vzo", SYMBOL, ["ma_type=nosuch"], ["ma_type:", "'nosuch'"]),
    ("no-equals", "vzo", SYMBOL, ["vzo_length"], ["--param 'vzo_length'", "name=value"]),
    ("no-candles", "sniper", "ETH-USDT", [], ["unknown symbol ETH-USDT (stored: BTC-USDT"]),
]


@pytest.mark.parametrize(
    ("name", "symbol", "cli_params", "messages"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_run_errors_are_clear_and_write_nothing(
    loaded: Store, name: str, symbol: str, cli_params: list[str], messages: list[str]
) -> None:
    out = assert_clean_exit(run_indicator(loaded, name, *cli_params, symbol=symbol), 1)
    assert "error:" in out
    for message in messages:
        assert message in out, (message, out)
    assert "indicator_signals" not in out
    assert signal_rows(loaded) == 0


# ----------------------------------------------------------------- write_signals / read_signals
def _rows(index: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    value = rng.normal(size=len(index))
    value[::4] = np.nan
    return pd.DataFrame({"signal": rng.integers(-1, 2, size=len(index)), "value": value}, index=index)


def test_write_signals_is_all_or_nothing(store: Store, btc_1h: pd.DataFrame) -> None:
    index = btc_1h.index[-200:]
    before = _rows(index, 1)
    params = {"length": 9}
    assert store.write_signals(SYMBOL, "1h", "sniper", before, params) == 200
    stored = store.read_signals(SYMBOL, "1h", "sniper")

    with pytest.raises(ConfigError, match=r"missing column.*value"):
        store.write_signals(SYMBOL, "1h", "sniper", _rows(index, 2)[["signal"]], {"length": 10})
    with pytest.raises(ConfigError, match=r"missing column.*signal"):
        store.write_signals(SYMBOL, "1h", "sniper", _rows(index, 2)[["value"]], {"length": 10})
    pd.testing.assert_frame_equal(store.read_signals(SYMBOL, "1h", "sniper"), stored)
    assert signal_rows(store) == 200

    # The delete of the old range and the insert share one transaction: a failing insert (two rows
    # at one time) must leave the previous rows in place, not an emptied range.
    dup = _rows(index[50:150].append(index[[60]]), 3)
    with pytest.raises(StoreError, match=r"writing sniper signals of BTC-USDT 1h failed"):
        store.write_signals(SYMBOL, "1h", "sniper", dup, {"length": 11})
    pd.testing.assert_frame_equal(store.read_signals(SYMBOL, "1h", "sniper"), stored)
    assert signal_rows(store) == 200
    assert_stored(store, "sniper", before, params)


def test_signal_times_round_trip_exactly_in_utc(store: Store) -> None:
    utc = pd.DatetimeIndex(
        [
            "1969-07-20 20:17:40",
            "1999-12-31 23:59:59",
            "2000-02-29 12:00:00",
            "2024-03-31 01:00:00",
            "2038-01-19 03:14:08",
            "2100-01-01 00:00:00",
        ],
        tz="UTC",
    )
    rows = _rows(utc.tz_convert("Asia/Kolkata"), 4)  # +05:30: instants, not wall times, are stored
    assert store.write_signals(SYMBOL, "1h", "vzo", rows, {"vzo_length": 5}) == len(utc)
    got = store.read_signals(SYMBOL, "1h", "vzo")
    assert str(got.index.tz) == "UTC"
    assert list(got.index) == list(utc)
    np.testing.assert_array_equal(got["value"].to_numpy(np.float64), rows["value"].to_numpy())
    np.testing.assert_array_equal(got["signal"].to_numpy(), rows["signal"].to_numpy())

    naive = _rows(utc.tz_localize(None), 5)  # naive times are UTC
    store.write_signals(SYMBOL, "1h", "vzo", naive, {"vzo_length": 6})
    got = store.read_signals(SYMBOL, "1h", "vzo")
    assert list(got.index) == list(utc)
    np.testing.assert_array_equal(got["value"].to_numpy(np.float64), naive["value"].to_numpy())
    assert all(p == {"vzo_length": 6} for p in got["params"])


# ----------------------------------------------------------------- vectorbt factories
@pytest.fixture(scope="module")
def bars(btc_1h: pd.DataFrame) -> pd.DataFrame:
    return btc_1h.iloc[-2000:]


def assert_bit_identical(got: np.ndarray, want: np.ndarray, name: str) -> None:
    got, want = np.ascontiguousarray(got), np.ascontiguousarray(want)
    assert got.dtype == want.dtype, name
    np.testing.assert_array_equal(got, want, err_msg=name)
    assert got.tobytes() == want.tobytes(), name


def test_universal_ma_matches_moving_average(bars: pd.DataFrame) -> None:
    close = bars["close"]
    res = UniversalMA.run(close, window=[5, 10], ma_type=["sma", "hma"], param_product=True)
    assert res.ma.columns.tolist() == [(5, "sma"), (5, "hma"), (10, "sma"), (10, "hma")]
    assert res.ma.columns.names == ["uma_window", "uma_ma_type"]
    assert res.ma.index.equals(bars.index)
    for window, ma_type in res.ma.columns:
        want = moving_average(close.to_numpy(), window, ma_type)
        assert_bit_identical(res.ma[(window, ma_type)].to_numpy(), want, f"{ma_type}({window})")
    assert not np.array_equal(res.ma[(10, "sma")], res.ma[(10, "hma")], equal_nan=True)


def test_sniper_factory_matches_sniper_prox(bars: pd.DataFrame) -> None:
    h, lo, c, v = (bars[k] for k in ("high", "low", "close", "volume"))
    res = SniperProX.run(h, lo, c, v, length=[14, 28])
    assert res.f3.columns.tolist() == [14, 28]
    for length in (14, 28):
        want = sniper_prox(h.to_numpy(), lo.to_numpy(), c.to_numpy(), v.to_numpy(), length=length)
        for name in SniperResult._fields:
            frame = getattr(res, name)
            assert frame.index.equals(bars.index)
            assert_bit_identical(frame[length].to_numpy(), getattr(want, name), f"{name}[length={length}]")
    assert np.abs(res.signal[14].to_numpy()).sum() > 0
    # length drives only the trend average (spec: tavg = 3*M1 - 3*M2 + M3 of MA(close, length))
    assert not np.array_equal(res.tavg[14], res.tavg[28], equal_nan=True)


def test_vzo_factory_matches_vzo_prox(bars: pd.DataFrame) -> None:
    c, v = bars["close"], bars["volume"]
    res = VZOProX.run(c, v, vzo_length=[10, 14])
    assert res.vzo.columns.tolist() == [10, 14]
    for length in (10, 14):
        want = vzo_prox(c.to_numpy(), v.to_numpy(), vzo_length=length)
        for name in VZOResult._fields:
            frame = getattr(res, name)
            assert frame.index.equals(bars.index)
            assert_bit_identical(frame[length].to_numpy(), getattr(want, name), f"{name}[vzo_length={length}]")
    assert np.abs(res.signal[10].to_numpy()).sum() > 0
    assert not np.array_equal(res.vzo[10], res.vzo[14], equal_nan=True)
