"""Research tools: ``backtest`` and ``optimize``, as ``uptrade backtest`` and ``uptrade optimize`` run them.

A config comes from a YAML file (a backtest file or a bot file, as the CLI reads them) or inline as
a mapping; ``symbol``, ``timeframe``, ``start`` and ``end`` replace its market settings for the call.
A backtest writes its HTML report under ``<home>/reports/`` (the ``uptrade://reports`` resource
lists them). ``optimize`` searches a grid of at most ``max_points`` points in a worker thread and
forwards the library's progress as MCP progress notifications. The paper tools live in
:mod:`uptrade.mcp.paper_tools` and are registered with these.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from uptrade.errors import ConfigError
from uptrade.mcp.common import store, tool_errors
from uptrade.mcp.results import BacktestStats, iso, plain, reports_dir, typed_stats

if TYPE_CHECKING:
    import pandas as pd

    from uptrade.research.config import BacktestConfig

#: Grid points ``optimize`` accepts at most (its ``max_points`` may lower it, never raise it above this).
MAX_POINTS = 2000
#: The market fields a call may override, which are also the tools' parameter names.
OVERRIDES = ("symbol", "timeframe", "start", "end")


# --------------------------------------------------------------------------- results


class BacktestRun(BaseModel):
    """One backtest (Hummingbot V2's executor rules): market, bars, statistics, signals and the report."""

    markets: list[str]
    timeframe: str
    first_bar: str
    last_bar: str
    bars: int
    trades: int
    stats: BacktestStats
    long_signals: int | None = None
    short_signals: int | None = None
    report: str | None = Field(None, description="Path of the HTML report written (None with report=false).")
    title: str


class RankedPoint(BaseModel):
    """One grid point: its rank, parameter values and the metrics ``uptrade optimize`` shows."""

    rank: int
    params: dict[str, float | int | str | bool | None]
    executors: int
    net_pnl_quote: float | None
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    max_drawdown_pct: float | None
    win_rate: float | None
    ruined: bool
    eligible: bool = Field(description="At least min_trades executors and not ruined (else ranked last).")


class OptimizeRun(BaseModel):
    """A grid search ranked by its objective (whole period), the best ``top`` points first."""

    markets: list[str]
    timeframe: str
    first_bar: str
    last_bar: str
    objective: str
    min_trades: int
    points: int
    dimensions: list[str]
    best: dict[str, float | int | str | bool | None] | None
    top: list[RankedPoint]
    notes: list[str]


# --------------------------------------------------------------------------- helpers


def load_config(
    config_path: str | None,
    config: dict[str, Any] | None,
    *,
    symbol: str | None = None,
    timeframe: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> BacktestConfig:
    """The config from ``config_path`` (a backtest or bot file) or the inline ``config`` with the overrides applied."""
    from pydantic import ValidationError

    from uptrade.execution.bots import BotConfig, bot_error, is_bot_file, load_backtest_config
    from uptrade.research.config import BacktestConfig, first_error

    if (config_path is None) == (config is None):
        raise ConfigError("config_path: give either config_path (a YAML file) or config (a mapping), not both")
    if config_path is not None:
        path = Path(config_path).expanduser()
        try:
            cfg = load_backtest_config(path)
        except ConfigError as exc:
            raise ConfigError(f"config_path: {exc}") from None
    else:
        assert config is not None
        try:
            if is_bot_file(config):
                cfg = BotConfig.model_validate(config).backtest_config()
            else:
                cfg = BacktestConfig.model_validate(config)
        except ValidationError as exc:
            what = bot_error(exc) if is_bot_file(config) else first_error(exc)
            raise ConfigError(f"config: {what}") from None
        except ConfigError as exc:
            raise ConfigError(f"config: {exc}") from None
    try:
        return cfg.with_overrides(symbol=symbol, timeframe=timeframe, start=start, end=end)
    except ConfigError as exc:
        field = str(exc).partition(":")[0]
        raise ConfigError(str(exc), param=field if field in OVERRIDES else "config") from None


def _report_path(cfg: BacktestConfig) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    market = "+".join(cfg.markets)
    return reports_dir() / f"backtest_{market}_{cfg.timeframe}_{stamp}.html"


def _span(frames: list[pd.DataFrame]) -> tuple[Any, Any]:
    return min(f.index[0] for f in frames), max(f.index[-1] for f in frames)


# --------------------------------------------------------------------------- tools


@tool_errors
def backtest(
    config_path: str | None = None,
    config: dict[str, Any] | None = None,
    symbol: str | None = None,
    timeframe: str | None = None,
    start: str | None = None,
    end: str | None = None,
    report: bool = True,
) -> BacktestRun:
    """Backtest a config (a YAML file path, or inline) on the stored candles; statistics and the HTML report's path."""
    from uptrade.research.run import load_candles, run_hummingbot

    cfg = load_config(config_path, config, symbol=symbol, timeframe=timeframe, start=start, end=end)
    if cfg.is_portfolio:
        return _portfolio(cfg, report)
    candles = load_candles(store(), cfg)
    result, signal = run_hummingbot(cfg, candles)
    first, last = candles.index[0], candles.index[-1]
    title = f"Backtest {cfg.symbol} {cfg.timeframe} {first:%Y-%m-%d}..{last:%Y-%m-%d} (hummingbot)"
    path = None
    if report:
        from uptrade.research.report import write_report

        path = write_report(
            _report_path(cfg), candles, result.executors, result.equity, result.stats, title, config=cfg
        )
    stats = typed_stats(result.stats)
    return BacktestRun(
        markets=list(cfg.markets), timeframe=cfg.timeframe, first_bar=iso(first), last_bar=iso(last),
        bars=len(candles), trades=stats.executors, stats=stats, long_signals=int((signal == 1).sum()),
        short_signals=int((signal == -1).sum()), report=None if path is None else str(path), title=title,
    )  # fmt: skip


def _portfolio(cfg: BacktestConfig, report: bool) -> BacktestRun:
    """A portfolio config's backtest: one shared account across its markets."""
    from uptrade.research.portfolio import load_markets, run_portfolio

    candles = load_markets(store(), cfg)
    result = run_portfolio(cfg, candles)
    first, last = result.equity.index[0], result.equity.index[-1]
    title = f"Portfolio {', '.join(cfg.markets)} {cfg.timeframe} {first:%Y-%m-%d}..{last:%Y-%m-%d}"
    path = None
    if report:
        from uptrade.research.report import write_portfolio_report

        path = write_portfolio_report(_report_path(cfg), result, cfg, title)
    stats = typed_stats(dict(result.stats))
    return BacktestRun(
        markets=list(cfg.markets), timeframe=cfg.timeframe, first_bar=iso(first), last_bar=iso(last),
        bars=len(result.equity), trades=stats.executors, stats=stats,
        report=None if path is None else str(path), title=title,
    )  # fmt: skip


@tool_errors
async def optimize(
    ctx: Context,
    grid: list[str],
    config_path: str | None = None,
    config: dict[str, Any] | None = None,
    objective: str = "sharpe",
    min_trades: int = 10,
    max_points: int = 200,
    top: int = 10,
    symbol: str | None = None,
    timeframe: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> OptimizeRun:
    """Grid search (e.g. grid=["sniper:minor.length=20:40:10", "stop_loss=0.02,0.03"]) ranked by objective."""
    from uptrade.research.optimize import OBJECTIVES
    from uptrade.research.space import ParamSpace

    if not 1 <= max_points <= MAX_POINTS:
        raise ConfigError(f"max_points: between 1 and {MAX_POINTS:,}, got {max_points}")
    if top < 1:
        raise ConfigError(f"top: at least 1, got {top}")
    if objective not in OBJECTIVES:
        raise ConfigError(f"objective: one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if not grid:
        raise ConfigError("grid: give at least one dimension, e.g. length=20:60:10")
    cfg = load_config(config_path, config, symbol=symbol, timeframe=timeframe, start=start, end=end)
    space = ParamSpace.parse(grid, cfg)
    size = space.grid_size
    if size is None:
        space.grid()  # names the dimension given as a range without a step
    elif size > max_points:
        raise ConfigError(f"grid: {size:,} points, more than max_points={max_points:,}; use fewer values")
    done: dict[str, tuple[int, int]] = {}

    def progress(phase: str, count: int, total: int) -> None:
        done[phase] = (count, total)
        reached = sum(c for c, _ in done.values())
        planned = sum(t for _, t in done.values())
        anyio.from_thread.run(ctx.report_progress, reached, planned, f"{phase} {count}/{total}")

    result, candles = await anyio.to_thread.run_sync(
        functools.partial(_search, cfg, space, objective, min_trades, progress)
    )
    frames = list(candles.values()) if isinstance(candles, dict) else [candles]
    first, last = _span(frames)
    return OptimizeRun(
        markets=list(cfg.markets), timeframe=cfg.timeframe, first_bar=iso(first), last_bar=iso(last),
        objective=objective, min_trades=min_trades, points=len(result.table), dimensions=space.names,
        best=None if result.best is None else {k: plain(v) for k, v in result.best.items()},
        top=_ranked(result.table, space.names, top), notes=list(result.notes),
    )  # fmt: skip


def _search(
    cfg: BacktestConfig, space: Any, objective: str, min_trades: int, progress: Callable[[str, int, int], None]
) -> tuple[Any, pd.DataFrame | dict[str, pd.DataFrame]]:
    """Read the candles and run the search (in a worker thread)."""
    from uptrade.research.optimize import optimize as run_optimize
    from uptrade.research.portfolio import load_markets
    from uptrade.research.run import load_candles

    found = store()
    candles = load_markets(found, cfg) if cfg.is_portfolio else load_candles(found, cfg)
    result = run_optimize(cfg, candles, space, objective=objective, min_trades=min_trades, progress=progress)
    return result, candles


def _ranked(table: pd.DataFrame, names: list[str], top: int) -> list[RankedPoint]:
    """The ``top`` best points of a ranked table, with the metrics of ``SHOWN_METRICS``."""
    from uptrade.research.optimize import SHOWN_METRICS

    rows = []
    for _, row in table.sort_values("rank").head(top).iterrows():
        shown = {k: plain(row[k]) for k in SHOWN_METRICS}
        shown.update(rank=int(row["rank"]), params={n: plain(row[n]) for n in names}, eligible=bool(row["eligible"]))
        rows.append(RankedPoint.model_validate(shown))
    return rows


def register(server: MCPServer) -> None:
    """Add the research tools (and the paper tools of :mod:`uptrade.mcp.paper_tools`) to ``server``."""
    from uptrade.mcp import paper_tools

    server.tool(title="Backtest")(backtest)
    server.tool(title="Optimise parameters")(optimize)
    paper_tools.register(server)


__all__ = ["MAX_POINTS", "BacktestRun", "OptimizeRun", "RankedPoint", "backtest", "load_config", "optimize", "register"]
