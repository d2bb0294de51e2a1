"""The research commands' shell: market overrides, output paths checked first, help text, the one
``SOURCE.param=value`` syntax, did-you-mean messages, ``--version``, ``strategies list`` and every
example strategy run on the sample candles."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest
import typer
import yaml
from rich.emoji import Emoji
from typer.testing import CliRunner

from tests.conftest import load_market
from uptrade.cli import app
from uptrade.errors import ConfigError, ParameterError
from uptrade.research.config import BacktestConfig
from uptrade.research.space import ParamSpace
from uptrade.research.strategies import list_strategies
from uptrade.signals import ADAPTERS, MODES, compute_signal
from uptrade.signals.params import parse_source_params, resolve_param

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "sniper_btc_1h.yml"
#: Every example runs on this stretch of the sample (long enough for the 256-bar spectral window).
SPAN = ["--start", "2025-03-01", "--end", "2025-05-31"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTRADE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UPTRADE_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store with the sample's BTC-USDT 1h (2025 H1), a month of ETH-USDT 1h and SOL-USDT 1h (2025 H1)."""
    from uptrade.data.store import open_store

    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'research.db'}"
    store = open_store(url)
    store.write_ohlcv(load_market("btcusdt_1h_binance.csv.gz").loc["2025-01-01":"2025-06-30"], "BTC-USDT", "1h")
    store.write_ohlcv(load_market("ethusdt_1h_binance.csv.gz").loc["2025-04-01":"2025-04-30"], "ETH-USDT", "1h")
    store.write_ohlcv(load_market("solusdt_1h_binance.csv.gz").loc["2025-01-01":"2025-06-30"], "SOL-USDT", "1h")
    store.close()
    return url


def run(db: str, *args: str) -> typer.testing.Result:
    return runner.invoke(app, ["--db", db, *args], env={"COLUMNS": "200"})


def flat(output: str) -> str:
    """The output with every run of whitespace as one space (a table title may wrap)."""
    return " ".join(output.split())


def executors(output: str) -> int:
    line = next(ln for ln in output.splitlines() if " executors " in ln)
    return int(line.split("│")[2].strip())


def candles_in(db: str, symbol: str, timeframe: str, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    from uptrade.data.store import open_store

    store = open_store(db)
    try:
        return store.read_ohlcv(symbol, timeframe, start=start, end=end)
    finally:
        store.close()


# --- overrides -------------------------------------------------------------------------------------


def test_market_overrides_replace_the_files_settings(db: str) -> None:
    res = run(db, "backtest", "-c", str(EXAMPLE), "-t", "4h", "--start", "2025-03-01", "--end", "2025-04-30")
    assert res.exit_code == 0, res.output
    bars = candles_in(db, "BTC-USDT", "4h", "2025-03-01", "2025-04-30")
    assert "backtest BTC-USDT 4h 2025-03-01..2025-04-30 (hummingbot)" in flat(res.output)
    assert f"over {len(bars):,} bars" in res.output
    eth = run(db, "backtest", "-c", str(EXAMPLE), "-s", "ETH-USDT", "--start", "2025-04-01", "--end", "2025-04-30")
    assert eth.exit_code == 0, eth.output
    assert "backtest ETH-USDT 1h 2025-04-01..2025-04-30" in flat(eth.output)
    assert f"over {len(candles_in(db, 'ETH-USDT', '1h', '2025-04-01', '2025-04-30')):,} bars" in eth.output
    opt = run(db, "optimize", "-c", str(EXAMPLE), "-g", "stop_loss=0.02,0.03", "--min-trades", "0", "--symbol",
              "ETH-USDT", "--start", "2025-04-01", "--end", "2025-04-15")  # fmt: skip
    assert opt.exit_code == 0, opt.output
    bars = candles_in(db, "ETH-USDT", "1h", "2025-04-01", "2025-04-15")
    assert f"2 points over stop_loss, {len(bars):,} ETH-USDT 1h bars" in opt.output
    bad = run(db, "backtest", "-c", str(EXAMPLE), "-t", "7x")
    assert bad.exit_code == 1
    assert bad.output.strip().startswith("error: --timeframe: unsupported timeframe '7x'")


# --- output paths checked before any work ----------------------------------------------------------


@pytest.mark.parametrize("command", ["backtest", "optimize"])
def test_unwritable_output_fails_in_one_line_before_running(db: str, tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = blocker / "report.html"
    extra = ["-g", "stop_loss=0.02,0.03"] if command == "optimize" else []
    # the example's whole 2025 H1 would run for a while: the refusal must come before it
    res = run(db, command, "-c", str(EXAMPLE), *extra, "--report", str(target))
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [f"error: --report {target}: cannot write in {blocker}: not a directory"]
    assert not target.exists()
    folder = run(db, command, "-c", str(EXAMPLE), *extra, "--report", str(tmp_path))
    assert folder.exit_code == 1
    assert "is a directory, expected a file path" in folder.output
    assert "executors" not in folder.output + res.output  # nothing ran
    if command == "optimize":
        out = run(db, command, "-c", str(EXAMPLE), *extra, "--output", str(blocker / "points.csv"))
        assert out.exit_code == 1
        assert out.output.startswith("error: --output ")
        assert "points over" not in out.output


# --- help text -------------------------------------------------------------------------------------


def _help_texts(command: object, path: str = "uptrade") -> Iterator[tuple[str, str]]:
    yield path, getattr(command, "help", None) or ""
    for param in getattr(command, "params", ()):
        yield f"{path} {param.name}", getattr(param, "help", None) or ""
    for name, sub in getattr(command, "commands", {}).items():
        yield from _help_texts(sub, f"{path} {name}")


def test_no_help_text_turns_into_an_emoji() -> None:
    texts = list(_help_texts(typer.main.get_command(app)))
    assert len(texts) > 50
    assert [(where, text) for where, text in texts if Emoji.replace(text) != text] == []
    page = runner.invoke(app, ["optimize", "--help"], env={"COLUMNS": "200"})
    assert page.exit_code == 0
    assert "START:STOP:STEP" in page.output
    assert "🅱" not in page.output
    assert "SOURCE.param" in page.output
    assert "SOURCE.param=value" in runner.invoke(app, ["signals", "run", "--help"], env={"COLUMNS": "200"}).output


# --- one parameter syntax --------------------------------------------------------------------------


def test_source_param_syntax_is_the_same_for_signals_and_the_grid() -> None:
    sources = ["sniper:minor", "vzo:minor"]
    full = parse_source_params(["sniper:minor.length=20", "vzo:minor.vzo_length=10"], sources)
    assert full == {"sniper:minor": {"length": 20}, "vzo:minor": {"vzo_length": 10}}
    assert parse_source_params(["sniper.length=20", "vzo.vzo_length=10"], sources) == full
    assert parse_source_params(["length=20", "vzo_length=10"], sources) == full
    assert resolve_param("SNIPER:MINOR.length", sources) == ("sniper:minor", "length")
    cfg = BacktestConfig.from_yaml(EXAMPLE)
    dims = [ParamSpace.parse(g, cfg).dims[0] for g in ("sniper:minor.length=20,24", "sniper.length=20,24")]
    assert [(d.target, d.source, d.field, d.values) for d in dims] == [
        ("source", "sniper:minor", "length", (20, 24))
    ] * 2
    two = ["sniper:minor", "sniper:major"]
    with pytest.raises(ParameterError, match=r"'sniper' is more than one source; write one of sniper:minor\.length"):
        parse_source_params(["sniper.length=20"], two)
    assert parse_source_params(["sniper:major.length=20"], two) == {"sniper:minor": {}, "sniper:major": {"length": 20}}


def test_signals_run_reads_both_spellings_alike(db: str) -> None:
    base = ["signals", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "sniper:minor", "-i", "vzo:minor"]
    full = run(db, *base, "-p", "sniper:minor.length=20", "-p", "vzo:minor.vzo_length=10")
    short = run(db, *base, "-p", "sniper.length=20", "-p", "vzo.vzo_length=10")
    assert full.exit_code == 0, full.output
    assert full.output == short.output
    candles = candles_in(db, "BTC-USDT", "1h")
    want = compute_signal(candles, "sniper:minor", length=20)
    assert f"sniper:minor: {int((want == 1).sum())} long, {int((want == -1).sum())} short" in full.output
    two = run(db, "signals", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "sniper:minor", "-i", "sniper:major",
              "-p", "sniper.length=20")  # fmt: skip
    assert two.exit_code == 1
    assert "error: --param sniper.length: 'sniper' is more than one source" in two.output


# --- did you mean ----------------------------------------------------------------------------------


def _config_with(tmp_path: Path, section: str | None, field: str) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text())
    (raw if section is None else raw[section])[field] = 1
    path = tmp_path / "sniper_btc_1h.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("section", "field", "message"),
    [
        ("executor", "stop_los", "executor.stop_los: unknown field; did you mean stop_loss?"),
        (None, "timefrme", "timefrme: unknown field; did you mean timeframe?"),
        ("executor", "zzz", "executor.zzz: unknown field; valid: total_amount_quote, max_executors_per_side"),
    ],
)
def test_unknown_config_fields_suggest_the_right_name(
    tmp_path: Path, section: str | None, field: str, message: str
) -> None:
    path = _config_with(tmp_path, section, field)
    with pytest.raises(ConfigError) as err:
        BacktestConfig.from_yaml(path)
    assert str(err.value).startswith(f"{path}: {message}")
    res = runner.invoke(app, ["backtest", "-c", str(path)], env={"COLUMNS": "300"})
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [f"error: {err.value}"]


def test_nested_unknown_fields_and_parameters_suggest_too(tmp_path: Path, db: str) -> None:
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["signals"]["combine"]["confirm_windw"] = 3
    raw["signals"]["sources"]["sniper:minor"] = {"lenght": 28}
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(
        ConfigError, match=r"signals\.combine\.confirm_windw: unknown field; did you mean confirm_window\?"
    ):
        BacktestConfig.from_yaml(path)
    del raw["signals"]["combine"]["confirm_windw"]
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"sniper:minor\.lenght: sniper has no such parameter; did you mean length\?"):
        BacktestConfig.from_yaml(path)
    grid = run(db, "optimize", "-c", str(EXAMPLE), "-g", "stop_los=0.01,0.02")
    assert grid.exit_code == 1
    assert "error: --grid stop_los: no such parameter; did you mean stop_loss?" in grid.output
    param = run(db, "signals", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "vzo:minor", "-p", "vzo.vzo_lenght=3")
    assert param.exit_code == 1
    assert "error: --param vzo.vzo_lenght: vzo has no such parameter; did you mean vzo_length or" in param.output
    ind = run(db, "indicators", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "sniper", "-p", "lenght=3")
    assert ind.exit_code == 1
    assert "did you mean length?" in ind.output


# --- version and strategies ------------------------------------------------------------------------


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output == f"uptrade {version('uptrade')}\n"


def test_strategies_list_shows_every_file_and_the_broken_ones(tmp_path: Path) -> None:
    res = runner.invoke(app, ["strategies", "list", "--dir", str(EXAMPLES)], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    files = sorted(EXAMPLES.glob("*.yml"))
    assert f"{len(files)} file(s)" in res.output
    row = next(ln for ln in res.output.splitlines() if "sniper_btc_1h.yml" in ln)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[1:5] == ["BTC-USDT", "1h", "sniper:minor, vzo:minor", "confirm"]
    assert cells[5].startswith("SniperProX confirmed by VZOProX")
    (tmp_path / "good.yml").write_text(EXAMPLE.read_text())
    (tmp_path / "typo.yaml").write_text("# a typo\n" + EXAMPLE.read_text().replace("stop_loss", "stop_los"))
    (tmp_path / "notes.txt").write_text("not a strategy")
    mine = runner.invoke(app, ["strategies", "list", "-d", str(tmp_path)], env={"COLUMNS": "400"})
    assert mine.exit_code == 0, mine.output
    assert "2 file(s), 1 invalid" in mine.output
    assert "invalid: executor.stop_los: unknown field; did you mean stop_loss?" in mine.output
    missing = runner.invoke(app, ["strategies", "list", "--dir", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert missing.output.startswith("error: --dir ")


# --- the example strategies ------------------------------------------------------------------------


def test_examples_cover_every_source_indicator_and_mode() -> None:
    rows = list_strategies([EXAMPLES])
    assert len(rows) >= 6
    assert [r.path.name for r in rows if r.error] == []
    used = {s.partition(":")[0] for r in rows for s in r.sources}
    assert used == {a.indicator for a in ADAPTERS.values()}
    assert {r.mode for r in rows} == set(MODES)
    for r in rows:
        first, second = r.path.read_text().splitlines()[:2]
        assert first.startswith("# ")
        assert r.description
        assert second.split()[:5] == ["#", "uptrade", "backtest", "--config", f"examples/{r.path.name}"]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yml")), ids=lambda p: p.name)
def test_every_example_runs_and_trades(db: str, path: Path) -> None:
    res = run(db, "backtest", "-c", str(path), *SPAN)
    assert res.exit_code == 0, res.output
    assert executors(res.output) > 0


# --- the walk-forward headline ---------------------------------------------------------------------


def test_optimize_prints_the_stitched_out_of_sample_headline(db: str) -> None:
    from uptrade.data.store import open_store
    from uptrade.research.optimize import WalkForward, optimize
    from uptrade.research.report_format import fmt_value
    from uptrade.research.run import load_candles

    grid = ["stop_loss=0.02,0.03", "take_profit=0.04,0.06"]
    args = ["optimize", "-c", str(EXAMPLE), "--start", "2025-01-01", "--end", "2025-06-30", "--min-trades", "1"]
    res = run(db, *args, *[a for g in grid for a in ("-g", g)], "--walk-forward", "train=60d,test=30d")
    assert res.exit_code == 0, res.output
    text = flat(res.output)
    assert "walk-forward headline" in text
    assert text.index("walk-forward headline") < text.index("walk-forward: best point on train")
    cfg = BacktestConfig.from_yaml(EXAMPLE).with_overrides(start="2025-01-01", end="2025-06-30")
    with open_store(db) as store:
        candles = load_candles(store, cfg)
    result = optimize(
        cfg, candles, ParamSpace.parse(grid, cfg), min_trades=1, walk_forward=WalkForward.parse("train=60d,test=30d")
    )
    assert result.oos_stats is not None
    line = next(ln for ln in res.output.splitlines() if "│ total_return" in ln)
    assert line.split("│")[2].strip() == fmt_value("total_return", result.oos_stats["total_return"])
