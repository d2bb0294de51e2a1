"""A typed client for hummingbot-api: controllers, configs, bot orchestration, performance, accounts, Gateway.

Why our own small httpx client rather than the published ``hummingbot-api-client`` (1.5.9 on
PyPI, checked against hummingbot-api's main of mid 2026): that package's route list differs from
the API's in both directions (it calls nine ``/gateway/amm/*`` routes the API no longer serves and
lacks 32 of the API's 146 routes), reports ``__version__ = "1.5.8"``, deploys
``hummingbot/hummingbot:latest`` by default, answers with untyped dicts, passes the API's
HTTP-200 failures (``success: false``, ``status: "error"``) through as if they were results,
never retries, and is aiohttp-only where every UpTrade shell is synchronous. What UpTrade needs
is about twenty routes with typed answers, one error family and retries that are safe; that is
this module, over httpx (already a dependency) and tenacity.

Behaviour:

- HTTP Basic auth on every request; the password is a :class:`~pydantic.SecretStr` that no repr,
  log line or error message contains. Secrets sent in a body (a wallet's private key, exchange
  keys) are scrubbed from any error text the API sends back, and 422 details are reported by
  field and message only (FastAPI's ``input`` would echo the value).
- Every failure becomes one :class:`~uptrade.errors.HummingbotApiError` with a one-line message:
  401 (:class:`~uptrade.errors.ApiAuthError`), 4xx ``detail``, 422 field errors, 5xx and 503
  (:class:`~uptrade.errors.ApiUnavailableError`), and the HTTP 200 answers that carry
  ``success: false``, ``status: "error"`` or ``error``.
- Idempotent calls (reads, and the uploads and config saves that overwrite by name) are retried
  on timeouts, dropped connections and 5xx with exponential backoff; the rest (deploy, stop,
  archive, adding a wallet or keys) are sent once, and a reply lost after sending is reported as
  "may have been carried out" rather than repeated. A connection that was refused outright
  carried nothing, so it is retried for every call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from uptrade.errors import ApiAuthError, ApiUnavailableError, BotNotFoundError, HummingbotApiError
from uptrade.execution.hbapi_models import (
    BotStatus,
    DeployResult,
    ExchangeCredentials,
    HistoryPage,
    PerformanceSnapshot,
    SwapQuote,
)

log = logging.getLogger(__name__)

#: The image hummingbot-api would use when none is sent: never sent by UpTrade (settings pin a tag).
UNPINNED = "hummingbot/hummingbot:latest"


class _TransientError(Exception):
    """A failure the same request may not hit again (timeout, dropped connection, 5xx)."""

    def __init__(self, error: HummingbotApiError) -> None:
        super().__init__(str(error))
        self.error = error


class HummingbotApi:
    """Synchronous client of one hummingbot-api instance (use as a context manager, or call :meth:`close`).

    ``sleep`` waits between retries (tests pass a recording function, so no real time passes);
    ``transport`` is httpx's, for a test that needs one.
    """

    def __init__(
        self,
        url: str,
        username: str,
        password: SecretStr,
        *,
        timeout: float = 30.0,
        attempts: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.attempts = attempts
        self.backoff = backoff
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.url,
            auth=httpx.BasicAuth(username, password.get_secret_value()),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls, settings: Any = None, **overrides: Any) -> HummingbotApi:
        """A client for the instance the settings name (``UPTRADE_HBAPI_*``)."""
        if settings is None:
            from uptrade.settings import get_settings

            settings = get_settings()
        kwargs: dict[str, Any] = {"timeout": settings.hbapi_timeout, "attempts": settings.hbapi_attempts}
        kwargs.update(overrides)
        return cls(settings.hbapi_url, settings.hbapi_username, settings.hbapi_password, **kwargs)

    def __repr__(self) -> str:
        return f"HummingbotApi(url={self.url!r}, username={self.username!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HummingbotApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool,
        secrets: tuple[str, ...] = (),
    ) -> Any:
        """The JSON answer of one call, or a :class:`HummingbotApiError` (see the module docstring)."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        what = f"{method} {path}"

        def once() -> Any:
            try:
                response = self._http.request(method, path, json=json, params=query)
            except httpx.ConnectError as exc:  # nothing was sent: safe to try again whatever the call
                raise _TransientError(
                    ApiUnavailableError(f"hummingbot-api at {self.url} is not reachable ({exc})")
                ) from exc
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                reason = "timed out" if isinstance(exc, httpx.TimeoutException) else "dropped the connection"
                if not idempotent:
                    raise ApiUnavailableError(
                        f"hummingbot-api {reason} on {what}; the request may have been carried out: "
                        "check with `uptrade bots list` before trying again"
                    ) from exc
                raise _TransientError(ApiUnavailableError(f"hummingbot-api {reason} on {what}")) from exc
            log.debug("%s -> HTTP %s", what, response.status_code)
            try:
                return self._answer(response, what, secrets)
            except _TransientError as exc:
                if not idempotent:  # a 5xx after the request arrived: never repeated
                    raise exc.error from None
                raise

        def transient(exc: BaseException) -> bool:
            return isinstance(exc, _TransientError)

        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_random_exponential(multiplier=self.backoff, max=10.0),
                retry=retry_if_exception(transient),
                sleep=self._sleep,
                reraise=True,
            ):
                with attempt:
                    return once()
        except _TransientError as exc:
            tries = f" (after {self.attempts} tries)" if self.attempts > 1 else ""
            error = exc.error
            raise type(error)(f"{error}{tries}", status=error.status) from None
        raise HummingbotApiError("unreachable")  # pragma: no cover - Retrying returns or raises

    def _answer(self, response: httpx.Response, what: str, secrets: tuple[str, ...]) -> Any:
        status = response.status_code
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
            if status < 400:
                raise HummingbotApiError(
                    f"hummingbot-api answered {what} with something that is not JSON (HTTP {status})", status=status
                ) from None
        if status == 401:
            raise ApiAuthError(
                f"hummingbot-api at {self.url} refused user {self.username!r} or its password (HTTP 401); "
                "set UPTRADE_HBAPI_USERNAME and UPTRADE_HBAPI_PASSWORD to its USERNAME and PASSWORD",
                status=status,
            )
        if status >= 400:
            reason = _scrub(_reason(body) or response.reason_phrase or "no detail", secrets)
            message = f"hummingbot-api refused {what} (HTTP {status}): {reason}"
            if status >= 500:  # 503: Gateway down
                raise _TransientError(ApiUnavailableError(message, status=status))
            raise HummingbotApiError(message, status=status)
        failure = _failure(body)
        if failure is not None:
            raise HummingbotApiError(f"hummingbot-api: {what} failed: {_scrub(failure, secrets)}", status=status)
        return body

    # ------------------------------------------------------------------ controllers and configs
    def upload_controller(self, controller_type: str, name: str, code: str) -> None:
        """Write ``controllers/<type>/<name>.py`` (overwrites; the API does not import it)."""
        self.request("POST", f"/controllers/{controller_type}/{name}", json={"content": code}, idempotent=True)

    def controller_code(self, controller_type: str, name: str) -> str | None:
        """The source of ``controllers/<type>/<name>.py`` on the instance, None when it has none."""
        try:
            answer = self.request("GET", f"/controllers/{controller_type}/{name}", idempotent=True)
        except HummingbotApiError as exc:
            if exc.status == 404:
                return None
            raise
        return str(answer.get("content", ""))

    def save_controller_config(self, name: str, config: Mapping[str, Any]) -> None:
        """Write ``conf/controllers/<name>.yml`` (overwrites; the API does not validate it)."""
        self.request("POST", f"/controllers/configs/{name}", json=dict(config), idempotent=True)

    def controller_config(self, name: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/controllers/configs/{name}", idempotent=True))

    def validate_controller_config(self, controller_type: str, name: str, config: Mapping[str, Any]) -> None:
        """hummingbot-api's own check: it builds the controller's config class from ``config``."""
        self.request(
            "POST", f"/controllers/{controller_type}/{name}/config/validate", json=dict(config), idempotent=True
        )

    # ------------------------------------------------------------------ images
    def has_image(self, image: str) -> bool:
        """Whether the instance's Docker holds ``image`` (its tag, exactly)."""
        tags = self.request("GET", "/docker/available-images/", params={"image_name": image}, idempotent=True)
        return image in (tags or [])

    def pull_image(self, image: str) -> None:
        """Start pulling ``image`` in the instance's background (asking again while it runs is harmless)."""
        self.request("POST", "/docker/pull-image/", json={"image_name": image}, idempotent=True)

    def pull_status(self, image: str) -> dict[str, Any] | None:
        """The pull of ``image``: ``status`` pulling, completed or failed (with ``error``); None if never started."""
        answer = self.request("GET", "/docker/pull-status/", idempotent=True)
        operations = answer.get("pull_operations") or {}
        return operations.get(image)

    # ------------------------------------------------------------------ bots
    def deploy(
        self,
        instance_name: str,
        controllers: list[str],
        *,
        credentials_profile: str,
        image: str,
        max_global_drawdown_quote: float | None = None,
        max_controller_drawdown_quote: float | None = None,
        headless: bool = True,
    ) -> DeployResult:
        """Start a bot container running ``controllers`` (config names); sent once, never retried.

        A Docker failure comes back as HTTP 200 with ``success: false``: that is a
        :class:`HummingbotApiError` here, like every other failure.
        """
        body: dict[str, Any] = {
            "instance_name": instance_name,
            "credentials_profile": credentials_profile,
            "controllers_config": controllers,
            "image": image,
            "headless": headless,
            "max_global_drawdown_quote": max_global_drawdown_quote,
            "max_controller_drawdown_quote": max_controller_drawdown_quote,
        }
        answer = self.request("POST", "/bot-orchestration/deploy-v2-controllers", json=body, idempotent=False)
        return _model(DeployResult, answer, "deploy-v2-controllers")

    def bots(self) -> dict[str, BotStatus]:
        """Every bot the instance manages, by name."""
        data = self.request("GET", "/bot-orchestration/status", idempotent=True).get("data") or {}
        return {name: _model(BotStatus, {**raw, "name": name}, "status") for name, raw in data.items()}

    def bot(self, name: str) -> BotStatus:
        """One bot's status; ``status == "not_found"`` when the instance has no such bot (HTTP 200 there)."""
        try:
            answer = self.request("GET", f"/bot-orchestration/{name}/status", idempotent=True)
        except HummingbotApiError as exc:
            if exc.status == 404:  # older releases answered 404 "Bot not found"
                return BotStatus(name=name, status="not_found", error=str(exc))
            raise
        return _model(BotStatus, {**(answer.get("data") or {}), "name": name}, "bot status")

    def stop(self, name: str, *, skip_order_cancellation: bool = False) -> None:
        """Ask the bot to stop (its container keeps running); sent once."""
        self.require_bot(name)
        body = {"bot_name": name, "skip_order_cancellation": skip_order_cancellation, "async_backend": False}
        self.request("POST", "/bot-orchestration/stop-bot", json=body, idempotent=False)

    def stop_and_archive(self, name: str, *, skip_order_cancellation: bool = False) -> str:
        """Stop the bot, archive its data and remove its container (in the API's background); its message."""
        self.require_bot(name)
        params = {"skip_order_cancellation": str(skip_order_cancellation).lower(), "archive_locally": "true"}
        answer = self.request(
            "POST", f"/bot-orchestration/stop-and-archive-bot/{name}", params=params, idempotent=False
        )
        return str(answer.get("message", ""))

    def require_bot(self, name: str) -> BotStatus:
        """``name``'s status, or a BotNotFoundError that lists the bots the instance has."""
        status = self.bot(name)
        if not status.found:
            known = ", ".join(sorted(self.bots())) or "none"
            raise BotNotFoundError(f"hummingbot-api has no bot {name!r} (bots: {known})", status=404)
        return status

    def performance_latest(self, bot_name: str | None = None) -> list[PerformanceSnapshot]:
        answer = self.request(
            "GET", "/bot-orchestration/controller-performance-latest", params={"bot_name": bot_name}, idempotent=True
        )
        return [_model(PerformanceSnapshot, row, "controller performance") for row in answer.get("data") or []]

    def performance_history(
        self,
        bot_name: str | None = None,
        *,
        controller_id: str | None = None,
        start: str | None = None,
        end: str | None = None,
        interval: str = "5m",
        page_size: int = 1000,
    ) -> Iterator[PerformanceSnapshot]:
        """Every snapshot in ``[start, end]`` (ISO times), newest first, following the API's cursor."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params = {
                "bot_name": bot_name,
                "controller_id": controller_id,
                "start_time": start,
                "end_time": end,
                "interval": interval,
                "limit": page_size,
                "cursor": cursor,
            }
            answer = self.request(
                "GET", "/bot-orchestration/controller-performance-history", params=params, idempotent=True
            )
            page = _model(
                HistoryPage, {**(answer.get("pagination") or {}), "data": answer.get("data") or []}, "history"
            )
            yield from page.data
            if not page.has_more or not page.next_cursor:
                return
            if page.next_cursor in seen:
                raise HummingbotApiError(f"hummingbot-api sent history cursor {page.next_cursor} twice; stopped")
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    # ------------------------------------------------------------------ accounts and Gateway
    def accounts(self) -> list[str]:
        return list(self.request("GET", "/accounts/", idempotent=True))

    def account_credentials(self, account: str) -> list[str]:
        """The connectors ``account`` has keys for."""
        return list(self.request("GET", f"/accounts/{account}/credentials", idempotent=True))

    def add_account(self, account: str) -> None:
        self.request("POST", "/accounts/add-account", params={"account_name": account}, idempotent=False)

    def connectors(self) -> list[str]:
        """The exchange connectors the instance's Hummingbot knows (Gateway DEXs excluded)."""
        return list(self.request("GET", "/connectors/", idempotent=True))

    def connector_fields(self, connector: str) -> dict[str, dict[str, Any]]:
        """The key fields a connector needs (``{name: {"type": ..., "required": ...}}``)."""
        return dict(self.request("GET", f"/connectors/{connector}/config-map", idempotent=True))

    def bot_controller_configs(self, bot_name: str) -> list[dict[str, Any]]:
        """The controller configs a deployed bot runs (from its instance folder)."""
        return list(self.request("GET", f"/controllers/bots/{bot_name}/configs", idempotent=True))

    def add_credentials(self, account: str, connector: str, credentials: ExchangeCredentials) -> None:
        """Store ``connector``'s keys under ``account`` (the API tries them on the exchange first)."""
        plain = credentials.plain()
        self.request(
            "POST",
            f"/accounts/add-credential/{account}/{connector}",
            json=plain,
            idempotent=False,
            secrets=tuple(plain.values()),
        )

    def gateway_connectors(self) -> list[dict[str, Any]]:
        answer = self.request("GET", "/gateway/connectors", idempotent=True)
        return list(answer.get("connectors", []) if isinstance(answer, dict) else answer)

    def gateway_chains(self) -> list[dict[str, Any]]:
        answer = self.request("GET", "/gateway/chains", idempotent=True)
        return list(answer.get("chains", []) if isinstance(answer, dict) else answer)

    def add_wallet(self, chain: str, private_key: SecretStr, *, set_default: bool = True) -> dict[str, Any]:
        """Give Gateway a wallet by its private key; the answer (its address) never holds the key."""
        key = private_key.get_secret_value()
        body = {"chain": chain, "private_key": key, "set_default": set_default}
        answer = self.request("POST", "/accounts/gateway/add-wallet", json=body, idempotent=False, secrets=(key,))
        return {k: v for k, v in dict(answer).items() if k != "private_key"}

    def swap_quote(
        self, connector: str, network: str, trading_pair: str, side: str, amount: float, slippage_pct: float = 1.0
    ) -> SwapQuote:
        body = {
            "connector": connector,
            "network": network,
            "trading_pair": trading_pair,
            "side": side,
            "amount": amount,
            "slippage_pct": slippage_pct,
        }
        quote = _model(SwapQuote, self.request("POST", "/gateway/swap/quote", json=body, idempotent=True), "quote")
        if quote.price <= 0 or quote.amount_out is None:  # Gateway's refusal comes back as HTTP 200, price 0
            raise HummingbotApiError(
                f"Gateway gave no quote for {side} {amount:g} {trading_pair} on {connector} ({network}): "
                "no route or liquidity, or an unknown token"
            )
        return quote


def _reason(body: Any) -> str | None:
    """The message in an error body: ``detail`` (text or FastAPI's field list), ``message`` or ``error``."""
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, list):
            return "; ".join(_field_error(e) for e in detail)
        for key in ("detail", "message", "error"):
            if body.get(key):
                return str(body[key])
        return None
    if isinstance(body, str):
        return body
    return None


def _field_error(error: Any) -> str:
    """``instance_name: Value error, ...`` of one 422 entry (never its ``input``, which may be a secret)."""
    if not isinstance(error, dict):
        return str(error)
    loc = [str(p) for p in error.get("loc", []) if p != "body"]
    return f"{'.'.join(loc) or 'body'}: {error.get('msg', 'invalid')}"


def _failure(body: Any) -> str | None:
    """Why an HTTP 200 answer is a failure (``success: false``, ``status: "error"``, ``error``), else None."""
    for part in (body, body.get("response") if isinstance(body, dict) else None):
        if not isinstance(part, dict):
            continue
        if part.get("success") is False or part.get("status") in ("error", "failed"):
            return str(part.get("message") or part.get("error") or part.get("detail") or "no reason given")
        if part.get("error") and part.get("status") not in ("success", "not_found"):
            return str(part["error"])
    return None


#: A secret's fragments this long are scrubbed too (Gateway quotes the first characters of a bad key).
_FRAGMENT = 5


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every word holding a secret, or a fragment of one, replaced by ``***``."""
    for secret in secrets:
        if not secret or len(secret) < _FRAGMENT:
            continue
        pieces = {secret[i : i + _FRAGMENT] for i in range(len(secret) - _FRAGMENT + 1)}
        words = text.split(" ")
        text = " ".join("***" if any(p in w for p in pieces) else w for w in words)
    return text


def _model(cls: Any, data: Any, what: str) -> Any:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HummingbotApiError(f"hummingbot-api sent an unexpected {what} answer: {where}: {first['msg']}") from None


__all__ = ["UNPINNED", "HummingbotApi"]
