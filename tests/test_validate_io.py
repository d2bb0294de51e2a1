"""Row validation and file reading: every rule, with the line numbers users will see."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uptrade.data.io import detect_columns, read_table, write_frame
from uptrade.data.timeframes import parse_timeframe
from uptrade.data.times import parse_times
from uptrade.data.validate import validate_table
from uptrade.errors import DataFormatError

H1 = parse_timeframe("1h")
GOOD = [
    "time,open,high,low,close,volume",
    "2024-01-01T00:00:00Z,100,110,90,105,1.5",
    "2024-01-01T01:00:00Z,105,106,104,104.5,0",
    "2024-01-01T02:00:00Z,104.5,104.5,104.5,104.5,2",
]


def write_csv(tmp_path: Path, lines: list[str], name: str = "c.csv") -> Path:
    path = tmp_path / name
    text = "\n".join(lines) + "\n"
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def problems(tmp_path: Path, lines: list[str], tf: str = "1h") -> list[tuple[int, str, str]]:
    loaded = read_table(write_csv(tmp_path, lines))
    report = validate_table(loaded.table, parse_timeframe(tf), location=loaded.location)
    word, offset = report.location
    assert word == "line"
    return [(i.position + offset, i.field, i.problem) for i in report.issues]


def test_clean_file_passes(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [
        ("2024-01-01T03:00:00Z,100,99,90,95,1", "high", "below max(open, close)"),
        ("2024-01-01T03:00:00Z,100,110,101,105,1", "low", "above min(open, close)"),
        ("2024-01-01T03:00:00Z,0,110,90,105,1", "open", "must be a finite number > 0"),
        ("2024-01-01T03:00:00Z,-5,110,90,105,1", "open", "must be a finite number > 0"),
        ("2024-01-01T03:00:00Z,100,inf,90,105,1", "high", "must be a finite number > 0"),
        ("2024-01-01T03:00:00Z,100,110,90,,1", "close", "must be a finite number > 0"),
        ("2024-01-01T03:00:00Z,100,110,90,abc,1", "close", "must be a finite number > 0"),
        ("2024-01-01T03:00:00Z,100,110,90,105,-1", "volume", "must be a finite number >= 0"),
        ("2024-01-01T03:00:00Z,100,110,90,105,nan", "volume", "must be a finite number >= 0"),
        ("2024-01-01T03:30:00Z,100,110,90,105,1", "time", "not aligned to 1h bar boundaries"),
        ("yesterday,100,110,90,105,1", "time", "missing or unparseable timestamp"),
    ],
)
def test_each_rule_names_line_and_field(tmp_path: Path, row: str, field: str, problem: str) -> None:
    found = problems(tmp_path, [*GOOD, row])
    assert (5, field, problem) in found
    assert {line for line, *_ in found} == {5}


def test_duplicates(tmp_path: Path) -> None:
    exact = problems(tmp_path, [*GOOD, GOOD[2]])
    assert exact == [(5, "time", "duplicate of line 3")]
    conflicting = problems(tmp_path, [*GOOD, "2024-01-01T01:00:00Z,105,107,104,104.5,0"])
    assert conflicting == [
        (3, "time", "another row has the same time with different values"),
        (5, "time", "another row has the same time with different values"),
    ]


def test_blank_line_keeps_line_numbers(tmp_path: Path) -> None:
    found = problems(tmp_path, [GOOD[0], GOOD[1], "", GOOD[2], "2024-01-01T02:00:00Z,1,0.5,0.4,1,1"])
    lines = sorted({line for line, *_ in found})
    assert lines == [3, 5]  # the blank line 3 and the bad high on line 5


def test_optional_columns_are_checked(tmp_path: Path) -> None:
    lines = [
        "timestamp,o,h,l,c,v,vw,n",
        "2024-01-01T00:00:00Z,100,110,90,105,1.5,101.2,10",
        "2024-01-01T01:00:00Z,100,110,90,105,1.5,,",
        "2024-01-01T02:00:00Z,100,110,90,105,1.5,-1,3.5",
    ]
    assert problems(tmp_path, lines) == [
        (4, "vwap", "must be a finite number > 0"),
        (4, "trade_count", "must be a whole number >= 0"),
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1704067200", "1704070800"], ["2024-01-01T00:00Z", "2024-01-01T01:00Z"]),  # epoch seconds
        (["1704067200000", "1704070800000"], ["2024-01-01T00:00Z", "2024-01-01T01:00Z"]),  # epoch ms
        (["1704067200000000", "1704070800000000"], ["2024-01-01T00:00Z", "2024-01-01T01:00Z"]),  # epoch us
        (["2024-01-01T02:00:00+02:00", "2024-01-01 01:00:00"], ["2024-01-01T00:00Z", "2024-01-01T01:00Z"]),
        (["2024-01-01", "garbage"], ["2024-01-01T00:00Z", None]),
    ],
)
def test_parse_times(values: list[str], expected: list[str | None]) -> None:
    parsed = parse_times(pd.Series(values, dtype=object))
    want = pd.to_datetime(pd.Series(expected), utc=True).dt.as_unit("ns")
    pd.testing.assert_series_equal(parsed, want, check_names=False)


def test_numeric_epoch_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["open_time,open,high,low,close,volume", "1704067200000,1,2,0.5,1.5,3"])
    loaded = read_table(path)
    assert loaded.columns["time"] == "open_time"
    assert loaded.table["time"].iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["time,open,high,close,volume", "2024-01-01T00:00:00Z,1,2,1,1"])
    with pytest.raises(DataFormatError, match=r"no column for low; columns found: time, open, high, close, volume"):
        read_table(path)
    with pytest.raises(DataFormatError, match="no column for time"):
        detect_columns(["open", "high", "low", "close", "volume"], "x")


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="unknown file type"):
        read_table(write_csv(tmp_path, GOOD, name="c.xlsx"))
    with pytest.raises(DataFormatError, match="no such file"):
        read_table(tmp_path / "absent.csv")


def test_gzip_and_parquet_round_trip_exactly(tmp_path: Path) -> None:
    gz = read_table(write_csv(tmp_path, GOOD, name="c.csv.gz")).table
    frame = gz.set_index(pd.DatetimeIndex(gz.pop("time"), name="time"))
    frame["open"] = frame["open"] * (1 + 1e-15) / 3  # digits that only exact float round-trips keep
    for name in ("out.csv", "out.csv.gz", "out.parquet"):
        write_frame(frame, tmp_path / name)
        back = read_table(tmp_path / name).table
        np.testing.assert_array_equal(back["open"].to_numpy(float), frame["open"].to_numpy())
        assert list(back["time"]) == list(frame.index)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 50),
            *(st.one_of(st.floats(-1, 100), st.sampled_from([np.nan, np.inf, -np.inf])) for _ in range(6)),
            st.integers(-3, 5),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_fast_batch_check_agrees_with_the_full_validation(rows: list[tuple]) -> None:
    """The compiled yes/no used on live pages accepts exactly what validate_table accepts."""
    from uptrade.data.frames import MISSING_COUNT, OHLCVBatch
    from uptrade.data.timeframes import parse_timeframe
    from uptrade.data.validate import batch_is_valid, validate_table

    tf = parse_timeframe("1m")
    rows = sorted(rows, key=lambda r: r[0])
    t = np.array([r[0] * 60 + (7 if r[0] == 13 else 0) for r in rows], dtype="int64")  # bar 13 is off the grid
    cols = [np.array([r[i] for r in rows], dtype="float64") for i in range(1, 7)]
    counts = np.array([r[7] for r in rows], dtype="int64")
    batch = OHLCVBatch(t, *cols, counts)
    table = pd.DataFrame({"time": pd.to_datetime(t, unit="s", utc=True)})
    for name, values in zip(("open", "high", "low", "close", "volume", "vwap"), cols, strict=True):
        table[name] = values
    table["trade_count"] = np.where(counts == MISSING_COUNT, np.nan, counts)
    assert batch_is_valid(batch, tf) == validate_table(table, tf).ok
