"""`uptrade indicators run -i spectral|celestial`: outputs equal the library, signals equal a per-bar
reading of their documented rules, stored rows round-trip (both backends)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from uptrade.cli import app
from uptrade.data.store import Store
from uptrade.indicators.celestial import celestial_channel_levels
from uptrade.indicators.registry import get_indicator
from uptrade.indicators.spectral import HURST_CYCLES, spectral_frame
from uptrade.signals import indicator_frame

SYMBOL = "BTC-USDT"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UPTRADE_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def candles(btc_1h: pd.DataFrame) -> pd.DataFrame:
    return btc_1h.iloc[-2500:]


def turns_by_loop(x: np.ndarray) -> np.ndarray:
    out = np.zeros(len(x), dtype=np.int8)
    for t in range(2, len(x)):
        a, b, c = x[t - 2], x[t - 1], x[t]
        if c > b and b <= a:
            out[t] = 1
        elif c < b and b >= a:
            out[t] = -1
    return out


def test_spectral_entry_is_the_library_composite_and_its_turns(candles: pd.DataFrame) -> None:
    info = get_indicator("spectral")
    out = indicator_frame(candles, info.name, method="goertzel", window=300, cycles="10d,20d,40.5")
    ref = spectral_frame(candles, [HURST_CYCLES["10d"], HURST_CYCLES["20d"], 40.5], method="goertzel", window=300)
    np.testing.assert_array_equal(out["composite"].to_numpy(), ref.composite.to_numpy())
    np.testing.assert_array_equal(out["value"].to_numpy(), ref.composite.to_numpy())
    assert list(out.columns[2:5]) == ["10d", "20d", "40.5"]
    np.testing.assert_array_equal(out["signal"].to_numpy(), turns_by_loop(ref.composite.to_numpy()))
    assert (out["signal"].iloc[:301] == 0).all()  # nothing before the first full window
    assert out["signal"].abs().sum() > 100
    hurst = indicator_frame(candles, info.name, method="hurst")
    assert list(hurst.columns[2 : 2 + len(HURST_CYCLES)]) == list(HURST_CYCLES)
    with pytest.raises(ValueError, match="cycles: 'x'"):
        indicator_frame(candles, info.name, cycles="5d,x")


@pytest.mark.parametrize(("body", "mirror", "body_b"), [("saturn", 0, ""), ("jupiter", 1, ""), ("sun", 0, "moon")])
def test_celestial_entry_levels_and_crossings(candles: pd.DataFrame, body: str, mirror: int, body_b: str) -> None:
    out = indicator_frame(candles, "celestial", body=body, mirror=mirror, body_b=body_b, scaler=16.18)
    levels = celestial_channel_levels(candles.index, body, 16.18, 6, 10, bool(mirror), body_b or None).to_numpy()
    close = candles["close"].to_numpy()
    for t in range(1, len(candles), 7):
        lv = np.sort(levels[t])
        below = lv[lv <= close[t]]
        above = lv[lv > close[t]]
        want_below = below[-1] if below.size else np.nan
        want_above = above[0] if above.size else np.nan
        np.testing.assert_equal(out["below"].iloc[t], want_below)
        np.testing.assert_equal(out["above"].iloc[t], want_above)
        crossed_up = below.size and close[t - 1] < below[-1]
        crossed_down = above.size and close[t - 1] >= above[0]
        assert out["signal"].iloc[t] == (1 if crossed_up else -1 if crossed_down else 0), t
    assert out["signal"].iloc[0] == 0


def test_cli_runs_and_stores_both(store: Store, candles: pd.DataFrame) -> None:
    store.write_ohlcv(candles, SYMBOL, "1h")
    url = store.engine.url.render_as_string(hide_password=False)
    for name, params in (("spectral", ["window=256"]), ("celestial", ["body=mars", "base=5"])):
        args = ["--db", url, "indicators", "run", "-s", SYMBOL, "-t", "1h", "-i", name, "--last", "2", "--store"]
        for p in params:
            args += ["-p", p]
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        stored = store.read_signals(SYMBOL, "1h", name)
        info = get_indicator(name)
        kw = {k: type(info.params[k])(v) for k, v in (p.split("=") for p in params)}
        ref = indicator_frame(store.read_ohlcv(SYMBOL, "1h"), info.name, **kw)
        assert len(stored) == len(candles)
        np.testing.assert_array_equal(stored["signal"].to_numpy(), ref["signal"].to_numpy())
        np.testing.assert_allclose(stored["value"].to_numpy(float), ref["value"].to_numpy(), rtol=0, equal_nan=True)
        assert stored["params"].iloc[0] == {**info.params, **kw}
    bad = runner.invoke(
        app,
        ["--db", url, "indicators", "run", "-s", SYMBOL, "-t", "1h", "-i", "celestial", "-p", "mirror=2"],
        env={"COLUMNS": "200"},
    )
    assert bad.exit_code == 1
    assert "mirror" in bad.output
