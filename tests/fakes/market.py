"""The data behind the fake feeds: real base candles, a controllable clock, switchable faults."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


class FakeClock:
    """Epoch seconds that stand still (``speed=0``, move with :meth:`set`) or run ``speed`` x real time.

    The same object drives the fake servers ("now" decides which bars exist and which one is
    still forming) and the updater under test (closed-candle cut and poll cadence).
    """

    def __init__(self, now: float, speed: float = 0.0) -> None:
        self._t0, self._w0, self.speed = float(now), time.time(), float(speed)

    def now(self) -> float:
        return self._t0 + self.speed * (time.time() - self._w0)

    def set(self, now: float) -> None:
        self._t0, self._w0 = float(now), time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed if self.speed > 0 else seconds)

    def track(self, task: asyncio.Task[Any]) -> None:
        """Nothing to do: this clock runs on its own (see ``tests.fakes.clock.SimClock`` for one that waits)."""


@dataclass
class Faults:
    """Probabilities per request of each fault; ``seed`` makes a run repeatable."""

    rate_limit: float = 0.0  # 429 with Retry-After, in bursts of ``burst``
    server_error: float = 0.0  # 500 / 502 / 503
    slow: float = 0.0  # answer after ``slow_seconds`` (beyond the client's timeout)
    truncated: float = 0.0  # a 200 whose JSON body is cut short (consistent Content-Length)
    dropped: float = 0.0  # the connection closes halfway through the promised body
    loop: float = 0.0  # next_url points back at the page just served
    retry_after: str = "1"
    burst: int = 2
    slow_seconds: float = 2.0
    seed: int = 0
    #: Faults served first, in order, before any random ones (None = a clean reply).
    script: list[str | None] = field(default_factory=list)
    _rng: random.Random = field(init=False, repr=False)
    _burst_left: int = field(default=0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self, paginated: bool = False) -> str | None:
        """The fault to inject into this request, or None."""
        with self._lock:
            if self.script:
                return self.script.pop(0)
            if self._burst_left > 0:
                self._burst_left -= 1
                return "rate_limit"
            roll = self._rng.random()
            for name in ("rate_limit", "server_error", "slow", "truncated", "dropped", "loop"):
                p = getattr(self, name)
                if name == "loop" and not paginated:
                    continue
                if roll < p:
                    if name == "rate_limit":
                        self._burst_left = self.burst - 1
                    return name
                roll -= p
            return None

    def status(self) -> int:
        with self._lock:
            return self._rng.choice((500, 502, 503))


class Series:
    """One instrument's base bars (epoch s) plus synthetic vwap/trade count, aggregated on demand.

    The bundled files carry OHLCV only; Polygon always sends ``vw`` and ``n``, so the fake
    derives them deterministically: vwap = typical price, trades = round(7 * volume) + 1.
    """

    def __init__(self, frame: pd.DataFrame, base_seconds: int, scale: float = 1.0) -> None:
        self.base = base_seconds
        self.t = (frame.index.asi8 // 1_000_000_000).astype("int64")
        self.o, self.h, self.l, self.c = (
            frame[k].to_numpy("float64") * scale for k in ("open", "high", "low", "close")
        )
        self.v = frame["volume"].to_numpy("float64")
        self.vw = (self.h + self.l + self.c) / 3
        self.n = np.round(self.v * 7).astype("int64") + 1
        self._agg: dict[int, tuple[np.ndarray, ...]] = {}
        self._lists: dict[int, tuple[list[Any], ...]] = {}
        self._lock = threading.Lock()

    def truth(self, seconds: int) -> pd.DataFrame:
        """Every complete bar at ``seconds`` as a standard frame: what the store must end up with."""
        t, o, h, low, c, v, vw, n = self.bars(seconds)
        if seconds != self.base:  # only buckets whose base bars all exist... and whose end is in the data
            keep = t + seconds <= self.t[-1] + self.base
            t, o, h, low, c, v, vw, n = (a[keep] for a in (t, o, h, low, c, v, vw, n))
        idx = pd.DatetimeIndex(t * 1_000_000_000, tz="UTC", name="time")
        return pd.DataFrame(
            {
                "open": o,
                "high": h,
                "low": low,
                "close": c,
                "volume": v,
                "vwap": vw,
                "trade_count": pd.array(n, dtype="Int64"),
            },
            index=idx,
        )

    def bars(self, seconds: int) -> tuple[np.ndarray, ...]:
        """All bars at ``seconds`` (a multiple of the base), bucketed from the epoch."""
        if seconds == self.base:
            return self.t, self.o, self.h, self.l, self.c, self.v, self.vw, self.n
        with self._lock:
            if seconds not in self._agg:
                bucket = self.t // seconds * seconds
                starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
                ends = np.r_[starts[1:], len(bucket)] - 1
                v = np.add.reduceat(self.v, starts)
                pv = np.add.reduceat(self.vw * self.v, starts)
                self._agg[seconds] = (
                    bucket[starts],
                    self.o[starts],
                    np.maximum.reduceat(self.h, starts),
                    np.minimum.reduceat(self.l, starts),
                    self.c[ends],
                    v,
                    np.where(v > 0, pv / np.where(v > 0, v, 1), self.c[ends]),
                    np.add.reduceat(self.n, starts),
                )
            return self._agg[seconds]

    def columns(self, seconds: int) -> tuple[list[Any], ...]:
        """:meth:`bars` as Python lists, made once per timeframe (a server's per-request slicing is then cheap)."""
        cached = self._lists.get(seconds)  # one dict read: atomic, no lock needed once made
        if cached is None:
            cached = tuple(a.tolist() for a in self.bars(seconds))
            with self._lock:
                cached = self._lists.setdefault(seconds, cached)
        return cached

    def window_lists(self, seconds: int, lo: int, hi: int, now: float) -> tuple[list[Any], ...]:
        """:meth:`window` as Python lists: the same bars, values and forming bar (the same arithmetic)."""
        t, *rest = self.columns(seconds)
        a, b = bisect_left(t, lo), bisect_left(t, min(hi, int(now)) + 1)
        out = [t[a:b], *(x[a:b] for x in rest)]
        if b > a and out[0][-1] + seconds > now:  # still forming: partial values, as in window()
            out[4][-1] = out[1][-1]
            out[2][-1] = max(out[1][-1], out[4][-1])
            out[3][-1] = min(out[1][-1], out[4][-1])
            out[5][-1] = out[5][-1] / 2
            out[6][-1] = out[1][-1]
            out[7][-1] = max(1, out[7][-1] // 2)
        return tuple(out)

    def window(self, seconds: int, lo: int, hi: int, now: float) -> tuple[np.ndarray, ...]:
        """Bars with open time in [lo, hi] that have started by ``now``; the last may be forming."""
        t, *rest = self.bars(seconds)
        a, b = np.searchsorted(t, [lo, min(hi, int(now)) + 1])
        out = [t[a:b].copy(), *(x[a:b].copy() for x in rest)]
        if b > a and out[0][-1] + seconds > now:  # still forming: partial values, as a live feed shows
            out[4][-1] = out[1][-1]  # close = open so far
            out[2][-1] = max(out[1][-1], out[4][-1])
            out[3][-1] = min(out[1][-1], out[4][-1])
            out[5][-1] = out[5][-1] / 2
            out[6][-1] = out[1][-1]
            out[7][-1] = max(1, out[7][-1] // 2)
        return tuple(out)


class Market:
    """Tickers -> :class:`Series`; the fake servers look instruments up here."""

    def __init__(self) -> None:
        self.series: dict[str, Series] = {}

    def add(self, key: str, series: Series) -> None:
        self.series[key] = series
