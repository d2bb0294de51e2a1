"""The live poll of Polygon aggregates v2 over aiohttp: one request on the event loop, no thread.

Why not the official client here: ``massive.RESTClient`` is synchronous (urllib3), so every
request is handed to a worker thread and back, and urllib3 alone spends about 0.12 ms of CPU
per request over what the same keep-alive request costs through ``http.client``. A live poll
asks for one or two bars, so this overhead *is* the cost of polling: measured against the fake
server, CPU per request was 0.47 ms through ``PolygonSource`` on the official client (0.24 ms
of it inside ``list_aggs``) and 0.13 ms through an aiohttp session (keep-alive pool, ``orjson``
decoding). That is the difference between about 2,000 and about 7,000 feeds on one core.

So this path handles only the clean case of a small window and hands everything else to the
official client, which keeps doing all the protocol's hard parts:

* a 200 whose body is a JSON object with ``results`` a list of bars, each with ``t``, and no
  ``next_url``: the bars, decoded exactly as the official client does (missing fields are NaN);
* a non-retryable status (401/403/404/400...): the same error the official path raises (a
  refused key is a :class:`SourceAuthError`), after the same single request;
* anything else (429 or 5xx, a timeout, a dropped connection, an undecodable or malformed
  body, a ``next_url`` to follow): ``None``, and the window is fetched again through the
  official client with its full retry policy. A window whose live try failed so costs at most
  one request more than the policy's ``attempts``.

aiohttp and orjson are well-kept libraries (both already installed with ccxt); nothing here
re-implements HTTP, only which replies count as clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import numpy as np

from uptrade.errors import SourceError

#: Windows of at most this many bars are polled through the live path (a live poll asks for 1 or 2).
LIVE_BARS = 8
_NAN = math.nan


class LiveAggs:
    """An aiohttp session per event loop, asking Polygon's aggregates endpoint for small windows."""

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
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Windows fetched here and windows handed to the official client (for tests and benchmarks).
        self.served = 0
        self.handed_over = 0

    def _session_now(self) -> Any:
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.max_in_flight, limit_per_host=self.max_in_flight)
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=self.timeout),
                raise_for_status=False,
            )
            self._loop = loop
        return self._session

    async def window(self, ticker: str, mult: int, span: str, lo: int, hi: int) -> dict[str, Any] | None:
        """The bars of ``[lo, hi]`` (epoch s) as columns, or None when the official client should fetch them."""
        import aiohttp
        import orjson
        from yarl import URL

        path = f"/v2/aggs/ticker/{quote(ticker, safe=':')}/range/{mult}/{span}/{lo * 1000}/{hi * 1000}"
        # built once, already encoded (yarl would otherwise parse and re-encode it: 10% of a poll)
        url = URL(f"{self.base_url}{path}?sort=asc&limit={self.limit}", encoded=True)
        try:
            async with self._session_now().get(url) as resp:
                body = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError):
            self.handed_over += 1
            return None
        if status != 200:
            if status in self.retry_statuses:
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
        session, self._session = self._session, None
        if session is not None and not session.closed:
            with contextlib.suppress(RuntimeError):  # its event loop is gone: nothing is left open on it
                await session.close()


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
