"""Time conversions shared by the store, the sources, files and the updater.

UpTrade keeps every time in UTC: stored and fetched candles carry open times as whole epoch
seconds, frames carry a UTC :class:`~pandas.DatetimeIndex`. A naive time given by a user or a
file is taken as UTC. This module is a leaf: it depends on nothing of UpTrade but its errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeAlias, overload

import numpy as np
import pandas as pd

from uptrade.errors import ConfigError

#: A time as users and callers give it: text, datetime, Timestamp (naive = UTC), epoch seconds, or None.
TimeLike: TypeAlias = str | datetime | pd.Timestamp | int | None

_NS_PER_S = 1_000_000_000


def as_utc(value: str | datetime | pd.Timestamp) -> pd.Timestamp:
    """``value`` as a UTC Timestamp: a naive time is taken as UTC, an aware one converted."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


@overload
def to_epoch(value: None, name: str) -> None: ...


@overload
def to_epoch(value: str | datetime | int, name: str) -> int: ...  # a pd.Timestamp is a datetime


def to_epoch(value: TimeLike, name: str) -> int | None:
    """Epoch seconds of a time given as text, datetime, Timestamp (naive = UTC) or epoch seconds.

    ``name`` names the value in the :class:`~uptrade.errors.ConfigError` raised when it is not a time.
    """
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name}: cannot parse {value!r} as a time ({exc})", param=name) from None
    if ts is pd.NaT:
        raise ConfigError(f"{name}: {value!r} is not a time", param=name)
    return int(as_utc(ts).as_unit("ns").value // _NS_PER_S)


@overload
def from_epoch(epoch_s: float) -> pd.Timestamp: ...


@overload
def from_epoch(epoch_s: None) -> None: ...


def from_epoch(epoch_s: float | None) -> pd.Timestamp | None:
    """The UTC Timestamp of epoch seconds (fractions kept); None stays None."""
    return None if epoch_s is None else pd.Timestamp(epoch_s, unit="s", tz="UTC")


def epoch_seconds(index: pd.DatetimeIndex) -> np.ndarray:
    """Whole epoch seconds of a UTC index (NaT must have been removed)."""
    return index.as_unit("ns").asi8 // _NS_PER_S


def index_from_epoch(epoch_s: np.ndarray) -> pd.DatetimeIndex:
    """The UTC index (nanosecond unit) of whole epoch seconds: the inverse of :func:`epoch_seconds`."""
    return pd.DatetimeIndex(np.asarray(epoch_s, dtype="int64") * _NS_PER_S, tz="UTC")


def time_index(values: Iterable[Any]) -> pd.DatetimeIndex:
    """UTC index named ``time`` from stored times (epoch seconds on SQLite, aware datetimes on PostgreSQL)."""
    return pd.DatetimeIndex(
        [from_epoch(v) if isinstance(v, int) else pd.Timestamp(v).tz_convert("UTC") for v in values],
        name="time",
    )


def parse_times(values: pd.Series) -> pd.Series:
    """Parse epoch numbers (unit from magnitude) or ISO-8601 text to UTC; unparseable -> NaT."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values.dtype):
        idx = pd.DatetimeIndex(values)
        idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
        return pd.Series(idx.as_unit("ns"), index=values.index)
    numeric = pd.to_numeric(values, errors="coerce")
    text_given = values.notna() & (values.astype(str).str.strip() != "")
    if text_given.any() and numeric[text_given].notna().mean() > 0.5:
        magnitude = float(np.nanmedian(np.abs(numeric.to_numpy(dtype="float64", na_value=np.nan))))
        unit = "s" if magnitude < 1e11 else "ms" if magnitude < 1e14 else "us" if magnitude < 1e17 else "ns"
        scale = {"s": _NS_PER_S, "ms": 1_000_000, "us": 1_000, "ns": 1}[unit]
        as_ns = numeric.to_numpy(dtype="float64", na_value=np.nan) * scale
        ok = np.isfinite(as_ns) & (np.abs(as_ns) < 9.2e18)
        ints = np.where(ok, np.round(as_ns), 0).astype("int64")
        parsed = pd.DatetimeIndex(ints, tz="UTC").where(ok)
        return pd.Series(parsed.as_unit("ns"), index=values.index)
    parsed = pd.to_datetime(values.astype("string"), utc=True, format="ISO8601", errors="coerce")
    return parsed.dt.as_unit("ns")
