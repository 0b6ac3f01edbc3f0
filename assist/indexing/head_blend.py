"""Choose how the head is trained and blended, per library, by cross-validation
(``assist build --tune-head``).

How much to trust the learned head against nearest-example retrieval, how
strongly to regularise it, how much of retrieval's fused score is lexical, and
whether retrieval should look at a scenario's best example or its best three
all depend on the library (and on the encoder: a strong English encoder needs
less help from character n-grams than a multilingual one): with many examples
per scenario the head generalises well and several close examples are real
evidence; with a handful the head overfits and retrieval should weigh more.
So at build time the examples are split into folds (stratified by scenario);
for each fold and each penalty in :data:`L2_GRID` a head is trained on the
other folds, and every held-out example is scored by the head and by
retrieval against the other folds' examples only. The (penalty, lexical weight,
aggregation, blend weight) that ranks the most held-out examples right is
kept, and the final head is trained on every example with that penalty.

It is opt-in because it moves the score scale: the default abstention
threshold (0.45) was set against the default head's scores, and on the
shipped library the tuned head ranks better but abstains worse at 0.45
(calibrate with ``assist evaluate --calibrate`` on labelled calls first).

The retrieval score here follows :mod:`assist.lookup.rank` over all other-fold
examples rather than the search's top candidates; BM25 statistics (idf,
average length) include the held-out fold, a small optimism shared by every
candidate setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assist.indexing.head import (
    AGGREGATIONS,
    DEFAULT_AGGREGATION,
    DEFAULT_BLEND,
    L2,
    SUPPORT_BONUS,
    ScenarioHead,
    aggregate,
)
from assist.indexing.lexical import LexicalIndex

FOLDS = 4
L2_GRID = (0.03, 0.01, 0.003)
"""Penalties tried, strongest first (each fold's path is warm-started)."""
LEXICAL_GRID = (0.4, 0.2)
"""Lexical shares of the fused retrieval score tried; the first is the default
(:class:`assist.lookup.search.FusionWeights`)."""
BLEND_GRID = tuple(round(0.05 * i, 2) for i in range(21))
MIN_PER_SCENARIO = 2
"""A scenario needs this many examples for any of them to be held out."""
ROWS_PER_CHUNK = 512


@dataclass(frozen=True)
class HeadChoice:
    l2: float
    lexical_weight: float
    aggregation: str
    blend: float
    accuracy: float  # cross-validated top-1 of this choice (0 when not cross-validated)


def fold_of(labels: Sequence[str], folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """A fold number per example, -1 for examples always kept for training.

    Within a scenario, examples are dealt round-robin in a seeded random order
    from a random first fold, so every fold holds about the same share of every
    scenario.
    """
    rng = np.random.default_rng(seed)
    out = np.full(len(labels), -1, dtype=np.int64)
    by_label: dict[str, list[int]] = {}
    for row, label in enumerate(labels):
        by_label.setdefault(label, []).append(row)
    for rows in by_label.values():
        if len(rows) < MIN_PER_SCENARIO:
            continue
        order = rng.permutation(rows)
        offset = int(rng.integers(folds))
        out[order] = (np.arange(len(order)) + offset) % folds
    return out


def retrieval_scores(
    fused: np.ndarray, scenario_of_column: np.ndarray, n_scenarios: int, support_bonus: float
) -> dict[str, np.ndarray]:
    """Per aggregation, the (n_queries, n_scenarios) retrieval score from fused example scores."""
    n_queries = fused.shape[0]
    tops = np.zeros((n_queries, n_scenarios, 3), dtype=np.float64)
    for scenario in range(n_scenarios):
        block = fused[:, scenario_of_column == scenario]
        width = min(3, block.shape[1])
        if width:
            tops[:, scenario, :width] = -np.sort(-block, axis=1)[:, :width]
    return {name: aggregate(tops[:, :, 0], tops[:, :, 1], tops[:, :, 2], name, support_bonus) for name in AGGREGATIONS}


def choose(
    vectors: np.ndarray, labels: list[str], normalised_texts: Sequence[str], lexical: LexicalIndex,
    support_bonus: float, folds: int = FOLDS,
) -> HeadChoice:
    """The cross-validated best setting; ties go to the stronger penalty, the default
    lexical weight, ``best`` aggregation and the blend nearest
    :data:`assist.indexing.head.DEFAULT_BLEND`. A library too small to cross-validate keeps
    the defaults."""
    assignment = fold_of(labels, folds)
    names = sorted(set(labels))
    position = {name: i for i, name in enumerate(names)}
    scenario = np.array([position[label] for label in labels], dtype=np.int64)
    truth_parts: list[np.ndarray] = []
    retrieval_parts: dict[tuple[float, str], list[np.ndarray]] = {
        (w, a): [] for w in LEXICAL_GRID for a in AGGREGATIONS
    }
    head_parts: dict[float, list[np.ndarray]] = {l2: [] for l2 in L2_GRID}
    for fold in range(folds):
        held = np.flatnonzero(assignment == fold)
        rest = np.flatnonzero(assignment != fold)
        if held.size == 0 or len(set(scenario[rest].tolist())) < 2:
            continue
        truth_parts.append(scenario[held])
        for start in range(0, held.size, ROWS_PER_CHUNK):
            chunk = held[start : start + ROWS_PER_CHUNK]
            lexical_scores = lexical.scores_batch([normalised_texts[i] for i in chunk])[:, rest]
            dense_scores = vectors[chunk] @ vectors[rest].T
            for weight in LEXICAL_GRID:
                fused = (1 - weight) * dense_scores + weight * lexical_scores
                scores = retrieval_scores(fused, scenario[rest], len(names), support_bonus)
                for name in AGGREGATIONS:
                    retrieval_parts[(weight, name)].append(scores[name])
        previous: ScenarioHead | None = None
        for l2 in L2_GRID:
            head = ScenarioHead.fit(vectors[rest], [labels[i] for i in rest], l2=l2, start=previous)
            previous = head
            columns = np.array([head.labels.index(n) if n in head.labels else -1 for n in names])
            probs = head.probabilities(vectors[held])
            head_parts[l2].append(np.where(columns >= 0, probs[:, np.maximum(columns, 0)], 0.0))
    if not truth_parts:
        return HeadChoice(L2, LEXICAL_GRID[0], DEFAULT_AGGREGATION, DEFAULT_BLEND, 0.0)
    truth = np.concatenate(truth_parts)
    results: list[tuple[tuple[float, ...], HeadChoice]] = []
    for l2_rank, l2 in enumerate(L2_GRID):
        probs = np.vstack(head_parts[l2])
        for (weight, aggregation), parts in retrieval_parts.items():
            retrieval = np.vstack(parts)
            for blend in BLEND_GRID:
                accuracy = float((((1 - blend) * retrieval + blend * probs).argmax(axis=1) == truth).mean())
                order = (-accuracy, l2_rank, LEXICAL_GRID.index(weight), AGGREGATIONS.index(aggregation),
                         abs(blend - DEFAULT_BLEND))
                results.append((order, HeadChoice(l2, weight, aggregation, blend, accuracy)))
    return min(results, key=lambda r: r[0])[1]


def build_head(
    vectors: np.ndarray, labels: list[str], normalised_texts: Sequence[str], lexical: LexicalIndex,
    tune: bool = False,
) -> tuple[ScenarioHead, HeadChoice | None]:
    """The library's head trained on every example: the default head, or with ``tune``
    the L-BFGS head with the cross-validated setting (and that setting)."""
    if not tune:
        return ScenarioHead.train(vectors, labels), None

    choice = choose(vectors, labels, normalised_texts, lexical, SUPPORT_BONUS)
    head = ScenarioHead.fit(vectors, labels, l2=choice.l2)
    return head.with_choices(choice.blend, choice.aggregation, choice.lexical_weight), choice
