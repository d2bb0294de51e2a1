"""The OHLCV frame convention shared by the store, files and (later) indicators.

A candle frame has a UTC :class:`~pandas.DatetimeIndex` named ``time`` (the bar's open time) and
the columns ``open high low close volume vwap`` (float64, NaN where unknown) and ``trade_count``
(nullable ``Int64``). :class:`OHLCVBatch` is the columnar form the stores write from.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from uptrade.data.times import epoch_seconds, from_epoch, index_from_epoch
from uptrade.errors import DataFormatError

PRICE_COLUMNS = ("open", "high", "low", "close")
FLOAT_COLUMNS = (*PRICE_COLUMNS, "volume", "vwap")
COLUMNS = (*FLOAT_COLUMNS, "trade_count")
REQUIRED_COLUMNS = (*PRICE_COLUMNS, "volume")
#: Sentinel for a missing trade count in :class:`OHLCVBatch` (counts are never negative).
MISSING_COUNT = -1
#: Up to this many rows :meth:`OHLCVBatch.value_columns` works on Python lists (same result).
_FEW_ROWS = 8


@dataclass(frozen=True)
class OHLCVBatch:
    """Validated candles as sorted columns: ``time`` in epoch seconds, NaN/-1 for missing values."""

    time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap: np.ndarray
    trade_count: np.ndarray

    def __len__(self) -> int:
        return len(self.time)

    def chunks(self, size: int) -> Iterator[OHLCVBatch]:
        """Consecutive slices of at most ``size`` rows (the batch itself when it fits in one)."""
        if len(self) <= size:
            if len(self):
                yield self
            return
        for start in range(0, len(self), size):
            yield OHLCVBatch(*(getattr(self, name)[start : start + size] for name in ("time", *COLUMNS)))

    @property
    def has_vwap(self) -> bool:
        return bool(np.isfinite(self.vwap).any())

    @property
    def has_trade_count(self) -> bool:
        return bool((self.trade_count != MISSING_COUNT).any())

    def value_columns(self) -> dict[str, list[Any]]:
        """The columns a write should carry, as Python lists with None for missing values.

        Required columns always; vwap and trade_count only when some row has them, so that a
        source without them never overwrites stored ones.
        """
        out: dict[str, list[Any]] = {name: getattr(self, name).tolist() for name in REQUIRED_COLUMNS}
        if len(self) <= _FEW_ROWS:  # a live page: plain Python on a few values beats four numpy calls
            vwap, counts = self.vwap.tolist(), self.trade_count.tolist()
            if any(map(math.isfinite, vwap)):
                out["vwap"] = [None if math.isnan(v) else v for v in vwap]
            if any(c != MISSING_COUNT for c in counts):
                out["trade_count"] = [None if c == MISSING_COUNT else c for c in counts]
            return out
        if self.has_vwap:
            out["vwap"] = _none_where(np.isnan(self.vwap), self.vwap)
        if self.has_trade_count:
            out["trade_count"] = _none_where(self.trade_count == MISSING_COUNT, self.trade_count)
        return out


def _none_where(missing: np.ndarray, values: np.ndarray) -> list[Any]:
    """``values`` as a Python list with None where ``missing`` is set."""
    out = values.astype(object)
    out[missing] = None
    return out.tolist()


def empty_frame() -> pd.DataFrame:
    """A frame with no rows and the standard columns and dtypes."""
    return frame_from_columns(np.empty(0, dtype=np.int64), {})


def frame_from_columns(epoch_s: np.ndarray, columns: dict[str, object]) -> pd.DataFrame:
    """Build the standard frame from epoch seconds and column sequences (None/NaN = missing)."""
    n = len(epoch_s)
    index = index_from_epoch(epoch_s).rename("time")
    data: dict[str, object] = {}
    for name in FLOAT_COLUMNS:
        values = columns.get(name)
        data[name] = np.full(n, np.nan) if values is None else np.asarray(values, dtype="float64")
    counts = columns.get("trade_count")
    data["trade_count"] = pd.array([None] * n if counts is None else counts, dtype="Int64")
    return pd.DataFrame(data, index=index)


def frame_to_table(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` as a table with a ``time`` column (UTC) plus whatever OHLCV columns it has.

    Accepts the standard frame (DatetimeIndex) or a frame that already has a ``time`` column.
    """
    if "time" in df.columns:
        table = df.reset_index(drop=True)
    elif isinstance(df.index, pd.DatetimeIndex):
        table = df.reset_index(names="time")
    else:
        raise DataFormatError("OHLCV frame needs a DatetimeIndex or a 'time' column")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise DataFormatError(f"OHLCV frame is missing column(s): {', '.join(missing)}")
    return table


def infer_timeframe(index: pd.DatetimeIndex) -> str:
    """The timeframe name whose length is the most common spacing of ``index``."""
    from uptrade.data.timeframes import parse_timeframe

    if len(index) < 2:
        raise DataFormatError("candles: need at least two bars to infer the timeframe")
    step = int(pd.Series(np.diff(epoch_seconds(index))).mode().iloc[0])
    for name in ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"):
        if parse_timeframe(name).seconds == step:
            return name
    raise DataFormatError(f"candles: bar spacing of {step} s is not a known timeframe; pass it explicitly")


def resample_candles(df: pd.DataFrame, source: str, target: str) -> pd.DataFrame:
    """OHLCV of ``df`` (bars of ``source``) in ``target`` buckets, by the store's rules.

    Buckets are aligned as :mod:`uptrade.data.timeframes` defines; empty buckets are dropped, and
    so is a last bucket the data does not reach the end of (it is still forming), which keeps
    the result causal: a prefix of the input gives a prefix of the output.
    """
    from uptrade.data.timeframes import parse_timeframe

    src, tgt = parse_timeframe(source), parse_timeframe(target)
    if not src.divides(tgt):
        raise DataFormatError(f"candles: {tgt} bars cannot be built from {src} bars")
    if src == tgt or df.empty:
        return df
    origin = from_epoch(tgt.origin)
    r = df.resample(f"{tgt.seconds}s", origin=origin, label="left", closed="left")
    out = pd.DataFrame(
        {
            "open": r["open"].first(),
            "high": r["high"].max(),
            "low": r["low"].min(),
            "close": r["close"].last(),
            "volume": r["volume"].sum(),
            "bars": r["close"].count(),
        }
    )
    end = df.index[-1] + pd.Timedelta(seconds=src.seconds)
    out = out[(out["bars"] > 0) & (out.index + pd.Timedelta(seconds=tgt.seconds) <= end)]
    return out.drop(columns="bars").rename_axis("time")
