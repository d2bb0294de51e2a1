"""The root ``uptrade`` app: global options, and the registration of every command and group.

Only this module imports the command modules; they import :mod:`uptrade.cli.common` and the
library, so there is no import cycle. Heavy libraries (pandas, SQLAlchemy, NumPy) are imported
inside the commands so that ``uptrade --help`` starts fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from uptrade.cli.astro import astro_app
from uptrade.cli.bots import bots_app
from uptrade.cli.common import CliState
from uptrade.cli.dashboard import dashboard
from uptrade.cli.data import data_app
from uptrade.cli.db import db_app
from uptrade.cli.demo import demo
from uptrade.cli.deploy import register as register_bot_commands
from uptrade.cli.gateway import gateway_app
from uptrade.cli.hb import hb_app
from uptrade.cli.indicators import cycles, indicators_app
from uptrade.cli.mcp import mcp
from uptrade.cli.paper import paper_app
from uptrade.cli.research import backtest, optimize
from uptrade.cli.signals import signals_app
from uptrade.cli.strategies import strategies_app

app = typer.Typer(help="UpTrade: crypto market data, indicators, research and execution.", no_args_is_help=True)
app.command("backtest")(backtest)
app.command("optimize")(optimize)
app.command("demo")(demo)
app.command("cycles")(cycles)
app.command("dashboard")(dashboard)
app.command("mcp")(mcp)
app.add_typer(db_app, name="db")
app.add_typer(data_app, name="data")
app.add_typer(indicators_app, name="indicators")
app.add_typer(astro_app, name="astro")
app.add_typer(signals_app, name="signals")
app.add_typer(strategies_app, name="strategies")
register_bot_commands(bots_app)  # deploy, list, status, stop, logs, sync, credentials
app.add_typer(bots_app, name="bots")
app.add_typer(paper_app, name="paper")
app.add_typer(hb_app, name="hb")
app.add_typer(gateway_app, name="gateway")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="UPTRADE_DATABASE_URL",
        show_envvar=True,
        help="SQLAlchemy URL (default: SQLite file under ~/.uptrade).",
        show_default=False,
    ),
]


def _print_version(value: bool) -> None:
    """``--version``: print ``uptrade <version>`` (the installed distribution's) and stop."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("uptrade")
        except PackageNotFoundError:  # a source tree that was never installed
            installed = "unknown"
        typer.echo(f"uptrade {installed}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: DbOption = None,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """UpTrade command line."""
    ctx.obj = CliState(db_url=db)
    if _help_only():
        return  # a subcommand's --help runs no command: settings (pydantic) would cost a tenth of a second
    from uptrade.logs import setup_logging
    from uptrade.settings import get_settings

    try:
        settings = get_settings(**({"log_level": log_level} if log_level else {}))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    setup_logging(settings.log_level)


def _help_only() -> bool:
    """Whether this process was started to print a help page (click runs this callback first)."""
    return "--help" in sys.argv[1:]
