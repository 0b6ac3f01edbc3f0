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
DEFAULT_MAX_BATCH = 32
DEFAULT_MAX_QUEUED = 8 * DEFAULT_MAX_BATCH
"""Past this many lookups waiting, a worker refuses new ones at once (503 + Retry-After) instead
of letting every caller wait out its timeout: an overloaded floor server fails fast and recovers."""
DEFAULT_MAX_QUEUE_WAIT_S = 1.0
"""A worker also refuses a lookup that would wait longer than this behind the queue, as estimated
from the recent time per lookup: on a slow machine 256 waiting lookups can be many seconds."""


class MicroBatcher(Generic[T, R]):
    """Feeds items to ``run`` (called on a thread, one batch at a time) in batches.

    ``run`` returns one result per item, or an exception for an item that failed
    alone; that exception is raised to that item's caller only. With ``max_queued``
    items already waiting, :meth:`submit` raises :class:`UnavailableError` at once.
    """

    def __init__(self, run: Callable[[list[T]], list[R | BaseException]], *,
                 max_wait_s: float = DEFAULT_MAX_WAIT_S, max_batch: int = DEFAULT_MAX_BATCH,
                 max_queued: int = DEFAULT_MAX_QUEUED, max_queue_wait_s: float = DEFAULT_MAX_QUEUE_WAIT_S) -> None:
        self._run = run
        self.max_wait_s = max(0.0, max_wait_s)
        self.max_batch = max(1, max_batch)
        self.max_queued = max(1, max_queued)
        self.max_queue_wait_s = max_queue_wait_s
        self._seconds_per_item = 0.0  # moving average over recent batches
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] | None = None
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._serve(self._queue))
        waiting = self._queue.qsize()
        if waiting >= self.max_queued or (
                waiting >= self.max_batch and waiting * self._seconds_per_item > self.max_queue_wait_s):
            raise UnavailableError(
                f"the server is busy ({self._queue.qsize()} lookups waiting in this worker); retry shortly"
            )
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await future

    async def _serve(self, queue: asyncio.Queue[tuple[T, asyncio.Future[R]]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            deadline = loop.time() + self.max_wait_s
            while len(batch) < self.max_batch:
                if not queue.empty():
                    batch.append(queue.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), remaining))
                except TimeoutError:
                    break
            live = [(item, future) for item, future in batch if not future.done()]
            if not live:
                continue
            started = loop.time()
            try:
                results = await anyio.to_thread.run_sync(self._run, [item for item, _ in live])
            except BaseException as error:  # the whole batch failed: each caller gets the error
                for _, future in live:
                    if not future.done():
                        future.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            per_item = (loop.time() - started) / len(live)
            self._seconds_per_item = per_item if not self._seconds_per_item else (
                0.8 * self._seconds_per_item + 0.2 * per_item)
            for (_, future), result in zip(live, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
