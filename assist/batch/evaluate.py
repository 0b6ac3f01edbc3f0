"""Measure an assistant on labelled utterances: ranking accuracy and abstention.

Input is streamed in batches (JSONL ``{"text", "scenario"}``; see
:mod:`assist.text.datafiles` for CSV and plain text), so memory stays bounded
whatever the file size. Only aggregate figures and redacted texts are kept.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from assist.batch.parallel import suggest_batches
from assist.errors import InputError
from assist.lookup.assistant import Assistant
from assist.text.datafiles import Utterance
from assist.types import Suggestion

OUT_OF_SCOPE = "out_of_scope"
BATCH = 256


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one utterance (text kept only for the caller's use)."""

    label: str | None
    predicted: str | None
    ranked: tuple[str, ...]
    score: float
    abstained: bool
    pinned: bool
    quick: bool = False


@dataclass
class PrecisionRecall:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float:
        denominator = self.true_positive + self.false_positive
        return self.true_positive / denominator if denominator else 0.0

    @property
    def recall(self) -> float:
        denominator = self.true_positive + self.false_negative
        return self.true_positive / denominator if denominator else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvaluationReport:
    total: int = 0
    labelled_in_scope: int = 0
    top1: int = 0
    top3: int = 0
    answered_correct: int = 0
    abstained: int = 0
    pinned: int = 0
    quick: int = 0
    abstention: PrecisionRecall = field(default_factory=PrecisionRecall)
    per_scenario: dict[str, list[int]] = field(default_factory=dict)  # scenario -> [right, total]
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    volume: Counter[str] = field(default_factory=Counter)
    abstained_by_scenario: Counter[str] = field(default_factory=Counter)
    score_histogram: list[int] = field(default_factory=lambda: [0] * 20)
    threshold: float = 0.0

    def add(self, outcome: Outcome) -> None:
        self.total += 1
        self.abstained += outcome.abstained
        self.pinned += outcome.pinned
        self.quick += outcome.quick
        self.volume[outcome.predicted if not outcome.abstained and outcome.predicted else OUT_OF_SCOPE] += 1
        if outcome.abstained and outcome.predicted:
            self.abstained_by_scenario[outcome.predicted] += 1
        bucket = min(19, max(0, int(outcome.score * 20)))
        self.score_histogram[bucket] += 1
        label = outcome.label
        if label is None:
            return
        is_oos = label == OUT_OF_SCOPE
        if is_oos and outcome.abstained:
            self.abstention.true_positive += 1
        elif is_oos:
            self.abstention.false_negative += 1
        elif outcome.abstained:
            self.abstention.false_positive += 1
        if is_oos:
            return
        self.labelled_in_scope += 1
        right = outcome.predicted == label
        self.top1 += right
        self.top3 += label in outcome.ranked[:3]
        self.answered_correct += right and not outcome.abstained
        tally = self.per_scenario.setdefault(label, [0, 0])
        tally[0] += right
        tally[1] += 1
        if not right and outcome.predicted:
            self.confusions[(label, outcome.predicted)] += 1

    def rate(self, count: int) -> float:
        return count / self.labelled_in_scope if self.labelled_in_scope else 0.0

    def summary(self) -> dict[str, object]:
        return {
            "utterances": self.total,
            "labelled_in_scope": self.labelled_in_scope,
            "top1": round(self.rate(self.top1), 4),
            "top3": round(self.rate(self.top3), 4),
            "answered_and_correct": round(self.rate(self.answered_correct), 4),
            "coverage": round(1 - self.abstained / self.total, 4) if self.total else 0.0,
            "abstained": self.abstained,
            "pinned": self.pinned,
            "answered_by_quick_pass": round(self.quick / self.total, 4) if self.total else 0.0,
            "threshold": round(self.threshold, 4),
            "out_of_scope_precision": round(self.abstention.precision, 4),
            "out_of_scope_recall": round(self.abstention.recall, 4),
            "out_of_scope_f1": round(self.abstention.f1, 4),
            "per_scenario_accuracy": {
                k: round(v[0] / v[1], 4) for k, v in sorted(self.per_scenario.items()) if v[1]
            },
            "top_confusions": [
                {"label": a, "predicted": b, "count": n} for (a, b), n in self.confusions.most_common(10)
            ],
            "volume": dict(self.volume.most_common()),
            "abstained_by_scenario": dict(self.abstained_by_scenario.most_common()),
            "score_histogram": self.score_histogram,
        }


def outcome_of(item: Utterance, suggestion: Suggestion) -> Outcome:
    ranked = tuple(c.scenario for c in suggestion.candidates)
    return Outcome(
        label=item.label,
        predicted=ranked[0] if ranked else None,
        ranked=ranked,
        score=suggestion.candidates[0].score if suggestion.candidates else 0.0,
        abstained=suggestion.abstained,
        pinned=suggestion.pinned_by is not None,
        quick=suggestion.quick_pass,
    )


def batched(items: Iterable[Utterance], size: int) -> Iterator[list[Utterance]]:
    batch: list[Utterance] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_outcomes(
    assistant: Assistant,
    items: Iterable[Utterance],
    on_batch: Callable[[list[Utterance], list[Suggestion]], None] | None = None,
    *,
    workers: int = 1,
) -> Iterator[Outcome]:
    """Suggest for every utterance, batch by batch, yielding outcomes as they come.

    ``workers`` > 1 spreads the batches over that many worker processes
    (:mod:`assist.batch.parallel`); outcomes still come in input order.
    """
    waiting: deque[list[Utterance]] = deque()

    def texts() -> Iterator[list[str]]:
        for batch in batched(items, BATCH):
            waiting.append(batch)
            yield [item.text for item in batch]

    for suggestions in suggest_batches(assistant, texts(), workers=workers, top_k=3):
        batch = waiting.popleft()
        if on_batch is not None:
            on_batch(batch, suggestions)
        for item, suggestion in zip(batch, suggestions, strict=True):
            yield outcome_of(item, suggestion)


def evaluate(
    assistant: Assistant,
    items: Iterable[Utterance],
    on_batch: Callable[[list[Utterance], list[Suggestion]], None] | None = None,
    *,
    workers: int = 1,
) -> EvaluationReport:
    report = EvaluationReport(threshold=assistant.threshold)
    for outcome in run_outcomes(assistant, items, on_batch, workers=workers):
        report.add(outcome)
    return report


def best_threshold(outcomes: list[Outcome]) -> tuple[float, float]:
    """The abstention threshold that maximises F1 on labelled out_of_scope lines.

    Pinned outcomes never abstain, so they are left out of the search. Ties go
    to the lower threshold (answer more). Returns (threshold, f1).
    """
    labelled = [o for o in outcomes if o.label is not None and not o.pinned]
    if not any(o.label == OUT_OF_SCOPE for o in labelled):
        raise InputError("calibration needs lines labelled out_of_scope; label some lines of the file out_of_scope")
    best = (0.0, -1.0)
    candidates = sorted({round(o.score, 4) for o in labelled} | {0.0})
    for cut in candidates:
        counts = PrecisionRecall()
        for outcome in labelled:
            abstain = outcome.score < cut
            is_oos = outcome.label == OUT_OF_SCOPE
            counts.true_positive += abstain and is_oos
            counts.false_positive += abstain and not is_oos
            counts.false_negative += (not abstain) and is_oos
        if counts.f1 > best[1]:
            best = (cut, counts.f1)
    return best
