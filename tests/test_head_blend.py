"""Cross-validated choice of the head's penalty, blend weight and retrieval aggregation."""

from __future__ import annotations

from collections import Counter

import numpy as np

from assist.indexing.head import AGGREGATIONS
from assist.indexing.head_blend import BLEND_GRID, L2_GRID, LEXICAL_GRID, build_head, choose, fold_of, retrieval_scores
from assist.indexing.lexical import LexicalIndex
from assist.text.normalise import normalise
from tests.conftest import HashEncoder
from tests.test_head import TEXTS


def test_folds_are_stratified_and_singletons_stay_in_training() -> None:
    labels = ["a"] * 8 + ["b"] * 4 + ["c"]
    folds = fold_of(labels, folds=4)
    assert folds[-1] == -1
    for label in ("a", "b"):
        counts = Counter(int(f) for f, name in zip(folds, labels, strict=True) if name == label)
        assert set(counts) == {0, 1, 2, 3}
        assert max(counts.values()) - min(counts.values()) <= 1


def test_retrieval_scores_aggregate_per_scenario() -> None:
    fused = np.array([[0.9, 0.5, 0.3, 0.8]])
    scenario_of_column = np.array([0, 0, 0, 1])
    scores = retrieval_scores(fused, scenario_of_column, 2, support_bonus=0.1)
    np.testing.assert_allclose(scores["best"], [[0.9 + 0.1 * 0.5, 0.8]])
    np.testing.assert_allclose(scores["mean3"], [[(0.9 + 0.5 + 0.3) / 3, 0.8 / 3]])


def test_choice_is_on_the_grids_and_the_head_carries_it() -> None:
    texts = [text for items in TEXTS.values() for text in items]
    labels = [label for label, items in TEXTS.items() for _ in items]
    normalised = [normalise(t) for t in texts]
    vectors = HashEncoder().encode(normalised)
    lexical = LexicalIndex.build(texts)
    choice = choose(vectors, labels, normalised, lexical, 0.05)
    assert choice.l2 in L2_GRID
    assert choice.aggregation in AGGREGATIONS
    assert choice.blend in BLEND_GRID
    assert choice.lexical_weight in LEXICAL_GRID
    assert 0.0 < choice.accuracy <= 1.0
    head, built = build_head(vectors, labels, normalised, lexical, tune=True)
    assert built is not None
    assert (head.blend, head.aggregation, head.lexical_weight) == (built.blend, built.aggregation, built.lexical_weight)


def test_library_too_small_to_cross_validate_keeps_defaults() -> None:
    labels = ["a", "b"]
    texts = ["lost card", "forgot pin"]
    vectors = HashEncoder().encode(texts)
    choice = choose(vectors, labels, texts, LexicalIndex.build(texts), 0.05)
    assert (choice.aggregation, choice.blend, choice.lexical_weight, choice.accuracy) == ("best", 0.3, 0.4, 0.0)


def test_default_build_keeps_the_fixed_settings() -> None:
    texts = [text for items in TEXTS.values() for text in items]
    labels = [label for label, items in TEXTS.items() for _ in items]
    vectors = HashEncoder().encode(texts)
    head, choice = build_head(vectors, labels, texts, LexicalIndex.build(texts))
    assert choice is None
    assert (head.blend, head.aggregation, head.lexical_weight) == (0.3, "best", 0.4)
