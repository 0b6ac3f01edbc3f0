"""One encoder over its index: embed a batch, search it, rank its scenarios.

A :class:`Ranker` is one pass of a lookup. The default assistant runs two of
them through :class:`assist.lookup.cascade.Cascade`; an assistant given a model
runs one. Pins and replies come after ranking (:mod:`assist.lookup.pins`,
:mod:`assist.lookup.reply`), so a ranker never sees rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assist.encoders.base import Encoder
from assist.encoders.threads import numeric_threads
from assist.indexing.head import DEFAULT_AGGREGATION
from assist.indexing.store import LoadedIndex, Manifest, example_rows
from assist.library.examples import OUT_OF_SCOPE
from assist.library.loader import Library
from assist.lookup.rank import (
    CLAUSE_MARGIN,
    CLAUSE_SHARE,
    HEAD_WEIGHT,
    RankedArrays,
    ScenarioScore,
    ScenarioTable,
    clause_turns,
    rank_arrays,
    with_clauses,
)
from assist.lookup.search import ExampleHit, FusionWeights, LexicalScores, search_batch
from assist.text.clauses import clauses


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

    def __init__(self, library: Library, encoder: Encoder, index: LoadedIndex,
                 clause_share: float = CLAUSE_SHARE, clause_margin: float | None = CLAUSE_MARGIN) -> None:
        self.encoder = encoder
        self.index = index
        self.clause_share = clause_share
        """Share of a long turn's best clause in its scenarios' scores (0: turns are read whole only;
        :func:`assist.lookup.rank.with_clauses`)."""
        self.clause_margin = clause_margin
        """A long turn is read clause by clause only when its whole reading's top two scenarios are
        closer than this (None: every long turn; :func:`assist.lookup.rank.clause_turns`)."""
        self.clause_keeps_top = True
        """A long turn read clause by clause keeps its whole reading's first score (the clauses reorder
        its scenarios; whether it is answered at all stays the whole turn's call)."""
        head = index.head
        # A build chooses retrieval's lexical share with the head (see assist.indexing.head_blend).
        self.weights = FusionWeights(1 - head.lexical_weight, head.lexical_weight) if head else FusionWeights()
        rows = example_rows(library)
        self._examples = [text for _, text in rows]
        self._table = ScenarioTable(library.active_scripts, [position for position, _ in rows])
        self._head_columns = self._table.head_columns(head.labels) if head is not None else None
        names = list(self._table.scenarios)
        self._out_of_scope = names.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in names else None

    @property
    def out_of_scope_column(self) -> int | None:
        """The out-of-scope class's scenario index in this ranker's arrays (None: the library has none)."""
        return self._out_of_scope

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
        unread: Callable[[RankedArrays], np.ndarray] | None = None,
    ) -> RankedArrays:
        """:meth:`rank` as arrays, with the texts' vectors kept (:attr:`RankedArrays.vectors`).
        ``lexical``: the texts' BM25 tables from a pass over an equal lexical index, ``picked`` the
        best columns that pass selected from them; ``keep`` takes this pass's (see
        :class:`assist.lookup.search.LexicalScores`); ``dense_k`` the dense neighbours asked for
        (:func:`assist.lookup.search.search_batch`); ``unread``, given the whole readings, the
        (n,) bool mask of texts whose clauses the caller has no use for: they are not read clause
        by clause (:meth:`assist.lookup.cascade.Cascade.handed_on`)."""
        vectors = self.encoder.encode(normalised)
        ranked = self._ranked(vectors, normalised, families, segment, channel, top_k, lexical, keep, picked, dense_k)
        turns = clause_turns(ranked, normalised, self.clause_share, self.clause_margin)
        if turns and unread is not None:
            skipped = unread(ranked)
            turns = [turn for turn in turns if not skipped[turn]]
        pieces = [(turn, piece) for turn in turns for piece in clauses(normalised[turn])]
        if pieces:
            owners = np.array([turn for turn, _ in pieces], dtype=np.int64)
            texts = [piece for _, piece in pieces]
            read = self._ranked(self.encoder.encode(texts), texts, [families[turn] for turn in owners.tolist()],
                                segment, channel, top_k, dense_k=dense_k)
            ranked = with_clauses(ranked, read, owners, self.clause_share, self.clause_keeps_top,
                                  self._out_of_scope if self.clause_keeps_top else None)
        return replace(ranked, vectors=vectors)

    def _ranked(
        self, vectors: np.ndarray, normalised: list[str], families: list[str], segment: str | None,
        channel: str | None, top_k: int, lexical: np.ndarray | None = None, keep: LexicalScores | None = None,
        picked: np.ndarray | None = None, dense_k: int | None = None,
    ) -> RankedArrays:
        """The ranking of texts read as given (no clause reading)."""
        head = self.index.head
        with numeric_threads(len(normalised)):
            candidates = search_batch(self.index, vectors, normalised, self.weights, lexical, keep, picked, dense_k)
            head_probs = head.probabilities(vectors) if head is not None else None
        return rank_arrays(
            candidates, self._table, families, segment, channel,
            head_probs=head_probs, head_columns=self._head_columns, limit=max(top_k, 10),
            head_weight=head.blend if head is not None else HEAD_WEIGHT,
            aggregation=head.aggregation if head is not None else DEFAULT_AGGREGATION,
        )
