"""The indicators the CLI (and later the MCP server) can run by name, with their parameters.

Each entry turns an OHLCV frame into a frame of outputs with an int8 ``signal`` and the
``value`` that is stored beside it in ``indicator_signals``. Where the spec gives no signal,
the entry's is confirmed on the close of the bar that shows it:

- ``ma``: the close crossing its average (1 up, -1 down);
- ``spectral``: the composite cycle turning (1 when it rises after a fall, i.e. a trough one bar
  back, -1 after a peak);
- ``celestial``: the close crossing a channel level (1 when the previous close was below the
  level now under the close, -1 when it was at or above the level now over it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from uptrade.indicators import sniper, spectral, vzo
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


def _turns(x: np.ndarray) -> np.ndarray:
    """1 where ``x`` rises after not rising (a trough at the previous bar), -1 at a peak; int8."""
    d = np.diff(x, prepend=np.nan)
    prev = np.concatenate([[np.nan], d[:-1]])
    up = (d > 0) & (prev <= 0)
    down = (d < 0) & (prev >= 0)
    return np.where(up, 1, np.where(down, -1, 0)).astype(np.int8)


def _spectral_frame(
    frame: pd.DataFrame, method: str = "goertzel", window: int = 618, bandwidth: float = 0.025, cycles: str = "all"
) -> pd.DataFrame:
    names = list(spectral.HURST_CYCLES)
    periods: list[float] | None = None
    if cycles.strip().lower() != "all":
        periods = []
        for item in (c.strip() for c in cycles.split(",") if c.strip()):
            if item in spectral.HURST_CYCLES:
                periods.append(spectral.HURST_CYCLES[item])
            else:
                try:
                    periods.append(float(item))
                except ValueError:
                    raise ValueError(
                        f"cycles: {item!r} is neither a period in bars nor a Hurst cycle ({', '.join(names)})"
                    ) from None
    res = spectral.spectral_frame(frame, periods, method=method, window=window, bandwidth=bandwidth)
    out = res.cycles.copy()
    out.insert(0, "composite", res.composite.to_numpy())
    out["signal"] = _turns(res.composite.to_numpy())
    return out


def _celestial_frame(
    frame: pd.DataFrame,
    body: str = "saturn",
    scaler: float = 16.18,
    base: int = 6,
    n_harmonics: int = 10,
    mirror: int = 0,
    body_b: str = "",
) -> pd.DataFrame:
    from uptrade.indicators.celestial import celestial_channel_levels, nearest_levels

    if mirror not in (0, 1):
        raise ValueError(f"mirror: must be 0 or 1, got {mirror!r}")
    levels = celestial_channel_levels(
        frame.index, body, scaler, base, n_harmonics, bool(mirror), body_b.strip() or None
    )
    close = frame["close"].to_numpy(dtype=np.float64)
    near = nearest_levels(close, levels.to_numpy())
    below, above = near["below"].to_numpy(), near["above"].to_numpy()
    prev = np.concatenate([[np.nan], close[:-1]])
    signal = np.where(prev < below, 1, np.where(prev >= above, -1, 0)).astype(np.int8)
    return pd.DataFrame({"below": below, "above": above, "signal": signal}, index=frame.index)


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
    "spectral": IndicatorInfo(
        "spectral",
        "Hurst/Goertzel cycles and their composite",
        ("high", "low"),
        {"method": "goertzel", "window": 618, "bandwidth": 0.025, "cycles": "all"},
        "composite",
        _spectral_frame,
        ("close", "composite", "signal"),
    ),
    "celestial": IndicatorInfo(
        "celestial",
        "Celestial channel levels (planetary longitude as price)",
        ("close",),
        {"body": "saturn", "scaler": 16.18, "base": 6, "n_harmonics": 10, "mirror": 0, "body_b": ""},
        "below",
        _celestial_frame,
        ("close", "below", "above", "signal"),
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
