"""Polygon.io aggregates through the official ``massive`` client (the renamed Polygon client).

``massive.RESTClient`` is synchronous: each window of bars is fetched on a daemon thread. The
client paginates by ``next_url`` itself; we configure the rest of its behaviour through the hooks
it offers rather than re-implementing HTTP:

* ``connection_pool_kw={"retries": Retry(...)}``: urllib3 retries 429/5xx, connection errors and
  read timeouts a bounded number of times, honouring ``Retry-After`` (capped) and otherwise
  backing off exponentially with jitter.
* ``custom_json``: the client swallows undecodable pages (it logs and returns what it has, which
  would silently truncate a backfill). Our decoder raises instead, so a malformed or truncated
  page is retried and then reported; it also sees every ``next_url`` and stops a pagination loop.

Live polls (windows of at most :data:`~uptrade.data.sources.polygon_live.LIVE_BARS` bars) first
try one request on the event loop through libcurl (:mod:`uptrade.data.sources.polygon_live`
says why and measures it); any reply that is not clean goes to the official client as above.

The client reports non-retryable statuses as ``BadResponse`` carrying only the body; Polygon's
documented error bodies (``status: NOT_AUTHORIZED``, "Unknown API Key", ...) tell a refused key
from other client errors, which fail fast either way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from uptrade.data.frames import OHLCVBatch
from uptrade.data.sources.base import BaseSource, Clock, RetryPolicy, rows_to_batch, run_blocking, with_retries
from uptrade.data.sources.polygon_live import HAVE_EPOLL, LIVE_BARS, LiveAggs
from uptrade.data.symbols import to_polygon
from uptrade.data.timeframes import TIMEFRAMES, Timeframe
from uptrade.data.times import TimeLike
from uptrade.errors import (
    PaginationLoopError,
    SourceAuthError,
    SourceError,
    SourceUnavailableError,
    TimeframeError,
)

log = logging.getLogger(__name__)

#: Largest page Polygon serves (``limit`` max).
MAX_LIMIT = 50_000
#: Statuses urllib3 retries; Retry-After is honoured on 413, 429 and 503.
RETRY_STATUSES = (413, 429, 499, 500, 502, 503, 504)
_TIMESPANS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
_AUTH_WORDS = re.compile(r"api ?key|not authori[sz]ed|unauthori[sz]ed|not entitled|forbidden", re.IGNORECASE)


class MalformedPageError(Exception):
    """A page that is not the JSON object Polygon documents (deliberately not a ValueError).

    The client catches ``ValueError`` from its decoder and ends the iteration early; this
    exception passes through it so the window can be retried.
    """


class _Watch:
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.pages = 0


class _StrictJSON:
    """The ``custom_json`` module given to the client: strict decoding plus next_url loop detection."""

    def __init__(self) -> None:
        self._local = threading.local()

    def begin(self) -> _Watch:
        watch = _Watch()
        self._local.watch = watch
        return watch

    def loads(self, text: str | bytes) -> Any:
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise MalformedPageError(f"undecodable page ({exc}); {len(text)} bytes received") from None
        if not isinstance(obj, dict):
            raise MalformedPageError(f"expected a JSON object, got {type(obj).__name__}")
        results = obj.get("results")
        if results is not None and not isinstance(results, list):
            raise MalformedPageError("'results' is not a list")
        watch: _Watch | None = getattr(self._local, "watch", None)
        if watch is not None:
            watch.pages += 1
            nxt = obj.get("next_url")
            if nxt:
                if nxt in watch.seen:
                    raise PaginationLoopError(f"Polygon sent the same next_url twice after {watch.pages} pages: {nxt}")
                watch.seen.add(nxt)
        return obj

    def dumps(self, obj: Any) -> str:
        return json.dumps(obj)


def polygon_timeframes() -> list[str]:
    """The UpTrade timeframes :func:`polygon_timespan` can express (all but weeks)."""
    out = []
    for tf in TIMEFRAMES:
        try:
            polygon_timespan(tf)
        except TimeframeError:
            continue
        out.append(tf.name)
    return out


def polygon_timespan(tf: Timeframe) -> tuple[int, str]:
    """``(multiplier, timespan)`` of a timeframe; weeks are refused (Polygon weeks start on Sunday)."""
    if tf.seconds % 604_800 == 0:
        raise TimeframeError(
            f"{tf}: Polygon weeks start on Sunday, UpTrade weeks on Monday; store 1d and read {tf} (aggregated)"
        )
    for span, seconds in _TIMESPANS:
        if tf.seconds % seconds == 0:
            return tf.seconds // seconds, span
    raise TimeframeError(f"{tf} cannot be expressed as a Polygon timespan")  # pragma: no cover


class PolygonSource(BaseSource):
    """Closed crypto candles (``X:BTCUSD``) from Polygon aggregates v2, vwap and trade count included."""

    name = "polygon"

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        limit: int = MAX_LIMIT,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        max_in_flight: int = 8,
        live: bool = True,
    ) -> None:
        super().__init__(clock)
        if not api_key:
            raise SourceAuthError("api_key: Polygon needs an API key (UPTRADE_POLYGON_API_KEY)", param="api_key")
        if not 1 <= limit <= MAX_LIMIT:
            raise SourceError(f"limit must be in 1..{MAX_LIMIT}, got {limit}")
        from massive import RESTClient
        from urllib3.util.retry import Retry

        self.retry = retry or RetryPolicy()
        self.limit = limit
        self._json = _StrictJSON()
        self.max_in_flight = max_in_flight
        self._slots: asyncio.Semaphore | None = None
        http_retry = Retry(
            total=self.retry.attempts - 1,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=("GET",),
            backoff_factor=self.retry.backoff,
            backoff_jitter=self.retry.backoff,
            backoff_max=self.retry.max_backoff,
            retry_after_max=int(self.retry.max_backoff),
            respect_retry_after_header=True,
            raise_on_status=True,
        )
        extra = {} if not base_url else {"base": base_url.rstrip("/")}
        self.client = RESTClient(
            api_key=api_key,
            connect_timeout=self.retry.timeout,
            read_timeout=self.retry.timeout,
            custom_json=self._json,
            maxsize=max_in_flight,
            connection_pool_kw={"retries": http_retry},
            **extra,
        )
        self.base_url = self.client.BASE
        #: The live path for small windows (None: every window through the official client).
        self.live = (
            LiveAggs(
                self.base_url,
                api_key,
                timeout=self.retry.timeout,
                max_in_flight=max_in_flight,
                limit=limit,
                rejected=_classify_bad_response,
                retry_statuses=RETRY_STATUSES,
            )
            if live and HAVE_EPOLL
            else None
        )

    async def pages(
        self, symbol: str, timeframe: str | Timeframe, start: TimeLike, end: TimeLike = None
    ) -> AsyncIterator[OHLCVBatch]:
        tf, first, last = self.window(timeframe, start, end)
        mult, span = polygon_timespan(tf)
        ticker = to_polygon(symbol)
        lo = first
        while lo <= last:
            hi = min(last, lo + (self.limit - 1) * tf.seconds)
            columns = None
            if self.live is not None and hi - lo < LIVE_BARS * tf.seconds:
                columns = await self.live.window(ticker, mult, span, lo, hi)
            if columns is None:
                columns = await self._window_with_retries(ticker, mult, span, lo, hi)
            batch = rows_to_batch(columns.pop("time"), columns, tf, lo, hi, f"polygon {ticker} {tf}")
            if len(batch):
                yield batch
            lo = hi + tf.seconds

    async def _window_with_retries(self, ticker: str, mult: int, span: str, lo: int, hi: int) -> dict[str, Any]:
        what = f"{ticker} {mult} {span} bars {lo}..{hi}"
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_in_flight)

        async def one_try() -> dict[str, Any]:
            assert self._slots is not None
            async with self._slots:  # one pooled connection per request in flight
                return await run_blocking(self._fetch_window, ticker, mult, span, lo, hi)

        try:
            return await with_retries(
                one_try,
                self.retry,
                lambda exc: isinstance(exc, MalformedPageError),
            )
        except MalformedPageError as exc:
            raise SourceUnavailableError(f"Polygon {what}: {exc} (after {self.retry.attempts} attempts)") from exc

    def _fetch_window(self, ticker: str, mult: int, span: str, lo: int, hi: int) -> dict[str, Any]:
        """Blocking: every bar of one window, following next_url pages (runs on a worker thread)."""
        from massive.exceptions import AuthError, BadResponse
        from urllib3.exceptions import HTTPError

        self._json.begin()
        t: list[int] = []
        o: list[float] = []
        h: list[float] = []
        low: list[float] = []
        c: list[float] = []
        v: list[float] = []
        vw: list[float] = []
        n: list[float] = []
        nan = float("nan")
        try:
            for agg in self.client.list_aggs(ticker, mult, span, lo * 1000, hi * 1000, sort="asc", limit=self.limit):
                if agg.timestamp is None:
                    raise MalformedPageError("a bar without 't'")
                t.append(agg.timestamp // 1000)
                o.append(nan if agg.open is None else agg.open)
                h.append(nan if agg.high is None else agg.high)
                low.append(nan if agg.low is None else agg.low)
                c.append(nan if agg.close is None else agg.close)
                v.append(nan if agg.volume is None else agg.volume)
                vw.append(nan if agg.vwap is None else agg.vwap)
                n.append(nan if agg.transactions is None else agg.transactions)
        except AuthError as exc:
            raise SourceAuthError(f"Polygon: {exc}") from None
        except BadResponse as exc:
            raise _classify_bad_response(str(exc), ticker) from None
        except HTTPError as exc:
            raise SourceUnavailableError(f"Polygon {ticker}: {_http_reason(exc)}") from None
        return {
            "time": np.asarray(t, dtype="int64"),
            "open": o,
            "high": h,
            "low": low,
            "close": c,
            "volume": v,
            "vwap": vw,
            "trade_count": n,
        }

    def timeframes(self) -> list[str]:
        """The UpTrade timeframes Polygon serves (its minute/hour/day spans; weeks are refused)."""
        return polygon_timeframes()

    async def aclose(self) -> None:
        self.client.client.clear()
        if self.live is not None:
            await self.live.aclose()


def _classify_bad_response(body: str, ticker: str) -> SourceError:
    """A Polygon error body as our exception: refused key -> SourceAuthError, else SourceError."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    message = str(payload.get("error") or payload.get("message") or body.strip()[:300] or "empty reply")
    if payload.get("status") == "NOT_AUTHORIZED" or _AUTH_WORDS.search(message):
        return SourceAuthError(f"Polygon refused the request for {ticker}: {message} (check UPTRADE_POLYGON_API_KEY)")
    return SourceError(f"Polygon rejected the request for {ticker}: {message}")


def _http_reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}: {reason or exc}"
