"""What every page shares: the store, the sidebar's selection, cached reads and the error guard.

The store is opened once per server process and URL (``st.cache_resource``); candles are read
through ``st.cache_data`` for a minute, so moving between pages or changing a parameter does not
read the database again while the updater appends at most a bar. The sidebar's controls
(symbol, timeframe, range) are built once in ``app.py`` and read by the pages with
:func:`selection`. :func:`guard` turns a user-facing :class:`~uptrade.errors.UpTradeError` (an
empty or unreachable store, hummingbot-api down, bad parameters) into one message on the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from uptrade.errors import UpTradeError

if TYPE_CHECKING:
    from uptrade.data.store import Store

#: Seconds a read stays cached: short enough to show what the updater just stored.
READ_TTL = 60
#: The range the sidebar proposes: this many days up to the series' last bar.
DEFAULT_DAYS = 365
_KEY = "uptrade_selection"
_ERROR = "uptrade_store_error"


@dataclass(frozen=True)
class Selection:
    """The sidebar's choice, shared by every page: a stored series and a range of it (UTC, inclusive)."""

    symbol: str
    timeframe: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def label(self) -> str:
        """``BTC-USDT 1h, 2024-01-01 to 2024-12-31`` for titles."""
        return f"{self.symbol} {self.timeframe}, {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def database_url() -> str:
    """The store's URL from the settings (``UPTRADE_DATABASE_URL``, else the embedded SQLite file)."""
    from uptrade.settings import get_settings

    return get_settings().resolved_database_url()


def display_url() -> str:
    """The store's URL with any password masked: the only form a page shows."""
    from uptrade.settings import get_settings

    return get_settings().display_database_url()


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Store:
    from uptrade.data.store import open_store

    return open_store(url)


def store() -> Store:
    """The store at the settings' URL, opened once per server process (its schema checked then)."""
    return _open(database_url())


@st.cache_data(ttl=READ_TTL, show_spinner=False, max_entries=64)
def _candles(url: str, symbol: str, timeframe: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return _open(url).read_ohlcv(symbol, timeframe, start, end)


def candles(sel: Selection) -> pd.DataFrame:
    """The selection's candles (cached for :data:`READ_TTL` s); :class:`NoDataError` when there are none."""
    from uptrade.errors import NoDataError

    frame = _candles(database_url(), sel.symbol, sel.timeframe, sel.start, sel.end)
    if frame.empty:
        raise NoDataError(f"no {sel.symbol} {sel.timeframe} candles stored in {sel.label.split(', ')[1]}")
    return frame


@st.cache_data(ttl=READ_TTL, show_spinner=False, max_entries=16)
def _history(url: str, symbol: str, timeframe: str, end: pd.Timestamp) -> pd.DataFrame:
    return _open(url).read_ohlcv(symbol, timeframe, None, end)


def history(sel: Selection) -> pd.DataFrame:
    """Every stored candle up to the selection's end (cached): what indicators are computed on.

    Indicators and signals run over the whole history, as the CLI's commands do, so the values
    inside the range do not depend on where the range starts; pages then show ``sel.start`` on.
    """
    from uptrade.errors import NoDataError

    frame = _history(database_url(), sel.symbol, sel.timeframe, sel.end)
    if frame.empty or frame.index[-1] < sel.start:
        raise NoDataError(f"no {sel.symbol} {sel.timeframe} candles stored in {sel.label.split(', ')[1]}")
    return frame


def shown(frame: pd.DataFrame | pd.Series, sel: Selection) -> Any:
    """The rows of ``frame`` (indexed by time) inside the selection's range."""
    return frame.loc[(frame.index >= sel.start) & (frame.index <= sel.end)]


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def coverage(url: str) -> pd.DataFrame:
    """Every stored series: symbol, timeframe, first, last, rows, gaps, missing (one row each)."""
    rows = [c.__dict__ for c in _open(url).coverage()]
    columns = ["symbol", "timeframe", "first", "last", "rows", "gaps", "missing"]
    return pd.DataFrame(rows, columns=columns)


def timeframes_for(stored: list[str]) -> list[str]:
    """The stored timeframes and every longer one they tile (the store aggregates those on read)."""
    from uptrade.data.timeframes import TIMEFRAMES, parse_timeframe

    tfs = [parse_timeframe(t) for t in stored]
    return [t.name for t in TIMEFRAMES if any(s.divides(t) for s in tfs)]


def source_timeframe(stored: list[str], timeframe: str) -> str:
    """The stored timeframe the store reads ``timeframe`` from: itself, else the finest that tiles it."""
    from uptrade.data.timeframes import parse_timeframe

    tf = parse_timeframe(timeframe)
    tiling = sorted(parse_timeframe(t) for t in stored if parse_timeframe(t).divides(tf))
    return tf.name if tf.name in stored else tiling[0].name


def sidebar() -> Selection | None:
    """Build the shared controls in the sidebar and remember the choice; None for an empty store.

    A store that cannot be read leaves its error for the page to show (:func:`require_selection`),
    so that a page that does not need candles (the bots) still shows the rest.

    The range defaults to the last :data:`DEFAULT_DAYS` days of the series the timeframe is read
    from, and is proposed afresh when the symbol or the timeframe changes.
    """
    from uptrade.data.timeframes import parse_timeframe

    try:
        cov = coverage(database_url())
    except UpTradeError as exc:  # each page says so once (require_selection, or its own store reads)
        st.session_state[_ERROR] = str(exc)
        st.session_state.pop(_KEY, None)
        st.sidebar.caption(f"store: {display_url()} (cannot be read)")
        return None
    st.session_state.pop(_ERROR, None)
    st.sidebar.caption(f"store: {display_url()}")
    if cov.empty:
        st.sidebar.info("The store holds no candles yet.")
        st.session_state.pop(_KEY, None)
        return None
    symbols = sorted(cov["symbol"].unique())
    symbol = st.sidebar.selectbox("Symbol", symbols, key="sb_symbol")
    series = cov[cov["symbol"] == symbol]
    choices = timeframes_for(list(series["timeframe"]))
    stored = [t for t in choices if t in set(series["timeframe"])]
    timeframe = st.sidebar.selectbox("Timeframe", choices, index=choices.index(stored[0]), key="sb_timeframe")
    tf = parse_timeframe(timeframe)
    sources = series[[parse_timeframe(t).divides(tf) for t in series["timeframe"]]]
    lo, hi = sources["first"].min().date(), sources["last"].max().date()
    default = (max(lo, hi - dt.timedelta(days=DEFAULT_DAYS)), hi)
    if st.session_state.get("sb_series") != (symbol, timeframe):  # a new series: propose its own last year
        st.session_state["sb_series"] = (symbol, timeframe)
        st.session_state["sb_range"] = default
    picked: Any = st.sidebar.date_input("Range (UTC)", min_value=lo, max_value=hi, key="sb_range")
    start_day, end_day = (picked if isinstance(picked, tuple) and len(picked) == 2 else default)[:2]
    sel = Selection(
        symbol=str(symbol),
        timeframe=str(timeframe),
        start=pd.Timestamp(start_day, tz="UTC"),
        end=pd.Timestamp(end_day, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1),
    )
    st.session_state[_KEY] = sel
    return sel


def selection() -> Selection | None:
    """The sidebar's current choice (None when the store is empty)."""
    sel = st.session_state.get(_KEY)
    return sel if isinstance(sel, Selection) else None


def require_selection() -> Selection:
    """The sidebar's choice; else the store's error or a note that it is empty, and the end of the run."""
    sel = selection()
    error = st.session_state.get(_ERROR)
    if sel is None and error:
        st.error(error, icon=":material/error:")
        st.stop()
    if sel is None:
        st.info("No candles in the store yet: import some (`uptrade data import`) or run `uptrade demo`.")
        st.stop()
    return sel


@contextmanager
def guard() -> Iterator[None]:
    """Show an :class:`UpTradeError` as one error line and end the page's run (never a traceback)."""
    try:
        yield
    except UpTradeError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
