"""VZOProX: the Volume Zone Oscillator (Khalil and Steckler) with a noise filter and adaptive zones.

``vzo_prox(close, volume, **params)`` returns a :class:`VZOResult` of arrays (every output of
``shared/spec/INDICATORS.md`` section 3); ``vzo_prox_frame`` takes and returns DataFrames;
``VZOProXStream.update(bar)`` gives the same values one live bar at a time. With
``ma_type="EMA"`` the oscillator is the classic VZO. Choices the spec leaves open (the adaptive
crosses use the zero-cross filter against the zones) are in ``docs/indicators.md``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from uptrade.indicators._osc import (
    Oscillator,
    OscillatorStream,
    check_float,
    check_int,
    check_ma,
    unknown_params,
)
from uptrade.indicators.nb import vzo as kernels
from uptrade.indicators.nb.osc_common import pack

DEFAULTS: dict[str, Any] = {
    "vzo_length": 14,
    "ma_type": "Jurik Moving Average",
    "phase": 50.0,
    "power": 2.0,
    "noise_length": 2,
    "data_sample": 55,
    "pcnt_above": 80.0,
    "pcnt_below": 80.0,
    "minor_sell_val": 40.0,
    "minor_buy_val": -40.0,
    "minor_major_range": 20.0,
    "zero_cross_filter_range": 20.0,
}
INPUTS = ("close", "volume")


class VZOResult(NamedTuple):
    """VZOProX outputs, one array per name (floats, booleans, then the int8 signal)."""

    vzo: np.ndarray
    vzo_smoothed: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    minor_buy: np.ndarray
    major_buy: np.ndarray
    minor_sell: np.ndarray
    major_sell: np.ndarray
    zero_cross_up: np.ndarray
    zero_cross_down: np.ndarray
    adaptive_cross_up: np.ndarray
    adaptive_cross_down: np.ndarray
    adaptive_buy: np.ndarray
    adaptive_sell: np.ndarray
    signal: np.ndarray


def vzo_params(**params: Any) -> np.ndarray:
    """Checked parameters packed for the kernels in their layout (``ValueError`` names a bad one)."""
    unknown_params(params, DEFAULTS, "VZOProX")
    q = {**DEFAULTS, **params}
    length = check_int("vzo_length", q["vzo_length"], 1)
    noise = check_int("noise_length", q["noise_length"], 1)
    ma = check_ma("ma_type", q["ma_type"], length, noise)
    values = {
        "vzo_length": length,
        "ma_type": ma.code,
        "phase": check_float("phase", q["phase"]),
        "power": check_float("power", q["power"], 0.0),
        "noise_length": noise,
        "data_sample": check_int("data_sample", q["data_sample"], 1),
        "pcnt_above": check_float("pcnt_above", q["pcnt_above"], 0.0, 100.0),
        "pcnt_below": check_float("pcnt_below", q["pcnt_below"], 0.0, 100.0),
        "minor_sell_val": check_float("minor_sell_val", q["minor_sell_val"]),
        "minor_buy_val": check_float("minor_buy_val", q["minor_buy_val"]),
        "minor_major_range": check_float("minor_major_range", q["minor_major_range"]),
        "zero_cross_filter_range": check_float("zero_cross_filter_range", q["zero_cross_filter_range"]),
    }
    return pack(kernels.PARAMS, values)


VZO: Oscillator[VZOResult] = Oscillator(
    name="VZOProX",
    inputs=INPUTS,
    defaults=DEFAULTS,
    param_names=kernels.PARAMS,
    pack=vzo_params,
    floats=kernels.FLOATS,
    bools=kernels.BOOLS,
    result=VZOResult,
    batch=kernels.vzo_nb,
    layout=kernels.vzo_layout_nb,
    init=kernels.vzo_init_nb,
    step=kernels.vzo_step_nb,
)


def vzo_prox(close: object, volume: object, **params: Any) -> VZOResult:
    """VZOProX over whole series (float64 arrays of one length)."""
    return VZO.run((close, volume), params)


def vzo_prox_frame(frame: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """VZOProX of an OHLCV DataFrame, as a DataFrame indexed like it (one column per output)."""
    return VZO.frame(frame, params)


class VZOProXStream(OscillatorStream):
    """Live VZOProX: ``update(bar)`` with ``close, volume`` returns that bar's outputs."""

    def __init__(self, **params: Any) -> None:
        super().__init__(VZO, **params)


__all__ = [
    "DEFAULTS",
    "INPUTS",
    "VZO",
    "VZOProXStream",
    "VZOResult",
    "vzo_params",
    "vzo_prox",
    "vzo_prox_frame",
]
