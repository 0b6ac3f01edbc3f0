"""Which lexical view should the semantic signal read? Leave-one-file-out figures per view, one
training each.

For a lexical view (``grams``, shipped: binary hashed 1-3-grams; ``idf``: token 1-2-grams weighted
by idf, sublinear counts, L2-normalised, in their place; ``grams+idf``: both), the signal is trained
once on every exemplar and labelled-draft set; the signal trained without set NAME is then derived
exactly from that one solve (:func:`assist.compliance.semantic.without_rows`: the block inverse,
with the left-out pack's own training rows, folds and thresholds), where ``bench/drafts_leave_one_out.py``
trains once per set. Each named set is scored by the pack without it and its derived signal,
``drafts_dev`` by the pack and the full signal, as ``bench/semantic_reading.py`` scores them.

Usage: ``python bench/semantic_lexical.py VIEW DEV_FILE [NAME ...]``. Needs ~7 GB once (the full
system); nothing is cached. Prints one row per set: violations found, clean drafts flagged.
``--check`` also trains the first NAME's signal directly and prints the largest difference of
its thresholds and weights from the derived ones; ``--save=DIR`` writes the full signal's arrays to
``DIR/VIEW.npz``; ``--folds=DIR`` writes each derived set's signal to ``DIR/NAME.npz`` (read back by
:func:`load` with the pack without NAME, as ``bench/drafts_loo_misses.py`` does). The solve holds the
machine's training lock (``assist.folder_lock.TRAINING``), as a signal's training does.

``python bench/semantic_lexical.py latency RUNS DIR VIEW ...`` times a warm check (``RulePack.check``
with each saved signal) on the drafts ``assist bench`` uses, the views' calls interleaved so they
see the same machine: p50 / p99 ms.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from assist.compliance import semantic
from assist.compliance.checks import read_labelled_drafts, score_drafts
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack, shipped_approved_texts
from assist.compliance.semantic import CategoryFit, SemanticSignal, TrainingSet
from assist.encoders.base import STATIC_MODEL
from assist.encoders.registry import get_encoder
from assist.folder_lock import TRAINING, folder_lock
from assist.library.loader import SHIPPED_LIBRARY
from assist.text.normalise import normalise


def without(pack: RulePack, name: str | None) -> RulePack:
    return dataclasses.replace(pack, exemplars=tuple(
        e for e in pack.exemplars if name is None or not e.source.endswith("/" + name)))


def data_of(pack: RulePack, approved: list[str]) -> TrainingSet:
    ex = pack.exemplars
    writers = [Path(e.source).name if e.source.endswith(".jsonl") else "" for e in ex]
    return semantic.training_set([e.text for e in ex], [e.category for e in ex], [e.violating for e in ex],
                                 approved, writers)


def signal_of(pack: RulePack, weights: semantic.Weights, held_out: np.ndarray, data: TrainingSet,
              encoder: semantic.TextEncoder) -> SemanticSignal:
    ex = pack.exemplars
    texts, categories, violating = [e.text for e in ex], [e.category for e in ex], [e.violating for e in ex]
    fits: list[CategoryFit] = semantic.thresholds(held_out, data)
    allowed = semantic.negation_ok(categories, violating, [pack._holds_negation(t) for t in texts])
    vectors = np.asarray(encoder.encode([normalise(t) for t in texts]), dtype=np.float32)
    return SemanticSignal(texts, categories, violating, vectors, weights, fits, encoder, allowed)


def row(pack: RulePack, scorer: SemanticSignal, path: Path, label: str, view: str, seconds: float) -> None:
    report = score_drafts(pack, read_labelled_drafts(path), label, semantic=scorer)
    print(f"| {label} | {view} | {report.detected_pairs}/{report.labelled_pairs} = "
          f"{report.detected_pairs / report.labelled_pairs:.3f} | {report.flagged_clean}/{report.clean_drafts} | "
          f"{seconds:.0f} s |", flush=True)


def save(scorer: SemanticSignal, path: Path) -> None:
    weights = scorer.weights
    extra = {} if weights.idf is None or weights.weighted is None else {
        "idf": weights.idf, "weighted": weights.weighted}
    np.savez(path, vector=weights.vector, gram=weights.gram, bias=weights.bias,
             categories=np.array([f.category for f in scorer.fits]),
             fits=np.array([[f.threshold, f.recall, f.false_flags] for f in scorer.fits]),
             negation_ok=np.array(sorted(scorer.negation_ok)), **extra)


def load(pack: RulePack, path: Path, encoder: semantic.TextEncoder) -> SemanticSignal:
    arrays = np.load(path)
    ex = pack.exemplars
    texts = [e.text for e in ex]
    weights = semantic.Weights(semantic.category_columns([e.category for e in ex]), arrays["vector"], arrays["gram"],
                               arrays["bias"], arrays.get("idf"), arrays.get("weighted"))
    fits = [CategoryFit(str(c), float(t), float(r), float(f)) for c, (t, r, f) in
            zip(arrays["categories"], arrays["fits"], strict=True)]
    vectors = np.asarray(encoder.encode([normalise(t) for t in texts]), dtype=np.float32)
    return SemanticSignal(texts, [e.category for e in ex], [e.violating for e in ex], vectors, weights, fits, encoder,
                          frozenset(str(c) for c in arrays["negation_ok"]))


def latency(runs: int, folder: Path, views: list[str]) -> None:
    from assist.batch.bench_check import drafts_from, percentile
    from assist.library.loader import load_library

    pack = load_rule_pack(SHIPPED_LIBRARY)
    drafts = drafts_from(load_library(SHIPPED_LIBRARY), pack)
    encoder = get_encoder(STATIC_MODEL)
    scorers = {v: load(pack, folder / f"{v}.npz", encoder) for v in views}
    times: dict[str, list[float]] = {v: [] for v in views}
    for run in range(runs):
        text = drafts[run % len(drafts)]
        for view in views:
            started = time.perf_counter()
            pack.check(text, audience="agent", semantic=scorers[view])
            times[view].append((time.perf_counter() - started) * 1000)
    for view in views:
        kept = times[view][len(drafts):]  # the first pass warms caches
        print(f"{view}: check p50 {percentile(kept, 50):.2f} ms, p99 {percentile(kept, 99):.2f} ms")


def main(view: str, dev: str, names: list[str], check: bool, folder: Path | None = None,
         folds: Path | None = None) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    encoder = get_encoder(STATIC_MODEL)
    approved = list(shipped_approved_texts().read())
    started = time.perf_counter()
    full = data_of(pack, approved)
    vectors = np.asarray(encoder.encode(list(full.texts)), dtype=np.float64)
    features = semantic.design(full, vectors, view)
    dual, inverse = semantic.ridge_solve(features.kernel(), full.targets)
    held_out = semantic.held_out_scores(inverse, dual, full.targets, full.folds)
    trained = time.perf_counter() - started
    print(f"{view}: {len(full.texts)} rows, trained in {trained:.0f} s", flush=True)
    print("| set | view | found | clean flagged | derive |")
    print("|---|---|---|---|---|")
    position = {t: i for i, t in enumerate(full.texts)}
    for name in names:
        begun = time.perf_counter()
        left = without(pack, name)
        data = data_of(left, approved)
        keep = np.array([position[t] for t in data.texts])
        assert np.array_equal(full.targets[keep], data.targets), "a kept row changed its targets"
        assert full.unnamed is not None and data.unnamed is not None
        assert set(np.asarray(full.texts)[full.unnamed]) == set(np.asarray(data.texts)[data.unnamed])
        kept_dual, kept_held = semantic.without_rows(inverse, dual, data.targets, keep, data.folds)
        weights = features.weights(kept_dual, data.categories, keep)
        scorer = signal_of(left, weights, kept_held, data, encoder)
        row(left, scorer, SHIPPED_LIBRARY / "rules" / "drafts" / name, name, view, time.perf_counter() - begun)
        if folds is not None:
            folds.mkdir(parents=True, exist_ok=True)
            save(scorer, folds / f"{name}.npz")
        if check and name == names[0]:
            direct, fits = semantic.fit(data, vectors[keep], view)
            pairs = [(direct.vector, weights.vector), (direct.gram, weights.gram), (direct.bias, weights.bias)]
            if direct.weighted is not None and weights.weighted is not None:
                pairs.append((direct.weighted, weights.weighted))
            print(f"check {name}: max |threshold diff| "
                  f"{max(abs(f.threshold - scorer.thresholds[f.category]) for f in fits):.2e}, max |weight diff| "
                  f"{max(float(np.abs(a - b).max()) for a, b in pairs):.2e}", flush=True)
    scorer = signal_of(pack, features.weights(dual, full.categories), held_out, full, encoder)
    row(pack, scorer, Path(dev), Path(dev).name, view, trained)
    if folder is not None:
        save(scorer, folder / f"{view}.npz")


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    saved = [Path(a.split("=", 1)[1]) for a in flags if a.startswith("--save=")]
    fold_dirs = [Path(a.split("=", 1)[1]) for a in flags if a.startswith("--folds=")]
    if args[0] == "latency":
        latency(int(args[1]), Path(args[2]), args[3:])
    else:
        with folder_lock(semantic.cache_folder() / "semantic", TRAINING, wait=7200):
            main(args[0], args[1], args[2:], "--check" in flags, saved[0] if saved else None,
                 fold_dirs[0] if fold_dirs else None)
