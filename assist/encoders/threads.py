"""How many BLAS threads numerical work may use, per block of work.

A lookup runs on one thread and a batch on every available core; the count is
one process-wide setting, so changes are serialised (see :data:`_BLAS_SETTING`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from typing import Any

import numpy as np

from assist.encoders.base import Encoder


def cpu_threads() -> int:
    """Threads to use for numerical work: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def blas_threads() -> int:
    """``ASSIST_BLAS_THREADS`` if set to a positive number, else the available cores."""
    configured = os.environ.get("ASSIST_BLAS_THREADS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else cpu_threads()


SMALL_BATCH = 16
"""Batches smaller than this run their numerical work on one BLAS thread."""


@lru_cache(maxsize=1)
def _blas_libraries() -> tuple[Any, ...]:
    """threadpoolctl's controllers of this process's BLAS libraries, found once (a scan
    costs ~0.4 ms)."""
    from threadpoolctl import ThreadpoolController

    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


_BLAS_SETTING = threading.RLock()
"""Held while a block runs with its chosen BLAS thread count. The count is one setting
for the whole process, and products computed on one thread and on two differ in their
last bits: without the lock, one thread's block could restore two threads while
another's lookup is mid-way, and the same utterance could score differently."""


@contextmanager
def _blas_limit(threads: int) -> Iterator[None]:
    """BLAS threads set to ``threads`` inside the block, restored after it; blocks of
    different threads run one at a time (see :data:`_BLAS_SETTING`).

    threadpoolctl's own ``limit`` context re-reads every library's state on each
    entry (~35 µs); a lookup enters twice, so this calls only the get and set of
    the libraries found once, and only where the count differs.

    threadpoolctl (3.8) lets only one Python thread, the first to set a limit,
    change a process-wide OpenBLAS pool, and silently ignores the others: a lookup
    from a server's request thread would run on every BLAS thread, with other bits
    than the same lookup on the main thread. Every change made here is serialised
    by :data:`_BLAS_SETTING`, so the thread holding it takes control first."""
    with _BLAS_SETTING:
        changed = [(lib, lib.get_num_threads()) for lib in _blas_libraries()]
        changed = [(lib, before) for lib, before in changed if before != threads]
        for lib, _ in changed:
            _take_control(lib)
            lib.set_num_threads(threads)
        try:
            yield
        finally:
            for lib, before in changed:
                lib.set_num_threads(before)


def _take_control(lib: Any) -> None:
    """Make the calling thread the one whose limits a threadpoolctl controller obeys
    (controllers of per-thread OpenMP pools, and threadpoolctl before 3.8, have no such notion)."""
    clear = getattr(type(lib), "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


_CAP = threading.local()
"""The innermost :func:`capped_blas_threads` limit of each thread, if any."""


@contextmanager
def capped_blas_threads(limit: int) -> Iterator[None]:
    """At most ``limit`` BLAS threads for the numerical work this thread starts inside the
    block, whatever batch sizes :func:`numeric_threads` is asked for there."""
    outer = thread_cap()
    _CAP.limit = limit if outer is None else min(limit, outer)
    try:
        yield
    finally:
        _CAP.limit = outer


def thread_cap() -> int | None:
    """The innermost :func:`capped_blas_threads` limit on this thread (None outside one):
    it bounds the threads of any numerical work started here, helper threads included."""
    return getattr(_CAP, "limit", None)


def numeric_threads(batch_size: int) -> AbstractContextManager[None]:
    """BLAS threads for the numerical work on a batch: one below :data:`SMALL_BATCH`,
    :func:`blas_threads` from there, never more than an enclosing
    :func:`capped_blas_threads` allows.

    A lookup multiplies a handful of rows, where a second thread saves little
    when the machine is idle and costs a great deal when it is not: on a 2-core
    machine whose other core is busy, OpenBLAS's threads wait for each other
    and one lookup took tens of times longer. Batches are large enough to
    gain from every core.
    """
    wanted = 1 if batch_size < SMALL_BATCH else blas_threads()
    cap = thread_cap()
    return _blas_limit(wanted if cap is None else min(wanted, cap))


def single_blas_thread() -> AbstractContextManager[None]:
    """One BLAS thread inside the block, whatever the batch (see :data:`_BLAS_SETTING`)."""
    return _blas_limit(1)


def encode_on_one_thread(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    """``encoder.encode(texts)`` with its BLAS work on one thread: for work done beside
    other busy processes, such as the gap collector beside evaluation workers, where a
    second BLAS thread would spin against them for a core."""
    with capped_blas_threads(1):
        return encoder.encode(texts)
