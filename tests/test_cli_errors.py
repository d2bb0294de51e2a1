"""Every command, fed bad input, fails the same way: exit 1 and ONE line ``error: ...`` on stderr.

The table names every leaf command of the app (walked from ``typer.main.get_command``), so a new
command without a case fails :func:`test_every_command_has_a_case` until it gets one or an
exemption with its reason.

Usage errors (a required option missing, a value of the wrong type) are click's: exit 2 and its
usage box, which is several lines by design (it shows the usage line and the option concerned);
those cases are marked ``USAGE`` and checked for the box instead. Structured log records
(``ts=... level=...``, the logging channel, e.g. the updater's "feed stopped") are not the
error report and are left out of the one-line count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from uptrade.cli import app
from uptrade.data.io import read_table
from uptrade.data.sample import sample_path
from uptrade.data.store import open_store

runner = CliRunner()
USAGE = "usage"

#: Commands without a bad-input case, and why.
EXEMPT = {
    "indicators list": "takes no input: it prints the registry",
    "signals list": "takes no input: it prints the registry",
}

#: (command, argv after the global options, expected stderr fragment or USAGE). ``{db}`` is a store
#: holding 300 BTC-USDT 1h bars, ``{tmp}`` a scratch directory, ``{cfg}`` a backtest config on an
#: unknown symbol, ``{btc}`` one on the stored bars.
CASES: list[tuple[str, list[str], str]] = [
    # the database: a path that cannot hold the file, a directory, an unreachable server, a bad URL
    ("data status", ["--db", "sqlite:////proc/nope/x.db", "data", "status"], "--db: sqlite:////proc/nope/x.db"),
    ("data status", ["--db", "sqlite:///{tmp}", "data", "status"], "is a directory"),
    ("data status", ["--db", "postgresql://u:pw@127.0.0.1:1/x", "data", "status"], "--db: opening postgresql"),
    ("data status", ["--db", "mysql://x/y", "data", "status"], "--db: unsupported database 'mysql'"),
    ("data status", ["--db", "{db}", "data", "status", "-s", "UNKNOWN"], "unknown symbol UNKNOWN (stored: BTC-USDT"),
    ("data status", ["--db", "{empty}", "data", "status", "-s", "BTC-USDT"], "`uptrade demo`"),
    ("db init", ["--db", "sqlite:////proc/nope/x.db", "db", "init"], "--db:"),
    ("db jobs", ["--db", "{db}", "db", "jobs"], "no TimescaleDB jobs"),
    ("db refresh", ["--db", "{db}", "db", "refresh", "--start", "2024-01-01"], "no continuous aggregates"),
    ("demo", ["--db", "sqlite:////proc/nope/x.db", "demo"], "--db:"),
    # import / export: missing input, unwritable output, unknown symbol, bad timeframe and dates
    ("data import", ["--db", "{db}", "data", "import", "{tmp}/missing.csv", "-s", "BTC-USDT", "-t", "1h"], "FILE"),
    ("data import", ["--db", "{db}", "data", "import", "{tmp}", "-s", "BTC-USDT", "-t", "1h"], "is a directory"),
    ("data import", ["--db", "{db}", "data", "import", "{sample}", "-s", "BTC-USDT", "-t", "2h"], "timeframe"),
    ("data import", ["--db", "{db}", "data", "import", "{sample}", "-s", "BTC", "-t", "1h"], "cannot split 'BTC'"),
    ("data import", ["--db", "{db}", "data", "import", "{sample}", "-s", "BTC-USDT"], USAGE),
    ("data export", ["--db", "{db}", "data", "export", "/proc/x.csv", "-s", "BTC-USDT", "-t", "1h"], "OUTPUT"),
    ("data export", ["--db", "{db}", "data", "export", "{tmp}", "-s", "BTC-USDT", "-t", "1h"], "is a directory"),
    ("data export", ["--db", "{db}", "data", "export", "{tmp}/x.csv", "-s", "UNKNOWN", "-t", "1h"], "unknown symbol"),
    ("data export", ["--db", "{db}", "data", "export", "{tmp}/x.csv", "-s", "BTC-USDT", "-t", "7m"], "timeframe"),
    (
        "data export",
        ["--db", "{db}", "data", "export", "{tmp}/x.csv", "-s", "BTC-USDT", "-t", "1h", "--start", "nope"],
        "--start",
    ),
    ("data delete", ["--db", "{db}", "data", "delete", "-s", "ETH-USDT", "--yes"], "unknown symbol ETH-USDT"),
    ("data delete", ["--db", "{db}", "data", "delete", "-s", "BTC-USDT", "--end", "nope", "--yes"], "--end"),
    ("data delete", ["--db", "{db}", "data", "delete", "-s", "BTC-USDT", "-t", "3h", "--yes"], "timeframe"),
    ("data delete", ["--db", "{db}", "data", "delete", "-s", "BTC-USDT"], "not confirmed"),
    ("data markets", ["data", "markets", "--source", "nosuchexchange"], "unknown exchange"),
    ("data markets", ["data", "markets", "--source", "file"], "--source: file lists no markets"),
    ("data timeframes", ["data", "timeframes", "--source", "nosuchexchange"], "unknown exchange"),
    ("data timeframes", ["data", "timeframes"], USAGE),
    # the updater's front-ends
    (
        "data backfill",
        ["--db", "{db}", "data", "backfill", "--source", "file", "-s", "SOL-USDT", "-t", "1h", "--path", "{old}"],
        "none in the window asked for",
    ),
    (
        "data backfill",
        ["--db", "{db}", "data", "backfill", "--source", "file", "-s", "X-USDT", "-t", "1h", "--path", "{tmp}/no.csv"],
        "--path",
    ),
    ("data backfill", ["--db", "{db}", "data", "backfill", "--source", "file", "-s", "BTC-USDT", "-t", "1h"], "path"),
    ("data update", ["--db", "{db}", "data", "update", "--config", "{tmp}/missing.yml"], "cannot read feeds file"),
    ("data update", ["--db", "{db}", "data", "update"], "give --config"),
    # indicators, cycles, astro
    ("indicators run", ["--db", "{db}", "indicators", "run", "-s", "BTCUSD", "-t", "1h", "-i", "vzo"], "did you mean"),
    ("indicators run", ["--db", "{db}", "indicators", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "nope"], "nope"),
    (
        "indicators run",
        ["--db", "{db}", "indicators", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "vzo", "-p", "bogus=1"],
        "bogus",
    ),
    ("cycles", ["--db", "{db}", "cycles", "-s", "UNKNOWN"], "unknown symbol UNKNOWN"),
    ("cycles", ["--db", "{db}", "cycles", "-s", "BTC-USDT", "-t", "1h", "--method", "nope"], "nope"),
    ("cycles", ["--db", "{db}", "cycles", "-s", "BTC-USDT", "--window", "many"], USAGE),
    ("astro positions", ["astro", "positions", "--at", "nope"], "--at: cannot parse 'nope'"),
    ("astro aspects", ["astro", "aspects", "--from", "nope", "--to", "2024-02-01"], "--from: cannot parse"),
    (
        "astro aspects",
        ["astro", "aspects", "--from", "2024-01-01", "--to", "2024-02-01", "--bodies", "pluto2"],
        "pluto2",
    ),
    ("astro stations", ["astro", "stations", "--body", "sun", "--from", "2024-01-01", "--to", "2024-06-01"], "sun"),
    # research and signals
    ("signals run", ["--db", "{db}", "signals", "run", "-s", "UNKNOWN", "-t", "1h", "-i", "sniper"], "UNKNOWN"),
    ("signals run", ["--db", "{db}", "signals", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "nope"], "nope"),
    (
        "signals run",
        ["--db", "{db}", "signals", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "sniper", "-p", "x.y=1"],
        "x",
    ),
    ("backtest", ["--db", "{db}", "backtest", "--config", "{tmp}/missing.yml"], "missing.yml"),
    ("backtest", ["--db", "{db}", "backtest", "--config", "{cfg}"], "unknown symbol XRP-USDT"),
    ("backtest", ["--db", "{db}", "backtest", "--config", "{btc}", "--report", "/proc/r.html"], "--report"),
    ("backtest", ["--db", "{db}", "backtest", "--config", "{btc}", "-s", "DOGE-USDT"], "unknown symbol DOGE-USDT"),
    ("backtest", ["--db", "{db}", "backtest", "--config", "{btc}", "-t", "7x"], "--timeframe"),
    ("backtest", ["--db", "{db}", "backtest", "--config", "{btc}", "--start", "nope"], "--start"),
    ("optimize", ["--db", "{db}", "optimize", "--config", "{tmp}/missing.yml", "--grid", "stop_loss=0.01"], "missing"),
    ("optimize", ["--db", "{db}", "optimize", "--config", "{cfg}", "--grid", "nonsense"], "grid"),
    (
        "optimize",
        ["--db", "{db}", "optimize", "--config", "{btc}", "-g", "stop_loss=0.01", "--report", "/proc/r.html"],
        "--report",
    ),
    (
        "optimize",
        ["--db", "{db}", "optimize", "--config", "{btc}", "-g", "stop_loss=0.01", "--objective", "luck"],
        "objective",
    ),
    ("optimize", ["--db", "{db}", "optimize", "--config", "{btc}", "-g", "stop_los=0.01"], "did you mean stop_loss"),
    ("strategies list", ["strategies", "list", "--dir", "{tmp}/nope"], "--dir"),
    # the dashboard (tests/test_dashboard.py has a port another process holds)
    ("dashboard", ["dashboard", "--port", "0"], "--port 0: expected 1-65535"),
    ("dashboard", ["dashboard", "--host", "no-such-host.invalid"], "--host no-such-host.invalid"),
    # the MCP server (tests/test_mcp_server.py has the transports)
    ("mcp", ["mcp", "--http", "--port", "70000"], "--port 70000: expected 1-65535"),
    # bots
    ("bots validate", ["bots", "validate", "{tmp}/missing.yml"], "missing.yml: no such file"),
    ("bots validate", ["bots", "validate", "{tmp}"], "is a directory, expected a YAML file"),
    ("bots validate", ["bots", "validate", "{btc}"], "a backtest config, not a bot file"),
    ("bots validate", ["bots", "validate"], USAGE),
    # paper trading (tests/test_paper_cli.py has the rest: symbols, timeframes, volume, ranges, configs)
    ("paper run", ["--db", "{db}", "paper", "run", "{tmp}/missing.yml"], "missing.yml: no such file"),
    ("paper status", ["--db", "{db}", "paper", "status", "nobody"], "no paper run named nobody"),
    # Hummingbot: the bundle and the controller configs
    ("hb bundle", ["hb", "bundle", "--out", "/proc/nope"], "--out: cannot write the bundle"),
    ("hb bundle", ["hb", "bundle"], USAGE),
    ("hb config", ["hb", "config", "{tmp}/missing.yml"], "missing.yml: no such file"),
    ("hb config", ["hb", "config", "{cfg}"], "xrp.yml: a backtest config, not a bot file"),
    # bots on hummingbot-api (UPTRADE_HBAPI_URL points at a closed port; tests/test_deploy.py has the
    # rest against the loopback hummingbot-api): checks that need no request, then the unreachable API
    ("bots deploy", ["bots", "deploy", "{tmp}/missing.yml"], "missing.yml: no such file"),
    ("bots deploy", ["bots", "deploy", "{bot}", "--name", "a.b"], "'a.b': hummingbot-api accepts only letters"),
    ("bots deploy", ["bots", "deploy", "{bot}", "--live", "--yes"], "set UPTRADE_ALLOW_LIVE=true"),
    ("bots list", ["bots", "list"], "hummingbot-api at http://127.0.0.1:9 is not reachable"),
    ("bots status", ["bots", "status", "a.b"], "bot name 'a.b'"),
    ("bots stop", ["bots", "stop", "a/b"], "bot name 'a/b'"),
    ("bots logs", ["bots", "logs", "x y"], "bot name 'x y'"),
    ("bots sync", ["--db", "{db}", "bots", "sync"], "is not reachable"),
    ("bots credentials add", ["bots", "credentials", "add", "binance", "--account", "a.b"], "profile 'a.b'"),
    ("bots credentials list", ["bots", "credentials", "list"], "is not reachable"),
    ("gateway chains", ["gateway", "chains"], "is not reachable"),
    ("gateway connectors", ["gateway", "connectors"], "is not reachable"),
    ("gateway add-wallet", ["gateway", "add-wallet"], USAGE),
    ("gateway quote", ["gateway", "quote", "uniswap/amm", "ethereum-mainnet", "WETH-USDC", "SELL", "1"], "router"),
]

#: Cases that fail with a traceback today (strict expected failures: fix them, then move them to CASES).
AT_MERGE: list[tuple[str, list[str], str]] = []


def leaf_commands() -> list[str]:
    """Every runnable command of the app, as typed after ``uptrade``."""
    out: list[str] = []

    def walk(command: Any, path: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out.append(" ".join(path))

    walk(typer.main.get_command(app), [])
    return out


def test_every_command_has_a_case() -> None:
    commands = leaf_commands()
    covered = {c for c, _, _ in CASES + AT_MERGE}
    assert not set(EXEMPT) & covered, "an exempted command has a case: drop the exemption"
    missing = [c for c in commands if c not in covered and c not in EXEMPT]
    assert not missing, f"commands without a bad-input case in tests/test_cli_errors.py: {missing}"
    assert not (covered | set(EXEMPT)) - set(commands), "a case names a command the app does not have"


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A store with 300 BTC-USDT 1h bars, an empty one, an old candle file, a config on an unknown symbol."""
    tmp = tmp_path_factory.mktemp("cli-errors")
    table = read_table(sample_path()).table.iloc[:300]
    frame = table.set_index("time")
    with open_store(f"sqlite:///{tmp / 'db.sqlite'}") as store:
        store.write_ohlcv(frame, "BTC-USDT", "1h")
    open_store(f"sqlite:///{tmp / 'empty.sqlite'}").close()
    old = tmp / "old.csv"
    table.to_csv(old, index=False)
    example = Path(__file__).resolve().parents[1] / "examples" / "sniper_btc_1h.yml"
    cfg = tmp / "xrp.yml"
    cfg.write_text(example.read_text().replace("symbol: BTC-USDT", "symbol: XRP-USDT"))
    btc = tmp / "btc.yml"  # the 300 stored bars
    btc.write_text(example.read_text().replace('"2024-01-01"', '"2018-01-01"').replace('"2025-12-31"', '"2018-01-13"'))
    return {
        "db": f"sqlite:///{tmp / 'db.sqlite'}",
        "empty": f"sqlite:///{tmp / 'empty.sqlite'}",
        "tmp": str(tmp),
        "sample": str(sample_path()),
        "old": str(old),
        "cfg": str(cfg),
        "btc": str(btc),
        "bot": str(Path(__file__).resolve().parents[1] / "examples" / "bots" / "combined_okx_btc_1h.yml"),
    }


PARAMS = [pytest.param(*case, id=f"{case[0]}:{i}") for i, case in enumerate(CASES)] + [
    pytest.param(*case, id=f"{case[0]}:merge{i}", marks=pytest.mark.xfail(strict=True, reason="fixed at merge"))
    for i, case in enumerate(AT_MERGE)
]


@pytest.mark.parametrize(("command", "argv", "expected"), PARAMS)
def test_bad_input_is_one_clear_line(
    command: str, argv: list[str], expected: str, places: dict[str, str], tmp_path: Path
) -> None:
    args = [a.format(**places) for a in argv]
    env = {
        "UPTRADE_HOME": str(tmp_path / "home"),
        "UPTRADE_DATABASE_URL": None,
        "COLUMNS": "200",
        "UPTRADE_HBAPI_URL": "http://127.0.0.1:9",  # the discard port: nothing listens, the connection is refused
        "UPTRADE_HBAPI_ATTEMPTS": "1",
        "UPTRADE_ALLOW_LIVE": "false",
    }
    result = runner.invoke(app, args, env=env, input="n\n")
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if expected.startswith(USAGE):
        assert result.exit_code == 2, everything
        assert "Usage:" in result.stderr, everything
        return
    assert result.exit_code == 1, everything
    lines = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("ts=")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert expected in lines[0], lines[0]
