"""Optimisation: grid and random search, walk-forward, locally on all cores or on a Dask cluster.

``optimize(cfg, candles, space, ...)`` backtests every point of a :class:`ParamSpace` with the
Hummingbot-faithful engine and ranks them by an objective (``sharpe``, ``sortino``, ``calmar`` or
``net_pnl``); points whose account was ruined (:mod:`uptrade.research.backtest`) or with fewer
than ``min_trades`` executors are kept in the table but marked ineligible and always ranked after
every eligible point, whatever the objective.

How the work is split:

1. **Signal sets.** Points that differ only in executor settings share one combined signal, so
   each distinct (sources, parameters, combiner) set is computed once, and each source signal
   once per parameter set. Indicators are causal, so a signal computed on the whole history and
   cut to a window equals one computed with that window's own warm-up history.
2. **Backtests.** Every (point, window) pair goes to one compiled call
   (:mod:`uptrade.research.sweep_nb`) that runs the event loop, marks the equity and reduces it
   to statistics, in parallel over all cores. The first window is always the whole period;
   walk-forward adds a train and a test window per fold.
3. **Dask** (``cluster=`` an address such as ``tcp://host:port``, or a ``distributed`` cluster
   object): the signal sets are cut into chunks; each task computes its chunk's signals and
   backtests on a worker (one thread per task, since the workers are the parallelism), and the
   client puts the rows back in point order. The table is identical to the local run's, bit for
   bit, because every pair is computed by the same function from the same inputs.

Walk-forward (:class:`WalkForward`): rolling (or anchored) train and test windows; on each fold the
best eligible point on the train window is chosen and scored on the test window that follows, and
the fold table shows both, with where the chosen point ranks among all points on the test window
(``oos_percentile``: 1.0 best, 0.0 worst), so overfitting is visible rather than hidden. The
headline is the out-of-sample equity: each fold's chosen point traded on its test window, the
windows' returns chained into one curve (``oos_equity``, from the initial capital), with its
statistics (``oos_stats``) beside the in-sample means of the same figures (``is_stats``).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from uptrade.data.timeframes import parse_timeframe
from uptrade.errors import ConfigError, NoDataError
from uptrade.research.backtest import engine_bars
from uptrade.research.config import BacktestConfig
from uptrade.research.engine_nb import EXECUTOR_ROW, X_INITIAL_CAPITAL, trade_account_nb
from uptrade.research.portfolio import run_portfolio
from uptrade.research.run import combined_signal
from uptrade.research.space import ParamSpace, signal_key
from uptrade.research.stats import equity_stats
from uptrade.research.sweep_nb import METRICS, sweep_parallel_nb, sweep_serial_nb

#: Objective name -> metric column (all are maximised).
OBJECTIVES = {"sharpe": "sharpe", "sortino": "sortino", "calmar": "calmar", "net_pnl": "net_pnl_quote"}
#: The metrics a ranking shows beside each point's dimensions (``uptrade optimize``, the dashboard's sweep).
SHOWN_METRICS = ("executors", "net_pnl_quote", "sharpe", "sortino", "calmar", "max_drawdown_pct", "win_rate", "ruined")
Progress = Callable[[str, int, int], None]
EXECUTORS, RUINED, NET_PNL = METRICS.index("executors"), METRICS.index("ruined"), METRICS.index("net_pnl_quote")


@dataclass(frozen=True)
class WalkForward:
    """Train/test windows: sizes in bars (``int``) or durations (``pd.Timedelta``); ``step`` defaults to ``test``."""

    train: int | pd.Timedelta
    test: int | pd.Timedelta
    step: int | pd.Timedelta | None = None
    anchored: bool = False

    @classmethod
    def parse(cls, text: str) -> WalkForward:
        """``train=365d,test=90d[,step=30d][,anchored]`` (durations like ``12h``, ``90d``, ``8w`` or bar counts)."""
        fields: dict[str, Any] = {}
        for raw in text.split(","):
            token = raw.strip()
            if not token:
                continue
            key, sep, value = token.partition("=")
            key = key.strip().lower()
            if key == "anchored" and not sep:
                fields["anchored"] = True
                continue
            if key not in ("train", "test", "step") or not sep:
                raise ConfigError(
                    f"walk_forward {token!r}: expected train=..., test=..., step=... or anchored", param="walk_forward"
                )
            fields[key] = _size(f"walk_forward {key}", value.strip())
        for key in ("train", "test"):
            if key not in fields:
                raise ConfigError(f"walk_forward: {key}= is missing (e.g. train=365d,test=90d)", param="walk_forward")
        kinds = {type(v) for k, v in fields.items() if k != "anchored"}
        if len(kinds) > 1:
            raise ConfigError(
                "walk_forward: give every size in bars or every size as a duration, not both", param="walk_forward"
            )
        return cls(**fields)

    def folds(self, index: pd.DatetimeIndex) -> list[tuple[int, int, int, int]]:
        """(train lo, train hi, test lo, test hi) bar positions, half-open, in time order."""
        n = len(index)
        step = self.step if self.step is not None else self.test
        out = []
        if isinstance(self.train, int):
            start = 0
            while start + self.train + self.test <= n:
                lo = 0 if self.anchored else start
                out.append((lo, start + self.train, start + self.train, start + self.train + self.test))
                start += step
        else:
            t0, t_end = index[0], index[-1]
            k = 0
            while True:
                train_start = t0 + k * step
                test_start = train_start + self.train
                test_end = test_start + self.test
                if test_end > t_end + (index[-1] - index[-2] if n > 1 else pd.Timedelta(0)):
                    break
                lo = 0 if self.anchored else int(index.searchsorted(train_start))
                a, b = int(index.searchsorted(test_start)), int(index.searchsorted(test_end))
                out.append((lo, a, a, b))
                k += 1
        out = [f for f in out if f[1] - f[0] >= 2 and f[3] - f[2] >= 2]
        if not out:
            raise ConfigError(
                f"walk_forward: train {self.train} + test {self.test} do not fit in the {n:,} bars "
                f"({index[0]:%Y-%m-%d}..{index[-1]:%Y-%m-%d})",
                param="walk_forward",
            )
        return out


def _size(name: str, text: str) -> int | pd.Timedelta:
    if re.fullmatch(r"\d+", text):
        value = int(text)
        if value < 2:
            raise ConfigError(f"{name}: at least 2 bars, got {text}", param="walk_forward")
        return value
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(m|min|h|d|w)", text.lower())
    if not m:
        raise ConfigError(
            f"{name}: {text!r} is neither a bar count nor a duration like 12h, 90d or 8w", param="walk_forward"
        )
    unit = {"m": "min", "min": "min", "h": "h", "d": "D", "w": "W"}[m.group(2)]
    value = pd.Timedelta(float(m.group(1)), unit=unit)
    if value <= pd.Timedelta(0):
        raise ConfigError(f"{name}: must be positive, got {text}", param="walk_forward")
    return value


class OptimizeResult(NamedTuple):
    """The ranked table of every point (whole period), the best point and the walk-forward folds,
    with the stitched out-of-sample equity and its statistics (in-sample means beside)."""

    table: pd.DataFrame
    best: dict[str, Any] | None
    objective: str
    min_trades: int
    folds: pd.DataFrame | None
    walk_forward: dict[str, float] | None
    points: list[dict[str, Any]]
    notes: list[str]
    oos_equity: pd.Series | None = None
    oos_stats: dict[str, Any] | None = None
    is_stats: dict[str, Any] | None = None


@dataclass
class _Plan:
    points: list[dict[str, Any]]
    sets: list[BacktestConfig]  # one config per distinct signal set
    rows: np.ndarray  # point -> signal set
    params: np.ndarray  # point -> executor row (engine_nb.EXECUTOR_ROW)


def plan(space: ParamSpace, points: list[dict[str, Any]]) -> _Plan:
    """Configs of the points, grouped into distinct signal sets (fails on the first invalid point)."""
    keys: dict[str, int] = {}
    sets: list[BacktestConfig] = []
    rows = np.empty(len(points), dtype=np.int64)
    params = np.empty((len(points), len(EXECUTOR_ROW)))
    for i, point in enumerate(points):
        cfg = space.apply(point)
        key = signal_key(cfg)
        if key not in keys:
            keys[key] = len(sets)
            sets.append(cfg)
        rows[i] = keys[key]
        params[i] = cfg.kernel_row()
    return _Plan(points, sets, rows, params)


class _Bars(NamedTuple):
    candles: pd.DataFrame  # as given (the indicators need every column)
    keep: np.ndarray  # bars the engine keeps
    ts: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


def _bars(candles: pd.DataFrame) -> _Bars:
    b = engine_bars(candles)
    return _Bars(candles, b.keep, b.ts, b.high, b.low, b.close)


def signal_matrix(
    candles: pd.DataFrame, keep: np.ndarray, sets: list[BacktestConfig], progress: Progress | None = None
) -> np.ndarray:
    """The combined int8 signal of every set on the kept bars (each source signal computed once)."""
    cache: dict[str, pd.Series] = {}
    out = np.empty((len(sets), int(keep.sum())), dtype=np.int8)
    for i, cfg in enumerate(sets):
        out[i] = combined_signal(candles, cfg, cache)[0].to_numpy()[keep]
        if progress:
            progress("signals", i + 1, len(sets))
    return out


def _digests(signals: np.ndarray) -> list[str]:
    return [hashlib.blake2b(row.tobytes(), digest_size=16).hexdigest() for row in signals]


def evaluate_chunk(
    candles: pd.DataFrame,
    sets: list[BacktestConfig],
    rows: np.ndarray,
    params: np.ndarray,
    windows: np.ndarray,
    bar_seconds: float,
) -> tuple[np.ndarray, list[str]]:
    """One Dask task: the statistics of its (point, window) pairs on one thread, and its signals' digests."""
    bars = _bars(candles)
    signals = signal_matrix(candles, bars.keep, sets)
    out = sweep_serial_nb(bars.ts, bars.high, bars.low, bars.close, signals, rows, params, windows, bar_seconds)
    return out, _digests(signals)


def _run_local(
    bars: _Bars, p: _Plan, windows: np.ndarray, bar_seconds: float, progress: Progress | None
) -> tuple[np.ndarray, list[str]]:
    signals = signal_matrix(bars.candles, bars.keep, p.sets, progress)
    n = len(p.points)
    out = np.empty((n * len(windows), len(METRICS)))
    step = max(1, math.ceil(n / 50))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        out[lo * len(windows) : hi * len(windows)] = sweep_parallel_nb(
            bars.ts, bars.high, bars.low, bars.close, signals, p.rows[lo:hi], p.params[lo:hi], windows, bar_seconds
        )
        if progress:
            progress("backtests", hi, n)
    return out, _digests(signals)


def _run_dask(
    cluster: Any, bars: _Bars, p: _Plan, windows: np.ndarray, bar_seconds: float, progress: Progress | None
) -> tuple[np.ndarray, list[str]]:
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise ConfigError(
            "cluster: needs dask[distributed] (pip install 'dask[distributed]')", param="cluster"
        ) from None
    try:
        client = Client(cluster, timeout=10, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cluster {cluster}: cannot reach the Dask scheduler ({exc})", param="cluster") from None
    try:
        workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        n_sets = len(p.sets)
        per = max(1, math.ceil(n_sets / (4 * workers)))
        remote = client.scatter(bars.candles, broadcast=True)
        futures = {}
        for first in range(0, n_sets, per):
            ids = np.arange(first, min(n_sets, first + per))
            members = np.flatnonzero(np.isin(p.rows, ids))
            fut = client.submit(
                evaluate_chunk,
                remote,
                [p.sets[i] for i in ids],
                p.rows[members] - first,
                p.params[members],
                windows,
                bar_seconds,
                pure=False,
            )
            futures[fut] = (ids, members)
        out = np.empty((len(p.points) * len(windows), len(METRICS)))
        digests = [""] * n_sets
        done = 0
        for fut in as_completed(list(futures), loop=client.loop):
            ids, members = futures[fut]
            block, their = fut.result()
            out.reshape(len(p.points), len(windows), len(METRICS))[members] = block.reshape(
                len(members), len(windows), len(METRICS)
            )
            for i, digest in zip(ids, their, strict=True):
                digests[i] = digest
            done += len(members)
            if progress:
                progress("backtests", done, len(p.points))
        return out, digests
    finally:
        client.close()


def _ranked(table: pd.DataFrame, column: str) -> pd.Series:
    """1 = best: eligible first, then the objective descending (NaN last), then the point number."""
    score = table[column].to_numpy(dtype=np.float64)
    order = np.lexsort(
        (table.index.to_numpy(), np.where(np.isnan(score), np.inf, -score), ~table["eligible"].to_numpy())
    )
    rank = np.empty(len(table), dtype=np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    return pd.Series(rank, index=table.index)


def _frame(p: _Plan, space: ParamSpace, metrics: np.ndarray, min_trades: int, column: str) -> pd.DataFrame:
    table = pd.DataFrame([{name: point[name] for name in space.names} for point in p.points])
    table.insert(0, "signal_set", p.rows)
    for k, name in enumerate(METRICS):
        table[name] = metrics[:, k]
    table["executors"] = table["executors"].astype(np.int64)
    table["ruined"] = table["ruined"].astype(bool)
    table["max_drawdown_bars"] = table["max_drawdown_bars"].astype(np.int64)
    table["eligible"] = (table["executors"] >= min_trades) & ~table["ruined"]
    table["rank"] = _ranked(table, column)
    table.index.name = "point"
    return table


def optimize(
    cfg: BacktestConfig,
    candles: pd.DataFrame | dict[str, pd.DataFrame],
    space: ParamSpace,
    *,
    objective: str = "sharpe",
    min_trades: int = 1,
    random: int | None = None,
    seed: int = 0,
    walk_forward: WalkForward | None = None,
    cluster: Any = None,
    progress: Progress | None = None,
) -> OptimizeResult:
    """Search ``space`` (the grid, or ``random`` points) and rank it by ``objective`` (module docstring)."""
    if objective not in OBJECTIVES:
        raise ConfigError(f"objective: must be one of {', '.join(OBJECTIVES)}, got {objective!r}", param="objective")
    if min_trades < 0:
        raise ConfigError(f"min_trades: must be >= 0, got {min_trades}", param="min_trades")
    column = OBJECTIVES[objective]
    points = space.sample(random, seed) if random is not None else space.grid()
    p = plan(space, points)
    if isinstance(candles, dict):
        if walk_forward is not None or cluster is not None:
            name = "walk_forward" if walk_forward is not None else "cluster"
            raise ConfigError(f"{name}: a portfolio is searched on its whole period, on this machine", param=name)
        return _optimize_portfolio(cfg, candles, space, p, objective, min_trades, progress)
    bars = _bars(candles)
    n = len(bars.ts)
    if n < 2:
        raise NoDataError(f"{cfg.symbol} {cfg.timeframe}: {n} bar(s) with prices; a backtest needs at least 2")
    bar_seconds = float(parse_timeframe(cfg.timeframe).seconds)
    index = candles.index[bars.keep]
    folds = walk_forward.folds(index) if walk_forward is not None else []
    windows = np.array([(0, n)] + [w for f in folds for w in ((f[0], f[1]), (f[2], f[3]))], dtype=np.int64)
    if cluster is None:
        metrics, digests = _run_local(bars, p, windows, bar_seconds, progress)
    else:
        metrics, digests = _run_dask(cluster, bars, p, windows, bar_seconds, progress)
    metrics = metrics.reshape(len(points), len(windows), len(METRICS))
    table = _frame(p, space, metrics[:, 0], min_trades, column)
    top = table.index[table["rank"] == 1][0]
    best = dict(points[top]) if table.at[top, "eligible"] else None
    fold_table = summary = oos_equity = oos_stats = is_stats = None
    if folds:
        fold_table, summary = _walk_forward(p, space, metrics, folds, index, min_trades, column)
        chosen = [None if pd.isna(v) else int(v) for v in fold_table["point"]]
        oos_equity = stitched_equity(bars, p, chosen, folds, index)
        oos_stats, is_stats = _headline(oos_equity, fold_table, chosen, metrics, bar_seconds)
    notes = [
        f"{name}: every value gave the same signals, so it changes nothing here (only costs time)"
        for name in inert_dimensions(space, p, digests)
    ]
    ruined = int(table["ruined"].sum())
    if ruined:
        notes.append(f"{ruined:,} of {len(table):,} points ruined the account (liquidated): ranked last")
    if not table["eligible"].any():
        notes.append(f"no point has {min_trades} or more executors without ruining the account: there is no best point")
    return OptimizeResult(
        table, best, objective, min_trades, fold_table, summary, points, notes, oos_equity, oos_stats, is_stats
    )


def _optimize_portfolio(
    cfg: BacktestConfig,
    candles: dict[str, pd.DataFrame],
    space: ParamSpace,
    p: _Plan,
    objective: str,
    min_trades: int,
    progress: Progress | None,
) -> OptimizeResult:
    """Every point of a portfolio config through :func:`~uptrade.research.portfolio.run_portfolio` (one shared
    account per point; each market's source signals computed once per parameter set), ranked as a single market's."""
    column = OBJECTIVES[objective]
    bar = pd.Timedelta(seconds=parse_timeframe(cfg.timeframe).seconds)
    caches: dict[str, dict[str, pd.Series]] = {}
    metrics = np.empty((len(p.points), len(METRICS)))
    for i, point in enumerate(p.points):
        stats = run_portfolio(space.apply(point), candles, caches).stats
        values = {
            **stats,
            "ruined": float(bool(stats["ruined"])),
            "max_drawdown_bars": stats["max_drawdown_duration"] / bar,
        }
        metrics[i] = [values[name] for name in METRICS]
        if progress:
            progress("backtests", i + 1, len(p.points))
    table = _frame(p, space, metrics, min_trades, column)
    top = table.index[table["rank"] == 1][0]
    best = dict(p.points[top]) if table.at[top, "eligible"] else None
    notes = []
    ruined = int(table["ruined"].sum())
    if ruined:
        notes.append(f"{ruined:,} of {len(table):,} points ruined the shared account (liquidated): ranked last")
    if not table["eligible"].any():
        notes.append(f"no point has {min_trades} or more executors without ruining the account: there is no best point")
    return OptimizeResult(table, best, objective, min_trades, None, None, p.points, notes)


def stitched_equity(
    bars: _Bars,
    p: _Plan,
    chosen: list[int | None],
    windows: list[tuple[int, int, int, int]],
    index: pd.DatetimeIndex,
) -> pd.Series:
    """Each fold's chosen point (``None``: none) traded on its test window (up to the next fold's), returns chained.

    Starts at the first chosen point's initial capital; a fold without an eligible point on its
    train window stays out of the market (flat).
    """
    ids = sorted({p.rows[c] for c in chosen if c is not None})
    rows = dict(zip(ids, signal_matrix(bars.candles, bars.keep, [p.sets[i] for i in ids]), strict=True))
    first = next((c for c in chosen if c is not None), None)
    level = float(p.params[first][X_INITIAL_CAPITAL]) if first is not None else 1.0
    # a test window ends where the next fold's begins (folds stepped by less than test overlap)
    spans = [(w[2], min(w[3], windows[f + 1][2]) if f + 1 < len(windows) else w[3]) for f, w in enumerate(windows)]
    parts = []
    for c, (lo, hi) in zip(chosen, spans, strict=True):
        if c is None:
            segment = np.ones(hi - lo)
        else:
            x = p.params[c]
            sig = rows[p.rows[c]]
            close = bars.close[lo:hi]
            value = trade_account_nb(
                bars.ts[lo:hi], bars.high[lo:hi], bars.low[lo:hi], close, close.reshape(-1, 1), sig[lo:hi], x
            )[6]
            segment = value / x[X_INITIAL_CAPITAL]
        parts.append(level * segment)
        level = float(parts[-1][-1])
    values = np.concatenate(parts) if parts else np.empty(0)
    positions = np.concatenate([np.arange(lo, hi) for lo, hi in spans]) if spans else np.empty(0, dtype=np.int64)
    return pd.Series(values, index=index[positions], name="oos_equity")


def _headline(
    oos: pd.Series, folds: pd.DataFrame, chosen: list[int | None], metrics: np.ndarray, bar_seconds: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Statistics of the stitched out-of-sample equity, and the same figures' in-sample means over the folds."""
    oos_stats: dict[str, Any] = equity_stats(oos, int(bar_seconds))
    oos_stats["executors"] = int(folds["oos_executors"].sum())
    oos_stats["ruined_folds"] = int(folds["oos_ruined"].sum())
    names = ("total_return", "cagr", "volatility", "sharpe", "sortino", "calmar", "max_drawdown_pct")
    is_stats: dict[str, Any] = {}
    for name in names:
        k = METRICS.index(name)
        vals = np.array([metrics[c, 1 + 2 * f, k] for f, c in enumerate(chosen) if c is not None], dtype=float)
        finite = vals[np.isfinite(vals)]
        is_stats[name] = float(finite.mean()) if finite.size else np.nan
    is_stats["executors"] = float(np.nanmean(folds["is_executors"].to_numpy(dtype=float)))
    return oos_stats, is_stats


def inert_dimensions(space: ParamSpace, p: _Plan, digests: list[str]) -> list[str]:
    """Signal dimensions whose values never change the signal when the other dimensions are held fixed."""
    out = []
    for d in space.dims:
        if d.target not in ("source", "combine"):
            continue
        groups: dict[str, set[str]] = {}
        values: dict[str, set[str]] = {}
        for i, point in enumerate(p.points):
            rest = repr([point[n] for n in space.names if n != d.name])
            groups.setdefault(rest, set()).add(digests[p.rows[i]])
            values.setdefault(rest, set()).add(repr(point[d.name]))
        varied = [k for k in groups if len(values[k]) > 1]
        if varied and all(len(groups[k]) == 1 for k in varied):
            out.append(d.name)
    return out


def _walk_forward(
    p: _Plan,
    space: ParamSpace,
    metrics: np.ndarray,
    folds: list[tuple[int, int, int, int]],
    index: pd.DatetimeIndex,
    min_trades: int,
    column: str,
) -> tuple[pd.DataFrame, dict[str, float]]:
    k = METRICS.index(column)
    rows = []
    for f, (a, b, c, d) in enumerate(folds):
        train = _frame(p, space, metrics[:, 1 + 2 * f], min_trades, column)
        test = metrics[:, 2 + 2 * f]
        row: dict[str, Any] = {
            "fold": f + 1,
            "train_start": index[a],
            "train_end": index[b - 1],
            "test_start": index[c],
            "test_end": index[d - 1],
        }
        chosen = train.index[train["rank"] == 1][0]
        if not train.at[chosen, "eligible"]:
            row.update(dict.fromkeys(space.names))
            row.update(is_objective=np.nan, oos_objective=np.nan, oos_percentile=np.nan)
            row.update(is_executors=0, oos_executors=0, is_net_pnl_quote=np.nan, oos_net_pnl_quote=np.nan)
            row.update(point=np.nan, oos_ruined=False)
            rows.append(row)
            continue
        row.update(p.points[chosen])
        scores = test[:, k]
        valid = ~np.isnan(scores)
        mine = scores[chosen]
        pct = (
            float((scores[valid] < mine).sum() / max(1, valid.sum() - 1))
            if valid.sum() > 1 and not np.isnan(mine)
            else np.nan
        )
        row.update(
            point=int(chosen),
            is_objective=float(metrics[chosen, 1 + 2 * f, k]),
            oos_objective=float(mine),
            oos_percentile=pct,
            is_executors=int(metrics[chosen, 1 + 2 * f, EXECUTORS]),
            oos_executors=int(test[chosen, EXECUTORS]),
            is_net_pnl_quote=float(metrics[chosen, 1 + 2 * f, NET_PNL]),
            oos_net_pnl_quote=float(test[chosen, NET_PNL]),
            oos_ruined=bool(test[chosen, RUINED]),
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    finite = lambda s: s[np.isfinite(s.to_numpy(dtype=float))]  # noqa: E731
    is_mean = float(finite(table["is_objective"]).mean()) if len(finite(table["is_objective"])) else np.nan
    oos_mean = float(finite(table["oos_objective"]).mean()) if len(finite(table["oos_objective"])) else np.nan
    summary = {
        "folds": float(len(table)),
        "is_objective_mean": is_mean,
        "oos_objective_mean": oos_mean,
        "efficiency": oos_mean / is_mean if is_mean and np.isfinite(is_mean) and is_mean > 0 else np.nan,
        "oos_net_pnl_quote": float(np.nansum(table["oos_net_pnl_quote"].to_numpy(dtype=float))),
        "oos_profitable_folds": float((table["oos_net_pnl_quote"] > 0).mean()),
        "oos_percentile_mean": float(np.nanmean(table["oos_percentile"].to_numpy(dtype=float)))
        if table["oos_percentile"].notna().any()
        else np.nan,
    }
    return table, summary
