"""What the backtest page shows, as plain functions: configs from files or controls, runs, sweeps, tables.

The page is a shell over the same calls as ``uptrade backtest`` and ``uptrade optimize``:
:func:`uptrade.execution.bots.load_backtest_config` for bot and backtest files, a
:class:`~uptrade.research.config.BacktestConfig` built from the page's controls otherwise,
:func:`~uptrade.research.run.run_hummingbot` on :func:`~uptrade.research.run.load_candles`, and
:func:`~uptrade.research.optimize.optimize` over a :class:`~uptrade.research.space.ParamSpace`.
Figures come from :mod:`uptrade.research.report_figures`, numbers are formatted by
:func:`~uptrade.research.report_format.fmt_value`, and the HTML report is the one
:func:`~uptrade.research.report.write_report` writes, so the page and the CLI never disagree.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from uptrade.errors import ConfigError, UpTradeError
from uptrade.research.config import BacktestConfig, first_error
from uptrade.research.optimize import SHOWN_METRICS
from uptrade.research.report_format import fmt_value, group_stats

if TYPE_CHECKING:
    from uptrade.data.store import Store

#: The sweep's size limit on the page: a small grid (``uptrade optimize`` searches larger ones).
MAX_SWEEP_POINTS = 200
#: Executor fields offered as sweep dimensions (in the order shown).
SWEEP_EXECUTOR = ("take_profit", "stop_loss", "time_limit", "cooldown_time", "max_executors_per_side", "trade_cost")
#: The headline statistics: (key, label).
HEADLINE = (
    ("total_return", "return"),
    ("sharpe", "Sharpe"),
    ("max_drawdown_pct", "max drawdown"),
    ("executors", "trades"),
    ("win_rate", "win rate"),
)
#: Columns of the sweep's table of best points, after the dimensions.
SWEEP_COLUMNS = (*SHOWN_METRICS, "eligible")


# ----------------------------------------------------------------- configs
def config_files(folder: Path) -> list[Path]:
    """The YAML files of ``folder`` and of its ``bots/`` folder (sorted by name, the folder's first)."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ConfigError(f"folder {root}: no such directory", param="folder")
    found: list[Path] = []
    for where in (root, root / "bots"):
        if where.is_dir():
            found += sorted(p for p in where.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))
    return found


def load_uploaded(name: str, data: bytes) -> BacktestConfig:
    """A bot or backtest file's config from its bytes; errors name the file as uploaded (not a temporary path)."""
    from uptrade.execution.bots import load_backtest_config

    with tempfile.TemporaryDirectory(prefix="uptrade-upload-") as tmp:
        path = Path(tmp) / (Path(name).name or "upload.yml")
        path.write_bytes(data)
        try:
            return load_backtest_config(path)
        except UpTradeError as exc:
            raise ConfigError(str(exc).replace(str(path), Path(name).name), param=exc.param) from None


def market_bounds(start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, str]:
    """A config's ``start`` and ``end`` (inclusive, UTC) for a range of times: ``YYYY-MM-DD HH:MM:SS``."""
    return f"{start.tz_convert('UTC'):%Y-%m-%d %H:%M:%S}", f"{end.tz_convert('UTC'):%Y-%m-%d %H:%M:%S}"


def on_market(
    cfg: BacktestConfig, symbol: str, timeframe: str, start: pd.Timestamp, end: pd.Timestamp
) -> BacktestConfig:
    """``cfg`` run on one stored market and range instead of its own (``uptrade backtest``'s overrides)."""
    lo, hi = market_bounds(start, end)
    return cfg.with_overrides(symbol=symbol, timeframe=timeframe, start=lo, end=hi)


def single_market(cfg: BacktestConfig) -> BacktestConfig:
    """``cfg`` when it trades one market; a portfolio is refused with what to do instead."""
    if cfg.is_portfolio:
        raise ConfigError(
            f"symbols: {', '.join(cfg.markets)} is a portfolio; the page backtests one market "
            "(run it on the sidebar's market, or use uptrade backtest for the portfolio)",
            param="symbols",
        )
    return cfg


def parse_pairs(text: str) -> list[str]:
    """``name=value`` items of a text, separated by commas or new lines (blanks dropped)."""
    return [part.strip() for part in re.split(r"[,\n;]", text or "") if part.strip()]


def parse_weights(text: str) -> dict[str, float] | None:
    """``source=weight`` pairs of the weighted combiner (None when empty), as the CLI's ``--weight`` reads them."""
    from uptrade.signals.params import parse_weights as parse

    return parse(parse_pairs(text), param="weights")


def fraction(percent: float | None) -> float | None:
    """A percentage as the config's fraction (3 -> 0.03); 0 or None: off."""
    return None if not percent else round(float(percent) / 100.0, 12)


def seconds(hours: float | None) -> int | None:
    """Hours as the config's whole seconds; 0 or None: off."""
    return None if not hours else round(float(hours) * 3600)


def controls_config(
    *,
    symbol: str,
    timeframe: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    sources: dict[str, str],
    combine: dict[str, Any],
    executor: dict[str, Any],
) -> BacktestConfig:
    """The config of the page's controls: one market and range, sources with ``name=value`` parameter
    texts, the combiner's and the executor's fields; ``ConfigError`` names the first bad field."""
    from uptrade.signals.params import parse_source_params

    if not sources:
        raise ConfigError("signals.sources: choose at least one signal source", param="sources")
    pairs = [f"{source}.{pair}" for source, text in sources.items() for pair in parse_pairs(text)]
    params = parse_source_params(pairs, list(sources), param="sources")
    lo, hi = market_bounds(start, end)
    raw = {
        "symbol": symbol,
        "timeframe": timeframe,
        "start": lo,
        "end": hi,
        "signals": {"sources": params, "combine": {k: v for k, v in combine.items() if v is not None}},
        "executor": executor,
    }
    try:
        return BacktestConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(first_error(exc)) from None


# ----------------------------------------------------------------- backtest
@dataclass
class BacktestRun:
    """One backtest as the page shows it: the config, statistics, curves, figures and the report's files."""

    config_json: str
    title: str
    report_name: str
    bars: int
    stats: dict[str, Any]
    hummingbot: dict[str, Any]
    executors: pd.DataFrame
    equity: pd.Series
    benchmark: pd.Series
    longs: int
    shorts: int
    figure: Any
    monthly: Any
    report_html: bytes
    executors_csv: bytes


def report_title(cfg: BacktestConfig, candles: pd.DataFrame) -> str:
    """The title ``uptrade backtest`` gives the run (and its report): market, bars' span, engine."""
    return f"{cfg.symbol} {cfg.timeframe} {candles.index[0]:%Y-%m-%d}..{candles.index[-1]:%Y-%m-%d} (hummingbot)"


def report_name(cfg: BacktestConfig, candles: pd.DataFrame) -> str:
    """The report's file name: ``backtest_BTC-USDT_1h_2025-01-01_2025-03-31.html``."""
    span = f"{candles.index[0]:%Y-%m-%d}_{candles.index[-1]:%Y-%m-%d}"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"backtest_{cfg.symbol}_{cfg.timeframe}_{span}") + ".html"


def report_files(
    name: str,
    candles: pd.DataFrame,
    executors: pd.DataFrame,
    equity: pd.Series,
    stats: dict[str, Any],
    title: str,
    cfg: BacktestConfig,
) -> tuple[bytes, bytes]:
    """The HTML report :func:`~uptrade.research.report.write_report` writes as ``name``, and its executors CSV
    (the file the report links to, :func:`~uptrade.research.report.csv_path`)."""
    from uptrade.research.report import csv_path, write_report

    with tempfile.TemporaryDirectory(prefix="uptrade-report-") as tmp:
        path = write_report(Path(tmp) / name, candles, executors, equity, stats, title, config=cfg)
        return path.read_bytes(), csv_path(path).read_bytes()


def run_config(store: Store, cfg: BacktestConfig) -> BacktestRun:
    """Backtest ``cfg`` by Hummingbot's rules on its stored candles (as ``uptrade backtest``), with its figures
    and report."""
    from uptrade.research.report_figures import backtest_figure, capital_of, monthly_figure
    from uptrade.research.run import load_candles, run_hummingbot

    cfg = single_market(cfg)
    candles = load_candles(store, cfg)
    result, signal = run_hummingbot(cfg, candles)
    title = f"Backtest {report_title(cfg, candles)}"
    name = report_name(cfg, candles)
    capital = capital_of(result.stats, result.equity, cfg)
    html, csv = report_files(name, candles, result.executors, result.equity, result.stats, title, cfg)
    return BacktestRun(
        config_json=cfg.model_dump_json(),
        title=title,
        report_name=name,
        bars=len(candles),
        stats=result.stats,
        hummingbot=result.hummingbot_summary,
        executors=result.executors,
        equity=result.equity,
        benchmark=result.benchmark,
        longs=int((signal == 1).sum()),
        shorts=int((signal == -1).sum()),
        figure=backtest_figure(candles, result.executors, result.equity, capital, cfg),
        monthly=monthly_figure(result.equity),
        report_html=html,
        executors_csv=csv,
    )


def headline(stats: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, formatted value) of the headline statistics: return, Sharpe, max drawdown, trades, win rate."""
    return [(label, fmt_value(key, stats.get(key))) for key, label in HEADLINE]


def stats_frame(stats: dict[str, Any]) -> pd.DataFrame:
    """Every statistic in its group (Returns, Risk, Trades, Benchmark, Other), formatted as the report does."""
    rows = [
        {"group": group, "statistic": key, "value": fmt_value(key, value)}
        for group, values in group_stats(stats).items()
        for key, value in values.items()
    ]
    return pd.DataFrame(rows, columns=["group", "statistic", "value"])


def summary_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """Hummingbot's own summary of the run, one formatted row per figure."""
    return pd.DataFrame(
        [{"figure": key, "value": fmt_value(key, value)} for key, value in summary.items()], columns=["figure", "value"]
    )


def drawdown(equity: pd.Series) -> pd.Series:
    """The equity's fall from its running peak, as a fraction (0 at a new high, -0.1 ten percent below)."""
    peak = equity.cummax()
    return (equity / peak - 1.0).rename("drawdown")


# ----------------------------------------------------------------- sweep
def sweep_choices(cfg: BacktestConfig) -> list[str]:
    """Names a sweep can vary in ``cfg`` (``uptrade optimize --grid``'s names): executor fields, the combiner's
    window or threshold, and each source's numeric parameters as ``SOURCE.param``."""
    from uptrade.indicators.registry import get_indicator
    from uptrade.signals.adapters import parse_source

    names = list(SWEEP_EXECUTOR)
    if cfg.executor.trailing_stop is not None:
        names += ["activation_price", "trailing_delta"]
    mode = cfg.signals.combine.mode
    names += ["confirm_window"] if mode == "confirm" else ["threshold"] if mode == "weighted" else []
    for source in cfg.signals.sources:
        for param, default in get_indicator(parse_source(source).indicator).params.items():
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                names.append(f"{source}.{param}")
    return names


def current_value(cfg: BacktestConfig, name: str) -> Any:
    """The value ``cfg`` has for a sweep name of :func:`sweep_choices` (None: off, or unknown)."""
    from uptrade.indicators.registry import get_indicator
    from uptrade.signals.adapters import parse_source

    ex = cfg.executor
    if name in ("activation_price", "trailing_delta"):
        return getattr(ex.trailing_stop, name, None)
    if name in type(ex).model_fields:
        return getattr(ex, name)
    if name in ("confirm_window", "threshold"):
        return getattr(cfg.signals.combine, name)
    source, _, param = name.rpartition(".")
    if source in cfg.signals.sources:
        params = cfg.signals.sources[source]
        return params.get(param, get_indicator(parse_source(source).indicator).params.get(param))
    return None


def suggested_values(cfg: BacktestConfig, name: str) -> str:
    """Values around the config's own for a sweep dimension (half, as is, one and a half times), each one
    the grid accepts; empty when there is no positive number to start from."""
    from uptrade.research.space import ParamSpace

    value = current_value(cfg, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return "0.02,0.04,0.06" if name in ("take_profit", "stop_loss") else ""
    candidates: tuple[Any, ...]
    if isinstance(value, int):
        low = value // 2 if name != "max_executors_per_side" else value - 1
        candidates = (max(1, low), value, value + max(1, value // 2))
    else:
        candidates = tuple(float(f"{v:.6g}") for v in (value / 2, value, value * 1.5))
    kept = []
    for v in dict.fromkeys(candidates):
        try:
            ParamSpace.parse(f"{name}={v}", cfg)
        except UpTradeError:
            continue
        kept.append(str(v))
    return ",".join(kept)


def grid_specs(dims: list[tuple[str, str]]) -> list[str]:
    """``name=values`` dimensions (``uptrade optimize --grid``) of (name, values text) rows; empty names skipped."""
    specs = []
    for name, values in dims:
        if not name:
            continue
        text = ",".join(parse_pairs(values))
        if not text:
            raise ConfigError(f"grid {name}: give its values, e.g. 0.02,0.04 or 20:40:10", param="grid")
        specs.append(f"{name}={text}")
    if not specs:
        raise ConfigError("grid: choose at least one parameter to vary", param="grid")
    return specs


@dataclass
class SweepRun:
    """A small grid search as the page shows it: the ranked table, the figures and the best point."""

    key: str
    config_json: str
    names: list[str]
    objective: str
    column: str
    table: pd.DataFrame
    best: dict[str, Any] | None
    notes: list[str]
    figures: list[Any]


def run_sweep(
    store: Store, cfg: BacktestConfig, specs: list[str], objective: str, min_trades: int, limit: int = MAX_SWEEP_POINTS
) -> SweepRun:
    """``uptrade optimize`` of ``cfg`` over the grid ``specs`` on its stored candles (at most ``limit`` points)."""
    from uptrade.research.optimize import OBJECTIVES, optimize
    from uptrade.research.report_figures import sweep_figures
    from uptrade.research.run import load_candles
    from uptrade.research.space import ParamSpace

    cfg = single_market(cfg)
    space = ParamSpace.parse(specs, cfg)
    size = space.grid_size
    if size is None:
        space.grid()  # a range without a step: refused with the grid's own message
    elif size > limit:
        raise ConfigError(
            f"grid: {size:,} points; the page runs at most {limit:,} (use uptrade optimize for more)", param="grid"
        )
    candles = load_candles(store, cfg)
    result = optimize(cfg, candles, space, objective=objective, min_trades=min_trades)
    column = OBJECTIVES[objective]
    key = sweep_key(cfg, specs, objective, min_trades)
    figures = sweep_figures(result.table, space.names, column)
    return SweepRun(
        key, cfg.model_dump_json(), space.names, objective, column, result.table, result.best, result.notes, figures
    )


def sweep_key(cfg: BacktestConfig, specs: list[str], objective: str, min_trades: int) -> str:
    """What decides a sweep's result: the config, the grid, the objective and ``min_trades``."""
    import json

    return json.dumps([cfg.model_dump_json(), specs, objective, min_trades])


def best_points(table: pd.DataFrame, names: list[str], column: str, top: int = 10) -> pd.DataFrame:
    """The ``top`` best points of a sweep's table in rank order: rank, dimensions, objective, statistics."""
    columns = ["rank", *names, *(c for c in (column, *SWEEP_COLUMNS) if c not in names)]
    shown = list(dict.fromkeys(columns))
    return table.sort_values("rank").head(top)[shown].reset_index(drop=True)


__all__ = [
    "HEADLINE",
    "MAX_SWEEP_POINTS",
    "BacktestRun",
    "SweepRun",
    "best_points",
    "config_files",
    "controls_config",
    "current_value",
    "drawdown",
    "fraction",
    "grid_specs",
    "headline",
    "load_uploaded",
    "market_bounds",
    "on_market",
    "parse_pairs",
    "parse_weights",
    "report_files",
    "report_name",
    "report_title",
    "run_config",
    "run_sweep",
    "seconds",
    "single_market",
    "stats_frame",
    "suggested_values",
    "summary_frame",
    "sweep_choices",
    "sweep_key",
]
