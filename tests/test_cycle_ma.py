"""The cycle-adaptive MA: live stream equal to batch bit for bit, each bar's value equal to the plain MA of
the length chosen there, that length the rounded dominant cycle, and the ``cycle:cross`` signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uptrade.errors import ParameterError
from uptrade.indicators.cycle_ma import CycleMAStream, cycle_ma_frame
from uptrade.indicators.ma import moving_average
from uptrade.indicators.params import CycleParams
from uptrade.indicators.spectral import dominant_cycle_rolling
from uptrade.signals import compute_signal
from uptrade.signals.rules import line_cross


@pytest.fixture(scope="module")
def candles(btc_1h: pd.DataFrame) -> pd.DataFrame:
    return btc_1h.iloc[-4000:]


@pytest.mark.parametrize("params", [{}, {"ma_type": "sma", "min_period": 12, "max_period": 40, "window": 96}])
def test_stream_equals_batch_bit_for_bit(candles: pd.DataFrame, params: dict[str, object]) -> None:
    batch = cycle_ma_frame(candles, **params)
    stream = CycleMAStream(**params)
    rows = [stream.update(bar) for bar in candles[["high", "low", "close", "volume"]].to_dict("records")]
    live = pd.DataFrame(rows, index=candles.index)
    for col in ("period", "length", "ma"):
        np.testing.assert_array_equal(live[col].to_numpy(float), batch[col].to_numpy(float), err_msg=col)


@pytest.mark.parametrize("ma_type", ["ema", "sma", "wma", "hma"])
def test_each_bar_is_the_plain_ma_of_its_length(candles: pd.DataFrame, ma_type: str) -> None:
    out = cycle_ma_frame(candles, ma_type=ma_type)
    p = CycleParams(ma_type=ma_type)
    hl2 = ((candles["high"] + candles["low"]) / 2).to_numpy()
    period = dominant_cycle_rolling(hl2, float(p.min_period), float(p.max_period), p.window)["period"].to_numpy()
    np.testing.assert_array_equal(out["period"].to_numpy(), period)
    defined = np.isfinite(period)
    want_len = np.clip(np.rint(period[defined]), p.min_period, p.max_period)
    np.testing.assert_array_equal(out["length"].to_numpy()[defined], want_len)
    assert (out["length"].to_numpy()[~defined] == 0).all()
    assert np.isnan(out["ma"].to_numpy()[~defined]).all()
    lengths = out["length"].to_numpy()
    assert len(set(lengths[defined])) > 5  # the length really moves with the cycle
    close = candles["close"].to_numpy()
    for length in sorted(set(lengths[defined])):
        at = lengths == length
        plain = moving_average(close, int(length), ma_type)
        np.testing.assert_allclose(out["ma"].to_numpy()[at], plain[at], rtol=1e-9)


def test_cross_signal(candles: pd.DataFrame) -> None:
    out = cycle_ma_frame(candles)
    sig = compute_signal(candles, "cycle")
    np.testing.assert_array_equal(sig.to_numpy(), line_cross(candles["close"].to_numpy(), out["ma"].to_numpy()))
    assert (sig == 1).sum() > 20
    assert (sig == -1).sum() > 20


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min_period": 20, "max_period": 20}, "max_period: must be greater than min_period (20)"),
        ({"max_period": 80}, "max_period: must be <= window / 2 (64)"),
        ({"window": 8}, "window: must be an integer >= 16, got 8"),
        ({"ma_type": "nope"}, "ma_type"),
        ({"lenght": 3}, "unknown parameter(s) lenght"),
    ],
)
def test_bad_params(params: dict[str, object], expected: str) -> None:
    with pytest.raises(ParameterError) as err:
        CycleParams.of(params)
    assert expected in str(err.value)
