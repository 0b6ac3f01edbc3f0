"""Rank scenarios from example hits and pick the right script variant for each.

Scores aggregate per scenario (the best fused example, with a small bonus
when several examples of that scenario agree), so the runner-up slots show
other situations rather than the same reply in another language. Within a
scenario the variant is chosen by the customer's language and the requested
segment and channel, then by which variant's examples matched best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assist.indexing.head import SUPPORT_BONUS, aggregate
from assist.lookup.search import Candidates, ExampleHit
from assist.text.clauses import LONG_TURN_CHARS
from assist.text.normalise import to_simplified
from assist.types import Script

HEAD_WEIGHT = 0.3
"""Share of the learned scenario classifier in a scenario's score (the rest is retrieval) when
the caller gives none; a built head carries its own, chosen by cross-validation."""
HEAD_FLOOR = 0.02
"""A scenario the classifier rates above this joins the ranking even without a retrieved example."""
NO_HIT = ExampleHit(row=-1, dense=0.0, lexical=0.0, fused=0.0)


@dataclass(frozen=True)
class ScenarioScore:
    scenario: str
    score: float
    best: ExampleHit
    script: Script


GENERAL = "general"
"""An explicit segment meaning "no special segment": it rules out every segment's variant."""
EXCLUDED = -100.0
"""Preference of a variant an explicit segment or channel rules out: chosen only when the
scenario has nothing else (the reply then says so, :func:`assist.lookup.reply.variant_note`)."""
FAMILIES = ("zh", "zh-Hant", "en")
"""Customer families for variant choice: zh-Hant customers are zh and prefer zh-Hant variants."""
_CJK = ("\u3400", "\u9fff")


def customer_family(text: str) -> str:
    """'zh-Hant' when the text holds traditional-only characters, 'zh' for other Chinese, else 'en'."""
    if not any(_CJK[0] <= ch <= _CJK[1] or "\uf900" <= ch <= "\ufaff" for ch in text):
        return "en"
    return "zh-Hant" if to_simplified(text) != text else "zh"


def script_family(script: Script) -> str:
    return "zh" if script.language.startswith("zh") else "en"


def variant_fits(script: Script, segment: str | None, channel: str | None) -> bool:
    """Whether an explicit segment or channel allows ``script``: a variant of another
    segment or channel never fits; a variant for every segment or channel always does."""
    if segment is not None and script.segment is not None and script.segment != segment:
        return False
    return channel is None or script.channel is None or script.channel == channel


def variant_preference(
    script: Script, family: str, segment: str | None, channel: str | None
) -> float:
    """Bonus for a variant that fits the caller; ranks variants within one scenario.
    An explicit segment or channel is a hard filter (:data:`EXCLUDED`)."""
    bonus = 0.0 if variant_fits(script, segment, channel) else EXCLUDED
    if script_family(script) == family[:2]:
        bonus += 0.3
        if family == "zh-Hant" and script.language == "zh-Hant":
            bonus += 0.1
    if segment is not None and script.segment == segment:
        bonus += 0.2
    elif script.segment is not None and script.segment != segment:
        bonus -= 0.05
    if channel is not None and script.channel == channel:
        bonus += 0.05
    elif script.channel is not None and script.channel != channel:
        bonus -= 0.02
    return bonus


def choose_variant(
    variants: Sequence[Script],
    best_by_script: dict[str, float],
    family: str,
    segment: str | None,
    channel: str | None,
) -> Script:
    return max(
        variants,
        key=lambda s: best_by_script.get(s.id, 0.0) * 0.5 + variant_preference(s, family, segment, channel),
    )


class ScenarioTable:
    """The library's scenarios, scripts and example rows as integer arrays, built once
    per loaded library, so a batch is ranked with array operations."""

    def __init__(self, scripts: Sequence[Script], row_script: Sequence[int]) -> None:
        self.scripts = tuple(scripts)
        self.scenarios = tuple(dict.fromkeys(s.scenario for s in scripts))
        position = {name: i for i, name in enumerate(self.scenarios)}
        self.script_scenario = np.array([position[s.scenario] for s in scripts], dtype=np.int64)
        self.row_script = np.asarray(row_script, dtype=np.int64)
        self.row_scenario = self.script_scenario[self.row_script]
        variants = [[i for i, s in enumerate(scripts) if s.scenario == name] for name in self.scenarios]
        widest = max((len(v) for v in variants), default=1)
        self.variants = np.full((len(self.scenarios), widest), -1, dtype=np.int64)
        for i, members in enumerate(variants):
            self.variants[i, : len(members)] = members

        self._preferences: dict[tuple[str | None, str | None], dict[str, np.ndarray]] = {}

    def preferences(self, segment: str | None, channel: str | None) -> dict[str, np.ndarray]:
        """:func:`variant_preference` of every script, per language family (computed once per
        segment and channel)."""
        key = (segment, channel)
        if key not in self._preferences:
            self._preferences[key] = {
                family: np.array([variant_preference(s, family, segment, channel) for s in self.scripts])
                for family in FAMILIES
            }
        return self._preferences[key]

    def head_columns(self, labels: Sequence[str]) -> np.ndarray:
        """For each scenario, its column in a head's probabilities (-1 if the head lacks it)."""
        column = {label: i for i, label in enumerate(labels)}
        return np.array([column.get(name, -1) for name in self.scenarios], dtype=np.int64)


def _top_per_group(
    groups: np.ndarray, fused: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each (query, group): the column of its best candidate (-1 if none) and the
    fused scores of its best, second and third candidates (0 where absent)."""
    n_queries, width = fused.shape
    keys = (np.arange(n_queries)[:, None] * (n_groups + 1) + groups).ravel()
    by_score = np.argsort(-fused, axis=1, kind="stable")
    flat_order = (by_score + np.arange(n_queries)[:, None] * width).ravel()
    order = flat_order[np.argsort(keys[flat_order], kind="stable")]
    sorted_keys = keys[order]
    starts = np.ones(sorted_keys.shape, dtype=bool)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(sorted_keys.size), 0))
    rank_in_group = np.arange(sorted_keys.size) - group_start
    best_column = np.full(n_queries * (n_groups + 1), -1, dtype=np.int64)
    best_column[sorted_keys[starts]] = order[starts] % width
    flat_fused = fused.ravel()
    shape = (n_queries, n_groups + 1)
    tops = []
    for rank in range(3):
        at_rank = rank_in_group == rank
        top = np.zeros(n_queries * (n_groups + 1))
        top[sorted_keys[at_rank]] = flat_fused[order[at_rank]]
        tops.append(top.reshape(shape)[:, :n_groups])
    return best_column.reshape(shape)[:, :n_groups], tops[0], tops[1], tops[2]


def _best_per_group(groups: np.ndarray, fused: np.ndarray, n_groups: int) -> np.ndarray:
    """For each (query, group): the best fused score of its candidates, floored at 0
    (0 where it has none)."""
    n_queries = fused.shape[0]
    best = np.zeros(n_queries * (n_groups + 1))
    keys = (np.arange(n_queries)[:, None] * (n_groups + 1) + groups).ravel()
    np.maximum.at(best, keys, fused.ravel())
    return best.reshape(n_queries, n_groups + 1)[:, :n_groups]


@dataclass(frozen=True)
class RankedArrays:
    """A batch's scenario ranking as arrays (:func:`rank_arrays`): what a caller needs to
    decide each query without building its :class:`ScenarioScore` lists, which
    :meth:`lists` builds for the rows that need them (e.g. those a rule pins)."""

    table: ScenarioTable
    candidates: Candidates
    families: Sequence[str]
    segment: str | None
    channel: str | None
    scores: np.ndarray  # (n_queries, n_scenarios) float64, -inf where a scenario is not eligible
    order: np.ndarray  # (n_queries, limit) scenario indices, best first
    best_column: np.ndarray  # (n_queries, n_scenarios) candidate column of each scenario's best hit, -1 if none
    vectors: np.ndarray | None = None
    """The queries' vectors, kept by :meth:`assist.lookup.ranker.Ranker.rank_arrays`."""

    @property
    def ranked(self) -> np.ndarray:
        """(n_queries, limit) scores in ranked order; ``-inf`` past a query's last eligible scenario."""
        return np.take_along_axis(self.scores, self.order, axis=1)

    def lists(self, rows: Sequence[int] | None = None) -> list[list[ScenarioScore]]:
        """The ranked :class:`ScenarioScore` list of each query in ``rows`` (default: all), each
        scenario with the variant that fits its caller best."""
        table, candidates = self.table, self.candidates
        chosen_rows = np.arange(len(self.families)) if rows is None else np.asarray(rows, dtype=np.int64)
        n_scripts = len(table.scripts)
        if not chosen_rows.size:
            return []
        row_ids = candidates.rows[chosen_rows]
        valid = row_ids >= 0
        script_of = np.where(valid, table.row_script[np.where(valid, row_ids, 0)], n_scripts)
        # Row by row (np.maximum.at), so a query's figures do not depend on the rows asked with it.
        best_by_script = _best_per_group(script_of, candidates.fused[chosen_rows], n_scripts)
        preferences = table.preferences(self.segment, self.channel)
        has_hit = self.best_column >= 0
        ranked: list[list[ScenarioScore]] = []
        for position, query in enumerate(chosen_rows.tolist()):
            family = self.families[query]
            chosen = self.order[query][np.isfinite(self.scores[query, self.order[query]])]
            variants = table.variants[chosen]
            fit = np.where(
                variants >= 0,
                best_by_script[position, np.maximum(variants, 0)] * 0.5
                + preferences[family][np.maximum(variants, 0)],
                -np.inf,
            )
            picks = variants[np.arange(len(chosen)), np.argmax(fit, axis=1)] if len(chosen) else chosen
            ranked.append([
                ScenarioScore(
                    table.scenarios[scenario], float(self.scores[query, scenario]),
                    candidates.hit(query, int(self.best_column[query, scenario]))
                    if has_hit[query, scenario] else NO_HIT,
                    table.scripts[int(pick)],
                )
                for scenario, pick in zip(chosen.tolist(), picks.tolist(), strict=True)
            ])
        return ranked


def rank_arrays(
    candidates: Candidates,
    table: ScenarioTable,
    families: Sequence[str],
    segment: str | None = None,
    channel: str | None = None,
    head_probs: np.ndarray | None = None,
    head_columns: np.ndarray | None = None,
    limit: int = 10,
    head_weight: float = HEAD_WEIGHT,
    aggregation: str = "best",
) -> RankedArrays:
    """The ``limit`` best scenarios of each query of a batch, as arrays.

    A scenario scores its best candidate example plus a small bonus for its
    second (agreement among examples); with a learned head, that retrieval score
    and the head's probability are blended. A scenario enters the ranking with
    a retrieved example or a head probability of at least :data:`HEAD_FLOOR`.
    ``head_probs`` holds the head's probabilities with ``head_columns`` mapping
    each scenario to its column (see :meth:`ScenarioTable.head_columns`);
    ``head_weight`` is the head's share. ``aggregation`` ``mean3`` scores a scenario
    by the mean of its three best candidates instead (see :data:`assist.indexing.head.AGGREGATIONS`).
    """
    n_scenarios = len(table.scenarios)
    valid = candidates.rows >= 0
    safe_rows = np.where(valid, candidates.rows, 0)
    scenario_of = np.where(valid, table.row_scenario[safe_rows], n_scenarios)
    best_column, best, runner_up, third = _top_per_group(scenario_of, candidates.fused, n_scenarios)
    has_hit = best_column >= 0
    scores = np.where(has_hit, aggregate(best, runner_up, third, aggregation, SUPPORT_BONUS), 0.0)
    eligible = has_hit
    if head_probs is not None and head_columns is not None:
        known = head_columns >= 0
        probs = np.where(known, head_probs[:, np.maximum(head_columns, 0)], 0.0)
        scores = (1 - head_weight) * scores + head_weight * probs
        eligible = eligible | (probs >= HEAD_FLOOR)
    scores = np.where(eligible, scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :limit]
    return RankedArrays(table, candidates, families, segment, channel, scores, order, best_column)


CLAUSE_SHARE = 0.35
"""Share of a long turn's best clause in a scenario's score (:func:`with_clauses`); the whole turn
keeps the rest."""


CLAUSE_MARGIN: float | None = 0.3
"""A long turn is read clause by clause only when its whole reading's first scenario leads the second
by less than this (:func:`clause_turns`)."""


def clause_turns(whole: RankedArrays, normalised: Sequence[str], share: float,
                 margin: float | None = CLAUSE_MARGIN) -> list[int]:
    """The turns of ``whole`` to read clause by clause too: long ones (:func:`assist.text.clauses.clauses`
    decides) whose first scenario leads the second by less than ``margin`` (None: every one).

    The blend moves a scenario's score by ``share x`` (its best clause score - its whole score), so a
    turn whose leader stands well clear of the runner-up keeps it whatever its clauses say; reading
    only the close ones saves their search where it cannot change the answer."""
    if share <= 0:
        return []
    long = [turn for turn, text in enumerate(normalised) if len(text) > LONG_TURN_CHARS]
    if margin is None or not long:
        return long
    leaders = whole.ranked[long, :2]
    first, second = leaders[:, 0], leaders[:, 1]
    gap = np.where(np.isfinite(second), first - second, np.where(np.isfinite(first), first, 0.0))
    return [turn for turn, close in zip(long, (gap < margin).tolist(), strict=True) if close]


def with_clauses(whole: RankedArrays, clauses: RankedArrays, owners: np.ndarray,
                 share: float = CLAUSE_SHARE, keep_top: bool = True, whole_only: int | None = None) -> RankedArrays:
    """``whole``'s ranking with each long turn read clause by clause too (:mod:`assist.text.clauses`).

    ``clauses`` ranks the clauses, ``owners`` (ascending) gives each clause's turn. A turn's
    scenario scores ``(1 - share) x`` its score for the whole turn ``+ share x`` its best score over
    the turn's clauses (0 where a reading lacks it): a scenario one clause states plainly gains on
    one the whole turn drifts toward through its context, and a scenario only the context raises
    loses a share. With ``keep_top`` every score of the turn then moves alike so that its first
    equals the whole reading's: the clauses reorder the scenarios, and whether the turn is answered at
    all stays the whole turn's call (the abstention thresholds are calibrated on whole texts; the blend
    alone pulled long in-scope turns under them). The clauses' candidates join the turn's (after its
    own columns), so a scenario shows its best example over every reading. ``whole_only`` (the
    out-of-scope class's column) keeps its score for the whole turn, and ``keep_top`` then reads the
    other scenarios' first: a clause about another firm's product must not turn an in-scope turn into a
    redirect, nor a story's context lift one."""
    if not owners.size:
        return whole
    turns, starts, counts = np.unique(owners, return_index=True, return_counts=True)
    part_scores = clauses.scores
    best_part = np.maximum.reduceat(np.where(np.isfinite(part_scores), part_scores, 0.0), starts, axis=0)
    any_part = np.logical_or.reduceat(np.isfinite(part_scores), starts, axis=0)
    own = whole.scores[turns]
    blended = (1 - share) * np.where(np.isfinite(own), own, 0.0) + share * best_part
    scores = whole.scores.copy()
    blended = np.where(np.isfinite(own) | any_part, blended, -np.inf)
    if keep_top:
        others = np.ones(blended.shape[1], dtype=bool)
        if whole_only is not None:
            others[whole_only] = False
        blended = blended + _top_shift(own[:, others], blended[:, others])[:, None]
    if whole_only is not None:
        blended[:, whole_only] = own[:, whole_only]
    scores[turns] = blended
    order = whole.order.copy()
    order[turns] = np.argsort(-scores[turns], axis=1, kind="stable")[:, : order.shape[1]]
    candidates = _joined(whole.candidates, clauses.candidates, owners, starts, counts)
    table = whole.table
    n_scenarios = len(table.scenarios)
    rows = candidates.rows[turns]
    valid = rows >= 0
    scenario_of = np.where(valid, table.row_scenario[np.where(valid, rows, 0)], n_scenarios)
    best_column = whole.best_column.copy()
    best_column[turns] = _top_per_group(scenario_of, candidates.fused[turns], n_scenarios)[0]
    return RankedArrays(table, candidates, whole.families, whole.segment, whole.channel, scores, order,
                        best_column, whole.vectors)


def _top_shift(own: np.ndarray, blended: np.ndarray) -> np.ndarray:
    """Per turn, what moves the blend's first score back to the whole turn's (0 where either has none)."""
    top_own, top_blended = own.max(axis=1), blended.max(axis=1)
    fine = np.isfinite(top_own) & np.isfinite(top_blended)
    return np.where(fine, top_own - np.where(fine, top_blended, 0.0), 0.0)


def _joined(whole: Candidates, parts: Candidates, owners: np.ndarray, starts: np.ndarray,
            counts: np.ndarray) -> Candidates:
    """``whole``'s candidate table with each turn's clauses' candidates appended to its row (the
    ``k``-th clause of a turn in the ``k``-th block of ``parts``' width; -1 / -inf padding)."""
    n, width = whole.rows.shape[0], parts.rows.shape[1]
    blocks = int(counts.max())
    slot = np.arange(owners.size) - np.repeat(starts, counts)
    arrays = []
    for name, pad in (("rows", -1), ("dense", 0.0), ("lexical", 0.0), ("fused", -np.inf)):
        part = getattr(parts, name)
        extra = np.full((n, blocks, width), pad, dtype=part.dtype)
        extra[owners, slot] = part
        arrays.append(np.concatenate([getattr(whole, name), extra.reshape(n, blocks * width)], axis=1))
    return Candidates(*arrays)
