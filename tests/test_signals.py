"""uptrade.signals: the int8 convention, adapters from real indicator outputs, the spec-7 combiner against
per-bar loops, storage on both backends and ``uptrade signals run``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from uptrade.cli import app
from uptrade.data.store import Store
from uptrade.indicators.sniper import sniper_prox
from uptrade.indicators.vzo import vzo_prox_frame
from uptrade.signals import (
    ADAPTERS,
    CombinerConfig,
    SignalError,
    adapt,
    as_signal,
    combine,
    compute_signal,
    from_flags,
    parse_source,
    store_signal,
)

runner = CliRunner()
SYMBOL = "BTC-USDT"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UPTRADE_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def candles(btc_1h: pd.DataFrame) -> pd.DataFrame:
    return btc_1h.iloc[-4000:]


# --- convention ----------------------------------------------------------------------------------


def test_as_signal_checks_and_names_the_bar() -> None:
    assert as_signal([1, 0, -1, 1.0]).dtype == np.int8
    with pytest.raises(SignalError, match="bar 2 holds 2"):
        as_signal([1, 0, 2], "x")
    with pytest.raises(SignalError, match="bar 1 holds nan"):
        as_signal([1.0, np.nan])
    with pytest.raises(SignalError, match="flags"):
        as_signal(np.array([True, False]))
    with pytest.raises(SignalError, match="length 2 differs"):
        as_signal([1, 0], "y", length=3)
    with pytest.raises(SignalError, match="1-D"):
        as_signal([[1, 0]])


def test_from_flags_gives_zero_where_flags_disagree() -> None:
    got = from_flags([True, False, True, False], [False, True, True, False])
    assert got.tolist() == [1, -1, 0, 0]
    assert got.dtype == np.int8


# --- combiner against per-bar loops --------------------------------------------------------------


def loop_combine(s: dict[str, np.ndarray], mode: str, weights=None, threshold=0.5, primary=None, window=3):
    names = list(s)
    n = len(s[names[0]])
    out = np.zeros(n, dtype=int)
    for t in range(n):
        vals = [int(s[k][t]) for k in names]
        if mode == "and":
            out[t] = vals[0] if vals[0] != 0 and all(v == vals[0] for v in vals) else 0
        elif mode == "or":
            ups, downs = vals.count(1), vals.count(-1)
            out[t] = 1 if ups > downs else -1 if downs > ups else 0
        elif mode == "weighted":
            w = [1.0 if weights is None else weights.get(k, 1.0) for k in names]
            score = sum(wi * v for wi, v in zip(w, vals, strict=True)) / sum(w)
            out[t] = 1 if score >= threshold else -1 if score <= -threshold else 0
        else:
            p = int(s[primary][t])
            lo = max(0, t - window + 1)
            ok = p != 0 and all(p in s[k][lo : t + 1] for k in names if k != primary)
            out[t] = p if ok else 0
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["and", "or", "weighted", "confirm"])
def test_combine_equals_the_per_bar_rules(seed: int, mode: str) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 5))
    n = 600
    sig = {f"s{i}": rng.choice([-1, 0, 1], n, p=[0.2, 0.6, 0.2]).astype(np.int8) for i in range(k)}
    kw: dict = {}
    loop_kw: dict = {}
    if mode == "weighted":
        weights = {f"s{i}": float(rng.uniform(0, 3)) for i in range(k)}
        weights["s0"] = 1.0 + weights["s0"]
        threshold = float(rng.choice([0.25, 0.5, 1.0]))
        kw = {"weights": weights, "threshold": threshold}
        loop_kw = {"weights": weights, "threshold": threshold}
    if mode == "confirm":
        window = int(rng.integers(1, 6))
        kw = {"primary": "s0", "confirm_window": window}
        loop_kw = {"primary": "s0", "window": window}
    got = combine(sig, mode, **kw)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, loop_combine(sig, mode, **loop_kw))


def test_combine_edge_rules() -> None:
    a = np.array([1, 1, -1, 0, 1], dtype=np.int8)
    b = np.array([1, -1, -1, 1, 0], dtype=np.int8)
    c = np.array([-1, -1, 1, -1, 0], dtype=np.int8)
    assert combine({"a": a, "b": b}, "and").tolist() == [1, 0, -1, 0, 0]
    assert combine({"a": a, "b": b}, "or").tolist() == [1, 0, -1, 1, 1]  # 1 vs -1 is a tie: 0
    assert combine({"a": a, "b": b, "c": c}, "or").tolist() == [1, -1, -1, 0, 1]
    # weighted: exactly on the threshold counts
    assert combine({"a": a, "b": b}, "weighted", weights={"a": 3, "b": 1}, threshold=0.5).tolist() == [1, 1, -1, 0, 1]
    # confirm: b's -1 two bars back confirms a's -1 with window 3, not with window 1
    p = np.array([0, 0, 0, -1], dtype=np.int8)
    q = np.array([0, -1, 0, 0], dtype=np.int8)
    assert combine({"p": p, "q": q}, "confirm", primary="p", confirm_window=3).tolist() == [0, 0, 0, -1]
    assert combine({"p": p, "q": q}, "confirm", primary="p", confirm_window=2).tolist() == [0, 0, 0, 0]


def test_combine_refuses_bad_input() -> None:
    a = np.array([1, 0, -1], dtype=np.int8)
    with pytest.raises(SignalError, match="length 2 differs"):
        combine({"a": a, "b": np.array([1, 0])}, "and")
    with pytest.raises(SignalError, match="b: bar 1 holds 3"):
        combine({"a": a, "b": np.array([1, 3, 0])}, "or")
    with pytest.raises(SignalError, match="weights: unknown signal"):
        combine({"a": a}, "weighted", weights={"zz": 1.0})
    with pytest.raises(SignalError, match="primary: unknown signal"):
        combine({"a": a}, "confirm", primary="zz")
    with pytest.raises(SignalError, match="primary"):
        combine({"a": a}, "confirm")
    with pytest.raises(SignalError, match="mode"):
        combine({"a": a}, "xor")
    with pytest.raises(SignalError, match="threshold"):
        combine({"a": a}, "weighted", threshold=0.0)
    with pytest.raises(SignalError, match="weights: their sum"):
        combine({"a": a}, "weighted", weights={"a": 0.0})
    with pytest.raises(SignalError, match="confirm_window"):
        combine({"a": a}, "confirm", primary="a", confirm_window=0)
    with pytest.raises(SignalError, match="at least one"):
        combine({}, "and")
    idx = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    with pytest.raises(SignalError, match="index differs"):
        combine({"a": pd.Series(a, index=idx), "b": pd.Series(a, index=idx + pd.Timedelta("1h"))}, "and")


def test_series_in_series_out_and_config_object() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    out = combine({"a": pd.Series([1, 0, -1], index=idx), "b": pd.Series([1, 1, -1], index=idx)}, "and")
    assert isinstance(out, pd.Series)
    assert out.index.equals(idx)
    assert out.tolist() == [1, 0, -1]
    cfg = CombinerConfig(mode="weighted", weights={"a": 2.0}, threshold=0.6)
    assert cfg.apply({"a": np.array([1, -1]), "b": np.array([0, 1])}).tolist() == [1, 0]
    with pytest.raises(ValueError, match="weights"):
        CombinerConfig(mode="weighted", weights={"a": -1.0})
    with pytest.raises(ValueError, match="mode"):
        CombinerConfig(mode="xor")  # type: ignore[arg-type]


# --- adapters ------------------------------------------------------------------------------------


def test_adapters_read_the_right_flags(candles: pd.DataFrame) -> None:
    res = sniper_prox(candles["high"], candles["low"], candles["close"], candles["volume"])
    np.testing.assert_array_equal(adapt(res, "sniper:major"), res.signal)  # the spec's own signal
    for kind, (buy, sell) in {
        "minor": ("minor_buy", "minor_sell"),
        "trail": ("buy_trail", "sell_trail"),
        "adaptive": ("adaptive_cross_up", "adaptive_cross_down"),
    }.items():
        b, s = getattr(res, buy), getattr(res, sell)
        want = np.where(b & ~s, 1, np.where(s & ~b, -1, 0))
        np.testing.assert_array_equal(adapt(res, f"sniper:{kind}"), want)
        assert (want != 0).sum() > 10, kind
    frame = vzo_prox_frame(candles)
    got = adapt(frame, "vzo")
    assert isinstance(got, pd.Series)
    np.testing.assert_array_equal(got.to_numpy(), frame["signal"].to_numpy())
    np.testing.assert_array_equal(
        adapt(frame, "vzo:zero_cross").to_numpy(),
        frame["zero_cross_up"].astype(int) - frame["zero_cross_down"].astype(int),
    )
    with pytest.raises(SignalError, match="lack column"):
        adapt(frame, "sniper:trail")
    with pytest.raises(SignalError, match="unknown"):
        parse_source("rsi:cross")
    assert parse_source("SNIPER").name == "sniper:major"


@pytest.mark.parametrize("source", sorted(ADAPTERS))
def test_every_source_is_causal_on_real_candles(candles: pd.DataFrame, source: str) -> None:
    params = {"window": 256} if source.startswith("spectral") else {}
    full = compute_signal(candles, source, **params)
    assert full.dtype == np.int8
    assert set(np.unique(full)) <= {-1, 0, 1}
    for k in (700, 2501):
        part = compute_signal(candles.iloc[:k], source, **params)
        np.testing.assert_array_equal(part.to_numpy(), full.to_numpy()[:k])


# --- storage and CLI -----------------------------------------------------------------------------


def test_store_signal_round_trips_and_refuses_bad_signals(store: Store, candles: pd.DataFrame) -> None:
    sig = compute_signal(candles, "sniper:minor")
    params = {"sources": {"sniper:minor": {}}, "mode": "and"}
    assert store_signal(store, SYMBOL, "1h", "mine", sig, params) == len(sig)
    got = store.read_signals(SYMBOL, "1h", "mine")
    np.testing.assert_array_equal(got["signal"].to_numpy(), sig.to_numpy())
    assert got.index.equals(sig.index)
    assert got["params"].iloc[0] == params
    bad = sig.astype(np.int64).copy()
    bad.iloc[5] = 4
    with pytest.raises(SignalError, match="bar 5 holds 4"):
        store_signal(store, SYMBOL, "1h", "mine", bad, params)
    np.testing.assert_array_equal(store.read_signals(SYMBOL, "1h", "mine")["signal"].to_numpy(), sig.to_numpy())


def test_cli_signals_run_combines_and_stores(store: Store, candles: pd.DataFrame) -> None:
    store.write_ohlcv(candles, SYMBOL, "1h")
    url = store.engine.url.render_as_string(hide_password=False)
    args = ["--db", url, "signals", "run", "-s", SYMBOL, "-t", "1h", "-i", "sniper:minor", "-i", "vzo:minor"]
    args += ["-p", "vzo.vzo_length=10", "--mode", "weighted", "-w", "sniper:minor=2", "--threshold", "0.6"]
    result = runner.invoke(app, [*args, "--store", "combo"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    a = compute_signal(candles, "sniper:minor")
    b = compute_signal(candles, "vzo:minor", vzo_length=10)
    want = combine({"sniper:minor": a, "vzo:minor": b}, "weighted", weights={"sniper:minor": 2.0}, threshold=0.6)
    stored = store.read_signals(SYMBOL, "1h", "combo")
    np.testing.assert_array_equal(stored["signal"].to_numpy(), want.to_numpy())
    assert f"combined: {int((want == 1).sum())} long, {int((want == -1).sum())} short" in result.output
    assert stored["params"].iloc[0]["sources"] == {"sniper:minor": {}, "vzo:minor": {"vzo_length": 10}}
    for bad, message in (
        (["-i", "rsi"], "unknown"),
        (["-i", "sniper", "-p", "vzo.vzo_length=3"], "'vzo' is not one of the sources"),
        (["-i", "sniper", "--mode", "confirm"], "primary"),
        (["-i", "sniper", "-p", "sniper.nope=1"], "no such parameter"),
    ):
        res = runner.invoke(
            app, ["--db", url, "signals", "run", "-s", SYMBOL, "-t", "1h", *bad], env={"COLUMNS": "200"}
        )
        assert res.exit_code == 1, res.output
        assert message in res.output
