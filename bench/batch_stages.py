"""CPU seconds of a batch evaluation's lookups, by stage, as a worker of ``assist evaluate`` runs them.

    python bench/batch_stages.py LINES.jsonl [--lines N] [--no-gaps] [--predictions]

Loads the default assistant, runs one warm batch, then :func:`assist.batch.runner.aggregate_batch`
over the file's lines in batches of :data:`assist.batch.evaluate.BATCH` on one thread (as a
worker does: :func:`assist.batch.parallel._in_process`), with the gap collection of the default
command unless ``--no-gaps``, and the prediction rows rendered with ``--predictions``.

Every stage is timed with ``time.process_time`` around the call and reported *exclusive* of the
stages timed inside it, so the stages add up to the batches' CPU (``other`` is what no wrapper
covers: the glue between them). Stages, in the order a batch meets them: ``normalise`` (and each
text's customer family), ``quick_encode`` (the static distillation), ``lexical`` (BM25 tables),
``select`` (each row's best lexical columns), ``dense`` (FAISS), ``fuse`` (the rest of the search:
cosines of the lexical candidates, fusion), ``head``, ``rank`` (scenario scores and order),
``full_encode`` (the full model, on the texts the quick pass left), ``pins`` (the customer rules,
their prefilter and the scam signal), ``decide`` (decisions from the arrays), ``report`` (counts),
``gaps`` (the gap sample), ``rows`` (redaction, prediction rows, JSON). Wrapping costs a few
microseconds a call, so compare runs of this script with each other, not with ``batch_cpu.py``.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CPU = time.process_time


class Stages:
    """Exclusive CPU seconds per stage: a stage entered inside another pauses the outer one."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._stack: list[tuple[str, float]] = []

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._enter(name)
            try:
                return function(*args, **kwargs)
            finally:
                self._leave()

        return wrapper

    def _enter(self, name: str) -> None:
        now = CPU()
        if self._stack:
            outer, since = self._stack[-1]
            self.spent[outer] = self.spent.get(outer, 0.0) + now - since
        self._stack.append((name, now))

    def _leave(self) -> None:
        now = CPU()
        name, since = self._stack.pop()
        self.spent[name] = self.spent.get(name, 0.0) + now - since
        if self._stack:
            outer, _ = self._stack[-1]
            self._stack[-1] = (outer, now)


def instrument(stages: Stages, assistant: Any) -> None:
    """Replace the stages' functions, where each caller looks them up, by timed ones."""
    import assist.batch.decide as decide
    import assist.batch.gaps as gaps
    import assist.batch.predictions as predictions
    import assist.batch.runner as runner
    import assist.lookup.ranker as ranker
    import assist.lookup.search as search

    decide.normalise = stages.wrap("normalise", decide.normalise)
    decide.customer_family = stages.wrap("normalise", decide.customer_family)
    decide.check_utterance = stages.wrap("normalise", decide.check_utterance)
    cascade = assistant.cascade
    quick, full = (cascade.quick, cascade.full) if cascade is not None else (None, assistant.ranker)
    if quick is not None:
        quick.encoder.encode = stages.wrap("quick_encode", quick.encoder.encode)
    full.encoder.encode = stages.wrap("full_encode", full.encoder.encode)
    if full.index.head is not None:  # a frozen dataclass: its class's method is wrapped
        head_type = type(full.index.head)
        head_type.probabilities = stages.wrap("head", head_type.probabilities)
    lexical = full.index.lexical
    type(lexical).scores_batch = stages.wrap("lexical", type(lexical).scores_batch)
    search.best_columns = stages.wrap("select", search.best_columns)
    search.dense_search = stages.wrap("dense", search.dense_search)
    ranker.search_batch = stages.wrap("fuse", search.search_batch)
    ranker.rank_arrays = stages.wrap("rank", ranker.rank_arrays)
    decide.customer_pins_many = stages.wrap("pins", decide.customer_pins_many)
    decide._decide_pass = stages.wrap("decide", decide._decide_pass)
    runner.new_report = stages.wrap("report", runner.new_report)
    runner.outcome_of = stages.wrap("report", runner.outcome_of)
    gaps.GapCollector.add_batch = stages.wrap("gaps", gaps.GapCollector.add_batch)  # type: ignore[method-assign]
    runner.redact = stages.wrap("rows", runner.redact)
    runner.prediction_row = stages.wrap("rows", runner.prediction_row)
    runner.render_rows = stages.wrap("rows", runner.render_rows)
    predictions.redact = stages.wrap("rows", predictions.redact)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=Path)
    parser.add_argument("--lines", dest="count", type=int, default=None)
    parser.add_argument("--no-gaps", action="store_true")
    parser.add_argument("--predictions", action="store_true")
    options = parser.parse_args()

    from assist.batch.evaluate import BATCH, batched
    from assist.batch.gaps import GapCollector
    from assist.batch.parallel import _in_process, reuse_freed_memory
    from assist.batch.runner import aggregate_batch
    from assist.lookup.assistant import Assistant
    from assist.text.datafiles import Utterance

    reuse_freed_memory()  # as a worker does
    records = [json.loads(line) for line in options.lines.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [Utterance(text=r["text"], label=r.get("scenario")) for r in records[: options.count]]
    assistant = Assistant.load(auto_build=False, log=lambda _: None)
    low = None if options.no_gaps else GapCollector(assistant).low_confidence
    job = functools.partial(aggregate_batch, low_confidence=low, predictions=options.predictions,
                            render="jsonl" if options.predictions else None)
    stages = Stages()
    instrument(stages, assistant)
    _in_process(job, assistant, items[:BATCH])  # the warm-up, not counted
    stages.spent.clear()
    timed = stages.wrap("other", functools.partial(_in_process, job, assistant))
    start = CPU()
    lines = 0
    for batch in batched(items, BATCH):
        lines += timed(batch).lines
    cpu = CPU() - start
    spent = dict(sorted(stages.spent.items(), key=lambda item: -item[1]))
    print(json.dumps({
        "lines": lines, "cpu_s": round(cpu, 3), "per_batch_s": round(cpu * BATCH / max(lines, 1), 4),
        "stages_cpu_s": {name: round(value, 3) for name, value in spent.items()},
        "stages_share": {name: round(value / cpu, 3) for name, value in spent.items()},
    }))


if __name__ == "__main__":
    main()
