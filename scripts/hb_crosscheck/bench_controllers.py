"""Time bundled UpTrade controllers inside Hummingbot (``benchmarks/bench_hb_controller.py`` drives it).

Usage (inside the Hummingbot environment):  python bench_controllers.py SPEC.json OUT.json

SPEC holds ``bundle`` (the folder holding ``controllers/``), ``conf_dir`` (controller YAMLs),
``candles`` (``.npz``: float64 ``timestamp`` [s, bar open], ``open``, ``high``, ``low``,
``close``, ``volume``), ``repeats`` and ``cases`` (``name``, ``config``). Each config is loaded by
Hummingbot's loader and its controller built on a ``BacktestingDataProvider`` holding the
candles (no network: the rate-source task is not started). Per case, OUT receives the wall time
of the module import, of the first ``update_processed_data`` over the whole feed (numba compiles
the file's kernels, or loads them from its cache), the best of ``repeats`` later calls over the
whole feed, and the best of ``repeats`` live-style ticks: the feed cut to the config's
``max_records`` bars and the clock just after the last bar's close.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from hummingbot.data_feed.candles_feed.candles_base import CandlesBase
from hummingbot.strategy_v2.backtesting.backtesting_data_provider import BacktestingDataProvider
from hummingbot.strategy_v2.backtesting.backtesting_engine_base import BacktestingEngineBase


def best(loop: asyncio.AbstractEventLoop, controller: object, repeats: int) -> float:
    out = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        loop.run_until_complete(controller.update_processed_data())  # type: ignore[attr-defined]
        out = min(out, time.perf_counter() - began)
    return out


def run_case(case: dict, spec: dict, candles: pd.DataFrame, loop: asyncio.AbstractEventLoop) -> dict:
    began = time.perf_counter()
    config = BacktestingEngineBase.get_controller_config_instance_from_yml(
        config_path=case["config"], controllers_conf_dir_path=spec["conf_dir"], controllers_module="controllers"
    )
    controller_class = config.get_controller_class()
    imported = time.perf_counter() - began
    provider = BacktestingDataProvider(connectors={})
    provider.initialize_rate_sources = lambda *a, **k: None
    provider.candles_feeds[f"{config.candles_connector}_{config.candles_trading_pair}_{config.interval}"] = candles
    ts = candles["timestamp"].to_numpy()
    step = CandlesBase.interval_to_seconds[config.interval]
    provider.update_backtesting_time(int(ts[0]), int(ts[-1]))
    provider._time = float(ts[-1] + step)
    controller = controller_class(config=config, market_data_provider=provider, actions_queue=None)
    began = time.perf_counter()
    loop.run_until_complete(controller.update_processed_data())
    first = time.perf_counter() - began
    assert len(controller.processed_data["features"]) == len(candles)
    feed = best(loop, controller, spec["repeats"])
    provider.update_backtesting_time(int(ts[-config.max_records]), int(ts[-1]))
    provider._time = float(ts[-1] + step)
    tick = best(loop, controller, spec["repeats"])
    assert len(controller.processed_data["features"]) == config.max_records
    return {
        "import": imported,
        "first": first,
        "feed": feed,
        "bars": len(candles),
        "tick": tick,
        "max_records": config.max_records,
    }


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    sys.path.insert(0, spec["bundle"])
    importlib.invalidate_caches()
    data = np.load(spec["candles"])
    candles = pd.DataFrame(
        {c: data[c].astype("float64") for c in ("timestamp", "open", "high", "low", "close", "volume")}
    )
    loop = asyncio.new_event_loop()
    out = {case["name"]: run_case(case, spec, candles, loop) for case in spec["cases"]}
    Path(sys.argv[2]).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
