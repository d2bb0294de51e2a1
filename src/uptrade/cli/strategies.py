"""``uptrade strategies list``: the strategy files (backtest YAML) of ``examples/`` and other folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uptrade.cli.common import cli_errors, console

strategies_app = typer.Typer(help="Strategies: the backtest YAML files to run.", no_args_is_help=True)


@strategies_app.command("list")
@cli_errors
def strategies_list(
    dirs: Annotated[
        list[Path] | None,
        typer.Option("--dir", "-d", help="Folder of strategy files (repeatable; default: examples/)."),
    ] = None,
) -> None:
    """Each strategy file: symbol, timeframe, sources, combiner mode and description; broken files with their error."""
    from rich.markup import escape
    from rich.table import Table

    from uptrade.research.strategies import default_dirs, list_strategies

    folders = dirs or default_dirs()
    rows = list_strategies(folders)
    where = ", ".join(escape(str(d)) for d in folders)
    table = Table(title=f"strategies in {where} (uptrade backtest --config FOLDER/FILE)")
    for col in ("file", "symbol", "timeframe", "sources", "mode", "description"):
        table.add_column(col, overflow="fold")
    here = Path.cwd()
    for row in rows:
        name = escape(str(row.path.relative_to(here) if row.path.is_relative_to(here) else row.path.name))
        if row.error is not None:
            table.add_row(name, "-", "-", "-", "-", f"[red]invalid:[/] {escape(row.error)}")
        else:
            sources = ", ".join(row.sources)
            table.add_row(name, row.symbol, row.timeframe, sources, row.mode, escape(row.description))
    out = console()
    out.print(table)
    bad = sum(r.error is not None for r in rows)
    out.print(f"{len(rows)} file(s)" + (f", {bad} invalid" if bad else ""))
