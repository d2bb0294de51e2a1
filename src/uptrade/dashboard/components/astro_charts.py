"""Chart builders of the astro page: planet longitudes, the aspect timeline, celestial channel levels on price.

Thin over :mod:`uptrade.indicators.astro` (longitudes), :mod:`~uptrade.indicators.astro_events`
(exact aspects and stations, as ``uptrade astro``) and :mod:`~uptrade.indicators.celestial` with
the registry's ``celestial`` parameters, so the page shows what the CLI and the indicator compute.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from uptrade.dashboard.components.charts import MAX_POINTS, PALETTE, price_figure
from uptrade.indicators.astro import SIGNS, planet_longitude
from uptrade.indicators.astro_events import STATION_BODIES, aspect_events, stations
from uptrade.indicators.celestial import celestial_channel_levels
from uptrade.indicators.params import CelestialParams

#: Finest spacing of the longitude samples (minutes): hourly is smooth even for the Moon.
MIN_STEP_MINUTES = 60
ASPECT_SYMBOLS = {
    "conjunction": "circle", "sextile": "star", "square": "square", "trine": "triangle-up", "opposition": "x",
}  # fmt: skip
EVENT_COLUMNS = ["time", "body_a", "body_b", "aspect", "angle", "lon_a", "lon_b"]


def sample_times(start: pd.Timestamp, end: pd.Timestamp, max_points: int = MAX_POINTS) -> pd.DatetimeIndex:
    """Evenly spaced whole-minute times from ``start`` to ``end``: at most ``max_points``, at most hourly."""
    span = (pd.Timestamp(end) - pd.Timestamp(start)).total_seconds() / 60.0
    step = max(MIN_STEP_MINUTES, math.ceil(span / max(max_points - 1, 1)))
    return pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=f"{step}min")


def longitudes(times: pd.DatetimeIndex, bodies: Sequence[str], frame: str = "tropical") -> pd.DataFrame:
    """Each body's geocentric ecliptic longitude (degrees) at ``times``: one column per body."""
    return pd.DataFrame({b: planet_longitude(times, b, frame=frame).to_numpy() for b in bodies}, index=times)


def _wrapped(line: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """x and y of a longitude line with a gap (a NaN) wherever it wraps across 0/360: no vertical stroke."""
    y = line.to_numpy(dtype=float)
    at = np.flatnonzero(np.abs(np.diff(y)) > 180.0) + 1
    return line.index.take(np.insert(np.arange(len(y)), at, at)), np.insert(y, at, np.nan)


def longitude_figure(lons: pd.DataFrame, *, title: str) -> go.Figure:
    """One line per body, 0..360 degrees with the signs marked every 30; lines break where they wrap."""
    fig = go.Figure()
    for i, body in enumerate(lons.columns):
        x, y = _wrapped(lons[body])
        fig.add_trace(
            go.Scatter(x=x, y=y, name=str(body), mode="lines", line={"width": 1.4, "color": PALETTE[i % len(PALETTE)]})
        )
    ticks = list(range(0, 360, 30))
    fig.update_yaxes(range=[0, 360], tickvals=ticks, ticktext=[f"{t}° {s}" for t, s in zip(ticks, SIGNS, strict=True)])
    fig.update_layout(
        title=title, yaxis_title="longitude", height=420, margin={"l": 110, "r": 20, "t": 50, "b": 30},
        hovermode="x unified",
    )  # fmt: skip
    return fig


def pair_label(a: str, b: str) -> str:
    """How a pair of bodies is named on the timeline's axis."""
    return f"{a} – {b}"


def aspect_timeline(
    bodies: Sequence[str], start: object, end: object, aspects: Sequence[str] | None = None
) -> pd.DataFrame:
    """Exact aspects between every pair of ``bodies`` in ``[start, end]`` (as ``uptrade astro aspects``), by time."""
    frames = [aspect_events(a, b, start, end, aspects) for a, b in itertools.combinations(bodies, 2)]
    found = [f for f in frames if len(f)]
    if not found:
        return pd.DataFrame(
            {c: pd.Series(dtype="datetime64[ns, UTC]" if c == "time" else object) for c in EVENT_COLUMNS}
        )
    return pd.concat(found, ignore_index=True).sort_values("time", kind="stable", ignore_index=True)


def aspect_figure(events: pd.DataFrame, pairs: Sequence[str], *, title: str) -> go.Figure:
    """A timeline: one row per pair of bodies, one marker per exact aspect (a legend entry per aspect name)."""
    fig = go.Figure()
    labels = [pair_label(a, b) for a, b in zip(events["body_a"], events["body_b"], strict=True)]
    frame = events.assign(pair=labels)
    text = len(frame) <= 80
    for i, (name, symbol) in enumerate(ASPECT_SYMBOLS.items()):
        rows = frame[frame["aspect"] == name]
        if rows.empty:
            continue
        hover = [
            f"{t:%Y-%m-%d %H:%M} UTC<br>{a} {name} {b} ({ang:g}°)<br>{la:.2f}° / {lb:.2f}°"
            for t, a, b, ang, la, lb in zip(
                rows["time"], rows["body_a"], rows["body_b"], rows["angle"], rows["lon_a"], rows["lon_b"], strict=True
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=rows["time"], y=rows["pair"], mode="markers+text" if text else "markers",
                name=f"{name} ({len(rows)})",
                text=[name] * len(rows) if text else None, textposition="top center", textfont={"size": 9},
                hovertext=hover, hoverinfo="text",
                marker={"symbol": symbol, "size": 10, "color": PALETTE[i % len(PALETTE)],
                        "line": {"width": 0.6, "color": "#333"}},
            )
        )  # fmt: skip
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=list(pairs))
    fig.update_layout(
        title=title, height=max(280, 140 + 48 * len(pairs)), margin={"l": 130, "r": 20, "t": 90, "b": 30},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )  # fmt: skip
    return fig


def station_table(bodies: Sequence[str], start: object, end: object) -> pd.DataFrame:
    """Retrograde and direct stations of those ``bodies`` that have them, in ``[start, end]``, by time."""
    frames = [stations(b, start, end).assign(body=b) for b in bodies if b in STATION_BODIES]
    found = [f for f in frames if len(f)]
    if not found:
        return pd.DataFrame(columns=["time", "body", "kind", "longitude"])
    out = pd.concat(found, ignore_index=True).sort_values("time", kind="stable", ignore_index=True)
    return out[["time", "body", "kind", "longitude"]]


def channel_levels(times: pd.DatetimeIndex, params: CelestialParams) -> pd.DataFrame:
    """:func:`celestial_channel_levels` at ``times`` with the registry's checked ``celestial`` parameters."""
    return celestial_channel_levels(
        times, params.body, params.scaler, params.base, params.n_harmonics, bool(params.mirror),
        params.body_b.strip() or None,
    )  # fmt: skip


def visible_levels(levels: pd.DataFrame, low: float, high: float) -> pd.DataFrame:
    """The levels that come within one channel spacing of the price range ``[low, high]``, the rest dropped.

    A ladder spans ``n_harmonics`` spacings, mostly far from the price; drawing them all would
    squash the candles. The spacing is read from the ladder itself (its first two levels).
    """
    if levels.shape[1] < 2:
        return levels
    spacing = float(np.nanmedian(np.abs(levels.iloc[:, 1].to_numpy() - levels.iloc[:, 0].to_numpy())))
    lo, hi = levels.min(axis=0), levels.max(axis=0)
    keep = (hi >= low - spacing) & (lo <= high + spacing)
    return levels.loc[:, keep.to_numpy()]


def celestial_figure(candles: pd.DataFrame, levels: pd.DataFrame, *, title: str) -> go.Figure:
    """Price with each channel level drawn over it (levels indexed like the candles)."""
    return price_figure(candles, overlays={str(c): levels[c] for c in levels.columns}, title=title)
