"""``uptrade bots deploy|list|status|stop|logs|sync|credentials``: bots on hummingbot-api (a thin shell)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from uptrade.cli.common import cli_errors, console, fail, hbapi, opened_store
from uptrade.cli.views import signed_money

if TYPE_CHECKING:
    from rich.table import Table

    from uptrade.execution.hbapi_models import BotStatus

credentials_app = typer.Typer(help="Exchange keys in hummingbot-api's credentials profiles.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The bot's name in hummingbot-api (see `uptrade bots list`).")]


def _err(text: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(text, highlight=False, soft_wrap=True)


def _state(status: str) -> str:
    colour = {"running": "green", "idle": "yellow", "stopping": "yellow", "stopped": "white"}.get(status, "red")
    return f"[{colour}]{status}[/]"


def deploy(
    file: Annotated[Path, typer.Argument(help="Bot file (backtested and paper-traded first).", show_default=False)],
    live: Annotated[
        bool, typer.Option("--live", help="Trade real money on the bot's connector (needs UPTRADE_ALLOW_LIVE=true).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm a live deploy without the prompt.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Instance name; default: the bot's name.")] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Credentials profile; default: UPTRADE_HBAPI_ACCOUNT.")
    ] = None,
) -> None:
    """Deploy a bot file to hummingbot-api and wait until it runs (paper connector unless --live).

    Every local check runs first (bot file, name, live permission, controller config, bundled
    controller); then the controller is uploaded, its config saved and validated, the bot deployed
    with the pinned image, and its status polled until running, or its error logs shown.
    """
    from uptrade.execution.deploy import Deployer, plan_deploy
    from uptrade.settings import get_settings

    settings = get_settings()
    confirmed = yes
    if live and not yes and settings.allow_live:
        if not sys.stdin.isatty():
            raise fail("a live deploy needs a confirmation: run it in a terminal, or pass --yes")
        confirmed = typer.confirm(f"Deploy {file} LIVE: real orders with real money?", default=False)
        if not confirmed:
            raise fail("live deploy not confirmed; nothing was deployed")
    plan = plan_deploy(
        file,
        live=live,
        confirmed=confirmed,
        allow_live=settings.allow_live,
        image=settings.bot_image,
        account=account or settings.hbapi_account,
        name=name,
    )
    for note in plan.notes:
        _err(f"[yellow]note:[/] {note}")
    out = console()
    out.print(
        f"deploying [bold]{plan.name}[/] ({plan.mode}) to {settings.hbapi_url}: {plan.controller} on "
        f"{plan.connector} {plan.config.data['trading_pair']}, image {plan.image}, profile {plan.account}",
        highlight=False,
    )
    seen: list[str] = []

    def on_status(status: BotStatus) -> None:
        if not seen or seen[-1] != status.status:
            seen.append(status.status)
            out.print(f"  status: {status.status}", highlight=False)

    def on_pull(image: str, state: dict[str, object]) -> None:
        line = f"  pulling {image}: {state.get('status')}"
        if not seen or seen[-1] != line:
            seen.append(line)
            out.print(line, highlight=False)

    with hbapi() as api:
        deployer = Deployer.from_settings(api, settings, on_status=on_status, on_pull=on_pull)
        done = deployer.deploy(plan)
    out.print(
        f"[green]running[/]: {done.instance} ({plan.mode}); watch it with `uptrade bots status {done.instance}`",
        highlight=False,
    )


def _bots_table(bots: dict[str, BotStatus], url: str) -> Table:
    from rich.table import Table

    table = Table(title=f"bots on {url}")
    for col in ("bot", "status", "controllers", "PnL (quote)", "volume", "errors", "active"):
        table.add_column(col, justify="right" if col in ("PnL (quote)", "volume", "errors") else "left")
    for name, bot in sorted(bots.items()):
        volume = sum(float(c.performance.get("volume_traded") or 0.0) for c in bot.performance.values())
        table.add_row(
            name,
            _state(bot.status),
            ", ".join(bot.performance) or "-",
            signed_money(bot.pnl()) if bot.performance else "-",
            f"{volume:,.2f}" if bot.performance else "-",
            str(len(bot.error_logs)),
            "yes" if bot.recently_active else "no",
        )
    return table


def list_bots() -> None:
    """The bots hummingbot-api manages: status, controllers, PnL, volume, error count."""
    from uptrade.settings import get_settings

    with hbapi() as api:
        bots = api.bots()
    if not bots:
        console().print("hummingbot-api runs no bots; deploy one with `uptrade bots deploy BOT.yml`")
        return
    console().print(_bots_table(bots, get_settings().hbapi_url))


_FIGURES = (
    ("global_pnl_quote", "PnL (quote)"),
    ("global_pnl_pct", "PnL %"),
    ("realized_pnl_quote", "realised PnL"),
    ("unrealized_pnl_quote", "unrealised PnL"),
    ("volume_traded", "volume"),
)


def status(name: NameArg) -> None:
    """One bot: its state, each controller's performance, closed executors by type, the last errors."""
    from rich.table import Table

    from uptrade.execution.deploy import Deployer

    with hbapi() as api:
        bot = Deployer(api).status(name)
    out = console()
    out.print(f"[bold]{name}[/]: {_state(bot.status)}" + ("" if bot.recently_active else " (not heard from lately)"))
    for controller, report in bot.performance.items():
        table = Table(title=f"controller {controller} ({report.status})", show_header=False, title_justify="left")
        table.add_column("figure", style="bold")
        table.add_column("value", justify="right")
        for key, label in _FIGURES:
            value = report.performance.get(key)
            if isinstance(value, int | float):
                table.add_row(label, f"{value:,.4f}" if key.endswith("pct") else f"{value:,.2f}")
        counts = report.performance.get("close_type_counts")
        if isinstance(counts, dict) and counts:
            table.add_row("closed executors", ", ".join(f"{k.split('.')[-1]} {v}" for k, v in counts.items()))
        if report.error:
            table.add_row("error", report.error)
        out.print(table)
    for entry in bot.error_logs[-5:]:
        out.print(f"[red]{entry.line()}[/]", highlight=False)


def stop(
    name: NameArg,
    archive: Annotated[
        bool, typer.Option("--archive", help="Also archive its data and remove its container (in the background).")
    ] = False,
    keep_orders: Annotated[bool, typer.Option("--keep-orders", help="Do not cancel the bot's open orders.")] = False,
) -> None:
    """Stop a bot (open orders cancelled unless --keep-orders); --archive also removes its container."""
    from uptrade.execution.deploy import Deployer

    with hbapi() as api:
        message = Deployer(api).stop(name, archive=archive, skip_order_cancellation=keep_orders)
    console().print(message, highlight=False)


def logs(
    name: NameArg,
    errors: Annotated[bool, typer.Option("--errors", help="Only error lines.")] = False,
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="Show the last N lines.")] = 50,
) -> None:
    """The bot's recent log lines as hummingbot-api holds them (errors in red)."""
    from uptrade.execution.deploy import Deployer

    with hbapi() as api:
        entries = Deployer(api).logs(name, errors_only=errors, last=last)
    out = console()
    if not entries:
        out.print(f"{name}: no log lines yet")
    for entry in entries:
        line = entry.line()
        out.print(f"[red]{line}[/]" if entry.level_name.upper() == "ERROR" else line, highlight=False, markup=True)


def sync(
    ctx: typer.Context,
    bot: Annotated[list[str] | None, typer.Option("--bot", "-b", help="Only these bots (default: all).")] = None,
) -> None:
    """Copy hummingbot-api's controller performance into the store's bot_performance table (idempotent)."""
    from uptrade.execution.sync import sync_bots

    with hbapi() as api, opened_store(ctx, init=True) as store:
        report = sync_bots(api, store, bots=bot)
    out = console()
    for name, rows in report.rows.items():
        out.print(f"{name}: {rows} rows", highlight=False)
    out.print(report.summary(), highlight=False)
    if report.failed:
        raise typer.Exit(1)


def _read_field(field: str, info: dict[str, object], interactive: bool) -> str:
    """One key field: hidden at a prompt when it is a secret, else shown (with its allowed values)."""
    secret = info.get("type") == "SecretStr"
    allowed = info.get("allowed_values")
    label = field + (f" ({'/'.join(str(a) for a in allowed)})" if isinstance(allowed, list) else "")
    if interactive:
        required = bool(info.get("required", secret))
        return str(typer.prompt(label, hide_input=secret, default=None if required else "", show_default=False))
    line = sys.stdin.readline()
    if not line:
        raise fail(f"stdin ended before {field}: give one line per field, in the order listed")
    return line.rstrip("\r\n")


@credentials_app.command("add")
@cli_errors
def credentials_add(
    connector: Annotated[str, typer.Argument(help="Exchange connector (binance, hyperliquid_perpetual, ...).")],
    account: Annotated[
        str | None, typer.Option("--account", help="Credentials profile; default: UPTRADE_HBAPI_ACCOUNT.")
    ] = None,
) -> None:
    """Add a connector's keys to a credentials profile; each key is read hidden from a prompt (or stdin lines).

    The fields come from hummingbot-api (the connector's config map); keys are never arguments, so
    they stay out of the shell history and the process list. hummingbot-api tries them on the
    exchange before it keeps them.
    """
    from pydantic import SecretStr

    from uptrade.errors import did_you_mean
    from uptrade.execution.deploy import check_name
    from uptrade.execution.hbapi_models import ExchangeCredentials
    from uptrade.settings import get_settings

    profile = check_name(account or get_settings().hbapi_account, "credentials profile")
    with hbapi() as api:
        known = api.connectors()
        if connector not in known:
            raise fail(f"connector {connector!r} is not one hummingbot-api knows; {did_you_mean(connector, known)}")
        fields = api.connector_fields(connector)
        interactive = sys.stdin.isatty()
        if not interactive:
            _err(f"reading {len(fields)} lines from stdin: {', '.join(fields)}")
        values = {f: SecretStr(_read_field(f, info, interactive)) for f, info in fields.items()}
        values = {f: v for f, v in values.items() if v.get_secret_value() != ""}  # optional ones left empty
        if profile not in api.accounts():
            api.add_account(profile)
        api.add_credentials(profile, connector, ExchangeCredentials(fields=values))
    console().print(f"{connector} keys added to profile {profile}", highlight=False)


@credentials_app.command("list")
@cli_errors
def credentials_list(
    account: Annotated[str | None, typer.Option("--account", help="One profile; default: every profile.")] = None,
) -> None:
    """The credentials profiles and the connectors each holds keys for (never the keys)."""
    with hbapi() as api:
        profiles = [account] if account else api.accounts()
        rows = [(p, api.account_credentials(p)) for p in profiles]
    for profile, connectors in rows:
        console().print(f"{profile}: {', '.join(connectors) or 'no keys'}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add these commands to ``uptrade bots``."""
    app.command("deploy")(cli_errors(deploy))
    app.command("list")(cli_errors(list_bots))
    app.command("status")(cli_errors(status))
    app.command("stop")(cli_errors(stop))
    app.command("logs")(cli_errors(logs))
    app.command("sync")(cli_errors(sync))
    app.add_typer(credentials_app, name="credentials")


__all__ = ["register"]
