"""Our Hummingbot-faithful engine against Hummingbot's own BacktestingEngine (same candles, signal, config).

Needs the Hummingbot environment (``bash scripts/hummingbot_env.sh``; ``UPTRADE_HB_PYTHON``
elsewhere). Hummingbot's time is the wall time of its ``run_backtesting`` call alone (measured in
its process, imports excluded); ours is ``run_backtest`` after a warm-up, best of 5. Both must
produce the same executors, which the script checks before printing the ratio.

    python benchmarks/bench_backtest.py
"""

from __future__ import annotations

import json
import os
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

from uptrade.research.backtest import run_backtest  # noqa: E402
from uptrade.research.config import ExecutorConfig  # noqa: E402
from uptrade.signals import compute_signal  # noqa: E402

HB_PYTHON = Path(os.environ.get("UPTRADE_HB_PYTHON", ROOT / ".hbvenv" / "bin" / "python"))
CONFIG = {
    "max_executors_per_side": 2,
    "cooldown_time": 3600,
    "stop_loss": 0.02,
    "take_profit": 0.03,
    "time_limit": 86400,
}


def main(bars: int = 20_000) -> None:
    if not HB_PYTHON.exists():
        raise SystemExit(f"no Hummingbot environment at {HB_PYTHON}: run bash scripts/hummingbot_env.sh")
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
