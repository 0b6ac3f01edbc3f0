"""Batch lookups spread over worker processes, for evaluating large files.

One process cannot keep two cores busy on a batch: only the matrix products
can run on a second core, while tokenising, lexical scoring, ranking, the rule
pins and rendering run in Python on one. Worker processes each take whole
batches on one thread, so every step runs on every core; on the 2-core
benchmark machine two workers evaluate about 1.4 to 1.6 times as many
utterances a second as one process (see ``assist bench``).

Workers are started fresh (``spawn``, on every platform) and load the same
library, index and model from disk, which takes about a second; a forked
worker would inherit the parent's OpenMP thread pool (FAISS's BLAS), which
does not survive a fork. Only texts and suggestions cross between processes.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from assist.errors import AssistError

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

    from assist.lookup.assistant import Assistant, AssistantSource
    from assist.types import Suggestion

IN_FLIGHT_PER_WORKER = 2
"""Batches queued per worker: enough to keep each busy, few enough that a streamed
input is never read far ahead (memory stays bounded by the batch size)."""
PARALLEL_FROM_LINES = 5_000
"""Inputs shorter than this are evaluated in-process: starting the workers (about a
second) would cost more than the second core saves."""

B = TypeVar("B")
R = TypeVar("R")

_worker: tuple[Assistant | None, AssistError | None, int] = (None, None, 3)
"""In a worker process only (set by :func:`_start_worker`): its assistant, or the error
that kept it from loading, and the number of candidates to return."""


def default_workers(lines: int | None) -> int:
    """Workers for an input of ``lines`` lines (None: unknown, e.g. a pipe): one per
    available core when the input is long enough to gain from them."""
    from assist.encoders.threads import cpu_threads

    if lines is not None and lines < PARALLEL_FROM_LINES:
        return 1
    return cpu_threads()


def suggest_batches(
    assistant: Assistant, batches: Iterable[list[str]], *, workers: int = 1, top_k: int = 3
) -> Iterator[list[Suggestion]]:
    """``assistant.suggest_many`` of each batch, in input order, on ``workers`` processes.

    With one worker, or for an assistant that another process cannot load (one
    given an encoder object), the batches run here. An error raised in a worker
    (e.g. an over-long utterance) is raised here.
    """
    if workers <= 1 or assistant.source is None:
        for texts in batches:
            yield assistant.suggest_many(texts, top_k=top_k)
        return
    with WorkerPool(assistant, workers, top_k=top_k) as pool:
        yield from pool._each(batches, _suggest, lambda texts: (texts,))


def map_batches(
    assistant: Assistant, batches: Iterable[B], job: Callable[[Assistant, B], R], *, workers: int = 1
) -> Iterator[R]:
    """``job(assistant, batch)`` of each batch, in input order, on ``workers`` processes (in this
    one as :func:`suggest_batches` says). ``job`` must be picklable (a module-level function, or a
    ``functools.partial`` of one): a worker runs it on its own assistant and only its result
    comes back, so a job that aggregates its batch keeps what crosses between processes small."""
    with WorkerPool(assistant, workers) as pool:
        yield from pool.map(batches, job)


class WorkerPool:
    """Worker processes kept for several :meth:`map` calls (a run's lookups, then its gap
    sample's embedding), so each loads the assistant once. With one worker, or an assistant
    another process cannot load, every job runs in this process. Use as a context manager:
    the processes start at the first :meth:`map` and stop on leaving."""

    def __init__(self, assistant: Assistant, workers: int, *, top_k: int = 3) -> None:
        self.assistant = assistant
        self.workers = workers if assistant.source is not None else 1
        self.top_k = top_k
        self._pool: Pool | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes (a later :meth:`map` runs in this process)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self.workers = 1

    def map(self, batches: Iterable[B], job: Callable[[Assistant, B], R]) -> Iterator[R]:
        """``job(assistant, batch)`` of each batch, in input order (see :func:`map_batches`)."""
        if self.workers <= 1:
            for batch in batches:
                yield job(self.assistant, batch)
            return
        yield from self._each(batches, _run, lambda batch: (job, batch))

    def _each(
        self, batches: Iterable[B], task: Callable[..., R], arguments: Callable[[B], tuple[object, ...]],
    ) -> Iterator[R]:
        pool = self._started()
        pending: deque[AsyncResult[R]] = deque()
        for batch in batches:
            pending.append(pool.apply_async(task, arguments(batch)))
            if len(pending) >= IN_FLIGHT_PER_WORKER * self.workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def _started(self) -> Pool:
        if self._pool is None:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            source = self.assistant.source
            assert source is not None
            self._pool = context.Pool(self.workers, initializer=_start_worker,
                                      initargs=(source, self.assistant.threshold, self.top_k,
                                                self.assistant.thresholds, self.assistant.margins))
        return self._pool


def _start_worker(
    source: AssistantSource, threshold: float, top_k: int, thresholds: dict[str, float] | None = None,
    margins: dict[str, float] | None = None,
) -> None:
    """Load the assistant in a worker, on one thread for every numerical library, with the
    parent's abstention thresholds and redirect margins per language (loading with a given
    ``threshold`` leaves those out, and the worker would abstain otherwise than the parent)."""
    global _worker
    # Read by assist.encoders.base for every batch; without it a batch would ask for one
    # BLAS thread per core in each worker, and the workers' threads would contend.
    os.environ["ASSIST_BLAS_THREADS"] = "1"
    from threadpoolctl import threadpool_limits

    from assist.lookup.assistant import Assistant

    try:
        assistant = Assistant.load(
            source.library, source.model, index_dir=source.index_dir, auto_build=False,
            threshold=threshold, log=lambda _: None,
        )
    except AssistError as error:
        # Raising here would make the pool start a new worker, forever; the error is
        # handed to the first batch instead.
        _worker = (None, error, top_k)
        return
    assistant.thresholds = dict(thresholds or {})
    assistant.margins = dict(margins or {})
    # After loading, so that FAISS's BLAS and OpenMP pool are among the libraries limited.
    threadpool_limits(limits=1)
    _worker = (assistant, None, top_k)


def _suggest(texts: list[str]) -> list[Suggestion]:
    assistant, error, top_k = _worker
    if error is not None:
        raise error
    assert assistant is not None, "called outside a worker started by suggest_batches"
    return assistant.suggest_many(texts, top_k=top_k)


def _run(job: Callable[[Assistant, B], R], batch: B) -> R:
    assistant, error, _ = _worker
    if error is not None:
        raise error
    assert assistant is not None, "called outside a worker started by map_batches"
    return job(assistant, batch)
