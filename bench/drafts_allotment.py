"""How the semantic thresholds' shared false-flag budget is allotted, measured leaving one set out
without retraining per allotment.

``python bench/drafts_allotment.py solve DIR NAME ...`` trains once on every exemplar and labelled
set (as ``bench/semantic_lexical.py grams ... --folds=DIR``, under the machine's training lock) and
writes, for each set NAME, its fold signal ``DIR/NAME.npz`` (read by ``bench/drafts_loo_misses.py``)
and ``DIR/NAME.held.npz``: the fold's cross-validated scores, targets and compliant rows, all that
:func:`assist.compliance.semantic.thresholds` reads. ``DIR/full.npz`` and ``DIR/full.held.npz`` are
the signal trained on everything.

``python bench/drafts_allotment.py refit DIR OUT RULE NAME ...`` recomputes every fold's thresholds
with an allotment RULE (:func:`allot`; ``code``: the code's current
:func:`~assist.compliance.semantic.thresholds`) from the saved scores (the
weights are those of the solve: the allotment changes no weight) and writes ``OUT/NAME.npz``; it
prints each category's threshold, cross-validated recall and share of the false flags. Score the
result with ``python bench/drafts_loo_misses.py OUT NAME ...``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from semantic_lexical import data_of, load, save, signal_of, without

from assist.compliance import semantic
from assist.compliance.checks import read_labelled_drafts, score_drafts
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import shipped_approved_texts
from assist.compliance.semantic import CategoryFit, TrainingSet
from assist.encoders.base import STATIC_MODEL
from assist.encoders.registry import get_encoder
from assist.folder_lock import TRAINING, folder_lock
from assist.library.loader import SHIPPED_LIBRARY


def _keep_held(path: Path, held: np.ndarray, data: TrainingSet) -> None:
    np.savez(path, held=held.astype(np.float32), targets=data.targets.astype(np.int8),
             compliant=data.compliant, categories=np.array(data.categories))


def solve(folder: Path, names: list[str]) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    encoder = get_encoder(STATIC_MODEL)
    approved = list(shipped_approved_texts().read())
    full = data_of(pack, approved)
    vectors = np.asarray(encoder.encode(list(full.texts)), dtype=np.float64)
    features = semantic.design(full, vectors, semantic.LEXICAL_VIEW)
    dual, inverse = semantic.ridge_solve(features.kernel(), full.targets)
    held_out = semantic.held_out_scores(inverse, dual, full.targets, full.folds)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{len(full.texts)} rows solved", flush=True)
    position = {t: i for i, t in enumerate(full.texts)}
    for name in names:
        left = without(pack, name)
        data = data_of(left, approved)
        keep = np.array([position[t] for t in data.texts])
        kept_dual, kept_held = semantic.without_rows(inverse, dual, data.targets, keep, data.folds)
        save(signal_of(left, features.weights(kept_dual, data.categories, keep), kept_held, data, encoder),
             folder / f"{name}.npz")
        _keep_held(folder / f"{name}.held.npz", kept_held, data)
        print(f"{name} derived", flush=True)
    save(signal_of(pack, features.weights(dual, full.categories), held_out, full, encoder), folder / "full.npz")
    _keep_held(folder / "full.held.npz", held_out, full)


def allot(held: np.ndarray, data: TrainingSet, rule: str) -> list[CategoryFit]:
    """An allotment of the budget, for study. ``code``: :func:`semantic.thresholds` as it stands
    (greedy on violations found per flag); ``share``: each category's flags in proportion to its
    violating rows; ``equal``: the same flags for every category (the total and the per-category cap
    as the code's). The greedy variants measured in the twenty-sixth round (on recall fractions, on
    labelled-draft violations only, on the violations the rules alone miss) are this file at ceb037e."""
    if rule == "code":
        return semantic.thresholds(held, data)
    columns = []
    for j, category in enumerate(data.categories):
        positive = np.sort(held[data.targets[:, j] > 0, j])
        negative = np.sort(held[data.compliant, j])[::-1]
        if positive.size < 2 or not negative.size:
            continue
        cap = min(int(np.floor(semantic.FALSE_FLAG_BUDGET * negative.size)), negative.size - 1)
        columns.append((category, positive, negative, np.round(negative[: cap + 1] + 1e-6, 6)))
    budget = sum(int(np.floor(semantic.MEAN_FALSE_FLAG_BUDGET * c[2].size)) for c in columns)
    volume = np.array([c[1].size if rule == "share" else 1 for c in columns], dtype=float)
    allowed = [min(int(np.floor(budget * v / volume.sum())), c[3].size - 1)
               for v, c in zip(volume, columns, strict=True)]
    return [CategoryFit(category, float(cuts[k]), float((positive >= cuts[k]).mean()),
                        float((negative >= cuts[k]).mean())) for (category, positive, negative, cuts), k in
            zip(columns, allowed, strict=True)]


def fits_of(held_path: Path, rule: str) -> list[CategoryFit]:
    arrays = np.load(held_path)
    data = TrainingSet((), arrays["targets"].astype(float), arrays["compliant"], np.zeros(0, dtype=int),
                       tuple(str(c) for c in arrays["categories"]))
    return allot(arrays["held"].astype(float), data, rule)


def refit(folder: Path, out: Path, rule: str, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pack = load_rule_pack(SHIPPED_LIBRARY)
    encoder = get_encoder(STATIC_MODEL)
    for name in names:
        left = pack if name == "full" else without(pack, name)
        signal = load(left, folder / f"{name}.npz", encoder)
        fits = fits_of(folder / f"{name}.held.npz", rule)
        total = sum(f.false_flags for f in fits) or 1.0
        print(f"{name}: " + ", ".join(f"{f.category} {f.threshold:.3f} r{f.recall:.2f} "
                                      f"{100 * f.false_flags / total:.0f}%" for f in fits), flush=True)
        signal.fits = tuple(fits)
        signal.thresholds = {f.category: f.threshold for f in fits}
        save(signal, out / f"{name}.npz")


def score(folder: Path, files: list[str]) -> None:
    """Score labelled files (drafts_dev, a probe file) with the pack and ``DIR/full.npz``."""
    pack = load_rule_pack(SHIPPED_LIBRARY)
    signal = load(pack, folder / "full.npz", get_encoder(STATIC_MODEL))
    for file in files:
        report = score_drafts(pack, read_labelled_drafts(Path(file)), Path(file).name, semantic=signal)
        by = ", ".join(f"{s.category} {s.detected}/{s.support}" for s in report.categories if s.support)
        print(f"{Path(file).name}: {report.detected_pairs}/{report.labelled_pairs}, clean "
              f"{report.flagged_clean}/{report.clean_drafts} ({by})", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "score":
        score(Path(sys.argv[2]), sys.argv[3:])
    elif sys.argv[1] == "solve":
        with folder_lock(semantic.cache_folder() / "semantic", TRAINING, wait=7200):
            solve(Path(sys.argv[2]), sys.argv[3:])
    else:
        refit(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], sys.argv[5:])
