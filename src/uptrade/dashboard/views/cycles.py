"""Cycles: the dominant cycle per timeframe, spectral power over time and across timeframes, bandpasses on price.

The table is ``uptrade cycles`` for the same inputs, as of the selection's end
(:meth:`MTFCycleDetector.detect_store`); the heatmaps show the spectra the detector ranks, with
its settings; the bandpass panel filters the sidebar series' hl2 at the dominant periods found.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from uptrade.dashboard import context
from uptrade.dashboard.components.cycle_charts import (
    bandpass_figure,
    bandpass_lines,
    cycle_periods,
    cycle_table,
    period_text,
    spectrogram_figure,
    timeframe_heatmap_figure,
)
from uptrade.data.timeframes import parse_timeframe
from uptrade.indicators.cycle_spectra import DEFAULT_COLUMNS, rolling_spectrum, snapshot_spectrum, timeframe_power
from uptrade.indicators.cycles import HURST_HISTORY, MTFCycleDetector, MTFCycles
from uptrade.indicators.spectral import DEFAULT_BANDWIDTH, DEFAULT_WINDOW

#: (method, window, min_period, whiten): the detector settings the page's controls give.
Settings = tuple[str, int, float, bool]
#: The shortest timeframe proposed by default: shorter ones are choosable but slow to read.
DEFAULT_SHORTEST = "1h"


def _detector(timeframes: tuple[str, ...], settings: Settings) -> MTFCycleDetector:
    method, window, min_period, whiten = settings
    return MTFCycleDetector(list(timeframes), method=method, window=window, min_period=min_period, whiten=whiten)


@st.cache_data(ttl=context.READ_TTL, show_spinner=False, max_entries=32)
def _detect(url: str, symbol: str, timeframes: tuple[str, ...], settings: Settings, end: pd.Timestamp) -> MTFCycles:
    return _detector(timeframes, settings).detect_store(context.store(), symbol, end=end)


@st.cache_data(ttl=context.READ_TTL, show_spinner=False, max_entries=16)
def _spectrogram(
    url: str, symbol: str, timeframe: str, start: pd.Timestamp, end: pd.Timestamp, settings: Settings, columns: int
) -> pd.DataFrame:
    history = context.history(context.Selection(symbol, timeframe, start, end))
    return rolling_spectrum(history, _detector((timeframe,), settings), start, columns)


@st.cache_data(ttl=context.READ_TTL, show_spinner=False, max_entries=16)
def _timeframe_spectra(
    url: str, symbol: str, timeframes: tuple[str, ...], settings: Settings, end: pd.Timestamp
) -> dict[str, pd.Series]:
    detector = _detector(timeframes, settings)
    bars = detector.window * (HURST_HISTORY if detector.method == "hurst" else 1)
    out: dict[str, pd.Series] = {}
    for tf in timeframes:
        spectrum = snapshot_spectrum(context.store().read_ohlcv(symbol, tf, end=end, limit=bars), detector)
        if spectrum is not None:
            out[tf] = spectrum
    return out


st.title("Cycles")
sel = context.require_selection()
url = context.database_url()
with context.guard():
    cov = context.coverage(url)
readable = context.timeframes_for(list(cov.loc[cov["symbol"] == sel.symbol, "timeframe"]))
shortest = parse_timeframe(DEFAULT_SHORTEST)
proposed = [t for t in readable if parse_timeframe(t) >= shortest] or readable

a, b, c, d, e = st.columns([3, 1.3, 1, 1, 1])
timeframes: list[str] = a.multiselect(
    "Timeframes", readable, default=proposed, key=f"cycles_timeframes_{sel.symbol}",
    help="Each is read from the store (aggregated from the finest stored timeframe).",
)  # fmt: skip
method = str(b.selectbox("Method", ["goertzel", "hurst"], key="cycles_method", help="goertzel: windowed DFT; "
                         "hurst: bank of bandpass filters (reads four windows of history)."))  # fmt: skip
window = int(c.number_input("Window (bars)", min_value=3, max_value=5000, value=DEFAULT_WINDOW, step=1,
                            key="cycles_window"))  # fmt: skip
min_period = float(d.number_input("Min period (bars)", min_value=2.0, max_value=1000.0, value=8.0, step=1.0,
                                  key="cycles_min_period"))  # fmt: skip
whiten = bool(e.checkbox("Whiten", value=True, key="cycles_whiten", help="Rank periods by the spectrum of returns "
                         "(a random walk's 1/f² background removed), as `uptrade cycles --whiten`."))  # fmt: skip
if not timeframes:
    st.info("Choose at least one timeframe.")
    st.stop()
settings: Settings = (method, window, min_period, whiten)
chosen = tuple(sorted(timeframes, key=parse_timeframe))

with context.guard(), st.spinner("Detecting the dominant cycles..."):
    found = _detect(url, sel.symbol, chosen, settings, sel.end)

st.subheader(f"Dominant cycles of {sel.symbol} as of {sel.end:%Y-%m-%d %H:%M} UTC")
m1, m2, m3 = st.columns(3)
m1.metric("composite period", period_text(found.composite_period_minutes), help="Power-weighted mean of the periods")
m2.metric("composite (minutes)", f"{found.composite_period_minutes:,.0f}")
m3.metric(f"suggested length ({found.base_timeframe} bars)", f"{found.suggested_length}")
st.dataframe(
    cycle_table(found), hide_index=True, width="stretch",
    column_config={
        "as of": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        "period (bars)": st.column_config.NumberColumn(format="%.2f"),
        "period (minutes)": st.column_config.NumberColumn(format="%.0f"),
        "power": st.column_config.NumberColumn(format="percent", help="Share of the band's power in the peak's lobe"),
    },
)  # fmt: skip

st.subheader(f"Spectral power over time ({sel.label})")
columns = int(st.number_input("Heatmap windows", min_value=10, max_value=400, value=DEFAULT_COLUMNS, step=10,
                              key="cycles_columns", help="Windows drawn across the range (evenly spaced, "
                              "the last one ending at the range's last bar)."))  # fmt: skip
with context.guard(), st.spinner("Computing the rolling spectrum..."):
    power = _spectrogram(url, sel.symbol, sel.timeframe, sel.start, sel.end, settings, columns)
if power.shape[1] == 0:
    st.info(f"No window of {window} {sel.timeframe} bars ends inside the range: widen it or shorten the window.")
else:
    title = f"{method} power of {window}-bar windows, {sel.symbol} {sel.timeframe} (1 = each window's strongest)"
    st.plotly_chart(spectrogram_figure(power, title=title), width="stretch", key="cycles_spectrogram")

st.subheader(f"Spectral power across timeframes as of {sel.end:%Y-%m-%d %H:%M} UTC")
with context.guard(), st.spinner("Computing each timeframe's spectrum..."):
    spectra = _timeframe_spectra(url, sel.symbol, tuple(found.table.index), settings, sel.end)
across, unit = timeframe_power(spectra)
if across.empty:
    st.info("No timeframe has enough bars for a spectrum.")
else:
    title = f"{method} power by period and timeframe (1 = each timeframe's strongest)"
    st.plotly_chart(timeframe_heatmap_figure(across, unit, title=title), width="stretch", key="cycles_timeframes_map")

st.subheader(f"Bandpass of the dominant cycles on {sel.symbol} {sel.timeframe}")
detected = list(found.table.index)
default = [sel.timeframe] if sel.timeframe in detected else detected[:1]
p1, p2 = st.columns([3, 1])
picked: list[str] = p1.multiselect(
    "Cycles of", detected, default=default, key=f"cycles_bandpass_{'_'.join(detected)}",
    help="Each timeframe's dominant period, in bars of the sidebar's timeframe.",
)  # fmt: skip
bandwidth = float(p2.number_input("Bandwidth", min_value=0.001, max_value=0.2, value=DEFAULT_BANDWIDTH, step=0.005,
                                  format="%.3f", key="cycles_bandwidth"))  # fmt: skip
periods, short = cycle_periods(found, sel.timeframe, picked)
if short:
    st.caption(f"Not drawn (under two {sel.timeframe} bars): the cycles of {', '.join(short)}.")
with context.guard():
    history = context.history(sel)
    lines = bandpass_lines(history, periods, bandwidth)
    shown = context.shown(history, sel)
    fig = bandpass_figure(shown, {k: context.shown(v, sel) for k, v in lines.items()}, title=sel.label)
st.plotly_chart(fig, width="stretch", key="cycles_bandpass_chart")
