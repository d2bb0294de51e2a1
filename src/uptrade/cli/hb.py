"""``uptrade hb bundle|config``: UpTrade's controllers for a Hummingbot (or hummingbot-api) instance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uptrade.cli.common import cli_errors, console

hb_app = typer.Typer(
    help="Hummingbot: the controller bundle and the controller configs of bot files.", no_args_is_help=True
)


@hb_app.command("bundle")
@cli_errors
def hb_bundle(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write controllers/directional_trading/ into.")],
) -> None:
    """Write the uptrade_* controllers, each one self-contained file, in Hummingbot's controllers/ layout."""
    from rich.markup import escape
    from rich.table import Table

    from uptrade.execution.bundle import Bundle

    bundle = Bundle()
    files = bundle.write(out)
    table = Table(title=f"Hummingbot controllers in {escape(str(files[0].parent))}")
    for col in ("file", "lines", "copied definitions"):
        table.add_column(col)
    for path in files:
        text = path.read_text(encoding="utf-8")
        copied = len(bundle.gen.closure(bundle.roots[path.stem])[0])
        table.add_row(path.name, str(text.count("\n")), str(copied))
    con = console()
    con.print(table)
    con.print(
        "Copy controllers/directional_trading/uptrade_*.py into the instance's controllers/directional_trading/ "
        "(hummingbot-api: bots/controllers/directional_trading/), then add configs from `uptrade hb config`.",
        highlight=False,
    )


@hb_app.command("config")
@cli_errors
def hb_config(
    file: Annotated[Path, typer.Argument(help="Bot file (YAML with strategy, market, execution).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="A .yml file to write, or a folder for <id>.yml; default: print the YAML."),
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Confirm a live bot's config (real orders; needs UPTRADE_ALLOW_LIVE=true).")
    ] = False,
) -> None:
    """The Hummingbot controller config (the YAML hummingbot-api expects) of a bot file."""
    from rich.console import Console

    from uptrade.execution.bots import BotConfig
    from uptrade.execution.hbconfig import controller_config, write_controller_config
    from uptrade.settings import get_settings

    bot = BotConfig.from_yaml(file)
    config = controller_config(bot, confirmed=live, allow_live=get_settings().allow_live)
    err = Console(stderr=True)
    for note in config.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if out is None:
        typer.echo(config.to_yaml(), nl=False)
        return
    path = write_controller_config(config, out)
    err.print(f"wrote {path} ({config.data['controller_name']}, {config.data['connector_name']})", highlight=False)
