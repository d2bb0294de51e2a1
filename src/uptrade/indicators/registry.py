"""The catalogue of indicators that can be run by name: title, inputs, parameter model, outputs.

Every shell (the CLI, the MCP server, the dashboard, backtest configs) finds indicators here.
An entry turns an OHLCV frame and its checked parameters (a model of
:mod:`uptrade.indicators.params`) into a frame of outputs. Signals are not made here: the rules
that read a signal from these outputs are in :mod:`uptrade.signals`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uptrade.errors import ParameterError
from uptrade.indicators.ma_types import ma_type_of
from uptrade.indicators.params import (
    CelestialParams,
    CycleParams,
    IndicatorParams,
    MAParams,
    SniperParams,
    SpectralParams,
    VZOParams,
)

if TYPE_CHECKING:
    import pandas as pd

# The catalogue itself imports no kernel, numba or pandas (listing indicators or checking a
# config's parameters needs none of them); each compute function imports what it runs.


@dataclass(frozen=True)
class IndicatorInfo:
    """A runnable indicator: name, title, inputs, parameter model, the output stored as its value."""

    name: str
    title: str
    inputs: tuple[str, ...]
    model: type[IndicatorParams]
    value: str
    compute: Callable[[pd.DataFrame, Any], pd.DataFrame]
    show: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, Any]:
        """Every parameter's default, in declaration order."""
        return self.model.defaults()

    def outputs(self, frame: pd.DataFrame, **params: Any) -> pd.DataFrame:
        """The indicator's outputs on ``frame`` (indexed like it); ``ParameterError`` names a bad parameter."""
        return self.compute(frame, self.model.of(params))


def _sniper_frame(frame: pd.DataFrame, p: SniperParams) -> pd.DataFrame:
    from uptrade.indicators.sniper import sniper_prox_frame

    return sniper_prox_frame(frame, **p.model_dump())


def _vzo_frame(frame: pd.DataFrame, p: VZOParams) -> pd.DataFrame:
    from uptrade.indicators.vzo import vzo_prox_frame

    return vzo_prox_frame(frame, **p.model_dump())


def _ma_frame(frame: pd.DataFrame, p: MAParams) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from uptrade.indicators.ma import moving_average

    t = ma_type_of(p.ma_type)
    kw: dict[str, Any] = {"phase": p.phase, "power": p.power}
    if t.uses_hl:
        kw.update(high=frame["high"], low=frame["low"])
    if t.needs_volume:
        kw["volume"] = frame["volume"]
    ma = moving_average(frame["close"].to_numpy(dtype=np.float64), p.window, t.code, **kw)
    return pd.DataFrame({"ma": ma}, index=frame.index)


def _cycle_frame(frame: pd.DataFrame, p: CycleParams) -> pd.DataFrame:
    from uptrade.indicators.cycle_ma import cycle_ma_frame

    return cycle_ma_frame(frame, **p.model_dump())


def _cycle_periods(cycles: str) -> list[float] | None:
    """``all`` (None) or a comma list of Hurst cycle names and periods in bars."""
    from uptrade.indicators import spectral

    if cycles.strip().lower() == "all":
        return None
    periods: list[float] = []
    for item in (c.strip() for c in cycles.split(",") if c.strip()):
        if item in spectral.HURST_CYCLES:
            periods.append(spectral.HURST_CYCLES[item])
            continue
        try:
            periods.append(float(item))
        except ValueError:
            names = ", ".join(spectral.HURST_CYCLES)
            raise ParameterError(f"cycles: {item!r} is neither a period in bars nor a Hurst cycle ({names})") from None
    return periods


def _spectral_frame(frame: pd.DataFrame, p: SpectralParams) -> pd.DataFrame:
    from uptrade.indicators import spectral

    res = spectral.spectral_frame(
        frame, _cycle_periods(p.cycles), method=p.method, window=p.window, bandwidth=p.bandwidth
    )
    out = res.cycles.copy()
    out.insert(0, "composite", res.composite.to_numpy())
    return out


def _celestial_frame(frame: pd.DataFrame, p: CelestialParams) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from uptrade.indicators.celestial import celestial_channel_levels, nearest_levels

    levels = celestial_channel_levels(
        frame.index, p.body, p.scaler, p.base, p.n_harmonics, bool(p.mirror), p.body_b.strip() or None
    )
    near = nearest_levels(frame["close"].to_numpy(dtype=np.float64), levels.to_numpy())
    return pd.DataFrame({"below": near["below"].to_numpy(), "above": near["above"].to_numpy()}, index=frame.index)


INDICATORS: dict[str, IndicatorInfo] = {
    "sniper": IndicatorInfo(
        "sniper",
        "SniperProX",
        ("high", "low", "close", "volume"),
        SniperParams,
        "f3",
        _sniper_frame,
        ("close", "f3", "sc", "adx", "upper", "lower", "signal"),
    ),
    "vzo": IndicatorInfo(
        "vzo",
        "VZOProX",
        ("close", "volume"),
        VZOParams,
        "vzo",
        _vzo_frame,
        ("close", "vzo", "vzo_smoothed", "upper", "lower", "signal"),
    ),
    "ma": IndicatorInfo(
        "ma", "Universal moving average (34 types)", ("close",), MAParams, "ma", _ma_frame, ("close", "ma", "signal")
    ),
    "cycle": IndicatorInfo(
        "cycle",
        "Cycle-adaptive MA (length = the rolling dominant cycle)",
        ("high", "low", "close"),
        CycleParams,
        "ma",
        _cycle_frame,
        ("close", "period", "length", "ma", "signal"),
    ),
    "spectral": IndicatorInfo(
        "spectral",
        "Hurst/Goertzel cycles and their composite",
        ("high", "low"),
        SpectralParams,
        "composite",
        _spectral_frame,
        ("close", "composite", "signal"),
    ),
    "celestial": IndicatorInfo(
        "celestial",
        "Celestial channel levels (planetary longitude as price)",
        ("close",),
        CelestialParams,
        "below",
        _celestial_frame,
        ("close", "below", "above", "signal"),
    ),
}


def get_indicator(name: str) -> IndicatorInfo:
    """The indicator called ``name``, or a ``ParameterError`` listing the choices."""
    try:
        return INDICATORS[name.strip().lower()]
    except KeyError:
        raise ParameterError(f"indicator: unknown {name!r}; choose one of {', '.join(INDICATORS)}") from None


def parse_params(info: IndicatorInfo, pairs: list[str]) -> dict[str, Any]:
    """``name=value`` strings typed and checked by the indicator's model; only the given names are returned.

    Errors carry ``param="param"``: the caller's argument that held the pairs.
    """
    raw: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"{pair!r}: expected name=value", param="param")
        raw[key.strip()] = value
    try:
        return info.model.parse(raw)
    except ParameterError as exc:
        raise ParameterError(str(exc), param="param") from None


__all__ = ["INDICATORS", "IndicatorInfo", "get_indicator", "parse_params"]
