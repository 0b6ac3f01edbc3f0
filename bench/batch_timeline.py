"""Where the wall clock of ``assist evaluate`` goes: a timeline of one run, by process.

Runs ``assist evaluate ARGS...`` in this process with a few functions wrapped to note, in
wall-clock seconds since start and in each process's own CPU seconds: when the worker pool
starts (the fork), each batch a worker runs (start, end, pid), the end of the lookups in
the parent, the gap sample's embedding and the gap report. It prints the phases, each
worker's busy span and idle time, and how long the parent runs alone after the last batch.

    python bench/batch_timeline.py /tmp/lines_20k.jsonl --json > /dev/null

The run's own output goes to stdout as usual; the timeline goes to stderr.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.perf_counter()
EVENTS = Path(tempfile.mkstemp(prefix="assist_timeline_", suffix=".tsv")[1])


def note(event: str, start: float, end: float, cpu: float) -> None:
    """One line per event, appended (short writes to a file opened for appending do not interleave)."""
    with EVENTS.open("a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()}\t{event}\t{start - START:.4f}\t{end - START:.4f}\t{cpu:.4f}\n")


def timed(event: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            note(event, start, time.perf_counter(), time.process_time() - cpu)

    return wrapper


def timed_generator(event: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A generator function's whole life, from the call to exhaustion."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            yield from function(*args, **kwargs)
        finally:
            note(event, start, time.perf_counter(), time.process_time() - cpu)

    return wrapper


def install() -> None:
    from assist.batch import gaps, parallel, runner

    parallel.WorkerPool._started = timed("fork", parallel.WorkerPool._started)  # type: ignore[method-assign]
    parallel.WorkerPool.map = timed_generator("map", parallel.WorkerPool.map)  # type: ignore[method-assign]
    # Pickled by reference: a forked worker finds the wrapper under the same name.
    run = parallel._run

    def job_run(job: Any, batch: Any) -> Any:
        name = getattr(getattr(job, "func", job), "__name__", "job")
        return timed(f"batch:{name}", run)(job, batch)

    job_run.__module__, job_run.__qualname__ = run.__module__, run.__qualname__
    parallel._run = job_run  # type: ignore[assignment]
    parallel._in_process = timed("batch", parallel._in_process)  # type: ignore[assignment]
    if hasattr(parallel, "_here"):  # this process's own batches beside its workers
        parallel._here = timed("batch", parallel._here)
    gaps.GapSample.embed = timed("embed", gaps.GapSample.embed)  # type: ignore[method-assign]
    gaps.GapCollector.report = timed("gap_report", gaps.GapCollector.report)  # type: ignore[method-assign]
    gaps.cluster_sample = timed("cluster", gaps.cluster_sample)  # type: ignore[assignment]
    gaps.candidate_terms = timed("terms", gaps.candidate_terms)  # type: ignore[assignment]
    parallel.WorkerPool.close = timed("close", parallel.WorkerPool.close)  # type: ignore[method-assign]
    runner.run_local = timed("run_local", runner.run_local)  # type: ignore[assignment]
    from assist.cli import batch

    batch.load_assistant = timed("load_assistant", batch.load_assistant)  # type: ignore[assignment]


def summarise() -> None:
    rows = [line.split("\t") for line in EVENTS.read_text(encoding="utf-8").splitlines()]
    EVENTS.unlink()
    parent = str(os.getpid())
    out = sys.stderr
    per_worker: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    jobs: dict[str, list[float]] = defaultdict(list)
    for pid, event, start, end, cpu in rows:
        if event.startswith("batch") and pid != parent:
            per_worker[pid].append((float(start), float(end), float(cpu)))
            jobs[event].append(float(cpu))
        elif pid == parent and event != "batch":
            out.write(f"parent {event:<15} {float(start):7.2f} -> {float(end):7.2f} s  "
                      f"({float(end) - float(start):5.2f} s wall, {float(cpu):5.2f} CPU-s)\n")
    for event, cpus in sorted(jobs.items()):
        ordered = sorted(cpus)
        out.write(f"{event}: {len(cpus)} jobs, {sum(cpus):.2f} CPU-s, median {ordered[len(ordered) // 2]:.3f}, "
                  f"max {ordered[-1]:.3f}\n")
    for pid, spans in sorted(per_worker.items()):
        out.write(f"worker {pid}: first jobs' CPU-s {', '.join(f'{c:.3f}' for _, _, c in sorted(spans)[:3])}\n")
    parent_batches = [(float(s), float(e), float(c)) for pid, ev, s, e, c in rows if ev == "batch" and pid == parent]
    if parent_batches:
        per_worker["parent"] = parent_batches
    last = 0.0
    for pid, spans in sorted(per_worker.items()):
        first, final = min(s for s, _, _ in spans), max(e for _, e, _ in spans)
        busy = sum(e - s for s, e, _ in spans)
        cpu = sum(c for _, _, c in spans)
        last = max(last, final)
        out.write(f"worker {pid}: {len(spans)} batches, {first:.2f} -> {final:.2f} s, "
                  f"busy {busy:.2f} s wall, {cpu:.2f} CPU-s, idle in span {final - first - busy:.2f} s\n")
    total = time.perf_counter() - START
    times = os.times()
    out.write(f"last batch ends {last:.2f} s; run ends {total:.2f} s (parent alone after it: {total - last:.2f} s)\n")
    out.write(f"ends at {time.time():.3f} (epoch)\n")
    out.write(f"CPU-s: this process {times.user + times.system:.2f}, "
              f"children {times.children_user + times.children_system:.2f}\n")


def main() -> None:
    install()
    from assist.cli.app import app

    try:
        app(["evaluate", *sys.argv[1:]], standalone_mode=False)
    finally:
        summarise()


if __name__ == "__main__":
    main()
