"""A cold `assist check` (a fresh process, a draft, the answer), this checkout against a git revision.

    python bench/check_cold.py [--against main] [--runs 7]

An agent's desktop tool that shells out, or a script calling `assist check` per draft, starts a
process for every draft: the rule pack and the semantic signal are read each time. Each round
runs this checkout's `python -m assist check DRAFT` and then the revision's (`git archive` into a
temporary folder), one after the other, so both see the same machine; each side's first run fills
its caches and is not timed (assist/batch/bench_check.py, `check_process`). Prints the median wall
and CPU time (user + system of the process itself) of each side and their ratio, and the load
average before and after. Outside CI: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import subprocess
import tarfile
import tempfile
from pathlib import Path

from assist.batch.bench_check import COLD_DRAFT, check_process

REPO = Path(__file__).resolve().parents[1]


def checkout(revision: str, folder: Path) -> Path:
    """The files of ``revision`` (package and library) written under ``folder``."""
    archive = subprocess.run(["git", "archive", revision, "assist", "scripts_library"], cwd=REPO,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="git revision to time beside this checkout")
    parser.add_argument("--runs", type=int, default=7, help="timed rounds (each side once a round)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="check-cold-") as scratch:
        sides = {"this checkout": REPO}
        if args.against:
            sides[f"at {args.against}"] = checkout(args.against, Path(scratch))
        for code in sides.values():
            check_process(code)  # fills the caches (on a first run ever: trains the signal)
        timed: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        for _ in range(args.runs):
            for name, code in sides.items():
                timed[name].append(check_process(code))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; `assist check {COLD_DRAFT}`, {args.runs} rounds, "
          "each side once a round")
    print("load average before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *load_before, *os.getloadavg()))
    medians = {name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
               for name, runs in timed.items()}
    for name, (wall, cpu) in medians.items():
        print(f"cold check  {name:<22} wall {wall:6.3f} s   CPU {cpu:6.3f} s")
    if args.against:
        (wall, cpu), (old_wall, old_cpu) = medians.values()
        print(f"ratio (at {args.against} / this checkout): wall {old_wall / wall:.1f}x, CPU {old_cpu / cpu:.1f}x")


if __name__ == "__main__":
    main()
