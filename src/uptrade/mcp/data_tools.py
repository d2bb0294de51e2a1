"""Tools on the store: what it holds, candles, backfills, indicators, cycles and astro."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from uptrade.errors import UpTradeError
from uptrade.mcp.common import MAX_ROWS, public_message, store, tool_errors

if TYPE_CHECKING:
    from uptrade.data.updater import FeedStatus

#: Consecutive failures after which a backfill gives up on its feed (as ``uptrade data backfill``).
BACKFILL_MAX_FAILURES = 6


class SeriesCoverage(BaseModel):
    """One stored series: its first and last bar (UTC, ISO-8601), rows, gaps and missing bars."""

    symbol: str
    timeframe: str
    first: str
    last: str
    rows: int
    gaps: int
    missing: int


class Coverage(BaseModel):
    """The stored series (as ``uptrade data status`` lists them)."""

    series: list[SeriesCoverage] = Field(default_factory=list)


class Symbols(BaseModel):
    """The symbols with stored candles (Hummingbot form, e.g. ``BTC-USDT``)."""

    symbols: list[str]


@tool_errors
def list_symbols() -> Symbols:
    """The symbols the store holds candles for."""
    return Symbols(symbols=store().symbols())


@tool_errors
def coverage(symbol: str | None = None) -> Coverage:
    """Every stored series (or one symbol's): first and last bar, rows, gaps, missing bars."""
    found = store()
    if symbol is not None:
        symbol = found.check_symbol(symbol)
    return Coverage(
        series=[
            SeriesCoverage(
                symbol=c.symbol, timeframe=c.timeframe, first=c.first.isoformat(), last=c.last.isoformat(),
                rows=c.rows, gaps=c.gaps, missing=c.missing,
            )
            for c in found.coverage(symbol)
        ]
    )  # fmt: skip


class Candle(BaseModel):
    """One bar: open time (UTC, ISO-8601) and its prices and volume."""

    time: str
    open: float
    high: float
    low: float
    close: float
    volume: float


class Candles(BaseModel):
    """The latest ``count`` bars of a series in the range asked for, oldest first."""

    symbol: str
    timeframe: str
    count: int
    candles: list[Candle]


@tool_errors
def get_candles(
    symbol: str, timeframe: str, start: str | None = None, end: str | None = None, limit: int = 500
) -> Candles:
    """Candles of a stored symbol at any timeframe the store holds or aggregates: the latest `limit` in [start, end]."""
    from uptrade.data.timeframes import parse_timeframe
    from uptrade.data.times import to_epoch

    if not 1 <= limit <= MAX_ROWS:
        raise ToolError(f"limit: must be between 1 and {MAX_ROWS} rows, got {limit}")
    tf = parse_timeframe(timeframe)
    lo, hi = to_epoch(start, "start"), to_epoch(end, "end")
    if lo is not None and hi is not None and hi < lo:
        raise ToolError(f"end: {end} is before start {start}")
    found = store()
    sym = found.check_symbol(symbol)
    frame = found.read_ohlcv(sym, tf, start=lo, end=hi, limit=limit)
    if frame.empty:
        where = "timeframe" if lo is None and hi is None else "start/end"
        raise ToolError(f"{where}: no {sym} {tf} candles stored (nor finer ones to aggregate) in that range")
    rows = [
        Candle(time=ts.isoformat(), open=o, high=h, low=lo_, close=c, volume=v)
        for ts, o, h, lo_, c, v in zip(
            frame.index, *(frame[n].to_numpy(dtype=float).tolist() for n in ("open", "high", "low", "close", "volume")),
            strict=True,
        )
    ]  # fmt: skip
    return Candles(symbol=sym, timeframe=tf.name, count=len(rows), candles=rows)


class Backfill(BaseModel):
    """What a backfill did: its feed's final state, rows written and the newest stored bar."""

    feed: str
    state: str
    rows_written: int
    last_candle: str | None
    lag_candles: int | None
    errors: int


@tool_errors
async def update_data(
    source: str,
    symbol: str,
    timeframe: str,
    ctx: Context,
    start: str | None = None,
    end: str | None = None,
    path: str | None = None,
) -> Backfill:
    """Backfill closed candles from a source (polygon, binance, okx, bybit; file with `path`) and repair gaps."""
    import anyio

    from uptrade.data.updater import DataUpdaterService, feeds_from_options

    config = feeds_from_options(
        source, [symbol], [timeframe], start=start, end=end, path=Path(path) if path is not None else None
    )
    feed = config.feeds[0]
    send, receive = anyio.create_memory_object_stream[tuple[float, float | None, str]](math.inf)
    written = 0

    def on_write(st: FeedStatus, rows: int) -> None:
        nonlocal written
        written += rows
        total = max(st.expected or 0, written)
        send.send_nowait((float(written), float(total), f"{st.feed}: {written:,} rows ({st.state})"))

    async def pump() -> None:
        async with receive:
            async for done, total, message in receive:
                await ctx.report_progress(done, total, message)

    service = DataUpdaterService(store(), config, once=True, max_failures=BACKFILL_MAX_FAILURES, on_write=on_write)
    async with anyio.create_task_group() as group:
        group.start_soon(pump)
        async with send:
            statuses = await service.run()
    st = statuses[feed.key]
    if st.state == "failed":
        raise ToolError(public_message(UpTradeError(f"{st.feed}: {st.last_error}")))
    await ctx.report_progress(float(written), float(max(written, 1)), f"{st.feed}: {st.state}")
    return Backfill(
        feed=st.feed, state=str(st.state), rows_written=st.rows_written,
        last_candle=None if st.last_candle is None else st.last_candle.isoformat(),
        lag_candles=st.lag_candles, errors=st.errors,
    )  # fmt: skip


def register(server: MCPServer) -> None:
    """Add this module's tools (and the analysis tools of ``analysis_tools``) to ``server``."""
    from uptrade.mcp import analysis_tools

    server.tool(title="List symbols")(list_symbols)
    server.tool(title="Coverage")(coverage)
    server.tool(title="Candles")(get_candles)
    server.tool(title="Update data (backfill)")(update_data)
    analysis_tools.register(server)
