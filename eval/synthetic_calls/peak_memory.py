"""Run a command and report its wall time and the peak resident memory of its whole process tree.

    python eval/synthetic_calls/peak_memory.py [--stdout FILE] -- assist evaluate big.jsonl --json

Samples every 0.2 s the summed RSS of the command and all its descendants (worker
processes included), so the figure is what the machine had to hold, not one process's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import psutil


def main() -> None:
    command = sys.argv[sys.argv.index("--") + 1 :]
    options = sys.argv[1 : sys.argv.index("--")]
    output = open(options[1], "wb") if options[:1] == ["--stdout"] else subprocess.DEVNULL  # noqa: SIM115
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=output)
    root = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            processes = [root, *root.children(recursive=True)]
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, total)
        except psutil.Error:
            pass
        time.sleep(0.2)
    cpu = psutil.Process().cpu_times()
    print(json.dumps({"command": " ".join(command), "exit": child.returncode,
                      "wall_s": round(time.perf_counter() - started, 1), "peak_rss_mb": round(peak / 2**20, 1),
                      "children_cpu_s": round(cpu.children_user + cpu.children_system, 1)}))


if __name__ == "__main__":
    main()
