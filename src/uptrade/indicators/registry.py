"""The indicators the CLI (and later the MCP server) can run by name, with their parameters.

Each entry turns an OHLCV frame into a frame of outputs with an int8 ``signal`` and the
``value`` that is stored beside it in ``indicator_signals``. ``ma`` has no signal of its own in
the spec; it reports the close crossing its average (1 up, -1 down), confirmed on the close.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from uptrade.indicators import sniper, vzo
from uptrade.indicators._osc import check_float
from uptrade.indicators.ma import check_window, ma_type_of, moving_average


@dataclass(frozen=True)
class IndicatorInfo:
    """A runnable indicator: name, title, input columns, parameter defaults, stored value."""

    name: str
    title: str
    inputs: tuple[str, ...]
    params: dict[str, Any]
    value: str
    compute: Callable[..., pd.DataFrame]
    show: tuple[str, ...] = ()

    def run(self, frame: pd.DataFrame, **params: Any) -> pd.DataFrame:
        """Outputs for ``frame`` (indexed like it), with ``signal`` and ``value`` columns."""
        out = self.compute(frame, **params)
        out["value"] = out[self.value]
        out.insert(0, "close", frame["close"].to_numpy())
        return out


def _ma_frame(
    frame: pd.DataFrame, window: int = 20, ma_type: str = "sma", phase: float = 0.0, power: float = 2.0
) -> pd.DataFrame:
    t = ma_type_of(ma_type)
    check_window(t, window)
    kw: dict[str, Any] = {"phase": check_float("phase", phase), "power": check_float("power", power, 0.0)}
    if t.uses_hl:
        kw.update(high=frame["high"], low=frame["low"])
    if t.needs_volume:
        kw["volume"] = frame["volume"]
    close = frame["close"].to_numpy(dtype=np.float64)
    ma = moving_average(close, window, t.code, **kw)
    above = np.where(np.isnan(ma), 0, np.sign(close - ma))
    prev = np.concatenate([[0.0], above[:-1]])
    signal = np.where((above > 0) & (prev < 0), 1, np.where((above < 0) & (prev > 0), -1, 0)).astype(np.int8)
    return pd.DataFrame({"ma": ma, "signal": signal}, index=frame.index)


INDICATORS: dict[str, IndicatorInfo] = {
    "sniper": IndicatorInfo(
        "sniper",
        "SniperProX",
        sniper.INPUTS,
        dict(sniper.DEFAULTS),
        "f3",
        sniper.sniper_prox_frame,
        ("close", "f3", "sc", "adx", "upper", "lower", "signal"),
    ),
    "vzo": IndicatorInfo(
        "vzo",
        "VZOProX",
        vzo.INPUTS,
        dict(vzo.DEFAULTS),
        "vzo",
        vzo.vzo_prox_frame,
        ("close", "vzo", "vzo_smoothed", "upper", "lower", "signal"),
    ),
    "ma": IndicatorInfo(
        "ma",
        "Universal moving average (34 types)",
        ("close",),
        {"window": 20, "ma_type": "sma", "phase": 0.0, "power": 2.0},
        "ma",
        _ma_frame,
        ("close", "ma", "signal"),
    ),
}


def get_indicator(name: str) -> IndicatorInfo:
    """The indicator called ``name``, or a ``ValueError`` listing the choices."""
    try:
        return INDICATORS[name.strip().lower()]
    except KeyError:
        raise ValueError(f"indicator: unknown {name!r}; choose one of {', '.join(INDICATORS)}") from None


def _typed(key: str, raw: str, default: object) -> object:
    """``raw`` converted to the type of ``default`` (ints accept "5.0"; floats must be finite)."""
    if isinstance(default, str):
        return raw.strip()
    try:
        value = float(raw)
    except ValueError:
        kind = "an integer" if isinstance(default, int) else "a number"
        raise ValueError(f"--param {key}: expected {kind}, got {raw!r}") from None
    if not np.isfinite(value):
        raise ValueError(f"--param {key}: expected a finite number, got {raw!r}")
    if isinstance(default, int):
        if not value.is_integer():
            raise ValueError(f"--param {key}: expected an integer, got {raw!r}")
        return int(value)
    return value


def parse_params(info: IndicatorInfo, pairs: list[str]) -> dict[str, Any]:
    """``k=v`` strings typed like the defaults; ``ValueError`` names the bad pair."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--param {pair!r}: expected name=value")
        if key not in info.params:
            raise ValueError(f"--param {key}: {info.name} has no such parameter; valid: {', '.join(info.params)}")
        out[key] = _typed(key, raw, info.params[key])
    return out


__all__ = ["INDICATORS", "IndicatorInfo", "get_indicator", "parse_params"]
