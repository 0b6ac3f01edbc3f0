"""Rows of a large token table on disk, read into a cache of fixed size instead of mapped.

The quick pass's table (:mod:`assist.encoders.usem.static`, 131 MB) and the full model's
quantised embeddings (64 MB) are memory-mapped files with one row per vocabulary token.
Gathering rows from a mapping maps each page touched into the process, and Linux maps up to
64 KB of already cached file around every fault ("fault-around"), so a long batch run's
resident memory grew with every token it met for the first time: measured on the
evaluation workers, 79 → 116 MB of mapped file each over 200,000 lines while their other
memory stayed flat, about 56 KB per new token. :class:`TableRows` reads each missing row
with one ``pread`` into an LRU cache of at most :data:`CACHED_ROWS` rows, so that memory
is bounded by the cache, not by the vocabulary the input happens to use.
"""

from __future__ import annotations

import os
import threading
import weakref

import numpy as np

CACHED_ROWS = 16_384
"""Rows kept (1 KB each for the quick pass's table, 512 bytes for the full model's)."""


class TableRows:
    """``table[ids]`` of a 2-D table, read without mapping it when it is a file mapping.

    Rows read from the file are the same bytes a gather would return. An in-memory table
    is gathered directly. Safe to share between threads.
    """

    def __init__(self, table: np.ndarray, capacity: int = CACHED_ROWS) -> None:
        self.table = table
        self.shape = table.shape
        self._fd: int | None = None
        filename = getattr(table, "filename", None)
        if isinstance(table, np.memmap) and filename and table.flags.c_contiguous and table.ndim == 2:
            self._fd = os.open(filename, os.O_RDONLY)
            weakref.finalize(self, os.close, self._fd)
            self._offset = int(table.offset)
            self._row_bytes = int(table.strides[0])
            self._capacity = capacity
            self._slot = np.full(table.shape[0], -1, dtype=np.int64)
            self._token_in = np.full(capacity, -1, dtype=np.int64)
            self._last_use = np.zeros(capacity, dtype=np.int64)
            self._rows = np.zeros((capacity, table.shape[1]), dtype=table.dtype)
            self._used = 0
            self._uses = 0
            self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        return {"table": np.asarray(self.table), "capacity": getattr(self, "_capacity", CACHED_ROWS)}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["table"], state["capacity"])  # type: ignore[misc]

    def take(self, ids: np.ndarray) -> np.ndarray:
        """The rows of ``ids``, one per id, as a new array."""
        if self._fd is None:
            return self.table[ids]
        ids = np.asarray(ids, dtype=np.int64)
        with self._lock:
            self._uses += 1
            slots = self._slot[ids]
            if slots.min(initial=0) < 0:
                self._last_use[slots[slots >= 0]] = self._uses
                missing = np.unique(ids[slots < 0])
                places = self._places(missing.size)
                if places.size < missing.size:  # more new rows than the cache holds: read them all
                    return np.stack([self._read(int(token)) for token in ids.tolist()])
                evicted = self._token_in[places]
                self._slot[evicted[evicted >= 0]] = -1
                for token, place in zip(missing.tolist(), places.tolist(), strict=True):
                    self._rows[place] = self._read(token)
                self._slot[missing] = places
                self._token_in[places] = missing
                slots = self._slot[ids]
            self._last_use[slots] = self._uses
            return self._rows[slots]

    def _read(self, token: int) -> np.ndarray:
        assert self._fd is not None
        data = os.pread(self._fd, self._row_bytes, self._offset + token * self._row_bytes)
        return np.frombuffer(data, dtype=self.table.dtype)

    def _places(self, wanted: int) -> np.ndarray:
        """Up to ``wanted`` slots: free ones first, then the least recently used, never one
        this call uses."""
        free = np.arange(self._used, min(self._used + wanted, self._capacity))
        self._used += free.size
        short = wanted - free.size
        if short <= 0:
            return free
        stale = np.flatnonzero(self._last_use[: self._used - free.size] < self._uses)
        if stale.size > short:
            stale = stale[np.argpartition(self._last_use[stale], short - 1)[:short]]
        return np.concatenate([free, stale])
