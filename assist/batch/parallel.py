"""Batch lookups spread over worker processes, for evaluating large files.

One process cannot keep two cores busy on a batch: only the matrix products
can run on a second core, while tokenising, lexical scoring, ranking, the rule
pins and rendering run in Python on one. Worker processes each take whole
batches on one thread, so every step runs on every core; on the 2-core
benchmark machine two workers evaluate about 1.4 to 1.6 times as many
utterances a second as one process (see ``assist bench``).

On Linux, workers are forked from the process that has already loaded the
assistant, so they start at once with its library, index, model and thresholds
(copy-on-write: nothing is loaded twice). Elsewhere, or when this process runs
other threads (a fork copies only the calling thread, and a lock another one held
stays held in the child), they are started fresh (``spawn``) and load the same
library, index and model from disk, about a second more before the first batch.

A forked worker first limits every thread pool to one thread: GNU OpenMP's pool
(FAISS and its BLAS) does not survive a fork, and a child of a process that ran an
OpenMP parallel region hangs at its first region on more than one thread. It then
runs every job inside :func:`assist.encoders.threads.capped_blas_threads` ``(1)``,
as a spawned worker's model does with ``ASSIST_BLAS_THREADS=1``, so both compute
the same bits. Only texts and results cross between processes.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Literal, TypeVar

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

StartMethod = Literal["auto", "fork", "spawn"]
"""How a pool starts its workers: ``auto`` forks where :func:`fork_is_safe`, else spawns."""

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

    def __init__(self, assistant: Assistant, workers: int, *, top_k: int = 3, start: StartMethod = "auto") -> None:
        self.assistant = assistant
        self.workers = workers if assistant.source is not None else 1
        self.top_k = top_k
        self.start = start
        self.forked = False
        """Whether the workers were forked from this process (set when they start)."""
        self._pool: Pool | None = None

    def begin(self) -> WorkerPool:
        """Start the worker processes now (e.g. before this process starts a thread, which
        would rule out forking them); :meth:`map` otherwise starts them at its first batch."""
        if self.workers > 1:
            self._started()
        return self

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
                yield _in_process(job, self.assistant, batch)
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

            self.forked = self.start == "fork" or (self.start == "auto" and fork_is_safe())
            if self.forked:
                warm_pins(self.assistant)
                self._pool = multiprocessing.get_context("fork").Pool(
                    self.workers, initializer=_start_forked_worker, initargs=(self.assistant, self.top_k))
                return self._pool
            context = multiprocessing.get_context("spawn")
            source = self.assistant.source
            assert source is not None
            self._pool = context.Pool(self.workers, initializer=_start_worker,
                                      initargs=(source, self.assistant.threshold, self.top_k,
                                                self.assistant.thresholds, self.assistant.margins))
        return self._pool


def warm_pins(assistant: Assistant) -> None:
    """Build the customer rules' indexes (phrase automaton, regex prefilter), their regexes and
    the scam signal here, once, before the workers are forked, rather than in every worker at its first batch
    (about 0.4 s of CPU each). Both are Python and RE2 state, the signal's arrays read from its
    cache: no OpenMP region runs here, so forking stays safe (a signal not yet cached is trained
    here once, with numpy's OpenBLAS, built on pthreads, not in every worker); what they answer
    does not depend on where they were built."""
    from assist.lookup.pins import FRAUD, has_parts, shipped_signal

    assistant.rules.hits("转账", audience="customer")
    assistant.rules.warm("customer")
    if FRAUD in assistant.variants.scenarios and has_parts(assistant.rules):
        shipped_signal()


def fork_is_safe() -> bool:
    """Whether worker processes may be forked from this one: on Linux (elsewhere system
    libraries such as macOS's do not support it), and only while no other thread runs here."""
    import multiprocessing
    import sys
    import threading

    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


REUSED_BELOW = 64 << 20
"""Allocations up to this size come from (and go back to) a worker's heap (see :func:`reuse_freed_memory`)."""
KEPT_FREE = 128 << 20
"""Free memory at the top of a worker's heap kept for the next batch rather than given back."""


def reuse_freed_memory() -> None:
    """Make glibc keep the memory a batch frees for the next batch, in this worker.

    A batch's score tables (256 queries times the library's examples, in float64: 7.7 MB on
    the shipped library) are above glibc's threshold for memory mapped on its own, so each
    was mapped, touched page by page and given back, every batch: 270,000 page faults and
    0.7-1.1 s of kernel time per 20,000 lookups. With the threshold above the largest table
    (the lexical scores are computed in chunks of at most 32 MB) and the heap's free top kept,
    the same memory serves every batch: 52,000 faults, 0.2 s of kernel time, and the
    numerical work runs 8 % faster on warm pages. The bits are the same. Nothing happens
    where the C library has no ``mallopt`` (not glibc)."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, REUSED_BELOW)
    mallopt(_M_TRIM_THRESHOLD, KEPT_FREE)


_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter numbers (malloc.h)."""


def _one_thread_each() -> None:
    """Every numerical library on one thread in this worker (see the module's docstring), and
    freed memory kept for the next batch (:func:`reuse_freed_memory`)."""
    reuse_freed_memory()
    # Read by assist.encoders.threads for every batch; without it a batch would ask for one
    # BLAS thread per core in each worker, and the workers' threads would contend.
    os.environ["ASSIST_BLAS_THREADS"] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _start_forked_worker(assistant: Assistant, top_k: int) -> None:
    """A forked worker: the parent's assistant as it is (thresholds and margins included),
    with one thread for every pool, set before anything here may start a parallel region."""
    global _worker
    _one_thread_each()
    _worker = (assistant, None, top_k)


def _start_worker(
    source: AssistantSource, threshold: float, top_k: int, thresholds: dict[str, float] | None = None,
    margins: dict[str, float] | None = None,
) -> None:
    """Load the assistant in a worker, on one thread for every numerical library, with the
    parent's abstention thresholds and redirect margins per language (loading with a given
    ``threshold`` leaves those out, and the worker would abstain otherwise than the parent)."""
    global _worker
    os.environ["ASSIST_BLAS_THREADS"] = "1"  # before loading: the model then wants no helper thread
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
    _one_thread_each()
    _worker = (assistant, None, top_k)


def _suggest(texts: list[str]) -> list[Suggestion]:
    from assist.encoders.threads import capped_blas_threads

    assistant, error, top_k = _worker
    if error is not None:
        raise error
    assert assistant is not None, "called outside a worker started by suggest_batches"
    with capped_blas_threads(1):
        return assistant.suggest_many(texts, top_k=top_k)


def _in_process(job: Callable[[Assistant, B], R], assistant: Assistant, batch: B) -> R:
    """``job`` in this process as a worker runs it (:func:`_run`): on one thread for every
    numerical library, OpenMP's and BLAS's pools included, restored after the job.

    Products on one thread and on two differ in their last bits, so a batch run here on
    every core could score otherwise than in a worker (one line of 20,000 did, 0.4952
    against 0.4953): one worker and two now give the same run. It also spares the CPU the
    idle helper threads spend waiting for work beside a batch that is mostly Python."""
    from threadpoolctl import threadpool_limits

    from assist.encoders.threads import capped_blas_threads

    with threadpool_limits(limits=1), capped_blas_threads(1):
        return job(assistant, batch)


def _run(job: Callable[[Assistant, B], R], batch: B) -> R:
    from assist.encoders.threads import capped_blas_threads

    assistant, error, _ = _worker
    if error is not None:
        raise error
    assert assistant is not None, "called outside a worker started by map_batches"
    # One thread, helper threads included: a forked worker's model was loaded by a parent
    # that may use every core (a spawned worker's was loaded for one thread).
    with capped_blas_threads(1):
        return job(assistant, batch)
