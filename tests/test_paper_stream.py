"""The bot's signal one bar at a time (:class:`SignalStream`) is the batch signal of ``uptrade backtest``,
bar for bar, on real BTC and ETH 1h candles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from uptrade.execution.stream import SignalStream
from uptrade.research.config import SignalsConfig
from uptrade.research.run import combined_signal

CONFIGS: dict[str, dict[str, Any]] = {
    "sniper:major": {"sources": {"sniper:major": {}}},
    "sniper:minor": {"sources": {"sniper:minor": {"length": 21}}},
    "vzo:minor": {"sources": {"vzo:minor": {"vzo_length": 14}}},
    "cycle:cross": {"sources": {"cycle:cross": {}}},
    "ma:cross hma": {"sources": {"ma:cross": {"window": 34, "ma_type": "hma"}}},
    "confirm": {
        "sources": {"sniper:minor": {}, "vzo:minor": {"vzo_length": 14}},
        "combine": {"mode": "confirm", "primary": "sniper:minor", "confirm_window": 4},
    },
    "weighted": {
        "sources": {"sniper:minor": {}, "vzo:minor": {}, "cycle:cross": {}},
        "combine": {"mode": "weighted", "weights": {"sniper:minor": 2.0, "vzo:minor": 1.0}, "threshold": 0.5},
    },
    "or": {"sources": {"sniper:major": {}, "vzo:major": {}}, "combine": {"mode": "or"}},
}


def batch(candles: pd.DataFrame, signals: SignalsConfig) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``uptrade backtest``'s combined signal and each source's, on ``candles``."""
    from uptrade.research.config import BacktestConfig

    cfg = BacktestConfig(symbol="BTC-USDT", timeframe="1h", signals=signals)
    combined, sources = combined_signal(candles, cfg)
    return combined.to_numpy(), {k: v.to_numpy() for k, v in sources.items()}


def stream(candles: pd.DataFrame, signals: SignalsConfig) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    s = SignalStream(signals)
    combined, sources = [], {name: [] for name in signals.sources}
    for bar in candles[["open", "high", "low", "close", "volume"]].to_dict("records"):
        combined.append(s.update(bar))
        for name, value in s.last.items():
            sources[name].append(value)
    return np.asarray(combined), {k: np.asarray(v) for k, v in sources.items()}


@pytest.mark.parametrize("market", ["btc_1h", "eth_1h"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_stream_equals_batch_bar_for_bar(name: str, market: str, request: pytest.FixtureRequest) -> None:
    candles = request.getfixturevalue(market).iloc[-2500:]
    signals = SignalsConfig.model_validate(CONFIGS[name])
    want, want_sources = batch(candles, signals)
    got, got_sources = stream(candles, signals)
    for source, values in want_sources.items():
        assert (values != 0).sum() >= 10, f"{source}: too few signals on these bars to test anything"
        np.testing.assert_array_equal(got_sources[source], values, err_msg=source)
    assert (want != 0).sum() >= 5
    np.testing.assert_array_equal(got, want)


def test_confirm_uses_exactly_its_window(btc_1h: pd.DataFrame) -> None:
    """A confirmation one bar older than the window does not count: the stream keeps confirm_window bars, no more."""
    candles = btc_1h.iloc[-2500:]
    wide = SignalsConfig.model_validate(
        {**CONFIGS["confirm"], "combine": {**CONFIGS["confirm"]["combine"], "confirm_window": 8}}
    )
    narrow = SignalsConfig.model_validate(CONFIGS["confirm"])
    got_wide, got_narrow = stream(candles, wide)[0], stream(candles, narrow)[0]
    assert (got_wide != 0).sum() > (got_narrow != 0).sum()  # the window matters on these bars
    np.testing.assert_array_equal(got_wide, batch(candles, wide)[0])


def test_a_source_without_a_streaming_form_is_refused_by_name() -> None:
    from uptrade.errors import ConfigError

    with pytest.raises(ConfigError, match="spectral has no streaming form"):
        SignalStream(SignalsConfig.model_validate({"sources": {"spectral:turns": {}}}))
