"""One evaluation run on the local engine: figures, gap sample and predictions in one pass.

The Ray engine (:mod:`assist.batch.ray_engine`) produces the same :class:`RunResult`
from the same aggregates, merged across blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from assist.batch.decide import decide_batch
from assist.batch.evaluate import BATCH, EvaluationReport, batched, map_labels, new_report, outcome_of
from assist.batch.gaps import GapCollector, GapReport, GapSample, encode_texts
from assist.batch.parallel import WorkerPool
from assist.batch.predictions import PredictionWriter, StagedOutputs, prediction_row, render_rows
from assist.batch.terms import TermService, preload_segmenter
from assist.library.importer import label_map
from assist.lookup.assistant import Assistant
from assist.text.datafiles import BadLine, Utterance, UtteranceReader
from assist.text.redact import redact

SKIPPED_LINES_LISTED = 1000
"""Line numbers of skipped lines kept in the summary (the count is always exact)."""


@dataclass
class RunResult:
    report: EvaluationReport
    gaps: GapReport | None
    skipped: list[BadLine]

    @property
    def summary(self) -> dict[str, Any]:
        return with_skipped(self.report.summary(), self.skipped)


def with_skipped(summary: dict[str, Any], skipped: list[BadLine]) -> dict[str, Any]:
    ordered = sorted(skipped, key=lambda b: b.line)
    reasons: dict[str, int] = {}
    for bad in ordered:
        kind = bad.reason.split(" (")[0]
        reasons[kind] = reasons.get(kind, 0) + 1
    summary["skipped_lines"] = {
        "count": len(ordered),
        "lines": [b.line for b in ordered[:SKIPPED_LINES_LISTED]],
        "reasons": reasons,
    }
    return summary


@dataclass
class BatchAggregates:
    """What one batch of an evaluation adds to the run: counts, gap candidates, prediction rows
    (as rows, or already rendered for the predictions file). A worker process returns this
    (small) instead of the batch's suggestions."""

    lines: int
    report: EvaluationReport
    gaps: GapSample | None
    rows: list[dict[str, Any]] | None
    rendered: str | None = None
    """The rows as :func:`assist.batch.predictions.render_rows` writes them, when asked to render."""


def aggregate_batch(
    assistant: Assistant, batch: list[Utterance], *, low_confidence: float | None, predictions: bool,
    render: str | None = None,
) -> BatchAggregates:
    """Decide one batch and aggregate it (a job for :func:`assist.batch.parallel.map_batches`):
    gap candidates when ``low_confidence`` is given, prediction rows when asked. ``render``
    (``csv`` or ``jsonl``) renders the rows here, in that format: a string crosses back from
    a worker process in place of a dict per line, and the rendering runs on every core.

    Each line is redacted once, for its prediction row and, if it is a gap, the sample."""
    decided = decide_batch(assistant, [item.text for item in batch], top_k=3)
    report = new_report(assistant)
    for item, decision in zip(batch, decided.decisions, strict=True):
        report.add(outcome_of(item, decision))
    redacted = [redact(item.text) for item in batch] if predictions else None
    sample = None
    if low_confidence is not None:
        collector = GapCollector(assistant, low_confidence=low_confidence)
        collector.add_batch(batch, decided, redacted)
        sample = collector.sample
    if redacted is None:
        return BatchAggregates(len(batch), report, sample, None)
    rows = [prediction_row(item, decision, text)
            for item, decision, text in zip(batch, decided.decisions, redacted, strict=True)]
    if render is not None:
        return BatchAggregates(len(batch), report, sample, None, render_rows(rows, render == "csv"))
    return BatchAggregates(len(batch), report, sample, rows)


def run_local(
    assistant: Assistant,
    items: Iterable[Utterance],
    *,
    workers: int = 1,
    gaps: bool = True,
    predictions: Path | None = None,
    outputs: StagedOutputs | None = None,
    progress: Callable[[int], None] | None = None,
    terms: TermService | None = None,
) -> RunResult:
    """Evaluate ``items`` (an :class:`UtteranceReader` reports its skipped lines), collect
    the gap sample and stream predictions to a staged file (committed by the caller).

    Each batch is decided and aggregated where it runs (:func:`aggregate_batch`), so only
    counts, gap candidates and prediction rows come back from worker processes. ``terms``
    (started by the caller before it loaded the assistant) finds the gap sample's candidate
    terms while the sample is embedded and clustered here; without it they are found here."""
    outputs = outputs if outputs is not None else StagedOutputs()
    collector = GapCollector(assistant) if gaps else None
    writer = PredictionWriter(predictions, outputs) if predictions is not None else None
    report = new_report(assistant)
    job = partial(aggregate_batch, low_confidence=collector.low_confidence if collector is not None else None,
                  predictions=writer is not None, render=writer.format if writer is not None else None)
    gap_report = None
    with WorkerPool(assistant, workers) as pool:
        # Naming the clusters needs jieba: with workers, it loads here while they look up,
        # from their first result on (earlier, it would slow their start by holding the GIL
        # of the process that hands them their batches).
        preload = collector is not None and pool.workers > 1 and terms is None
        try:
            mapped = map_labels(items, label_map(assistant.library.root))
            for part in pool.map(batched(mapped, BATCH), job):
                if preload:
                    preload_segmenter()
                    preload = False
                report.merge(part.report)
                if collector is not None and part.gaps is not None:
                    collector.total += part.lines
                    collector.sample.merge(part.gaps)
                if writer is not None and part.rendered is not None:
                    writer.write_rendered(part.rendered, part.lines)
                if progress is not None:
                    progress(part.lines)
        finally:
            if writer is not None:
                writer.close()
        if collector is not None:
            found = submitted(terms, collector.sample.texts)
            # The sample's texts without a vector are embedded by the workers, which have the
            # encoder loaded; clustering and naming then run here, after they stop.
            collector.sample.embed(assistant.encoder,
                                   encode_chunks=lambda chunks: pool.map(chunks, encode_texts))
            pool.close()
            gap_report = collector.report(term_sets=found)
    skipped = list(items.skipped) if isinstance(items, UtteranceReader) else []
    return RunResult(report, gap_report, skipped)


def submitted(terms: TermService | None, texts: list[str]) -> Callable[[], list[frozenset[str]] | None] | None:
    """Send the sample's texts to ``terms``; the returned function collects their candidate terms
    (None if the service failed: the report then finds them itself)."""
    if terms is None:
        return None
    try:
        terms.submit(texts)
    except OSError:
        return None

    def collect() -> list[frozenset[str]] | None:
        try:
            return terms.result()
        except (EOFError, OSError):
            return None

    return collect

