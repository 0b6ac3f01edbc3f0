"""Where the wall clock of ``assist evaluate`` goes: a timeline of one run, by process.

Runs ``assist evaluate ARGS...`` in this process with a few functions wrapped to note, in
wall-clock seconds since start and in each process's own CPU seconds: when the worker pool
starts (the fork), each batch a worker runs (start, end, pid), the end of the lookups in
the parent, the gap sample's embedding and the gap report. It prints the phases, each
worker's busy span and idle time, how long the parent runs alone after the last batch, and
for each phase of the run (start-up until the first batch, the lookups, the tail after the last
lookup batch) its wall time, the CPU each kind of process spent in it, and the core-seconds left
idle (cores times the phase's wall, less the CPU spent in it by this run's processes).

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


def process_age() -> float:
    """Wall seconds since this process started (the interpreter's own start-up, before ``START``);
    0 where ``/proc`` does not say."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))


BEFORE_START = process_age()
"""Wall seconds the interpreter ran before ``START`` (its CPU is in the parent's process time)."""


def note(event: str, start: float, end: float, cpu: float) -> None:
    """One line per event, appended (short writes to a file opened for appending do not interleave):
    the process, the event, its start and end, its CPU and the process's whole CPU at its end."""
    with EVENTS.open("a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()}\t{event}\t{start - START:.4f}\t{end - START:.4f}\t{cpu:.4f}\t"
                     f"{time.process_time():.4f}\n")


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
    from assist.batch import terms

    terms._load_segmenter = timed("segmenter", terms._load_segmenter)  # type: ignore[assignment]
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
    for pid, event, start, end, cpu, _ in rows:
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
    parent_batches = [(float(s), float(e), float(c)) for pid, ev, s, e, c, _ in rows if ev == "batch" and pid == parent]
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
    phases(rows, parent, total, times.user + times.system)


def phases(rows: list[list[str]], parent: str, total: float, parent_cpu: float) -> None:
    """Each phase's wall, the CPU spent in it by the parent, the workers and the other forked
    processes (the term service), and the core-seconds left idle. The parent's CPU in a phase is
    the difference of its whole CPU at the phase's bounds (noted at the end of each of its events);
    a child's events count in the phase where they end."""
    out = sys.stderr
    lookups = [(float(s), float(e)) for pid, ev, s, e, _, _ in rows
               if pid != parent and ev.startswith("batch") and ev != "batch:encode_texts"]
    if not lookups:
        return
    first = min(s for s, _ in lookups)
    maps = sorted(float(e) for pid, ev, _, e, _, _ in rows if pid == parent and ev == "map")
    last = maps[0] if maps else max(e for _, e in lookups)  # the parent holds every lookup's result
    marks = sorted((float(e), float(whole)) for pid, _, _, e, _, whole in rows if pid == parent)

    def parent_at(moment: float) -> float:
        """The parent's whole CPU at its last event ending by ``moment``."""
        seen = [whole for end, whole in marks if end <= moment + 1e-3]
        return seen[-1] if seen else 0.0

    cores = os.cpu_count() or 1
    bounds = [("start-up (to the first batch)", -BEFORE_START, first),
              ("lookups (to the last result)", first, last), ("tail", last, total)]
    out.write(f"phase                          wall    parent  workers   others   idle core-s (of {cores} cores)\n")
    for name, begin, end in bounds:
        mine = (parent_cpu if end == total else parent_at(end)) - (0.0 if begin < 0 else parent_at(begin))
        workers = sum(float(c) for pid, ev, _, e, c, _ in rows
                      if pid != parent and ev.startswith("batch") and begin < float(e) <= end)
        others = sum(float(c) for pid, ev, _, e, c, _ in rows
                     if pid != parent and not ev.startswith("batch") and begin < float(e) <= end)
        wall = end - begin
        out.write(f"{name:<30} {wall:5.2f} s  {mine:6.2f}  {workers:7.2f}  {others:7.2f}   "
                  f"{cores * wall - mine - workers - others:6.2f}\n")


def main() -> None:
    install()
    from assist.cli.app import app

    try:
        app(["evaluate", *sys.argv[1:]], standalone_mode=False)
    finally:
        summarise()


if __name__ == "__main__":
    main()
