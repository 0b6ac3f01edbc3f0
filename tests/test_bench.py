"""The benchmark's own measuring helpers (the figures themselves come from ``assist bench``)."""

from __future__ import annotations

import os
import subprocess
import sys

from assist.bench import percentile, tree_rss_mb

HOLD_50_MB = "import sys, time; block = bytearray(50_000_000); print('ready', flush=True); time.sleep(30)"


def test_tree_memory_counts_the_workers() -> None:
    alone = tree_rss_mb(os.getpid())
    assert alone > 0
    child = subprocess.Popen([sys.executable, "-c", HOLD_50_MB], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert tree_rss_mb(os.getpid()) >= alone + 45
    finally:
        child.kill()
        child.wait()


def test_percentiles_pick_observed_values() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) in (50.0, 51.0)
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
