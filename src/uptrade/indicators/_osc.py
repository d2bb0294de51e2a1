"""Shared plumbing of the oscillators: one generic batch/frame/live implementation.

An :class:`Oscillator` describes one indicator (its inputs, output names, result type, kernels
and parameter packing); ``run``, ``frame`` and :class:`OscillatorStream` do the rest for any of
them, so SniperProX and VZOProX share every line of it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import numpy as np

if TYPE_CHECKING:  # pandas is imported by the frame functions only (a tenth of a second at start-up)
    import pandas as pd

from uptrade.errors import DataFormatError
from uptrade.indicators.ma import as_series


def columns(length: int | None, **series: object) -> dict[str, np.ndarray]:
    """The inputs as float64 arrays of one common length (errors name the series)."""
    out: dict[str, np.ndarray] = {}
    for name, values in series.items():
        arr = as_series(values, name, length)
        length = arr.shape[0]
        out[name] = arr
    return out


def frame_inputs(frame: pd.DataFrame, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named columns of an OHLCV frame, with a clear error for a missing one."""
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise DataFormatError(
            f"frame: missing column(s) {', '.join(missing)}; have {', '.join(map(str, frame.columns))}"
        )
    return columns(None, **{c: frame[c].to_numpy(dtype=np.float64) for c in names})


def unpack(
    floats: tuple[str, ...], bools: tuple[str, ...], fo: np.ndarray, bo: np.ndarray, sig: np.ndarray
) -> dict[str, np.ndarray]:
    """Kernel output blocks as a name -> array mapping (rows become contiguous arrays)."""
    res: dict[str, np.ndarray] = {name: np.ascontiguousarray(fo[k]) for k, name in enumerate(floats)}
    res.update({name: np.ascontiguousarray(bo[k]) for k, name in enumerate(bools)})
    res["signal"] = sig
    return res


def bar_values(bar: object, names: tuple[str, ...]) -> tuple[float, ...]:
    """Fields of a bar given as a mapping, a pandas row or an object with attributes."""
    pandas = sys.modules.get("pandas")  # a pandas row can only exist once pandas is imported
    if isinstance(bar, Mapping) or (pandas is not None and isinstance(bar, pandas.Series)):
        return tuple(float(bar[n]) for n in names)
    return tuple(float(getattr(bar, n)) for n in names)


R = TypeVar("R", bound=NamedTuple)


@dataclass(frozen=True)
class Oscillator(Generic[R]):
    """One oscillator: what the generic batch, frame and live code needs to run it.

    ``pack(**params)`` checks the parameters and returns the kernels' vector ``p`` (packed in
    the order of ``param_names``, the kernel module's ``PARAMS``). The kernels are ``batch(p,
    *inputs, fo, bo, sig)`` and the live machine ``layout(p) -> lay``, ``init(p, lay, st)``,
    ``step(p, lay, st, *bar, fo, bo) -> signal``.
    """

    name: str
    inputs: tuple[str, ...]
    defaults: Mapping[str, Any]
    param_names: tuple[str, ...]
    pack: Callable[..., np.ndarray]
    floats: tuple[str, ...]
    bools: tuple[str, ...]
    result: type[R]
    batch: Callable[..., None]
    layout: Callable[[np.ndarray], np.ndarray]
    init: Callable[..., None]
    step: Callable[..., int]

    def __post_init__(self) -> None:
        if set(self.defaults) != set(self.param_names):
            raise ValueError(f"{self.name}: defaults {list(self.defaults)} != kernel layout {self.param_names}")
        if self.result._fields != (*self.floats, *self.bools, "signal"):
            raise ValueError(f"{self.name}: result fields {self.result._fields} != the kernel outputs")

    def run(self, series: Sequence[object], params: Mapping[str, Any]) -> R:
        """The oscillator over whole series (one per input, float64 arrays of one length)."""
        p = self.pack(**params)
        c = columns(None, **dict(zip(self.inputs, series, strict=True)))
        n = c[self.inputs[0]].shape[0]
        fo = np.empty((len(self.floats), n))
        bo = np.empty((len(self.bools), n), dtype=np.bool_)
        sig = np.empty(n, dtype=np.int8)
        self.batch(p, *(c[k] for k in self.inputs), fo, bo, sig)
        return self.result._make(unpack(self.floats, self.bools, fo, bo, sig).values())

    def frame(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
        """The oscillator of an OHLCV DataFrame, as a DataFrame indexed like it (one column per output)."""
        import pandas as pd

        c = frame_inputs(frame, self.inputs)
        res = self.run([c[k] for k in self.inputs], params)
        return pd.DataFrame(res._asdict(), index=frame.index)


class OscillatorStream:
    """Live form of an oscillator: one state array, one numba call per ``update(bar)``."""

    def __init__(self, osc: Oscillator[Any], /, **params: Any) -> None:
        self.params = {**osc.defaults, **params}
        self._p = osc.pack(**params)
        self._lay = osc.layout(self._p)
        self._st = np.empty(int(self._lay[-1]))
        osc.init(self._p, self._lay, self._st)
        self._step = osc.step
        self._inputs, self._floats, self._bools = osc.inputs, osc.floats, osc.bools
        self._fo = np.empty(len(self._floats))
        self._bo = np.empty(len(self._bools), dtype=np.bool_)

    def update(self, bar: object) -> dict[str, float | bool | int]:
        """Consume one closed bar (a mapping, a pandas row or an object with the input fields)."""
        values = bar_values(bar, self._inputs)
        sig = self._step(self._p, self._lay, self._st, *values, self._fo, self._bo)
        out: dict[str, float | bool | int] = dict(zip(self._floats, self._fo.tolist(), strict=True))
        out.update(zip(self._bools, self._bo.tolist(), strict=True))
        out["signal"] = int(sig)
        return out
