"""Signals: candles and volume with MA overlays, SniperProX/VZOProX panels and a combined signal.

Everything is computed on the whole stored history up to the range's end (as ``uptrade
indicators run`` and ``uptrade signals run`` do) and cached per series and parameters; the
range is what is drawn, downsampled for display only. Parameter widgets are generated from the
indicators' models with their bounds; a value a model refuses is one line on the page.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from uptrade.dashboard import context
from uptrade.dashboard.components.charts import Panel, price_figure
from uptrade.dashboard.components.signal_panels import (
    ParamSpec,
    checked_params,
    combined_signal,
    decimals,
    input_step,
    label_markers,
    latest_signals,
    ma_choices,
    ma_overlay,
    param_specs,
    signal_counts,
    sniper_panel,
    source_indicators,
    source_signals,
    vzo_panel,
)
from uptrade.indicators.params import MAParams
from uptrade.indicators.registry import get_indicator
from uptrade.signals import ADAPTERS, MODES, CombinerConfig, indicator_frame

#: The overlay slots the page offers, and each slot's first type and window.
DEFAULT_OVERLAYS = (("Exponential Moving Average", 50), ("Simple Moving Average", 200), ("Hull Moving Average", 20))
MAX_OVERLAYS = 4
DEFAULT_SOURCES = ["sniper:major", "vzo:major"]
DEFAULT_MODE = "or"
PANELS = {"sniper": sniper_panel, "vzo": vzo_panel}


# --- cached computations: keyed by the series (store, symbol, timeframe, last bar, bars) and parameters ---


@st.cache_data(show_spinner=False, max_entries=32, ttl=context.READ_TTL)
def _overlay(series: str, ma_type: str, window: int, _history: pd.DataFrame) -> pd.Series:
    return ma_overlay(_history, ma_type, window)


@st.cache_data(show_spinner=False, max_entries=16, ttl=context.READ_TTL)
def _frame(series: str, indicator: str, params: str, _history: pd.DataFrame) -> pd.DataFrame:
    return indicator_frame(_history, indicator, **json.loads(params))


@st.cache_data(show_spinner=False, max_entries=16, ttl=context.READ_TTL)
def _signals(series: str, sources: str, params: str, _history: pd.DataFrame) -> dict[str, pd.Series]:
    return source_signals(_history, json.loads(sources), json.loads(params))


def _series_key(sel: context.Selection, history: pd.DataFrame) -> str:
    """What a cached result depends on besides parameters: the store, the series and its last bar."""
    return f"{context.database_url()}|{sel.symbol}|{sel.timeframe}|{history.index[-1].isoformat()}|{len(history)}"


# --- widgets generated from the parameter models ---


def _widget(spec: ParamSpec, key: str, where: Any) -> Any:
    """One input for ``spec``: a choice of the 34 MA types, a bounded number, or text."""
    if spec.kind == "ma":
        choices = ma_choices()
        return where.selectbox(spec.label, choices, index=choices.index(spec.default), key=key, help=spec.help)
    if spec.kind == "int":
        return where.number_input(
            spec.label,
            min_value=None if spec.low is None else int(spec.low),
            max_value=None if spec.high is None else int(spec.high),
            value=int(spec.default),
            step=1,
            key=key,
            help=spec.help,
        )
    if spec.kind == "float":
        step = input_step(spec.default)
        return where.number_input(
            spec.label,
            min_value=None if spec.low is None else float(spec.low),
            max_value=None if spec.high is None else float(spec.high),
            value=float(spec.default),
            step=step,
            format=f"%.{max(decimals(spec.default), decimals(step))}f",
            key=key,
            help=spec.help,
        )
    return where.text_input(spec.label, value=str(spec.default), key=key, help=spec.help)


def _indicator_inputs(indicator: str) -> dict[str, Any]:
    """An expander with one widget per parameter of ``indicator``'s model."""
    info = get_indicator(indicator)
    values: dict[str, Any] = {}
    with st.expander(f"{info.title} parameters"):
        cols = st.columns(3)
        for i, spec in enumerate(param_specs(info.model)):
            values[spec.name] = _widget(spec, f"signals_{indicator}_{spec.name}", cols[i % 3])
    return values


def _overlay_inputs() -> list[tuple[str, int]]:
    """The MA overlays: how many, then a type (any of the 34) and a window for each."""
    specs = {s.name: s for s in param_specs(MAParams)}
    count = int(
        st.number_input("MA overlays", min_value=0, max_value=MAX_OVERLAYS, value=2, step=1, key="signals_ma_count")
    )
    out = []
    for i in range(count):
        ma_type, window = DEFAULT_OVERLAYS[i % len(DEFAULT_OVERLAYS)]
        left, right = st.columns([3, 2])
        t = _widget(ParamSpec("ma_type", "ma", ma_type, help=specs["ma_type"].help), f"signals_ma_type_{i}", left)
        w = _widget(
            ParamSpec("window", "int", window, specs["window"].low, specs["window"].high, specs["window"].help),
            f"signals_ma_window_{i}",
            right,
        )
        out.append((str(t), int(w)))
    return out


def _combiner_inputs(sources: list[str]) -> dict[str, Any]:
    """The mode, then what it reads: weights and threshold (weighted), primary and window (confirm)."""
    specs = {s.name: s for s in param_specs(CombinerConfig)}
    mode = st.selectbox("Combiner", MODES, index=MODES.index(DEFAULT_MODE), key="signals_mode")
    out: dict[str, Any] = {"mode": mode}
    if mode == "weighted" and sources:
        cols = st.columns(min(len(sources), 3))
        out["weights"] = {
            s: float(
                cols[i % len(cols)].number_input(
                    f"weight {s}", min_value=0.0, value=1.0, step=0.5, format="%.2f", key=f"signals_weight_{s}"
                )
            )
            for i, s in enumerate(sources)
        }
        out["threshold"] = float(_widget(specs["threshold"], "signals_threshold", st))
    elif mode == "confirm" and sources:
        out["primary"] = st.selectbox("primary", sources, key="signals_primary")
        out["confirm_window"] = int(_widget(specs["confirm_window"], "signals_confirm_window", st))
    return out


# --- the page ---

st.title("Signals")
sel = context.require_selection()
st.caption(sel.label)

c_overlay, c_panels, c_signal = st.columns(3)
with c_overlay:
    st.subheader("Overlays")
    overlay_inputs = _overlay_inputs()
with c_panels:
    st.subheader("Panels")
    shown_panels = [
        ind for ind in PANELS if st.toggle(f"{get_indicator(ind).title} panel", value=True, key=f"signals_{ind}_panel")
    ]
with c_signal:
    st.subheader("Combined signal")
    sources = st.multiselect("Signal sources", list(ADAPTERS), default=DEFAULT_SOURCES, key="signals_sources")
    combiner = _combiner_inputs(sources)
    last = int(st.number_input("latest signals listed", min_value=1, value=10, step=1, key="signals_last"))

indicators = list(dict.fromkeys([*shown_panels, *source_indicators(sources)]))
raw_params = {ind: _indicator_inputs(ind) for ind in indicators}

with context.guard():
    overlays_checked = [
        checked_params("ma", {"ma_type": t, "window": w}, owner=f"MA overlay {i + 1}")
        for i, (t, w) in enumerate(overlay_inputs)
    ]
    params = {ind: checked_params(ind, raw_params[ind]) for ind in indicators}
    history = context.history(sel)

key = _series_key(sel, history)
with st.spinner("Computing indicators and signals"), context.guard():
    overlays = {}
    for p in overlays_checked:
        line = _overlay(key, str(p["ma_type"]), int(p["window"]), history)
        overlays[str(line.name)] = context.shown(line, sel)
    panels: list[Panel] = []
    for ind in shown_panels:
        frame = _frame(key, ind, json.dumps(params[ind], sort_keys=True), history)
        panels.append(PANELS[ind](context.shown(frame, sel), params[ind]))
    signals: dict[str, pd.Series] = {}
    combined: pd.Series | None = None
    if sources:
        used = {ind: params[ind] for ind in source_indicators(sources)}
        signals = _signals(key, json.dumps(sources), json.dumps(used, sort_keys=True), history)
        options = {k: v for k, v in combiner.items() if k != "mode"}
        combined = combined_signal(signals, combiner["mode"], **options)

candles = context.shown(history, sel)
title = f"{sel.label}: {combiner['mode']} of {', '.join(signals)}" if signals else sel.label
fig = price_figure(
    candles,
    overlays=overlays,
    signal=None if combined is None else context.shown(combined, sel),
    panels=panels,
    title=title,
)
label_markers(fig, "combined", [p.title for p in panels])
fig.update_layout(margin={"t": 130}, title={"y": 0.995, "yanchor": "top"})  # the title above a legend of 2-3 rows
st.plotly_chart(fig, width="stretch", key="signals_chart")
st.caption(
    f"Computed on all {len(history):,} stored bars up to the range's end; {len(candles):,} bars in the range. "
    "Markers on the price are the combined signal; those on a panel are its indicator's own signal."
)

if combined is None:
    st.info("Choose at least one signal source to see the combined signal.")
else:
    shown_signals = {n: context.shown(s, sel) for n, s in signals.items()}
    shown_combined = context.shown(combined, sel)
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Latest combined signals")
        latest = latest_signals(candles, shown_signals, shown_combined, last)
        if latest.empty:
            st.caption("No combined signal in the range.")
        else:
            st.dataframe(latest, hide_index=True, width="stretch", key="signals_latest")
    with right:
        st.subheader("Counts")
        counts = signal_counts(shown_signals, shown_combined).merge(
            signal_counts(signals, combined), on="source", suffixes=("", " (all history)")
        )
        st.dataframe(counts, hide_index=True, width="stretch", key="signals_counts")
