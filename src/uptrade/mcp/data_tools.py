"""Tools on the store: what it holds, candles, backfills, indicators, cycles and astro."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from uptrade.mcp.common import store, tool_errors


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


def register(server: MCPServer) -> None:
    """Add this module's tools to ``server``."""
    server.tool(title="List symbols")(list_symbols)
    server.tool(title="Coverage")(coverage)
