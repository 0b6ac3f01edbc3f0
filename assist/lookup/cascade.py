"""Two passes per lookup: the static distillation first, the full model only when unsure.

The full multilingual USE (:mod:`assist.encoders.usem.forward`) costs a lookup about
2.5 ms to embed, and a batch 1.3 million floating-point operations per token in
its second convolution alone; its static distillation (:mod:`assist.encoders.usem.static`)
costs about 0.1 ms but ranks a few points worse. Most utterances do not need the difference: when the quick pass
ranks a scenario clearly first, well above the abstention threshold, the full
model almost always agrees. So the default assistant ranks every utterance
with the quick pass and hands only the unsure ones (a low score, or a close
runner-up) to the full model, whose answer then stands, abstention included.

The two settings below were chosen on the dev set and checked on BANKING77
(README, "Two passes"): the two passes together rank as well as the full model
alone, and about three utterances in four never reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assist.encoders.base import STATIC_MODEL
from assist.indexing.lexical import LexicalIndex
from assist.lookup.rank import RankedArrays
from assist.lookup.ranker import Ranked, Ranker
from assist.lookup.search import LexicalScores

QUICK_MODEL = STATIC_MODEL
QUICK_INDEX_FOLDER = "quick"
"""The quick pass's index lives in this subfolder of the full model's index folder."""
SURE_ABOVE_THRESHOLD = 0.05
"""The quick pass's best score must clear the abstention threshold by this much..."""
SURE_MARGIN = 0.15
"""...and lead the runner-up scenario by this much, or the full model decides."""
SURE_OUT_OF_SCOPE_LEAD: dict[str, float] = {"zh": 0.1, "en": 0.15}
"""Per language family, how far the out-of-scope class must lead the quick pass's best scenario for the
quick pass to stand on it without the full model, whatever its score (a family not listed: only
:data:`SURE_ABOVE_THRESHOLD` and :data:`SURE_MARGIN` make it sure).

Why: the head's out-of-scope vote counts a fifth (:data:`assist.indexing.head.OUT_OF_SCOPE_VOTE`), so the
class scores lower and rarely clears the absolute bar above, and the quick pass handed most out-of-scope
lines to the full model (the 20,000 lines of ``eval/synthetic_calls/lines.py``: quick share 0.879 -> 0.817).
Where the quick pass ranks the class first by a clear lead, the full model redirects too.

Chosen on the calibration's own cross-validation, never on a left-out line (``python
bench/abstention_loo.py sure-curve DUMPS``: each library example looked up by both passes without its
fold, the threshold and margin calibrated on the full pass's points): the smallest lead at which, in no
fold, the quick pass redirects an in-scope example the full pass answers, and the folds' weighted
abstention F1 is not lower. Twenty-sixth round, six folds (utterances v20-v25 each left out): zh 0.1
(at 0: 124 in-scope points redirected, 0.06: 19, 0.08: 4), en 0.15 (0.06: 5, 0.1: 3); F1 averaged over the folds zh
0.9045 -> 0.9119, en 0.8713 -> 0.8725. The left-out files' own figures came out the same (``replay --sure-lead``)."""
SURE_OUT_OF_SCOPE_GAP: dict[str, float] = {}
"""Per language family, how far behind the quick pass's best scenario the out-of-scope class must stay for
the quick pass to answer with that scenario (a family not listed: the class is not asked). Empty: no
family asks. Thirtieth round (docs/quality.md): the calibration's own cross-validation (``python
bench/abstention_loo.py gap-curve DUMPS``) chose 0.3 for both families, which raised the development half's
out-of-scope F1 (v36 0.788 -> 0.947) but not the confirmation half's (v39 0.836 both: the full pass answers
those lines too), so it stays empty; at 0.3 the quick pass would decide 3.5 % fewer of the 20,000 lines."""
QUICK_DENSE_NEIGHBOURS = 32
"""Dense neighbours the quick pass asks for (the full pass asks for
:data:`assist.lookup.search.DENSE_NEIGHBOURS`, 64). FAISS HNSW's cost is about proportional to
its candidate list, as long as the neighbours asked for, and the quick pass searches every text:
half the list cut its search by about 45 %. A scenario's score reads its three best candidates,
which a sure text finds among its first neighbours. Kept because the answers, abstentions and pins
of the dev, example and ``lines.py`` files came out the same (one answer of 20,000 moved); the
runner-up slots moved on about one line in eight (docs/performance.md)."""


HANDED_ON_SLACK = 1e-4
""":meth:`Cascade.handed_on` leaves a text's clauses unread only when its best score and its out-of-scope
lead stay this far from :func:`is_sure`'s bars (the margin is rounded to four places there, and a clause
reading moves the best score by a few units in the last place): past every rounding."""


def same_lexical_index(a: LexicalIndex, b: LexicalIndex) -> bool:
    """Whether two BM25 indexes score every query alike: the same vocabulary and arrays."""
    if a is b:
        return True
    arrays = ("indptr", "doc_ids", "term_freqs", "doc_lengths", "idf")
    return a.vocabulary == b.vocabulary and all(np.array_equal(getattr(a, n), getattr(b, n)) for n in arrays)


def quick_index_dir(folder: Path) -> Path:
    return folder / QUICK_INDEX_FOLDER


def is_sure(best: float, margin: float, threshold: float, out_of_scope_first: bool = False,
            family: str = "", out_of_scope_gap: float = np.inf) -> bool:
    """Whether the quick pass's ranking (before any pin) can stand without the full model: its first
    scenario clears the threshold and leads clearly, and (a scenario first) the out-of-scope class trails
    it by its family's :data:`SURE_OUT_OF_SCOPE_GAP` (``out_of_scope_gap``: the best score less the class's,
    inf when the class is not ranked); or the out-of-scope class is first and leads by its family's
    :data:`SURE_OUT_OF_SCOPE_LEAD`."""
    if out_of_scope_first and margin >= SURE_OUT_OF_SCOPE_LEAD.get(family[:2], np.inf):
        return True
    if not out_of_scope_first and out_of_scope_gap < SURE_OUT_OF_SCOPE_GAP.get(family[:2], -np.inf):
        return False
    return best >= threshold + SURE_ABOVE_THRESHOLD and margin >= SURE_MARGIN


@dataclass(frozen=True)
class CascadeArrays:
    """A batch ranked by both passes, as arrays: ``quick`` ranks every text, ``full`` (None when
    the quick pass was sure of all) the texts at ``unsure``, in that order."""

    quick: RankedArrays
    full: RankedArrays | None
    unsure: np.ndarray  # (n_unsure,) int64 positions in the batch

    def lists(self) -> list[Ranked]:
        """Each text's :class:`Ranked`, from the pass that decided it."""
        decided = [Ranked(scenarios, quick=True) for scenarios in self.quick.lists()]
        if self.full is not None:
            for position, scenarios in zip(self.unsure.tolist(), self.full.lists(), strict=True):
                decided[position] = Ranked(scenarios)
        return decided


def best_and_margins(arrays: RankedArrays) -> tuple[list[float], list[float]]:
    """:attr:`Ranked.best` and :attr:`Ranked.margin` of each text, from the arrays (the same floats)."""
    ranked = arrays.ranked
    counts = np.isfinite(ranked).sum(axis=1).tolist()
    leaders = ranked[:, :2].tolist()
    best, margins = [], []
    for count, pair in zip(counts, leaders, strict=True):
        first = pair[0] if count else 0.0
        best.append(first)
        margins.append(round(first - pair[1], 4) if count >= 2 else (round(first, 4) if count else 0.0))
    return best, margins


def out_of_scope_gaps(arrays: RankedArrays, outside: int | None) -> list[float]:
    """Per text, its best score less the out-of-scope class's (inf where the class is not ranked or the
    library has none): what :func:`is_sure` reads against :data:`SURE_OUT_OF_SCOPE_GAP`."""
    n = arrays.scores.shape[0]
    if outside is None:
        return [float("inf")] * n
    own = arrays.scores[:, outside]
    best = arrays.ranked[:, 0]
    gap = np.where(np.isfinite(own) & np.isfinite(best), best - np.where(np.isfinite(own), own, 0.0), np.inf)
    return gap.tolist()


class Cascade:
    """Two rankers as one: ``quick`` ranks every text, ``full`` re-ranks those it is unsure of.

    Each text gets exactly the ranking of the pass that decided it, marked by
    :attr:`Ranked.quick`; the abstention ``threshold`` is the assistant's, passed per call.
    """

    def __init__(self, quick: Ranker, full: Ranker) -> None:
        self.quick = quick
        self.full = full
        self.same_lexical = same_lexical_index(quick.index.lexical, full.index.lexical)
        """Whether both passes' BM25 indexes are equal (built from the same library's examples):
        the full pass then reads the quick pass's BM25 tables of its texts instead of scoring
        them again, nor selecting their best columns again: about a sixth of a batch's lexical work
        (the same bits)."""

    def rank(
        self, normalised: list[str], families: list[str], segment: str | None, channel: str | None,
        top_k: int, threshold: float,
    ) -> list[Ranked]:
        if not normalised:
            return []
        return self.rank_arrays(normalised, families, segment, channel, top_k, threshold).lists()

    def rank_arrays(
        self, normalised: list[str], families: list[str], segment: str | None, channel: str | None,
        top_k: int, threshold: float,
    ) -> CascadeArrays:
        """:meth:`rank` as arrays; the full model's vectors of the unsure texts are kept."""
        kept = LexicalScores() if self.same_lexical else None
        first = self.quick.rank_arrays(normalised, families, segment, channel, top_k, keep=kept,
                                       dense_k=QUICK_DENSE_NEIGHBOURS,
                                       unread=lambda whole: self.handed_on(whole, threshold))
        best, margins = best_and_margins(first)
        outside = self.quick.out_of_scope_column
        leads = (np.isfinite(first.ranked[:, 0]) & (first.order[:, 0] == outside)).tolist() if outside is not None \
            else [False] * len(best)
        gaps = out_of_scope_gaps(first, outside)
        unsure = np.array(
            [i for i, (b, m, o, f, g) in enumerate(zip(best, margins, leads, families, gaps, strict=True))
             if not is_sure(b, m, threshold, o, f, g)],
            dtype=np.int64,
        )
        second = None
        if unsure.size:
            picked = unsure.tolist()
            scored = kept.table[unsure] if kept is not None and kept.table is not None else None
            chosen = kept.best[unsure] if scored is not None and kept is not None and kept.best is not None else None
            second = self.full.rank_arrays(
                [normalised[i] for i in picked], [families[i] for i in picked], segment, channel, top_k,
                lexical=scored, picked=chosen,
            )
        return CascadeArrays(first, second, unsure)

    def handed_on(self, whole: RankedArrays, threshold: float) -> np.ndarray:
        """(n,) bool: the texts of the quick pass's whole readings that no clause reading can make sure
        (:func:`is_sure`), so the full model decides them and their quick clauses go unused.

        With :attr:`Ranker.clause_keeps_top`, :func:`assist.lookup.rank.with_clauses` keeps a turn's
        out-of-scope score and shifts its other scenarios so that their first stays the whole
        reading's: a turn whose whole reading ranks an in-scope scenario keeps its best score and, with
        the out-of-scope class first, its lead over the rest (to the last place). So a text below the
        threshold's bar stays below it, and one whose out-of-scope lead is short of its family's stays
        short, clauses or not (both by :data:`HANDED_ON_SLACK`); so does a scenario's lead over the class,
        read against :data:`SURE_OUT_OF_SCOPE_GAP`. A turn without an in-scope scenario
        of its own is left to be read: its clauses could bring one in. The clause readings of the
        texts the quick pass hands on were about a fifth of its clause work on the 20,000
        ``lines.py`` lines (docs/performance.md, twenty-seventh round)."""
        n = whole.scores.shape[0]
        if not self.quick.clause_keeps_top:
            return np.zeros(n, dtype=bool)
        outside = self.quick.out_of_scope_column
        ranked = whole.ranked
        best, second = ranked[:, 0], ranked[:, 1]
        in_scope = whole.scores.copy()
        if outside is not None:
            in_scope[:, outside] = -np.inf
        has_own = np.isfinite(in_scope).any(axis=1)
        below = best < threshold + SURE_ABOVE_THRESHOLD - HANDED_ON_SLACK
        if outside is None:
            return has_own & below
        leads = np.array([SURE_OUT_OF_SCOPE_LEAD.get(f[:2], np.inf) for f in whole.families], dtype=np.float64)
        first_outside = whole.order[:, 0] == outside
        redirecting = first_outside & (best - second >= leads - HANDED_ON_SLACK)
        gaps = np.array([SURE_OUT_OF_SCOPE_GAP.get(f[:2], -np.inf) for f in whole.families], dtype=np.float64)
        near = ~first_outside & (np.array(out_of_scope_gaps(whole, outside)) < gaps - HANDED_ON_SLACK)
        return has_own & (below | near) & ~redirecting
