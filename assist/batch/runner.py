"""One evaluation run on the local engine: figures, gap sample and predictions in one pass.

The Ray engine (:mod:`assist.batch.ray_engine`) produces the same :class:`RunResult`
from the same aggregates, merged across blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assist.batch.evaluate import EvaluationReport, map_labels, new_report, run_outcomes
from assist.batch.gaps import GapCollector, GapReport
from assist.batch.predictions import PredictionWriter, StagedOutputs
from assist.library.importer import label_map
from assist.lookup.assistant import Assistant
from assist.text.datafiles import BadLine, Utterance, UtteranceReader
from assist.types import Suggestion

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


def run_local(
    assistant: Assistant,
    items: Iterable[Utterance],
    *,
    workers: int = 1,
    gaps: bool = True,
    predictions: Path | None = None,
    outputs: StagedOutputs | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Evaluate ``items`` (an :class:`UtteranceReader` reports its skipped lines), collect
    the gap sample and stream predictions to a staged file (committed by the caller)."""
    outputs = outputs if outputs is not None else StagedOutputs()
    collector = GapCollector(assistant) if gaps else None
    writer = PredictionWriter(predictions, outputs) if predictions is not None else None
    report = new_report(assistant)

    def on_batch(batch: list[Utterance], suggestions: list[Suggestion]) -> None:
        if collector is not None:
            collector.add_batch(batch, suggestions)
        if writer is not None:
            writer.add_batch(batch, suggestions)
        if progress is not None:
            progress(len(batch))

    try:
        mapped = map_labels(items, label_map(assistant.library.root))
        for outcome in run_outcomes(assistant, mapped, on_batch, workers=workers):
            report.add(outcome)
    finally:
        if writer is not None:
            writer.close()
    skipped = list(items.skipped) if isinstance(items, UtteranceReader) else []
    return RunResult(report, collector.report() if collector is not None else None, skipped)
