"""Candles straight from exchanges through ``ccxt.async_support`` (binance, okx, bybit, ...).

ccxt's own rate limiter stays on. Its unified ``fetch_ohlcv`` is paged by ``since``; transient
failures (network, timeouts, rate limits, undecodable replies) are retried with backoff and
jitter, waiting what the exchange's ``Retry-After`` header asked when it sent one. ccxt's
exceptions become ours: a refused key is :class:`SourceAuthError`, an unknown market is
:class:`SymbolError`, exhausted retries are :class:`SourceUnavailableError`.

ccxt's unified candles carry no vwap or trade count, so those columns stay empty (a stored value
is never overwritten by a missing one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from uptrade.data.frames import OHLCVBatch
from uptrade.data.sources.base import BaseSource, Clock, MarketInfo, RetryPolicy, rows_to_batch, with_retries
from uptrade.data.symbols import parse_symbol
from uptrade.data.timeframes import Timeframe
from uptrade.data.times import TimeLike
from uptrade.errors import (
    ConfigError,
    SourceAuthError,
    SourceError,
    SourceUnavailableError,
    SymbolError,
    TimeframeError,
)

log = logging.getLogger(__name__)

#: Exchanges the CLI offers by name (any other ccxt id works through the API too).
EXCHANGES = ("binance", "okx", "bybit")
#: Largest kline page per exchange (ccxt's default is often smaller).
PAGE_LIMITS = {"binance": 1000, "okx": 300, "bybit": 1000}


def _ccxt() -> Any:
    import ccxt.async_support as ccxt_async

    return ccxt_async


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


class ExchangeSource(BaseSource):
    """Closed candles from one exchange via ccxt."""

    def __init__(
        self,
        exchange_id: str,
        *,
        api_url: str | None = None,
        page_limit: int | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(clock)
        ccxt = _ccxt()
        exchange_id = exchange_id.strip().lower()
        if exchange_id not in ccxt.exchanges:
            raise ConfigError(f"unknown exchange {exchange_id!r}; try one of {', '.join(EXCHANGES)}")
        self.name = exchange_id
        self.retry = retry or RetryPolicy()
        params: dict[str, Any] = {"enableRateLimit": True, "timeout": int(self.retry.timeout * 1000)}
        params.update(config or {})
        self.exchange = getattr(ccxt, exchange_id)(params)
        self.exchange.on_rest_response = self._strict_body
        if api_url:
            self._route_to(api_url)
        self.page_limit = page_limit or PAGE_LIMITS.get(exchange_id, 500)
        self._markets_loaded = False

    @staticmethod
    def _strict_body(code: int, _reason: str, url: str, _method: str, _headers: Any, body: Any, *_: Any) -> Any:
        """ccxt's response hook: a 2xx reply that is not JSON is an error, not an empty page.

        ccxt hands undecodable bodies on as text, which its parsers turn into "no candles": a
        truncated reply would silently end a backfill early.
        """
        text = body.strip() if isinstance(body, str) else body
        if 200 <= int(code) < 300 and isinstance(text, str):
            try:
                json.loads(text)
            except ValueError:
                raise _ccxt().BadResponse(f"undecodable {len(text)}-byte reply from {url}") from None
        return text

    def _route_to(self, api_url: str) -> None:
        """Send every REST endpoint to another host (a proxy, a testnet, a local fake)."""
        target = urlsplit(api_url)
        if not target.scheme or not target.netloc:
            raise ConfigError(f"exchange API URL must look like http://host:port, got {api_url!r}")

        def swap(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: swap(v) for k, v in value.items()}
            if isinstance(value, str) and value.startswith("http"):
                return urlsplit(value)._replace(scheme=target.scheme, netloc=target.netloc).geturl()
            return value

        self.exchange.urls["api"] = swap(self.exchange.urls["api"])

    def _transient(self, exc: BaseException) -> bool:
        ccxt = _ccxt()
        return isinstance(exc, (ccxt.NetworkError, ccxt.BadResponse))

    async def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """One ccxt call with bounded retries; ccxt errors become UpTrade errors."""
        ccxt = _ccxt()

        async def attempt() -> Any:
            try:
                return await fn(*args, **kwargs)
            except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
                exc.retry_after = _retry_after(self.exchange.last_response_headers)
                raise

        try:
            return await with_retries(attempt, self.retry, self._transient)
        except (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.AccountSuspended) as exc:
            raise SourceAuthError(f"{self.name} refused the request ({what}): {exc}") from None
        except ccxt.BadSymbol as exc:
            raise SymbolError(f"{self.name} does not list {what}: {exc}") from None
        except (ccxt.NetworkError, ccxt.BadResponse) as exc:
            raise SourceUnavailableError(
                f"{self.name} {what}: {type(exc).__name__}: {exc} (after {self.retry.attempts} attempts)",
                retry_after=getattr(exc, "retry_after", None),
            ) from None
        except ccxt.BaseError as exc:
            raise SourceError(f"{self.name} {what}: {type(exc).__name__}: {exc}") from None

    async def _ensure_markets(self, market_type: str) -> None:
        if self._markets_loaded:
            return
        if self.name == "binance":  # only the market family we trade: one request instead of three
            self.exchange.options["fetchMarkets"] = {"types": [market_type]}
        await self._call("markets", self.exchange.load_markets)
        self._markets_loaded = True

    def timeframes(self) -> list[str]:
        """ccxt's ``exchange.timeframes`` keys (UpTrade stores those :mod:`~uptrade.data.timeframes` knows)."""
        return list(self.exchange.timeframes or {})

    async def markets(self, quote: str | None = None, search: str | None = None) -> list[MarketInfo]:
        """ccxt's markets (Binance: spot only, one request), filtered by quote currency and a symbol substring."""
        await self._ensure_markets("spot")
        want_quote = quote.strip().upper() if quote else None
        needle = search.strip().upper().replace("-", "/") if search else None
        out = []
        for m in self.exchange.markets.values():
            if want_quote and str(m.get("quote", "")).upper() != want_quote:
                continue
            if needle and needle not in str(m["symbol"]).upper():
                continue
            out.append(MarketInfo(m["symbol"], m["base"], m["quote"], str(m.get("type")), m.get("active") is not False))
        return sorted(out, key=lambda m: m.symbol)

    async def pages(
        self, symbol: str, timeframe: str | Timeframe, start: TimeLike, end: TimeLike = None
    ) -> AsyncIterator[OHLCVBatch]:
        tf, first, last = self.window(timeframe, start, end)
        sym = parse_symbol(symbol)
        if tf.name not in (self.exchange.timeframes or {}):
            offered = ", ".join(self.exchange.timeframes or {})
            raise TimeframeError(f"{self.name} has no {tf} candles (offers: {offered})")
        await self._ensure_markets("linear" if sym.settle else "spot")
        market = sym.ccxt
        if market not in self.exchange.markets:
            raise SymbolError(f"{self.name} does not list {market}")
        since = first
        while since <= last:
            rows = await self._call(
                f"{market} {tf} since {since}",
                self.exchange.fetch_ohlcv,
                market,
                tf.name,
                since * 1000,
                self.page_limit,
                {"until": last * 1000},
            )
            if not rows:
                return
            arr = np.asarray(rows, dtype="float64").reshape(len(rows), -1)
            times = (arr[:, 0] // 1000).astype("int64")
            cols = {"open": arr[:, 1], "high": arr[:, 2], "low": arr[:, 3], "close": arr[:, 4], "volume": arr[:, 5]}
            batch = rows_to_batch(times, cols, tf, since, last, f"{self.name} {market} {tf}")
            if len(batch):
                yield batch
            newest = int(times.max())
            if newest < since:  # the exchange ignored `since`: stop instead of looping
                raise SourceError(f"{self.name} {market} {tf}: page starting {since} returned only older bars")
            since = newest + tf.seconds

    async def aclose(self) -> None:
        await self.exchange.close()
