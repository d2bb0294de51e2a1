"""The signal convention: ``int8`` values in ``{-1, 0, 1}``, one per bar, set on the confirming bar.

``as_signal`` checks and converts anything array-like (naming the offending bar and value),
``from_flags`` builds a signal from buy/sell flags (a bar with both is 0: the flags disagree),
``store_signal`` writes one to ``indicator_signals``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from uptrade.errors import SignalError
from uptrade.signals.core import flags_signal

if TYPE_CHECKING:
    from uptrade.data.store import Store


def as_signal(values: Any, name: str = "signal", length: int | None = None) -> np.ndarray:
    """``values`` as a 1-D ``int8`` array of -1/0/1; ``SignalError`` naming the first bad bar otherwise."""
    arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
    if arr.ndim != 1:
        raise SignalError(f"{name}: expected a 1-D series of -1/0/1, got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise SignalError(f"{name}: length {arr.shape[0]} differs from the others' {length}")
    if arr.dtype == bool:
        raise SignalError(f"{name}: booleans are flags, not signals; use from_flags(buy, sell)")
    if arr.dtype.kind not in "iuf":
        raise SignalError(f"{name}: expected numbers -1/0/1, got dtype {arr.dtype}")
    bad = ~np.isin(arr, (-1, 0, 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SignalError(f"{name}: bar {i} holds {arr[i].item()!r}; a signal is -1, 0 or 1")
    return arr.astype(np.int8)


def from_flags(buy: Any, sell: Any, name: str = "signal") -> np.ndarray:
    """1 where ``buy``, -1 where ``sell``, 0 where neither or both (int8)."""
    b = np.asarray(buy, dtype=bool)
    s = np.asarray(sell, dtype=bool)
    if b.shape != s.shape or b.ndim != 1:
        raise SignalError(f"{name}: buy and sell flags must be 1-D and of one length, got {b.shape} and {s.shape}")
    return flags_signal(b, s)


def store_signal(
    store: Store,
    symbol: str,
    timeframe: str,
    name: str,
    signal: pd.Series,
    params: dict[str, Any],
    value: pd.Series | None = None,
) -> int:
    """Write ``signal`` (UTC-indexed) and an optional ``value`` to ``indicator_signals`` as ``name``.

    One transaction replaces the rows of ``name`` in the signal's time range (see
    :meth:`Store.write_signals`); ``params`` are stored as JSON with every row.
    """
    if not isinstance(signal, pd.Series) or not isinstance(signal.index, pd.DatetimeIndex):
        raise SignalError(f"{name}: expected a Series indexed by bar times (UTC)")
    sig = as_signal(signal, name)
    val = np.full(len(sig), np.nan) if value is None else np.asarray(value, dtype=np.float64)
    if val.shape != sig.shape:
        raise SignalError(f"{name}: value has {val.shape[0]} rows, the signal {sig.shape[0]}")
    rows = pd.DataFrame({"signal": sig, "value": val}, index=signal.index)
    return store.write_signals(symbol, timeframe, name, rows, params)
