"""File import and export between candle files and the store (what ``uptrade data`` runs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from uptrade.data.io import read_table, write_frame
from uptrade.data.store.base import ProgressCallback, Store
from uptrade.data.symbols import canonical_symbol
from uptrade.data.timeframes import Timeframe, parse_timeframe
from uptrade.data.times import TimeLike
from uptrade.data.validate import OHLCVValidationError, ValidationReport, table_to_batch, validate_table
from uptrade.errors import DataFormatError


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    path: Path
    symbol: str
    timeframe: str
    rows_read: int
    rows_written: int
    report: ValidationReport
    report_path: Path | None
    #: Set when the file's bar spacing does not look like ``timeframe`` (e.g. daily bars imported as 1h).
    warning: str | None = None

    @property
    def rejected(self) -> int:
        return self.report.bad_count


def default_report_path(path: Path) -> Path:
    """``<cwd>/<name>.rejected.csv`` (the input's folder may be read-only)."""
    name = path.name.removesuffix(".gz")
    return Path.cwd() / f"{Path(name).stem}.rejected.csv"


def import_file(
    store: Store,
    path: str | Path,
    symbol: str,
    timeframe: str | Timeframe,
    *,
    skip_invalid: bool = False,
    report_path: str | Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportResult:
    """Validate every row of a CSV/CSV.gz/Parquet file, then upsert it in one transaction.

    Any invalid row raises :class:`OHLCVValidationError` naming the first offending lines and
    nothing is written, unless ``skip_invalid``: then the valid rows are written and the bad
    ones listed in a CSV report (``report_path``, default :func:`default_report_path`).
    """
    path = Path(path)
    sym, tf = canonical_symbol(symbol), parse_timeframe(timeframe)
    loaded = read_table(path)
    if len(loaded.table) == 0:
        raise DataFormatError(f"{path}: the file has no rows")
    report = validate_table(loaded.table, tf, location=loaded.location)
    written_report: Path | None = None
    if not report.ok:
        if not skip_invalid:
            raise OHLCVValidationError(report, source=str(path))
        written_report = Path(report_path) if report_path else default_report_path(path)
        written_report.parent.mkdir(parents=True, exist_ok=True)
        report.to_frame().to_csv(written_report, index=False)
    keep = ~report.bad
    written = 0
    if np.any(keep):
        written = store.write_batch(table_to_batch(loaded.table, keep), sym, tf, on_progress=on_progress)
    batch_spacing = _typical_spacing(loaded.table["time"][keep])
    warning = None
    if batch_spacing is not None and batch_spacing != tf.seconds:
        warning = (
            f"bars in {path.name} are typically {batch_spacing:,} s apart, but {tf} bars are "
            f"{tf.seconds:,} s apart: check the timeframe"
        )
    return ImportResult(path, sym, tf.name, len(loaded.table), written, report, written_report, warning)


def _typical_spacing(times: pd.Series) -> int | None:
    """The most common gap in seconds between consecutive distinct times (None for < 3 bars)."""
    seconds = np.unique(times.dropna().to_numpy(dtype="datetime64[s]").astype("int64"))
    if len(seconds) < 3:
        return None
    return int(pd.Series(np.diff(seconds)).mode().iloc[0])


def export_file(
    store: Store,
    path: str | Path,
    symbol: str,
    timeframe: str | Timeframe,
    start: TimeLike = None,
    end: TimeLike = None,
) -> int:
    """Write a series (stored or aggregated) to CSV/CSV.gz/Parquet; returns rows written."""
    frame = store.read_ohlcv(symbol, timeframe, start=start, end=end)
    if frame.empty:
        raise DataFormatError(
            f"nothing stored for {canonical_symbol(symbol)} {parse_timeframe(timeframe)} in that range"
        )
    return write_frame(frame, path)
