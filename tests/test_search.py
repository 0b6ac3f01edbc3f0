"""Hybrid search: the exact path's neighbours and scores are FAISS's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import faiss
import numpy as np
import pytest

from assist import Assistant
from assist.lookup.search import (
    DENSE_NEIGHBOURS,
    all_inner_products,
    among_dense,
    best_columns,
    candidate_cosines,
    dense_neighbours,
    exact_neighbours,
    partitioned_columns,
    search_batch,
)
from assist.text.normalise import normalise
from tests.conftest import HashEncoder


def test_exact_neighbours_are_faiss_flat_search() -> None:
    rng = np.random.default_rng(0)
    stored = rng.standard_normal((300, 16)).astype(np.float32)
    queries = rng.standard_normal((7, 16)).astype(np.float32)
    index = faiss.IndexFlatIP(16)
    index.add(stored)
    expected_sims, expected_rows = index.search(queries, 20)
    sims, rows = exact_neighbours(queries @ stored.T, 20)
    assert np.array_equal(rows, expected_rows)
    assert np.allclose(sims, expected_sims, atol=1e-5)
    sims, rows = exact_neighbours(queries[:1] @ stored[:5].T, 20)  # fewer examples than asked for
    assert rows.shape == (1, 5) and np.all(np.diff(sims[0]) <= 0)


def test_hnsw_is_searched_with_a_candidate_list_as_long_as_the_neighbours_asked_for() -> None:
    rng = np.random.default_rng(1)
    stored = rng.standard_normal((2_000, 16)).astype(np.float32)
    queries = rng.standard_normal((50, 16)).astype(np.float32)
    hnsw = faiss.IndexHNSWFlat(16, 8, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(stored)
    hnsw.hnsw.efSearch = 64
    loaded = SimpleNamespace(dense=hnsw)
    for k in (4, 16, 64, 100):  # fewer, as many and more than efSearch
        hnsw.hnsw.efSearch = max(k, 64)
        sims, rows = dense_neighbours(loaded, queries, k)  # type: ignore[arg-type]
        hnsw.hnsw.efSearch = k  # what FAISS does with the index set to search k candidates
        expected_sims, expected_rows = hnsw.search(queries, k)
        assert np.array_equal(rows, expected_rows) and np.array_equal(sims, expected_sims), k
    hnsw.hnsw.efSearch = 64
    dense_neighbours(loaded, queries, 4)  # type: ignore[arg-type]
    assert hnsw.hnsw.efSearch == 64  # the index's own setting is left as it was


def test_ties_keep_the_lower_row_first() -> None:
    sims, rows = exact_neighbours(np.array([[0.5, 0.9, 0.5, 0.9, 0.1]], dtype=np.float32), 4)
    assert rows.tolist() == [[1, 3, 0, 2]] and np.allclose(sims, [[0.9, 0.9, 0.5, 0.5]])


def test_exact_search_gives_the_candidates_faiss_gives(library_dir: Path) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    index = assistant.index
    assert index.manifest.index_type == "flat"
    texts = [normalise(t) for t in ["我的卡被冻结了", "my card was stolen", "公安让我把钱转到安全账户", ""]]
    vectors = assistant.encoder.encode(texts)
    exact = search_batch(index, vectors, texts, assistant.ranker.weights)
    # The same index read through FAISS's own search, as the approximate path does.
    through_faiss = replace(index, manifest=replace(index.manifest, index_type="hnsw"))
    other = search_batch(through_faiss, vectors, texts, assistant.ranker.weights)
    for query in range(len(texts)):  # the same candidates with the same scores; FAISS orders exact ties its own way
        def scored(found, query=query):  # type: ignore[no-untyped-def]
            return {int(r): (round(float(d), 5), float(w)) for r, d, w in
                    zip(found.rows[query], found.dense[query], found.lexical[query], strict=True) if r >= 0}
        assert scored(exact) == scored(other)
    width = min(DENSE_NEIGHBOURS, index.dense.ntotal)
    assert np.all(np.diff(exact.dense[:, :width], axis=1) <= 1e-6)  # the dense neighbours come best first
    assert all_inner_products(index, vectors).shape == (len(texts), index.dense.ntotal)


def test_a_long_batch_is_searched_in_slices_with_the_same_result(
    library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assist.lookup import search

    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    texts = [normalise(f"我的卡被冻结了 {i}") for i in range(9)] + [normalise("公安让我把钱转到安全账户")]
    vectors = assistant.encoder.encode(texts)
    whole = search_batch(assistant.index, vectors, texts, assistant.ranker.weights)
    monkeypatch.setattr(search, "LEXICAL_CELLS_PER_CHUNK", 3 * assistant.index.dense.ntotal)  # slices of 3 queries
    sliced = search_batch(assistant.index, vectors, texts, assistant.ranker.weights)
    assert np.array_equal(whole.rows, sliced.rows) and np.array_equal(whole.lexical, sliced.lexical)
    # BLAS rounds a product's last bit by the shape of the batch it is part of.
    assert np.allclose(whole.dense, sliced.dense, atol=1e-6)
    assert np.allclose(whole.fused, sliced.fused, atol=1e-6)


def test_bm25_tables_kept_by_one_pass_give_another_pass_its_own_candidates(
    library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full pass of a cascade reads the quick pass's BM25 tables of its (unsure) texts: a
    row depends on its query alone, so a subset's rows read from a whole batch's tables (20
    queries: the sparse product) give every candidate of scoring the subset (3: the bincount)."""
    from assist.lookup import search

    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    texts = [normalise(f"我的卡被冻结了，钱取不出来 {i}") for i in range(18)] + [
        normalise("公安让我把钱转到安全账户"), normalise("my card was stolen yesterday")]
    vectors = assistant.encoder.encode(texts)
    weights = assistant.ranker.weights
    kept = search.LexicalScores()
    whole = search_batch(assistant.index, vectors, texts, weights, keep=kept)
    assert kept.table is not None and kept.table.shape == (len(texts), assistant.index.lexical.n_docs)
    subset = np.array([2, 18, 19])
    own = search_batch(assistant.index, vectors[subset], [texts[i] for i in subset], weights)
    read = search_batch(assistant.index, vectors[subset], [texts[i] for i in subset], weights, kept.table[subset])
    for name in ("rows", "dense", "lexical", "fused"):
        assert np.array_equal(getattr(own, name), getattr(read, name)), name
    assert whole.rows.shape[0] == len(texts)
    assert kept.best is None  # no more documents than lexical neighbours: nothing to select
    monkeypatch.setattr(search, "LEXICAL_CELLS_PER_CHUNK", 3 * assistant.index.dense.ntotal)
    search_batch(assistant.index, vectors, texts, weights, keep=kept)
    assert kept.table is None  # scored in slices: nothing is kept (its memory stays bounded)


def test_among_dense_is_every_lexical_row_compared_with_every_dense_row() -> None:
    """:func:`among_dense` against the pairwise comparison, with padding (-1) on both sides,
    a row on both sides, and no queries at all."""
    rng = np.random.default_rng(7)
    dense = rng.integers(-1, 40, size=(50, 8))
    lexical = rng.integers(-1, 40, size=(50, 6))
    lexical[:, 0] = dense[:, 3]
    pairwise = (lexical[:, :, None] == dense[:, None, :]).any(axis=2) & (lexical >= 0)
    assert np.array_equal(among_dense(lexical, dense), pairwise)
    assert among_dense(np.full((2, 3), -1), np.full((2, 4), -1)).sum() == 0
    assert among_dense(np.zeros((0, 3), dtype=np.int64), np.zeros((0, 4), dtype=np.int64)).shape == (0, 3)


@pytest.mark.parametrize("n_queries", [1, 15, 16, 17, 100])
def test_candidate_cosines_are_one_batch_einsum_bit_for_bit(n_queries: int) -> None:
    """Gathered a few queries at a time, the products keep the bits of one einsum over the batch."""
    rng = np.random.default_rng(3)
    stored = rng.standard_normal((300, 512)).astype(np.float32)
    queries = rng.standard_normal((n_queries, 512)).astype(np.float32)
    rows = rng.integers(-1, 300, size=(n_queries, 64))
    expected = np.einsum("qcd,qd->qc", stored[np.maximum(rows, 0)], queries)
    found = candidate_cosines(stored, rows, queries)
    assert found.dtype == np.float32 and found.shape == rows.shape
    assert np.array_equal(found.view(np.uint32), expected.view(np.uint32))


def test_best_columns_kept_by_one_pass_give_another_pass_its_own_candidates(
    library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full pass reads the quick pass's selection of each text's best BM25 columns with its
    tables: the same candidates, column for column, as selecting them again, for a subset in any
    order; a batch searched in slices keeps neither."""
    from assist.lookup import search

    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    n_docs = assistant.index.lexical.n_docs
    monkeypatch.setattr(search, "LEXICAL_NEIGHBOURS", max(1, n_docs // 3))
    monkeypatch.setattr(search, "DENSE_NEIGHBOURS", 2)  # else every example is a dense candidate
    texts = [normalise(f"我的卡被冻结了，钱取不出来 {i}") for i in range(18)] + [
        normalise("公安让我把钱转到安全账户"), normalise("my card was stolen yesterday"),
        normalise("how do I reset my online banking password")]
    vectors = assistant.encoder.encode(texts)
    weights = assistant.ranker.weights
    kept = search.LexicalScores()
    search_batch(assistant.index, vectors, texts, weights, keep=kept)
    assert kept.table is not None and kept.best is not None
    assert kept.best.shape == (len(texts), max(1, n_docs // 3))
    subset = np.array([20, 2, 18, 19])
    chosen = [texts[i] for i in subset]
    own = search_batch(assistant.index, vectors[subset], chosen, weights)
    read = search_batch(assistant.index, vectors[subset], chosen, weights, kept.table[subset], picked=kept.best[subset])
    for name in ("rows", "dense", "lexical", "fused"):
        assert np.array_equal(getattr(own, name), getattr(read, name)), name
    assert (own.rows[:, 2:] >= 0).any()  # lexical candidates beside the dense ones
    monkeypatch.setattr(search, "LEXICAL_CELLS_PER_CHUNK", 3 * assistant.index.dense.ntotal)
    own_sliced = search_batch(assistant.index, vectors[subset], chosen, weights)
    sliced = search_batch(assistant.index, vectors[subset], chosen, weights, kept.table[subset],
                          picked=kept.best[subset])
    for name in ("rows", "dense", "lexical", "fused"):
        assert np.array_equal(getattr(own_sliced, name), getattr(sliced, name)), name
    search_batch(assistant.index, vectors, texts, weights, keep=kept)
    assert kept.table is None and kept.best is None


def _bm25_like(rng: np.random.Generator, rows: int, columns: int) -> np.ndarray:
    """Non-negative float32 scores with many zeros and many ties, as BM25 rows have (equal
    documents score alike): values drawn from a few levels, some rows nearly all zero."""
    levels = np.round(rng.random(40), 3).astype(np.float32)
    table = levels[rng.integers(0, 40, size=(rows, columns))]
    table[rng.random((rows, columns)) < 0.3] = 0.0
    table[: rows // 8, :] = 0.0
    table[: rows // 8, :20] = levels[:20]  # rows with fewer positive scores than picks
    table[rows // 8 : rows // 4] = rng.random((rows // 8, columns)).astype(np.float32)  # no ties
    return table


@pytest.mark.parametrize(("columns", "width"), [(9_680, 64), (1_000, 64), (300, 64), (129, 64), (50, 8)])
def test_best_columns_keep_the_columns_argpartition_keeps(columns: int, width: int) -> None:
    """Every row keeps exactly the positive columns of ``argpartition``'s pick, ties at the last
    place included; a row with fewer positive scores pads with -1."""
    rng = np.random.default_rng(columns)
    table = _bm25_like(rng, 96, columns)
    expected = partitioned_columns(table, width)
    found = best_columns(table, width)
    assert found.shape == expected.shape == (96, width)
    assert np.array_equal(np.sort(found, axis=1), np.sort(expected, axis=1))
    ordered = np.sort(table, axis=1)
    assert (ordered[:, -width] == ordered[:, -width - 1]).any()  # the case argpartition decides
    assert (found == -1).any() == (width > 20)


def test_best_columns_of_bm25_tables_are_argpartitions() -> None:
    """On BM25 tables of a 1,600-document index with many equal documents (so ties at the last
    place), in Chinese and English, the same columns as ``argpartition`` for several widths."""
    from assist.indexing.lexical import LexicalIndex

    subjects = ["我的卡", "信用卡", "網銀密碼", "my card", "the app", "转账"]
    troubles = ["被冻结了", "取不出钱", "忘记了点算", "was stolen", "keeps crashing", "一直失败"]
    tails = ["", "，谢谢", " please", "！", "，急"]
    documents = [f"{a}{b}{c}" for a in subjects for b in troubles for c in tails] * 8
    documents += [f"{a} {i}" for i, a in enumerate(subjects * 60)]
    index = LexicalIndex.build(documents)
    queries = [normalise(q) for q in ("我的卡被冻结了", "my card was stolen please", "网银密码忘记了",
                                      "转账一直失败，急", "app", "完全无关的话")]
    table = index.scores_batch(queries * 6)
    assert table.dtype == np.float32 and table.shape == (36, len(documents))
    for width in (1, 8, 64, 200):
        found = best_columns(table, width)
        assert np.array_equal(np.sort(found, axis=1), np.sort(partitioned_columns(table, width), axis=1)), width
    ordered = np.sort(table, axis=1)
    assert (ordered[:, -64] == ordered[:, -65]).any() and (ordered[:, -64] > 0).any()


def test_best_columns_of_no_rows_zero_rows_and_negative_scores() -> None:
    """No rows, rows without a positive score (all -1), and negative scores (never kept)."""
    assert best_columns(np.zeros((0, 9_680), dtype=np.float32), 64).shape == (0, 64)
    assert np.all(best_columns(np.zeros((3, 9_680), dtype=np.float32), 64) == -1)
    table = np.random.default_rng(5).standard_normal((50, 9_680)).astype(np.float32)
    assert np.array_equal(np.sort(best_columns(table, 64), axis=1), np.sort(partitioned_columns(table, 64), axis=1))
