"""``uptrade bots``: check bot files (one YAML file = one bot) before they are backtested, paper-traded or deployed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from uptrade.cli.common import cli_errors, console, fail

if TYPE_CHECKING:
    from rich.table import Table

    from uptrade.execution.bots import BotConfig

bots_app = typer.Typer(
    help="Bot files (validate; backtest, paper run and hb config read the same file) and bots on hummingbot-api "
    "(deploy, list, status, stop, logs, sync, credentials).",
    no_args_is_help=True,
)


def _fraction(value: float | None) -> str:
    return "off" if value is None else f"{value:.2%}"


def _source(name: str, params: dict[str, object]) -> str:
    return " ".join([name, *(f"{k}={v}" for k, v in params.items())])


def _combine(bot: BotConfig) -> str:
    c = bot.strategy.signals.combine
    if c.mode == "confirm":
        return f"confirm: {c.primary} when the others agree within {c.confirm_window} bars"
    if c.mode == "weighted":
        weights = ", ".join(f"{k}={v}" for k, v in (c.weights or {}).items()) or "equal weights"
        return f"weighted ({weights}), threshold {c.threshold}"
    return c.mode


def bot_table(bot: BotConfig, path: Path) -> Table:
    """A bot file's resolved settings: what will run, where, on which candles, with which executors."""
    from rich.table import Table

    from uptrade.execution import venues

    m, ex = bot.market, bot.execution
    kind = "spot"
    if venues.is_perpetual(m.connector):
        kind = "perpetual"
    elif venues.is_gateway(m.connector):
        kind = "DEX through Gateway"
    table = Table(title=f"{bot.name} ({path})", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    rows = [
        ("mode", bot.mode + ("  (real orders once deployed live)" if bot.mode == "live" else "")),
        ("controller", bot.controller_name),
        ("signals", "; ".join(_source(k, v) for k, v in bot.strategy.signals.sources.items())),
    ]
    if len(bot.strategy.signals.sources) > 1:
        rows.append(("combine", _combine(bot)))
    rows += [
        ("market", f"{m.connector} ({kind}) {m.trading_pair} {m.timeframe}"),
        ("candles", f"{m.candles.connector} {m.candle_pair} {m.timeframe}, {m.candles.max_records} bars"),
        ("store symbol", m.symbol + ("  (the strategy reads volume)" if bot.needs_volume else "")),
        (
            "executors",
            f"{ex.total_amount_quote:,.2f} quote over {ex.max_executors_per_side} per side, "
            f"leverage {ex.leverage}, {ex.position_mode}, cooldown {ex.cooldown_time}s",
        ),
        (
            "barriers",
            f"stop loss {_fraction(ex.stop_loss)}, take profit {_fraction(ex.take_profit)}, "
            f"time limit {'off' if ex.time_limit is None else f'{ex.time_limit}s'}, "
            + (
                "trailing off"
                if ex.trailing_stop is None
                else f"trailing {_fraction(ex.trailing_stop.activation_price)} / "
                f"{_fraction(ex.trailing_stop.trailing_delta)}"
            ),
        ),
        (
            "account",
            f"capital {bot.account.capital_for(ex):,.2f}, maintenance margin {bot.account.maintenance_margin:.1%}",
        ),
        ("trade cost", _fraction(ex.trade_cost) + " per side"),
    ]
    for field, value in rows:
        table.add_row(field, value)
    return table


@bots_app.command("validate")
@cli_errors
def validate(
    files: Annotated[list[Path], typer.Argument(help="Bot YAML files (see examples/bots/).", show_default=False)],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Check bot files against every rule Hummingbot's controller configs enforce, and show what each runs.

    Unknown fields, a connector, pair or interval Hummingbot does not know, cooldown_time <= 0,
    non-positive barriers, leverage on spot, a total amount the account's margin cannot carry:
    each is one line naming the file and the field. All files are checked; the exit code is 1
    if any is invalid.
    """
    from uptrade.errors import UpTradeError
    from uptrade.execution.bots import BotConfig

    out = console()
    bad = 0
    for path in files:
        try:
            bot = BotConfig.from_yaml(path)
        except UpTradeError as exc:
            bad += 1
            fail(str(exc))  # prints the one line; every file is checked before the exit
            continue
        if not quiet:
            out.print(bot_table(bot, path))
            out.print(f"[green]valid[/]: {path}", highlight=False)
    if bad:
        raise typer.Exit(1)
