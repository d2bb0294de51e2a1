"""Tools on the bots hummingbot-api runs: list, status, deploy (paper unless live is allowed and confirmed), stop.

The same library calls as ``uptrade bots ...``: :func:`~uptrade.execution.monitor.hummingbot_bots`
for the list, :func:`~uptrade.execution.monitor.bot_status` for one bot, :func:`plan_deploy` and
:class:`Deployer` for a deploy, :func:`~uptrade.execution.monitor.stop_bot` to stop. A live deploy
needs the operator's ``UPTRADE_ALLOW_LIVE=true`` *and* ``live=true`` *and* ``confirm=true``; any
other combination with ``live=true`` is refused before a single request is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from uptrade.errors import ConfigError
from uptrade.mcp.common import tool_errors
from uptrade.mcp.results import plain

if TYPE_CHECKING:
    from uptrade.execution.hbapi import HummingbotApi
    from uptrade.execution.hbapi_models import BotStatus
    from uptrade.execution.monitor import BotView
    from uptrade.settings import Settings

#: Most error log lines ``bot_status`` returns.
MAX_LOG_LINES = 200


class BotSummary(BaseModel):
    """One bot on hummingbot-api, as ``uptrade bots list`` and the dashboard show it (money in quote)."""

    name: str
    status: str = Field(description="hummingbot-api's word: running, idle, stopped, not_found, ...")
    state: Literal["running", "stopped", "error", "interrupted", "unknown"]
    symbol: str | None = None
    connector: str | None = None
    controllers: list[str] = Field(default_factory=list)
    pnl: float | None = Field(default=None, description="Global PnL over the controllers (quote).")
    pnl_pct: float | None = Field(default=None, description="PnL as a fraction of the capital.")
    capital: float | None = Field(default=None, description="Summed total_amount_quote of the controllers.")
    realized_pnl: float | None = None
    unrealized_pnl: float | None = None
    volume: float | None = None
    closed_executors: int | None = None
    open_positions: int | None = None
    last_update: str | None = Field(default=None, description="Newest performance snapshot (ISO-8601 UTC).")
    errors: list[str] = Field(default_factory=list, description="The last error log lines and controller errors.")
    note: str | None = None


class Bots(BaseModel):
    """The bots hummingbot-api manages, by name."""

    bots: list[BotSummary] = Field(default_factory=list)


class ControllerStatus(BaseModel):
    """One controller of a bot and its performance report."""

    controller: str
    status: str
    pnl: float | None = None
    pnl_pct: float | None = None
    realized_pnl: float | None = None
    unrealized_pnl: float | None = None
    volume: float | None = None
    open_positions: int | None = None
    closed_executors: int = 0
    close_types: dict[str, int] = Field(default_factory=dict)
    error: str | None = None


class BotDetail(BaseModel):
    """One bot's live status (``uptrade bots status``) and its recent error log lines (``bots logs --errors``)."""

    name: str
    status: str
    state: Literal["running", "stopped", "error", "interrupted", "unknown"]
    recently_active: bool
    pnl: float = Field(description="Global PnL over the controllers (quote), 0 before any report.")
    controllers: list[ControllerStatus] = Field(default_factory=list)
    error_logs: list[str] = Field(default_factory=list, description="Oldest first, UTC times.")


class DeployedBot(BaseModel):
    """A deploy that reached ``running``."""

    instance: str = Field(description="The bot's name on hummingbot-api (for bot_status and stop_bot).")
    config: str = Field(description="The controller config saved under the bot's name.")
    mode: Literal["paper", "live"]
    controller: str
    connector: str
    trading_pair: str
    image: str
    account: str
    status: str
    polls: int
    notes: list[str] = Field(default_factory=list)


class Stopped(BaseModel):
    """hummingbot-api's answer to a stop."""

    name: str
    archive: bool
    message: str


# --------------------------------------------------------------------------- helpers


def _client(settings: Settings) -> HummingbotApi:
    """The configured hummingbot-api's client, or a tool error saying how to configure one."""
    from uptrade.execution.monitor import hbapi_client

    api = hbapi_client(settings)
    if api is None:
        raise ToolError(
            "hummingbot-api is not configured: set UPTRADE_HBAPI_URL (and UPTRADE_HBAPI_USERNAME, "
            "UPTRADE_HBAPI_PASSWORD) for the server"
        )
    return api


def _settings() -> Settings:
    from uptrade.settings import get_settings

    return get_settings()


def _name(name: str, parameter: str = "name") -> str:
    """``name`` if hummingbot-api accepts it, else a tool error naming ``parameter``."""
    from uptrade.execution.deploy import check_name

    try:
        return check_name(name)
    except ConfigError as exc:
        raise ToolError(f"{parameter}: {exc}") from None


def _summary(view: BotView) -> BotSummary:
    return BotSummary(
        name=view.name, status=view.status, state=view.state, symbol=view.symbol, connector=view.exchange,
        controllers=list(view.controllers), pnl=view.pnl, pnl_pct=view.pnl_pct, capital=view.capital,
        realized_pnl=view.realized_pnl, unrealized_pnl=view.unrealized_pnl, volume=view.volume,
        closed_executors=view.trades, open_positions=view.open_positions, last_update=plain(view.last_update),
        errors=list(view.errors), note=view.note,
    )  # fmt: skip


def _detail(status: BotStatus, last_errors: int) -> BotDetail:
    from uptrade.execution.deploy import log_entries
    from uptrade.execution.monitor import controller_table, finite, finite_count, hummingbot_state

    controllers = []
    for row in controller_table(status).to_dict("records"):
        cid = str(row["controller"])
        counts = status.performance[cid].performance.get("close_type_counts")
        controllers.append(
            ControllerStatus(
                controller=cid, status=str(row["status"]), pnl=finite(row["pnl"]),
                pnl_pct=finite(status.performance[cid].performance.get("global_pnl_pct")),
                realized_pnl=finite(row["realized_pnl"]), unrealized_pnl=finite(row["unrealized_pnl"]),
                volume=finite(row["volume"]), open_positions=finite_count(row["open_positions"]),
                closed_executors=int(row["closed_executors"]),
                close_types={str(k).split(".")[-1]: int(finite(v) or 0) for k, v in (counts or {}).items()}
                if isinstance(counts, dict) else {},
                error=row["error"] or None,
            )
        )  # fmt: skip
    errors = log_entries(status, errors_only=True, last=last_errors)
    return BotDetail(
        name=status.name or "", status=status.status, state=hummingbot_state(status),
        recently_active=status.recently_active, pnl=status.pnl(), controllers=controllers,
        error_logs=[e.line() for e in errors],
    )  # fmt: skip


# --------------------------------------------------------------------------- tools


@tool_errors
def list_bots() -> Bots:
    """The bots hummingbot-api manages: state, market, PnL, volume, last update, recent errors."""
    from uptrade.execution.monitor import hummingbot_bots

    with _client(_settings()) as api:
        views = hummingbot_bots(api)
    return Bots(bots=[_summary(v) for v in views])


@tool_errors
def bot_status(name: str, last_errors: int = 20) -> BotDetail:
    """One bot's live status, each controller's performance and its last error log lines."""
    from uptrade.execution.monitor import bot_status as read_status

    if not 1 <= last_errors <= MAX_LOG_LINES:
        raise ToolError(f"last_errors: expected 1 to {MAX_LOG_LINES}, got {last_errors}")
    name = _name(name)
    with _client(_settings()) as api:
        status = read_status(api, name)
    return _detail(status.model_copy(update={"name": status.name or name}), last_errors)


def _live_refusal(settings: Settings, live: bool, confirm: bool) -> str | None:
    """Why a live deploy may not go on (None when it may, or when it is not live)."""
    if not live:
        return None
    missing = []
    if not settings.allow_live:
        missing.append("the server's setting UPTRADE_ALLOW_LIVE=true (live trading is off)")
    if not confirm:
        missing.append("confirm=true (real orders with real money)")
    if not missing:
        return None
    return f"live: a live deploy needs {' and '.join(missing)}; nothing was deployed"


@tool_errors
async def deploy_bot(
    bot_file: str,
    ctx: Context,
    name: str | None = None,
    live: bool = False,
    confirm: bool = False,
    account: str | None = None,
) -> DeployedBot:
    """Deploy a bot file and wait until it runs: paper unless live=true, confirm=true and the server allows live."""
    from pathlib import Path

    from uptrade.execution.deploy import Deployer, plan_deploy

    settings = _settings()
    refusal = _live_refusal(settings, live, confirm)
    if refusal is not None:
        raise ToolError(refusal)
    if name is not None:
        name = _name(name)
    if account is not None:
        account = _name(account, "account")
    if not Path(bot_file).is_file():
        raise ToolError(f"bot_file: no such file {bot_file!r} (a bot file as in examples/bots/)")
    plan = plan_deploy(
        bot_file,
        live=live,
        confirmed=confirm,
        allow_live=settings.allow_live,
        image=settings.bot_image,
        account=account or settings.hbapi_account,
        name=name,
    )
    steps = 0

    def progress(message: str) -> None:
        nonlocal steps
        steps += 1
        anyio.from_thread.run(ctx.report_progress, steps, None, message)

    seen: list[str] = []

    def on_status(status: BotStatus) -> None:
        if not seen or seen[-1] != status.status:
            seen.append(status.status)
            progress(f"{plan.name}: {status.status}")

    def on_pull(image: str, state: dict[str, object]) -> None:
        line = f"pulling {image}: {state.get('status')}"
        if not seen or seen[-1] != line:
            seen.append(line)
            progress(line)

    def run() -> DeployedBot:
        with _client(settings) as api:
            deployer = Deployer.from_settings(api, settings, on_status=on_status, on_pull=on_pull)
            done = deployer.deploy(plan)
        return DeployedBot(
            instance=done.instance, config=plan.name, mode=plan.mode, controller=plan.controller,
            connector=plan.connector, trading_pair=str(plan.config.data["trading_pair"]), image=plan.image,
            account=plan.account, status=done.status.status, polls=done.polls, notes=list(plan.notes),
        )  # fmt: skip

    await ctx.report_progress(0, None, f"deploying {plan.name} ({plan.mode}) on {plan.connector}")
    return await anyio.to_thread.run_sync(run)


@tool_errors
def stop_bot(name: str, archive: bool = False, keep_orders: bool = False) -> Stopped:
    """Stop a bot (its open orders cancelled unless keep_orders); archive=true also removes its container."""
    from uptrade.execution.monitor import stop_bot as stop

    name = _name(name)
    with _client(_settings()) as api:
        message = stop(api, name, archive=archive, keep_orders=keep_orders)
    return Stopped(name=name, archive=archive, message=message)


def register(server: MCPServer) -> None:
    """Add this module's tools to ``server``."""
    server.tool(title="List bots")(list_bots)
    server.tool(title="Bot status")(bot_status)
    server.tool(title="Deploy a bot")(deploy_bot)
    server.tool(title="Stop a bot")(stop_bot)
