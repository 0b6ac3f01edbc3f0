"""The semantic signal's lexical views (binary grams, idf-weighted 1-2-grams, both) and the
leave-rows-out derivation that lets one training give every leave-one-set-out signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist.compliance import semantic
from assist.compliance.semantic import SemanticSignal, build_signal, training_set
from tests.test_semantic import TINY, Axes


def test_weighted_grams_count_sublinearly() -> None:
    found, counts = semantic.weighted_grams("好 好 好")
    unigram = semantic.grams("好")
    assert unigram.size == 1 and unigram[0] in found
    assert counts[list(found).index(unigram[0])] == pytest.approx(1 + np.log(3))
    assert counts.min() == pytest.approx(1 + np.log(2))  # the 2-gram 好好, twice
    assert semantic.weighted_grams("")[0].size == 0


def test_idf_favours_rare_grams_and_ignores_unseen_ones() -> None:
    idf = semantic.inverse_document_frequency(["您好 稳赚", "您好 办理", "您好 查询"])
    common, rare = semantic.grams("您")[0], semantic.grams("稳")[0]
    assert idf[rare] > idf[common] > 0
    unseen = semantic.grams("𠀋")[0]
    assert idf[unseen] == 0
    [(found, values)] = semantic.weighted_rows(["您稳𠀋"], idf)
    assert unseen not in found and np.linalg.norm(values) == pytest.approx(1.0)


def test_the_idf_counts_only_rows_of_no_named_writer() -> None:
    """A labelled-draft set left out must change no other row's features."""
    texts, cats, bad = TINY
    named = training_set([*texts, "calm wording from a set"], [*cats, semantic.EVERY_CATEGORY], [*bad, False],
                         groups=[""] * len(texts) + ["set.jsonl"])
    plain = training_set(*TINY)
    assert named.unnamed is not None and not named.unnamed[named.texts.index("calm wording from a set")]
    vectors = np.eye(len(named.texts), 3)
    idf_named = semantic.design(named, vectors, "idf").idf
    idf_plain = semantic.design(plain, np.eye(len(plain.texts), 3), "idf").idf
    assert idf_named is not None and idf_plain is not None and np.array_equal(idf_named, idf_plain)


def test_an_unknown_view_is_refused() -> None:
    data = training_set(*TINY)
    with pytest.raises(ValueError, match="lexical view"):
        semantic.design(data, np.eye(len(data.texts), 3), "words")


@pytest.mark.parametrize("view", semantic.LEXICAL_VIEWS)
def test_a_signal_scores_text_as_it_was_trained(view: str) -> None:
    """The primal weights read a text exactly as the dual system's kernel did: a training row's
    score is its row of ``K alpha`` plus the bias, for every view."""
    data = training_set(*TINY)
    vectors = Axes().encode(list(data.texts))
    features = semantic.design(data, vectors, view)
    kernel = features.kernel()
    dual = np.linalg.solve(kernel, data.targets)
    weights = features.weights(dual, data.categories)
    signal = SemanticSignal(TINY[0], TINY[1], TINY[2], Axes().encode(TINY[0]), weights, [], Axes())
    expected = (kernel - semantic.RIDGE * np.eye(len(kernel))) @ dual
    assert np.allclose(signal.scores(list(data.texts)), expected, atol=1e-5)
    assert (weights.weighted is None) == (view == "grams")
    assert bool(weights.gram.any()) == (view != "idf")


def test_training_with_the_idf_view_is_deterministic() -> None:
    data = training_set(*TINY)
    vectors = Axes().encode(list(data.texts))
    first, again = semantic.fit(data, vectors, "idf"), semantic.fit(data, vectors, "idf")
    assert first[1] == again[1]
    assert first[0].weighted is not None and again[0].weighted is not None
    assert np.array_equal(first[0].weighted, again[0].weighted) and np.array_equal(first[0].vector, again[0].vector)


def test_rows_left_out_give_what_refitting_without_them_gives() -> None:
    """One solve's inverse gives the dual weights and held-out scores of the ridge refitted on a
    subset of its rows, in any order, with that subset's own folds."""
    rng = np.random.default_rng(3)
    rows, features = 50, 7
    design = rng.normal(size=(rows, features))
    targets = np.sign(rng.normal(size=(rows, 2)))
    system = design @ design.T + 1.0 + semantic.RIDGE * np.eye(rows)
    dual, inverse = semantic.ridge_solve(system.copy(), targets)
    keep = rng.permutation(np.flatnonzero(np.arange(rows) % 5 != 2))
    folds = np.arange(keep.size) % 3
    derived_dual, derived_held = semantic.without_rows(inverse, dual, targets[keep], keep, folds)
    refit_dual, refit_inverse = semantic.ridge_solve(system[np.ix_(keep, keep)].copy(), targets[keep])
    assert np.allclose(derived_dual, refit_dual, atol=1e-10)
    assert np.allclose(derived_held, semantic.held_out_scores(refit_inverse, refit_dual, targets[keep], folds),
                       atol=1e-10)


def test_the_ridge_solve_overwrites_a_row_ordered_kernel_and_reads_only_its_lower_triangle() -> None:
    """The factor is made in the kernel's own buffer (no n x n copy for LAPACK's column order); the
    kernel's upper triangle is never read, and the inverse's lower triangle is the system's inverse."""
    rng = np.random.default_rng(5)
    design = rng.normal(size=(30, 6))
    system = design @ design.T + semantic.RIDGE * np.eye(30) + 1.0
    targets = np.sign(rng.normal(size=(30, 2)))
    kernel = np.tril(system) + np.triu(np.full_like(system, np.nan), 1)
    assert kernel.flags.c_contiguous
    dual, inverse = semantic.ridge_solve(kernel, targets)
    assert not np.allclose(np.tril(kernel), np.tril(system))
    assert np.allclose(dual, np.linalg.solve(system, targets), atol=1e-10)
    assert np.allclose(np.tril(inverse), np.tril(np.linalg.inv(system)), atol=1e-10)


def test_an_unsorted_block_of_a_symmetric_matrix_is_read_from_its_lower_triangle() -> None:
    full = np.arange(16, dtype=float).reshape(4, 4)
    full = full + full.T
    rows = np.array([3, 0, 2])
    assert np.array_equal(semantic.symmetric_block(np.tril(full), rows), full[np.ix_(rows, rows)])


def test_the_sparse_kernel_block_by_block_is_bit_for_bit_the_whole_product(monkeypatch: pytest.MonkeyPatch) -> None:
    """Training's memory cut changes no output: the blocks give exactly the whole product."""
    texts = [f"您好{i} 这是第{i % 7}句 的内容 {'稳赚' if i % 3 else '风险'}" for i in range(23)]
    rows = semantic.gram_matrix(texts)
    monkeypatch.setattr(semantic, "KERNEL_BLOCK_ROWS", 5)
    kernel = np.zeros((len(texts), len(texts)))
    semantic.add_sparse_products(kernel, rows)
    assert np.array_equal(kernel, (rows @ rows.T).toarray())


def test_a_signal_of_another_view_is_cached_apart_and_read_back_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The view is part of the cache key, and a cached idf signal keeps its idf and weights."""
    shipped_key = semantic.exemplar_key(*TINY, Axes.model_id)
    monkeypatch.setattr(semantic, "LEXICAL_VIEW", "idf")
    assert semantic.exemplar_key(*TINY, Axes.model_id) != shipped_key
    fresh = build_signal(*TINY, Axes(), cache=tmp_path)
    again = build_signal(*TINY, Axes(), cache=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    assert fresh.weights.weighted is not None and again.weights.weighted is not None
    assert np.array_equal(fresh.weights.weighted, again.weights.weighted)
    texts = ["cred a b", "calm c", "move it"]
    assert np.array_equal(fresh.scores(texts), again.scores(texts))
    assert fresh.thresholds == again.thresholds
