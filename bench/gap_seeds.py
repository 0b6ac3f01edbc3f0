"""Does the gap list depend on the clustering seed, and does it find removed scenarios?

Issue 22's gap list must be one an analyst can act on: the same file gives the same list, and
scenarios cut from the library come back as top clusters. ``tests/test_gaps.py`` cuts one set of
five; this cuts several, each drawn by a fixed random draw (``DRAW_SEED``) from the shipped
scenarios, and counts for each clustering method and each seed 0-4 how many of the five are the
majority (alone or tied) of one of the top-10 clusters, and how many distinct cluster lists the
five seeds give. Draw 0 is the test's five; draws 0-5 were looked at while choosing a method
(design), draws 6-11 only once it was chosen (confirmation; counts only). Each draw's sample is a
stand-in for a run of the assistant without the five (see :func:`dev_samples`).

BANKING77 (``../shared/eval/banking77``, written by nobody here) gives a second check that needs
no library: for each of ``B77_DRAWS`` fixed draws of five intents, every training query of those
five intents (as a gap topic) plus a hash-chosen background of queries from the other 72 intents
(scattered needs) forms a sample; the same count of five-in-the-top-10 is taken.

    python bench/gap_seeds.py design /tmp/gaps43      # or: confirm
    python bench/gap_seeds.py b77 /tmp/gaps43

The embedded samples are kept in the folder (``dev.pkl``, ``b77.pkl``; delete them to embed
again). Labelled dev data and BANKING77's training split only; one process, one thread; a few
minutes to embed BANKING77 once, then seconds per table.
"""

from __future__ import annotations

import csv
import pickle
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from assist.batch import gaps
from assist.batch.gaps import GapReport, GapSample, _Point, text_priority
from assist.encoders.registry import get_encoder
from assist.encoders.threads import capped_blas_threads
from assist.text.datafiles import read_utterances
from assist.text.normalise import normalise

HERE = Path(__file__).resolve().parents[1]
SHIPPED = HERE / "scripts_library"
DEV_SET = HERE.parent / "shared" / "eval" / "utterances_dev.jsonl"
B77 = HERE.parent / "shared" / "eval" / "banking77" / "train.csv"
TEST_FIVE = ("card_swallowed_atm", "mortgage_process", "cross_border_remittance", "deposit_rates", "password_reset")
DRAW_SEED = 31
DESIGN = (0, 1, 2, 3, 4, 5)
CONFIRM = (6, 7, 8, 9, 10, 11)
SEEDS = (0, 1, 2, 3, 4)
TOP = 10
B77_DRAWS = 8
B77_BACKGROUND = 900
"""Background queries (other intents) beside the five intents' ~650 in each BANKING77 sample."""


def draws() -> list[tuple[str, ...]]:
    scenarios = sorted(p.stem for p in (SHIPPED / "scripts").glob("*.yaml"))
    rng = np.random.default_rng(DRAW_SEED)
    out = [TEST_FIVE]
    while len(out) < len(DESIGN) + len(CONFIRM):
        five = tuple(sorted(rng.choice(scenarios, size=5, replace=False).tolist()))
        if five not in out:
            out.append(five)
    return out


def removed_back(report: GapReport, removed: tuple[str, ...]) -> int:
    majorities = {label for c in report.clusters[:TOP] for label, count in c.label_counts.items()
                  if count == max(c.label_counts.values())}
    return sum(scenario in majorities for scenario in removed)


def signature(report: GapReport) -> tuple[tuple[str, ...], ...]:
    return tuple(c.examples for c in report.clusters)


def dev_samples(folder: Path) -> list[dict]:
    """Per draw, a stand-in for the gap sample of a library without its five scenarios: every
    dev line of the five and of ``out_of_scope``, and a hash-chosen quarter of the other lines
    (the low-confidence answers a real run adds). Running the assistant per draw (an index build
    and a full-model pass each) cost more than this round had; ``tests/test_gaps.py`` runs the
    real thing for draw 0."""
    cached = folder / "dev.pkl"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    rows = [(u.text, u.label or "") for u in read_utterances(DEV_SET)]
    texts = sorted({text for text, _ in rows})
    with capped_blas_threads(1):
        vectors = np.asarray(get_encoder().encode([normalise(t) for t in texts]), dtype=np.float32)
    vector_of = dict(zip(texts, vectors, strict=True))
    samples = []
    for five in draws():
        chosen = [(t, label) for t, label in rows
                  if label in five or label == "out_of_scope" or text_priority(t) % 4 == 0]
        samples.append(make_sample(five, chosen, vector_of))
    folder.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pickle.dumps(samples))
    return samples


def make_sample(five: tuple[str, ...], rows: list[tuple[str, str]], vector_of: dict[str, np.ndarray]) -> dict:
    sample = GapSample(len(rows) + 1)
    for text, label in rows:
        sample.put(text, _Point(text_priority(text), vector_of[text], 1, 0, Counter({label: 1})))
    sample.seen = sum(p.count for p in sample.points.values())
    return {"removed": five, "sample": sample, "total": sample.seen, "low_confidence": 0.0, "threshold": 0.0}


Method = Callable[[np.ndarray, int, int], list[list[int]]]


def methods() -> dict[str, Method]:
    """The clusterings compared: "shipped" is ``gaps.cluster_sample`` as it is now (average
    linkage since the thirty-first round), "kmeans30" the seeded k-means it replaced."""
    shipped = gaps.cluster_sample
    found: dict[str, Method] = {"shipped": lambda v, m, s: shipped(v, max_clusters=m, seed=s), "kmeans30": kmeans30}
    for name in ("ward", "complete"):
        found[name] = hierarchical(name)
    return found


def _finish(features: np.ndarray, candidates: np.ndarray, groups: list[np.ndarray], tiny: bool) -> list[list[int]]:
    minimum = 1 if tiny else gaps.MIN_CLUSTER
    clusters = []
    for group in groups:
        if len(group) < minimum:
            continue
        members = candidates[group]
        centre = gaps.unit_rows(features[members].sum(axis=0, keepdims=True))[0]
        closeness = features[members] @ centre
        order = np.argsort(-closeness, kind="stable")
        clusters.append((float(closeness.mean()), members[order].tolist()))
    clusters.sort(key=lambda c: (-len(c[1]), -c[0]))
    return [members for _, members in clusters]


def _prepare(vectors: np.ndarray, max_clusters: int) -> tuple[np.ndarray, np.ndarray, int, bool]:
    n = vectors.shape[0]
    features = gaps.project(vectors)
    tiny = n < gaps.TINY_SAMPLE
    candidates = np.arange(n) if tiny else gaps.dense_points(features)
    k = min(max(1, max_clusters), max(1, round(len(candidates) / gaps.POINTS_PER_CLUSTER)))
    return features, candidates, k, tiny


def hierarchical(linkage_method: str) -> Method:
    from scipy.cluster.hierarchy import fcluster, linkage

    def run(vectors: np.ndarray, max_clusters: int, seed: int) -> list[list[int]]:
        if vectors.shape[0] == 0:
            return []
        features, candidates, k, tiny = _prepare(vectors, max_clusters)
        if len(candidates) < 2:
            return _finish(features, candidates, [np.arange(len(candidates))], tiny)
        points = features[candidates].astype(np.float64)
        tree = linkage(points, method=linkage_method, metric="euclidean")
        labels = fcluster(tree, t=k, criterion="maxclust")
        return _finish(features, candidates, [np.flatnonzero(labels == c) for c in np.unique(labels)], tiny)

    return run


def kmeans30(vectors: np.ndarray, max_clusters: int, seed: int) -> list[list[int]]:
    """Round 30's clustering: the most cohesive of five seeded spherical k-means
    over-cluster-then-merge runs (its code, kept here to compare against)."""
    if vectors.shape[0] == 0:
        return []
    features, candidates, k, tiny = _prepare(vectors, max_clusters)
    points = features[candidates]
    runs = [_over_cluster_and_merge(points, k, max_clusters, seed * 5 + r) for r in range(5)]
    best = max(runs, key=lambda groups: sum(float(np.linalg.norm(points[g].sum(axis=0))) for g in groups))
    return _finish(features, candidates, best, tiny)


def _over_cluster_and_merge(features: np.ndarray, k: int, max_clusters: int, seed: int) -> list[np.ndarray]:
    n = features.shape[0]
    micro = min(n, 4 * max(1, max_clusters), max(k, round(n / 3)))
    if micro <= 1:
        return [np.arange(n)]
    kmeans = faiss.Kmeans(features.shape[1], micro, niter=20, seed=seed, spherical=True, verbose=False,
                          min_points_per_centroid=1)
    kmeans.train(features)
    _, assigned = kmeans.index.search(features, 1)
    groups = [g for c in range(micro) if len(g := np.flatnonzero(assigned[:, 0] == c))]
    sums = [features[g].sum(axis=0) for g in groups]
    while len(groups) > k:
        centres = gaps.unit_rows(np.stack(sums))
        similarity = centres @ centres.T
        np.fill_diagonal(similarity, -np.inf)
        a, b = sorted(np.unravel_index(int(np.argmax(similarity)), similarity.shape))
        groups[a] = np.concatenate([groups[a], groups.pop(b)])
        sums[a] = sums[a] + sums.pop(b)
    return groups


def score_sample(data: dict, method: Method) -> tuple[list[int], int, float]:
    """Per seed, the removed scenarios back; distinct lists over the seeds; CPU-seconds per run."""
    original = gaps.cluster_sample
    counts, lists = [], set()
    start = time.process_time()
    try:
        gaps.cluster_sample = lambda v, max_clusters=20, seed=0: method(v, max_clusters, seed)  # type: ignore[assignment]
        for seed in SEEDS:
            report = gaps.report_from_sample(data["sample"], data["total"], low_confidence=data["low_confidence"],
                                             threshold=data["threshold"], seed=seed)
            counts.append(removed_back(report, data["removed"]))
            lists.add(signature(report))
    finally:
        gaps.cluster_sample = original  # type: ignore[assignment]
    return counts, len(lists), (time.process_time() - start) / len(SEEDS)


def table(samples: dict[int, dict]) -> None:
    for name, method in methods().items():
        total, worst, stable, rows, seconds = 0, 0, 0, [], 0.0
        for number, data in samples.items():
            counts, distinct, took = score_sample(data, method)
            total += sum(counts)
            worst += min(counts)
            stable += distinct == 1
            seconds = max(seconds, took)
            rows.append(f"d{number}:{''.join(map(str, counts))}/{distinct}")
        print(f"{name:9s} back {total}/{5 * len(SEEDS) * len(samples)}  worst seed {worst}/{5 * len(samples)}  "
              f"same list over the seeds {stable}/{len(samples)}  max {seconds:.2f} CPU-s/run  {' '.join(rows)}",
              flush=True)


def b77_samples(folder: Path) -> list[dict]:
    cached = folder / "b77.pkl"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    with B77.open(encoding="utf-8") as handle:
        rows = [(r["text"].strip(), r["category"]) for r in csv.DictReader(handle)]
    texts = sorted({text for text, _ in rows})
    with capped_blas_threads(1):
        vectors = np.asarray(get_encoder().encode([normalise(t) for t in texts]), dtype=np.float32)
    vector_of = dict(zip(texts, vectors, strict=True))
    intents = sorted({label for _, label in rows})
    rng = np.random.default_rng(DRAW_SEED)
    samples = []
    for _ in range(B77_DRAWS):
        five = tuple(sorted(rng.choice(intents, size=5, replace=False).tolist()))
        inside = [(t, label) for t, label in rows if label in five]
        others = sorted(((t, label) for t, label in rows if label not in five),
                        key=lambda row: text_priority(row[0]))[:B77_BACKGROUND]
        samples.append(make_sample(five, inside + others, vector_of))
    folder.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pickle.dumps(samples))
    return samples


def main() -> None:
    kind, folder = sys.argv[1], Path(sys.argv[2])
    if kind == "b77":
        table(dict(enumerate(b77_samples(folder))))
        return
    chosen = {"design": DESIGN, "confirm": CONFIRM}[kind]
    every = dev_samples(folder)
    table({n: every[n] for n in chosen})


if __name__ == "__main__":
    main()
