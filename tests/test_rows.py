"""Rows of a memory-mapped table come from a bounded cache, bit for bit the rows of a gather."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from assist.encoders.rows import TableRows


def mapped_table(tmp_path: Path, rows: int = 500, width: int = 8) -> np.ndarray:
    table = np.random.default_rng(0).standard_normal((rows, width)).astype(np.float16)
    np.save(tmp_path / "table.npy", table)
    return np.load(tmp_path / "table.npy", mmap_mode="r")


def test_rows_equal_a_gather_through_evictions(tmp_path: Path) -> None:
    table = mapped_table(tmp_path)
    rows = TableRows(table, capacity=32)
    rng = np.random.default_rng(1)
    for _ in range(200):
        ids = rng.integers(0, table.shape[0], size=int(rng.integers(1, 20)))
        assert np.array_equal(rows.take(ids), np.asarray(table[ids]))
    assert rows._used == 32  # the cache never grew past its capacity


def test_more_new_rows_than_the_cache_holds(tmp_path: Path) -> None:
    table = mapped_table(tmp_path)
    rows = TableRows(table, capacity=4)
    ids = np.array([5, 9, 5, 100, 7, 3, 400])
    assert np.array_equal(rows.take(ids), np.asarray(table[ids]))


def test_an_in_memory_table_is_gathered_and_a_mapped_one_pickles(tmp_path: Path) -> None:
    table = mapped_table(tmp_path)
    ids = np.array([1, 2, 3])
    in_memory = TableRows(np.asarray(table).copy())
    assert np.array_equal(in_memory.take(ids), table[ids])
    copied = pickle.loads(pickle.dumps(TableRows(table)))
    assert np.array_equal(copied.take(ids), table[ids])
