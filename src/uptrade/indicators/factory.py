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

from uptrade.indicators._osc import Oscillator
from uptrade.indicators.ma import ma_type_of, moving_average
from uptrade.indicators.sniper import SNIPER
from uptrade.indicators.vzo import VZO


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


def _oscillator(osc: Oscillator[Any], class_name: str, short_name: str) -> type:
    """An IndicatorFactory class for ``osc``: parameters named as its kernel layout, defaults from it."""
    params = list(osc.param_names)
    outputs = list(osc.result._fields)
    k = len(osc.inputs)

    def apply(*args: Any) -> tuple:
        kw = dict(zip(params, args[k:], strict=True))
        res = [osc.run(cols, kw) for cols in _columns(*args[:k])]
        return tuple(np.column_stack([getattr(r, name) for r in res]) for name in outputs)

    return vbt.IndicatorFactory(
        class_name=class_name,
        short_name=short_name,
        input_names=list(osc.inputs),
        param_names=params,
        output_names=outputs,
    ).from_apply_func(apply, **{name: osc.defaults[name] for name in params})


SniperProX = _oscillator(SNIPER, "SniperProX", "sniper")
VZOProX = _oscillator(VZO, "VZOProX", "vzo")

__all__ = ["SniperProX", "UniversalMA", "VZOProX"]
