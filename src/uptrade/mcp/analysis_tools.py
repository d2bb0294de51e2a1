"""Tools that compute on stored candles or the ephemeris: indicators, dominant cycles, planets, aspects.

Each calls the library functions the matching ``uptrade`` command uses (``indicators run``,
``cycles``, ``astro positions``, ``astro aspects``) and bounds what it returns.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

from uptrade.mcp.common import MAX_ROWS, tool_errors
from uptrade.mcp.common import store as opened_store
from uptrade.mcp.results import plain

#: Longest span ``aspects`` searches (days): a year and a day.
MAX_ASPECT_DAYS = 366
#: Most aspect events one call returns.
MAX_EVENTS = 2000
#: Longest window ``detect_cycles`` reads per timeframe (bars).
MAX_WINDOW = MAX_ROWS


class IndicatorRow(BaseModel):
    """One bar: open time (UTC, ISO-8601), the indicator's shown outputs, the boolean outputs that are set."""

    time: str
    values: dict[str, float | int | bool | None]
    flags: list[str]


class SignalEvent(BaseModel):
    """A bar with a non-zero signal: 1 long, -1 short."""

    time: str
    signal: int
    close: float


class IndicatorResult(BaseModel):
    """The latest rows of an indicator's outputs, its recent signals and the signal counts over all bars."""

    indicator: str
    title: str
    symbol: str
    timeframe: str
    bars: int
    params: dict[str, Any]
    columns: list[str]
    rows: list[IndicatorRow]
    recent_signals: list[SignalEvent]
    long: int
    short: int


@tool_errors
def run_indicator(
    symbol: str, timeframe: str, indicator: str, params: dict[str, Any] | None = None, last: int = 10
) -> IndicatorResult:
    """Run a registered indicator on stored candles: latest outputs, recent signals, long/short counts."""
    from uptrade.data.timeframes import parse_timeframe
    from uptrade.indicators.registry import get_indicator
    from uptrade.signals import indicator_frame

    if not 1 <= last <= MAX_ROWS:
        raise ToolError(f"last: must be between 1 and {MAX_ROWS} rows, got {last}")
    info = get_indicator(indicator)
    given = info.model.given(params or {}, info.name)
    tf = parse_timeframe(timeframe)
    found = opened_store()
    sym = found.check_symbol(symbol)
    frame = found.read_ohlcv(sym, tf)
    if frame.empty:
        raise ToolError(f"timeframe: no {sym} {tf} candles stored (nor finer ones to aggregate)")
    result = indicator_frame(frame, info.name, **given)
    cols = list(info.show)
    flags = [c for c in result.columns if result[c].dtype == bool]
    shown = result.tail(last)
    cells = {c: shown[c].tolist() for c in [*cols, *flags]}  # per column: ints stay ints
    rows = [
        IndicatorRow(
            time=ts.isoformat(),
            values={c: plain(cells[c][i]) for c in cols},
            flags=[c for c in flags if cells[c][i]],
        )
        for i, ts in enumerate(shown.index)
    ]
    fired = result[result["signal"] != 0].tail(last)
    signals = [
        SignalEvent(time=ts.isoformat(), signal=int(s), close=float(c))
        for ts, s, c in zip(fired.index, fired["signal"], fired["close"], strict=True)
    ]
    counts = result["signal"].value_counts()
    return IndicatorResult(
        indicator=info.name, title=info.title, symbol=sym, timeframe=tf.name, bars=len(frame),
        params={**info.params, **given}, columns=cols, rows=rows, recent_signals=signals,
        long=int(counts.get(1, 0)), short=int(counts.get(-1, 0)),
    )  # fmt: skip


class CycleRow(BaseModel):
    """One timeframe's dominant cycle as of its last bar."""

    timeframe: str
    time: str
    bars: int
    period_bars: float
    period_minutes: float
    power: float
    hurst_cycle: str


class Cycles(BaseModel):
    """Dominant cycles per timeframe, the skipped timeframes with the reason, and their composite."""

    symbol: str
    method: str
    rows: list[CycleRow]
    skipped: dict[str, str]
    composite_period_minutes: float
    suggested_length: int
    base_timeframe: str


@tool_errors
def detect_cycles(
    symbol: str,
    timeframes: list[str] | None = None,
    method: str = "goertzel",
    window: int = 618,
    min_period: float = 8.0,
    end: str | None = None,
    base: str | None = None,
    whiten: bool = True,
) -> Cycles:
    """Dominant cycle per timeframe (default 1h, 4h, 1d) of a stored symbol and their power-weighted composite."""
    from uptrade.data.times import to_epoch
    from uptrade.indicators.cycles import MTFCycleDetector

    if not 1 <= window <= MAX_WINDOW:
        raise ToolError(f"window: must be between 1 and {MAX_WINDOW} bars, got {window}")
    to_epoch(end, "end")
    detector = MTFCycleDetector(
        timeframes or ["1h", "4h", "1d"], base_timeframe=base, method=method, window=window,
        min_period=min_period, whiten=whiten,
    )  # fmt: skip
    found = opened_store()
    sym = found.check_symbol(symbol)
    got = detector.detect_store(found, sym, end=end)
    rows = [
        CycleRow(
            timeframe=str(tf),
            time=r.time.isoformat(),
            bars=int(r.bars),
            period_bars=float(r.period_bars),
            period_minutes=float(r.period_minutes),
            power=float(r.power),
            hurst_cycle=str(r.hurst_cycle),
        )
        for tf, r in got.table.iterrows()
    ]
    return Cycles(
        symbol=sym, method=got.method, rows=rows, skipped=dict(got.skipped),
        composite_period_minutes=float(got.composite_period_minutes), suggested_length=int(got.suggested_length),
        base_timeframe=got.base_timeframe,
    )  # fmt: skip


class Position(BaseModel):
    """A body's geocentric ecliptic longitude (degrees), sign and place in it, speed (degrees/day)."""

    body: str
    longitude: float
    sign: str
    degree: int
    minute: int
    speed: float
    retrograde: bool
    nakshatra: str | None = None


class Positions(BaseModel):
    """Every asked body at one instant (UTC, ISO-8601) in the tropical or sidereal (Lahiri) zodiac."""

    at: str
    frame: str
    positions: list[Position]


@tool_errors
def planet_positions(at: str, bodies: list[str] | None = None, frame: str = "tropical") -> Positions:
    """Longitude, sign, speed and retrograde flag of the planets and nodes at one instant (1900-2050)."""
    from uptrade.data.times import from_epoch, to_epoch
    from uptrade.indicators.astro import BODIES, check_body, check_frame, nakshatra, planet_longitude, speed, zodiac

    fr = check_frame(frame)
    when = from_epoch(to_epoch(at, "at"))
    names = [check_body(b) for b in bodies] if bodies else list(BODIES)
    out = []
    for body in dict.fromkeys(names):
        lon = float(planet_longitude(when, body, frame=fr))
        spd = float(speed(when, body, frame=fr))
        z = zodiac(lon).iloc[0]
        nak = None
        if fr == "sidereal":
            n = nakshatra(lon).iloc[0]
            nak = f"{n['number']} {n['name']} (pada {n['pada']})"
        out.append(
            Position(
                body=body,
                longitude=lon,
                sign=str(z["sign"]),
                degree=int(z["degree"]),
                minute=int(z["minute"]),
                speed=spd,
                retrograde=spd < 0,
                nakshatra=nak,
            )
        )
    return Positions(at=when.isoformat(), frame=fr, positions=out)


class AspectEvent(BaseModel):
    """The instant (UTC, to the minute) two bodies' longitudes are an aspect apart."""

    time: str
    body_a: str
    aspect: str
    body_b: str
    angle: float
    lon_a: float
    lon_b: float


class Aspects(BaseModel):
    """Aspect events between every pair of the bodies in [start, end], by time."""

    start: str
    end: str
    count: int
    events: list[AspectEvent]


@tool_errors
def aspects(start: str, end: str, bodies: list[str] | None = None, aspects: list[str] | None = None) -> Aspects:
    """Exact aspect times between every pair of bodies (default sun, moon, mars) over at most a year."""
    import itertools

    import pandas as pd

    from uptrade.data.times import from_epoch, to_epoch
    from uptrade.indicators.astro_events import aspect_events

    t0, t1 = to_epoch(start, "start"), to_epoch(end, "end")
    if t1 - t0 > MAX_ASPECT_DAYS * 86_400:
        raise ToolError(f"end: at most {MAX_ASPECT_DAYS} days after start, got {(t1 - t0) / 86_400:.0f}")
    names = list(dict.fromkeys(bodies if bodies is not None else ["sun", "moon", "mars"]))
    if len(names) < 2:
        raise ToolError(f"bodies: give at least two different bodies, got {names}")
    frames = [aspect_events(a, b, start, end, aspects) for a, b in itertools.combinations(names, 2)]
    found = [f for f in frames if len(f)]
    events = pd.concat(found, ignore_index=True).sort_values("time", kind="stable") if found else None
    count = 0 if events is None else len(events)
    if count > MAX_EVENTS:
        raise ToolError(f"end: {count} events is more than {MAX_EVENTS}; shorten the range or pass fewer bodies")
    rows = (
        []
        if events is None
        else [
            AspectEvent(
                time=r.time.isoformat(),
                body_a=r.body_a,
                aspect=r.aspect,
                body_b=r.body_b,
                angle=float(r.angle),
                lon_a=float(r.lon_a),
                lon_b=float(r.lon_b),
            )
            for r in events.itertuples()
        ]
    )
    return Aspects(start=from_epoch(t0).isoformat(), end=from_epoch(t1).isoformat(), count=count, events=rows)


def register(server: MCPServer) -> None:
    """Add this module's tools to ``server``."""
    server.tool(title="Run an indicator")(run_indicator)
    server.tool(title="Dominant cycles")(detect_cycles)
    server.tool(title="Planet positions")(planet_positions)
    server.tool(title="Aspect events")(aspects)
