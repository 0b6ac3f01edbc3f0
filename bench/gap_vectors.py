"""Would the gap clusters hold if built from the quick pass's static vectors instead of the full model's?

Issue 22 asks whether the gap sample could reuse the vectors a batch already has instead of
embedding its texts again (about 0.9 CPU-s of full-model chunks after the last lookup batch
of the 20,000 ``lines.py`` lines). Every line has the quick pass's static vector; only the
lines the quick pass was unsure of have the full model's. This collects the sample once,
embeds it as the local engine does (full model), copies it with every vector replaced by the
quick encoder's, and clusters both with seeds 0, 1 and 2. It prints, per side and seed, the
clusters' label purity (members carrying their cluster's most frequent gold label), the
"needs more examples" clusters and their precision (members whose gold label is the
scenario named), the new-topic clusters' share of out-of-scope lines and, with ``removed``,
how many of the five scenarios ``tests/test_gaps.py`` cuts from the library come back as a
top-10 cluster's majority.

    python bench/gap_vectors.py lines /tmp/lines_20k.jsonl
    python bench/gap_vectors.py removed /work/shared/eval/utterances_dev.jsonl

Labelled dev data only; several minutes on a busy machine (one process, one thread).
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from assist.batch.evaluate import run_outcomes
from assist.batch.gaps import NEEDS_EXAMPLES, GapCollector, GapReport, GapSample, report_from_sample
from assist.encoders.threads import capped_blas_threads
from assist.lookup.assistant import Assistant
from assist.text.datafiles import read_utterances
from assist.text.normalise import normalise

SHIPPED = Path(__file__).resolve().parents[1] / "scripts_library"
REMOVED = ("card_swallowed_atm", "mortgage_process", "cross_border_remittance", "deposit_rates", "password_reset")
"""The five scenarios ``tests/test_gaps.py`` removes from the library."""
SEEDS = (0, 1, 2)


def figures(report: GapReport, removed: tuple[str, ...]) -> dict[str, Any]:
    clustered = sum(c.size for c in report.clusters)
    pure = sum(max(c.label_counts.values()) for c in report.clusters if c.label_counts)
    needs = [c for c in report.clusters if c.kind == NEEDS_EXAMPLES]
    needs_size = sum(c.size for c in needs)
    needs_right = sum(c.label_counts.get(c.scenario or "", 0) for c in needs)
    new = [c for c in report.clusters if c.kind != NEEDS_EXAMPLES]
    new_size = sum(c.size for c in new)
    out: dict[str, Any] = {
        "clusters": len(report.clusters), "clustered": clustered, "unclustered": report.unclustered,
        "purity": round(pure / clustered, 4) if clustered else None,
        "needs_examples": len(needs), "needs_examples_precision": round(needs_right / needs_size, 4)
        if needs_size else None,
        "new_topic_out_of_scope_share": round(sum(c.label_counts.get("out_of_scope", 0) for c in new) / new_size, 4)
        if new_size else None,
    }
    if removed:
        majorities = {label for c in report.clusters[:10] for label, count in c.label_counts.items()
                      if count == max(c.label_counts.values())}
        out["removed_back"] = sum(scenario in majorities for scenario in removed)
    return out


def compare(assistant: Assistant, path: Path, removed: tuple[str, ...] = ()) -> None:
    assert assistant.cascade is not None, "the default assistant (two passes) is measured"
    collector = GapCollector(assistant)
    with capped_blas_threads(1):
        deque(run_outcomes(assistant, read_utterances(path), on_batch=collector.add_batch), maxlen=0)
        collector.sample.embed(assistant.encoder)
    full = collector.sample
    quick: GapSample = copy.deepcopy(full)
    ordered = quick.ordered()
    with capped_blas_threads(1):
        vectors = np.asarray(assistant.cascade.quick.encoder.encode([normalise(text) for text, _ in ordered]),
                             dtype=np.float32)
    for (_, point), vector in zip(ordered, vectors, strict=True):
        point.vector = vector
    print(f"{path}: {len(ordered)} sampled of {full.seen} gap lines")
    for side, sample in (("full", full), ("quick", quick)):
        for seed in SEEDS:
            report = report_from_sample(sample, collector.total, low_confidence=collector.low_confidence,
                                        threshold=assistant.threshold, seed=seed)
            print(side, seed, json.dumps(figures(report, removed)))


def main() -> None:
    kind, path = sys.argv[1], Path(sys.argv[2])
    if kind == "lines":
        compare(Assistant.load(log=lambda _: None), path)
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copy(SHIPPED / "scenarios.yaml", root / "scenarios.yaml")
        shutil.copytree(SHIPPED / "scripts", root / "scripts")
        if (SHIPPED / "rules").is_dir():
            shutil.copytree(SHIPPED / "rules", root / "rules")
        for scenario in REMOVED:
            (root / "scripts" / f"{scenario}.yaml").unlink()
        compare(Assistant.load(library=root, log=lambda _: None), path, REMOVED)


if __name__ == "__main__":
    main()
