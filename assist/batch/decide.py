"""What an evaluation keeps of each lookup, computed for a whole batch from the rankers' arrays.

``Assistant.suggest_many`` renders, for every utterance, the suggestion an agent reads:
ten ranked scenarios with their chosen variants, up to three candidates with their scripts
converted to the customer's characters, the reply and why. An evaluation keeps five facts
of it (:class:`Decision`): the candidates' scenarios, the first one's score, whether it
abstained, whether a rule pinned it, and which pass decided. :func:`decide_batch` computes
exactly these with array operations over the batch, and builds the per-utterance lists
only for the utterances a customer rule pins, where :func:`assist.lookup.pins.apply_pins`
reorders them. It follows :func:`assist.lookup.reply.build_suggestion`'s rules, and
``tests/test_decide.py`` holds it equal to :func:`decision_of` of each suggestion.

The batch's vectors from the assistant's own encoder (the full model's, for the utterances
the quick pass was unsure of) are kept too, so the gap sample need not embed them again
(:mod:`assist.batch.gaps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assist.library.out_of_scope import OUT_OF_SCOPE
from assist.lookup.assistant import Assistant, check_utterance
from assist.lookup.pins import Pin, apply_pins, customer_pins_many
from assist.lookup.rank import RankedArrays, customer_family
from assist.text.normalise import normalise
from assist.types import Suggestion


@dataclass(frozen=True)
class Decision:
    """The facts of one suggestion an evaluation keeps."""

    scenarios: tuple[str, ...]
    """The candidates' scenarios, best first (at most ``top_k``)."""
    score: float
    """The first candidate's (rounded) score, 0.0 without a candidate."""
    abstained: bool
    pinned: bool
    quick: bool = False


def decision_of(suggestion: Suggestion) -> Decision:
    """The :class:`Decision` of a rendered suggestion (the per-utterance path)."""
    return Decision(
        tuple(c.scenario for c in suggestion.candidates),
        suggestion.candidates[0].score if suggestion.candidates else 0.0,
        suggestion.abstained, suggestion.pinned_by is not None, suggestion.quick_pass,
    )


@dataclass(frozen=True)
class DecidedBatch:
    texts: list[str]
    """The utterances as looked up (:func:`assist.lookup.assistant.check_utterance`)."""
    decisions: list[Decision]
    vectors: np.ndarray | None
    """(n, dim) vectors of the assistant's encoder (:attr:`Assistant.encoder`), valid where :attr:`embedded`."""
    embedded: np.ndarray
    """(n,) bool: the rows of :attr:`vectors` the lookup computed."""


@dataclass(frozen=True)
class _Pass:
    """One ranker's arrays and the batch positions of its rows, of which ``rows`` are decided by it."""

    arrays: RankedArrays
    positions: np.ndarray
    rows: np.ndarray
    quick: bool


def decide_batch(assistant: Assistant, utterances: Sequence[str], *, top_k: int = 3) -> DecidedBatch:
    """The :class:`Decision` of each utterance: ``decision_of(assistant.suggest_many(utterances))``
    without rendering, plus the batch's vectors."""
    top_k = max(1, top_k)
    texts = [check_utterance(u, allow_empty=True) for u in utterances]
    n = len(texts)
    if not n:
        return DecidedBatch([], [], None, np.zeros(0, dtype=bool))
    normalised = [normalise(t) for t in texts]
    families = [customer_family(t) for t in texts]
    embedded = np.zeros(n, dtype=bool)
    vectors: np.ndarray | None
    if assistant.cascade is not None:
        both = assistant.cascade.rank_arrays(normalised, families, None, None, top_k, assistant.threshold)
        sure = np.ones(n, dtype=bool)
        sure[both.unsure] = False
        passes = [_Pass(both.quick, np.arange(n), np.flatnonzero(sure), True)]
        vectors = None
        if both.full is not None:
            passes.append(_Pass(both.full, both.unsure, np.arange(both.unsure.size), False))
            full_vectors = both.full.vectors
            assert full_vectors is not None
            vectors = np.zeros((n, full_vectors.shape[1]), dtype=np.float32)
            vectors[both.unsure] = full_vectors
            embedded[both.unsure] = True
    else:
        arrays = assistant.ranker.rank_arrays(normalised, families, None, None, top_k)
        passes = [_Pass(arrays, np.arange(n), np.arange(n), False)]
        vectors = arrays.vectors
        embedded[:] = True
    decisions: list[Decision | None] = [None] * n
    pins = _batch_pins(assistant, texts, normalised, passes[0].arrays if assistant.cascade is not None else None)
    for one in passes:
        _decide_pass(assistant, one, texts, families, pins, top_k, decisions)
    done = [d for d in decisions if d is not None]
    assert len(done) == n
    return DecidedBatch(texts, done, vectors, embedded)


def _batch_pins(assistant: Assistant, texts: list[str], normalised: list[str], quick: RankedArrays | None
                ) -> list[list[Pin]]:
    """Each text's customer pins (none for a blank one), computed for the batch at once: the scam
    signal then scores the texts it may complete in one call, on the quick pass's vectors."""
    asked = [k for k, text in enumerate(texts) if text.strip()]
    encoded = None
    if quick is not None and quick.vectors is not None and assistant.cascade is not None:
        encoded = (assistant.cascade.quick.encoder.model_id, quick.vectors[asked])
    found = customer_pins_many(assistant.rules, [texts[k] for k in asked], assistant.variants.scenarios,
                               [normalised[k] for k in asked], encoded)
    pins: list[list[Pin]] = [[] for _ in texts]
    for k, one in zip(asked, found, strict=True):
        pins[k] = one
    return pins


def _decide_pass(
    assistant: Assistant, one: _Pass, texts: list[str], families: list[str], batch_pins: list[list[Pin]],
    top_k: int, out: list[Decision | None],
) -> None:
    """Decide the rows of one pass: unpinned ones from the arrays, pinned ones from their lists."""
    arrays, rows = one.arrays, one.rows
    if not rows.size:
        return
    names = arrays.table.scenarios
    oos = names.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in names else -1
    order = arrays.order[rows]
    ranked = np.take_along_axis(arrays.scores[rows], order, axis=1)
    finite = np.isfinite(ranked)
    redirects = finite & (order == oos)
    in_scope = finite & ~redirects
    # The first top_k in-scope places of each row, in ranked order.
    places = np.argsort(~in_scope, axis=1, kind="stable")[:, :top_k]
    top_scenarios = np.take_along_axis(order, places, axis=1).tolist()
    top_scores = np.take_along_axis(ranked, places, axis=1).tolist()
    counts = np.minimum(in_scope.sum(axis=1), top_k).tolist()
    has_redirect = redirects.any(axis=1).tolist()
    redirect_scores = ranked[np.arange(rows.size), np.argmax(redirects, axis=1)].tolist()
    pinned: list[tuple[int, int, list[Pin]]] = []
    for k, row in enumerate(rows.tolist()):
        position = int(one.positions[row])
        pins = batch_pins[position]
        if pins:
            pinned.append((row, position, pins))
            continue
        count = counts[k]
        family = families[position][:2]
        best_in_scope = top_scores[k][0] if count else 0.0
        score = round(best_in_scope, 4) if count else 0.0
        if has_redirect[k] and redirect_scores[k] >= best_in_scope - assistant.margins.get(family, 0.0):
            abstained = True
        else:
            abstained = not count or score < assistant.thresholds.get(family, assistant.threshold)
        out[position] = Decision(tuple(names[i] for i in top_scenarios[k][:count]), score, abstained, False,
                                 one.quick)
    if pinned:
        lists = arrays.lists([row for row, _, _ in pinned])
        for (_, position, pins), scenarios in zip(pinned, lists, strict=True):
            text = texts[position]
            ordered = apply_pins(scenarios, pins, text, None, None, assistant.variants, assistant.threshold)
            shown = [s for s in ordered if s.scenario != OUT_OF_SCOPE][:top_k]
            out[position] = Decision(tuple(s.script.scenario for s in shown),
                                     round(float(shown[0].score), 4) if shown else 0.0, False, True, one.quick)
