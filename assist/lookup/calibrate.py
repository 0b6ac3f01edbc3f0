"""Choose the abstention threshold and redirect margin per language by cross-validation on
the library itself.

Every example of the library, its out-of-scope set included, is looked up with its own
row (and any row of the same text) taken out of retrieval, and with a head trained
without its fold (:data:`FOLDS` interleaved folds), so it must be recognised from the
rest, as a new utterance would. An in-scope example should be answered, an out-of-scope
one should abstain (:func:`abstains`: its class ranks first or scores within the margin of
the best scenario, or nothing scores above the threshold; a negative margin asks the class to
lead by that much). Per language family the (threshold, margin) pair kept is the median of
the grid points within :data:`TOLERANCE` of the best abstention F1. Never the dev set: a
bank's own labelled traffic still calibrates one threshold with
``assist evaluate --calibrate FILE``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assist.indexing.calibration import (
    FAMILIES,
    HIGH,
    LOW,
    MAX_MARGIN,
    MIN_MARGIN,
    read_language_thresholds,
    write_language_thresholds,
)
from assist.indexing.head import DEFAULT_AGGREGATION, ScenarioHead
from assist.indexing.store import example_rows
from assist.library.loader import Library, display_path, example_files, labelled_lines
from assist.library.out_of_scope import OUT_OF_SCOPE
from assist.lookup.rank import HEAD_WEIGHT, ScenarioTable, rank_arrays
from assist.lookup.ranker import Ranker
from assist.lookup.search import Candidates, search_batch
from assist.text.normalise import normalise

STEP = 0.01
FOLDS = 5
TOLERANCE = 0.01
"""F1 points within which grid choices count as equally good."""
OUT_OF_SCOPE_SHARE: float | None = 0.1
"""The share of out-of-scope lines the abstention F1 is weighed to (None: the points as they come).
The library's points are a fifth out of scope in Chinese and a sixth in English; customers' traffic
far less (the traffic files utterances_v14 to v17 10 to 12 %, issue 20's first outside set 11 %, the
outside files v20-v27 6 to 11 %). Weighed as they come, a missed out-of-scope line costs the F1 as
much as several in-scope lines abstained, so the margin chosen redirected in-scope requests that
the out-of-scope class barely led. Weighed to 0.1 (the traffic's share, not fitted to the files
below) the margins fall below zero (the class must lead), and leaving each of v20-v25 and v27 out
(bench/abstention_loo.py, twenty-fourth round) the out-of-scope F1 summed over the seven rose 6.138
-> 6.201: in-scope lines abstained 34 -> 29, out-of-scope lines answered +1. Eighteenth round,
with margins of at least zero, the same weighing moved no decision."""


@dataclass(frozen=True)
class Point:
    """One left-out example: its family, whether it is out of scope, whether the
    out-of-scope class ranked first, and the best in-scope score."""

    family: str
    out_of_scope: bool
    redirected: bool
    best_in_scope: float
    best_out_of_scope: float = 0.0
    head_out_of_scope: float = 0.0
    """The head's share of ``best_out_of_scope``: its weight times its out-of-scope probability."""
    retrieval_in_scope: float = 0.0
    """The best in-scope score of retrieval alone (the nearest examples, no head)."""
    retrieval_out_of_scope: float = 0.0
    """The out-of-scope class's score of retrieval alone."""
    second_in_scope: float = 0.0
    """The runner-up in-scope score (with the others, the pass's margin: whether the quick pass is sure)."""


def _without(candidates: Candidates, left_out: list[np.ndarray]) -> Candidates:
    """``candidates`` with each query's left-out rows dropped (row -1, fused -inf)."""
    mask = np.stack([np.isin(rows, own) for rows, own in zip(candidates.rows, left_out, strict=True)])
    rows = np.where(mask, -1, candidates.rows)
    fused = np.where(mask, -np.inf, candidates.fused)
    return Candidates(rows, candidates.dense, candidates.lexical, fused)


def file_groups(library: Library, texts: Sequence[str]) -> np.ndarray:
    """Per example row (``texts`` normalised, in index order), the number of the joined utterance
    file (``examples/*.jsonl``, sorted) its text comes from, or -1 for the scripts' own examples.

    Why: one writer's lines resemble each other. Looked up beside the rest of their file, a
    joined set's lines read as seen wording, and the calibration learned that the out-of-scope
    class rarely comes first on an in-scope line; the next writer's set showed otherwise
    (docs/quality.md, twenty-second round)."""
    number_of = {display_path(path, library.root): n for n, path in enumerate(example_files(library.root))}
    known = library.scenarios or {script.scenario for script in library.scripts}
    group_of: dict[str, int] = {}
    for item in labelled_lines(library.root, known):
        group_of.setdefault(normalise(item.text), number_of[item.source])
    return np.array([group_of.get(text, -1) for text in texts], dtype=np.int64)


def cross_validate(library: Library, ranker: Ranker) -> list[Point]:
    """Each example of ``library`` looked up without its fold (see the module docstring)."""
    index = ranker.index
    active = library.active_scripts
    rows = example_rows(library)
    texts = [normalise(text) for _, text in rows]
    labels = [active[position].scenario for position, _ in rows]
    by_text: dict[str, list[int]] = {}
    for row, text in enumerate(texts):
        by_text.setdefault(text, []).append(row)
    groups = file_groups(library, texts)
    by_group = {int(g): np.flatnonzero(groups == g) for g in np.unique(groups[groups >= 0])}
    table = ScenarioTable(active, [position for position, _ in rows])
    built = index.head
    vectors = np.asarray(index.vectors, dtype=np.float32)
    fold_of = np.where(groups >= 0, groups % FOLDS, np.arange(len(rows)) % FOLDS)
    points: list[Point] = []
    for fold in range(FOLDS):
        part = np.flatnonzero(fold_of == fold)
        own = [np.union1d(by_text[texts[i]], by_group[int(groups[i])]) if groups[i] >= 0
               else np.array(by_text[texts[i]]) for i in part]
        candidates = _without(search_batch(index, vectors[part], [texts[i] for i in part], ranker.weights), own)
        head_probs = columns = None
        if built is not None:
            keep = np.setdiff1d(np.arange(len(rows)), np.concatenate(own))
            head = ScenarioHead.train(vectors[keep], [labels[i] for i in keep]).with_choices(
                built.blend, built.aggregation, built.lexical_weight)
            head_probs, columns = head.probabilities(vectors[part]), table.head_columns(head.labels)
        families = ["zh" if active[rows[i][0]].language.startswith("zh") else "en" for i in part]
        weight = built.blend if built is not None else HEAD_WEIGHT
        aggregation = built.aggregation if built is not None else DEFAULT_AGGREGATION
        ranked = rank_arrays(
            candidates, table, families, head_probs=head_probs, head_columns=columns,
            head_weight=weight, aggregation=aggregation,
        ).lists()
        alone = rank_arrays(candidates, table, families, aggregation=aggregation).scores
        outside = table.scenarios.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in table.scenarios else -1
        voted = (weight * head_probs[:, columns[outside]] if outside >= 0 and head_probs is not None
                 and columns is not None and columns[outside] >= 0 else np.zeros(len(part)))
        for k, (i, family, scenarios) in enumerate(zip(part, families, ranked, strict=True)):
            in_scope = [s.score for s in scenarios if s.scenario != OUT_OF_SCOPE]
            out = [s.score for s in scenarios if s.scenario == OUT_OF_SCOPE]
            retrieved = np.delete(alone[k], outside) if outside >= 0 else alone[k]
            class_alone = float(alone[k, outside]) if outside >= 0 else -np.inf
            points.append(Point(
                family, active[rows[i][0]].scenario == OUT_OF_SCOPE,
                bool(scenarios) and scenarios[0].scenario == OUT_OF_SCOPE, in_scope[0] if in_scope else 0.0,
                out[0] if out else 0.0, float(voted[k]),
                float(retrieved.max()) if np.isfinite(retrieved).any() else 0.0,
                class_alone if np.isfinite(class_alone) else 0.0,
                in_scope[1] if len(in_scope) > 1 else 0.0,
            ))
    return points


def abstains(point: Point, threshold: float, margin: float = 0.0) -> bool:
    """The lookup's rule (:func:`assist.lookup.reply.build_suggestion`): redirect when the
    out-of-scope class ranks first or scores at least the best scenario's score less ``margin``,
    and with a negative margin only when it leads by ``-margin``; abstain when the best scenario
    scores under ``threshold``."""
    near = point.best_out_of_scope > 0 and point.best_out_of_scope >= point.best_in_scope - margin
    return (point.redirected and margin >= 0) or near or point.best_in_scope < threshold


def in_scope_weight(points: list[Point], share: float | None) -> float:
    """The weight of an in-scope point that makes out-of-scope points ``share`` of the total
    weight (1.0 without a share, or without points of either kind)."""
    outside = sum(p.out_of_scope for p in points)
    inside = len(points) - outside
    if share is None or not outside or not inside:
        return 1.0
    return outside * (1 - share) / (share * inside)


def f1_grid(points: list[Point], thresholds: np.ndarray, margins: np.ndarray,
            share: float | None = None) -> np.ndarray:
    """Abstention F1 at every (threshold, margin) pair, :func:`abstains` deciding each point;
    in-scope points weighed by :func:`in_scope_weight`."""
    best_in = np.array([p.best_in_scope for p in points], dtype=np.float64)
    best_out = np.array([p.best_out_of_scope for p in points], dtype=np.float64)
    redirected = np.array([p.redirected for p in points], dtype=bool)
    outside = np.array([p.out_of_scope for p in points], dtype=bool)
    weight = np.where(outside, 1.0, in_scope_weight(points, share))
    near = (best_out > 0) & (best_out[None, :] >= best_in[None, :] - np.asarray(margins)[:, None])
    low = best_in[None, :] < np.asarray(thresholds)[:, None]
    scores = np.zeros((len(thresholds), len(margins)))
    for column in range(len(margins)):
        first = redirected if margins[column] >= 0 else np.zeros_like(redirected)
        abstain = first | near[column] | low  # (thresholds, points)
        tp = (abstain & outside) @ weight
        fp = (abstain & ~outside) @ weight
        fn = (~abstain & outside) @ weight
        denominator = 2 * tp + fp + fn
        scores[:, column] = np.where(tp > 0, 2 * tp / np.where(denominator > 0, denominator, 1.0), 0.0)
    return scores


def f1_at(points: list[Point], threshold: float, margin: float = 0.0, share: float | None = None) -> float:
    return float(f1_grid(points, np.array([threshold]), np.array([margin]), share)[0, 0])


def choose(points: list[Point], default: float, share: float | None = OUT_OF_SCOPE_SHARE) -> tuple[float, float, float]:
    """(threshold, margin, abstention F1): the median grid point of those within
    :data:`TOLERANCE` of the best F1 (a flat optimum is not over-read), or ``default``
    and no margin when the points lack in-scope or out-of-scope examples. The F1 weighs the
    points to ``share`` out of scope (:data:`OUT_OF_SCOPE_SHARE`; None: as they come)."""
    if not any(p.out_of_scope for p in points) or not any(not p.out_of_scope for p in points):
        return default, 0.0, 0.0
    thresholds = np.round(np.arange(LOW, HIGH + STEP / 2, STEP), 4)
    margins = np.round(np.arange(MIN_MARGIN, MAX_MARGIN + STEP / 2, STEP), 4)
    scores = f1_grid(points, thresholds, margins, share)
    near = np.argwhere(scores >= scores.max() - TOLERANCE)
    row, column = np.median(near, axis=0).astype(int)
    return float(thresholds[row]), float(margins[column]), float(scores[row, column])


def calibrate(
    library: Library, ranker: Ranker, default: float, share: float | None = OUT_OF_SCOPE_SHARE,
    points: list[Point] | None = None,
) -> tuple[dict[str, float], dict[str, float], dict[str, object]]:
    """Per-family thresholds and redirect margins, and what they were measured on; a family
    without both in-scope and out-of-scope examples gets none (the single threshold applies).
    ``points`` from an earlier :func:`cross_validate` of the same build are not computed again."""
    points = points if points is not None else cross_validate(library, ranker)
    thresholds: dict[str, float] = {}
    margins: dict[str, float] = {}
    details: dict[str, object] = {
        "method": f"leave-one-out retrieval (a joined utterance file left out whole), {FOLDS}-fold head, "
                  "on the library's examples and out-of-scope set",
        "out_of_scope_share": share}
    for family in FAMILIES:
        mine = [p for p in points if p.family == family]
        if not any(p.out_of_scope for p in mine) or all(p.out_of_scope for p in mine):
            continue
        threshold, margin, f1 = choose(mine, default, share)
        thresholds[family], margins[family] = threshold, margin
        details[family] = {"examples": len(mine), "out_of_scope": sum(p.out_of_scope for p in mine),
                           "f1": round(f1, 4)}
    return thresholds, margins, details


def language_thresholds(
    library: Library, ranker: Ranker, folder: Path, default: float, log: Callable[[str], None] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """The sealed per-language thresholds and redirect margins of this build, calibrated and
    written first when missing or not trusted (:func:`assist.indexing.calibration.read_language_thresholds`)."""
    if not any(script.scenario == OUT_OF_SCOPE for script in library.active_scripts):
        return {}, {}  # nothing to calibrate against: the single threshold applies
    found = read_language_thresholds(folder, ranker.manifest)
    if found is not None:
        return found
    if log is not None:
        log(f"assist: calibrating abstention per language on the library (once per build, about a minute) "
            f"into {folder} ...")
    thresholds, margins, details = calibrate(library, ranker, default)
    with contextlib.suppress(OSError):  # a read-only index folder: calibrated again at the next load
        write_language_thresholds(folder, ranker.manifest, thresholds, margins, details)
    return thresholds, margins
