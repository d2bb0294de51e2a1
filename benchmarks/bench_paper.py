"""Paper trading throughput, against the batch backtest of the same bars as the anchor, in one run.

For a single-source bot (SniperProX minor turns) and a combined one (SniperProX + VZOProX + the
cycle MA, weighted), on real BTC/USDT 1h and 1m candles:

- **batch**: ``uptrade backtest``'s work on the whole range (the combined signal, then
  ``run_backtest``), in bars per second: the anchor;
- **paper, compute**: the paper engine's per-bar work alone (the streaming signal, then the
  executors and account of :class:`~uptrade.execution.paper_book.PaperBook`), no store;
- **paper, replay + SQLite** (and **+ PostgreSQL** when 127.0.0.1:5432 answers):
  ``PaperEngine.replay`` at full speed, every bar written in its own transaction;
- **bots per core on 1m**: a live 1m bot needs one bar a minute, so one core keeps
  ``bars/s x 60`` of them current (the store-backed figure is the honest one).

Every timing is the best of ``REPEAT`` after a warm-up run (numba compiled, caches hot). Figures
are printed, never asserted.

    python benchmarks/bench_paper.py [BARS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import PG_ADMIN_URL, load_market  # noqa: E402

from uptrade.data.store import Store, open_store  # noqa: E402
from uptrade.data.times import epoch_seconds  # noqa: E402
from uptrade.execution.bots import BotConfig  # noqa: E402
from uptrade.execution.paper import PaperEngine  # noqa: E402
from uptrade.execution.paper_book import PaperBook  # noqa: E402
from uptrade.execution.stream import SignalStream  # noqa: E402
from uptrade.research.run import combined_signal  # noqa: E402

REPEAT = 2
EXECUTION = {
    "total_amount_quote": 1000,
    "max_executors_per_side": 2,
    "cooldown_time": 60,
    "leverage": 5,
    "stop_loss": 0.01,
    "take_profit": 0.015,
    "time_limit": 14400,
    "trade_cost": 0.0006,
}
BOTS: dict[str, dict[str, Any]] = {
    "sniper:minor": {"sources": {"sniper:minor": {}}},
    "combined (sniper+vzo+cycle, weighted)": {
        "sources": {"sniper:minor": {}, "vzo:minor": {}, "cycle:cross": {}},
        "combine": {"mode": "weighted", "weights": {"sniper:minor": 2, "vzo:minor": 1, "cycle:cross": 1}},
    },
}


def bot(signals: dict[str, Any], timeframe: str) -> BotConfig:
    return BotConfig.model_validate(
        {
            "name": "bench",
            "strategy": {"signals": signals},
            "market": {"connector": "binance_perpetual", "trading_pair": "BTC-USDT", "timeframe": timeframe},
            "execution": EXECUTION,
        }
    )


def best(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def batch(candles: pd.DataFrame, b: BotConfig) -> None:
    from uptrade.research.backtest import run_backtest

    cfg = b.backtest_config()
    signal, _ = combined_signal(candles, cfg)
    run_backtest(candles, signal, cfg.executor, cfg.timeframe, cfg.account)


def compute(candles: pd.DataFrame, b: BotConfig) -> None:
    stream = SignalStream(b.strategy.signals)
    book = PaperBook(b.execution, b.account, 60 if b.market.timeframe == "1m" else 3600)
    times = epoch_seconds(candles.index).tolist()
    for t, bar in zip(times, candles[["open", "high", "low", "close", "volume"]].to_dict("records"), strict=True):
        book.step(t, bar["high"], bar["low"], bar["close"], stream.update(bar), True)


def replay(store: Store, candles: pd.DataFrame, b: BotConfig) -> None:
    store.delete_paper_run(b.name)
    PaperEngine(b, store).replay(candles.index[0], candles.index[-1])


def pg_url() -> tuple[str, Callable[[], None]] | None:
    """A fresh PostgreSQL database and its cleanup, or None when the server does not answer."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS "uptrade_bench_paper" WITH (FORCE)')
            conn.exec_driver_sql('CREATE DATABASE "uptrade_bench_paper"')
    except sa.exc.OperationalError:
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS "uptrade_bench_paper" WITH (FORCE)')
        admin.dispose()

    return admin.url.set(database="uptrade_bench_paper").render_as_string(hide_password=False), drop


def main(bars: int = 10_000) -> None:
    markets = {
        "1h": load_market("btcusdt_1h_binance.csv.gz").iloc[-bars:],
        "1m": load_market("btcusdt_1m_binance.csv.gz").iloc[-2 * bars :],
    }
    with tempfile.TemporaryDirectory() as tmp:
        stores = {"SQLite": open_store(f"sqlite:///{Path(tmp) / 'bench.db'}", init=True)}
        pg = pg_url()
        if pg is not None:
            stores["PostgreSQL"] = open_store(pg[0], init=True, timescaledb=False)
        for store in stores.values():
            for tf, candles in markets.items():
                store.write_ohlcv(candles, "BTC-USDT", tf)
        print(
            f"real BTC/USDT candles: {len(markets['1h']):,} 1h bars, {len(markets['1m']):,} 1m bars; best of {REPEAT}"
        )
        if pg is None:
            print("(PostgreSQL at 127.0.0.1:5432 does not answer: its column is left out)")
        for name, signals in BOTS.items():
            for tf, candles in markets.items():
                b = bot(signals, tf)
                n = len(candles)
                rates = {"batch backtest": n / best(lambda c=candles, b=b: batch(c, b))}
                rates["paper, compute"] = n / best(lambda c=candles, b=b: compute(c, b))
                for label, store in stores.items():
                    rates[f"paper, replay + {label}"] = n / best(lambda s=store, c=candles, b=b: replay(s, c, b))
                anchor = rates["batch backtest"]
                print(f"\n{name}, {tf} ({n:,} bars)")
                for label, rate in rates.items():
                    live = tf == "1m" and label != "batch backtest"
                    per_core = f"   {rate * 60:>10,.0f} 1m bots per core" if live else ""
                    ratio = "" if label == "batch backtest" else f"   batch / paper {anchor / rate:8.1f}x"
                    print(f"  {label:<26} {rate:>12,.0f} bars/s{ratio}{per_core}")
        print(
            "\n1m bots per core = bars/s x 60 (each needs a bar a minute). With the store, each bar is a durable "
            "commit:\non PostgreSQL that is the server's fsync, so its figure bounds a single writer, not the CPU."
        )
        for store in stores.values():
            store.close()
        if pg is not None:
            pg[1]()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
