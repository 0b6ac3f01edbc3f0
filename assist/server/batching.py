"""Micro-batching: concurrent lookups gathered into one ``suggest_many`` call.

One worker runs one batch at a time on its engine thread (the encoder is serialised
anyway). Requests that arrive while a batch runs queue up and form the next one at
once; a request that arrives at an idle worker waits at most ``max_wait_s`` (about
2 ms) for company, the way inference servers batch dynamically. Embedding and
dense search then run once for the batch instead of once per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

import anyio.to_thread

from assist.errors import UnavailableError

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_WAIT_S = 0.002
DEFAULT_MAX_BATCH = 64
"""A lookup in a batch of 64 costs about 0.8x one in a batch of 32 (measured with the default
model); a full batch takes a few tens of milliseconds, and only forms when lookups queue up."""
DEFAULT_MAX_QUEUED = 256
"""Past this many lookups waiting, a worker refuses new ones at once (503 + Retry-After) instead
of letting every caller wait out its timeout: an overloaded floor server fails fast and recovers."""
DEFAULT_MAX_QUEUE_WAIT_S = 2.0
"""A lookup that has waited longer than this in the queue is answered 503 (+ Retry-After) when its
batch forms, without being looked up: an overloaded worker spends its engine on lookups that are
still fresh, and no caller waits more than about this long for a refusal. Under 200 closed-loop
clients on the shared 2-core VM the p99 was 0.6-0.7 s; with 1 s, the extra work of a reload (a
new engine loaded beside the old, its caches cold) pushed some lookups over and failed them."""


class MicroBatcher(Generic[T, R]):
    """Feeds items to ``run`` (called on a thread, one batch at a time) in batches.

    ``run`` returns one result per item, or an exception for an item that failed
    alone; that exception is raised to that item's caller only. With ``max_queued``
    items already waiting, :meth:`submit` raises :class:`UnavailableError` at once;
    an item that waited over ``max_queue_wait_s`` gets it when its batch forms.

    Refusing at the door on a *predicted* wait (tried first) made a worker unstable:
    callers that retry at once turn cheap refusals into most of the load, the engine
    slows, the prediction grows, and a worker that could answer 500 lookups a second
    answered 50 and refused 1,500. Refusing at the head of the queue on the *measured*
    wait cannot feed itself that way: each refused caller has waited its second.

    The hand-off costs one list append and one future per item, and one event-loop
    timer and one thread hop per batch (no queue task or ``wait_for`` per item): at
    a few hundred lookups a second the hand-off is not what a worker spends its
    time on.
    """

    def __init__(self, run: Callable[[list[T]], list[R | BaseException]], *,
                 max_wait_s: float = DEFAULT_MAX_WAIT_S, max_batch: int = DEFAULT_MAX_BATCH,
                 max_queued: int = DEFAULT_MAX_QUEUED, max_queue_wait_s: float = DEFAULT_MAX_QUEUE_WAIT_S) -> None:
        self._run = run
        self.max_wait_s = max(0.0, max_wait_s)
        self.max_batch = max(1, max_batch)
        self.max_queued = max(1, max_queued)
        self.max_queue_wait_s = max_queue_wait_s
        self._pending: list[tuple[T, asyncio.Future[R], float]] = []  # item, its caller, queued at
        self._timer: asyncio.TimerHandle | None = None
        self._running: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        waiting = len(self._pending)
        if waiting >= self.max_queued:
            raise UnavailableError(
                f"the server is busy ({waiting} lookups waiting in this worker); retry shortly"
            )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future, loop.time()))
        self._schedule(loop)
        return await future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the next batch now (a full one), or within ``max_wait_s``; never two at once."""
        if self._running is not None or not self._pending:
            return
        if len(self._pending) >= self.max_batch:
            self._start(loop)
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait_s, self._start, loop)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running is not None:
            return
        self._refuse_stale(loop.time())
        taken, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
        live = [(item, future) for item, future, _ in taken if not future.done()]  # callers gone: skipped
        if not live:
            self._schedule(loop)
            return
        self._running = loop.create_task(self._answer(live))
        self._running.add_done_callback(lambda _: self._finished(loop))

    def _refuse_stale(self, now: float) -> None:
        """Refuse the lookups at the head of the queue that have waited too long (oldest first)."""
        stale = 0
        while stale < len(self._pending) and now - self._pending[stale][2] > self.max_queue_wait_s:
            stale += 1
        if not stale:
            return
        refused, self._pending = self._pending[:stale], self._pending[stale:]
        for _, future, _ in refused:
            if not future.done():
                future.set_exception(UnavailableError(
                    f"the server is busy (this lookup waited over {self.max_queue_wait_s:g} s in this "
                    "worker's queue); retry shortly"))

    def _finished(self, loop: asyncio.AbstractEventLoop) -> None:
        self._running = None
        self._schedule(loop)  # what queued meanwhile forms the next batch

    async def _answer(self, live: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await anyio.to_thread.run_sync(self._run, [item for item, _ in live])
        except BaseException as error:  # the whole batch failed: each caller gets the error
            for _, future in live:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for (_, future), result in zip(live, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, []
        for _, future, _ in pending:
            future.cancel()
        if self._running is not None:
            self._running.cancel()
            await asyncio.gather(self._running, return_exceptions=True)
            self._running = None
