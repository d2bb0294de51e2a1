"""Run bundled UpTrade controllers in Hummingbot's own BacktestingEngine, offline (their verification).

Usage (inside the Hummingbot environment):  python run_controllers.py SPEC.json OUT.json

SPEC holds ``bundle`` (the folder ``uptrade hb bundle --out`` wrote: it holds ``controllers/``),
``conf_dir`` (the controller YAMLs ``uptrade hb config`` wrote) and ``cases``: each a ``name``, a
``config`` file name in ``conf_dir``, a ``candles`` file (``.npz`` of float64 ``timestamp`` [s, bar
open], ``open``, ``high``, ``low``, ``close``, ``volume``) and the backtest's ``trade_cost``. Each
config is loaded by Hummingbot's own loader (``controllers.<controller_type>.<controller_name>``
from the YAML) and run by ``run_backtesting`` on those candles, at the config's interval.

OUT receives, per case: the controller's own ``features`` (timestamp, signal) computed by its
``update_processed_data`` over the whole feed, the signal rows the engine merged and kept
(``merged``), with ``live_bar`` in the case the signals a fresh controller acts on at three
live-style ticks around that bar's close (``live``), the executors (creation and close timestamps, side,
close type, net PnL), the summary, and the wall time of the case (``seconds``; the first case of a
controller includes the numba compilation of its file). Every socket call is refused: the run must
not touch the network (the script exits 2 if it tried).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from offline import refuse_network

ATTEMPTS = refuse_network("controller check")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hummingbot.connector.trading_rule import TradingRule  # noqa: E402
from hummingbot.strategy_v2.backtesting.backtesting_data_provider import BacktestingDataProvider  # noqa: E402
from hummingbot.strategy_v2.backtesting.backtesting_engine_base import BacktestingEngineBase  # noqa: E402


def candles_frame(path: str) -> pd.DataFrame:
    """The candle feed of a case, with the float64 columns Hummingbot's engine expects."""
    data = np.load(path)
    return pd.DataFrame({c: data[c].astype("float64") for c in ("timestamp", "open", "high", "low", "close", "volume")})


async def run_case(case: dict, conf_dir: str) -> dict:
    config = BacktestingEngineBase.get_controller_config_instance_from_yml(
        config_path=case["config"], controllers_conf_dir_path=conf_dir, controllers_module="controllers"
    )
    candles = candles_frame(case["candles"])
    engine = BacktestingEngineBase()
    provider = engine.backtesting_data_provider
    for connector, pair in (
        (config.connector_name, config.trading_pair),
        (config.candles_connector, config.candles_trading_pair),
    ):
        provider.candles_feeds[f"{connector}_{pair}_{config.interval}"] = candles
    provider.trading_rules[config.connector_name] = {
        config.trading_pair: TradingRule(
            trading_pair=config.trading_pair,
            min_order_size=Decimal("0.00001"),
            min_price_increment=Decimal("0.01"),
            min_base_amount_increment=Decimal("0.00001"),
            min_notional_size=Decimal("1"),
        )
    }
    provider.initialize_rate_sources = lambda *a, **k: None
    start, end = int(candles["timestamp"].iloc[0]), int(candles["timestamp"].iloc[-1])
    began = time.perf_counter()
    out = await engine.run_backtesting(
        config, start, end, backtesting_resolution=config.interval, trade_cost=float(case["trade_cost"])
    )
    seconds = time.perf_counter() - began
    merged = out["processed_data"]["features"]
    merged = {"timestamp": merged["timestamp"].astype(float).tolist(), "signal": merged["signal"].astype(int).tolist()}
    await engine.controller.update_processed_data()  # the controller's own frame, as it computes it
    features = engine.controller.processed_data["features"]
    executors = [
        {
            "timestamp": float(e.timestamp),
            "close_timestamp": None if e.close_timestamp is None else float(e.close_timestamp),
            "side": e.side.name,
            "close_type": None if e.close_type is None else e.close_type.name,
            "net_pnl_quote": float(e.net_pnl_quote),
        }
        for e in sorted(out["executors"], key=lambda e: e.timestamp)
    ]
    results = {
        k: (float(v) if isinstance(v, int | float | Decimal) and not isinstance(v, bool) else v)
        for k, v in out["results"].items()
    }
    live = await live_ticks(config, candles, int(case["live_bar"])) if "live_bar" in case else None
    return {
        "live": live,
        "controller": type(engine.controller).__name__,
        "config_class": type(config).__name__,
        "features": {
            "timestamp": features["timestamp"].astype(float).tolist(),
            "signal": features["signal"].astype(int).tolist(),
        },
        "merged": merged,
        "executors": executors,
        "results": results,
        "seconds": seconds,
    }


async def live_ticks(config: object, candles: pd.DataFrame, bar: int) -> list[int]:
    """The signal a fresh controller acts on at three ticks around the close of bar ``bar``.

    The feed ends with bar ``bar + 1`` (still forming). Ticks: one second before bar ``bar``
    closes (the first tick only records the newest closed bar), at its close, 30 s later.
    """
    provider = BacktestingDataProvider(connectors={})
    provider.initialize_rate_sources = lambda *a, **k: None
    key = f"{config.candles_connector}_{config.candles_trading_pair}_{config.interval}"  # type: ignore[attr-defined]
    provider.candles_feeds[key] = candles
    ts = candles["timestamp"].to_numpy()
    provider.update_backtesting_time(int(ts[0]), int(ts[bar + 1]))
    controller = config.get_controller_class()(config=config, market_data_provider=provider, actions_queue=None)  # type: ignore[attr-defined]
    close = float(ts[bar + 1])  # bar ``bar`` closes when bar ``bar + 1`` opens
    out = []
    for now in (close - 1.0, close, close + 30.0):
        provider._time = now
        await controller.update_processed_data()
        out.append(int(controller.processed_data["signal"]))
    return out


async def run(spec: dict) -> dict:
    sys.path.insert(0, spec["bundle"])
    return {case["name"]: await run_case(case, spec["conf_dir"]) for case in spec["cases"]}


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    result = asyncio.run(run(spec))
    Path(sys.argv[2]).write_text(json.dumps(result, default=str))
    return 2 if ATTEMPTS else 0


if __name__ == "__main__":
    sys.exit(main())
