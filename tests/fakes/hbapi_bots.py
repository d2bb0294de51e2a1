"""Bot orchestration and bot runs of the fake hummingbot-api.

The real orchestrator learns about a bot from Docker (the container runs) and MQTT (the bot's
reports); here a bot's life is driven by the reads of its status (see :class:`FakeBot`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, field_validator

from tests.fakes.hbapi_http import ApiError, Params, Reply, Req, Route

if TYPE_CHECKING:
    from tests.fakes.hbapi import FakeHummingbotApi

SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
#: ``PerformanceReport`` of Hummingbot's strategy_v2, as the bot publishes it (numbers as floats).
PERFORMANCE_FIELDS = (
    "realized_pnl_quote",
    "unrealized_pnl_quote",
    "unrealized_pnl_pct",
    "realized_pnl_pct",
    "global_pnl_quote",
    "global_pnl_pct",
    "volume_traded",
    "open_order_volume",
    "inventory_imbalance",
)


def _safe(name: str, label: str) -> str:
    if not name or not SAFE_NAME.fullmatch(name):
        raise ValueError(f"Invalid {label}: '{name}'. Only letters, numbers, underscores and hyphens are allowed.")
    return name


class V2ControllerDeployment(BaseModel):
    """The body of ``POST /bot-orchestration/deploy-v2-controllers`` (same fields and name rules)."""

    instance_name: str
    credentials_profile: str
    controllers_config: list[str]
    max_global_drawdown_quote: float | None = None
    max_controller_drawdown_quote: float | None = None
    image: str = "hummingbot/hummingbot:latest"
    script_config: str | None = None
    headless: bool = False

    @field_validator("instance_name", "credentials_profile")
    @classmethod
    def _names(cls, v: str, info: Any) -> str:
        return _safe(v, info.field_name)

    @field_validator("controllers_config")
    @classmethod
    def _configs(cls, v: list[str]) -> list[str]:
        for name in v:
            _safe(name.removesuffix(".yml"), "controllers_config")
        return v

    @field_validator("script_config")
    @classmethod
    def _script(cls, v: str | None) -> str | None:
        if v is not None:
            _safe(v.removesuffix(".yml"), "script_config")
        return v


class StopBotAction(BaseModel):
    bot_name: str
    skip_order_cancellation: bool = False
    async_backend: bool = False


def empty_report() -> dict[str, Any]:
    report: dict[str, Any] = dict.fromkeys(PERFORMANCE_FIELDS, 0.0)
    report["positions_summary"] = []
    report["close_type_counts"] = {}
    return report


def controller_id(bot: str, config_name: str, config: dict[str, Any]) -> str:
    """The config's ``id``, else a generated one (Hummingbot's is random; this one is stable)."""
    if str(config.get("id") or "").strip():
        return str(config["id"])
    n = int.from_bytes(hashlib.sha256(f"{bot}/{config_name}".encode()).digest(), "big")
    out = ""
    while len(out) < 44:
        n, r = divmod(n, 58)
        out += _B58[r]
    return out


@dataclass
class FakeBot:
    """One deployed instance.

    ``phase`` is the fake's own lifecycle: ``starting`` (the container runs, the bot is not
    reporting yet), ``running`` (controllers report performance), ``failed`` (the strategy did
    not start; ``failure`` says why), ``stopped`` (after ``stop-bot``). The status the API
    reports is derived from it like the real orchestrator derives it from MQTT data: no
    controller reports -> ``stopped``, reports and recent messages -> ``running``, reports but
    silent (``recently_active = False``) -> ``idle``.
    """

    name: str
    instance_name: str
    credentials_profile: str
    image: str
    controllers: list[str]
    script_config: str
    deployed_at: datetime
    #: The controller configs as copied into the instance at deploy time (config name -> dict).
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    controller_ids: dict[str, str] = field(default_factory=dict)  # config name -> controller id
    phase: str = "starting"
    polls: int = 0
    failure: str | None = None
    performance: dict[str, dict[str, Any]] = field(default_factory=dict)  # controller id -> report
    custom_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    error_logs: list[dict[str, Any]] = field(default_factory=list)
    general_logs: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    recently_active: bool = True
    headless: bool = False
    max_global_drawdown_quote: float | None = None
    max_controller_drawdown_quote: float | None = None

    @property
    def discovered(self) -> bool:
        """In the orchestrator's active bots: from the second status read on (or once started)."""
        return self.phase != "starting" or self.polls >= 2

    @property
    def status(self) -> str:
        if self.performance:
            return "running" if self.recently_active else "idle"
        return "stopped"

    def report(self) -> dict[str, Any]:
        """What ``get_bot_status`` answers for a bot in the active set."""
        perf = {
            cid: {"status": "running", "performance": dict(rep), "custom_info": dict(self.custom_info.get(cid, {}))}
            for cid, rep in self.performance.items()
        }
        return {
            "status": self.status,
            "performance": perf,
            "error_logs": list(self.error_logs),
            "general_logs": list(self.general_logs),
            "recently_active": self.recently_active,
        }


def log_entry(
    now: datetime, msg: str, level: str = "INFO", logger: str = "hummingbot.strategy.script_strategy_base"
) -> dict:
    """A log line as the API stores it from the bot's MQTT ``log`` topic."""
    level_no = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}.get(level, 20)
    return {"level_name": level, "msg": msg, "timestamp": now.timestamp(), "level_no": level_no, "logger_name": logger}


# --------------------------------------------------------------------------- lifecycle


def start_failure(api: FakeHummingbotApi, bot: FakeBot) -> str | None:
    """Why this bot's strategy cannot start, judged from the files it was deployed with."""
    for name in bot.controllers:
        file = name if name.endswith(".yml") else f"{name}.yml"
        config = bot.configs.get(file.removesuffix(".yml"))
        if config is None:
            return (
                f"Error loading controller config {file}: "
                f"[Errno 2] No such file or directory: '/home/hummingbot/conf/controllers/{file}'"
            )
        ctype, cname = config.get("controller_type"), config.get("controller_name")
        if not cname:
            return f"Error loading controller config {file}: controller_name is required"
        ctype = ctype or "generic"
        code = api.controllers.get((str(ctype), str(cname)))
        if code is None:
            return f"Error loading controller {cname}: No module named 'controllers.{ctype}.{cname}'"
        try:
            compile(code, f"/home/hummingbot/controllers/{ctype}/{cname}.py", "exec")
        except SyntaxError as exc:
            return f"Error loading controller {cname}: {exc}"
        if str(cname) in api.import_errors:  # compiles, but fails when the bot's Python imports it
            return f"Error loading controller {cname}: {api.import_errors[str(cname)]}"
    return None


def finish_start(api: FakeHummingbotApi, bot: FakeBot) -> None:
    """The strategy starts (or fails to): reports begin, or an error is logged."""
    if bot.phase != "starting":
        return
    bot.failure = start_failure(api, bot)
    bot.general_logs.append(
        log_entry(api.now, f"Starting script v2_with_controllers.py with config {bot.script_config}")
    )
    if bot.failure:
        bot.phase = "failed"
        bot.error_logs.append(log_entry(api.now, bot.failure, "ERROR", "hummingbot.client.hummingbot_application"))
        return
    bot.phase = "running"
    for name in bot.controllers:
        key = name.removesuffix(".yml")
        cid = controller_id(bot.name, key, bot.configs[key])
        bot.controller_ids[key] = cid
        bot.performance[cid] = empty_report()
        bot.custom_info[cid] = {}


def read_status(api: FakeHummingbotApi, bot: FakeBot) -> None:
    """One status read: the clock of a starting bot."""
    bot.polls += 1
    if bot.phase == "starting" and bot.polls > api.polls_to_running:
        finish_start(api, bot)


def bot_status(api: FakeHummingbotApi, name: str) -> dict[str, Any]:
    bot = api.bots.get(name)
    if bot is None or not bot.discovered:
        return {"status": "not_found", "error": f"Bot {name} not found"}
    return bot.report()


def active(api: FakeHummingbotApi) -> list[str]:
    return [n for n, b in api.bots.items() if b.discovered]


# --------------------------------------------------------------------------- handlers


def all_status(api: FakeHummingbotApi, req: Req) -> Reply:
    for bot in api.bots.values():
        read_status(api, bot)
    data = {}
    for name in active(api):
        data[name] = {**api.bots[name].report(), "source": "docker"}
    return 200, {"status": "success", "data": data}


def one_status(api: FakeHummingbotApi, req: Req) -> Reply:
    name = req.params["bot_name"]
    if name in api.bots:
        read_status(api, api.bots[name])
    return 200, {"status": "success", "data": bot_status(api, name)}


def mqtt_status(api: FakeHummingbotApi, req: Req) -> Reply:
    names = active(api)
    data = {
        "mqtt_connected": True,
        "discovered_bots": names,
        "active_bots": names,
        "broker_host": "localhost",
        "broker_port": 1883,
        "broker_username": "admin",
        "client_state": "connected",
    }
    return 200, {"status": "success", "data": data}


def history(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    p.query("days", int, 0)
    p.query("verbose", bool, False)
    p.query("precision", int, None)
    p.query("timeout", float, 30.0)
    p.check()
    name = req.params["bot_name"]
    if name not in active(api):
        return 200, {"status": "success", "response": {"success": False, "message": f"Bot {name} not found"}}
    data = {"status": 200, "msg": "", "trades": list(api.bots[name].trades)}
    return 200, {"status": "success", "response": {"success": True, "data": data}}


def deploy(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    dep = p.body(V2ControllerDeployment)
    p.check()
    stamp = api.now.strftime("%Y%m%d-%H%M%S")
    unique = f"{dep.instance_name}-{stamp}"
    script_config = f"{unique}.yml"
    if dep.credentials_profile not in api.accounts:
        raise ApiError(500, f"[Errno 2] No such file or directory: 'bots/credentials/{dep.credentials_profile}'")
    if api.docker_error is not None:
        return 200, {"success": False, "message": api.docker_error}
    api.inline_pulls += dep.image not in api.images  # Docker pulls a missing image inside the call
    api.images.add(dep.image)
    if unique in api.bots:
        cid = hashlib.sha256(unique.encode()).hexdigest()
        msg = (
            f"409 Client Error for http+docker://localhost/v1.47/containers/create?name={unique}: Conflict "
            f'("Conflict. The container name "/{unique}" is already in use by container "{cid}". '
            'You have to remove (or rename) that container to be able to reuse it.")'
        )
        return 200, {"success": False, "message": msg}
    bot = FakeBot(
        name=unique,
        instance_name=dep.instance_name,
        credentials_profile=dep.credentials_profile,
        image=dep.image,
        controllers=list(dep.controllers_config),
        script_config=script_config,
        deployed_at=api.now,
        configs={
            c.removesuffix(".yml"): copy.deepcopy(api.configs[c.removesuffix(".yml")])
            for c in dep.controllers_config
            if c.removesuffix(".yml") in api.configs
        },
        headless=dep.headless,
        max_global_drawdown_quote=dep.max_global_drawdown_quote,
        max_controller_drawdown_quote=dep.max_controller_drawdown_quote,
    )
    api.bots[unique] = bot
    if api.polls_to_running <= 0:
        finish_start(api, bot)
    deployment = dep.model_dump()
    deployment.update(instance_name=unique, script_config=script_config)
    api.bot_runs.append(
        {
            "id": next(api.run_ids),
            "bot_name": unique,
            "instance_name": unique,
            "deployed_at": api.now,
            "stopped_at": None,
            "strategy_type": "controller",
            "strategy_name": "v2_with_controllers",
            "config_name": script_config,
            "account_name": dep.credentials_profile,
            "image_version": dep.image,
            "deployment_status": "DEPLOYED",
            "run_status": "CREATED",
            "deployment_config": json.dumps(deployment),
            "final_status": None,
            "error_message": None,
        }
    )
    return 200, {
        "success": True,
        "message": f"Instance {unique} created successfully.",
        "script_config_generated": script_config,
        "controllers_deployed": list(dep.controllers_config),
        "unique_instance_name": unique,
    }


def _mark_run(api: FakeHummingbotApi, name: str, final_status: dict[str, Any] | None) -> None:
    for run in reversed(api.bot_runs):
        if run["bot_name"] == name and run["run_status"] in ("RUNNING", "CREATED"):
            run["run_status"] = "STOPPED"
            run["stopped_at"] = api.now
            run["final_status"] = json.dumps(final_status) if final_status else None
            return


def stop_bot(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    action = p.body(StopBotAction)
    p.check()
    name = action.bot_name
    final = bot_status(api, name)
    if name not in active(api):
        return 200, {"status": "success", "response": {"success": False, "message": f"Bot {name} not found"}}
    bot = api.bots[name]
    bot.phase = "stopped" if bot.phase != "failed" else bot.phase
    bot.performance.clear()
    bot.general_logs.append(
        log_entry(api.now, "Stopping the strategy...", logger="hummingbot.client.hummingbot_application")
    )
    _mark_run(api, name, final)
    return 200, {"status": "success", "response": {"success": True}}


def stop_and_archive(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    p.query("skip_order_cancellation", bool, True)
    p.query("archive_locally", bool, True)
    p.query("s3_bucket", str, None)
    p.check()
    name = req.params["bot_name"]
    names = active(api)
    details = {"input_name": name, "actual_bot_name": name, "container_name": name}
    if name not in names:
        msg = f"Bot '{name}' not found in active bots. Active bots: {names}. Cannot perform graceful shutdown."
        reason = "Bot must be actively managed via MQTT for graceful shutdown"
        return 200, {"status": "error", "message": msg, "details": {**details, "active_bots": names, "reason": reason}}
    _mark_run(api, name, bot_status(api, name))
    bot = api.bots.pop(name)
    bot.performance.clear()
    bot.phase = "stopped" if bot.phase != "failed" else bot.phase
    api.archived[name] = bot
    for run in reversed(api.bot_runs):
        if run["bot_name"] == name:
            run["deployment_status"], run["stopped_at"] = "ARCHIVED", api.now
            break
    process = (
        "The bot will be gracefully stopped, archived, and removed in the background. "
        "This process typically takes 20-30 seconds."
    )
    return 200, {
        "status": "success",
        "message": f"Stop and archive process started for bot {name}",
        "details": {**details, "process": process},
    }


def _run_dict(run: dict[str, Any]) -> dict[str, Any]:
    out = dict(run)
    for key in ("deployed_at", "stopped_at"):
        out[key] = run[key].isoformat() if run[key] else None
    return out


def bot_runs(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    filters = {k: p.query(k, str, None) for k in ("bot_name", "account_name", "strategy_type", "strategy_name")}
    filters["run_status"] = p.query("run_status", str, None)
    filters["deployment_status"] = p.query("deployment_status", str, None)
    limit = p.query("limit", int, 100)
    offset = p.query("offset", int, 0)
    p.check()
    runs = [r for r in api.bot_runs if all(not v or r[k] == v for k, v in filters.items())]
    runs.sort(key=lambda r: (r["deployed_at"], r["id"]), reverse=True)
    if limit < 0 or offset < 0:
        raise ApiError(500, "LIMIT must not be negative" if limit < 0 else "OFFSET must not be negative")
    data = [_run_dict(r) for r in runs[offset : offset + limit]]
    return 200, {"status": "success", "data": data, "total": len(data), "limit": limit, "offset": offset}


def bot_run_stats(api: FakeHummingbotApi, req: Req) -> Reply:
    def counts(key: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in api.bot_runs:
            out[r[key]] = out.get(r[key], 0) + 1
        return out

    active_runs = sum(1 for r in api.bot_runs if r["run_status"] == "RUNNING" and r["deployment_status"] == "DEPLOYED")
    data = {
        "total_runs": len(api.bot_runs),
        "active_runs": active_runs,
        "strategy_type_counts": counts("strategy_type"),
        "status_counts": counts("run_status"),
    }
    return 200, {"status": "success", "data": data}


def _run_id(req: Req) -> int:
    p = Params(req)
    run_id = p.path("bot_run_id", int)
    p.check()
    return run_id


def bot_run(api: FakeHummingbotApi, req: Req) -> Reply:
    run_id = _run_id(req)
    for run in api.bot_runs:
        if run["id"] == run_id:
            return 200, {"status": "success", "data": _run_dict(run)}
    raise ApiError(404, f"Bot run {run_id} not found")


def delete_bot_run(api: FakeHummingbotApi, req: Req) -> Reply:
    run_id = _run_id(req)
    for i, run in enumerate(api.bot_runs):
        if run["id"] == run_id:
            del api.bot_runs[i]
            deleted = api.archived.pop(run["instance_name"], None) is not None
            return 200, {
                "status": "success",
                "message": f"Bot run {run_id} deleted successfully",
                "bot_name": run["bot_name"],
                "archived_folder_deleted": deleted,
            }
    raise ApiError(404, f"Bot run {run_id} not found")


BOT_ROUTES = [
    Route("GET", "/bot-orchestration/status", all_status),
    Route("GET", "/bot-orchestration/mqtt", mqtt_status),
    Route("GET", "/bot-orchestration/{bot_name}/status", one_status),
    Route("GET", "/bot-orchestration/{bot_name}/history", history),
    Route("POST", "/bot-orchestration/stop-bot", stop_bot, has_body=True),
    Route("GET", "/bot-orchestration/bot-runs", bot_runs),
    Route("GET", "/bot-orchestration/bot-runs/stats", bot_run_stats),
    Route("GET", "/bot-orchestration/bot-runs/{bot_run_id}", bot_run),
    Route("DELETE", "/bot-orchestration/bot-runs/{bot_run_id}", delete_bot_run),
    Route("POST", "/bot-orchestration/stop-and-archive-bot/{bot_name}", stop_and_archive),
    Route("POST", "/bot-orchestration/deploy-v2-controllers", deploy, has_body=True),
]
