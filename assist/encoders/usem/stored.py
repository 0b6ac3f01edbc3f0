"""The full model's per-token work of a library's tokens, kept on disk for later processes.

:meth:`assist.encoders.usem.forward.TokenTable.compute` computes a new token's work one token at a
time, on one BLAS thread, so its bits never depend on the other tokens or on when it runs (about
0.3 ms a token). Each of ``assist evaluate``'s worker processes starts with an empty table and
computed every token its share of the texts brought, the same tokens as the other worker: some
1,000 each on the 20,000 ``lines.py`` lines (docs/performance.md, twenty-eighth round).
``assist build`` keeps the table it filled embedding the library (:func:`save_token_store`, through
``UsemEncoder.keep_token_work``) in the model cache, stamped like the weights' files
(docs/integrity.md); a process maps it (:func:`load_token_store`) and reads a stored token's rows
instead of computing them. A token the library does not hold is computed as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assist.encoders.usem.forward import TokenWork
from assist.encoders.usem.loader import cache_folder, cache_unwritable, read_cache, write_cache

TOKEN_STORE = "tokens"
"""Subfolder of :func:`assist.encoders.usem.loader.cache_folder` holding the store (the weights'
own files are read from that folder alone, so it does not disturb them)."""
_ARRAYS = ("ids", "projected", "products", "folded", "sums")


@dataclass(frozen=True)
class StoredTokens:
    """Per-token work of some tokens, as :meth:`TokenTable.compute` computed it."""

    ids: np.ndarray  # (n,) int64, ascending
    work: TokenWork  # row i: the work of ids[i]

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Each id's row in :attr:`work`, -1 where it is not stored."""
        if not self.ids.size:
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, ids), self.ids.size - 1)
        return np.where(self.ids[at] == ids, at, -1)

    def work_of(self, ids: np.ndarray, compute: Callable[[np.ndarray], TokenWork]) -> TokenWork:
        """The work of ``ids``, one row each, in order: read where stored, computed by ``compute`` for the rest."""
        at = self.rows_of(ids)
        known = at >= 0
        if known.all():
            return self.work.take(at)
        if not known.any():
            return compute(ids)
        read, computed = np.flatnonzero(known), np.flatnonzero(~known)
        parts = TokenWork.stack([self.work.take(at[read]), compute(ids[computed])])
        return parts.take(np.argsort(np.concatenate([read, computed])))


def token_store_folder() -> Path:
    return cache_folder() / TOKEN_STORE


def load_token_store() -> StoredTokens | None:
    """The store, memory-mapped (a process reads the rows of the tokens it meets; forked workers
    share the mapping), or None when there is none or it fails its stamps."""
    arrays = read_cache(token_store_folder(), required="ids", mapped=frozenset(_ARRAYS))
    if arrays is None or set(arrays) != set(_ARRAYS):
        return None
    ids = np.asarray(arrays["ids"], dtype=np.int64)
    work = TokenWork(arrays["projected"], arrays["products"], arrays["folded"], arrays["sums"])
    rows = len(ids)
    if (work.projected.shape[0] != rows or work.products.shape[1] != rows or work.folded.shape[0] != rows
            or work.sums.shape[0] != rows or np.any(np.diff(ids) <= 0)):
        return None
    return StoredTokens(ids, work)


def save_token_store(stored: StoredTokens) -> None:
    """Keep ``stored`` for later processes, replacing what was kept; a cache that cannot be written is
    said once and skipped (the tokens are then computed as before)."""
    folder = token_store_folder()
    work = stored.work
    arrays = {"ids": np.ascontiguousarray(stored.ids, dtype=np.int64),
              "projected": np.ascontiguousarray(work.projected), "products": np.ascontiguousarray(work.products),
              "folded": np.ascontiguousarray(work.folded), "sums": np.ascontiguousarray(work.sums)}
    try:
        write_cache(arrays, folder, required="ids")
    except OSError as error:
        cache_unwritable(folder, error, "model's per-token work")
