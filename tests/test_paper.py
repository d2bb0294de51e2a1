"""Paper trading replays equal the backtest: the same executors, equity and statistics, on real candles.

The replay of a stored range is compared with ``run_backtest`` (what ``uptrade backtest`` runs) on
the same candles and config. The one difference is the end of the data: the backtest closes what
is still open at its last bar (time limit), a paper run keeps it open. So each test checks it
three ways: against the backtest on a longer range (then every executor opened in the replay's
range is final: the closed ones equal exactly, the open ones are those still open at its last
bar), against the backtest on the same range (closed ones equal, the open ones are the backtest's
end-of-data closes), and at a bar where nothing is open (then everything, statistics included,
equals the backtest on that range).

Helpers here are shared by the other ``test_paper_*`` modules.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from uptrade.data.store import Store, open_store
from uptrade.data.timeframes import parse_timeframe
from uptrade.execution.bots import BotConfig
from uptrade.execution.paper import PaperEngine
from uptrade.execution.paper_book import PaperBook
from uptrade.research.backtest import BacktestResult, run_backtest
from uptrade.research.run import load_candles, run_hummingbot

SNIPER: dict[str, Any] = {
    "name": "sniper_btc",
    "strategy": {"signals": {"sources": {"sniper:minor": {}}}},
    "market": {"connector": "binance_perpetual", "trading_pair": "BTC-USDT", "timeframe": "1h"},
    "execution": {
        "total_amount_quote": 1000,
        "max_executors_per_side": 2,
        "cooldown_time": 3600,
        "leverage": 5,
        "stop_loss": 0.02,
        "take_profit": 0.03,
        "time_limit": 86400,
        "trailing_stop": {"activation_price": 0.015, "trailing_delta": 0.005},
        "trade_cost": 0.0006,
    },
}
COMBINED: dict[str, Any] = {
    "name": "combined_eth",
    "strategy": {
        "signals": {
            "sources": {"sniper:minor": {}, "vzo:minor": {"vzo_length": 14}, "cycle:cross": {}},
            "combine": {"mode": "weighted", "weights": {"sniper:minor": 2, "vzo:minor": 1, "cycle:cross": 1}},
        }
    },
    "market": {"connector": "binance_perpetual", "trading_pair": "ETH-USDT", "timeframe": "1h"},
    "execution": {
        "total_amount_quote": 1000,
        "max_executors_per_side": 1,
        "cooldown_time": 7200,
        "leverage": 3,
        "stop_loss": 0.03,
        "take_profit": 0.05,
        "time_limit": 172800,
        "trade_cost": 0.0006,
    },
}
#: No stop loss on a small account: liquidated in May 2022 after some 45 executors.
RUIN: dict[str, Any] = {
    "name": "ruin_btc",
    "strategy": {"signals": {"sources": {"sniper:minor": {}}}},
    "market": {"connector": "binance_perpetual", "trading_pair": "BTC-USDT", "timeframe": "1h"},
    "execution": {
        "total_amount_quote": 1000,
        "max_executors_per_side": 3,
        "cooldown_time": 3600,
        "leverage": 10,
        "stop_loss": None,
        "take_profit": 0.01,
        "time_limit": None,
        "trade_cost": 0.0006,
    },
    "account": {"initial_capital": 200, "maintenance_margin": 0.05},
}
#: Columns of a stored executor that the backtest's executors table has too (its ``close_price`` is ``exit_price``).
SAME = ("side", "entry_price", "amount_quote", "net_pnl_quote", "net_pnl_pct", "fees_quote", "close_type")


def bot_dict(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of a bot mapping with top-level sections replaced or merged (``execution={...}`` merges)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def bot_file(path: Path, base: dict[str, Any], **changes: Any) -> Path:
    path.write_text(yaml.safe_dump(bot_dict(base, **changes), sort_keys=False))
    return path


def make_store(url: str, **markets: pd.DataFrame) -> Store:
    """A store at ``url`` holding the 1h candles given as ``BTC_USDT=frame``."""
    store = open_store(url, init=True)
    for key, frame in markets.items():
        store.write_ohlcv(frame, key.replace("_", "-"), "1h")
    return store


def backtest(store: Store, bot: BotConfig, start: str, end: str) -> BacktestResult:
    """``uptrade backtest`` of the bot file on the stored candles from ``start`` to ``end``."""
    cfg = bot.backtest_config().model_copy(update={"start": start, "end": end})
    return run_hummingbot(cfg, load_candles(store, cfg))[0]


def stored(store: Store, name: str) -> pd.DataFrame:
    return store.paper_executors(name)


def assert_same_closed(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Stored closed executors against backtest executors: times, sides and close types exactly, money to 1e-9."""
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    assert len(got) == len(want), (len(got), len(want))
    assert list(got["open_time"]) == list(want["open_time"])
    assert list(got["close_time"]) == list(want["close_time"])
    assert list(got["side"]) == list(want["side"])
    assert list(got["close_type"]) == list(want["close_type"])
    for col in ("entry_price", "amount_quote", "net_pnl_quote", "net_pnl_pct", "fees_quote"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, atol=1e-9, err_msg=col)
    np.testing.assert_allclose(got["exit_price"], want["close_price"], rtol=1e-12, atol=1e-9)


def flat_bar(result: BacktestResult, before: pd.Timestamp) -> pd.Timestamp:
    """The last bar before ``before`` where no executor of ``result`` is open or opens (none spans it)."""
    ex = result.executors
    index = result.equity.index[result.equity.index < before]
    busy = np.zeros(len(index), dtype=bool)
    for o, c in zip(ex["open_time"], ex["close_time"], strict=True):
        busy |= (index >= o) & (index < c) | (index == o)
    return index[np.flatnonzero(~busy)[-1]]


def busy_bar(result: BacktestResult, before: pd.Timestamp) -> pd.Timestamp:
    """The last bar before ``before`` with an executor of ``result`` open over it (opened before, closing after)."""
    ex = result.executors
    index = result.equity.index[result.equity.index < before]
    busy = np.zeros(len(index), dtype=bool)
    for o, c in zip(ex["open_time"], ex["close_time"], strict=True):
        busy |= (index > o) & (index < c)
    return index[np.flatnonzero(busy)[-1]]


def assert_matches_backtest(store: Store, bot: BotConfig, start: str, last: pd.Timestamp, wide: BacktestResult) -> None:
    """The stored executors of a run that reached ``last`` against the backtest (module docstring).

    ``wide``: the backtest from ``start`` to well after ``last``, where every executor opened by
    ``last`` is final: the closed ones equal exactly, the open ones are those open over ``last``.
    The backtest on [start, last] closes those at ``last`` (time limit not yet due): the rest equal.
    """
    rows = stored(store, bot.name)
    assert rows["open_time"].is_unique
    closed, still_open = rows[rows["status"] == "closed"], rows[rows["status"] == "open"]
    w = wide.executors
    assert_same_closed(closed, w[w["close_time"] <= last])
    spanning = w[(w["open_time"] <= last) & (w["close_time"] > last)]
    assert len(spanning) >= 1, "pick an end with an executor open over it"
    assert list(zip(still_open["open_time"], still_open["side"], strict=True)) == list(
        zip(spanning["open_time"], spanning["side"], strict=True)
    )
    short = backtest(store, bot, start, str(last)).executors
    tl = bot.execution.time_limit or np.inf
    cut = (short["close_time"] == last) & (short["close_type"] == "time_limit")
    bar = pd.Timedelta(seconds=parse_timeframe(bot.market.timeframe).seconds)
    cut &= (short["open_time"] + pd.to_timedelta(tl, unit="s")) >= last + bar
    assert_same_closed(closed, short[~cut])
    ends = short[cut]
    assert list(ends["open_time"][ends["open_time"] < last]) == list(
        still_open["open_time"][still_open["open_time"] < last]
    )
    # on its last bar the backtest may open where those end-of-data closes freed a slot; live they are still open
    assert (still_open["open_time"] == last).sum() <= (ends["open_time"] == last).sum()


def check_replay(store: Store, bot: BotConfig, start: str, before: str, longer: str) -> PaperEngine:
    """Replay to a flat bar (everything equals the backtest), then on to a bar with executors open over it."""
    wide = backtest(store, bot, start, longer)
    last = busy_bar(wide, pd.Timestamp(before, tz="UTC"))
    end = str(last)
    flat = flat_bar(wide, last - pd.Timedelta(days=20))
    engine = PaperEngine(bot, store)
    engine.replay(start, flat)
    # 1. nothing open at the flat bar: executors, equity and every statistic are the backtest's on [start, flat]
    same = backtest(store, bot, start, str(flat))
    assert engine.status == "finished"
    assert engine.book.last_time == int(flat.timestamp())
    assert len(same.executors) >= 20, "too few executors on this range to test anything"
    pd.testing.assert_frame_equal(engine.book.executors(), same.executors, check_exact=True)
    assert_same_closed(stored(store, bot.name), same.executors)
    np.testing.assert_array_equal(engine.book.equity_curve().to_numpy(), same.equity.to_numpy())
    got_stats, want_stats = engine.book.stats(), same.stats
    assert got_stats.keys() == want_stats.keys()
    for key, want in want_stats.items():
        if isinstance(want, float):
            np.testing.assert_allclose(got_stats[key], want, rtol=1e-12, atol=1e-9, err_msg=key)
        else:
            assert got_stats[key] == want, key
    # 2. on to `end`, resuming the stored run in a new engine: executors still open there stay open
    engine = PaperEngine(bot, store)
    engine.replay(start, end)
    assert engine.resumed
    assert engine.status == "finished"
    assert_matches_backtest(store, bot, start, last, wide)
    np.testing.assert_array_equal(engine.book.equity_curve().to_numpy(), wide.equity.loc[:last].to_numpy())
    return engine


@pytest.mark.parametrize(
    ("base", "market", "start", "end", "longer"),
    [
        (SNIPER, "btc_1h", "2023-01-01", "2023-05-16 13:00", "2023-06-30"),
        (COMBINED, "eth_1h", "2023-02-01", "2023-06-20 09:00", "2023-07-31"),
    ],
    ids=["sniper", "combined"],
)
def test_replay_equals_the_backtest(
    base: dict[str, Any], market: str, start: str, end: str, longer: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    candles = request.getfixturevalue(market).loc["2022-12-01":"2023-08-31"]
    symbol = base["market"]["trading_pair"].replace("-", "_")
    store = make_store(f"sqlite:///{tmp_path / 'paper.db'}", **{symbol: candles})
    bot = BotConfig.model_validate(base)
    engine = check_replay(store, bot, start, end, longer)
    perf = store.paper_performance(bot.name)
    assert len(perf) == engine.book.n  # 1h bars: a bot_performance row every bar
    assert perf["trades"].iloc[-1] == (stored(store, bot.name)["status"] == "closed").sum()
    assert perf["pnl"].iloc[-1] == pytest.approx(engine.book.equity - engine.book.capital, abs=1e-9)
    stats = engine.book.stats()
    assert perf["sharpe"].iloc[-1] == pytest.approx(stats["sharpe"], rel=1e-12)
    assert perf["drawdown"].iloc[-1] == pytest.approx(stats["max_drawdown_pct"], rel=1e-12)
    (run,) = store.paper_runs()
    assert run["status"] == "finished"
    assert run["last_bar"] == engine.book.last_time
    store.close()


def test_replay_of_a_ruined_account_equals_the_backtest(btc_1h: pd.DataFrame, tmp_path: Path) -> None:
    """Liquidated at the same bar, the open executors closed there (liquidation), nothing after it."""
    store = make_store(f"sqlite:///{tmp_path / 'ruin.db'}", BTC_USDT=btc_1h.loc["2022-01-01":"2022-12-31"])
    bot = BotConfig.model_validate(RUIN)
    want = backtest(store, bot, "2022-02-01", "2022-12-31")
    assert want.stats["ruined"], "this config must be liquidated on these bars"
    ruin = want.stats["ruined_at"]
    engine = PaperEngine(bot, store)
    engine.replay("2022-02-01", "2022-12-31")
    assert engine.status == "ruined"
    assert engine.book.ruined
    assert engine.book.last_time == int(ruin.timestamp())  # the run stops at the liquidation
    rows = stored(store, bot.name)
    assert (rows["status"] == "closed").all()
    assert len(rows) >= 40
    assert (rows["close_type"] == "liquidation").sum() >= 2
    assert_same_closed(rows, want.executors)
    curve = engine.book.equity_curve().to_numpy()
    np.testing.assert_array_equal(curve, want.equity.loc[:ruin].to_numpy())
    assert want.equity.iloc[-1] == pytest.approx(curve[-1], abs=1e-9)  # the backtest holds what was left
    got = engine.book.stats()
    assert got["ruined"]
    assert got["ruined_at"] == ruin
    assert got["shortfall_quote"] == pytest.approx(want.stats["shortfall_quote"], abs=1e-9)
    (run,) = store.paper_runs()
    assert run["status"] == "ruined"
    assert run["equity"] == pytest.approx(want.stats["final_equity"], abs=1e-9)
    again = PaperEngine(bot, store)  # a ruined run resumes to nothing more
    again.replay("2022-02-01", "2022-12-31")
    assert again.status == "ruined"
    assert again.book.last_time == engine.book.last_time
    store.close()


def test_time_limit_over_a_gap_closes_on_the_bar_before_it(btc_1h: pd.DataFrame) -> None:
    """Binance has no BTC bars from 2021-08-13 01:00 to 06:00: an executor whose limit ends inside closes at 01:00."""
    candles = btc_1h.loc["2021-08-10":"2021-08-16"]
    assert candles.index.to_series().diff().max() == pd.Timedelta(hours=5)
    bot = BotConfig.model_validate(
        bot_dict(
            SNIPER, execution={"stop_loss": None, "take_profit": None, "trailing_stop": None, "time_limit": 7 * 3600}
        )
    )
    signal = pd.Series(0, index=candles.index, dtype=np.int8)
    signal[pd.Timestamp("2021-08-12 20:00", tz="UTC")] = 1
    signal[pd.Timestamp("2021-08-14 12:00", tz="UTC")] = -1  # and one with no gap: closes on its last bar within
    want = run_backtest(candles, signal, bot.execution, "1h", bot.account).executors
    book = PaperBook(bot.execution, bot.account, 3600)
    for (t, bar), s in zip(candles.iterrows(), signal, strict=True):
        book.step(int(t.timestamp()), bar["high"], bar["low"], bar["close"], int(s), True)
    got = book.executors()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got["close_time"]) == [
        pd.Timestamp("2021-08-13 01:00", tz="UTC"),
        pd.Timestamp("2021-08-14 19:00", tz="UTC"),
    ]
    assert list(got["close_type"]) == ["time_limit", "time_limit"]


@pytest.mark.parametrize("backend", ["postgresql", "timescaledb"])
def test_replay_on_postgresql_stores_what_sqlite_stores(
    backend: str, btc_1h: pd.DataFrame, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The paper tables on the server backends: the same rows, runs and performance as on SQLite."""
    databases = request.getfixturevalue("tsdb" if backend == "timescaledb" else "pg")
    candles = btc_1h.loc["2023-01-01":"2023-03-31"]
    bot = BotConfig.model_validate(SNIPER)
    results = {}
    end = None
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'p.db'}"), (backend, databases.create("paper"))):
        store = make_store(url, BTC_USDT=candles)
        assert store.mode == name
        end = end or str(
            busy_bar(backtest(store, bot, "2023-01-15", "2023-03-31"), pd.Timestamp("2023-03-25", tz="UTC"))
        )
        PaperEngine(bot, store).replay("2023-01-15", end)
        results[name] = (store.paper_executors(bot.name), store.paper_runs(), store.paper_performance(bot.name))
        store.close()
    (lite_rows, lite_runs, lite_perf), (rows, runs, perf) = results["sqlite"], results[backend]
    assert len(rows) > 20
    assert (rows["status"] == "open").any()
    pd.testing.assert_frame_equal(rows, lite_rows, check_exact=True)
    pd.testing.assert_frame_equal(perf, lite_perf, check_exact=True)
    for key in ("bot_name", "config_hash", "config", "first_bar", "trade_from", "last_bar", "status", "equity"):
        assert runs[0][key] == lite_runs[0][key], key
