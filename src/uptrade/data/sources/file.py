"""A candle file (CSV, CSV.gz, Parquet) behind the :class:`CandleSource` protocol.

The file is read and validated once (invalid rows are an error naming their lines) and then
served by time range, so a file can feed ``uptrade data backfill`` and the updater like any
network source. The file is re-read when its modification time changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from uptrade.data.frames import COLUMNS, OHLCVBatch
from uptrade.data.io import read_table
from uptrade.data.sources.base import BaseSource, Clock, run_blocking
from uptrade.data.timeframes import Timeframe, parse_timeframe
from uptrade.data.times import TimeLike
from uptrade.data.validate import OHLCVValidationError, table_to_batch, validate_table
from uptrade.errors import DataFormatError

PAGE_ROWS = 100_000


class FileSource(BaseSource):
    """Closed candles of one file (the file holds one symbol at one timeframe)."""

    name = "file"

    def __init__(self, path: str | Path, *, clock: Clock | None = None, page_rows: int = PAGE_ROWS) -> None:
        super().__init__(clock)
        self.path = Path(path)
        if not self.path.exists():
            raise DataFormatError(f"{self.path}: no such file")
        self.page_rows = page_rows
        self._cache: tuple[float, str, OHLCVBatch] | None = None

    def _load(self, tf: Timeframe) -> OHLCVBatch:
        mtime = self.path.stat().st_mtime
        if self._cache is not None and self._cache[0] == mtime and self._cache[1] == tf.name:
            return self._cache[2]
        loaded = read_table(self.path)
        report = validate_table(loaded.table, tf, location=loaded.location)
        if not report.ok:
            raise OHLCVValidationError(report, source=str(self.path))
        batch = table_to_batch(loaded.table)
        self._cache = (mtime, tf.name, batch)
        return batch

    async def span(self, symbol: str, timeframe: str | Timeframe) -> tuple[int, int] | None:
        """First and last open time in the file (None for an empty file)."""
        batch = await run_blocking(self._load, parse_timeframe(timeframe))
        return (int(batch.time[0]), int(batch.time[-1])) if len(batch) else None

    async def pages(
        self, symbol: str, timeframe: str | Timeframe, start: TimeLike, end: TimeLike = None
    ) -> AsyncIterator[OHLCVBatch]:
        tf, first, last = self.window(timeframe, start, end)
        if last < first:
            return
        batch = await run_blocking(self._load, tf)
        lo, hi = np.searchsorted(batch.time, [first, last + 1])
        for at in range(int(lo), int(hi), self.page_rows):
            stop = min(at + self.page_rows, int(hi))
            yield OHLCVBatch(*(getattr(batch, n)[at:stop] for n in ("time", *COLUMNS)))
