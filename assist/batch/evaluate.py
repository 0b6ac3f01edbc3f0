"""Measure an assistant on labelled utterances: ranking accuracy and abstention.

Input is streamed in batches (JSONL ``{"text", "scenario"}``; see
:mod:`assist.text.datafiles` for CSV and plain text), so memory stays bounded
whatever the file size. Only aggregate figures and redacted texts are kept.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from assist.batch.decide import DecidedBatch, Decision, decide_batch
from assist.batch.parallel import map_batches
from assist.errors import InputError
from assist.library.importer import label_map
from assist.lookup.assistant import Assistant
from assist.text.datafiles import Utterance

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

    @property
    def answered(self) -> str:
        """The scenario answered, or ``out_of_scope`` for an abstention."""
        return self.predicted if not self.abstained and self.predicted else OUT_OF_SCOPE


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

    def merge(self, other: PrecisionRecall) -> None:
        self.true_positive += other.true_positive
        self.false_positive += other.false_positive
        self.false_negative += other.false_negative


def _ratio(count: int, total: int) -> float | None:
    """A rounded rate, or None ("n/a") when there is nothing to divide by."""
    return round(count / total, 4) if total else None


@dataclass
class EvaluationReport:
    """Aggregate figures of an evaluation; every field is a count, so two reports of two
    parts of an input :meth:`merge` into the report of the whole, in any order."""

    total: int = 0
    labelled: int = 0
    labelled_in_scope: int = 0
    labelled_out_of_scope: int = 0
    top1: int = 0
    top3: int = 0
    answered_correct: int = 0
    abstained: int = 0
    pinned: int = 0
    quick: int = 0
    abstention: PrecisionRecall = field(default_factory=PrecisionRecall)
    per_scenario: dict[str, list[int]] = field(default_factory=dict)  # scenario -> [right, total]
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(label, top-1 scenario) of labelled in-scope lines whose top-1 is wrong."""
    matrix: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(label, answered scenario or out_of_scope) of every labelled line: the confusion matrix."""
    volume: Counter[str] = field(default_factory=Counter)
    abstained_by_scenario: Counter[str] = field(default_factory=Counter)
    unknown_labels: Counter[str] = field(default_factory=Counter)
    """Gold labels that are neither a scenario of the library nor out_of_scope."""
    score_histogram: list[int] = field(default_factory=lambda: [0] * 20)
    threshold: float = 0.0
    known: frozenset[str] | None = None
    """The library's scenario ids, to tell unknown labels; None: every label is known."""

    def add(self, outcome: Outcome) -> None:
        self.total += 1
        self.abstained += outcome.abstained
        self.pinned += outcome.pinned
        self.quick += outcome.quick
        self.volume[outcome.answered] += 1
        if outcome.abstained and outcome.predicted:
            self.abstained_by_scenario[outcome.predicted] += 1
        bucket = min(19, max(0, int(outcome.score * 20)))
        self.score_histogram[bucket] += 1
        label = outcome.label
        if label is None:
            return
        self.labelled += 1
        self.matrix[(label, outcome.answered)] += 1
        is_oos = label == OUT_OF_SCOPE
        if is_oos and outcome.abstained:
            self.abstention.true_positive += 1
        elif is_oos:
            self.abstention.false_negative += 1
        elif outcome.abstained:
            self.abstention.false_positive += 1
        if is_oos:
            self.labelled_out_of_scope += 1
            return
        if self.known is not None and label not in self.known:
            self.unknown_labels[label] += 1
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

    def merge(self, other: EvaluationReport) -> EvaluationReport:
        """Add ``other``'s counts to this report (commutative and associative); returns self."""
        for name in ("total", "labelled", "labelled_in_scope", "labelled_out_of_scope", "top1", "top3",
                     "answered_correct", "abstained", "pinned", "quick"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.abstention.merge(other.abstention)
        for scenario, (right, total) in other.per_scenario.items():
            tally = self.per_scenario.setdefault(scenario, [0, 0])
            tally[0] += right
            tally[1] += total
        self.confusions.update(other.confusions)
        self.matrix.update(other.matrix)
        self.volume.update(other.volume)
        self.abstained_by_scenario.update(other.abstained_by_scenario)
        self.unknown_labels.update(other.unknown_labels)
        self.score_histogram = [a + b for a, b in zip(self.score_histogram, other.score_histogram, strict=True)]
        return self

    def rate(self, count: int) -> float | None:
        return _ratio(count, self.labelled_in_scope)

    def scenario_scores(self) -> dict[str, dict[str, float | int | None]]:
        """Per-scenario precision, recall and F1 of the answered scenario on labelled lines
        (an abstention answers out_of_scope), with support (labelled lines of the scenario)."""
        support: Counter[str] = Counter()
        predicted: Counter[str] = Counter()
        right: Counter[str] = Counter()
        for (label, answered), count in self.matrix.items():
            support[label] += count
            predicted[answered] += count
            if label == answered:
                right[label] += count
        scores: dict[str, dict[str, float | int | None]] = {}
        for scenario in sorted(set(support) | set(predicted)):
            precision = _ratio(right[scenario], predicted[scenario])
            recall = _ratio(right[scenario], support[scenario])
            f1 = (round(2 * precision * recall / (precision + recall), 4)
                  if precision is not None and recall is not None and precision + recall else
                  (0.0 if precision is not None and recall is not None else None))
            scores[scenario] = {"precision": precision, "recall": recall, "f1": f1,
                                "support": support[scenario], "predicted": predicted[scenario]}
        return scores

    def summary(self) -> dict[str, object]:
        """Figures for reports and ``--json``. A rate with nothing to divide by is None (shown
        as n/a): an unlabelled input has no accuracy, not an accuracy of 0."""
        has_oos = self.labelled_out_of_scope > 0
        return {
            "utterances": self.total,
            "labelled": self.labelled,
            "labelled_in_scope": self.labelled_in_scope,
            "top1": self.rate(self.top1),
            "top3": self.rate(self.top3),
            "answered_and_correct": self.rate(self.answered_correct),
            "coverage": round(1 - self.abstained / self.total, 4) if self.total else None,
            "abstained": self.abstained,
            "pinned": self.pinned,
            "answered_by_quick_pass": _ratio(self.quick, self.total),
            "threshold": round(self.threshold, 4),
            "out_of_scope_precision": round(self.abstention.precision, 4) if has_oos else None,
            "out_of_scope_recall": round(self.abstention.recall, 4) if has_oos else None,
            "out_of_scope_f1": round(self.abstention.f1, 4) if has_oos else None,
            "per_scenario_accuracy": {
                k: round(v[0] / v[1], 4) for k, v in sorted(self.per_scenario.items()) if v[1]
            },
            "per_scenario": self.scenario_scores(),
            "top_confusions": [
                {"label": a, "predicted": b, "count": n}
                for (a, b), n in sorted(self.confusions.items(), key=lambda r: (-r[1], r[0]))[:10]
            ],
            "confusion_matrix": [
                {"label": a, "answered": b, "count": n} for (a, b), n in sorted(self.matrix.items())
            ],
            "unknown_labels": dict(sorted(self.unknown_labels.items(), key=lambda r: (-r[1], r[0]))),
            "volume": dict(sorted(self.volume.items(), key=lambda r: (-r[1], r[0]))),
            "abstained_by_scenario": dict(sorted(self.abstained_by_scenario.items(), key=lambda r: (-r[1], r[0]))),
            "score_histogram": self.score_histogram,
        }


def outcome_of(item: Utterance, decision: Decision) -> Outcome:
    ranked = decision.scenarios
    return Outcome(
        label=item.label,
        predicted=ranked[0] if ranked else None,
        ranked=ranked,
        score=decision.score,
        abstained=decision.abstained,
        pinned=decision.pinned,
        quick=decision.quick,
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


def decide_texts(assistant: Assistant, texts: list[str]) -> DecidedBatch:
    """One batch's decisions (a job for :func:`assist.batch.parallel.map_batches`)."""
    return decide_batch(assistant, texts, top_k=3)


def run_outcomes(
    assistant: Assistant,
    items: Iterable[Utterance],
    on_batch: Callable[[list[Utterance], DecidedBatch], None] | None = None,
    *,
    workers: int = 1,
) -> Iterator[Outcome]:
    """Decide every utterance, batch by batch, yielding outcomes as they come.

    ``workers`` > 1 spreads the batches over that many worker processes
    (:mod:`assist.batch.parallel`); outcomes still come in input order.
    """
    waiting: deque[list[Utterance]] = deque()

    def texts() -> Iterator[list[str]]:
        for batch in batched(items, BATCH):
            waiting.append(batch)
            yield [item.text for item in batch]

    for decided in map_batches(assistant, texts(), decide_texts, workers=workers):
        batch = waiting.popleft()
        if on_batch is not None:
            on_batch(batch, decided)
        for item, decision in zip(batch, decided.decisions, strict=True):
            yield outcome_of(item, decision)


def report_of_batch(assistant: Assistant, batch: list[Utterance]) -> EvaluationReport:
    """One batch's report (a job for :func:`assist.batch.parallel.map_batches`: only counts
    come back from a worker)."""
    report = new_report(assistant)
    for item, decision in zip(batch, decide_texts(assistant, [item.text for item in batch]).decisions,
                              strict=True):
        report.add(outcome_of(item, decision))
    return report


def evaluate(
    assistant: Assistant,
    items: Iterable[Utterance],
    on_batch: Callable[[list[Utterance], DecidedBatch], None] | None = None,
    *,
    workers: int = 1,
) -> EvaluationReport:
    """The report of ``items``; each batch's decisions go to ``on_batch`` too, if given (which
    brings them back from the workers: without it only each batch's counts do)."""
    report = new_report(assistant)
    mapped = map_labels(items, label_map(assistant.library.root))
    if on_batch is not None:
        for outcome in run_outcomes(assistant, mapped, on_batch, workers=workers):
            report.add(outcome)
        return report
    for part in map_batches(assistant, batched(mapped, BATCH), report_of_batch, workers=workers):
        report.merge(part)
    return report


def new_report(assistant: Assistant) -> EvaluationReport:
    """An empty report that knows the assistant's threshold and scenario ids."""
    return EvaluationReport(threshold=assistant.threshold, known=frozenset(assistant.library.scenarios))


def map_labels(items: Iterable[Utterance], mapping: Mapping[str, str]) -> Iterator[Utterance]:
    """Gold labels written as the library's display labels (挂失) become their scenario ids."""
    if not mapping:
        yield from items
        return
    for item in items:
        if item.label is not None and item.label in mapping:
            yield replace(item, label=mapping[item.label])
        else:
            yield item


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
