"""Reading and writing candle files: CSV, gzip-compressed CSV and Parquet.

The time column may hold epoch seconds, milliseconds, microseconds or nanoseconds (told apart
by magnitude), or ISO-8601 text (naive times are taken as UTC). Column names are matched
case-insensitively against common spellings (``time``/``timestamp``/``date``, ``o``/``open``,
``vw``/``vwap``, ``n``/``trades`` ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from uptrade.data.frames import COLUMNS, REQUIRED_COLUMNS
from uptrade.data.times import parse_times
from uptrade.errors import DataFormatError

_CANDIDATES: dict[str, tuple[str, ...]] = {
    "time": ("time", "timestamp", "datetime", "date", "open_time", "opentime", "date_time", "ts", "t", "unix"),
    "open": ("open", "o", "open_price"),
    "high": ("high", "h", "high_price"),
    "low": ("low", "l", "low_price"),
    "close": ("close", "c", "close_price"),
    "volume": ("volume", "v", "vol", "base_volume"),
    "vwap": ("vwap", "vw"),
    "trade_count": ("trade_count", "trades", "n", "count", "number_of_trades", "num_trades", "trades_count"),
}


@dataclass(frozen=True)
class LoadedTable:
    """A file's rows with standard column names; ``location`` tells how to name a row in errors."""

    table: pd.DataFrame
    location: tuple[str, int]
    columns: dict[str, str]


def file_format(path: Path) -> str:
    """``csv`` or ``parquet`` from the file name (``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``)."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".txt", ".txt.gz")):
        return "csv"
    raise DataFormatError(f"{path}: unknown file type; use .csv, .csv.gz or .parquet")


def detect_columns(columns: list[str], source: str) -> dict[str, str]:
    """Map standard names to the file's column names; raise naming what is missing."""
    lowered = {str(c).strip().lower().replace(" ", "_"): str(c) for c in columns}
    found: dict[str, str] = {}
    for name, options in _CANDIDATES.items():
        for option in options:
            if option in lowered and lowered[option] not in found.values():
                found[name] = lowered[option]
                break
    missing = [c for c in ("time", *REQUIRED_COLUMNS) if c not in found]
    if missing:
        raise DataFormatError(
            f"{source}: no column for {', '.join(missing)}; columns found: {', '.join(map(str, columns))}"
        )
    return found


def read_table(path: str | Path) -> LoadedTable:
    """Read a candle file into a table with a ``time`` column (UTC, NaT = bad) and OHLCV columns."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file")
    kind = file_format(path)
    try:
        if kind == "parquet":
            raw = pd.read_parquet(path)
            if isinstance(raw.index, pd.DatetimeIndex):
                raw = raw.reset_index()
            location = ("row", 1)
        else:
            raw = pd.read_csv(path, skip_blank_lines=False, low_memory=False)
            location = ("line", 2)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataFormatError(f"{path}: cannot read {kind} file: {exc}") from exc
    mapping = detect_columns(list(raw.columns), str(path))
    table = pd.DataFrame({"time": parse_times(raw[mapping["time"]])})
    for name in COLUMNS:
        if name in mapping:
            table[name] = raw[mapping[name]].to_numpy()
    return LoadedTable(table=table, location=location, columns=mapping)


def write_frame(df: pd.DataFrame, path: str | Path) -> int:
    """Write a standard candle frame to CSV (optionally .gz) or Parquet; returns rows written.

    CSV times are ISO-8601 UTC (``2024-01-01T00:00:00Z``); floats are written so that they read
    back bit for bit. Columns that are entirely missing (vwap, trade_count) are left out.
    """
    path = Path(path)
    kind = file_format(path)
    out = df.copy()
    for name in ("vwap", "trade_count"):
        if name in out.columns and out[name].isna().all():
            out = out.drop(columns=name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "parquet":
        out.to_parquet(path)
    else:
        out.index = out.index.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.to_csv(path, index_label="time", float_format=None)
    return len(out)
