"""The signal combiner of spec section 7: ``and``, ``or``, ``weighted`` and ``confirm``.

- ``and``: the common direction where every signal is non-zero and they all agree, else 0.
- ``or``: any non-zero signal; when they conflict, the majority of the non-zero ones wins and a
  tie gives 0.
- ``weighted``: ``score = sum(w_i s_i) / sum(w_i)``; 1 where ``score >= threshold``, -1 where
  ``score <= -threshold``, else 0. Weights default to 1 and must be finite and >= 0 with a
  positive sum.
- ``confirm``: the ``primary`` signal counts only where every other signal has shown the same
  direction within the last ``confirm_window`` bars, the primary's bar included.

Unknown names, length mismatches, values outside ``{-1, 0, 1}`` and bad parameters raise
:class:`~uptrade.errors.SignalError` (a ``ValueError``) naming them. Inputs may be
arrays or Series; Series must share one index, and the result is then a Series on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from uptrade.errors import SignalError
from uptrade.signals import core
from uptrade.signals.conventions import as_signal

MODES = ("and", "or", "weighted", "confirm")


class CombinerConfig(BaseModel):
    """How to combine named signals (the ``combine`` parameters as a config object, e.g. from YAML)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["and", "or", "weighted", "confirm"] = "and"
    weights: dict[str, float] | None = None
    threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    primary: str | None = None
    confirm_window: int = Field(default=3, ge=1)

    @field_validator("weights")
    @classmethod
    def _weights_ok(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            for k, w in value.items():
                if not (np.isfinite(w) and w >= 0):
                    raise SignalError(f"weights: {k} must be a finite number >= 0, got {w}")
        return value

    def apply(self, signals: Mapping[str, Any]) -> np.ndarray | pd.Series:
        """``combine(signals, **this config)``."""
        return combine(signals, **self.model_dump())


def _stack(signals: Mapping[str, Any]) -> tuple[list[str], np.ndarray, pd.Index | None]:
    if not isinstance(signals, Mapping) or not signals:
        raise SignalError("signals: give at least one named signal")
    names = list(signals)
    index: pd.Index | None = None
    length: int | None = None
    rows = []
    for name in names:
        value = signals[name]
        if isinstance(value, pd.Series):
            if index is None:
                index = value.index
            elif not value.index.equals(index):
                raise SignalError(f"{name}: its index differs from {names[0]}'s; align the signals first")
        arr = as_signal(value, str(name), length)
        length = arr.shape[0]
        rows.append(arr)
    return names, np.vstack(rows), index


def combine(
    signals: Mapping[str, Any],
    mode: str = "and",
    *,
    weights: Mapping[str, float] | None = None,
    threshold: float = 0.5,
    primary: str | None = None,
    confirm_window: int = 3,
) -> np.ndarray | pd.Series:
    """Combine named int8 signals (see the module docstring); int8 array, or Series for Series input.

    The inputs and parameters are checked here; the arithmetic is :mod:`uptrade.signals.core`'s.
    """
    names, s, index = _stack(signals)
    if mode == "and":
        out = core.combine_and(s)
    elif mode == "or":
        out = core.combine_or(s)
    elif mode == "weighted":
        if not (np.isfinite(threshold) and 0.0 < threshold <= 1.0):
            raise SignalError(f"threshold: must be in (0, 1], got {threshold!r}")
        w = np.ones(len(names))
        if weights is not None:
            unknown = sorted(set(weights) - set(names))
            if unknown:
                raise SignalError(f"weights: unknown signal(s) {', '.join(unknown)}; have {', '.join(names)}")
            for i, name in enumerate(names):
                value = float(weights.get(name, 1.0))
                if not (np.isfinite(value) and value >= 0.0):
                    raise SignalError(f"weights: {name} must be a finite number >= 0, got {weights[name]!r}")
                w[i] = value
        if not w.sum() > 0.0:
            raise SignalError("weights: their sum must be positive")
        out = core.combine_weighted(s, w, float(threshold))
    elif mode == "confirm":
        if primary is None:
            raise SignalError("primary: confirm mode needs the name of the primary signal")
        if primary not in names:
            raise SignalError(f"primary: unknown signal {primary!r}; have {', '.join(names)}")
        if isinstance(confirm_window, bool) or not isinstance(confirm_window, (int, np.integer)) or confirm_window < 1:
            raise SignalError(f"confirm_window: must be an integer >= 1, got {confirm_window!r}")
        out = core.combine_confirm(s, names.index(primary), int(confirm_window))
    else:
        raise SignalError(f"mode: must be one of {', '.join(MODES)}, got {mode!r}")
    out = np.asarray(out, dtype=np.int8)
    return pd.Series(out, index=index, name=f"combined_{mode}") if index is not None else out
