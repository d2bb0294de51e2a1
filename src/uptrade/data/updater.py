"""DataUpdaterService: keeps stored candles complete and current, whatever the network does.

One asyncio task per feed (source, symbol, timeframe). Each task:

1. backfills from the newest stored bar (or the feed's ``start``, or ``lookback_days`` ago) to now,
   and the head of the range when ``start`` is older than the first stored bar;
2. repairs the gaps :meth:`Store.find_gaps` reports (once per run);
3. polls every ``poll_fraction`` of the candle duration, storing closed candles only. Poll
   instants lie on one grid from the service's start (a fixed rate, not a fixed pause after each
   cycle), so the feeds of a timeframe wake together however long each cycle took: the event
   loop serves them in one turn and the writer stores their pages in one transaction.

Writes are idempotent upserts of whole pages, each in one transaction, always resuming from what
the store holds: a crash, a SIGKILL or a database restart can cost a page of work but never a
candle. Store calls run one at a time on a dedicated thread (SQLite has one writer anyway), so a
stop request lets the write in progress finish. A failing feed backs off exponentially (with
jitter, or what the source asked) without slowing the others; a refused key, an unknown symbol or
an unsupported timeframe stop only that feed, with the reason in its status.

Status per feed (state, last success, last candle, lag in candles, last error) is kept in memory
and saved to the ``feed_status`` table every few seconds for ``uptrade data status`` and the
dashboard.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Protocol, TypeAlias, TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from uptrade.data.frames import OHLCVBatch
from uptrade.data.sources import SOURCE_NAMES, BaseSource, open_source
from uptrade.data.store.base import Store
from uptrade.data.symbols import canonical_symbol
from uptrade.data.timeframes import Timeframe, parse_timeframe
from uptrade.data.times import as_utc, from_epoch
from uptrade.errors import (
    ConfigError,
    DataFormatError,
    NoDataError,
    SourceAuthError,
    SourceError,
    StoreError,
    SymbolError,
    TimeframeError,
    UpTradeError,
)
from uptrade.settings import Settings, get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Errors that retrying cannot fix: the feed stops with the reason in its status.
FATAL_ERRORS = (SourceAuthError, SymbolError, TimeframeError, ConfigError, NoDataError)
#: Rows written per transaction at most when pages of several feeds are grouped.
WRITE_GROUP_ROWS = 200_000
#: Errors a feed backs off from and retries.
RETRY_ERRORS = (SourceError, StoreError, DataFormatError)
#: A page waiting for the writer: the candles, symbol, timeframe and the future of its row count.
PendingPage: TypeAlias = tuple[OHLCVBatch, str, Timeframe, asyncio.Future[int]]


# ----------------------------------------------------------------------------- configuration
class FeedConfig(BaseModel):
    """One series to keep current."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="polygon, binance, okx, bybit (any ccxt id) or file.")
    symbol: str
    timeframe: str
    start: datetime | None = Field(default=None, description="Backfill from here when the store has less.")
    end: datetime | None = Field(default=None, description="Stop here (a fixed historical range).")
    path: Path | None = Field(default=None, description="The file, for source: file.")

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        return canonical_symbol(value)

    @field_validator("timeframe")
    @classmethod
    def _timeframe(cls, value: str) -> str:
        return parse_timeframe(value).name

    @model_validator(mode="after")
    def _check(self) -> FeedConfig:
        if self.source == "file" and self.path is None:
            raise ValueError("a file feed needs 'path'")
        if self.start is not None and self.end is not None and as_utc(self.end) < as_utc(self.start):
            raise ValueError("'end' is before 'start'")
        return self

    @cached_property
    def key(self) -> str:  # cached: asked several times per poll
        where = f"file:{self.path}" if self.source == "file" else self.source
        return f"{where}:{self.symbol}:{self.timeframe}"

    @cached_property
    def tf(self) -> Timeframe:
        return parse_timeframe(self.timeframe)


class UpdaterConfig(BaseModel):
    """The feeds and how hard to chase them (YAML: ``feeds:`` plus any of these keys)."""

    model_config = ConfigDict(extra="forbid")

    feeds: list[FeedConfig] = Field(min_length=1)
    poll_fraction: float = Field(default=0.8, gt=0, le=1, description="Poll every this much of a candle.")
    lookback_days: float = Field(default=30, gt=0, description="History fetched for a new series without start.")
    backoff: float = Field(default=1.0, gt=0, description="First retry delay after a failure (s).")
    max_backoff: float = Field(default=300.0, gt=0, description="Longest retry delay (s).")
    status_interval: float = Field(default=2.0, gt=0, description="Seconds between status saves.")

    @model_validator(mode="after")
    def _unique(self) -> UpdaterConfig:
        keys = [f.key for f in self.feeds]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"feeds listed twice: {', '.join(dupes)}")
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> UpdaterConfig:
        """Load and validate a feeds file; errors name the feed and field."""
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read feeds file: {exc}") from None
        if isinstance(data, list):
            data = {"feeds": data}
        return cls.parse(data, str(path))

    @classmethod
    def parse(cls, data: Any, where: str = "feeds") -> UpdaterConfig:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'top level'}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"{where}: {problems}") from None


# ----------------------------------------------------------------------------- clock and status
class Clock(Protocol):
    """Wall time for candle arithmetic, and every wait of a feed in that time.

    Tests inject a simulated clock: it learns the feed tasks from :meth:`track` and moves time
    only when all of them sleep on it, so a test's outcome does not depend on the host's speed.
    """

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def track(self, task: asyncio.Task[Any]) -> None:
        """A task whose waits all go through :meth:`sleep` (a wall clock has nothing to do)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def track(self, task: asyncio.Task[Any]) -> None:
        return None


class FeedState(StrEnum):
    """What a feed is doing; the values are what status rows and displays show."""

    STARTING = "starting"
    BACKFILLING = "backfilling"  # fetching history (from start, lookback or the newest stored bar)
    REPAIRING = "repairing"  # filling the gaps the store reports (once per run)
    LIVE = "live"  # caught up, polling for new closed candles
    BACKING_OFF = "backing off"  # a retryable error; waiting before the next try
    DONE = "done"  # caught up to its fixed end, or once through with ``once``
    FAILED = "failed"  # stopped by an error retrying cannot fix, or after ``max_failures``
    STOPPED = "stopped"  # the service was stopped while the feed was still running


@dataclass
class FeedStatus:
    """What a feed is doing; ``lag_candles`` counts closed bars not yet stored.

    Times are kept as epoch seconds (``success_s``, ``candle_s``, ``updated_s``) and read as
    UTC Timestamps (``last_success``, ``last_candle``, ``updated_at``): a live cycle sets them
    every poll, and building three Timestamps there cost a twentieth of a poll's CPU.
    """

    feed: str
    source: str
    symbol: str
    timeframe: str
    state: FeedState = FeedState.STARTING
    lag_candles: int | None = None
    last_error: str | None = None
    errors: int = 0
    rows_written: int = 0
    #: Bars the current backfill expects in total (for progress displays), when known.
    expected: int | None = None
    #: Epoch seconds of the last successful cycle (the service's clock), if any.
    success_s: float | None = None
    #: Open time (epoch s) of the newest stored candle, as far as the feed knows.
    candle_s: int | None = None
    #: Wall-clock epoch seconds of the last change.
    updated_s: float = field(default_factory=time.time)

    @property
    def last_success(self) -> pd.Timestamp | None:
        return from_epoch(self.success_s)

    @property
    def last_candle(self) -> pd.Timestamp | None:
        return from_epoch(self.candle_s)

    @property
    def updated_at(self) -> pd.Timestamp:
        return from_epoch(self.updated_s)

    def row(self) -> dict[str, Any]:
        """The ``feed_status`` row."""
        return {
            "feed": self.feed,
            "source": self.source,
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "state": str(self.state),
            "last_success": _utc(self.success_s),
            "last_candle": _utc(self.candle_s),
            "lag_candles": self.lag_candles,
            "last_error": self.last_error,
            "errors": self.errors,
            "rows_written": self.rows_written,
            "updated_at": _utc(self.updated_s),
        }


def _utc(epoch_s: float | None) -> datetime | None:
    return None if epoch_s is None else datetime.fromtimestamp(epoch_s, tz=UTC)


def backoff_delay(failures: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**(failures-1)))."""
    return random.uniform(0, min(cap, base * 2 ** min(failures - 1, 30)))


@dataclass
class PeriodicJob:
    """Work the service runs every ``every`` seconds beside the feeds (e.g. the bots' performance sync).

    ``run`` is blocking (it runs on a worker thread) and returns a one-line summary; an error is
    logged and kept in ``error``, and the job runs again at its next turn: it never stops the feeds.
    """

    name: str
    every: float
    run: Callable[[], str]
    runs: int = 0
    last: str | None = None
    error: str | None = None


# ----------------------------------------------------------------------------- the service
class DataUpdaterService:
    """Backfill, repair and follow every configured feed until stopped (or once, with ``once``)."""

    def __init__(
        self,
        store: Store,
        config: UpdaterConfig,
        *,
        settings: Settings | None = None,
        sources: dict[str, BaseSource] | None = None,
        clock: Clock | None = None,
        once: bool = False,
        max_failures: int | None = None,
        on_write: Callable[[FeedStatus, int], None] | None = None,
        jobs: list[PeriodicJob] | None = None,
    ) -> None:
        self.store = store
        #: Periodic jobs beside the feeds (not run with ``once``).
        self.jobs = [] if once else list(jobs or [])
        self.config = config
        self.settings = settings or get_settings()
        self.clock: Clock = clock or SystemClock()
        self.once = once
        #: Consecutive failures after which a feed gives up (None: never, as a live service should).
        self.max_failures = max_failures
        self.on_write = on_write
        self._given_sources = dict(sources or {})
        self._sources: dict[str, BaseSource] = {}
        self.status: dict[str, FeedStatus] = {
            f.key: FeedStatus(f.key, f.source, f.symbol, f.timeframe) for f in config.feeds
        }
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uptrade-store")
        self._stopping: asyncio.Event | None = None
        #: Newest stored open time per feed, as far as this process wrote it; dropped after any
        #: error so that the next cycle re-reads the store (the truth after a crash or outage).
        self._newest: dict[str, int] = {}
        self._pending: deque[PendingPage] = deque()
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        #: The poll grid's origin: the instant the service started.
        self._origin = 0.0

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> dict[str, FeedStatus]:
        """Run until :meth:`stop` (or, with ``once``, until every feed is caught up or failed)."""
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._origin = self.clock.now()
        try:
            for feed in self.config.feeds:
                self._source_for(feed)
        except UpTradeError:
            await self._close_sources()
            raise
        flusher = asyncio.create_task(self._flush_status_forever(), name="uptrade-status")
        writer = asyncio.create_task(self._write_forever(), name="uptrade-writer")
        self._tasks = [asyncio.create_task(self._feed_loop(f), name=f.key) for f in self.config.feeds]
        for task in self._tasks:
            self.clock.track(task)
        extra = [asyncio.create_task(self._job_loop(job), name=job.name) for job in self.jobs]
        for task in extra:
            self.clock.track(task)
        stopper = asyncio.create_task(self._stopping.wait())
        try:
            waiters: list[asyncio.Future[Any]] = [stopper, asyncio.gather(*self._tasks, return_exceptions=True)]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for running in (*self._tasks, *extra, stopper, writer):
                running.cancel()
            await asyncio.gather(*self._tasks, *extra, stopper, writer, return_exceptions=True)
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            # let a write already handed to the store thread finish, then save the final status
            await asyncio.get_running_loop().run_in_executor(None, self._db_thread.shutdown, True)
            for st in self.status.values():
                if st.state not in (FeedState.FAILED, FeedState.DONE):
                    st.state = FeedState.STOPPED
            self._save_status_now()
            await self._close_sources()
        return self.status

    def stop(self) -> None:
        """Ask the service to stop: the write in progress completes, nothing else starts."""
        if self._stopping is not None:
            self._stopping.set()

    async def _close_sources(self) -> None:
        for key, source in self._sources.items():
            if key not in self._given_sources:
                try:
                    await source.aclose()
                except Exception:
                    log.debug("closing source failed", extra={"source": key}, exc_info=True)

    def _source_for(self, feed: FeedConfig) -> BaseSource:
        key = f"file:{feed.path}" if feed.source == "file" else feed.source
        if key not in self._sources:
            given = self._given_sources.get(key)
            self._sources[key] = given or open_source(feed.source, self.settings, path=feed.path, clock=self.clock.now)
        return self._sources[key]

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_thread, fn, *args)

    async def _job_loop(self, job: PeriodicJob) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                job.last = await loop.run_in_executor(None, job.run)
                job.error = None
            except Exception as exc:  # a job's failure is reported, never fatal to the feeds
                job.error = str(exc) or type(exc).__name__
                log.warning("periodic job %s failed: %s", job.name, job.error)
            job.runs += 1
            await self.clock.sleep(job.every)

    # ------------------------------------------------------------------ one feed
    async def _feed_loop(self, feed: FeedConfig) -> None:
        st = self.status[feed.key]
        source = self._source_for(feed)
        repaired = False
        failures = 0
        point: int | None = None  # the grid point the feed last slept to
        while True:
            try:
                await self._catch_up(feed, st, source)
                if not repaired:
                    st.state = FeedState.REPAIRING
                    await self._repair(feed, st, source)
                    repaired = True
                failures = 0
                st.success_s = self.clock.now()
                await self._update_lag(feed, st)
                if feed.end is not None and st.lag_candles == 0:
                    st.state = FeedState.DONE
                    return
                st.state = FeedState.LIVE
                if self.once:
                    st.state = FeedState.DONE
                    return
                point, delay = self._next_poll(feed, point)
                await self.clock.sleep(delay)
            except asyncio.CancelledError:
                raise
            except FATAL_ERRORS as exc:
                st.state, st.last_error, st.errors = FeedState.FAILED, str(exc), st.errors + 1
                log.error("feed stopped", extra={"feed": feed.key, "error": str(exc)})
                return
            except RETRY_ERRORS as exc:
                self._newest.pop(feed.key, None)
                failures += 1
                delay = backoff_delay(failures, self.config.backoff, self.config.max_backoff)
                asked = getattr(exc, "retry_after", None)
                if asked is not None:
                    delay = max(delay, min(float(asked), self.config.max_backoff))
                st.state, st.last_error, st.errors = FeedState.BACKING_OFF, str(exc), st.errors + 1
                if self.max_failures is not None and failures >= self.max_failures:
                    st.state = FeedState.FAILED
                    log.error("feed gave up", extra={"feed": feed.key, "error": str(exc), "failures": failures})
                    return
                log.warning(
                    "feed failed, backing off",
                    extra={"feed": feed.key, "error": str(exc), "failures": failures, "delay_s": round(delay, 3)},
                )
                await self.clock.sleep(delay)

    def _next_poll(self, feed: FeedConfig, last: int | None) -> tuple[int, float]:
        """The feed's next poll instant, as (grid point, seconds from now): the first point after now.

        The grid is every ``poll_fraction`` of a candle from the service's start. Sleeping a
        fixed pause after each cycle would spread the feeds apart by their cycles' lengths, and
        each would then wake the event loop, make its request and write its page alone; on one
        grid they share the wake-up and the write. A cycle that overran skips the points it
        missed rather than polling in a burst. The point is never ``last`` (the one the feed
        slept to) again: the wall clock may read a hair before it when the loop's timer wakes
        the feed (the two drift apart while NTP slews the wall clock), and going back to sleep
        for that hair would poll twice per point.
        """
        step = self.config.poll_fraction * feed.tf.seconds
        now = self.clock.now()
        point = math.floor((now - self._origin) / step) + 1
        if last is not None and point <= last:
            point = last + 1
        return point, self._origin + point * step - now

    def _target(self, feed: FeedConfig) -> int:
        """Open time of the newest bar this feed should hold now."""
        tf = feed.tf
        newest = tf.floor(int(self.clock.now())) - tf.seconds
        if feed.end is not None:
            newest = min(newest, tf.floor(int(as_utc(feed.end).timestamp())))
        return newest

    async def _catch_up(self, feed: FeedConfig, st: FeedStatus, source: BaseSource) -> None:
        tf = feed.tf
        target = self._target(feed)
        known = self._newest.get(feed.key)
        if known is not None:  # steady state: no store round trip
            if known + tf.seconds <= target:
                await self._fetch_range(feed, st, source, known + tf.seconds, target)
            return
        latest = await self._db(self.store.latest_time, feed.symbol, tf)
        if latest is None:
            start = (
                as_utc(feed.start)
                if feed.start is not None
                else from_epoch(self.clock.now()) - pd.Timedelta(days=self.config.lookback_days)
            )
            st.state = FeedState.BACKFILLING
            lo = int(start.timestamp())
            if await self._fetch_range(feed, st, source, lo, target) == 0:
                await self._explain_empty(feed, source, lo, target)
            return
        if feed.start is not None:
            first = await self._db(self.store.first_time, feed.symbol, tf)
            head_start = tf.floor(int(as_utc(feed.start).timestamp()) + tf.seconds - 1)
            if first is not None and head_start < int(first.timestamp()):
                st.state = FeedState.BACKFILLING
                await self._fetch_range(feed, st, source, head_start, int(first.timestamp()) - tf.seconds)
        self._newest[feed.key] = int(latest.timestamp())
        begin = int(latest.timestamp()) + tf.seconds
        if begin <= target:
            if target - begin >= 2 * tf.seconds:
                st.state = FeedState.BACKFILLING
            await self._fetch_range(feed, st, source, begin, target)

    async def _explain_empty(self, feed: FeedConfig, source: BaseSource, lo: int, hi: int) -> None:
        """A first backfill that found nothing: when the source knows what it holds, say so and how to reach it."""
        span = await source.span(feed.symbol, feed.tf)
        if span is None:
            return
        first, last = (f"{from_epoch(t):%Y-%m-%d %H:%M}" for t in span)
        asked = f"{from_epoch(lo):%Y-%m-%d %H:%M} to {from_epoch(max(lo, hi)):%Y-%m-%d %H:%M}"
        how = "" if feed.start is not None else f" (default: the last {self.config.lookback_days:g} days)"
        raise NoDataError(
            f"the {source.name} source holds bars from {first} to {last}, none in the window "
            f"asked for, {asked}{how}; pass --start {first[:10]} (a feed's `start`) to load them"
        )

    async def _repair(self, feed: FeedConfig, st: FeedStatus, source: BaseSource) -> None:
        gaps = await self._db(self.store.find_gaps, feed.symbol, feed.tf)
        for gap in gaps:
            got = await self._fetch_range(feed, st, source, int(gap.start.timestamp()), int(gap.end.timestamp()))
            level = logging.INFO if got == gap.missing else logging.WARNING
            log.log(
                level,
                "gap repaired" if got == gap.missing else "gap partly repaired (source has no bars there)",
                extra={"feed": feed.key, "start": str(gap.start), "missing": gap.missing, "fetched": got},
            )

    async def _fetch_range(self, feed: FeedConfig, st: FeedStatus, source: BaseSource, lo: int, hi: int) -> int:
        """Fetch closed bars in [lo, hi] page by page and write each page as it arrives.

        The next page is fetched while the previous one is written; writes stay in order, one at
        a time, so the stored series is always a prefix of what the source sent. A page in
        flight is a future of the writer's, not a task of its own: a live poll has one page, and
        a task per page cost it a task's creation and two more turns of the event loop.
        """
        if hi < lo:
            return 0
        st.expected = (hi - lo) // feed.tf.seconds + 1
        written = 0
        writing: asyncio.Future[int] | None = None
        try:
            async for page in source.pages(feed.symbol, feed.tf, lo, hi):
                if writing is not None:
                    written += await writing
                writing = self._hand_in(feed, st, page)
            if writing is not None:
                done, writing = writing, None
                written += await done
        finally:
            if writing is not None:
                if not writing.done():
                    writing.cancel()  # the writer skips it, or its idempotent upsert is under way
                elif not writing.cancelled():
                    writing.exception()  # seen: the error that ends this range is already on its way
        return written

    def _hand_in(self, feed: FeedConfig, st: FeedStatus, page: OHLCVBatch) -> asyncio.Future[int]:
        """Queue a page for the writer; its future gets the rows written, or the store's error.

        The status records the write as soon as it is done (a callback, not the feed's await),
        so a feed stopped while fetching its next page still counts every row it stored.
        """
        assert self._wake is not None
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        done.add_done_callback(partial(self._record, feed, st, page))
        self._pending.append((page, feed.symbol, feed.tf, done))
        self._wake.set()
        return done

    def _record(self, feed: FeedConfig, st: FeedStatus, page: OHLCVBatch, done: asyncio.Future[int]) -> None:
        """A page's completed write in the feed's status: rows, newest stored candle, ``on_write``."""
        if done.cancelled() or done.exception() is not None:
            return
        n = done.result()
        st.rows_written += n
        newest = int(page.time[-1])
        if newest > self._newest.get(feed.key, newest - 1):
            self._newest[feed.key] = newest
        _set_last_candle(st, newest, only_later=True)
        st.updated_s = time.time()
        if self.on_write is not None:
            self.on_write(st, n)

    async def _update_lag(self, feed: FeedConfig, st: FeedStatus) -> None:
        if feed.key not in self._newest:
            latest = await self._db(self.store.latest_time, feed.symbol, feed.tf)
            if latest is not None:
                self._newest[feed.key] = int(latest.timestamp())
        newest = self._newest.get(feed.key)
        if newest is not None:
            _set_last_candle(st, newest)
            st.lag_candles = max(0, (self._target(feed) - newest) // feed.tf.seconds)
        st.updated_s = time.time()

    async def _write_forever(self) -> None:
        """Group the pages feeds hand in into one transaction per round (one commit for many feeds).

        A group that fails is retried page by page, so one bad page cannot fail the others.
        """
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                group: list[PendingPage] = []
                rows = 0
                while self._pending and (not group or rows + len(self._pending[0][0]) <= WRITE_GROUP_ROWS):
                    item = self._pending.popleft()
                    group.append(item)
                    rows += len(item[0])
                try:
                    counts = await self._db(self.store.write_batches, [(b, s, t) for b, s, t, _ in group])
                except StoreError as exc:
                    if len(group) == 1:
                        _settle(group[0][3], exc)
                        continue
                    for batch, sym, tf, done in group:
                        try:
                            _settle(done, await self._db(self.store.write_batch, batch, sym, tf))
                        except StoreError as one:
                            _settle(done, one)
                    del exc
                else:
                    for (_, _, _, done), n in zip(group, counts, strict=True):
                        _settle(done, n)

    # ------------------------------------------------------------------ status
    async def _flush_status_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.status_interval)
            try:
                await self._db(self.store.save_feed_status, [s.row() for s in self.status.values()])
            except StoreError as exc:  # the database may be down; the feeds report that themselves
                log.debug("status not saved", extra={"error": str(exc)})

    def _save_status_now(self) -> None:
        try:
            self.store.save_feed_status([s.row() for s in self.status.values()])
        except StoreError as exc:
            log.warning("final status not saved", extra={"error": str(exc)})


def _set_last_candle(st: FeedStatus, newest: int, *, only_later: bool = False) -> None:
    """``st.candle_s`` from the newest stored open time (never moved back with ``only_later``)."""
    if not (only_later and st.candle_s is not None and st.candle_s > newest):
        st.candle_s = newest


def _settle(future: asyncio.Future[int], outcome: int | BaseException) -> None:
    if future.done():  # the feed was cancelled meanwhile
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def feeds_from_options(
    source: str, symbols: list[str], timeframes: list[str], *, start: str | None, end: str | None, path: Path | None
) -> UpdaterConfig:
    """An :class:`UpdaterConfig` from CLI options (every symbol at every timeframe)."""
    if source.strip().lower() not in SOURCE_NAMES:
        log.info("using a ccxt exchange not in the tested list", extra={"source": source})
    feeds = [
        {"source": source, "symbol": s, "timeframe": t, "start": start, "end": end, "path": path}
        for s in symbols
        for t in timeframes
    ]
    return UpdaterConfig.parse({"feeds": feeds}, "options")
