"""VZOProX: the Volume Zone Oscillator (Khalil and Steckler) with a noise filter and adaptive zones.

``vzo_prox(close, volume, **params)`` returns a :class:`VZOResult` of arrays (every output of
``shared/spec/INDICATORS.md`` section 3); ``vzo_prox_frame`` takes and returns DataFrames;
``VZOProXStream.update(bar)`` gives the same values one live bar at a time. With
``ma_type="EMA"`` the oscillator is the classic VZO. Choices the spec leaves open (the adaptive
crosses use the zero-cross filter against the zones) are in ``docs/indicators.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from uptrade.indicators._osc import Oscillator, OscillatorStream
from uptrade.indicators.ma import ma_type_of
from uptrade.indicators.nb import vzo as kernels
from uptrade.indicators.nb.osc_common import pack
from uptrade.indicators.params import VZOParams

if TYPE_CHECKING:  # the DataFrame form imports pandas when it is called
    import pandas as pd

DEFAULTS: dict[str, Any] = VZOParams.defaults()
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
    """Parameters checked by :class:`VZOParams` and packed in the kernels' layout."""
    p = VZOParams.of(params)
    return pack(kernels.PARAMS, p.model_dump() | {"ma_type": ma_type_of(p.ma_type).code})


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
