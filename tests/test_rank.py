"""Per-scenario aggregation of candidate scores in :mod:`assist.lookup.rank`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.lookup.rank import RankedArrays, ScenarioTable, _best_per_group, _top_per_group, with_clauses
from assist.lookup.search import Candidates
from assist.types import Script


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 9), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_top_per_group_matches_a_plain_loop(n_queries: int, width: int, n_groups: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups + 1, size=(n_queries, width))  # n_groups marks padding
    fused = rng.random((n_queries, width))
    best_column, *tops = _top_per_group(groups, fused, n_groups)
    for q in range(n_queries):
        for g in range(n_groups):
            columns = [c for c in range(width) if groups[q, c] == g]
            ordered = sorted(columns, key=lambda c: -fused[q, c])
            assert best_column[q, g] == (ordered[0] if ordered else -1)
            for rank in range(3):
                expected = fused[q, ordered[rank]] if rank < len(ordered) else 0.0
                assert tops[rank][q, g] == expected


def test_best_per_group_equals_the_first_of_the_top_three() -> None:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 6, size=(4, 30))  # group 5 stands for padding
    fused = rng.normal(size=(4, 30))
    fused[groups == 5] = -np.inf
    _, best, _, _ = _top_per_group(groups, fused, 5)
    np.testing.assert_array_equal(_best_per_group(groups, fused, 5), np.maximum(best, 0.0))


def _arrays(scores: np.ndarray, rows: np.ndarray, table_rows: list[int]) -> RankedArrays:
    """A RankedArrays over a table of one scenario of one script per score column, candidates ``rows``."""
    scripts = [Script(id=f"{name}.en", scenario=name, language="en", examples=("x",), empathy="e",
                      solution_preview="p") for name in "abc"[: scores.shape[1]]]
    table = ScenarioTable(scripts, table_rows)
    fused = np.where(rows >= 0, 0.5, -np.inf)
    candidates = Candidates(rows, np.zeros(rows.shape, np.float32), np.zeros(rows.shape, np.float32), fused)
    order = np.argsort(-scores, axis=1, kind="stable")
    best_column = np.full(scores.shape, -1, dtype=np.int64)
    return RankedArrays(table, candidates, ["en"] * len(scores), None, None, scores, order, best_column)


def test_with_clauses_blends_the_whole_turn_and_its_best_clause() -> None:
    table_rows = [0, 1]  # example 0 belongs to scenario a, example 1 to b
    whole = _arrays(np.array([[0.6, 0.5], [0.9, 0.1]]), np.array([[0, 1], [0, -1]]), table_rows)
    # Two clauses of turn 0: b stated plainly in the second; turn 1 is short (no clauses).
    parts = _arrays(np.array([[0.3, -np.inf], [0.2, 0.9]]), np.array([[0, -1], [1, -1]]), table_rows)
    read = with_clauses(whole, parts, np.array([0, 0]), share=0.4, keep_top=False)
    np.testing.assert_allclose(read.scores[0], [0.6 * 0.6 + 0.4 * 0.3, 0.6 * 0.5 + 0.4 * 0.9])
    assert read.order[0].tolist() == [1, 0]  # the clause's scenario now leads
    np.testing.assert_array_equal(read.scores[1], whole.scores[1])  # a turn without clauses is unchanged
    assert read.order[1].tolist() == whole.order[1].tolist()
    # Each scenario of turn 0 shows a candidate of its own; the clauses' columns follow the turn's own.
    assert read.candidates.rows.shape == (2, 2 + 2 * 2)
    assert read.candidates.rows[0, read.best_column[0]].tolist() == [0, 1]
    assert (read.candidates.rows[1, 2:] == -1).all()


def test_with_clauses_without_clauses_is_the_whole_reading() -> None:
    whole = _arrays(np.array([[0.6, 0.5]]), np.array([[0, 1]]), [0, 1])
    assert with_clauses(whole, whole, np.zeros(0, dtype=np.int64)) is whole


def test_a_turn_read_clause_by_clause_keeps_its_whole_readings_first_score() -> None:
    """The clauses reorder a turn's scenarios; its first score, which abstention reads against a
    threshold calibrated on whole texts, stays the whole reading's (every score moved alike)."""
    table_rows = [0, 1]
    whole = _arrays(np.array([[0.6, 0.5], [0.9, 0.1]]), np.array([[0, 1], [0, -1]]), table_rows)
    parts = _arrays(np.array([[0.3, -np.inf], [0.2, 0.9]]), np.array([[0, -1], [1, -1]]), table_rows)
    blended = with_clauses(whole, parts, np.array([0, 0]), share=0.4, keep_top=False)
    kept = with_clauses(whole, parts, np.array([0, 0]), share=0.4)
    assert kept.order[0].tolist() == blended.order[0].tolist() == [1, 0]
    assert kept.scores[0].max() == pytest.approx(0.6)
    np.testing.assert_allclose(kept.scores[0] - blended.scores[0], 0.6 - blended.scores[0].max())
    np.testing.assert_array_equal(kept.scores[1], whole.scores[1])


def test_the_out_of_scope_class_keeps_its_whole_turn_score() -> None:
    """A clause about another firm's product lifts the out-of-scope class (column 1) in the blend;
    kept whole-only, the class and the in-scope leader's score stay the whole reading's, so the
    clauses cannot turn the turn into a redirect."""
    table_rows = [0, 1, 2]
    whole = _arrays(np.array([[0.6, 0.4, 0.5]]), np.array([[0, 1, 2]]), table_rows)
    parts = _arrays(np.array([[0.1, 0.9, 0.7], [0.2, 0.3, 0.1]]), np.array([[0, 1, 2], [0, 1, 2]]), table_rows)
    blended = with_clauses(whole, parts, np.array([0, 0]), share=0.4, keep_top=False)
    assert blended.order[0, 0] == 1  # the blend alone: the out-of-scope class leads
    kept = with_clauses(whole, parts, np.array([0, 0]), share=0.4, whole_only=1)
    assert kept.scores[0, 1] == pytest.approx(0.4)
    assert kept.order[0].tolist()[:2] == [2, 0]  # the clause reorders the in-scope scenarios...
    assert kept.scores[0, 2] == pytest.approx(0.6)  # ...and the in-scope leader keeps the whole's first score
