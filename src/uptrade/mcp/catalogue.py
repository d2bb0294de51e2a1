"""Resources and the prompt: the indicator catalogue, the example bot files, the backtest reports, and
``research_strategy`` (the steps of researching a strategy with the tools).

Resources are JSON (the bot files themselves are YAML). The indicator catalogue is read from the
registry and the parameter models' JSON schemas, so it lists exactly what configs accept.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

#: How many of the newest reports ``uptrade://reports`` lists.
REPORTS_LISTED = 50
#: What a schema says of a parameter that the catalogue keeps.
_SCHEMA_KEYS = ("type", "default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "description")
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _kind(spec: dict[str, Any]) -> str | None:
    """A property's type(s) from its schema (``integer``, ``string | integer``)."""
    if "type" in spec:
        return str(spec["type"])
    kinds = [str(s["type"]) for s in spec.get("anyOf", []) if "type" in s]
    return " | ".join(kinds) or None


def indicator_catalogue() -> dict[str, Any]:
    """Every indicator's inputs, outputs and parameters (type, default, range, description), the signal
    sources and combiner modes configs name, and the 34 moving-average types."""
    from uptrade.indicators.ma_types import MA_TYPES
    from uptrade.indicators.registry import INDICATORS
    from uptrade.signals.adapters import ADAPTERS
    from uptrade.signals.combine import MODES

    indicators = []
    for info in INDICATORS.values():
        schema = info.model.model_json_schema()
        params = []
        for name, spec in schema.get("properties", {}).items():
            entry: dict[str, Any] = {"name": name}
            entry.update({k: spec[k] for k in _SCHEMA_KEYS if k in spec})
            entry["type"] = _kind(spec)
            params.append(entry)
        indicators.append(
            {
                "name": info.name,
                "title": info.title,
                "inputs": list(info.inputs),
                "value": info.value,
                "outputs": list(info.show),
                "parameters": params,
            }
        )
    return {
        "indicators": indicators,
        "signal_sources": [{"name": name, "description": a.description} for name, a in ADAPTERS.items()],
        "combine_modes": list(MODES),
        "ma_types": [
            {
                "code": t.code,
                "name": t.name,
                "aliases": list(t.aliases),
                "min_window": t.min_window,
                "uses_high_low": t.uses_hl,
                "needs_volume": t.needs_volume,
            }
            for t in MA_TYPES
        ],
    }


def bots_dir() -> Path:
    """The example bot files: ``bots/`` of the examples folder ``uptrade strategies list`` reads."""
    from uptrade.research.strategies import default_dirs

    return default_dirs()[0] / "bots"


def bot_files() -> list[Path]:
    """The bot YAML files of :func:`bots_dir`, by name."""
    folder = bots_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))


def bots_listing() -> dict[str, Any]:
    """Each example bot file: its resource URI, path, description and market (or why it does not load)."""
    from uptrade.errors import UpTradeError
    from uptrade.execution.bots import BotConfig
    from uptrade.research.strategies import description

    rows = []
    for path in bot_files():
        row: dict[str, Any] = {"name": path.stem, "uri": f"uptrade://bots/{path.stem}", "path": str(path)}
        row["description"] = description(path)
        try:
            bot = BotConfig.from_yaml(path)
        except UpTradeError as exc:
            row["error"] = str(exc).removeprefix(f"{path}: ")
        else:
            row.update(
                bot=bot.name,
                controller=bot.controller_name,
                connector=bot.market.connector,
                symbol=bot.market.symbol,
                timeframe=bot.market.timeframe,
                sources=list(bot.strategy.signals.sources),
            )
        rows.append(row)
    return {"folder": str(bots_dir()), "bots": rows}


def bot_text(name: str) -> str:
    """The YAML of the example bot file ``name`` (its file name, with or without ``.yml``)."""
    files = {p.stem: p for p in bot_files()} | {p.name: p for p in bot_files()}
    path = files.get(name)
    if path is None:
        known = ", ".join(p.stem for p in bot_files()) or "none"
        raise ResourceNotFoundError(f"name: no bot file {name!r} in {bots_dir()} (files: {known})")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResourceError(f"name: {path} cannot be read ({exc.strerror})") from None


def reports_listing() -> dict[str, Any]:
    """The newest HTML reports the backtest tool wrote (``<home>/reports``): path, title, time written."""
    from uptrade.mcp.results import reports_dir

    folder = reports_dir()
    found = sorted(folder.glob("*.html"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.is_dir() else []
    rows = []
    for path in found[:REPORTS_LISTED]:
        stat = path.stat()
        rows.append(
            {
                "path": str(path),
                "title": _title(path),
                "written": datetime.fromtimestamp(stat.st_mtime, tz=UTC).isoformat(),
                "bytes": stat.st_size,
            }
        )
    return {"folder": str(folder), "total": len(found), "reports": rows}


def _title(path: Path) -> str:
    """The report's ``<title>`` (read from its head), else its file name."""
    import html

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return path.stem
    match = _TITLE.search(head)
    return html.unescape(match.group(1)).strip() if match else path.stem


def research_strategy(symbol: str) -> str:
    """Research a strategy on ``symbol``: data, indicators, a backtest, a search, a paper run."""
    return f"""Research a trading strategy on {symbol} with UpTrade's tools, one step at a time:

1. Data: call `coverage` with symbol={symbol!r} to see which timeframes are stored and over which
   period; pick a timeframe with at least a year of bars (1h is a good start). If nothing is stored,
   say so and stop: candles come first.
2. Ideas: read the resource `uptrade://indicators` (indicators, their parameters with ranges and
   defaults, the signal sources such as `sniper:minor` and `vzo:minor`, the combiner modes and the
   34 moving-average types) and `uptrade://bots` for complete example configs
   (`uptrade://bots/{{name}}` returns one file).
3. Baseline: call `backtest` with an inline `config` (symbol {symbol}, the timeframe, a start and end
   inside the stored period, `signals.sources` and `signals.combine`, and an `executor` with
   total_amount_quote, stop_loss, take_profit, time_limit and trade_cost). Read its statistics:
   net PnL, Sharpe, max drawdown, win rate, the number of trades, and the buy-and-hold benchmark.
4. Search: call `optimize` with the same config and a small `grid` (two or three dimensions, a few
   values each, e.g. `sniper:minor.length=20:40:10` and `stop_loss=0.02,0.03`); prefer points with
   enough trades (`min_trades`) and a stable neighbourhood over a single best value.
5. Check out of sample: backtest the chosen parameters on a later period the search did not see; if
   the result falls apart, the search found noise, say so.
6. Paper: turn the config into a bot file (as in `uptrade://bots`) and call `paper_start` with
   `replay_from`/`replay_to` to replay it bar by bar; `paper_status` shows its figures.
7. Report: the chosen config, its in-sample and out-of-sample statistics, the HTML report paths
   (`uptrade://reports`), and the risks (few trades, drawdown, costs). Never deploy live from here."""


def register(server: MCPServer) -> None:
    """Add the resources and the prompt to ``server``."""
    server.resource(
        "uptrade://indicators", name="indicators", title="Indicator catalogue", mime_type="application/json",
        description="Indicators with parameters (types, ranges, defaults), signal sources, combiner modes, MA types.",
    )(lambda: json.dumps(indicator_catalogue(), indent=1))  # fmt: skip
    server.resource(
        "uptrade://bots", name="bots", title="Example bot files", mime_type="application/json",
        description="The example bot configs (examples/bots): market, sources and the URI of each file.",
    )(lambda: json.dumps(bots_listing(), indent=1))  # fmt: skip
    server.resource(
        "uptrade://bots/{name}", name="bot", title="Example bot file", mime_type="application/yaml",
        description="One example bot file's YAML (name: its file name without .yml).",
    )(bot_text)  # fmt: skip
    server.resource(
        "uptrade://reports", name="reports", title="Backtest reports", mime_type="application/json",
        description="The newest HTML reports of the backtest tool: path, title, time written.",
    )(lambda: json.dumps(reports_listing(), indent=1))  # fmt: skip
    server.prompt(title="Research a strategy")(research_strategy)
