"""Discrete-event simulated time for the updater: time moves only when every tracked task waits on it.

The program under test takes no simulated time to do its work, however slow the host is: the
clock jumps to the next wake-up only once every task it tracks (the updater's feeds, the test's
own scenario) is asleep on it, so what a test observes depends on the program alone, never on
the machine's speed or load. Work the tasks hand to threads (HTTP requests, store writes) keeps
the tracked task awake until it is done, so it is finished before time moves on.

``now`` lives in shared memory, so a fake server forked after the clock was made (see
``ServerProcess``) sees the same instant.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import multiprocessing
from collections.abc import Callable
from typing import Any


class SimClock:
    """Simulated epoch seconds; ``track`` the tasks whose waits decide when time moves.

    Observers (all optional): ``on_sleep(task_name, now, seconds)`` when a task goes to sleep,
    ``on_advance(now)`` at each new instant before anyone is woken.
    """

    def __init__(self, now: float) -> None:
        self._now = multiprocessing.get_context("fork").RawValue("d", float(now))
        self._heap: list[tuple[float, int, asyncio.Future[None], asyncio.Task[Any] | None]] = []
        self._seq = itertools.count()
        self._tracked: set[asyncio.Task[Any]] = set()
        self._asleep: set[asyncio.Task[Any]] = set()
        self.instants = 0
        self.on_sleep: Callable[[str, float, float], None] | None = None
        self.on_advance: Callable[[float], None] | None = None

    def now(self) -> float:
        return self._now.value

    @property
    def tracked(self) -> int:
        """Tracked tasks still running."""
        return len(self._tracked)

    def track(self, task: asyncio.Task[Any]) -> None:
        """Time will not move while ``task`` runs (until it is done or asleep on this clock)."""
        if not task.done():
            self._tracked.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tracked.discard(task)
        self._asleep.discard(task)
        self._maybe_advance()

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of simulated time (0 or less: until the next instant anyone wakes at)."""
        task = asyncio.current_task()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.now() + max(float(seconds), 0.0), next(self._seq), future, task))
        if self.on_sleep is not None and task is not None:
            self.on_sleep(task.get_name(), self.now(), seconds)
        if task in self._tracked:
            self._asleep.add(task)
        try:
            self._maybe_advance()
            await future
        finally:
            self._asleep.discard(task)  # type: ignore[arg-type]
            if not future.done():
                future.cancel()  # a cancelled sleeper leaves its heap entry inert

    def _maybe_advance(self) -> None:
        """Jump to the earliest wake-up once no tracked task is running, and wake whoever is due."""
        while self._heap and self._heap[0][2].done():
            heapq.heappop(self._heap)  # cancelled sleepers
        if not self._heap or len(self._asleep) < len(self._tracked):
            return
        when = self._heap[0][0]
        if when > self.now():
            self._now.value = when
            self.instants += 1
            if self.on_advance is not None:
                self.on_advance(when)
        while self._heap and self._heap[0][0] <= when:
            _, _, future, task = heapq.heappop(self._heap)
            if not future.done():
                future.set_result(None)
                # awake from now on, although it runs only at the event loop's next turn
                self._asleep.discard(task)  # type: ignore[arg-type]
