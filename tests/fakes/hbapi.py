"""A loopback hummingbot-api (and the Gateway routes it proxies) for UpTrade's tests.

``fake = FakeHummingbotApi(username="admin", password="admin")`` then
``with ServerThread(fake.app) as url:``; the test drives and inspects it through Python
attributes and methods (there are no HTTP control routes).

Faithful to hummingbot-api 1.0.1 (read from its source):

* Routes, methods, status codes and JSON shapes of the controllers, controller configs, bot
  orchestration (status, deploy-v2-controllers, stop-bot, stop-and-archive-bot, history,
  bot-runs, mqtt, controller performance latest/history), archived bots, accounts, connector
  credentials, Gateway wallets, Gateway status/connectors/chains and swap quotes. Routes are
  matched in the real order, so ``/bot-orchestration/bot-runs/status`` is the status of a bot
  named ``bot-runs``; a path that exists under another method answers 405.
* HTTP Basic on every route but ``/``: ``401 {"detail": "Not authenticated"}`` without
  credentials, ``401 {"detail": "Incorrect username or password"}`` with wrong ones, both with
  ``WWW-Authenticate: Basic``; a malformed JSON body is refused (422) before auth.
* Request validation: pydantic models mirroring the real ones give FastAPI's
  ``422 {"detail": [...]}``. A name breaking the ``^[A-Za-z0-9_-]+$`` rule (``instance_name``,
  ``credentials_profile``, ``controllers_config``) is refused by a validator in the real models;
  their errors carry the ``ValueError`` and the API's own 422 handler fails to serialise it, so
  the answer is ``500`` with the text ``Internal Server Error`` (see ``hbapi_http``).
* Soft failures stay HTTP 200: an unknown bot's status is ``{"status": "success", "data":
  {"status": "not_found", "error": ...}}``; a failed deploy is ``{"success": false,
  "message": ...}``; stop-bot of an unknown bot answers ``response: {"success": false, ...}``;
  stop-and-archive of an unknown bot answers ``{"status": "error", ...}``; a swap quote Gateway
  refuses comes back as price ``"0"`` with null amounts. A credentials profile that does not exist
  fails the deploy with 500 (the real copy of its folder raises).
* Deploy: ``unique_instance_name`` is ``instance_name-YYYYmmdd-HHMMSS`` from :attr:`now`; two
  deploys of one name in the same second collide as Docker's 409 does (``success: false``).
* Bot status is derived as the orchestrator derives it: no controller reports -> ``stopped``,
  reports -> ``running`` (``idle`` when ``recently_active`` is false); performance per controller
  is ``{"status", "performance": PerformanceReport fields, "custom_info"}``; log entries have
  the fields of Hummingbot's MQTT log messages. ``stop-bot`` clears the reports (the bot then
  reads ``stopped`` but stays in the active list); ``stop-and-archive-bot`` removes it.
* Performance history: filters, newest first, interval sampling, ``limit`` <= 1000 (422 above),
  ``interval`` pattern (422), 400 on a bad ``start_time``/``end_time``, and the cursor rule of the
  real repository: rows strictly older than the cursor, so rows sharing the cursor's timestamp
  (the other controllers of one dump) are skipped, as in the real API.

Simplified:

* Time: a bot's start is driven by reads of its status, never the wall clock. Each read of
  ``/bot-orchestration/{bot}/status`` ticks that bot, each read of ``/bot-orchestration/status``
  ticks every bot. The first read answers ``not_found`` (Docker has not listed the container
  yet), the next ones ``stopped`` (MQTT has not heard from it), and read number
  ``polls_to_running + 1`` finds the strategy started: ``running`` with zeroed performance, or, if
  a controller config it names was never saved, its controller code was never uploaded or does
  not compile, ``stopped`` with an ERROR entry in ``error_logs`` (Hummingbot's exact wording is not
  reproduced). Until its second read a bot is not in the active list, so stop-bot and
  stop-and-archive-bot call it unknown, as the real API does before Docker lists the container.
  ``polls_to_running = 0`` starts bots at deploy; :meth:`FakeHummingbotApi.discover` skips the
  wait. Archiving is immediate.
* Performance moves only through :meth:`FakeHummingbotApi.advance`; snapshot rows are written by
  ``advance`` (that bot) or :meth:`FakeHummingbotApi.dump_performance` (all running bots, like
  the real periodic dump), stamped :attr:`now`. Numbers are JSON floats. Naive datetimes in
  queries are read as UTC.
* ``history`` answers ``{"status": 200, "msg": "", "trades": bot.trades}``; archived databases
  hold no orders, executors or positions (trade-based performance is not simulated).
* Credentials: unknown key fields are refused, missing ones are not checked and keys are not
  tried against the exchange. Controller template/validate: see ``hbapi_controllers``.
* Not served (404): docker, portfolio, trading, market data, executors, scripts,
  backtesting, CLMM, swap execution, start-bot, deploy-v2-script and the Gateway
  network/token/pool routes.

Faults (:class:`~tests.fakes.hbapi_http.ScriptedFaults`) are served before routing:
``server_error`` (500 with ``detail``), ``slow`` (waits for ``faults.release``), ``dropped``
(connection closed without an answer).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fakes import hbapi_bots, hbapi_controllers, hbapi_docker, hbapi_gateway, hbapi_records
from tests.fakes.hbapi_bots import FakeBot, finish_start, log_entry
from tests.fakes.hbapi_http import (
    ApiError,
    Invalid,
    Req,
    Route,
    ScriptedFaults,
    ServerError,
    internal_error,
    json_reply,
    match,
    read_body,
    validation_reply,
)
from tests.fakes.hbapi_records import record_snapshots

__all__ = ["FakeBot", "FakeHummingbotApi", "ScriptedFaults"]

#: Prices (quote per base) the fake Gateway quotes swaps at.
DEFAULT_PRICES = {"SOL-USDC": 150.0, "WETH-USDC": 3000.0, "WBTC-USDC": 60000.0, "ETH-USDC": 3000.0}


def _root(api: FakeHummingbotApi, req: Req) -> tuple[int, Any]:
    return 200, {"name": "Hummingbot API", "version": "1.0.1", "status": "running"}


class FakeHummingbotApi:
    """The fake API: state the test reads and writes, and ``app`` to serve.

    All state is guarded by :attr:`lock` (requests are handled on the server thread); the
    methods below take it, a test touching the dicts while requests are in flight should too.
    """

    def __init__(
        self,
        username: str = "admin",
        password: str = "admin",
        *,
        now: datetime | None = None,
        polls_to_running: int = 2,
        faults: ScriptedFaults | None = None,
    ) -> None:
        self.username, self.password = username, password
        #: The clock: deploy names, log and snapshot timestamps. Aware UTC; set it or :meth:`tick` it.
        self.now: datetime = now or datetime.now(UTC).replace(microsecond=0)
        #: Status reads a new bot answers before its strategy has started.
        self.polls_to_running = polls_to_running
        self.faults = faults or ScriptedFaults()
        #: When set, every deploy answers ``{"success": false, "message": docker_error}`` and creates nothing.
        self.docker_error: str | None = None
        #: Controller name -> the error importing it raises inside the bot (e.g. a module the image lacks).
        self.import_errors: dict[str, str] = {}
        #: Local Docker images (tags); pulls by image name; pull-status reads a pull takes; its failure.
        self.images: set[str] = set()
        self.pulls: dict[str, dict[str, Any]] = {}
        self.pull_reads = 2
        self.pull_error: str | None = None
        #: Deploys that had to pull their image inside the deploy call (slow on a real server).
        self.inline_pulls = 0
        #: False: Gateway is down (its routes answer 503; ``/gateway/status`` says not running).
        self.gateway_up = True
        self.controllers: dict[tuple[str, str], str] = {}  # (type, name) -> code
        self.configs: dict[str, dict[str, Any]] = {}  # config name -> saved config
        self.bots: dict[str, FakeBot] = {}  # active (deployed, not archived) by unique name
        self.archived: dict[str, FakeBot] = {}
        self.accounts: dict[str, dict[str, dict[str, str]]] = {"master_account": {}}
        self.connector_keys: dict[str, tuple[str, ...]] = dict(hbapi_gateway.CONNECTOR_KEYS)
        self.wallets: dict[str, list[str]] = {}  # chain -> addresses (never keys)
        self.default_wallets: dict[str, str] = {}
        self.prices: dict[str, float] = dict(DEFAULT_PRICES)
        #: Performance rows: timestamp (datetime), bot_name, controller_id, status, performance, custom_info.
        self.snapshots: list[dict[str, Any]] = []
        self.bot_runs: list[dict[str, Any]] = []
        self.run_ids = itertools.count(1)
        #: Every request received, in order: (method, path).
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.RLock()
        #: Matched in order, as the real app includes its routers.
        self.routes: list[Route] = [
            *hbapi_gateway.ROUTES,
            *hbapi_records.PERF_ROUTES,
            *hbapi_bots.BOT_ROUTES,
            *hbapi_controllers.ROUTES,
            *hbapi_records.ARCHIVED_ROUTES,
            *hbapi_docker.ROUTES,
            Route("GET", "/", _root, auth=False),
        ]
        #: Exceptions handlers raised (answered 500 ``Internal Server Error``); a fake bug shows here.
        self.crashes: list[BaseException] = []
        self.app = web.Application(client_max_size=16 * 1024 * 1024)
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    # ------------------------------------------------------------------ serving

    def _authorized(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, param = header.partition(" ")
        fail = ApiError(401, "Not authenticated", {"WWW-Authenticate": "Basic"})
        if not header or scheme.lower() != "basic":
            raise fail
        try:
            user, sep, password = base64.b64decode(param).decode("ascii").partition(":")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise fail from None
        if not sep:
            raise fail
        if (user, password) != (self.username, self.password):
            raise ApiError(401, "Incorrect username or password", {"WWW-Authenticate": "Basic"})

    async def _fault(self, request: web.Request) -> web.StreamResponse | None:
        """Serve the next scripted fault for this path; None lets the request through."""
        fault = self.faults.pick(request.path)
        if fault == "dropped":
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if fault == "server_error":
            return json_reply(500, {"detail": self.faults.detail})
        if fault == "slow":
            await self.faults.hold()
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self.lock:
            self.requests.append((request.method, request.path))
        faulted = await self._fault(request)
        if faulted is not None:
            return faulted
        try:
            route, params, path_only = match(self.routes, request.method, request.path)
            if route is None:
                raise ApiError(405, "Method Not Allowed") if path_only else ApiError(404, "Not Found")
            body = await read_body(request) if route.has_body else None
            if route.auth:
                self._authorized(request)
            req = Req(request.method, request.path, params, request.query, body)
            with self.lock:
                out = route.handler(self, req)
        except ApiError as exc:
            return json_reply(exc.status, {"detail": exc.detail}, exc.headers)
        except Invalid as exc:
            return validation_reply(exc.errors)
        except ServerError:
            return internal_error()
        except Exception as exc:  # a bug in the fake; answered like an unhandled error in the real app
            self.crashes.append(exc)
            return internal_error()
        return out if isinstance(out, web.StreamResponse) else json_reply(*out)

    # ------------------------------------------------------------------ test controls

    def tick(self, seconds: float) -> datetime:
        """Move :attr:`now` on and return it."""
        with self.lock:
            self.now += timedelta(seconds=seconds)
            return self.now

    def discover(self, bot_name: str | None = None) -> None:
        """Let one bot (or every starting bot) finish starting now: running, or failed with error logs."""
        with self.lock:
            for bot in [self.bots[bot_name]] if bot_name else list(self.bots.values()):
                bot.polls = max(bot.polls, self.polls_to_running + 1)
                finish_start(self, bot)

    def advance(
        self,
        bot_name: str,
        *,
        controller_id: str | None = None,
        pnl: float = 0.0,
        unrealized: float | None = None,
        volume: float = 0.0,
        custom_info: dict[str, Any] | None = None,
        snapshot: bool = True,
        **fields: Any,
    ) -> dict[str, Any]:
        """Move a running bot's performance, then (``snapshot``) write its rows stamped :attr:`now`.

        ``pnl`` and ``volume`` add to ``realized_pnl_quote`` and ``volume_traded``; ``unrealized``
        sets ``unrealized_pnl_quote``; the global and pct fields follow (pct = pnl / volume traded);
        ``fields`` set any ``PerformanceReport`` field directly. Applies to ``controller_id`` or,
        when None, to every controller of the bot. Returns the last report changed.
        """
        with self.lock:
            bot = self.bots[bot_name]
            if not bot.performance:
                raise ValueError(f"bot {bot_name} is not running (phase {bot.phase}); discover() it first")
            ids = [controller_id] if controller_id else list(bot.performance)
            report: dict[str, Any] = {}
            for cid in ids:
                report = bot.performance[cid]  # KeyError: no such controller in this bot
                report["realized_pnl_quote"] += pnl
                report["volume_traded"] += volume
                if unrealized is not None:
                    report["unrealized_pnl_quote"] = float(unrealized)
                report["global_pnl_quote"] = report["realized_pnl_quote"] + report["unrealized_pnl_quote"]
                traded = report["volume_traded"]
                for key in ("realized_pnl", "unrealized_pnl", "global_pnl"):
                    report[f"{key}_pct"] = report[f"{key}_quote"] / traded if traded else 0.0
                report.update(fields)
                if custom_info is not None:
                    bot.custom_info[cid] = dict(custom_info)
            if snapshot:
                record_snapshots(self, [bot])
            return dict(report)

    def dump_performance(self) -> int:
        """Write a snapshot row for every controller of every running bot (the API's periodic dump)."""
        with self.lock:
            return record_snapshots(self, list(self.bots.values()))

    def crash(self, bot_name: str, message: str) -> None:
        """The bot's strategy dies: an ERROR log entry, and its controllers stop reporting."""
        with self.lock:
            bot = self.bots[bot_name]
            bot.error_logs.append(log_entry(self.now, message, "ERROR"))
            bot.performance.clear()
            bot.phase = "failed"

    def log(self, bot_name: str, message: str, level: str = "INFO") -> None:
        """The bot publishes a log line (ERROR lines go to ``error_logs``)."""
        with self.lock:
            bot = self.bots[bot_name]
            (bot.error_logs if level == "ERROR" else bot.general_logs).append(log_entry(self.now, message, level))
