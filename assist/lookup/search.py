"""Hybrid search: dense neighbours (exact, or FAISS HNSW) fused with character n-gram BM25.

The dense side finds paraphrases and cross-language matches; the lexical side
keeps exact keywords (「U盾」「安全账户」) from being lost. The candidates of a
query are its dense neighbours and its best lexical matches; each is scored on
both signals, ``dense_weight * cosine + lexical_weight * normalised BM25``.

A whole batch is searched with array operations: the result is one table of
candidates per query (:class:`Candidates`), not Python objects per example.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

from assist.indexing.store import LoadedIndex

DENSE_NEIGHBOURS = 64
LEXICAL_NEIGHBOURS = 64
LEXICAL_CELLS_PER_CHUNK = 1 << 22
"""BM25 scores are computed for this many (query, example) cells at a time, which
bounds the memory of a batch against a large library (16 MB of float32)."""


@dataclass(frozen=True)
class FusionWeights:
    dense: float = 0.6
    lexical: float = 0.4


@dataclass(frozen=True)
class ExampleHit:
    row: int
    dense: float
    lexical: float
    fused: float


@dataclass(frozen=True)
class Candidates:
    """Candidate examples of a batch of queries, one row per query.

    ``rows`` holds example rows (``-1`` pads a query with fewer candidates); the
    other arrays hold each candidate's scores, ``fused`` is ``-inf`` at padding.
    """

    rows: np.ndarray  # (n_queries, width) int64
    dense: np.ndarray  # (n_queries, width) float32
    lexical: np.ndarray  # (n_queries, width) float32
    fused: np.ndarray  # (n_queries, width) float64

    def hit(self, query: int, column: int) -> ExampleHit:
        return ExampleHit(
            int(self.rows[query, column]), float(self.dense[query, column]),
            float(self.lexical[query, column]), float(self.fused[query, column]),
        )


def dense_neighbours(index: LoadedIndex, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """FAISS top-k inner products for a batch of query vectors.

    An HNSW index is searched with a candidate list as long as the ``k`` neighbours asked for:
    FAISS searches with the longer of its ``efSearch`` and ``k``, so asking fewer neighbours than
    ``efSearch`` shortens the list to ``k`` (its cost is about proportional to that length)."""
    k = max(1, min(k, index.dense.ntotal))
    queries = np.ascontiguousarray(vectors, dtype=np.float32)
    hnsw = getattr(index.dense, "hnsw", None)
    if hnsw is not None and k < hnsw.efSearch:
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # missing from faiss's stub
        params.efSearch = k
        sims, rows = index.dense.search(queries, k, params=params)
    else:
        sims, rows = index.dense.search(queries, k)
    return sims, rows


class LexicalScores:
    """BM25 score tables of a batch's queries, kept by the pass that computed them for a later
    pass over an equal lexical index (:mod:`assist.lookup.cascade`): a query's table row
    depends on that query alone, so the later pass reads the rows of its queries instead of
    scoring them again. Only a batch scored in one chunk is kept (see :data:`LEXICAL_CELLS_PER_CHUNK`).

    Each query's best columns are kept too: :func:`best_columns` picks them from that query's row
    alone, so a later pass given the row would pick the same columns in the same order. Reading
    them spares the later pass the selection."""

    def __init__(self) -> None:
        self.table: np.ndarray | None = None
        """(n_queries, n_docs) float32 scores of the batch last searched, if kept."""
        self.best: np.ndarray | None = None
        """(n_queries, width) int64 columns of each query's best positive scores, as
        :func:`best_columns` picked them (-1 past a query's last), kept with :attr:`table` when the
        library has more than ``width`` documents."""


SELECTION_BLOCKS_PER_PICK = 2
""":func:`best_columns` bounds each row's ``width``-th best score from below by the ``width``-th
best of the maxima of this many times ``width`` blocks of its columns."""


def partitioned_columns(scores: np.ndarray, width: int) -> np.ndarray:
    """(n_rows, width) columns of each row's ``width`` best positive scores, unordered, ``-1`` where
    a row has fewer: ``np.argpartition``'s pick, its zeros dropped (the reference of :func:`best_columns`)."""
    best = np.argpartition(-scores, width - 1, axis=1)[:, :width]
    return np.where(np.take_along_axis(scores, best, axis=1) > 0, best, -1)


def best_columns(scores: np.ndarray, width: int) -> np.ndarray:
    """:func:`partitioned_columns` of float32 ``scores`` (no NaN): the same columns of each row
    (in column order), for about a third of the CPU.

    ``argpartition`` reads and moves every one of a row's 9,000-odd scores. Here the ``width``-th
    best of the maxima of :data:`SELECTION_BLOCKS_PER_PICK` x ``width`` disjoint blocks of a row is
    a floor its ``width``-th best score cannot be under (those ``width`` maxima are ``width``
    scores at or above it), whichever columns the blocks hold. Block ``b`` holds the columns
    ``b``, ``b + blocks``, ``b + 2 x blocks`` and so on, so the maxima are element-wise maxima of
    whole runs of ``blocks`` adjacent scores, which numpy vectorises, and the floor is higher: adjacent
    columns, examples of one script, score alike, so a block of them wasted its maximum. Blocks of
    adjacent columns left some 250 candidates a row on the 20,000 ``lines.py`` lines, these some 85,
    and the selection took about 1.6 times the CPU (twenty-first round, docs/performance.md). Only
    the positive scores at or above the floor are sorted, as one array of (row, score) keys: a non-negative
    float32's bits order as the float does. A row keeps its scores at or above its ``width``-th
    best. Which columns ``argpartition`` keeps among scores tied at its ``width``-th place is its
    own choice: a row with such a tie (about 3 % of the 20,000 ``lines.py`` lines) is picked by
    :func:`partitioned_columns` itself, so every row keeps the very columns it kept before."""
    n_rows, n_columns = scores.shape
    blocks = SELECTION_BLOCKS_PER_PICK * width
    per_block = n_columns // blocks
    if per_block < 2 or scores.dtype != np.float32:
        return partitioned_columns(scores, width)
    scores = np.ascontiguousarray(scores)
    maxima = scores[:, : per_block * blocks].reshape(n_rows, per_block, blocks).max(axis=1)
    floor = np.partition(maxima, blocks - width, axis=1)[:, blocks - width]
    # At least the smallest positive float32: only positive scores are candidates.
    floor = np.maximum(floor, np.finfo(np.float32).smallest_subnormal)
    cells = np.flatnonzero(scores >= floor[:, None])
    rows = cells // n_columns
    # Each candidate's score bits, inverted so that a smaller key is a better score.
    inverted = (np.uint32(0xFFFFFFFF) - scores.ravel()[cells].view(np.uint32)).astype(np.uint64)
    keys = (rows.astype(np.uint64) << np.uint64(32)) | inverted
    keys.sort()
    counts = np.bincount(rows, minlength=n_rows)
    starts = np.zeros(n_rows, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    ranked = keys & np.uint64(0xFFFFFFFF)
    over = np.flatnonzero(counts > width)
    # Each row's inverted width-th best score; a row with no more candidates keeps them all.
    last = np.full(n_rows, 0xFFFFFFFF, dtype=np.uint64)
    last[over] = ranked[starts[over] + width - 1]
    tied = over[ranked[starts[over] + width] == last[over]]
    keep = inverted <= last[rows]
    if tied.size:
        untied = np.ones(n_rows, dtype=bool)
        untied[tied] = False
        keep &= untied[rows]
    kept_rows = rows[keep]
    kept_starts = np.zeros(n_rows, dtype=np.int64)
    np.cumsum(np.bincount(kept_rows, minlength=n_rows)[:-1], out=kept_starts[1:])
    best = np.full((n_rows, width), -1, dtype=np.int64)
    best[kept_rows, np.arange(kept_rows.size) - kept_starts[kept_rows]] = cells[keep] - kept_rows * n_columns
    if tied.size:
        best[tied] = partitioned_columns(scores[tied], width)
    return best


def lexical_neighbours(
    index: LoadedIndex, texts: list[str], dense_rows: np.ndarray, scored: np.ndarray | None = None,
    keep: LexicalScores | None = None, picked: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """For each query: its best lexical rows with their scores, and the lexical
    score of each of its dense neighbours. Rows without any lexical overlap are -1.

    ``scored``: the queries' BM25 tables, computed before (:class:`LexicalScores`), with ``picked``
    the columns the selection took from them then (:attr:`LexicalScores.best`); ``keep`` takes this
    call's tables and picks when they come in one chunk."""
    n_docs = index.lexical.n_docs
    width = min(LEXICAL_NEIGHBOURS, n_docs)
    top_rows = np.full((len(texts), width), -1, dtype=np.int64)
    top_scores = np.zeros((len(texts), width), dtype=np.float32)
    at_dense = np.zeros(dense_rows.shape, dtype=np.float32)
    chunk = max(1, LEXICAL_CELLS_PER_CHUNK // max(n_docs, 1))
    if keep is not None:
        keep.table = keep.best = None
    for start in range(0, len(texts), chunk):
        stop = min(start + chunk, len(texts))
        scores = scored[start:stop] if scored is not None else index.lexical.scores_batch(texts[start:stop])
        whole = start == 0 and stop == len(texts)
        if keep is not None and whole:
            keep.table = scores
        if width < n_docs and picked is not None:
            best = picked[start:stop]
        elif width < n_docs:
            best = best_columns(scores, width)
            if keep is not None and whole:
                keep.best = best
        else:
            best = np.broadcast_to(np.arange(n_docs), (stop - start, n_docs))
        best_scores = np.take_along_axis(scores, np.maximum(best, 0), axis=1)
        top_rows[start:stop] = np.where(best_scores > 0, best, -1)
        top_scores[start:stop] = np.where(best >= 0, best_scores, 0.0)
        block = dense_rows[start:stop]
        at_dense[start:stop] = np.where(
            block >= 0, np.take_along_axis(scores, np.maximum(block, 0), axis=1), 0.0
        )
    return top_rows, top_scores, at_dense


def all_inner_products(index: LoadedIndex, vectors: np.ndarray) -> np.ndarray:
    """Every query's inner product with every stored example, (n_queries, n_examples)."""
    return np.asarray(vectors, dtype=np.float32) @ index.vectors.T


def exact_neighbours(products: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top-``k`` of each row of :func:`all_inner_products`, best first (ties: lower row first)."""
    k = max(1, min(k, products.shape[1]))
    if k < products.shape[1]:
        top = np.argpartition(-products, k - 1, axis=1)[:, :k]
    else:
        top = np.broadcast_to(np.arange(products.shape[1]), products.shape)
    top = np.sort(top, axis=1)
    sims = np.take_along_axis(products, top, axis=1)
    order = np.argsort(-sims, axis=1, kind="stable")
    return np.take_along_axis(sims, order, axis=1), np.take_along_axis(top, order, axis=1)


def dense_search(index: LoadedIndex, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Top-``k`` neighbours of each query: exact from :func:`all_inner_products` for a flat
    index (returned too), FAISS's own search for an approximate one (None)."""
    if index.manifest.index_type != "flat":
        return (*dense_neighbours(index, vectors, k), None)
    products = all_inner_products(index, vectors)
    return (*exact_neighbours(products, k), products)


def search_batch(
    index: LoadedIndex, vectors: np.ndarray, texts: list[str], weights: FusionWeights,
    scored: np.ndarray | None = None, keep: LexicalScores | None = None, picked: np.ndarray | None = None,
    dense_k: int | None = None,
) -> Candidates:
    """Dense and lexical candidates of every query of a batch, scored on both signals
    (``scored``, ``keep`` and ``picked``: the BM25 tables, as :func:`lexical_neighbours` takes them;
    ``dense_k``: the dense neighbours asked for, :data:`DENSE_NEIGHBOURS` unless given).

    A long batch is searched in slices of queries, so that its (query, example)
    score tables stay within :data:`LEXICAL_CELLS_PER_CHUNK` cells whatever its length.
    """
    step = max(1, LEXICAL_CELLS_PER_CHUNK // max(index.dense.ntotal, 1))
    if len(texts) <= step:
        return _search_slice(index, vectors, texts, weights, scored, keep, picked, dense_k)
    if keep is not None:
        keep.table = keep.best = None
    parts = [
        _search_slice(index, vectors[start : start + step], texts[start : start + step], weights,
                      scored[start : start + step] if scored is not None else None, None,
                      picked[start : start + step] if picked is not None else None, dense_k)
        for start in range(0, len(texts), step)
    ]
    return Candidates(*(np.concatenate([getattr(part, name) for part in parts]) for name in _CANDIDATE_ARRAYS))


_CANDIDATE_ARRAYS = ("rows", "dense", "lexical", "fused")


def among_dense(lexical_rows: np.ndarray, dense_rows: np.ndarray) -> np.ndarray:
    """Which of each query's lexical rows are among its dense rows (a padding ``-1`` never is):
    one table of the rows each query's dense side holds, read at its lexical rows. Comparing every
    lexical row with every dense one (64 x 64 a query) cost about three times as much."""
    width = int(max(dense_rows.max(initial=0), lexical_rows.max(initial=0))) + 1  # >= 1: a padded row reads column 0
    held = np.zeros((len(dense_rows), width), dtype=bool)
    queries, columns = np.nonzero(dense_rows >= 0)
    held[queries, dense_rows[queries, columns]] = True
    return (lexical_rows >= 0) & np.take_along_axis(held, np.maximum(lexical_rows, 0), axis=1)


COSINE_QUERIES = 16
"""Queries whose candidates' vectors :func:`candidate_cosines` gathers at a time: 16 x 64
vectors of 512 floats (2 MB) stay in cache for the product, where a batch's (256 x 64) were
read back from memory, about 40 % of that step's CPU."""


def candidate_cosines(vectors: np.ndarray, rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """(n_queries, width) inner products of each query with the stored vectors of its candidate
    ``rows`` (a padding -1 reads row 0), by one einsum per :data:`COSINE_QUERIES` queries: each
    product is the same sum over the same dimensions as one einsum over the batch, the same bits."""
    out = np.empty(rows.shape, dtype=np.float32)
    for start in range(0, len(rows), COSINE_QUERIES):
        stop = start + COSINE_QUERIES
        out[start:stop] = np.einsum("qcd,qd->qc", vectors[np.maximum(rows[start:stop], 0)], queries[start:stop])
    return out


def _search_slice(
    index: LoadedIndex, vectors: np.ndarray, texts: list[str], weights: FusionWeights,
    scored: np.ndarray | None = None, keep: LexicalScores | None = None, picked: np.ndarray | None = None,
    dense_k: int | None = None,
) -> Candidates:
    """:func:`search_batch` of a slice short enough to score against every example at once.

    Up to :data:`assist.indexing.store.APPROXIMATE_ABOVE` examples the index is flat,
    and one product of the queries with every example gives both the dense
    neighbours and the cosine of each lexical candidate, where FAISS would find the
    former and a gather of the candidates' vectors the latter (about 0.14 ms of a
    batched utterance's ~1 ms).
    """
    dense_sims, dense_rows, products = dense_search(index, vectors, DENSE_NEIGHBOURS if dense_k is None else dense_k)
    dense_rows = dense_rows.astype(np.int64)
    lexical_rows, lexical_scores, lexical_at_dense = lexical_neighbours(index, texts, dense_rows, scored, keep, picked)
    # A lexical match already among the dense neighbours is kept once, on the dense side.
    lexical_rows = np.where(among_dense(lexical_rows, dense_rows), -1, lexical_rows)
    if products is not None:
        lexical_dense = np.take_along_axis(products, np.maximum(lexical_rows, 0), axis=1)
    else:
        lexical_dense = candidate_cosines(index.vectors, lexical_rows, np.asarray(vectors, dtype=np.float32))
    rows = np.concatenate([dense_rows, lexical_rows], axis=1)
    dense = np.concatenate([dense_sims, lexical_dense], axis=1).astype(np.float32)
    lexical = np.concatenate([lexical_at_dense, lexical_scores], axis=1)
    fused = weights.dense * dense.astype(np.float64) + weights.lexical * lexical.astype(np.float64)
    fused[rows < 0] = -np.inf
    dense[rows < 0] = 0.0
    lexical[rows < 0] = 0.0
    return Candidates(rows, dense, lexical, fused)
