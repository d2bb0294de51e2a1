"""Astro: planet longitudes and the exact aspects over the selected range, celestial channel levels on price.

Longitudes are :func:`~uptrade.indicators.astro.planet_longitude`; aspects and stations are
``uptrade astro aspects|stations`` for the range; the channel levels are the registry's
``celestial`` indicator with its parameters editable here.
"""

from __future__ import annotations

import itertools

import pandas as pd
import streamlit as st

from uptrade.dashboard import context
from uptrade.dashboard.components.astro_charts import (
    aspect_figure,
    aspect_timeline,
    celestial_figure,
    channel_levels,
    longitude_figure,
    longitudes,
    pair_label,
    sample_times,
    station_table,
    visible_levels,
)
from uptrade.indicators.astro import ASPECTS, BODIES, FRAMES
from uptrade.indicators.params import CelestialParams
from uptrade.indicators.registry import get_indicator

DEFAULT_LONGITUDES = ["sun", "mercury", "venus", "mars", "jupiter", "saturn"]
#: The pairs ``uptrade astro aspects`` searches by default.
DEFAULT_ASPECT_BODIES = ["sun", "moon", "mars"]
NO_BODY = "(none)"


@st.cache_data(show_spinner=False, max_entries=32)
def _longitudes(start: pd.Timestamp, end: pd.Timestamp, bodies: tuple[str, ...], frame: str) -> pd.DataFrame:
    return longitudes(sample_times(start, end), bodies, frame)


@st.cache_data(show_spinner=False, max_entries=32)
def _aspects(bodies: tuple[str, ...], aspects: tuple[str, ...], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return aspect_timeline(bodies, start, end, aspects)


@st.cache_data(show_spinner=False, max_entries=16)
def _channel(_times: pd.DatetimeIndex, key: tuple[pd.Timestamp, pd.Timestamp, int], params: str) -> pd.DataFrame:
    """The levels at ``_times`` (cached by their first and last time and count, ``key``, and ``params``)."""
    return channel_levels(_times, CelestialParams.model_validate_json(params))


def _levels(times: pd.DatetimeIndex, params: CelestialParams) -> pd.DataFrame:
    return _channel(times, (times[0], times[-1], len(times)), params.model_dump_json())


@st.cache_data(show_spinner=False, max_entries=32)
def _stations(bodies: tuple[str, ...], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return station_table(bodies, start, end)


st.title("Astro")
sel = context.require_selection()
span = f"{sel.start:%Y-%m-%d} to {sel.end:%Y-%m-%d}"

st.subheader(f"Planet longitudes, {span}")
a, b = st.columns([4, 1])
lon_bodies: list[str] = a.multiselect("Bodies", list(BODIES), default=DEFAULT_LONGITUDES, key="astro_lon_bodies")
frame = str(b.selectbox("Zodiac", list(FRAMES), key="astro_frame", help="sidereal: Lahiri ayanamsa"))
if lon_bodies:
    with context.guard(), st.spinner("Computing longitudes..."):
        lons = _longitudes(sel.start, sel.end, tuple(lon_bodies), frame)
        stations = _stations(tuple(lon_bodies), sel.start, sel.end)
    title = f"{frame} geocentric longitudes (JPL DE421), {span} UTC"
    st.plotly_chart(longitude_figure(lons, title=title), width="stretch", key="astro_longitudes")
    if len(stations):
        st.caption("Retrograde and direct stations in the range")
        st.dataframe(stations, hide_index=True, width="stretch")
else:
    st.info("Choose at least one body.")

st.subheader(f"Aspects, {span}")
c, d = st.columns([3, 2])
aspect_bodies: list[str] = c.multiselect(
    "Between", list(BODIES), default=DEFAULT_ASPECT_BODIES, key="astro_aspect_bodies",
    help="Every pair of these bodies is searched for exact aspects.",
)  # fmt: skip
kinds: list[str] = d.multiselect("Aspects", list(ASPECTS), default=list(ASPECTS), key="astro_aspect_kinds")
if len(aspect_bodies) < 2 or not kinds:
    st.info("Choose at least two bodies and one aspect.")
else:
    with context.guard(), st.spinner("Finding exact aspects..."):
        events = _aspects(tuple(aspect_bodies), tuple(kinds), sel.start, sel.end)
    pairs = [pair_label(x, y) for x, y in itertools.combinations(aspect_bodies, 2)]
    title = f"{len(events)} exact aspects (to the minute, UTC)"
    st.plotly_chart(aspect_figure(events, pairs, title=title), width="stretch", key="astro_aspects")
    with st.expander(f"The {len(events)} aspects as a table"):
        st.dataframe(events, hide_index=True, width="stretch")

info = get_indicator("celestial")
defaults = info.params
st.subheader(f"Celestial channel levels on {sel.label}")
st.caption(info.title + ": level h = ±longitude × scaler + 360 × scaler × (h + base), h = 0 .. n_harmonics - 1.")
e, f, g, h, i, j = st.columns([1.3, 1.3, 1, 1, 1, 1])
body = str(e.selectbox("Body", list(BODIES), index=list(BODIES).index(defaults["body"]), key="astro_cel_body"))
body_b = str(f.selectbox("Midpoint with", [NO_BODY, *BODIES], key="astro_cel_body_b"))
scaler = float(g.number_input("Scaler", value=float(defaults["scaler"]), min_value=0.0, step=0.01, format="%.4f",
                              key="astro_cel_scaler", help="Price units per degree"))  # fmt: skip
base = int(h.number_input("Base", value=int(defaults["base"]), min_value=-1000, max_value=1000, step=1,
                          key="astro_cel_base"))  # fmt: skip
harmonics = int(i.number_input("Levels", value=int(defaults["n_harmonics"]), min_value=1, max_value=200, step=1,
                               key="astro_cel_harmonics"))  # fmt: skip
mirror = bool(j.checkbox("Mirror", value=bool(defaults["mirror"]), key="astro_cel_mirror"))
near = st.checkbox("Only the levels near the price", value=True, key="astro_cel_near")
raw = {
    "body": body, "scaler": scaler, "base": base, "n_harmonics": harmonics, "mirror": int(mirror),
    "body_b": "" if body_b == NO_BODY else body_b,
}  # fmt: skip
with context.guard():
    params = CelestialParams.of(raw)  # the registry's model of the celestial indicator (info.model)
    candles = context.candles(sel)
    levels = _levels(pd.DatetimeIndex(candles.index), params)
    nearest = info.outputs(candles.iloc[-1:], **raw)
drawn = visible_levels(levels, float(candles["low"].min()), float(candles["high"].max())) if near else levels
for col, (label, value) in zip(
    st.columns(3),
    (("last close", candles["close"].iloc[-1]), ("level below", nearest["below"].iloc[-1]),
     ("level above", nearest["above"].iloc[-1])),
    strict=True,
):  # fmt: skip
    col.metric(label, "-" if pd.isna(value) else f"{value:,.2f}")
if drawn.shape[1] < levels.shape[1]:
    st.caption(f"{drawn.shape[1]} of the {levels.shape[1]} levels come near the price and are drawn.")
st.plotly_chart(celestial_figure(candles, drawn, title=sel.label), width="stretch", key="astro_celestial")
