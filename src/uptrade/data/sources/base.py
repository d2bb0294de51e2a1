"""The :class:`CandleSource` protocol and what every source shares.

A source delivers *closed* candles with open time in ``[start, end]`` as validated
:class:`~uptrade.data.frames.OHLCVBatch` pages, oldest first. Sources are async; blocking
clients (the official Polygon client, file readers) run on daemon worker threads so that neither the
event loop nor process shutdown waits on a slow socket.

Retries of transient failures use tenacity (exponential backoff with full jitter, honouring a
server's ``Retry-After`` when it sent one), bounded by :class:`RetryPolicy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, TypeVar, runtime_checkable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_random_exponential
from tenacity.wait import wait_base

from uptrade.data.frames import COLUMNS, FLOAT_COLUMNS, MISSING_COUNT, OHLCVBatch
from uptrade.data.timeframes import Timeframe, parse_timeframe
from uptrade.data.times import TimeLike, index_from_epoch, to_epoch
from uptrade.data.validate import OHLCVValidationError, batch_is_valid, table_to_batch, validate_table
from uptrade.errors import ConfigError, SourceError

T = TypeVar("T")
Clock: TypeAlias = Callable[[], float]


class RetryPolicy(BaseModel):
    """How hard a source retries one request before reporting :class:`SourceUnavailableError`."""

    model_config = ConfigDict(frozen=True)

    attempts: int = Field(default=5, ge=1, le=50, description="Tries per request, the first included.")
    backoff: float = Field(default=0.5, gt=0, description="Base delay in seconds (doubles per retry).")
    max_backoff: float = Field(default=30.0, gt=0, description="Cap on one delay, Retry-After included.")
    timeout: float = Field(default=30.0, gt=0, description="Connect/read timeout of one request (s).")


@runtime_checkable
class CandleSource(Protocol):
    """Anything that can deliver closed candles for a symbol and timeframe."""

    name: str

    def pages(
        self, symbol: str, timeframe: str | Timeframe, start: TimeLike, end: TimeLike = None
    ) -> AsyncIterator[OHLCVBatch]:
        """Closed candles with open time in [start, end] (end default: now), oldest first, page by page."""
        ...

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str | Timeframe, start: TimeLike, end: TimeLike = None
    ) -> OHLCVBatch:
        """All of :meth:`pages` as one batch."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class MarketInfo:
    """One market a source lists: its symbol in the source's spelling, base, quote, type, and whether it trades."""

    symbol: str
    base: str
    quote: str
    type: str
    active: bool


class BaseSource:
    """Shared plumbing: time arguments, the closed-candle cut, concatenation."""

    name = "base"

    def timeframes(self) -> list[str] | None:
        """The timeframes the source offers, in its own spelling; None when any is (a file holds what it holds)."""
        return None

    async def markets(self, quote: str | None = None, search: str | None = None) -> list[MarketInfo]:
        """The markets the source lists (quote currency ``quote``, ``search`` in the symbol); exchanges only."""
        raise ConfigError(
            f"source: {self.name} lists no markets; use an exchange (binance, okx, bybit)", param="source"
        )

    async def span(self, symbol: str, timeframe: str | Timeframe) -> tuple[int, int] | None:
        """First and last open time (epoch s) the source holds for the series, when it knows (a file does)."""
        return None

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or time.time

    def pages(
        self, symbol: str, timeframe: str | Timeframe, start: TimeLike, end: TimeLike = None
    ) -> AsyncIterator[OHLCVBatch]:
        raise NotImplementedError

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str | Timeframe, start: TimeLike, end: TimeLike = None
    ) -> OHLCVBatch:
        return concat_batches([page async for page in self.pages(symbol, timeframe, start, end)])

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> BaseSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def window(self, timeframe: str | Timeframe, start: TimeLike, end: TimeLike) -> tuple[Timeframe, int, int]:
        """``(tf, first, last)`` open times (epoch s) of the closed bars wanted, aligned to ``tf``.

        ``last`` is capped at the newest bar that has closed by ``clock()``; ``last < first``
        means there is nothing to fetch.
        """
        tf = parse_timeframe(timeframe)
        lo = to_epoch(start, "start")
        if lo is None:
            raise ConfigError("start: a start time is required")
        newest_closed = tf.floor(int(self.clock())) - tf.seconds
        hi = to_epoch(end, "end")
        hi = newest_closed if hi is None else min(hi, newest_closed)
        first = tf.floor(lo) if tf.is_aligned(lo) else tf.floor(lo) + tf.seconds
        return tf, first, tf.floor(hi)


def rows_to_batch(
    times_s: np.ndarray, columns: dict[str, Any], tf: Timeframe, first: int, last: int, source: str
) -> OHLCVBatch:
    """Validate raw candle columns and keep the bars in ``[first, last]``.

    Raises :class:`OHLCVValidationError` naming the offending bars (with their times) when the
    source sent impossible candles; nothing of such a page is used.
    """
    times_s = np.asarray(times_s, dtype="int64")
    n = len(times_s)
    if n and times_s[0] >= first and times_s[-1] <= last:
        # fast path (every live poll): first and last bar inside the window and, as validation
        # checks, times strictly increasing, so nothing to cut or sort; else the general path
        floats = {
            name: np.full(n, np.nan) if columns.get(name) is None else np.array(columns[name], dtype="float64")
            for name in (*FLOAT_COLUMNS, "trade_count")
        }
        counts = floats.pop("trade_count")
        fast = OHLCVBatch(
            times_s.copy(), **floats, trade_count=np.where(np.isnan(counts), MISSING_COUNT, counts).astype("int64")
        )
        if batch_is_valid(fast, tf):
            return fast
    keep = (times_s >= first) & (times_s <= last)
    order = np.argsort(times_s[keep], kind="stable")

    def col(name: str) -> np.ndarray:
        values = columns.get(name)
        if values is None:
            return np.full(len(order), np.nan)
        return np.asarray(values, dtype="float64")[keep][order]

    counts = col("trade_count")
    batch = OHLCVBatch(
        times_s[keep][order],
        **{name: col(name) for name in FLOAT_COLUMNS},
        trade_count=np.where(np.isnan(counts), MISSING_COUNT, counts).astype("int64"),
    )
    if batch_is_valid(batch, tf):
        return batch
    # slow path, only for bad pages: the full report naming every offending bar
    table = pd.DataFrame({"time": index_from_epoch(times_s[keep])})
    for name in COLUMNS:
        values = columns.get(name)
        if values is not None:
            table[name] = np.asarray(values, dtype="float64")[keep]
    report = validate_table(table, tf)
    if not report.ok:
        raise OHLCVValidationError(report, source=source)
    return table_to_batch(table)


def concat_batches(batches: list[OHLCVBatch]) -> OHLCVBatch:
    """One batch from consecutive pages (duplicated open times keep the last page's bar)."""
    names = ("time", *COLUMNS)
    if not batches:
        return OHLCVBatch(*(np.empty(0, dtype="int64" if n in ("time", "trade_count") else "float64") for n in names))
    if len(batches) == 1:
        return batches[0]
    merged = {n: np.concatenate([getattr(b, n) for b in batches]) for n in names}
    # last occurrence of each time wins: unique on the reversed array
    _, rev_idx = np.unique(merged["time"][::-1], return_index=True)
    idx = len(merged["time"]) - 1 - rev_idx
    return OHLCVBatch(*(merged[n][idx] for n in names))


def empty_counts(n: int) -> np.ndarray:
    return np.full(n, MISSING_COUNT, dtype="int64")


class _DaemonWorkers:
    """Daemon threads that run blocking calls, started on demand and kept while there is work.

    ``concurrent.futures.ThreadPoolExecutor`` (and so ``asyncio.to_thread``) joins its workers at
    interpreter exit, so one request stuck in a long ``Retry-After`` sleep would hold up a clean
    shutdown; the stdlib has no daemon variant. A thread per call avoids that but costs a thread
    start per request, and ``Thread.start`` blocks the event loop until the new thread has run
    (measured: two thirds of the loop's time with 400 live feeds on 2 cores). These workers are
    daemons, reused, and exit after ``idle_timeout`` seconds without work. A forked child starts
    with none (its parent's threads do not exist there).
    """

    def __init__(self, idle_timeout: float = 30.0) -> None:
        self.idle_timeout = idle_timeout
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], Callable[[], None]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._started = 0

    def submit(self, job: Callable[[], Callable[[], None]]) -> None:
        """Run ``job`` on a worker; it returns what hands its result over, called once the worker is free.

        So a caller that submits its next job as soon as it has the result finds the worker idle
        and reuses it: one call at a time needs one thread, however the threads are scheduled.
        """
        with self._lock:
            if self._idle:
                self._idle -= 1  # that worker is taken; it picks this job (or an earlier one) up
            else:
                self._started += 1
                threading.Thread(target=self._work, name=f"uptrade-io-{self._started}", daemon=True).start()
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=self.idle_timeout)
            except queue.Empty:
                with self._lock:
                    if self._idle and self._jobs.empty():
                        self._idle -= 1
                        return
                continue
            hand_over = job()
            with self._lock:
                self._idle += 1
            hand_over()


_WORKERS = _DaemonWorkers()


async def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking call on a daemon worker thread and await its result.

    Unlike ``asyncio.to_thread`` a cancelled call does not hold up interpreter exit: a request
    stuck in a long ``Retry-After`` sleep is simply abandoned on shutdown.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(setter: Callable[[Any], None], value: Any) -> None:
        if not future.done():
            setter(value)

    def work() -> Callable[[], None]:
        try:
            result = fn(*args)
        except BaseException as exc:
            outcome: tuple[Callable[[Any], None], Any] = (future.set_exception, exc)
        else:
            outcome = (future.set_result, result)

        def hand_over() -> None:
            with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting any more
                loop.call_soon_threadsafe(deliver, *outcome)

        return hand_over

    _WORKERS.submit(work)
    return await future


class _WaitRetryAfter(wait_base):
    """Wait what the server asked for (``exc.retry_after``), else exponential backoff with jitter.

    ``done`` tries have already failed before tenacity's first one (see :func:`with_retries`), so
    its try ``n`` is the call's try ``n + done`` and backs off as such.
    """

    def __init__(self, policy: RetryPolicy, done: int = 0) -> None:
        self.policy = policy
        self.fallback = wait_random_exponential(multiplier=policy.backoff * 2**done, max=policy.max_backoff)

    def __call__(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        asked = getattr(exc, "retry_after", None)
        if asked is not None:
            return float(min(max(asked, 0.0), self.policy.max_backoff))
        return float(self.fallback(retry_state))


async def with_retries(
    call: Callable[[], Awaitable[T]], policy: RetryPolicy, transient: Callable[[BaseException], bool]
) -> T:
    """Await ``call()`` until it succeeds, retrying errors ``transient`` accepts, at most ``policy.attempts`` times.

    The first try runs before tenacity is involved: setting up its retry state took a sixth of
    a live poll's CPU (py-spy), and nearly every call succeeds at once. After a transient
    failure tenacity takes over with the tries that remain, waiting as it would have. The last
    error is re-raised as is; callers turn it into a :class:`SourceError`.
    """
    try:
        return await call()
    except Exception as exc:
        if policy.attempts == 1 or not transient(exc):
            raise
        first = RetryCallState(None, None, (), {})  # type: ignore[arg-type]  # try 1, as tenacity records it
        first.set_exception((type(exc), exc, exc.__traceback__))
        first_wait = _WaitRetryAfter(policy)(first)
    await asyncio.sleep(first_wait)
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(policy.attempts - 1),
        wait=_WaitRetryAfter(policy, done=1),
        retry=retry_if_exception(transient),
        reraise=True,
    ):
        with attempt:
            return await call()
    raise SourceError("unreachable")  # pragma: no cover - AsyncRetrying either returns or raises
