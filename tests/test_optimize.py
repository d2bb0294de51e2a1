"""Optimisation: the --grid syntax, the compiled sweep against one backtest per point, walk-forward
against backtests of the sliced candles, ranking rules, Dask against the local run, the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from uptrade.cli import app
from uptrade.data.store import Store
from uptrade.errors import ConfigError
from uptrade.research.backtest import run_backtest
from uptrade.research.config import BacktestConfig
from uptrade.research.optimize import OBJECTIVES, WalkForward, optimize
from uptrade.research.run import combined_signal
from uptrade.research.space import ParamSpace
from uptrade.research.stats import equity_stats

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sniper_btc_1h.yml"
STATS = ("sharpe", "sortino", "calmar", "max_drawdown_pct", "win_rate", "profit_factor", "exposure", "net_pnl_pct")
runner = CliRunner()


@pytest.fixture(scope="module")
def cfg() -> BacktestConfig:
    return BacktestConfig.from_yaml(EXAMPLE)


@pytest.fixture(scope="module")
def candles(btc_1h: pd.DataFrame) -> pd.DataFrame:
    return btc_1h.loc["2024-07-01":"2025-06-30"]


def close_enough(got: float, want: float) -> bool:
    if math.isnan(want) or math.isinf(want):
        return (math.isnan(got) and math.isnan(want)) or got == want
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def assert_row_matches(row: pd.Series, stats: dict, capital: float) -> None:
    assert row["executors"] == stats["executors"]
    assert math.isclose(row["net_pnl_quote"], stats["net_pnl_quote"], rel_tol=1e-9, abs_tol=1e-9 * capital)
    for key in STATS:
        assert close_enough(float(row[key]), float(stats[key])), (key, row[key], stats[key])


# --- the --grid syntax ------------------------------------------------------------------------


def test_grid_syntax_values_and_names(cfg: BacktestConfig) -> None:
    space = ParamSpace.parse("length=20:60:4,stop_loss=0.01,0.02,0.03", cfg)
    assert space.names == ["length", "stop_loss"]
    assert space.dims[0].values == tuple(range(20, 61, 4))
    assert space.dims[0].source == "sniper:minor"
    assert space.dims[1].values == (0.01, 0.02, 0.03)
    assert space.grid_size == 11 * 3
    grid = space.grid()
    assert grid[0] == {"length": 20, "stop_loss": 0.01}
    assert grid[1] == {"length": 20, "stop_loss": 0.02}
    decimal = ParamSpace.parse("take_profit=0.01:0.03:0.01,time_limit=3600,none", cfg)
    assert decimal.dims[0].values == (0.01, 0.02, 0.03)  # exact decimal steps, no 0.030000000000000002
    assert decimal.dims[1].values == (3600, None)
    qualified = ParamSpace.parse(
        ["sniper:minor.ma_type=jma,ema", "vzo.ma_type=EMA", "combine.confirm_window=1:5:2"], cfg
    )
    assert [(d.target, d.source, d.field) for d in qualified.dims] == [
        ("source", "sniper:minor", "ma_type"),
        ("source", "vzo:minor", "ma_type"),
        ("combine", None, "confirm_window"),
    ]
    assert qualified.dims[2].values == (1, 3, 5)
    trail = ParamSpace.parse("activation_price=0.01,trailing_delta=0.005", cfg)
    applied = trail.apply(trail.first_point())
    assert applied.executor.trailing_stop is not None
    assert applied.executor.trailing_stop.trailing_delta == 0.005


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ma_type=jma", "ambiguous, write one of sniper:minor.ma_type, vzo:minor.ma_type"),
        ("lenght=20", "lenght: no such parameter; did you mean length"),
        ("20:60:4", "expected name=values first"),
        ("stop_loss=0.01:0.03", "a:b is a range for random search"),
        ("stop_loss=3", "executor.stop_loss: Input should be less than 1"),
        ("length=2.5", "length: expected an integer, got '2.5'"),
        ("length=60:20:4", "the end is below the start"),
        ("length=20:60:0", "the step must be positive"),
        ("rsi.length=14", "'rsi' is not one of the sources"),
        ("executor.stoploss=0.1", "the executor has no field 'stoploss'"),
        ("stop_loss=0.01,0.01", "a value is given twice"),
        ("stop_loss=0.01,stop_loss=0.02", "given twice"),
        ("length=", "no values given"),
    ],
)
def test_grid_errors_name_the_dimension(cfg: BacktestConfig, spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        ParamSpace.parse(spec, cfg).grid()
    assert message in str(err.value)


def test_random_points_are_reproducible_and_inside_the_space(cfg: BacktestConfig) -> None:
    space = ParamSpace.parse("stop_loss=0.005:0.05,length=10:50,take_profit=0.02,0.04", cfg)
    pts = space.sample(200, seed=7)
    assert pts == space.sample(200, seed=7)
    assert pts != space.sample(200, seed=8)
    assert all(0.005 <= p["stop_loss"] <= 0.05 for p in pts)
    assert all(isinstance(p["length"], int) and 10 <= p["length"] <= 50 for p in pts)
    assert {p["take_profit"] for p in pts} == {0.02, 0.04}
    grid = ParamSpace.parse("length=10:50:1,stop_loss=0.01,0.02", cfg)
    drawn = grid.sample(60, seed=1)
    assert len({tuple(p.values()) for p in drawn}) == 60  # distinct grid points
    assert len(grid.sample(500, seed=1)) == grid.grid_size  # never more than the grid has


# --- the sweep against one backtest per point ------------------------------------------------------


def test_sweep_equals_one_backtest_per_point(cfg: BacktestConfig, candles: pd.DataFrame) -> None:
    space = ParamSpace.parse(
        "overbought_oversold=1.0,1.5,2.0,stop_loss=0.015,none,take_profit=0.03,none,max_executors_per_side=1,3,"
        "cooldown_time=1,7200,time_limit=86400,none",
        cfg,
    )
    res = optimize(cfg, candles, space, objective="sortino", min_trades=0)
    assert len(res.table) == space.grid_size == 3 * 2 * 2 * 2 * 2 * 2
    assert res.table["signal_set"].nunique() == 3  # executor settings share the signal
    for i, point in enumerate(res.points):
        c = space.apply(point)
        signal, _ = combined_signal(candles, c)
        want = run_backtest(candles, signal, c.executor, "1h").stats
        assert_row_matches(res.table.iloc[i], want, c.executor.total_amount_quote)
    assert res.table["executors"].gt(0).all()


def test_sweep_covers_trailing_stops_and_combiner_parameters(cfg: BacktestConfig, candles: pd.DataFrame) -> None:
    space = ParamSpace.parse(
        "confirm_window=1,5,activation_price=0.005,0.02,trailing_delta=0.002,0.01,vzo_length=10,21", cfg
    )
    res = optimize(cfg, candles, space, objective="calmar", min_trades=0)
    assert res.table["signal_set"].nunique() == 4
    for i, point in enumerate(res.points):
        c = space.apply(point)
        signal, _ = combined_signal(candles, c)
        want = run_backtest(candles, signal, c.executor, "1h")
        assert_row_matches(res.table.iloc[i], want.stats, c.executor.total_amount_quote)


def test_ranking_objectives_and_min_trades(cfg: BacktestConfig, candles: pd.DataFrame) -> None:
    space = ParamSpace.parse("overbought_oversold=1.0,1.5,2.0,2.5,3.5,stop_loss=0.01,0.03", cfg)
    for objective, column in OBJECTIVES.items():
        res = optimize(cfg, candles, space, objective=objective, min_trades=40)
        t = res.table.sort_values("rank")
        assert sorted(t["rank"]) == list(range(1, len(t) + 1))
        eligible = t[t["eligible"]]
        assert (t["executors"] >= 40).equals(t["eligible"])
        # eligible points first, best objective first (NaN last), ties by point number
        assert t["eligible"].iloc[: len(eligible)].all()
        scores = eligible[column].to_numpy()
        finite = scores[~np.isnan(scores)]
        assert (np.diff(finite) <= 0).all()
        assert res.best == res.points[eligible.index[0]]
    starved = optimize(cfg, candles, space, min_trades=10**6)
    assert starved.best is None
    assert any("no point has 1000000 or more executors" in n for n in starved.notes)


def test_a_parameter_that_moves_no_signal_is_reported(cfg: BacktestConfig, candles: pd.DataFrame) -> None:
    # SniperProX's length only shapes its trend average (a chart line), never its signals
    res = optimize(cfg, candles, ParamSpace.parse("length=14,28,overbought_oversold=1.2,2.0", cfg), min_trades=0)
    assert [n for n in res.notes if "every value gave the same signals" in n] == [
        "length: every value gave the same signals, so it changes nothing here (only costs time)"
    ]
    by_length = res.table.groupby("overbought_oversold")["net_pnl_quote"].nunique()
    assert (by_length == 1).all()


def test_calmar_by_hand() -> None:
    # one year of daily bars: 1000 -> 1100 with one fall 1050 -> 945 (10%); Calmar = 10% / 10% = 1
    values = [*np.linspace(1000, 1050, 100).tolist(), 945.0, *np.linspace(945, 1100, 265).tolist()]
    s = equity_stats(pd.Series(values), 86_400)
    assert math.isclose(s["max_drawdown_pct"], 0.1, rel_tol=1e-12)
    assert math.isclose(s["calmar"], 1.0, rel_tol=1e-12)
    assert equity_stats(pd.Series([1000.0, 1001.0, 1002.0]), 86_400)["calmar"] == math.inf
    assert math.isnan(equity_stats(pd.Series([1000.0] * 5), 86_400)["calmar"])


# --- walk-forward ---------------------------------------------------------------------------------


def test_walk_forward_folds_in_bars_and_time() -> None:
    index = pd.date_range("2024-01-01", periods=1000, freq="1h", tz="UTC")
    assert WalkForward.parse("train=400,test=200").folds(index) == [
        (0, 400, 400, 600),
        (200, 600, 600, 800),
        (400, 800, 800, 1000),
    ]
    assert WalkForward.parse("train=400,test=200,step=300,anchored").folds(index) == [
        (0, 400, 400, 600),
        (0, 700, 700, 900),
    ]
    folds = WalkForward.parse("train=10d,test=5d").folds(index)
    assert folds[0] == (0, 240, 240, 360)
    assert folds[1] == (120, 360, 360, 480)
    assert len(folds) == 6  # the last test window is bars 840..960; a seventh would need bars 960..1080
    for text, message in (
        ("train=10d", "test= is missing"),
        ("train=10d,test=200", "every size in bars or every size as a duration"),
        ("train=10y,test=5d", "neither a bar count nor a duration"),
        ("train=900,test=200", "do not fit in the 1,000 bars"),
        ("size=3", "expected train=..."),
    ):
        with pytest.raises(ConfigError) as err:
            WalkForward.parse(text).folds(index)
        assert message in str(err.value)


def test_walk_forward_chooses_on_train_and_scores_on_test(cfg: BacktestConfig, candles: pd.DataFrame) -> None:
    space = ParamSpace.parse("overbought_oversold=1.0,1.5,2.0,stop_loss=0.01,0.03,take_profit=0.03,none", cfg)
    wf = WalkForward.parse("train=120d,test=60d")
    res = optimize(cfg, candles, space, objective="sharpe", min_trades=5, walk_forward=wf)
    folds = wf.folds(candles.index)
    assert res.folds is not None
    assert len(res.folds) == len(folds) >= 3
    signals = []
    for point in res.points:
        c = space.apply(point)
        signals.append((c, combined_signal(candles, c)[0]))
    for (a, b, c_, d), (_, fold) in zip(folds, res.folds.iterrows(), strict=True):
        assert fold["train_start"] == candles.index[a]
        assert fold["test_end"] == candles.index[d - 1]
        # independent: the sliced candles and the sliced (causal) signal through the single backtest
        train = [run_backtest(candles.iloc[a:b], s.iloc[a:b], k.executor, "1h").stats for k, s in signals]
        test = [run_backtest(candles.iloc[c_:d], s.iloc[c_:d], k.executor, "1h").stats for k, s in signals]
        ok = [i for i, st in enumerate(train) if st["executors"] >= 5 and not math.isnan(st["sharpe"])]
        best = max(ok, key=lambda i: (train[i]["sharpe"], -i))
        assert fold["point"] == best
        assert math.isclose(fold["is_objective"], train[best]["sharpe"], rel_tol=1e-9)
        assert close_enough(fold["oos_objective"], test[best]["sharpe"])
        assert fold["oos_executors"] == test[best]["executors"]
        others = np.array([t["sharpe"] for t in test])
        others = others[~np.isnan(others)]
        if not math.isnan(test[best]["sharpe"]):
            assert math.isclose(fold["oos_percentile"], (others < test[best]["sharpe"]).sum() / (len(others) - 1))
    s = res.walk_forward
    assert s is not None
    assert s["folds"] == len(folds)
    assert math.isclose(s["oos_net_pnl_quote"], res.folds["oos_net_pnl_quote"].sum())
    assert math.isclose(s["is_objective_mean"], res.folds["is_objective"].mean())


# --- Dask -----------------------------------------------------------------------------------------


def test_dask_cluster_returns_the_identical_table(cfg: BacktestConfig, candles: pd.DataFrame) -> None:
    from distributed import LocalCluster

    space = ParamSpace.parse("overbought_oversold=1.0,1.4,1.8,2.2,vzo_length=10,14,stop_loss=0.01,0.03", cfg)
    wf = WalkForward.parse("train=150d,test=60d")
    local = optimize(cfg, candles, space, walk_forward=wf)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        seen: list[tuple[str, int, int]] = []
        remote = optimize(
            cfg, candles, space, walk_forward=wf, cluster=cluster.scheduler_address, progress=lambda *a: seen.append(a)
        )
    pd.testing.assert_frame_equal(local.table, remote.table, check_exact=True)
    pd.testing.assert_frame_equal(local.folds, remote.folds, check_exact=True)
    assert local.notes == remote.notes
    assert seen[-1] == ("backtests", len(local.table), len(local.table))


def test_unreachable_cluster_is_a_clear_error(cfg: BacktestConfig, candles: pd.DataFrame) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    space = ParamSpace.parse("stop_loss=0.01,0.02", cfg)
    with pytest.raises(ConfigError, match=f"cluster tcp://127.0.0.1:{port}: cannot reach the Dask scheduler"):
        optimize(cfg, candles.iloc[:500], space, cluster=f"tcp://127.0.0.1:{port}")


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_optimize(tmp_path: Path, store: Store, btc_1h: pd.DataFrame, cfg: BacktestConfig) -> None:
    store.write_ohlcv(btc_1h.loc["2024-06-01":"2025-06-30"], "BTC-USDT", "1h")
    url = store.engine.url.render_as_string(hide_password=False)
    raw = cfg.model_dump()
    raw.update(start="2024-07-01", end="2025-06-30")
    path = tmp_path / "cfg.yml"
    import yaml

    path.write_text(yaml.safe_dump(raw))
    report, output = tmp_path / "opt.html", tmp_path / "opt.csv"
    grid = "overbought_oversold=1.0:2.0:0.5,stop_loss=0.01,0.03"
    args = ["--db", url, "optimize", "-c", str(path), "-g", grid, "-g", "length=14,28", "--min-trades", "5"]
    args += ["--walk-forward", "train=120d,test=60d", "--report", str(report), "--output", str(output)]
    result = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    space = ParamSpace.parse([grid, "length=14,28"], cfg)
    want = optimize(
        BacktestConfig.from_yaml(path),
        store.read_ohlcv("BTC-USDT", "1h", start="2024-07-01", end="2025-06-30"),
        space,
        min_trades=5,
        walk_forward=WalkForward.parse("train=120d,test=60d"),
    )
    best = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in want.best.items())
    assert f"best: {best}" in result.output
    assert "length: every value gave the same signals" in result.output
    assert "walk-forward: best point on train" in result.output
    saved = pd.read_csv(output, index_col="point")
    assert len(saved) == 12
    np.testing.assert_allclose(saved["sharpe"], want.table["sharpe"], rtol=1e-12)
    text = report.read_text()
    assert "best sharpe by overbought_oversold and stop_loss" in text
    assert "walk-forward: the train window" in text
    for extra, message in (
        (["-g", "bogus=1"], "bogus: no such parameter"),
        (["-g", "stop_loss=0.01:0.02"], "a:b is a range for random search"),
        (["-g", "stop_loss=1:2:1"], "executor.stop_loss: Input should be less than 1"),
        (["-g", "stop_loss=0.01", "--objective", "cagr"], "--objective: must be one of sharpe"),
        (["-g", "stop_loss=0.01", "--walk-forward", "train=9000d,test=1d"], "do not fit"),
    ):
        bad = runner.invoke(app, ["--db", url, "optimize", "-c", str(path), *extra], env={"COLUMNS": "250"})
        assert bad.exit_code == 1, bad.output
        assert message in bad.output
    rnd = runner.invoke(
        app,
        ["--db", url, "optimize", "-c", str(path), "-g", "stop_loss=0.005:0.05", "--random", "6", "--seed", "3"],
        env={"COLUMNS": "250"},
    )
    assert rnd.exit_code == 0, rnd.output
    assert "6 points over stop_loss" in rnd.output
