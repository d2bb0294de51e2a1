"""SniperProX: Fisher-transformed stochastics, a crossing-count state machine, DMI and volume filters.

``sniper_prox(high, low, close, volume, **params)`` returns a :class:`SniperResult` of arrays
(every output of ``shared/spec/INDICATORS.md`` section 2); ``sniper_prox_frame`` takes and
returns DataFrames; ``SniperProXStream.update(bar)`` gives the same values one live bar at a
time (batch is the same per-bar machine in a loop, so they agree bit for bit). Choices the
spec leaves open are in ``docs/indicators.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from uptrade.indicators._osc import Oscillator, OscillatorStream
from uptrade.indicators.ma import ma_type_of
from uptrade.indicators.nb import sniper as kernels
from uptrade.indicators.nb.osc_common import pack
from uptrade.indicators.params import SniperParams

if TYPE_CHECKING:  # the DataFrame form imports pandas when it is called
    import pandas as pd

DEFAULTS: dict[str, Any] = SniperParams.defaults()
INPUTS = ("high", "low", "close", "volume")


class SniperResult(NamedTuple):
    """SniperProX outputs, one array per name (floats, booleans, then the int8 signal)."""

    f3: np.ndarray
    sc: np.ndarray
    k1v: np.ndarray
    k2v: np.ndarray
    k3v: np.ndarray
    tavg: np.ndarray
    plus_di: np.ndarray
    minus_di: np.ndarray
    adx: np.ndarray
    vol_strength: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    minor_buy: np.ndarray
    major_buy: np.ndarray
    minor_sell: np.ndarray
    major_sell: np.ndarray
    buy_trail: np.ndarray
    sell_trail: np.ndarray
    adaptive_cross_up: np.ndarray
    adaptive_cross_down: np.ndarray
    signal: np.ndarray


def sniper_params(**params: Any) -> np.ndarray:
    """Parameters checked by :class:`SniperParams` and packed in the kernels' layout."""
    p = SniperParams.of(params)
    codes = {"ma_type": ma_type_of(p.ma_type).code, "dmi_ma_type": ma_type_of(p.dmi_ma_type).code}
    return pack(kernels.PARAMS, p.model_dump() | codes)


SNIPER: Oscillator[SniperResult] = Oscillator(
    name="SniperProX",
    inputs=INPUTS,
    defaults=DEFAULTS,
    param_names=kernels.PARAMS,
    pack=sniper_params,
    floats=kernels.FLOATS,
    bools=kernels.BOOLS,
    result=SniperResult,
    batch=kernels.sniper_nb,
    layout=kernels.sniper_layout_nb,
    init=kernels.sniper_init_nb,
    step=kernels.sniper_step_nb,
)


def sniper_prox(high: object, low: object, close: object, volume: object, **params: Any) -> SniperResult:
    """SniperProX over whole series (float64 arrays of one length)."""
    return SNIPER.run((high, low, close, volume), params)


def sniper_prox_frame(frame: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """SniperProX of an OHLCV DataFrame, as a DataFrame indexed like it (one column per output)."""
    return SNIPER.frame(frame, params)


class SniperProXStream(OscillatorStream):
    """Live SniperProX: ``update(bar)`` with ``high, low, close, volume`` returns that bar's outputs."""

    def __init__(self, **params: Any) -> None:
        super().__init__(SNIPER, **params)


__all__ = [
    "DEFAULTS",
    "INPUTS",
    "SNIPER",
    "SniperProXStream",
    "SniperResult",
    "sniper_params",
    "sniper_prox",
    "sniper_prox_frame",
]
