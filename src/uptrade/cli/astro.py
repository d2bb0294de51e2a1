"""``uptrade astro``: planetary positions, aspect events and stations (heavy imports inside the commands)."""

from __future__ import annotations

from typing import Annotated

import typer

from uptrade.cli.common import cli_errors, console, fail

astro_app = typer.Typer(
    help="Astro: planetary positions, aspects and retrograde stations (1900-2050).", no_args_is_help=True
)


def _check_times(start: str, end: str) -> None:
    """Refuse a --from/--to that is not a time, naming the flag, before any computation."""
    from uptrade.data.times import to_epoch

    for name, value in (("start", start), ("end", end)):
        to_epoch(value, name)


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


@astro_app.command("positions")
@cli_errors
def positions(
    at: Annotated[str, typer.Option("--at", help="UTC time, e.g. 2024-01-01T00:00Z (naive = UTC).")],
    frame: Annotated[str, typer.Option(help="tropical or sidereal (Lahiri).")] = "tropical",
) -> None:
    """Longitude, sign, speed and retrograde flag of every body at one instant."""
    from rich.table import Table

    from uptrade.data.times import from_epoch, to_epoch
    from uptrade.indicators.astro import BODIES, check_frame, nakshatra, planet_longitude, speed, zodiac

    fr = check_frame(frame)
    when = from_epoch(to_epoch(at, "at"))
    rows = [(b, planet_longitude(when, b, frame=fr), speed(when, b, frame=fr)) for b in BODIES]
    table = Table(title=f"{fr} positions at {when:%Y-%m-%d %H:%M:%S} UTC")
    for col, justify in (("body", "left"), ("longitude", "right"), ("sign", "left"), ("position", "right"),
                         ("speed °/d", "right"), ("R", "center")):  # fmt: skip
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    if fr == "sidereal":
        table.add_column("nakshatra")
    for body, lon, spd in rows:
        z = zodiac(lon).iloc[0]
        cells = [
            body,
            f"{lon:.4f}",
            z["sign"],
            f"{z['degree']}°{z['minute']:02d}'",
            f"{spd:+.4f}",
            "R" if spd < 0 else "",
        ]
        if fr == "sidereal":
            n = nakshatra(lon).iloc[0]
            cells.append(f"{n['number']} {n['name']} (pada {n['pada']})")
        table.add_row(*cells)
    console().print(table)


@astro_app.command("aspects")
@cli_errors
def aspects(
    start: Annotated[str, typer.Option("--from", help="Start (UTC), e.g. 2024-01-01.")],
    end: Annotated[str, typer.Option("--to", help="End (UTC), e.g. 2024-03-01.")],
    bodies: Annotated[str, typer.Option(help="Comma-separated bodies; every pair is searched.")] = "sun,moon,mars",
    kinds: Annotated[
        str | None, typer.Option("--aspects", help="Comma-separated: conjunction,sextile,square,trine,opposition.")
    ] = None,
) -> None:
    """Exact aspect times (to the minute) between every pair of the given bodies."""
    _check_times(start, end)
    import itertools

    import pandas as pd
    from rich.table import Table

    from uptrade.indicators.astro_events import aspect_events

    names = _names(bodies) or []
    if len(names) < 2:
        raise fail(f"bodies: give at least two comma-separated bodies, got {bodies!r}")
    frames = [aspect_events(a, b, start, end, _names(kinds)) for a, b in itertools.combinations(names, 2)]
    events = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    table = Table(title=f"aspects {start} .. {end} ({0 if events is None else len(events)} events)")
    for col in ("time (UTC)", "body a", "aspect", "body b", "angle", "lon a", "lon b"):
        table.add_column(col)
    if events is not None:
        for row in events.sort_values("time").itertuples():
            table.add_row(f"{row.time:%Y-%m-%d %H:%M}", row.body_a, row.aspect, row.body_b, f"{row.angle:g}",
                          f"{row.lon_a:.4f}", f"{row.lon_b:.4f}")  # fmt: skip
    console().print(table)


@astro_app.command("stations")
@cli_errors
def stations(
    body: Annotated[str, typer.Option(help="mercury .. pluto or true_node.")],
    start: Annotated[str, typer.Option("--from", help="Start (UTC).")],
    end: Annotated[str, typer.Option("--to", help="End (UTC).")],
) -> None:
    """Retrograde and direct stations of one body."""
    _check_times(start, end)
    from rich.table import Table

    from uptrade.indicators.astro_events import stations as find_stations

    events = find_stations(body, start, end)
    table = Table(title=f"{body} stations {start} .. {end} ({len(events)})")
    for col in ("time (UTC)", "station", "longitude"):
        table.add_column(col)
    for row in events.itertuples():
        table.add_row(f"{row.time:%Y-%m-%d %H:%M}", row.kind, f"{row.longitude:.4f}")
    console().print(table)
