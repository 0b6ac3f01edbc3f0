"""Lookup CPU of two checkouts on the same lines, alternating, as a ratio (new over old).

    python bench/batch_ab.py LINES.jsonl --old /work/main --new . [--repeats 4] [--lines N]

Runs ``bench/batch_stages.py`` (the lookups of a worker of ``assist evaluate``, one thread, CPU
seconds by stage) once in each checkout per repeat, the order swapped every repeat, each from its
own folder so each reads its own ``index/`` (two code versions sharing one index rewrite its
validated-library snapshot). Prints each run's figures, then the median ratio new / old of the
total and of each stage. The machine is shared: only these ratios, not the seconds, compare
(docs/batch.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any


def run(checkout: Path, lines: Path, count: int | None) -> dict[str, Any]:
    command = [sys.executable, str(checkout / "bench" / "batch_stages.py"), str(lines.resolve())]
    if count is not None:
        command += ["--lines", str(count)]
    env = {**os.environ, "PYTHONPATH": str(checkout), "OPENBLAS_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def median_ratios(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, float]:
    """The median over the repeats of new / old CPU seconds, in total and for each stage old timed
    (repeat i of each side paired; a stage new did not time counts 0)."""
    pairs = list(zip(old, new, strict=True))
    ratios = {"total": statistics.median(float(n["cpu_s"]) / float(o["cpu_s"]) for o, n in pairs)}
    for stage in old[0]["stages_cpu_s"]:
        ratios[stage] = statistics.median(
            float(n["stages_cpu_s"].get(stage, 0.0)) / max(float(o["stages_cpu_s"][stage]), 1e-9) for o, n in pairs)
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=Path)
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--new", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--lines", dest="count", type=int, default=None)
    options = parser.parse_args()
    runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    for repeat in range(options.repeats):
        for side in (("old", "new") if repeat % 2 == 0 else ("new", "old")):
            result = run(getattr(options, side).resolve(), options.lines, options.count)
            runs[side].append(result)
            print(json.dumps({"repeat": repeat, "side": side, "cpu_s": result["cpu_s"],
                              "stages_cpu_s": result["stages_cpu_s"]}), flush=True)
    ratios = median_ratios(runs["old"], runs["new"])
    print(json.dumps({"median_ratio_new_over_old": {name: round(value, 3) for name, value in ratios.items()}}))


if __name__ == "__main__":
    main()
