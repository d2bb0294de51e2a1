"""SniperProX: Fisher-transformed stochastics, a crossing-count state machine, DMI and volume filters.

``sniper_prox(high, low, close, volume, **params)`` returns a :class:`SniperResult` of arrays
(every output of ``shared/spec/INDICATORS.md`` section 2); ``sniper_prox_frame`` takes and
returns DataFrames; ``SniperProXStream.update(bar)`` gives the same values one live bar at a
time (batch is the same per-bar machine in a loop, so they agree bit for bit). Choices the
spec leaves open are in ``docs/indicators.md``.
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
from uptrade.indicators.nb import sniper as kernels
from uptrade.indicators.nb.osc_common import pack

DEFAULTS: dict[str, Any] = {
    "length": 28,
    "ma_type": "Jurik Moving Average",
    "phase": 0.0,
    "power": 2.0,
    "overbought_oversold": 1.386,
    "trail_threshold": 0.986,
    "dmi_len": 14,
    "dmi_ma_type": "RMA",
    "adx_thresh": 20.0,
    "vol_avg_len": 20,
    "vol_per_thresh": 50.0,
    "data_sample": 55,
    "pcnt_above": 88.0,
    "pcnt_below": 88.0,
}
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
    """Checked parameters packed for the kernels in their layout (``ValueError`` names a bad one)."""
    unknown_params(params, DEFAULTS, "SniperProX")
    q = {**DEFAULTS, **params}
    length = check_int("length", q["length"], 1)
    ma = check_ma("ma_type", q["ma_type"], 3, 5, length)
    dmi_len = check_int("dmi_len", q["dmi_len"], 2)
    dmi_ma = check_ma("dmi_ma_type", q["dmi_ma_type"], dmi_len)
    values = {
        "length": length,
        "ma_type": ma.code,
        "phase": check_float("phase", q["phase"]),
        "power": check_float("power", q["power"], 0.0),
        "overbought_oversold": check_float("overbought_oversold", q["overbought_oversold"]),
        "trail_threshold": check_float("trail_threshold", q["trail_threshold"]),
        "dmi_len": dmi_len,
        "dmi_ma_type": dmi_ma.code,
        "adx_thresh": check_float("adx_thresh", q["adx_thresh"]),
        "vol_avg_len": check_int("vol_avg_len", q["vol_avg_len"], 1),
        "vol_per_thresh": check_float("vol_per_thresh", q["vol_per_thresh"]),
        "data_sample": check_int("data_sample", q["data_sample"], 1),
        "pcnt_above": check_float("pcnt_above", q["pcnt_above"], 0.0, 100.0),
        "pcnt_below": check_float("pcnt_below", q["pcnt_below"], 0.0, 100.0),
    }
    return pack(kernels.PARAMS, values)


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
