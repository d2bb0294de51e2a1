"""Run Hummingbot's own BacktestingEngine offline on UpTrade's candles and signal (cross-check).

Usage (inside the Hummingbot environment):  python run_hummingbot.py IN.json OUT.json
IN holds ``candles`` (columns timestamp [s, bar open], open, high, low, close, volume, signal),
``config`` (directional controller fields), ``interval`` and ``trade_cost``. OUT receives the
executors (creation and close timestamps, side, close type, PnL), Hummingbot's summary and the
wall time of ``run_backtesting`` itself (``seconds``).
Every socket call is refused: the run must not touch the network (the script exits 2 if it tried).
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

ATTEMPTS = refuse_network("cross-check")


import pandas as pd  # noqa: E402
from hummingbot.connector.trading_rule import TradingRule  # noqa: E402
from hummingbot.strategy_v2.backtesting.backtesting_engine_base import BacktestingEngineBase  # noqa: E402
from uptrade_signal_controller import UpTradeSignalConfig  # noqa: E402

CONNECTOR = "binance_perpetual"
PAIR = "BTC-USDT"


def _decimal(value: object) -> object:
    return None if value is None else Decimal(str(value))


async def run(spec: dict) -> dict:
    candles = pd.DataFrame(spec["candles"])
    candles["timestamp"] = candles["timestamp"].astype("float64")
    for col in ("open", "high", "low", "close", "volume"):
        candles[col] = candles[col].astype("float64")
    candles["signal"] = candles["signal"].astype("int64")
    interval = spec["interval"]
    engine = BacktestingEngineBase()
    provider = engine.backtesting_data_provider
    provider.candles_feeds[f"{CONNECTOR}_{PAIR}_{interval}"] = candles
    provider.trading_rules[CONNECTOR] = {
        PAIR: TradingRule(
            trading_pair=PAIR,
            min_order_size=Decimal("0.00001"),
            min_price_increment=Decimal("0.01"),
            min_base_amount_increment=Decimal("0.00001"),
            min_notional_size=Decimal("1"),
        )
    }
    provider.initialize_rate_sources = lambda *a, **k: None
    cfg = dict(spec["config"])
    trailing = cfg.pop("trailing_stop", None)
    config = UpTradeSignalConfig(
        id="uptrade-crosscheck",
        connector_name=CONNECTOR,
        trading_pair=PAIR,
        signal_interval=interval,
        total_amount_quote=_decimal(cfg["total_amount_quote"]),
        max_executors_per_side=int(cfg["max_executors_per_side"]),
        cooldown_time=int(cfg["cooldown_time"]),
        leverage=int(cfg.get("leverage", 1)),
        stop_loss=_decimal(cfg["stop_loss"]),
        take_profit=_decimal(cfg["take_profit"]),
        time_limit=cfg["time_limit"],
        trailing_stop=None if trailing is None else {k: str(v) for k, v in trailing.items()},
    )
    start, end = int(candles["timestamp"].iloc[0]), int(candles["timestamp"].iloc[-1])
    began = time.perf_counter()
    out = await engine.run_backtesting(
        config, start, end, backtesting_resolution=interval, trade_cost=float(spec["trade_cost"])
    )
    seconds = time.perf_counter() - began
    executors = [
        {
            "timestamp": float(e.timestamp),
            "close_timestamp": None if e.close_timestamp is None else float(e.close_timestamp),
            "side": e.side.name,
            "close_type": None if e.close_type is None else e.close_type.name,
            "net_pnl_quote": float(e.net_pnl_quote),
            "net_pnl_pct": float(e.net_pnl_pct),
            "filled_amount_quote": float(e.filled_amount_quote),
        }
        for e in sorted(out["executors"], key=lambda e: e.timestamp)
    ]
    results = {
        k: (float(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else v)
        for k, v in out["results"].items()
    }
    return {"executors": executors, "results": results, "seconds": seconds}


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    result = asyncio.run(run(spec))
    Path(sys.argv[2]).write_text(json.dumps(result, default=str))
    return 2 if ATTEMPTS else 0


if __name__ == "__main__":
    sys.exit(main())
