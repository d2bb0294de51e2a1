"""Deploy a bot file to hummingbot-api, and watch, stop and read the logs of the bots it runs.

:func:`plan_deploy` does every check that needs no network, before anything is sent: the bot
file (connector known to Hummingbot, pair format, enum values, barriers, indicator parameters:
:class:`~uptrade.execution.bots.BotConfig`), the name hummingbot-api accepts
(``^[A-Za-z0-9_-]+$``), live trading allowed and confirmed, the connector the mode trades on
(a paper connector by default), the controller config, and the bundled controller code, which
must compile. :meth:`Deployer.deploy` then

1. checks that the credentials profile exists and, for a live bot on an exchange, holds keys for
   it, and has the instance pull the bot image first when it lacks it (the deploy call would
   otherwise pull it inside the request, for minutes);
2. uploads the controller (``controllers/directional_trading/uptrade_*.py``) unless the instance
   already has exactly that code (rewriting it would make running bots recompile their kernels at
   their next start), and saves the controller config under the bot's name;
3. asks hummingbot-api to validate the config against the uploaded controller's own config class;
4. deploys (``deploy-v2-controllers``, the pinned image from settings, headless);
5. polls the bot's status until it reports ``running``, and turns a container that did not
   start (HTTP 200, ``success: false``) or a bot that stopped with errors into a
   :class:`~uptrade.errors.DeployError` carrying its ``error_logs``.

Waiting uses the injected ``clock`` and ``sleep``, so tests move time without waiting.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from uptrade.errors import ConfigError, DeployError
from uptrade.execution import venues
from uptrade.execution.bots import BotConfig
from uptrade.execution.bundle import CONTROLLER_TYPE, Bundle
from uptrade.execution.hbapi import UNPINNED, HummingbotApi
from uptrade.execution.hbapi_models import SAFE_NAME, BotStatus, LogEntry
from uptrade.execution.hbconfig import ControllerConfig, controller_config

if TYPE_CHECKING:
    from uptrade.settings import Settings

_SAFE = re.compile(SAFE_NAME)


def check_name(name: str, what: str = "bot name") -> str:
    """``name`` if hummingbot-api accepts it (letters, digits, ``_`` and ``-``), else a ConfigError."""
    if not _SAFE.fullmatch(name or ""):
        raise ConfigError(
            f"{what} {name!r}: hummingbot-api accepts only letters, digits, '_' and '-' (no dots, spaces or slashes)"
        )
    return name


@dataclass
class DeployPlan:
    """What a deploy will send, built and checked before any request."""

    bot: BotConfig
    mode: Literal["paper", "live"]
    config: ControllerConfig
    controller: str
    code: str
    image: str
    account: str
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.bot.name

    @property
    def connector(self) -> str:
        return str(self.config.data["connector_name"])


def plan_deploy(
    path: str | Path,
    *,
    live: bool = False,
    confirmed: bool = False,
    allow_live: bool = False,
    image: str,
    account: str,
    name: str | None = None,
) -> DeployPlan:
    """Check a bot file for deployment (module docstring); nothing is sent."""
    bot = BotConfig.from_yaml(path)
    if name is not None:
        bot = bot.model_copy(update={"name": check_name(name)})
    check_name(bot.name)
    check_name(account, "credentials profile")
    notes: list[str] = []
    mode: Literal["paper", "live"] = "live" if live else "paper"
    if bot.mode == "live" and not live:
        notes.append(f"{path} says mode: live; deployed on paper (pass --live for real orders)")
    bot = bot.model_copy(update={"mode": mode})
    config = controller_config(bot, confirmed=confirmed, allow_live=allow_live)  # a live one: check_live first
    notes.extend(config.notes)
    if not image or (":" not in image.rsplit("/", 1)[-1] and "@" not in image):
        raise ConfigError(f"bot_image {image!r}: pin a tag (e.g. hummingbot/hummingbot:version-2.17.0)")
    if image == UNPINNED:
        notes.append(f"the bot image is {UNPINNED}: it changes under you; pin a version in UPTRADE_BOT_IMAGE")
    controller = bot.controller_name
    code = Bundle([controller]).render(controller)  # refuses code that does not compile or stand alone
    return DeployPlan(bot, mode, config, controller, code, image, account, notes)


def log_entries(status: BotStatus, *, errors_only: bool = False, last: int | None = None) -> list[LogEntry]:
    """A bot status's log lines (errors and general, or errors only), oldest first, the ``last`` ones."""
    entries = list(status.error_logs) + ([] if errors_only else list(status.general_logs))
    entries.sort(key=lambda e: e.timestamp or 0.0)
    return entries[-last:] if last else entries


@dataclass
class Deployed:
    """A deploy that reached ``running``: the bot's name in hummingbot-api and its last status."""

    plan: DeployPlan
    instance: str
    status: BotStatus
    polls: int


class Deployer:
    """Deploy plans to one hummingbot-api and wait for the bots to run (module docstring)."""

    def __init__(
        self,
        api: HummingbotApi,
        *,
        timeout: float = 180.0,
        poll: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_status: Callable[[BotStatus], None] | None = None,
        pull_timeout: float = 1800.0,
        on_pull: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.api = api
        self.timeout = timeout
        self.pull_timeout = pull_timeout
        self.on_pull = on_pull
        self.poll = poll
        self.clock = clock
        self.sleep = sleep
        self.on_status = on_status

    @classmethod
    def from_settings(
        cls,
        api: HummingbotApi,
        settings: Settings,
        *,
        on_status: Callable[[BotStatus], None] | None = None,
        on_pull: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> Deployer:
        """A deployer with the settings' waits (``deploy_timeout``, ``deploy_poll``, ``image_pull_timeout``)."""
        return cls(
            api,
            timeout=settings.deploy_timeout,
            poll=settings.deploy_poll,
            on_status=on_status,
            pull_timeout=settings.image_pull_timeout,
            on_pull=on_pull,
        )

    def deploy(self, plan: DeployPlan) -> Deployed:
        api = self.api
        profiles = api.accounts()
        if plan.account not in profiles:  # the API would answer the deploy with a bare HTTP 500
            raise DeployError(
                f"{plan.name}: hummingbot-api has no credentials profile {plan.account!r} "
                f"(profiles: {', '.join(profiles) or 'none'}); nothing was deployed"
            )
        if plan.mode == "live" and not venues.is_gateway(plan.connector):
            have = api.account_credentials(plan.account)
            if plan.connector not in have:
                raise DeployError(
                    f"{plan.name}: credentials profile {plan.account!r} has no keys for {plan.connector} "
                    f"(it has: {', '.join(have) or 'none'}); add them with `uptrade bots credentials add "
                    f"{plan.connector}`; nothing was deployed"
                )
        self.ensure_image(plan.image)
        # the same code is not written again: a rewritten file (a new time stamp) invalidates numba's
        # cache of its kernels, and every bot of that controller would compile them again at start
        if api.controller_code(CONTROLLER_TYPE, plan.controller) != plan.code:
            api.upload_controller(CONTROLLER_TYPE, plan.controller, plan.code)
        api.save_controller_config(plan.name, plan.config.data)
        api.validate_controller_config(CONTROLLER_TYPE, plan.controller, plan.config.data)
        result = api.deploy(plan.name, [plan.name], credentials_profile=plan.account, image=plan.image, headless=True)
        instance = result.unique_instance_name or plan.name
        return self.wait_running(plan, instance)

    def ensure_image(self, image: str) -> None:
        """Have the instance pull ``image`` first when it lacks it, waiting (``pull_timeout``) until done.

        Without it, the deploy call itself would pull the image (Docker's ``containers.run``
        does), holding the request for minutes on a fresh server, past any sensible timeout.
        """
        api = self.api
        if api.has_image(image):
            return
        api.pull_image(image)
        deadline = self.clock() + self.pull_timeout
        while True:
            state = api.pull_status(image) or {"status": "pulling"}
            if self.on_pull is not None:
                self.on_pull(image, state)
            if state.get("status") == "completed":
                return
            if state.get("status") == "failed":
                why = state.get("error", "no reason given")
                raise DeployError(f"pulling {image} failed: {why}; nothing was deployed")
            if self.clock() >= deadline:
                raise DeployError(
                    f"{image} is still being pulled after {self.pull_timeout:g} s; deploy again once it is there "
                    "(the pull goes on); nothing was deployed"
                )
            self.sleep(self.poll)

    def wait_running(self, plan: DeployPlan, instance: str) -> Deployed:
        """Poll ``instance`` until it runs; a DeployError with its error logs if it stops or never runs."""
        deadline = self.clock() + self.timeout
        polls = 0
        while True:
            status = self.api.bot(instance)
            polls += 1
            if self.on_status is not None:
                self.on_status(status)
            if status.status == "running":
                return Deployed(plan, instance, status, polls)
            errors = [e.line() for e in status.error_logs]
            if status.status in ("stopped", "error", "idle") and (errors or status.error):
                raise DeployError(
                    f"{instance} was deployed but stopped with errors ({len(errors)} error log lines; "
                    f"`uptrade bots logs {instance}`): {errors[-1] if errors else status.error}",
                    error_logs=errors or [str(status.error)],
                )
            if self.clock() >= deadline:
                raise DeployError(
                    f"{instance} was deployed but did not report running within {self.timeout:g} s "
                    f"(last status: {status.status}); watch it with `uptrade bots status {instance}`",
                    error_logs=errors,
                )
            self.sleep(self.poll)

    # ------------------------------------------------------------------ watching and stopping
    def status(self, name: str) -> BotStatus:
        return self.api.require_bot(check_name(name))

    def logs(self, name: str, *, errors_only: bool = False, last: int | None = None) -> list[LogEntry]:
        """The bot's log lines hummingbot-api holds (errors and general, oldest first)."""
        return log_entries(self.status(name), errors_only=errors_only, last=last)

    def stop(self, name: str, *, archive: bool = False, skip_order_cancellation: bool = False) -> str:
        check_name(name)
        if archive:
            return self.api.stop_and_archive(name, skip_order_cancellation=skip_order_cancellation) or (
                f"{name}: stop and archive started"
            )
        self.api.stop(name, skip_order_cancellation=skip_order_cancellation)
        return f"{name}: stop sent" + ("" if skip_order_cancellation else " (open orders are cancelled)")


__all__ = ["DeployPlan", "Deployed", "Deployer", "check_name", "log_entries", "plan_deploy"]
