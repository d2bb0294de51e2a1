"""vectorbt ``IndicatorFactory`` classes: ``UniversalMA``, ``SniperProX``, ``VZOProX``.

``SniperProX.run(high, low, close, volume, length=[14, 28], ma_type=["jma", "ema"],
param_product=True)`` broadcasts parameter grids the vectorbt way (one output column per
combination and input column). Each combination runs our numba kernels column by column;
the factory only does the broadcasting and labelling. Imported lazily: vectorbt is heavy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import vectorbt as vbt

from uptrade.indicators import sniper as _sniper
from uptrade.indicators import vzo as _vzo
from uptrade.indicators.ma import ma_type_of, moving_average


def _columns(*arrays: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    return [tuple(np.ascontiguousarray(a[:, j]) for a in arrays) for j in range(arrays[0].shape[1])]


def _ma_apply(close: np.ndarray, window: int, ma_type: Any, phase: float, power: float) -> np.ndarray:
    code = ma_type_of(ma_type).code
    cols = [moving_average(c, int(window), code, phase=phase, power=power) for (c,) in _columns(close)]
    return np.column_stack(cols)


UniversalMA = vbt.IndicatorFactory(
    class_name="UniversalMA",
    short_name="uma",
    input_names=["close"],
    param_names=["window", "ma_type", "phase", "power"],
    output_names=["ma"],
).from_apply_func(_ma_apply, window=20, ma_type="sma", phase=0.0, power=2.0)

_S_PARAMS = list(_sniper.DEFAULTS)
_S_OUT = list(_sniper.SniperResult._fields)


def _sniper_apply(high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, *params: Any) -> tuple:
    kw = dict(zip(_S_PARAMS, params, strict=True))
    res = [_sniper.sniper_prox(*cols, **kw) for cols in _columns(high, low, close, volume)]
    return tuple(np.column_stack([getattr(r, name) for r in res]) for name in _S_OUT)


SniperProX = vbt.IndicatorFactory(
    class_name="SniperProX",
    short_name="sniper",
    input_names=["high", "low", "close", "volume"],
    param_names=_S_PARAMS,
    output_names=_S_OUT,
).from_apply_func(_sniper_apply, **_sniper.DEFAULTS)

_V_PARAMS = list(_vzo.DEFAULTS)
_V_OUT = list(_vzo.VZOResult._fields)


def _vzo_apply(close: np.ndarray, volume: np.ndarray, *params: Any) -> tuple:
    kw = dict(zip(_V_PARAMS, params, strict=True))
    res = [_vzo.vzo_prox(*cols, **kw) for cols in _columns(close, volume)]
    return tuple(np.column_stack([getattr(r, name) for r in res]) for name in _V_OUT)


VZOProX = vbt.IndicatorFactory(
    class_name="VZOProX",
    short_name="vzo",
    input_names=["close", "volume"],
    param_names=_V_PARAMS,
    output_names=_V_OUT,
).from_apply_func(_vzo_apply, **_vzo.DEFAULTS)

__all__ = ["SniperProX", "UniversalMA", "VZOProX"]
