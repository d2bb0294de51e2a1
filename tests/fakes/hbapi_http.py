"""The HTTP plumbing of the fake hummingbot-api: routes, FastAPI-shaped errors, scripted faults.

FastAPI answers a request in a fixed order, and the fake keeps it: the route is matched first
(``404 {"detail":"Not Found"}`` / ``405 {"detail":"Method Not Allowed"}``), then a JSON body is
decoded (``422 json_invalid`` even without credentials), then HTTP Basic auth runs, then path,
query and body values are validated together and every error is reported at once as
``422 {"detail": [pydantic error, ...]}`` with ``loc`` starting ``path``/``query``/``body``.

hummingbot-api's own 422 handler serialises ``exc.errors()`` without FastAPI's encoder, so an
error that carries a Python object (a ``field_validator`` raising ``ValueError``, or the raw
bytes of a non-JSON body) makes the handler itself fail: the client gets ``500`` with the text
``Internal Server Error``. :meth:`Params.check` reproduces exactly that.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, TypeAdapter, ValidationError

#: What a handler hands back: a status and a JSON document, or a ready response.
Reply = tuple[int, Any] | web.StreamResponse


class ApiError(Exception):
    """An ``HTTPException``: answered as ``{"detail": detail}`` with ``status``."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {detail}")  # str() reads like starlette's HTTPException
        self.status, self.detail, self.headers = status, detail, headers


class ServerError(Exception):
    """An exception the real app does not handle (answered 500 ``Internal Server Error``)."""


class Invalid(Exception):  # noqa: N818 - named after what FastAPI raises, RequestValidationError
    """A request validation failure carrying pydantic-style error dicts."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("request validation failed")
        self.errors = errors


def dumps(doc: Any) -> str:
    """JSON the way Starlette's ``JSONResponse`` renders it (compact, UTF-8, no NaN)."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def json_reply(status: int, doc: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=dumps(doc), content_type="application/json", headers=headers)


def internal_error() -> web.Response:
    """Starlette's answer to an exception nothing handled."""
    return web.Response(status=500, text="Internal Server Error", content_type="text/plain")


def validation_reply(errors: list[dict[str, Any]]) -> web.Response:
    try:
        return json_reply(422, {"detail": errors})
    except (TypeError, ValueError):  # what the real 422 handler trips over (see module docstring)
        return internal_error()


def _listify(errors: list[Any], prefix: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        item = dict(err)
        item["loc"] = [*prefix, *err["loc"]]
        out.append(item)
    return out


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any, constraints: dict[str, Any]) -> TypeAdapter[Any]:
    key = (tp, tuple(sorted(constraints.items())))
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(Annotated[tp, Field(**constraints)] if constraints else tp)
    return _ADAPTERS[key]


_MISSING = object()


@dataclass
class Req:
    """One request as the handlers see it."""

    method: str
    path: str
    params: dict[str, str]
    query: Any  # multidict of the query string
    body: Any = None  # decoded JSON, raw bytes (non-JSON content type) or None (no body)
    user: str = ""


class Params:
    """Collects path, query and body validation like FastAPI, then :meth:`check` raises them together."""

    def __init__(self, req: Req) -> None:
        self.req = req
        self.errors: list[dict[str, Any]] = []

    def _run(self, loc: tuple[str, ...], tp: Any, value: Any, constraints: dict[str, Any]) -> Any:
        try:
            return _adapter(tp, constraints).validate_python(value)
        except ValidationError as exc:
            self.errors.extend(_listify(exc.errors(include_url=False), loc))
            return None

    def path(self, name: str, tp: Any = str) -> Any:
        return self._run(("path", name), tp, self.req.params[name], {})

    def query(self, name: str, tp: Any = str, default: Any = _MISSING, **constraints: Any) -> Any:
        if name not in self.req.query:
            if default is _MISSING:
                self.errors.append({"type": "missing", "loc": ["query", name], "msg": "Field required", "input": None})
            return None if default is _MISSING else default
        return self._run(("query", name), tp, self.req.query.getall(name)[-1], constraints)  # the last one wins

    def body(self, tp: Any) -> Any:
        """The body as ``tp`` (a pydantic model, ``dict``...); errors are located under ``body``."""
        if self.req.body is None:
            self.errors.append({"type": "missing", "loc": ["body"], "msg": "Field required", "input": None})
            return None
        return self._run(("body",), tp, self.req.body, {})

    def check(self) -> None:
        if self.errors:
            raise Invalid(self.errors)


@dataclass
class Route:
    """``/controllers/{controller_type}/{controller_name}``; ``{name:path}`` also spans slashes."""

    method: str
    pattern: str
    handler: Callable[[Any, Req], Reply]
    auth: bool = True
    has_body: bool = False
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        def part(m: re.Match[str]) -> str:
            name, conv = m.group(1), m.group(2)
            return f"(?P<{name}>.*)" if conv == "path" else f"(?P<{name}>[^/]+)"

        self.regex = re.compile("^" + re.sub(r"\{(\w+)(?::(\w+))?\}", part, self.pattern) + "$")


def match(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The first route matching path and method; else whether some route matched the path only."""
    path_only = False
    for route in routes:
        m = route.regex.match(path)
        if m is None:
            continue
        if route.method == method:
            return route, m.groupdict(), False
        path_only = True
    return None, {}, path_only


async def read_body(request: web.Request) -> Any:
    """The body FastAPI would validate: JSON for a JSON (or absent) content type, else the bytes."""
    raw = await request.read()
    if not raw:
        return None
    ctype = request.headers.get("Content-Type")
    if ctype is not None:
        main, _, sub = ctype.split(";")[0].strip().lower().partition("/")
        if main != "application" or not (sub == "json" or sub.endswith("+json")):
            return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Invalid(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", exc.pos],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from None
    except UnicodeDecodeError as exc:
        raise Invalid(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", 0],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(exc)},
                }
            ]
        ) from None


@dataclass
class ScriptedFaults:
    """Faults served in order, one per request, before the request is routed.

    Entries: ``"server_error"`` (500 ``{"detail": detail}``), ``"slow"`` (the answer waits until
    :attr:`release` is set, at most :attr:`slow_seconds`), ``"dropped"`` (the connection closes
    without an answer) or ``None`` (a clean answer, to fail the second call rather than the
    first). An entry may be a pair ``(fault, path_prefix)``: only requests whose path starts with
    the prefix consume it, the others pass untouched.
    """

    script: list[str | tuple[str | None, str] | None] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    slow_seconds: float = 600.0
    detail: str = "Internal Server Error"
    #: How many of each fault were served.
    served: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def add(self, fault: str | None, prefix: str = "", times: int = 1) -> None:
        with self._lock:
            self.script.extend([(fault, prefix)] * times)

    def pick(self, path: str) -> str | None:
        with self._lock:
            for i, entry in enumerate(self.script):
                fault, prefix = entry if isinstance(entry, tuple) else (entry, "")
                if path.startswith(prefix):
                    del self.script[i]
                    if fault is not None:
                        self.served[fault] += 1
                    return fault
            return None

    async def hold(self) -> None:
        """Wait for :attr:`release` (cancellable: a client that gives up ends the wait)."""
        deadline = time.monotonic() + self.slow_seconds
        while not self.release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
