"""A Binance spot REST server for ccxt: ``/api/v3/exchangeInfo``, ``klines``, ``time`` and ``ping``.

Klines as documented: ``symbol``, ``interval``, ``startTime``/``endTime`` (ms, open time
inclusive), ``limit`` default 500 max 1000; rows ``[openTime, "o", "h", "l", "c", "v", closeTime,
"quoteVolume", trades, "takerBase", "takerQuote", "0"]``, the current kline included while it
forms. Errors as ``{"code", "msg"}``: -1121 invalid symbol (400), -1003 too many requests (429
with Retry-After), 5xx.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from tests.fakes.market import FakeClock, Faults, Market
from tests.fakes.server import ServerThread

INTERVALS = {
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "4h": 14400,
    "6h": 21600,
    "8h": 28800,
    "12h": 43200,
    "1d": 86400,
}


#: Quote assets that exchangeInfo splits market names by (as Binance reports baseAsset/quoteAsset).
QUOTES = ("USDT", "USDC", "BTC", "ETH")


def _err(status: int, code: int, msg: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status, headers=headers)


class FakeBinance:
    """Spot markets are the :class:`Market` keys written like ``BTCUSDT``."""

    def __init__(self, market: Market, clock: FakeClock, *, faults: Faults | None = None) -> None:
        self.market, self.clock = market, clock
        self.faults = faults or Faults()
        self.requests: Counter[str] = Counter()
        self.app = web.Application()
        self.app.router.add_get("/api/v3/exchangeInfo", self.exchange_info)
        self.app.router.add_get("/api/v3/klines", self.klines)
        self.app.router.add_get("/api/v3/time", self.server_time)
        self.app.router.add_get("/api/v3/ping", self.ping)

    async def ping(self, _request: web.Request) -> web.Response:
        return web.json_response({})

    async def server_time(self, _request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(self.clock.now() * 1000)})

    async def exchange_info(self, _request: web.Request) -> web.Response:
        self.requests["exchangeInfo"] += 1
        symbols = []
        for name in sorted(self.market.series):
            quote = next(q for q in QUOTES if name.endswith(q))
            base = name[: -len(quote)]
            symbols.append(
                {
                    "symbol": name,
                    "status": "TRADING",
                    "baseAsset": base,
                    "baseAssetPrecision": 8,
                    "quoteAsset": quote,
                    "quotePrecision": 8,
                    "quoteAssetPrecision": 8,
                    "baseCommissionPrecision": 8,
                    "quoteCommissionPrecision": 8,
                    "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
                    "icebergAllowed": True,
                    "ocoAllowed": True,
                    "isSpotTradingAllowed": True,
                    "isMarginTradingAllowed": False,
                    "filters": [
                        {
                            "filterType": "PRICE_FILTER",
                            "minPrice": "0.01000000",
                            "maxPrice": "1000000.00000000",
                            "tickSize": "0.01000000",
                        },
                        {
                            "filterType": "LOT_SIZE",
                            "minQty": "0.00001000",
                            "maxQty": "9000.00000000",
                            "stepSize": "0.00001000",
                        },
                        {
                            "filterType": "NOTIONAL",
                            "minNotional": "5.00000000",
                            "applyMinToMarket": True,
                            "maxNotional": "9000000.00000000",
                            "applyMaxToMarket": False,
                            "avgPriceMins": 5,
                        },
                    ],
                    "permissions": [],
                    "permissionSets": [["SPOT"]],
                    "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                    "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
                }
            )
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(self.clock.now() * 1000),
                "rateLimits": [
                    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
                ],
                "exchangeFilters": [],
                "symbols": symbols,
            }
        )

    async def klines(self, request: web.Request) -> web.StreamResponse:  # noqa: PLR0911
        self.requests["klines"] += 1
        q = request.query
        series = self.market.series.get(q.get("symbol", ""))
        if series is None:
            return _err(400, -1121, "Invalid symbol.")
        seconds = INTERVALS.get(q.get("interval", ""))
        if seconds is None or seconds % series.base:
            return _err(400, -1120, "Invalid interval.")
        try:
            limit = min(int(q.get("limit", 500)), 1000)
            now = self.clock.now()
            lo = int(q["startTime"]) // 1000 if "startTime" in q else None
            hi = int(q["endTime"]) // 1000 if "endTime" in q else int(now)
        except ValueError:
            return _err(400, -1100, "Illegal characters found in parameter.")
        if lo is None:  # the latest `limit` klines
            lo = (int(now) // seconds - limit + 1) * seconds
        t, o, h, low, c, v, _vw, n = series.window(seconds, -(-lo // seconds) * seconds, hi, now)
        rows = [
            [
                int(t_) * 1000,
                repr(float(o_)),
                repr(float(h_)),
                repr(float(l_)),
                repr(float(c_)),
                repr(float(v_)),
                int(t_) * 1000 + seconds * 1000 - 1,
                repr(float(v_ * c_)),
                int(n_),
                "0",
                "0",
                "0",
            ]
            for t_, o_, h_, l_, c_, v_, n_ in zip(
                t[:limit], o[:limit], h[:limit], low[:limit], c[:limit], v[:limit], n[:limit], strict=True
            )
        ]
        fault = self.faults.pick()
        if fault is not None:
            self.requests[fault] += 1
        if fault == "rate_limit":
            return _err(
                429,
                -1003,
                "Too many requests; current limit of IP is 6000 requests per minute.",
                headers={"Retry-After": self.faults.retry_after},
            )
        if fault == "server_error":
            return web.Response(status=self.faults.status(), text="Internal error; unable to process your request.")
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
        text = json.dumps(rows)
        if fault == "truncated":
            return web.Response(text=text[: max(1, len(text) // 2)], content_type="application/json")
        return web.Response(
            text=text,
            content_type="application/json",
            headers={"x-mbx-used-weight-1m": "2", "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())},
        )


@contextmanager
def serve_binance(market: Market, clock: FakeClock, **kwargs: object) -> Iterator[tuple[FakeBinance, str]]:
    """A running :class:`FakeBinance` and its address."""
    fake = FakeBinance(market, clock, **kwargs)  # type: ignore[arg-type]
    server = ServerThread(fake.app)
    url = server.start()
    try:
        yield fake, url
    finally:
        server.stop()
