"""Caches of trained arrays stay bounded: the newest entries and the recently read ones are kept,
the rest dropped when a new entry is written; a read marks an entry used."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from assist.atomic_write import CacheBound, read_sealed_arrays, write_sealed_arrays

NAMES = ("values",)
DAY = 24 * 3600.0


def entry(folder: Path, name: str, age_days: float, keep: CacheBound | None = None) -> Path:
    """An entry written under its own key, then aged by ``age_days``."""
    path = folder / f"{name}.npz"
    write_sealed_arrays(path, name, {"values": np.arange(3)}, NAMES, keep)
    then = time.time() - age_days * DAY
    os.utime(path, (then, then))
    return path


def test_a_write_drops_entries_beyond_the_newest_that_were_not_used_lately(tmp_path: Path) -> None:
    for number, age in enumerate([90, 80, 70, 5, 1]):
        entry(tmp_path, f"old{number}", age)
    fresh = tmp_path / "fresh.npz"
    write_sealed_arrays(fresh, "fresh", {"values": np.arange(3)}, NAMES, CacheBound(2, unused_for=30 * DAY))
    # The newest two (fresh, old4), and old3, modified 5 days ago; the three older than 30 days go.
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == ["fresh.npz", "old3.npz", "old4.npz"]
    assert read_sealed_arrays(fresh, "fresh", NAMES) is not None


def test_an_entry_read_lately_is_kept_however_many_were_written_since(tmp_path: Path) -> None:
    used = entry(tmp_path, "used", 90)
    assert read_sealed_arrays(used, "used", NAMES) is not None  # marks it used now
    for number in range(4):
        entry(tmp_path, f"old{number}", 60 + number)
    write_sealed_arrays(tmp_path / "fresh.npz", "fresh", {"values": np.arange(3)}, NAMES, CacheBound(1))
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == ["fresh.npz", "used.npz"]


def test_without_a_bound_nothing_is_dropped_and_a_failed_read_marks_nothing(tmp_path: Path) -> None:
    for number in range(3):
        entry(tmp_path, f"old{number}", 90)
    write_sealed_arrays(tmp_path / "fresh.npz", "fresh", {"values": np.arange(3)}, NAMES)
    assert len(list(tmp_path.glob("*.npz"))) == 4
    before = (tmp_path / "old0.npz").stat().st_mtime
    assert read_sealed_arrays(tmp_path / "old0.npz", "another key", NAMES) is None
    assert (tmp_path / "old0.npz").stat().st_mtime == before
