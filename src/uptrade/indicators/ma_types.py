"""The 34 moving-average types: codes, names, aliases and the window each needs (no kernels).

:mod:`uptrade.indicators.ma` computes them; this catalogue is split from it so that what only
names or checks a type (the parameter models, ``uptrade indicators list``, the MCP catalogue)
does not import numba. The definitions are ``shared/spec/INDICATORS.md`` section 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uptrade.errors import ParameterError


@dataclass(frozen=True)
class MAType:
    """One moving-average type: its code, names and the inputs it uses."""

    code: int
    name: str
    aliases: tuple[str, ...]
    reference: str
    min_window: int = 1
    uses_hl: bool = False
    needs_volume: bool = False


MA_TYPES: tuple[MAType, ...] = (
    MAType(0, "Simple Moving Average", ("sma",), "talib.SMA"),
    MAType(1, "Exponential Moving Average", ("ema",), "talib.EMA"),
    MAType(2, "Weighted Moving Average", ("wma",), "talib.WMA"),
    MAType(3, "Relative Moving Average", ("rma", "smma", "wilder", "smoothed moving average"), "property"),
    MAType(4, "Double Exponential Moving Average", ("dema",), "talib.DEMA"),
    MAType(5, "Triple Exponential Moving Average", ("tema",), "talib.TEMA"),
    MAType(6, "Hull Moving Average", ("hma",), "pandas-ta hma; property"),
    MAType(7, "Arnaud Legoux Moving Average", ("alma",), "property"),
    MAType(8, "Jurik Moving Average", ("jma",), "property"),
    MAType(9, "Kaufman's Adaptive Moving Average", ("kama", "kaufman adaptive moving average"), "talib.KAMA"),
    MAType(10, "Fractal Adaptive Moving Average", ("frama",), "property", uses_hl=True),
    MAType(11, "Volatility Adjusted Moving Average", ("vama",), "property"),
    MAType(12, "Tilson T3 Moving Average", ("t3",), "talib.T3"),
    MAType(13, "Tilson T3 (early version)", ("ie/2", "ie2"), "property"),
    MAType(14, "Zero-Lag Exponential Moving Average", ("zlema",), "property"),
    MAType(15, "McGinley Dynamic", ("mcginley",), "property"),
    MAType(16, "Modular Filter", ("modular",), "property"),
    MAType(17, "Coefficient of Variation Weighted MA", ("covwma",), "property"),
    MAType(18, "Ehlers Dynamic Smoothed MA", ("edsma",), "property"),
    MAType(19, "Ehlers Super Smoother", ("super smoother", "ssf"), "property"),
    MAType(20, "Ehlers EMA Smoother", ("ema smoother",), "property"),
    MAType(21, "Ahrens Moving Average", ("ahrens",), "property"),
    MAType(22, "Alexander Moving Average", ("alexander",), "property", min_window=4),
    MAType(23, "Average Directional Volatility MA", ("adxvma",), "property"),
    MAType(24, "Integral of Linear Regression Slope", ("ilrs",), "property"),
    MAType(25, "Leader Exponential Moving Average", ("leader", "leader ema"), "property"),
    MAType(26, "Recursive Moving Trendline", ("rmta",), "property"),
    MAType(27, "Simple Decycler", ("decycler",), "property", min_window=2),
    MAType(28, "Triangular Moving Average", ("trima",), "talib.TRIMA"),
    MAType(29, "Exponential MA Optimized", ("xema",), "property"),
    MAType(30, "Donchian", ("donchian",), "property", uses_hl=True),
    MAType(31, "Donchian v2", ("donchian v2", "donchian2"), "property", uses_hl=True),
    MAType(32, "Volume Weighted Moving Average", ("vwma",), "property", needs_volume=True),
    MAType(33, "Least Squares Moving Average", ("lsma", "linreg", "linear regression"), "talib.LINEARREG"),
)

_BY_NAME: dict[str, MAType] = {}
for _t in MA_TYPES:
    for _key in (_t.name, *_t.aliases):
        _BY_NAME[_key.lower()] = _t


def ma_type_of(ma_type: object) -> MAType:
    """The :class:`MAType` for a code or a (case-insensitive) name or alias; ``ValueError`` otherwise."""
    if isinstance(ma_type, (int, np.integer)) and not isinstance(ma_type, bool):
        if 0 <= int(ma_type) < len(MA_TYPES):
            return MA_TYPES[int(ma_type)]
        raise ParameterError(f"ma_type: unknown code {ma_type}; valid codes are 0..{len(MA_TYPES) - 1}")
    if isinstance(ma_type, str):
        key = ma_type.strip().lower()
        if key in _BY_NAME:
            return _BY_NAME[key]
        if key.isdigit():
            return ma_type_of(int(key))
    names = ", ".join(f"{t.code}={t.aliases[0].upper()}" for t in MA_TYPES)
    raise ParameterError(f"ma_type: unknown type {ma_type!r}; choose a code or name: {names}")


def check_window(t: MAType, window: object, name: str = "window") -> int:
    """``window`` as an int, or a ``ValueError`` naming the valid range for ``t``."""
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
        if isinstance(window, float) and window.is_integer():
            window = int(window)
        else:
            raise ParameterError(f"{name}: must be an integer >= {t.min_window} for {t.name}, got {window!r}")
    if window < t.min_window:
        raise ParameterError(f"{name}: must be >= {t.min_window} for {t.name}, got {window}")
    return int(window)


__all__ = ["MA_TYPES", "MAType", "check_window", "ma_type_of"]
