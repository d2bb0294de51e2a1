"""A Polygon.io aggregates v2 server: ``/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}``.

As documented: ``from``/``to`` are ``YYYY-MM-DD`` or Unix milliseconds (both ends inclusive);
``sort`` asc|desc; ``limit`` default 5000, max 50000; results ``{t,o,h,l,c,v,vw,n}`` with ``t``
the window start in ms; ``next_url`` (carrying a ``cursor``) when more bars remain; the API key
as ``apiKey`` query parameter or ``Authorization: Bearer``; errors as ``{"status", "request_id",
"error"|"message"}`` with 400, 401, 403, 404, 429 (with Retry-After) and 5xx.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs

from aiohttp import web

from tests.fakes.market import FakeClock, Faults, Market
from tests.fakes.server import ServerProcess, ServerThread

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MAX_LIMIT = 50_000


def _error(status: int, body: dict, headers: dict | None = None) -> web.Response:
    body = {"request_id": uuid.uuid4().hex, **body}
    return web.json_response(body, status=status, headers=headers)


def _parse_edge(value: str, is_end: bool) -> int | None:
    """Milliseconds of a from/to path segment (a date covers its whole day)."""
    if value.isdigit():
        return int(value)
    try:
        day = int(__import__("pandas").Timestamp(value, tz="UTC").value // 1_000_000)
    except ValueError:
        return None
    return day + 86_400_000 - 1 if is_end else day


class FakePolygon:
    """The server; ``requests`` counts requests by outcome, ``faults`` can be changed at any time."""

    def __init__(
        self,
        market: Market,
        clock: FakeClock,
        *,
        api_key: str = "test-key",
        entitled: bool = True,
        faults: Faults | None = None,
        max_page: int = MAX_LIMIT,
        broken: set[str] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.market, self.clock, self.api_key, self.entitled = market, clock, api_key, entitled
        self.faults = faults or Faults()
        self.max_page = max_page
        #: Tickers that always get a 500 (a feed that keeps failing).
        self.broken = set(broken or ())
        #: Seconds added to every aggregates reply (a distant server).
        self.latency = latency
        self.requests: Counter[str] = Counter()
        #: Client connections seen (address, port): how many a pool opened.
        self.peers: set[tuple[str, int]] = set()
        self.base_url = ""
        self.app = web.Application()
        self.app.router.add_get(r"/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{frm}/{to}", self.aggs)

    def _auth(self, request: web.Request) -> web.Response | None:
        key = request.query.get("apiKey")
        header = request.headers.get("Authorization", "")
        if key is None and header.startswith("Bearer "):
            key = header[len("Bearer ") :]
        if not key:
            return _error(401, {"status": "ERROR", "error": "API Key was not provided"})
        if key != self.api_key:
            return _error(401, {"status": "ERROR", "error": "Unknown API Key"})
        if not self.entitled:
            return _error(
                403,
                {
                    "status": "NOT_AUTHORIZED",
                    "message": "You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing",
                },
            )
        return None

    async def aggs(self, request: web.Request) -> web.StreamResponse:  # noqa: PLR0911
        self.requests["total"] += 1
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername")[:2])
        denied = self._auth(request)
        if denied is not None:
            self.requests["denied"] += 1
            return denied
        m = request.match_info
        ticker, span = m["ticker"], m["timespan"]
        if self.latency:
            await asyncio.sleep(self.latency)
        if ticker in self.broken:
            self.requests["broken"] += 1
            return _error(500, {"status": "ERROR", "error": "Internal server error"})
        if span not in UNITS or not m["multiplier"].isdigit() or int(m["multiplier"]) < 1:
            return _error(400, {"status": "ERROR", "error": f"Invalid timespan/multiplier: {m['multiplier']}/{span}"})
        seconds = int(m["multiplier"]) * UNITS[span]
        lo, hi = _parse_edge(m["frm"], False), _parse_edge(m["to"], True)
        if lo is None or hi is None:
            return _error(
                400,
                {
                    "status": "ERROR",
                    "error": "Could not parse the time parameter. Use YYYY-MM-DD or Unix MS Timestamps",
                },
            )
        query = dict(request.query)
        if "cursor" in query:  # the cursor carries limit and sort of the first request
            state = parse_qs(base64.urlsafe_b64decode(query["cursor"] + "==").decode())
            query.update({k: v[0] for k, v in state.items()})
        try:
            limit = min(int(query.get("limit", 5000)), self.max_page)
        except ValueError:
            return _error(400, {"status": "ERROR", "error": "limit must be an integer"})
        if limit < 1:
            return _error(400, {"status": "ERROR", "error": "limit must be positive"})
        sort = query.get("sort", "asc")
        series = self.market.series.get(ticker)
        t = o = h = low = c = v = vw = n = []
        if series is not None and seconds % series.base == 0:
            t, o, h, low, c, v, vw, n = series.window_lists(seconds, -(-lo // 1000), hi // 1000, self.clock.now())
        if sort == "desc":
            t, o, h, low, c, v, vw, n = (a[::-1] for a in (t, o, h, low, c, v, vw, n))
        more = len(t) > limit
        page = slice(0, limit)
        results = [
            {
                "v": float(v_),
                "vw": float(w_),
                "o": float(o_),
                "c": float(c_),
                "h": float(h_),
                "l": float(l_),
                "t": int(t_) * 1000,
                "n": int(n_),
            }
            for t_, o_, h_, l_, c_, v_, w_, n_ in zip(
                t[page], o[page], h[page], low[page], c[page], v[page], vw[page], n[page], strict=True
            )
        ]
        body: dict = {
            "ticker": ticker,
            "queryCount": len(results),
            "resultsCount": len(results),
            "adjusted": True,
            "status": "OK",
            "request_id": uuid.uuid4().hex,
        }
        if results:
            body["results"] = results
        if more:
            cursor = base64.urlsafe_b64encode(f"limit={limit}&sort={sort}".encode()).decode().rstrip("=")
            if sort == "asc":
                nxt_lo, nxt_hi = (int(t[limit]) * 1000, hi)
            else:
                nxt_lo, nxt_hi = (lo, int(t[limit]) * 1000)
            body["next_url"] = (
                f"{self.base_url}/v2/aggs/ticker/{ticker}/range/{m['multiplier']}/{span}/{nxt_lo}/{nxt_hi}?cursor={cursor}"
            )
        return await self._deliver(request, body, paginated=more and "cursor" in request.query)

    async def _deliver(self, request: web.Request, body: dict, paginated: bool) -> web.StreamResponse:
        fault = self.faults.pick(paginated)
        if fault is not None:
            self.requests[fault] += 1
        if fault == "rate_limit":
            return _error(
                429,
                {
                    "status": "ERROR",
                    "error": "You've exceeded the maximum requests per minute, please wait or upgrade.",
                },
                headers={"Retry-After": self.faults.retry_after},
            )
        if fault == "server_error":
            status = self.faults.status()
            if status == 502:
                return web.Response(
                    status=502, text="<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"
                )
            return _error(status, {"status": "ERROR", "error": "Internal server error"})
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
        if fault == "loop":
            body["next_url"] = f"{self.base_url}{request.raw_path}"
        text = json.dumps(body)
        if fault == "truncated":
            return web.Response(text=text[: max(1, len(text) // 2)], content_type="application/json")
        if fault == "dropped":
            data = text.encode()
            resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            resp.content_length = len(data)
            await resp.prepare(request)
            await resp.write(data[: len(data) // 2])
            request.transport.close()  # type: ignore[union-attr]
            return resp
        self.requests["ok"] += 1
        return web.Response(text=text, content_type="application/json")


@contextmanager
def serve_polygon(
    market: Market, clock: FakeClock, *, process: bool = False, **kwargs: object
) -> Iterator[FakePolygon]:
    """A running :class:`FakePolygon` (``fake.base_url`` is its address); ``process``: in a forked process."""
    fake = FakePolygon(market, clock, **kwargs)  # type: ignore[arg-type]
    server = ServerProcess(fake.app) if process else ServerThread(fake.app)
    fake.base_url = server.start()
    try:
        yield fake
    finally:
        server.stop()
