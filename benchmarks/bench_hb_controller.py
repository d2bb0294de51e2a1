"""The bundled controllers' cost inside Hummingbot, with UpTrade's own batch signal as the anchor, in one run.

For each controller of ``uptrade hb bundle`` (a config from ``uptrade hb config`` of a bot file),
in Hummingbot's environment (``scripts/hb_crosscheck/bench_controllers.py``; skipped with a
message without it):

- first call: the first ``update_processed_data`` over the whole feed in a fresh process with an
  empty numba cache (the file's kernels compile), then again in a second process with the cache
  the first one wrote (what a restarted bot pays);
- feed: ``update_processed_data`` over the whole feed (what a Hummingbot backtest calls once),
  best of 5, per bar;
- tick: a live-style tick, the feed cut to the config's ``max_records`` bars and the clock just
  after the last bar's close (what a running bot calls every second), best of 5.

The anchor is UpTrade's batch signal of the same bot (``research.run.combined_signal`` on its
backtest config, pandas in and out) on the same bars and on ``max_records`` bars, after a
warm-up, best of 5. Times are printed, never asserted; the ratio is the controller's over the anchor's.

    python benchmarks/bench_hb_controller.py [BARS]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import load_market  # noqa: E402
from tests.hbenv import hummingbot_python  # noqa: E402

from uptrade.execution.bots import BotConfig  # noqa: E402
from uptrade.execution.bundle import write_bundle  # noqa: E402
from uptrade.execution.hbconfig import controller_config, write_controller_config  # noqa: E402
from uptrade.research.run import combined_signal  # noqa: E402

HB_PYTHON = hummingbot_python()
SCRIPT = ROOT / "scripts" / "hb_crosscheck" / "bench_controllers.py"
REPEATS = 5
BOTS: dict[str, dict[str, Any]] = {
    "uptrade_sniper": {"sources": {"sniper:major": {}}},
    "uptrade_vzo": {"sources": {"vzo:major": {}}},
    "uptrade_cycle": {"sources": {"cycle:cross": {}}},
    "uptrade_combined": {
        "sources": {"sniper:minor": {}, "vzo:minor": {}, "cycle:cross": {}, "ma:cross": {"ma_type": "hma"}},
        "combine": {"mode": "weighted", "threshold": 0.5},
    },
}


def bot(name: str, signals: dict[str, Any]) -> BotConfig:
    return BotConfig.model_validate(
        {
            "name": name,
            "strategy": {"signals": signals},
            "market": {"connector": "binance", "trading_pair": "BTC-USDT", "timeframe": "1h"},
            "execution": {"cooldown_time": 3600},
        }
    )


def best_of(fn: Any, runs: int = REPEATS) -> float:
    fn()
    out = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - began)
    return out


def hummingbot(spec: dict[str, Any], work: Path, cache: Path, tag: str) -> dict[str, Any]:
    spec_path, out = work / f"spec-{tag}.json", work / f"out-{tag}.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [str(HB_PYTHON), str(SCRIPT), str(spec_path), str(out)], check=False, capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise SystemExit(f"Hummingbot run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main(bars: int) -> None:
    if not HB_PYTHON.exists():
        print(f"skipped: no Hummingbot environment at {HB_PYTHON} (bash scripts/hummingbot_env.sh)")
        return
    candles = load_market("btcusdt_1h_binance.csv.gz").iloc[-bars:]
    with tempfile.TemporaryDirectory(prefix="bench-hb-controller-") as tmp:
        work = Path(tmp)
        write_bundle(work / "bundle")
        bots = {name: bot(name.replace("_", "-"), signals) for name, signals in BOTS.items()}
        for b in bots.values():
            write_controller_config(controller_config(b), work / "conf")
        seconds = (candles.index.as_unit("ns").asi8 // 1_000_000_000).astype(float)
        cols = {c: candles[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close", "volume")}
        np.savez(work / "candles.npz", timestamp=seconds, **cols)
        spec = {
            "bundle": str(work / "bundle"),
            "conf_dir": str(work / "conf"),
            "candles": str(work / "candles.npz"),
            "repeats": REPEATS,
            "cases": [{"name": name, "config": f"{b.name}.yml"} for name, b in bots.items()],
        }
        cold = hummingbot(spec, work, work / "numba", "cold")
        warm = hummingbot(spec, work, work / "numba", "warm")
    print(f"Controllers inside Hummingbot on {bars:,} real BTCUSDT 1h bars (anchor: UpTrade's batch signal)")
    head = (
        f"{'controller':<18} {'compile s':>9} {'cached s':>9} {'feed us/bar':>12} {'uptrade us/bar':>15} {'ratio':>6}"
        f" {'tick ms':>8} {'uptrade ms':>11} {'ratio':>6}"
    )
    print(head)
    for name, b in bots.items():
        cfg = b.backtest_config()
        n = cold[name]["max_records"]
        anchor = best_of(lambda cfg=cfg: combined_signal(candles, cfg))
        anchor_tick = best_of(lambda cfg=cfg, n=n: combined_signal(candles.iloc[-n:], cfg))
        feed, tick = min(cold[name]["feed"], warm[name]["feed"]), min(cold[name]["tick"], warm[name]["tick"])
        print(
            f"{name:<18} {cold[name]['first']:>9.2f} {warm[name]['first']:>9.2f} {feed / bars * 1e6:>12.3f}"
            f" {anchor / bars * 1e6:>15.3f} {feed / anchor:>6.2f} {tick * 1e3:>8.2f} {anchor_tick * 1e3:>11.2f}"
            f" {tick / anchor_tick:>6.2f}"
        )
    print(
        "compile: first update_processed_data in a fresh process, empty numba cache (compiles the file's kernels); "
        "cached: the same in a second process reading that cache; tick: one live update over max_records "
        f"({n}) bars."
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
