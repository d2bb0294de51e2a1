"""Row-level validation of candles before anything is written.

Checks: parseable time, time aligned to the timeframe, no duplicate times (an exact repeat of a
row is reported against its first occurrence; rows that disagree about one time are all
reported), finite prices > 0, high >= max(open, close), low <= min(open, close), finite volume
>= 0, vwap finite > 0 when present, trade_count a whole number >= 0 when present.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from uptrade.data.frames import COLUMNS, MISSING_COUNT, PRICE_COLUMNS, OHLCVBatch, frame_to_table
from uptrade.data.timeframes import Timeframe
from uptrade.data.times import epoch_seconds, parse_times
from uptrade.errors import DataFormatError

#: How many problems an error message shows before "… and N more".
SHOWN_ISSUES = 10


@dataclass(frozen=True)
class RowIssue:
    """One problem with one input row; ``position`` is the 0-based row in the input."""

    position: int
    field: str
    problem: str
    time: str | None = None


@dataclass
class ValidationReport:
    """Every problem found, and the mask of rows that have at least one."""

    n_rows: int
    issues: list[RowIssue] = field(default_factory=list)
    bad: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: How positions are shown: e.g. ``("line", 2)`` for a CSV with a header, ``("row", 0)``.
    location: tuple[str, int] = ("row", 0)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def bad_count(self) -> int:
        return int(self.bad.sum())

    def where(self, position: int) -> str:
        """``line 17`` / ``row 3`` for a 0-based position."""
        word, offset = self.location
        return f"{word} {position + offset}"

    def describe(self, limit: int = SHOWN_ISSUES) -> str:
        """A short human summary naming the first offending rows."""
        shown = [f"{self.where(i.position)}: {i.field}: {i.problem}" for i in self.issues[:limit]]
        more = len(self.issues) - limit
        tail = f"; ... and {more} more problem(s)" if more > 0 else ""
        return f"{self.bad_count} invalid row(s) of {self.n_rows}: " + "; ".join(shown) + tail

    def to_frame(self) -> pd.DataFrame:
        """The issues as a table (for ``--skip-invalid`` reports)."""
        word, offset = self.location
        return pd.DataFrame(
            {
                word: [i.position + offset for i in self.issues],
                "time": [i.time for i in self.issues],
                "field": [i.field for i in self.issues],
                "problem": [i.problem for i in self.issues],
            }
        )


class OHLCVValidationError(DataFormatError):
    """Raised when candles fail validation; nothing was written. ``report`` has every problem."""

    def __init__(self, report: ValidationReport, source: str = "input") -> None:
        self.report = report
        super().__init__(f"{source}: {report.describe()}. Nothing was written.")


def validate_table(
    table: pd.DataFrame, timeframe: Timeframe, location: tuple[str, int] = ("row", 0)
) -> ValidationReport:
    """Check a table with a UTC ``time`` column (NaT = unparseable) and OHLCV columns."""
    n = len(table)
    report = ValidationReport(n_rows=n, bad=np.zeros(n, dtype=bool), location=location)
    times = pd.DatetimeIndex(table["time"])
    found: list[tuple[int, int, str, str]] = []  # (position, order, field, problem)

    def flag(mask: np.ndarray, field_name: str, problem: str, order: int) -> None:
        for pos in np.flatnonzero(mask):
            found.append((int(pos), order, field_name, problem))

    nat = np.asarray(times.isna())
    flag(nat, "time", "missing or unparseable timestamp", 0)
    ns = times.as_unit("ns").asi8
    valid_time = ~nat
    step_ns = timeframe.seconds * 1_000_000_000
    misaligned = valid_time & (((ns - timeframe.origin * 1_000_000_000) % step_ns) != 0)
    flag(misaligned, "time", f"not aligned to {timeframe.name} bar boundaries", 1)

    values = {
        c: pd.to_numeric(table[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        for c in COLUMNS
        if c in table.columns
    }
    for order, name in enumerate(PRICE_COLUMNS, start=2):
        v = values[name]
        flag(~(np.isfinite(v) & (v > 0)), name, "must be a finite number > 0", order)
    o, h, lo, c = (values[k] for k in PRICE_COLUMNS)
    with np.errstate(invalid="ignore"):
        flag(h < np.fmax(o, c), "high", "below max(open, close)", 6)
        flag(lo > np.fmin(o, c), "low", "above min(open, close)", 7)
    vol = values["volume"]
    flag(~(np.isfinite(vol) & (vol >= 0)), "volume", "must be a finite number >= 0", 8)
    if "vwap" in values:
        vw = values["vwap"]
        flag(~np.isnan(vw) & ~(np.isfinite(vw) & (vw > 0)), "vwap", "must be a finite number > 0", 9)
    if "trade_count" in values:
        tc = values["trade_count"]
        bad_tc = ~np.isnan(tc) & ~(np.isfinite(tc) & (tc >= 0) & (np.floor(tc) == tc))
        flag(bad_tc, "trade_count", "must be a whole number >= 0", 10)

    if valid_time.any() and pd.Series(ns[valid_time]).duplicated().any():
        # Rare path: tell exact repeats (reported against their first line) from conflicts.
        keyed = pd.DataFrame({"_t": np.where(valid_time, ns, -1), **values})
        exact_repeat = keyed.duplicated(keep="first").to_numpy() & valid_time
        if exact_repeat.any():
            first = keyed.assign(_pos=np.arange(n)).groupby(list(keyed.columns), dropna=False, sort=False)
            first_pos = first["_pos"].transform("min").to_numpy()
            for pos in np.flatnonzero(exact_repeat):
                found.append((int(pos), 11, "time", f"duplicate of {report.where(int(first_pos[pos]))}"))
        rest = valid_time & ~exact_repeat
        conflict = np.zeros(n, dtype=bool)
        conflict[rest] = pd.Series(ns[rest]).duplicated(keep=False).to_numpy()
        flag(conflict, "time", "another row has the same time with different values", 12)

    found.sort()

    def text(pos: int) -> str | None:
        return None if nat[pos] else times[pos].strftime("%Y-%m-%dT%H:%M:%SZ")

    report.issues = [RowIssue(p, f, msg, text(p)) for p, _, f, msg in found]
    if found:
        report.bad[[p for p, *_ in found]] = True
    return report


def table_to_batch(table: pd.DataFrame, keep: np.ndarray | None = None) -> OHLCVBatch:
    """Columns of the (validated) rows selected by ``keep``, sorted by time."""
    if keep is not None:
        table = table[keep]
    times = pd.DatetimeIndex(table["time"])
    epoch = epoch_seconds(times)
    order = np.argsort(epoch, kind="stable")

    def col(name: str, fill: float) -> np.ndarray:
        if name not in table.columns:
            return np.full(len(table), fill)
        return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)[order]

    counts = col("trade_count", np.nan)
    return OHLCVBatch(
        time=epoch[order].astype("int64"),
        open=col("open", np.nan),
        high=col("high", np.nan),
        low=col("low", np.nan),
        close=col("close", np.nan),
        volume=col("volume", np.nan),
        vwap=col("vwap", np.nan),
        trade_count=np.where(np.isnan(counts), MISSING_COUNT, counts).astype("int64"),
    )


def batch_is_valid(batch: OHLCVBatch, timeframe: Timeframe) -> bool:
    """The rules of :func:`validate_table` on a time-sorted batch, as a yes/no in one compiled pass.

    A fast answer for the common all-good case (small pages from live feeds); when it says no,
    run :func:`validate_table` for the report naming the rows.
    """
    from uptrade.data.validate_nb import batch_ok_nb

    return bool(
        batch_ok_nb(
            batch.time,
            batch.open,
            batch.high,
            batch.low,
            batch.close,
            batch.volume,
            batch.vwap,
            batch.trade_count,
            timeframe.origin,
            timeframe.seconds,
            MISSING_COUNT,
        )
    )


def frame_to_batch(df: pd.DataFrame, timeframe: Timeframe, source: str) -> OHLCVBatch:
    """A candle frame (UTC index) or table (``time`` column), checked as every write checks it.

    Returns the batch to write; any invalid row raises :class:`OHLCVValidationError` naming the
    rows and ``source``.
    """
    table = frame_to_table(df)
    table["time"] = parse_times(table["time"])
    report = validate_table(table, timeframe)
    if not report.ok:
        raise OHLCVValidationError(report, source=source)
    return table_to_batch(table)
