"""Universal moving-average library: 34 types by code or name, batch, 2-D sweep and streaming.

``moving_average(close, 20, "hma")`` is the whole public surface for one series;
``moving_average_2d`` runs many windows or columns in parallel for parameter sweeps, and
``MovingAverageStream`` gives the same values one live bar at a time. The definitions are
``shared/spec/INDICATORS.md`` section 1; what the spec leaves open (warm-up bars, NaN rules,
zero-volume and zero-range cases, FRAMA's even window) is in ``docs/indicators.md``.
"""

from __future__ import annotations

import numpy as np

from uptrade.errors import DataFormatError, ParameterError
from uptrade.indicators.ma_types import MA_TYPES, MAType, check_window, ma_type_of
from uptrade.indicators.nb.ma_batch import ma_1d_nb, ma_2d_nb
from uptrade.indicators.nb.ma_step import ma_init_nb, ma_size_nb, ma_step_nb


def as_series(values: object, name: str, length: int | None = None) -> np.ndarray:
    """A contiguous 1-D float64 copy-free view of ``values`` (checked length)."""
    arr = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1:
        raise DataFormatError(f"{name}: expected a 1-D series, got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise DataFormatError(f"{name}: length {arr.shape[0]} differs from the source's {length}")
    return arr


def _extras(t: MAType, src: np.ndarray, volume: object, high: object, low: object) -> tuple[np.ndarray, ...]:
    size = src.shape[0]
    if (high is None) != (low is None):
        raise DataFormatError("high/low: give both or neither")
    if t.uses_hl and high is not None:
        hi = as_series(high, "high", size)
        lo = as_series(low, "low", size)
    else:
        hi = lo = src
    if t.needs_volume:
        if volume is None:
            raise DataFormatError(f"volume: {t.name} needs a volume series")
        vol = as_series(volume, "volume", size)
    else:
        vol = src
    return hi, lo, vol


def moving_average(
    src: object,
    window: int,
    ma_type: int | str = "sma",
    *,
    volume: object = None,
    high: object = None,
    low: object = None,
    phase: float = 0.0,
    power: float = 2.0,
) -> np.ndarray:
    """Moving average of ``src`` (float64 array, NaN until defined) of any of the 34 types.

    ``phase`` and ``power`` shape the Jurik MA; ``high``/``low`` feed FRAMA and Donchian;
    ``volume`` is required by VWMA. Raises ``ValueError`` naming the bad parameter.
    """
    t = ma_type_of(ma_type)
    n = check_window(t, window)
    x = as_series(src, "src")
    hi, lo, vol = _extras(t, x, volume, high, low)
    out = np.empty_like(x)
    return ma_1d_nb(t.code, x, n, float(phase), float(power), hi, lo, vol, out)


def moving_average_2d(
    src: object,
    windows: object,
    ma_type: int | str = "sma",
    *,
    volume: object = None,
    high: object = None,
    low: object = None,
    phase: float = 0.0,
    power: float = 2.0,
) -> np.ndarray:
    """Many averages at once, columns in parallel: shape ``(bars, columns)``.

    ``src`` is 1-D (every window over the same series) or 2-D with one column per window;
    ``windows`` is an int or one int per column. Column ``j`` equals
    ``moving_average(src[:, j], windows[j], ...)``.
    """
    t = ma_type_of(ma_type)
    x = np.asarray(src, dtype=np.float64)
    ws = np.atleast_1d(np.asarray(windows))
    if ws.ndim != 1 or ws.size == 0:
        raise ParameterError("windows: expected an int or a non-empty 1-D list of ints")
    checked = np.array([check_window(t, w.item(), f"windows[{i}]") for i, w in enumerate(ws)], dtype=np.int64)
    if x.ndim == 1:
        x = np.repeat(x[:, None], checked.size, axis=1)
    if x.ndim != 2:
        raise DataFormatError(f"src: expected 1-D or 2-D, got shape {x.shape}")
    if checked.size == 1 and x.shape[1] > 1:
        checked = np.repeat(checked, x.shape[1])
    if checked.size != x.shape[1]:
        raise ParameterError(f"windows: {checked.size} windows for {x.shape[1]} columns")

    def _col(v: object, name: str) -> np.ndarray:
        arr = np.asarray(v, dtype=np.float64)
        if arr.ndim == 1:
            arr = np.repeat(arr[:, None], x.shape[1], axis=1)
        if arr.shape != x.shape:
            raise DataFormatError(f"{name}: shape {arr.shape} differs from the source's {x.shape}")
        return arr

    if (high is None) != (low is None):
        raise DataFormatError("high/low: give both or neither")
    hi = _col(high, "high") if t.uses_hl and high is not None else x
    lo = _col(low, "low") if t.uses_hl and low is not None else x
    if t.needs_volume and volume is None:
        raise DataFormatError(f"volume: {t.name} needs a volume series")
    vol = _col(volume, "volume") if t.needs_volume else x
    out = np.empty(x.shape)
    return ma_2d_nb(t.code, x, checked, float(phase), float(power), hi, lo, vol, out)


class MovingAverageStream:
    """Live form of :func:`moving_average`: ``update(value)`` returns the average after that bar.

    The values equal the batch ones (same machine for the property types; to ~1e-12 for the
    TA-Lib-referenced ones, whose batch kernels are separate one-pass loops).
    """

    def __init__(self, window: int, ma_type: int | str = "sma", *, phase: float = 0.0, power: float = 2.0) -> None:
        self.type = ma_type_of(ma_type)
        self.window = check_window(self.type, window)
        self.phase = float(phase)
        self.power = float(power)
        self._state = np.empty(ma_size_nb(self.type.code, self.window))
        ma_init_nb(self.type.code, self.window, self._state)
        self.value = float("nan")

    def update(
        self, value: float, *, high: float | None = None, low: float | None = None, volume: float | None = None
    ) -> float:
        """Consume one bar and return the new average (NaN while warming up)."""
        x = float(value)
        if self.type.needs_volume and volume is None:
            raise DataFormatError(f"volume: {self.type.name} needs a volume value")
        hi = float(high) if (self.type.uses_hl and high is not None) else x
        lo = float(low) if (self.type.uses_hl and low is not None) else x
        vol = float(volume) if volume is not None else x
        self.value = ma_step_nb(self.type.code, self.window, self.phase, self.power, self._state, 0, x, hi, lo, vol)
        return self.value


__all__ = [
    "MA_TYPES",
    "MAType",
    "MovingAverageStream",
    "check_window",
    "ma_type_of",
    "moving_average",
    "moving_average_2d",
]
