"""Independent oracles for the store tests (pandas, not our SQL)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from uptrade.data.frames import COLUMNS
from uptrade.data.timeframes import parse_timeframe


def resample_oracle(df: pd.DataFrame, src: str, target: str) -> pd.DataFrame:
    """Independent pandas aggregation with the store's documented rules."""
    s, t = parse_timeframe(src), parse_timeframe(target)
    origin = pd.Timestamp(t.origin, unit="s", tz="UTC")
    r = df.resample(f"{t.seconds}s", origin=origin, label="left", closed="left")
    has_vwap = df["vwap"].notna().astype(int) if "vwap" in df else pd.Series(0, index=df.index)
    out = pd.DataFrame(
        {
            "open": r["open"].first(),
            "high": r["high"].max(),
            "low": r["low"].min(),
            "close": r["close"].last(),
            "volume": r["volume"].sum(),
            "n": r["close"].count(),
            "pv": (df["vwap"] * df["volume"]).resample(f"{t.seconds}s", origin=origin).sum() if "vwap" in df else 0.0,
            "nv": has_vwap.resample(f"{t.seconds}s", origin=origin).sum(),
        }
    )
    out = out[out["n"] > 0]
    last_complete_end = df.index[-1] + pd.Timedelta(seconds=s.seconds)
    out = out[out.index + pd.Timedelta(seconds=t.seconds) <= last_complete_end]
    out["vwap"] = np.where(out["nv"] == out["n"], out["pv"] / out["volume"].replace(0, np.nan), np.nan)
    if "trade_count" in df:
        tc = df["trade_count"].astype("float64").resample(f"{t.seconds}s", origin=origin)
        full = tc.count() == out["n"].reindex(tc.count().index)
        out["trade_count"] = tc.sum().where(full).reindex(out.index)
    return out


def with_extras(df: pd.DataFrame) -> pd.DataFrame:
    """Real candles plus a plausible vwap and trade count (the files have neither)."""
    out = df.copy()
    out["vwap"] = (out["high"] + out["low"] + out["close"]) / 3
    out["trade_count"] = pd.array((out["volume"] * 7).round().astype("int64"), dtype="Int64")
    return out


def assert_same_candles(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(COLUMNS)
    assert got.index.equals(want.index), (got.index.difference(want.index)[:5], want.index.difference(got.index)[:5])
    for col in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), err_msg=col)
    np.testing.assert_allclose(got["volume"].to_numpy(), want["volume"].to_numpy(), rtol=1e-12, atol=0)
    if "vwap" in want:
        np.testing.assert_allclose(got["vwap"].to_numpy(), want["vwap"].to_numpy(), rtol=1e-12, equal_nan=True)
    if "trade_count" in want:
        np.testing.assert_array_equal(
            got["trade_count"].to_numpy("float64", na_value=np.nan),
            want["trade_count"].to_numpy("float64", na_value=np.nan),
        )


def assert_store_holds(store, symbol: str, timeframe: str, truth: pd.DataFrame) -> None:
    """The stored series is exactly ``truth``: same bars, bit-identical values, no duplicates."""
    got = store.read_ohlcv(symbol, timeframe)
    with store.engine.connect() as conn:
        count = conn.exec_driver_sql(
            "SELECT count(*), count(DISTINCT time) FROM ohlcv WHERE symbol = %s AND timeframe = %s"
            if store.backend == "postgresql"
            else "SELECT count(*), count(DISTINCT time) FROM ohlcv WHERE symbol = ? AND timeframe = ?",
            (symbol, timeframe),
        ).one()
    missing = truth.index.difference(got.index)
    extra = got.index.difference(truth.index)
    assert (len(missing), len(extra)) == (0, 0), f"missing {len(missing)} e.g. {missing[:3]}, extra {extra[:3]}"
    assert count[0] == count[1] == len(truth), f"rows {count[0]}, distinct {count[1]}, want {len(truth)}"
    for col in ("open", "high", "low", "close", "volume", "vwap"):
        np.testing.assert_array_equal(got[col].to_numpy(), truth[col].to_numpy(), err_msg=col)
    np.testing.assert_array_equal(
        got["trade_count"].to_numpy("float64", na_value=np.nan),
        truth["trade_count"].to_numpy("float64", na_value=np.nan),
        err_msg="trade_count",
    )
