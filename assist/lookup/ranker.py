"""One encoder over its index: embed a batch, search it, rank its scenarios.

A :class:`Ranker` is one pass of a lookup. The default assistant runs two of
them through :class:`assist.lookup.cascade.Cascade`; an assistant given a model
runs one. Pins and replies come after ranking (:mod:`assist.lookup.pins`,
:mod:`assist.lookup.reply`), so a ranker never sees rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assist.encoders.base import Encoder
from assist.encoders.threads import numeric_threads
from assist.indexing.head import DEFAULT_AGGREGATION
from assist.indexing.store import LoadedIndex, Manifest, example_rows
from assist.library.loader import Library
from assist.lookup.rank import HEAD_WEIGHT, RankedArrays, ScenarioScore, ScenarioTable, rank_arrays
from assist.lookup.search import ExampleHit, FusionWeights, LexicalScores, search_batch


@dataclass(frozen=True)
class Ranked:
    """One text's scenarios in ranked order, before any pin moved one first."""

    scenarios: list[ScenarioScore]
    quick: bool = False
    """Ranked by the quick pass alone (:mod:`assist.lookup.cascade`)."""

    @property
    def best(self) -> float:
        return self.scenarios[0].score if self.scenarios else 0.0

    @property
    def margin(self) -> float:
        return margin_of(self.scenarios)


def margin_of(scenarios: Sequence[ScenarioScore]) -> float:
    """How far the first scenario leads the second (its own score when it stands alone)."""
    if len(scenarios) < 2:
        return round(scenarios[0].score, 4) if scenarios else 0.0
    return round(scenarios[0].score - scenarios[1].score, 4)


class Ranker:
    """A library's scenarios ranked by one encoder and its index; safe to share between threads."""

    def __init__(self, library: Library, encoder: Encoder, index: LoadedIndex) -> None:
        self.encoder = encoder
        self.index = index
        head = index.head
        # A build chooses retrieval's lexical share with the head (see assist.indexing.head_blend).
        self.weights = FusionWeights(1 - head.lexical_weight, head.lexical_weight) if head else FusionWeights()
        rows = example_rows(library)
        self._examples = [text for _, text in rows]
        self._table = ScenarioTable(library.active_scripts, [position for position, _ in rows])
        self._head_columns = self._table.head_columns(head.labels) if head is not None else None

    @property
    def manifest(self) -> Manifest:
        return self.index.manifest

    def example_text(self, hit: ExampleHit) -> str:
        return self._examples[hit.row] if hit.row >= 0 else ""

    def rank(
        self, normalised: list[str], families: list[str], segment: str | None, channel: str | None, top_k: int,
    ) -> list[Ranked]:
        """Each normalised text's scenarios, best first (at least ten, for the cascade's margin)."""
        if not normalised:
            return []
        return [Ranked(scenarios) for scenarios in self.rank_arrays(normalised, families, segment, channel,
                                                                    top_k).lists()]

    def rank_arrays(
        self, normalised: list[str], families: list[str], segment: str | None, channel: str | None, top_k: int,
        *, lexical: np.ndarray | None = None, keep: LexicalScores | None = None,
        picked: np.ndarray | None = None, dense_k: int | None = None,
    ) -> RankedArrays:
        """:meth:`rank` as arrays, with the texts' vectors kept (:attr:`RankedArrays.vectors`).
        ``lexical``: the texts' BM25 tables from a pass over an equal lexical index, ``picked`` the
        best columns that pass selected from them; ``keep`` takes this pass's (see
        :class:`assist.lookup.search.LexicalScores`); ``dense_k`` the dense neighbours asked for
        (:func:`assist.lookup.search.search_batch`)."""
        vectors = self.encoder.encode(normalised)
        head = self.index.head
        with numeric_threads(len(normalised)):
            candidates = search_batch(self.index, vectors, normalised, self.weights, lexical, keep, picked, dense_k)
            head_probs = head.probabilities(vectors) if head is not None else None
        ranked = rank_arrays(
            candidates, self._table, families, segment, channel,
            head_probs=head_probs, head_columns=self._head_columns, limit=max(top_k, 10),
            head_weight=head.blend if head is not None else HEAD_WEIGHT,
            aggregation=head.aggregation if head is not None else DEFAULT_AGGREGATION,
        )
        return replace(ranked, vectors=vectors)
