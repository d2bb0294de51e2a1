"""The live poll of Polygon aggregates v2 over libcurl (pycurl) on the event loop: one request, no thread.

Why not the official client here: ``massive.RESTClient`` is synchronous (urllib3), so every
request is handed to a worker thread and back, and urllib3 alone spends about 0.12 ms of CPU
per request over what the same keep-alive request costs through ``http.client``. A live poll
asks for one or two bars, so this overhead *is* the cost of polling.

Why libcurl and not aiohttp: counted with ``valgrind --tool=callgrind`` (instructions are
repeatable on a noisy host; ``benchmarks/bench_live_request.py``), one keep-alive request of one
bar against the fake server, with its JSON decoded, costs about 436,000 instructions through an
aiohttp session, 956,000 through tornado's libcurl client and about 250,000 through libcurl's
multi interface driven as below; a bare asyncio protocol writing a fixed request and cutting the
reply by ``Content-Length`` costs 107,000.

:class:`CurlPool` is the glue between libcurl's multi-socket interface and asyncio, which no
maintained library offers at that cost: libcurl says which sockets to watch and when to call it
back (``M_SOCKETFUNCTION``, ``M_TIMERFUNCTION``), an epoll of the pool's own watches them as
one reader of the event loop, and finished transfers resolve futures. libcurl does all of HTTP
(keep-alive pool, asynchronous DNS, TLS with certifi's CA bundle, connect and stall timeouts);
nothing here parses or writes a byte of the protocol.

This path handles only the clean case of a small window and hands everything else to the
official client, which keeps doing all the protocol's hard parts:

* a 200 whose body is a JSON object with ``results`` a list of bars, each with ``t``, and no
  ``next_url``: the bars, decoded exactly as the official client does (missing fields are NaN);
* a non-retryable status (401/403/404/400...): the same error the official path raises (a
  refused key is a :class:`SourceAuthError`), after the same single request;
* anything else (429 or 5xx, a timeout, a dropped connection, an undecodable or malformed
  body, a ``next_url`` to follow): ``None``, and the window is fetched again through the
  official client with its full retry policy. A window whose live try failed so costs at most
  one request more than the policy's ``attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import select
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import numpy as np

from uptrade.errors import SourceError

#: Windows of at most this many bars are polled through the live path (a live poll asks for 1 or 2).
LIVE_BARS = 8
#: The live path needs ``select.epoll`` (Linux); without it the official client fetches every window.
HAVE_EPOLL = hasattr(select, "epoll")
_NAN = math.nan


class CurlPool:
    """libcurl's multi interface on one asyncio loop: GET requests over a keep-alive pool, as futures.

    A future gets ``(status, body)``, or ``None`` when the transfer failed (refused, dropped,
    timed out): libcurl's error is not needed, as the caller then asks the official client.

    libcurl's sockets are watched by an epoll of the pool's own, which the event loop watches as
    one reader. Registering each socket with the loop cost an epoll registration and asyncio's
    bookkeeping twice per request (libcurl drops a socket after each transfer and asks for it
    again with the next one); here a kept-alive connection's socket stays registered between
    transfers and each request costs one epoll call. The kernel drops a closed socket from the
    epoll by itself, and the pool's own set is invisible to the rest of the loop, so a socket
    number libcurl closed and the system reused cannot confuse anyone: re-watching a number
    re-registers it when the epoll no longer has it. An idle socket that turns readable (the
    server closed it) is dropped from the epoll until libcurl uses it again. Linux only
    (``select.epoll``): elsewhere :class:`PolygonSource` has no live path and the official client
    fetches every window.
    """

    def __init__(self, headers: list[str], *, timeout: float, max_in_flight: int) -> None:
        import certifi
        import pycurl

        self._pycurl = pycurl
        self._loop = asyncio.get_running_loop()
        self._headers = headers
        self._timeout_ms = max(1, round(timeout * 1000))
        self._stall_s = max(1, math.ceil(timeout))
        self._cainfo = certifi.where()
        self._epoll = select.epoll()
        self._multi = multi = pycurl.CurlMulti()
        multi.setopt(pycurl.M_SOCKETFUNCTION, self._watch)
        multi.setopt(pycurl.M_TIMERFUNCTION, self._set_timer)
        multi.setopt(pycurl.M_MAX_TOTAL_CONNECTIONS, max_in_flight)  # a bound: more transfers wait in get()
        multi.setopt(pycurl.M_MAXCONNECTS, max_in_flight)  # idle connections kept for the next polls
        self._wanted: dict[int, int] = {}  # fd -> the epoll events libcurl wants now
        self._timer: asyncio.Handle | None = None  # a plain Handle: a call at the loop's next turn
        # easy handles to reuse (they keep their options): at most one per feed, as a feed has one poll in flight
        self._idle: list[Any] = []
        self._running: dict[Any, tuple[asyncio.Future[tuple[int, bytes] | None], list[bytes]]] = {}
        self._max_in_flight = max_in_flight
        self._waiting: deque[tuple[str, asyncio.Future[tuple[int, bytes] | None]]] = deque()
        self._closed = False
        #: libcurl's poll events as epoll events
        self._events = {
            pycurl.POLL_IN: select.EPOLLIN,
            pycurl.POLL_OUT: select.EPOLLOUT,
            pycurl.POLL_INOUT: select.EPOLLIN | select.EPOLLOUT,
        }
        self._loop.add_reader(self._epoll.fileno(), self._ready)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def closed(self) -> bool:
        return self._closed

    def get(self, url: str) -> asyncio.Future[tuple[int, bytes] | None]:
        """Start a GET of ``url`` (already encoded); the future resolves when it is done.

        At most ``max_in_flight`` transfers run at once; the rest wait here, in order. libcurl
        could queue them itself, but its queue costs about a fifth more instructions per
        request when a hundred feeds poll at the same instant (``bench_live_request.py``).
        """
        future: asyncio.Future[tuple[int, bytes] | None] = self._loop.create_future()
        if len(self._running) < self._max_in_flight:
            self._start(url, future)
        else:
            self._waiting.append((url, future))
        return future

    def _start(self, url: str, future: asyncio.Future[tuple[int, bytes] | None]) -> None:
        pycurl = self._pycurl
        curl = self._idle.pop() if self._idle else self._new_handle()
        chunks: list[bytes] = []
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.WRITEFUNCTION, chunks.append)
        self._running[curl] = (future, chunks)
        try:
            self._multi.add_handle(curl)
        except pycurl.error:  # libcurl refused the transfer: the official client takes the window
            del self._running[curl]
            self._idle.append(curl)
            future.set_result(None)

    def _new_handle(self) -> Any:
        pycurl = self._pycurl
        curl = pycurl.Curl()
        curl.setopt(pycurl.HTTPHEADER, self._headers)
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, self._timeout_ms)
        # as the official client's read timeout: a reply that stalls this long fails (libcurl counts whole seconds)
        curl.setopt(pycurl.LOW_SPEED_LIMIT, 1)
        curl.setopt(pycurl.LOW_SPEED_TIME, self._stall_s)
        curl.setopt(pycurl.CAINFO, self._cainfo)
        curl.setopt(pycurl.PROXY, "")  # as the official client: no proxy from the environment
        return curl

    # libcurl -> epoll
    def _watch(self, event: int, fd: int, multi: Any, data: Any) -> None:
        if self._closed:
            return
        if event == self._pycurl.POLL_REMOVE:
            # a socket watched for reading stays registered; for writing it would be ready at once
            if self._wanted.pop(fd, 0) & select.EPOLLOUT:
                self._forget(fd)
            return
        events = self._events.get(event, 0)
        self._wanted[fd] = events
        try:
            self._epoll.modify(fd, events)
        except FileNotFoundError:  # new to this epoll, or closed and its number reused since
            self._epoll.register(fd, events)

    def _forget(self, fd: int) -> None:
        with contextlib.suppress(OSError):  # closed meanwhile: the kernel dropped it already
            self._epoll.unregister(fd)

    def _set_timer(self, ms: int) -> None:
        """libcurl's one timer: call it back in ``ms`` (0: at the loop's next turn; -1: never)."""
        timer = self._timer
        if self._closed or (ms == 0 and timer is not None and not isinstance(timer, asyncio.TimerHandle)):
            return  # a call at the next turn is already due: libcurl asked for it once per new transfer
        if timer is not None:
            timer.cancel()
            self._timer = None
        if ms == 0:
            self._timer = self._loop.call_soon(self._on_timer)
        elif ms > 0:
            self._timer = self._loop.call_later(ms / 1000, self._on_timer)

    # event loop -> libcurl
    def _on_timer(self) -> None:
        self._timer = None
        self._act(((self._pycurl.SOCKET_TIMEOUT, 0),))

    def _ready(self) -> None:
        """The epoll has events: hand each socket's to libcurl; an idle socket that woke is dropped.

        An idle socket wakes when the server closed it (or reset it: an error is reported
        even for a socket watched for nothing, so only dropping it keeps it quiet).
        """
        pycurl, wanted = self._pycurl, self._wanted
        actions = []
        for fd, events in self._epoll.poll(0):
            want = wanted.get(fd, 0)
            if not want:
                self._forget(fd)
                continue
            mask = 0
            if events & want & select.EPOLLIN:
                mask |= pycurl.CSELECT_IN
            if events & want & select.EPOLLOUT:
                mask |= pycurl.CSELECT_OUT
            if events & (select.EPOLLERR | select.EPOLLHUP):
                mask |= pycurl.CSELECT_ERR
            if mask:
                actions.append((fd, mask))
        if actions:
            self._act(actions)

    def _act(self, actions: Iterable[tuple[int, int]]) -> None:
        if self._closed:
            return
        pycurl, multi = self._pycurl, self._multi
        for fd, mask in actions:
            while multi.socket_action(fd, mask)[0] == pycurl.E_CALL_MULTI_PERFORM:
                pass
        while True:
            queued, done, failed = multi.info_read()
            for curl in done:
                self._finish(curl, (curl.getinfo(pycurl.RESPONSE_CODE), b"".join(self._running[curl][1])))
            for curl, _errno, _message in failed:
                self._finish(curl, None)
            if not queued:
                break

    def _finish(self, curl: Any, outcome: tuple[int, bytes] | None) -> None:
        self._multi.remove_handle(curl)
        future, _ = self._running.pop(curl)
        self._idle.append(curl)
        if not future.done():  # a cancelled caller's transfer is simply dropped
            future.set_result(outcome)
        waiting = self._waiting
        while waiting and len(self._running) < self._max_in_flight:
            url, queued = waiting.popleft()
            if not queued.done():  # not cancelled while it waited
                self._start(url, queued)

    def close(self) -> None:
        """Cancel what is in flight, stop watching, close every connection."""
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        for curl, (future, _) in self._running.items():
            self._multi.remove_handle(curl)
            future.cancel()
            curl.close()
        self._running.clear()
        for _, queued in self._waiting:
            queued.cancel()
        self._waiting.clear()
        if not self._loop.is_closed():
            self._loop.remove_reader(self._epoll.fileno())
        self._epoll.close()
        self._wanted.clear()
        for curl in self._idle:
            curl.close()
        self._idle.clear()
        self._multi.close()


class LiveAggs:
    """A :class:`CurlPool` per event loop, asking Polygon's aggregates endpoint for small windows."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        max_in_flight: int,
        limit: int,
        rejected: Callable[[str, str], SourceError],
        retry_statuses: tuple[int, ...],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limit = limit
        self.timeout = timeout
        self.max_in_flight = max_in_flight
        self.retry_statuses = frozenset(retry_statuses)
        self._rejected = rejected
        self._headers = [f"Authorization: Bearer {api_key}", "Accept: application/json"]
        self._pool: CurlPool | None = None
        #: Windows fetched here and windows handed to the official client (for tests and benchmarks).
        self.served = 0
        self.handed_over = 0

    def _pool_now(self) -> CurlPool:
        pool = self._pool
        if pool is None or pool.closed or pool.loop is not asyncio.get_running_loop():
            if pool is not None:
                pool.close()  # its loop is gone (a new asyncio.run): nothing of it can be used
            pool = self._pool = CurlPool(self._headers, timeout=self.timeout, max_in_flight=self.max_in_flight)
        return pool

    async def window(self, ticker: str, mult: int, span: str, lo: int, hi: int) -> dict[str, Any] | None:
        """The bars of ``[lo, hi]`` (epoch s) as columns, or None when the official client should fetch them."""
        import orjson

        path = f"/v2/aggs/ticker/{quote(ticker, safe=':')}/range/{mult}/{span}/{lo * 1000}/{hi * 1000}"
        reply = await self._pool_now().get(f"{self.base_url}{path}?sort=asc&limit={self.limit}")
        if reply is None:
            self.handed_over += 1
            return None
        status, body = reply
        if status != 200:
            if status in self.retry_statuses or status < 400:
                self.handed_over += 1
                return None
            raise self._rejected(body.decode("utf-8", "replace"), ticker)
        try:
            columns = bars_to_columns(orjson.loads(body))
        except (ValueError, TypeError, AttributeError):
            columns = None
        if columns is None:
            self.handed_over += 1
            return None
        self.served += 1
        return columns

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(RuntimeError):  # its event loop is gone: nothing is left open on it
                pool.close()


def bars_to_columns(obj: Any) -> dict[str, Any] | None:
    """A decoded aggregates reply as the columns :func:`rows_to_batch` takes; None unless it is clean.

    Clean: a JSON object, no ``next_url``, ``results`` absent or a list of objects that all have
    an integer ``t``. Values are read as the official client's ``Agg.from_dict`` reads them, a
    missing field becoming NaN as in :meth:`PolygonSource._fetch_window`.
    """
    if not isinstance(obj, dict) or obj.get("next_url"):
        return None
    results = obj.get("results")
    if results is None:
        results = []
    elif not isinstance(results, list):
        return None
    t: list[int] = []
    cols: tuple[list[float], ...] = ([], [], [], [], [], [], [])
    o, h, low, c, v, vw, n = cols
    for bar in results:
        stamp = bar.get("t")
        if type(stamp) is not int:
            return None
        t.append(stamp // 1000)
        for out, key in ((o, "o"), (h, "h"), (low, "l"), (c, "c"), (v, "v"), (vw, "vw"), (n, "n")):
            value = bar.get(key)
            out.append(_NAN if value is None else value)
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
