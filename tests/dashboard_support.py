"""Shared by the dashboard tests: a store of real candles, and Streamlit's ``AppTest`` on our app.

The store holds the last 400 days of Binance's BTC/USDT and ETH/USDT 1h candles (the sidebar's
default range is the last year of them) and BTC/USDT 1d since 2018, written through the store's
own interface into an embedded SQLite file.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import load_market
from uptrade.dashboard import APP_PATH
from uptrade.data.store import open_store

#: Bars of 1h history in the test store: a year and a month.
HOURS = 400 * 24
#: Seconds AppTest waits for one script run: a liveness guard (numba may compile on a first run).
RUN_TIMEOUT = 300


def build_store(path: Path) -> str:
    """An embedded store at ``path`` with BTC-USDT and ETH-USDT 1h and BTC-USDT 1d; returns its URL."""
    url = f"sqlite:///{path}"
    store = open_store(url, init=True)
    try:
        for name, symbol, tf, tail in (
            ("btcusdt_1h_binance.csv.gz", "BTC-USDT", "1h", HOURS),
            ("ethusdt_1h_binance.csv.gz", "ETH-USDT", "1h", HOURS),
            ("btcusdt_1d_binance.csv.gz", "BTC-USDT", "1d", None),
        ):
            frame = load_market(name)
            store.write_ohlcv(frame.iloc[-tail:] if tail else frame, symbol, tf)
    finally:
        store.close()
    return url


def page_test(monkeypatch: pytest.MonkeyPatch, url: str, page: str | None = None) -> AppTest:
    """The app with ``url`` as its store, run once, then switched to ``views/<page>.py`` and run."""
    monkeypatch.setenv("UPTRADE_DATABASE_URL", url)
    at = AppTest.from_file(str(APP_PATH), default_timeout=RUN_TIMEOUT).run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    return at


def no_exception(at: AppTest) -> None:
    """Fail with the page's own message when a run raised or showed an error element."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def plotly_values(value: Any) -> np.ndarray:
    """A plotly JSON array: a list (``None`` as NaN when numeric), or a typed ``{dtype, bdata, shape}`` block."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            out = out.reshape([int(s) for s in str(value["shape"]).split(",")])
        return out
    if any(v is None for v in value):
        return np.array([np.nan if v is None else v for v in value], dtype=float)
    return np.asarray(value)


def plotly_times(value: Any) -> pd.DatetimeIndex:
    """A figure's time axis values as UTC times: ISO strings, or float milliseconds since the epoch."""
    raw = plotly_values(value)
    if raw.dtype.kind in "fiu":
        return pd.DatetimeIndex(pd.to_datetime(raw.astype(np.int64), unit="ms", utc=True))
    return pd.DatetimeIndex(pd.to_datetime(list(raw), utc=True))


def last_year(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows the sidebar's default range selects: the last 365 days up to the last bar's day."""
    end = frame.index[-1].normalize() + pd.Timedelta(days=1)
    return frame[frame.index >= end - pd.Timedelta(days=366)]
