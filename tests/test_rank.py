"""Per-scenario aggregation of candidate scores in :mod:`assist.lookup.rank`."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.lookup.rank import _best_per_group, _top_per_group


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
