"""Hybrid search: FAISS dense neighbours fused with character n-gram BM25.

The dense side finds paraphrases and cross-language matches; the lexical side
keeps exact keywords (「U盾」「安全账户」) from being lost. Each example's fused
score is ``dense_weight * cosine + lexical_weight * normalised BM25``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assist.index_store import LoadedIndex

DENSE_NEIGHBOURS = 64
LEXICAL_NEIGHBOURS = 64


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


def dense_neighbours(index: LoadedIndex, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """FAISS top-k inner products for a batch of query vectors."""
    k = max(1, min(k, index.dense.ntotal))
    sims, rows = index.dense.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
    return sims, rows


def fuse(
    index: LoadedIndex,
    query_vector: np.ndarray,
    dense_sims: np.ndarray,
    dense_rows: np.ndarray,
    lexical_scores: np.ndarray,
    weights: FusionWeights,
) -> list[ExampleHit]:
    """Union of dense and lexical neighbours, each scored on both signals."""
    dense_of = {int(r): float(s) for r, s in zip(dense_rows, dense_sims, strict=True) if r >= 0}
    n = lexical_scores.shape[0]
    if n > LEXICAL_NEIGHBOURS:
        top_lexical = np.argpartition(-lexical_scores, LEXICAL_NEIGHBOURS)[:LEXICAL_NEIGHBOURS]
    else:
        top_lexical = np.arange(n)
    lexical_only = [int(r) for r in top_lexical if lexical_scores[r] > 0 and int(r) not in dense_of]
    if lexical_only:
        sims = index.vectors[lexical_only] @ query_vector
        dense_of.update(zip(lexical_only, sims.tolist(), strict=True))
    hits = [
        ExampleHit(row, dense, float(lexical_scores[row]),
                   weights.dense * dense + weights.lexical * float(lexical_scores[row]))
        for row, dense in dense_of.items()
    ]
    hits.sort(key=lambda h: h.fused, reverse=True)
    return hits


def search_batch(
    index: LoadedIndex, vectors: np.ndarray, texts: list[str], weights: FusionWeights
) -> list[list[ExampleHit]]:
    """Fused example hits for each query of a batch (dense search runs once for all)."""
    sims, rows = dense_neighbours(index, vectors, DENSE_NEIGHBOURS)
    return [
        fuse(index, vectors[i], sims[i], rows[i], index.lexical.scores(text), weights)
        for i, text in enumerate(texts)
    ]
