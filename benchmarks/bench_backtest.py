"""The backtest engine against its two anchors, in one run.

1. Against Hummingbot's own BacktestingEngine (same candles, signal, config). Needs the Hummingbot
   environment (``bash scripts/hummingbot_env.sh``; ``UPTRADE_HB_PYTHON`` elsewhere); skipped with
   a message without it. Hummingbot's time is the wall time of its ``run_backtesting`` call alone
   (measured in its process, imports excluded); ours is ``run_backtest`` after a warm-up, best of 5.
   Both must produce the same executors, which the script checks before printing the ratio.
2. A 500-configuration sweep on 20,000 bars: 500 signal sets (SniperProX minor turns
   confirmed by VZOProX over a 25 x 20 parameter grid), each backtested with a 2% stop loss and a
   4% take profit, by our compiled many-configuration kernel (``sweep_parallel_nb``: the event loop,
   the equity curve and the statistics) and by vectorbt's ``Portfolio.from_signals`` over the same
   500 signal columns (alone, and with its Sharpe, Sortino, Calmar, drawdown and win rate). The
   signals are computed once, outside both timings. Best of 3 after a warm-up, all cores.

    python benchmarks/bench_backtest.py [BARS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import load_market  # noqa: E402
from tests.hbenv import hummingbot_python  # noqa: E402

from uptrade.research.backtest import run_backtest  # noqa: E402
from uptrade.research.config import ExecutorConfig  # noqa: E402
from uptrade.signals import compute_signal  # noqa: E402

HB_PYTHON = hummingbot_python()
CONFIG = {
    "max_executors_per_side": 2,
    "cooldown_time": 3600,
    "stop_loss": 0.02,
    "take_profit": 0.03,
    "time_limit": 86400,
}


def best_of(fn: object, runs: int = 3) -> float:
    fn()  # type: ignore[operator]
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def sweep_vs_vectorbt(bars: int = 20_000) -> None:
    import vectorbt as vbt

    from uptrade.research.config import BacktestConfig
    from uptrade.research.optimize import _bars, plan, signal_matrix
    from uptrade.research.space import ParamSpace
    from uptrade.research.sweep_nb import sweep_parallel_nb

    candles = load_market("btcusdt_1h_binance.csv.gz").iloc[-bars:]
    cfg = BacktestConfig.from_yaml(ROOT / "examples" / "sniper_btc_1h.yml")
    cfg = cfg.model_copy(
        update={
            "executor": ExecutorConfig(
                total_amount_quote=1000,
                max_executors_per_side=1,
                cooldown_time=1,
                stop_loss=0.02,
                take_profit=0.04,
                time_limit=None,
                trade_cost=0.0006,
            )
        }
    )
    space = ParamSpace.parse("overbought_oversold=0.6:3.0:0.1,vzo_length=5:24:1", cfg)
    p = plan(space, space.grid())
    b = _bars(candles)
    start = time.perf_counter()
    signals = signal_matrix(candles, b.keep, p.sets)
    t_signals = time.perf_counter() - start
    distinct = len({row.tobytes() for row in signals})
    windows = np.array([(0, len(b.ts))], dtype=np.int64)

    def ours() -> np.ndarray:
        return sweep_parallel_nb(b.ts, b.high, b.low, b.close, signals, p.rows, p.params, windows, 3600.0)

    close = candles["close"]
    entries = pd.DataFrame((signals == 1).T, index=candles.index)
    shorts = pd.DataFrame((signals == -1).T, index=candles.index)

    def portfolio() -> object:
        return vbt.Portfolio.from_signals(
            close,
            entries=entries,
            short_entries=shorts,
            open=candles["open"],
            high=candles["high"],
            low=candles["low"],
            size=1000.0,
            size_type="value",
            fees=0.0006,
            init_cash=1000.0,
            sl_stop=0.02,
            tp_stop=0.04,
            freq="1h",
        )

    def with_stats() -> None:
        pf = portfolio()
        pf.sharpe_ratio(), pf.sortino_ratio(), pf.calmar_ratio(), pf.max_drawdown(), pf.trades.win_rate()  # type: ignore[attr-defined]

    t_ours, t_pf, t_pf_stats = best_of(ours), best_of(portfolio), best_of(with_stats)
    out = ours()
    print(f"\n{len(p.points)} configurations ({distinct} distinct signals) x {bars:,} real BTC/USDT 1h bars")
    print(f"  signals, computed once for both (SniperProX + VZOProX + combiner): {t_signals:8.3f} s")
    print(f"  uptrade sweep_parallel_nb (event loop + equity + statistics):     {t_ours * 1e3:8.1f} ms")
    print(f"  vectorbt Portfolio.from_signals alone:                            {t_pf * 1e3:8.1f} ms")
    print(f"  vectorbt from_signals + sharpe/sortino/calmar/drawdown/win rate:  {t_pf_stats * 1e3:8.1f} ms")
    print(
        f"  ours / vectorbt: {t_ours / t_pf:.2f} (from_signals alone), {t_ours / t_pf_stats:.2f} (with its "
        f"statistics); goal <= 1.0. Executors per configuration: {int(out[:, 0].min())}-{int(out[:, 0].max())}"
    )


def main(bars: int = 20_000) -> None:
    sweep_vs_vectorbt(bars)
    if not HB_PYTHON.exists():
        print(f"\nno Hummingbot environment at {HB_PYTHON}: run bash scripts/hummingbot_env.sh for part 1")
        return
    candles = load_market("btcusdt_1h_binance.csv.gz").iloc[-bars:]
    signal = compute_signal(candles, "sniper:minor")
    ex = ExecutorConfig(total_amount_quote=1000, trade_cost=0.0006, **CONFIG)
    run_backtest(candles.iloc[:500], signal.iloc[:500], ex)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        ours = run_backtest(candles, signal, ex)
        best = min(best, time.perf_counter() - start)
    spec = {
        "candles": {
            "timestamp": (candles.index.as_unit("ns").asi8 // 1_000_000_000).astype(float).tolist(),
            **{c: candles[c].astype(float).tolist() for c in ("open", "high", "low", "close", "volume")},
            "signal": signal.astype(int).tolist(),
        },
        "config": {"total_amount_quote": 1000, **CONFIG},
        "interval": "1h",
        "trade_cost": 0.0006,
    }
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(spec))
        script = ROOT / "scripts" / "hb_crosscheck" / "run_hummingbot.py"
        subprocess.run([str(HB_PYTHON), str(script), str(src), str(dst)], check=True, timeout=3600)
        hb = json.loads(dst.read_text())
    same = len(hb["executors"]) == len(ours.executors) and np.allclose(
        ours.executors["net_pnl_quote"], [e["net_pnl_quote"] for e in hb["executors"]], rtol=1e-9, atol=1e-9
    )
    print(f"\n{bars:,} real BTC/USDT 1h bars, SniperProX minor signals, {len(ours.executors)} executors")
    print(f"  Hummingbot BacktestingEngine.run_backtesting: {hb['seconds']:8.3f} s")
    print(f"  uptrade run_backtest (best of 5):             {best * 1e3:8.2f} ms")
    print(f"  speed-up: {hb['seconds'] / best:,.0f}x (goal >= 1000x); same executors: {same}")
    if not same:
        raise SystemExit("the two engines disagree: see tests/test_hummingbot_crosscheck.py")


if __name__ == "__main__":
    main(int(pd.Series(sys.argv[1:2]).iloc[0]) if len(sys.argv) > 1 else 20_000)
