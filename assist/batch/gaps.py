"""Coverage-gap discovery: what do customers ask that the library does not answer?

While a batch evaluation streams through its input, the utterances the
assistant abstained on or answered with low confidence are collected into a
uniform sample, keyed by a hash of the text, of at most ``max_points`` redacted
texts and their embeddings, so a million-line file needs bounded memory. The sample is
then clustered and each cluster is named by its representative utterances and
its salient character n-grams; clusters are ranked by their estimated volume
in the whole input. :func:`emit_stubs` turns the clusters into draft scripts a
writer can complete.

Clustering, and why each step is there (tuned on the shipped dev set with
scenarios removed from the library; see ``tests/test_gaps.py``):

1. **Centre and project.** Every banking utterance shares a large common
   direction in embedding space, which swamps topic differences in raw cosine
   similarity. Subtracting the sample mean and keeping the top principal
   components (at most 32) leaves the topic structure.
2. **Set scattered one-offs aside.** A point whose second-nearest neighbour is
   far away (the least dense quarter of the sample) is a lone low-confidence
   utterance, not a recurring need; the agglomeration would otherwise give such
   points clusters of their own or glue them into "noise clusters" as large as a
   real gap. They are counted as ``unclustered``.
3. **Agglomerate.** Average linkage (UPGMA) on the projected unit vectors, cut at
   ``k = clamp(n / 5, 1, max_clusters)`` clusters, on the view that a gap worth a
   script shows up about five times in the sample (so on large samples k is
   simply ``max_clusters``). No step is seeded: the same sample gives the same
   list. Through the thirtieth round this was seeded spherical k-means, over-
   clustered and merged, best of five seeds; with seed 1 it split the removed
   cross-border remittances over four clusters (``bench/gap_seeds.py`` and
   ``docs/batch.md`` have the comparison).
4. **Drop tiny clusters** (fewer than 3 points, unless the sample is tiny) and
   rank the rest by size.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import yaml
from threadpoolctl import threadpool_limits

from assist.atomic_write import SHARED_FILE_MODE, write_atomic
from assist.batch.decide import DecidedBatch, Decision
from assist.batch.evaluate import run_outcomes
from assist.batch.terms import salient_candidates
from assist.errors import InputError
from assist.library.loader import LANGUAGES
from assist.limits import MAX_TEXT_FIELD_CHARS
from assist.lookup.assistant import Assistant
from assist.text.datafiles import Utterance
from assist.text.normalise import language_family, normalise
from assist.text.redact import redact

LOW_CONFIDENCE_MARGIN = 0.15
"""Answered utterances scoring below threshold + this margin count as gaps too."""
PCA_DIMS = 32
SPARSE_QUANTILE = 0.25
"""Share of the sample (the least dense) set aside as scattered one-offs."""
DENSITY_NEIGHBOUR = 2
DENSITY_REFERENCE = 4096
"""Density is measured against at most this many sample points (bounded cost)."""
POINTS_PER_CLUSTER = 5
MIN_CLUSTER = 3
TINY_SAMPLE = 10
"""Below this many sampled points nothing is set aside and no cluster is dropped."""
REPRESENTATIVES = 5
STUB_EXAMPLES = 12
TOP_TERMS = 5
SAMPLE_POINTS = 2_000
"""Distinct gap texts kept, embedded and clustered. A uniform sample of 2,000 finds every
recurring gap of 0.15 % of the gaps or more with at least 3 members, and bounds the
embedding work of a run (about 4 CPU-seconds with the default model) whatever its size."""
EMBED_BATCH = 256

_NOT_ID = re.compile(r"[^a-z0-9]+")
_DUPLICATE_KEY = re.compile(r"[\W\d_]+")


NEW_TOPIC = "new_topic"
NEEDS_EXAMPLES = "needs_examples"
NEAREST_MAJORITY = 0.6
"""A cluster whose members' nearest scenario is one scenario this often, and which that
scenario mostly answers, is "scenario X needs more examples", not a new topic."""
DUPLICATE_COSINE = 0.97
"""Representatives closer than this to one already shown are near-duplicates and skipped."""


@dataclass(frozen=True)
class GapCluster:
    """One recurring kind of request the library does not cover well."""

    rank: int
    size: int
    """Gap utterances of the sample in the cluster (repeats of one text counted)."""
    estimated_volume: float
    """Estimated number of input utterances like these (size scaled up from the sample)."""
    share: float
    """estimated_volume as a share of all input utterances."""
    top_terms: tuple[str, ...]
    representatives: tuple[str, ...]
    """Redacted members closest to the cluster centre, near-duplicates left out."""
    examples: tuple[str, ...]
    """Redacted, unique members (representatives first) for draft scripts."""
    suggested_id: str
    label_counts: dict[str, int] = field(default_factory=dict)
    """Input labels of the members, when the input was labelled."""
    kind: str = NEW_TOPIC
    """:data:`NEW_TOPIC`, or :data:`NEEDS_EXAMPLES` of :attr:`scenario`."""
    scenario: str | None = None
    """The nearest existing scenario of most members."""
    answered_share: float = 0.0
    """Share of the members that were answered (low confidence) rather than abstained on."""

    @property
    def majority_label(self) -> str | None:
        if not self.label_counts:
            return None
        return max(self.label_counts.items(), key=lambda item: (item[1], item[0]))[0]


@dataclass(frozen=True)
class GapReport:
    clusters: tuple[GapCluster, ...]
    total_utterances: int
    gap_utterances: int
    """Abstained or low-confidence utterances in the whole input."""
    sampled: int
    """Gap utterances represented in the bounded sample that was clustered (repeats counted)."""
    unclustered: int
    """Sampled utterances in no reported cluster (scattered one-offs, tiny clusters)."""
    low_confidence: float
    threshold: float
    abstained: int = 0
    """Gap utterances the assistant abstained on (the rest were answered below low_confidence)."""

    @property
    def low_confidence_answered(self) -> int:
        return self.gap_utterances - self.abstained

    @property
    def new_topics(self) -> tuple[GapCluster, ...]:
        return tuple(c for c in self.clusters if c.kind == NEW_TOPIC)

    @property
    def needs_examples(self) -> tuple[GapCluster, ...]:
        return tuple(c for c in self.clusters if c.kind == NEEDS_EXAMPLES)


EncodeChunks = Callable[[Iterable[list[str]]], Iterable[np.ndarray]]
"""Encodes batches of normalised texts, one (n, dim) array per batch, in order."""


def encode_texts(assistant: Assistant, texts: list[str]) -> np.ndarray:
    """The assistant's encoder's vectors of ``texts`` (a job for
    :meth:`assist.batch.parallel.WorkerPool.map`)."""
    return np.asarray(assistant.encoder.encode(texts), dtype=np.float32)


def text_priority(text: str) -> int:
    """The sample's key: a hash of the redacted text, so which texts are kept depends on
    the texts alone, not on the order they arrive in (mergeable across workers)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


@dataclass
class _Point:
    priority: int
    vector: np.ndarray | None = None
    """Embedded when the sample is clustered (only the texts that stay in it are)."""
    count: int = 0
    answered: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    nearest: Counter[str] = field(default_factory=Counter)

    def absorb(self, other: _Point) -> None:
        # One text looked up in two batches may have two vectors that differ in their last
        # bits; the lesser keeps the choice independent of the order they arrive in.
        if other.vector is not None and (self.vector is None or other.vector.tobytes() < self.vector.tobytes()):
            self.vector = other.vector
        self.count += other.count
        self.answered += other.answered
        self.labels.update(other.labels)
        self.nearest.update(other.nearest)


@dataclass
class GapSample:
    """The ``capacity`` distinct redacted gap texts of lowest :func:`text_priority`, each with
    its embedding, how often it occurred, its labels and nearest scenarios.

    A bottom-k sample by hash is uniform over distinct texts and independent of arrival
    order, so two samples of two parts of an input :meth:`merge` into the sample of the
    whole, in any order.
    """

    capacity: int
    points: dict[str, _Point] = field(default_factory=dict)
    seen: int = 0
    abstained: int = 0
    _heap: list[tuple[int, str]] = field(default_factory=list)
    """Max-heap (negated priorities) of the kept texts, to find the one to evict."""

    def put(self, text: str, point: _Point) -> None:
        kept = self.points.get(text)
        if kept is not None:
            kept.absorb(point)
            return
        if len(self.points) >= self.capacity:
            if point.priority >= -self._heap[0][0]:
                return
            _, evicted = heapq.heappop(self._heap)
            del self.points[evicted]
        self.points[text] = point
        heapq.heappush(self._heap, (-point.priority, text))

    def merge(self, other: GapSample) -> GapSample:
        self.seen += other.seen
        self.abstained += other.abstained
        for text, point in other.points.items():
            self.put(text, _Point(point.priority, point.vector, point.count, point.answered,
                                  Counter(point.labels), Counter(point.nearest)))
        return self

    def ordered(self) -> list[tuple[str, _Point]]:
        """Kept points in priority order: the same sample gives the same order."""
        return sorted(self.points.items(), key=lambda item: (item[1].priority, item[0]))

    @property
    def texts(self) -> list[str]:
        return [text for text, _ in self.ordered()]

    def embed(self, encoder: Any, *, encode_chunks: EncodeChunks | None = None) -> None:
        """Embed the kept texts that have no vector yet, in priority order (in batches of
        :data:`EMBED_BATCH`), so the same sample gets the same vectors. Runs after the
        lookups, so the encoder may use every core. ``encode_chunks`` (e.g. a
        :class:`assist.batch.parallel.WorkerPool` mapping :func:`encode_texts`) encodes
        the batches elsewhere, in order, with the same encoder."""
        missing = [(text, point) for text, point in self.ordered() if point.vector is None]
        chunks = [missing[start : start + EMBED_BATCH] for start in range(0, len(missing), EMBED_BATCH)]
        texts = ([normalise(text) for text, _ in chunk] for chunk in chunks)
        encoded = encode_chunks(texts) if encode_chunks is not None else (encoder.encode(t) for t in texts)
        for chunk, vectors in zip(chunks, encoded, strict=True):
            for (_, point), vector in zip(chunk, vectors, strict=True):
                point.vector = np.asarray(vector, dtype=np.float32)

    def matrix(self) -> np.ndarray:
        ordered = self.ordered()
        if not ordered:
            return np.zeros((0, 1), dtype=np.float32)
        if any(point.vector is None for _, point in ordered):
            raise ValueError("embed() the sample before reading its matrix")
        return np.stack([point.vector for _, point in ordered]).astype(np.float32)  # type: ignore[misc]


class GapCollector:
    """Collects gap utterances batch by batch; pass :meth:`add_batch` as an ``on_batch`` callback.

    One evaluation pass can then feed both the evaluation report and gap discovery.
    """

    def __init__(
        self,
        assistant: Assistant,
        *,
        low_confidence: float | None = None,
        max_points: int = SAMPLE_POINTS,
        seed: int = 0,
    ) -> None:
        if max_points < 1:
            raise InputError("max_points must be at least 1")
        self.assistant = assistant
        self.low_confidence = (
            low_confidence if low_confidence is not None else assistant.threshold + LOW_CONFIDENCE_MARGIN
        )
        self.seed = seed
        self.total = 0
        self.sample = GapSample(max_points)

    def is_gap(self, decision: Decision) -> bool:
        if decision.pinned:
            return False
        return decision.abstained or not decision.scenarios or decision.score < self.low_confidence

    def add_batch(
        self, batch: Sequence[Utterance], decided: DecidedBatch, redacted: Sequence[str] | None = None,
    ) -> None:
        """Take the batch's gap utterances into the sample, each with its vector where the
        lookup computed the one the sample needs (the assistant's encoder, on the same text);
        the others are embedded once, when the sample is clustered, if they stay in it.
        ``redacted``: each line's ``redact(item.text)``, when the caller has them already."""
        self.total += len(batch)
        sample = self.sample
        labels: dict[str, str] = {}
        for row, (item, decision) in enumerate(zip(batch, decided.decisions, strict=True)):
            if not self.is_gap(decision):
                continue
            sample.seen += 1
            sample.abstained += decision.abstained
            # Only redacted text is kept, and embedded, so no personal number reaches
            # the sample, the clusters or their salient terms.
            text = redact(item.text) if redacted is None else redacted[row]
            vector = None
            if decided.vectors is not None and decided.embedded[row] and text == item.text == decided.texts[row]:
                vector = decided.vectors[row].copy()
            point = _Point(text_priority(text), vector, 1, int(not decision.abstained))
            if item.label:
                # A batch holds few distinct labels: each is redacted once.
                label = labels.get(item.label)
                if label is None:
                    label = labels[item.label] = redact(item.label)
                point.labels[label] += 1
            if decision.scenarios:
                point.nearest[decision.scenarios[0]] += 1
            sample.put(text, point)

    def merge(self, other: GapCollector) -> GapCollector:
        """Add another collector's sample and counts (same settings), in any order."""
        self.total += other.total
        self.sample.merge(other.sample)
        return self

    def report(
        self, *, max_clusters: int = 20, encode_chunks: EncodeChunks | None = None,
        term_sets: Callable[[], Sequence[frozenset[str]] | None] | None = None,
    ) -> GapReport:
        """Embed (see :meth:`GapSample.embed`) and cluster the sample and name the clusters
        (``term_sets`` as :func:`report_from_sample` takes them)."""
        self.sample.embed(self.assistant.encoder, encode_chunks=encode_chunks)
        return report_from_sample(self.sample, self.total, low_confidence=self.low_confidence,
                                  threshold=self.assistant.threshold, max_clusters=max_clusters, seed=self.seed,
                                  term_sets=term_sets)


def report_from_sample(
    sample: GapSample, total: int, *, low_confidence: float, threshold: float, max_clusters: int = 20,
    seed: int = 0, term_sets: Callable[[], Sequence[frozenset[str]] | None] | None = None,
) -> GapReport:
    """Cluster a (possibly merged) sample and name the clusters (``term_sets``: see
    :func:`candidate_terms`, called once the sample is clustered)."""
    ordered = sample.ordered()
    texts = [text for text, _ in ordered]
    points = [point for _, point in ordered]
    weights = np.array([p.count for p in points], dtype=np.float64)
    represented = int(weights.sum())
    matrix = sample.matrix()
    clusters = cluster_sample(matrix, max_clusters=max_clusters, seed=seed)
    candidates = candidate_terms(texts, term_sets)
    document_freq: Counter[str] = Counter(t for terms in candidates for t in terms)
    n = len(texts)
    drafted: list[tuple[int, list[int]]] = [(int(weights[members].sum()), members) for members in clusters]
    drafted.sort(key=lambda c: -c[0])
    named: list[GapCluster] = []
    features = unit_rows(matrix) if n else matrix
    for rank, (size, members) in enumerate(drafted, start=1):
        volume = size / represented * sample.seen if represented else 0.0
        top_terms = salient_terms([candidates[i] for i in members], document_freq, n)
        examples = tuple(dict.fromkeys(texts[i].strip() for i in members if texts[i].strip()))
        labels: Counter[str] = Counter()
        nearest: Counter[str] = Counter()
        answered = 0
        for i in members:
            labels.update(points[i].labels)
            nearest.update(points[i].nearest)
            answered += points[i].answered
        kind, scenario = classify(nearest, answered, size)
        named.append(GapCluster(
            rank=rank,
            size=size,
            estimated_volume=round(volume, 1),
            share=round(volume / total, 6) if total else 0.0,
            top_terms=top_terms,
            representatives=distinct_representatives(members, texts, features),
            examples=examples[:STUB_EXAMPLES],
            suggested_id=suggest_id(rank, top_terms) if kind == NEW_TOPIC else f"{scenario}",
            label_counts=dict(sorted(labels.items(), key=lambda r: (-r[1], r[0]))),
            kind=kind,
            scenario=scenario,
            answered_share=round(answered / size, 4) if size else 0.0,
        ))
    in_clusters = sum(size for size, _ in drafted)
    return GapReport(
        clusters=tuple(named),
        total_utterances=total,
        gap_utterances=sample.seen,
        sampled=represented,
        unclustered=represented - in_clusters,
        low_confidence=round(low_confidence, 4),
        threshold=round(threshold, 4),
        abstained=sample.abstained,
    )


def candidate_terms(
    texts: Sequence[str], term_sets: Callable[[], Sequence[frozenset[str]] | None] | None = None,
) -> Sequence[frozenset[str]]:
    """The :func:`assist.batch.terms.salient_candidates` of each text: as ``term_sets`` returns
    them, found elsewhere (a :class:`assist.batch.terms.TermService`), or found here when it
    is not given or returns None."""
    found = term_sets() if term_sets is not None else None
    if found is None or len(found) != len(texts):
        return [salient_candidates(text) for text in texts]
    return found


def classify(nearest: Counter[str], answered: int, size: int) -> tuple[str, str | None]:
    """"Scenario X needs more examples" when most members' nearest scenario is X and X
    mostly answered them (with low confidence); otherwise a new topic."""
    if not nearest or not size:
        return NEW_TOPIC, None
    scenario, count = max(nearest.items(), key=lambda item: (item[1], item[0]))
    if count / size >= NEAREST_MAJORITY and answered / size >= 0.5:
        return NEEDS_EXAMPLES, scenario
    return NEW_TOPIC, scenario


def distinct_representatives(members: Sequence[int], texts: Sequence[str], features: np.ndarray) -> tuple[str, ...]:
    """Up to :data:`REPRESENTATIVES` members closest to the centre, skipping any whose
    embedding is within :data:`DUPLICATE_COSINE` of one already chosen, or whose text
    differs from one already chosen only in digits, punctuation and spaces."""
    chosen: list[int] = []
    keys: set[str] = set()
    for i in members:
        key = _DUPLICATE_KEY.sub("", texts[i]).lower()
        if not key or key in keys:
            continue
        if chosen and float(np.max(features[chosen] @ features[i])) >= DUPLICATE_COSINE:
            continue
        chosen.append(i)
        keys.add(key)
        if len(chosen) == REPRESENTATIVES:
            break
    return tuple(texts[i].strip() for i in chosen)


def discover_gaps(
    assistant: Assistant,
    items: Iterable[Utterance],
    *,
    low_confidence: float | None = None,
    max_clusters: int = 20,
    max_points: int = SAMPLE_POINTS,
    seed: int = 0,
    workers: int = 1,
) -> GapReport:
    """Stream ``items`` through the assistant and cluster what it could not answer well.

    An utterance is a gap when the assistant abstained or its best score is
    below ``low_confidence`` (default: the assistant's threshold +
    :data:`LOW_CONFIDENCE_MARGIN`); utterances pinned by a rule never are.
    ``workers`` as in :func:`assist.batch.evaluate.run_outcomes`. ``seed`` changes nothing
    since the clustering stopped being seeded (see :func:`cluster_sample`).
    """
    collector = GapCollector(assistant, low_confidence=low_confidence, max_points=max_points, seed=seed)
    deque(run_outcomes(assistant, items, on_batch=collector.add_batch, workers=workers), maxlen=0)
    return collector.report(max_clusters=max_clusters)


# ----- clustering ------------------------------------------------------------------


def cluster_sample(vectors: np.ndarray, *, max_clusters: int = 20, seed: int = 0) -> list[list[int]]:
    """Member indices of each kept cluster, largest first, members closest to the centre first.

    The result depends on the rows and their order alone: ``seed`` is accepted for callers of
    the seeded k-means this replaced (thirty-first round) and changes nothing.

    Runs on one thread (BLAS and FAISS's OpenMP alike): the sample is too small to gain from
    a second, and on a 2-core machine whose other core is busy (the term service segmenting
    the sample, another process) their threads spin against each other, and clustering the
    20,000-line evaluation's sample took 0.9 to 5.3 s instead of 0.15 s. The clusters are the
    same on any number of threads."""
    n = vectors.shape[0]
    if n == 0:
        return []
    with threadpool_limits(limits=1):
        return _clusters(vectors, max_clusters)


def _clusters(vectors: np.ndarray, max_clusters: int) -> list[list[int]]:
    n = vectors.shape[0]
    features = project(vectors)
    tiny = n < TINY_SAMPLE
    candidates = np.arange(n) if tiny else dense_points(features)
    k = min(max(1, max_clusters), max(1, round(len(candidates) / POINTS_PER_CLUSTER)))
    groups = average_linkage_groups(features[candidates], k)
    minimum = 1 if tiny else MIN_CLUSTER
    clusters = []
    for group in groups:
        if len(group) < minimum:
            continue
        members = candidates[group]
        centre = unit_rows(features[members].sum(axis=0, keepdims=True))[0]
        closeness = features[members] @ centre
        order = np.argsort(-closeness, kind="stable")
        clusters.append((float(closeness.mean()), members[order].tolist()))
    clusters.sort(key=lambda c: (-len(c[1]), -c[0]))
    return [members for _, members in clusters]


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


def project(vectors: np.ndarray) -> np.ndarray:
    """Centre on the sample mean, keep the top principal components, L2-normalise."""
    centred = vectors - vectors.mean(axis=0, keepdims=True, dtype=np.float64).astype(np.float32)
    dims = min(PCA_DIMS, centred.shape[0] - 1, centred.shape[1])
    if dims < 1:
        return unit_rows(vectors.astype(np.float32))
    _, basis = np.linalg.eigh((centred.T @ centred).astype(np.float64))
    top = basis[:, ::-1][:, :dims].astype(np.float32)
    return unit_rows(centred @ top)


def dense_points(features: np.ndarray) -> np.ndarray:
    """Indices of all but the least dense :data:`SPARSE_QUANTILE` of points.

    Density is the similarity to the second-nearest other point, looked up
    among the first :data:`DENSITY_REFERENCE` points (a gap sample is in hash order, so
    they are a uniform draw of it). Needs at least ``DENSITY_NEIGHBOUR + 1`` points.
    """
    n = features.shape[0]
    reference = np.arange(min(n, DENSITY_REFERENCE))
    index = faiss.IndexFlatIP(features.shape[1])
    index.add(features[reference])
    similarity, found = index.search(features, DENSITY_NEIGHBOUR + 1)
    own = reference[found] == np.arange(n)[:, None]
    ranked = np.sort(np.where(own, -np.inf, similarity), axis=1)[:, ::-1]
    density = ranked[:, DENSITY_NEIGHBOUR - 1]
    cut = np.quantile(density, SPARSE_QUANTILE)
    return np.flatnonzero(density >= cut)


def average_linkage_groups(features: np.ndarray, k: int) -> list[np.ndarray]:
    """Average-linkage (UPGMA) agglomeration of the unit feature rows, cut at ``k`` groups.

    Each step merges the two groups whose members are closest on average (Euclidean distance
    between unit rows, a monotone function of their cosine). Every merge is exhaustive, none
    starts from seeded centroids, so the groups depend on the points alone (ties go by the
    sample's hash order). Condensed distances take ``8 n (n - 1) / 2`` bytes: 9 MB for the
    1,500 points a 2,000-text sample keeps.
    """
    # Imported here: scipy's hierarchy module took 0.28-0.33 s to import on the 2-core VM (after the lookup's
    # own imports), and every `assist evaluate` loads this module, with or without a gap list.
    from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped]

    n = features.shape[0]
    if n < 2 or k <= 1:
        return [np.arange(n)]
    tree = linkage(features.astype(np.float64), method="average", metric="euclidean")
    labels = fcluster(tree, t=min(k, n), criterion="maxclust")
    return [np.flatnonzero(labels == label) for label in np.unique(labels)]


# ----- naming ----------------------------------------------------------------------


def salient_terms(
    member_terms: Sequence[frozenset[str]], document_freq: Counter[str], total: int
) -> tuple[str, ...]:
    """Terms over-represented in the cluster, by each term's contribution to the
    KL divergence between the cluster's and the whole sample's document frequencies."""
    size = len(member_terms)
    inside: Counter[str] = Counter(t for found in member_terms for t in found)
    least = 2 if size >= MIN_CLUSTER else 1
    scored = []
    for term, count in inside.items():
        if count < least:
            continue
        p_in = (count + 0.5) / (size + 1)
        p_all = (document_freq[term] + 0.5) / (total + 1)
        if p_in > p_all:
            scored.append((p_in * math.log(p_in / p_all), len(term), term))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    chosen: list[str] = []
    for _, _, term in scored:
        if any(term in other or other in term for other in chosen):
            continue
        chosen.append(term)
        if len(chosen) == TOP_TERMS:
            break
    return tuple(chosen)


def suggest_id(rank: int, top_terms: Sequence[str]) -> str:
    """``gap_01_<first Latin top term>``, or ``gap_01_cluster`` when all terms are Chinese."""
    slug = next((s for t in top_terms if (s := _NOT_ID.sub("_", t.lower()).strip("_"))), "")
    return f"gap_{rank:02d}_{slug[:24].strip('_') or 'cluster'}"


# ----- draft scripts ---------------------------------------------------------------


def scenarios_path(stub_path: Path) -> Path:
    """Where the companion scenario list goes: beside the stub file, or, when the
    stub is written inside a library's ``scripts/`` folder (where every YAML file
    must be a script file), at the library's root."""
    name = f"{stub_path.stem}.scenarios.yaml"
    for parent in stub_path.resolve().parents:
        if parent.name == "scripts":
            return parent.parent / name
    return stub_path.with_name(name)


def emit_stubs(report: GapReport, path: Path, *, language: str | None = None) -> list[Path]:
    """Write draft scripts for the gap clusters, plus their scenario ids.

    ``path`` gets a script file (``scripts:`` only, ``status: draft``, empty
    empathy and solution preview for a writer). A script file may not extend the
    taxonomy, so the new scenario ids go to a companion ``<stem>.scenarios.yaml``
    (see :func:`scenarios_path`) whose entries are appended to the library's
    ``scenarios.yaml``. Returns the written paths.
    """
    if language is not None and language not in LANGUAGES:
        raise InputError(f"language '{language}' is not one of {', '.join(LANGUAGES)}")
    companion = scenarios_path(path)
    scripts, scenarios = [], []
    for cluster in report.clusters:
        examples = stub_examples(cluster)
        if not examples:
            continue
        scripts.append({
            "id": f"gap.{cluster.rank:02d}",
            "scenario": cluster.suggested_id,
            "language": language or stub_language(examples),
            "status": "draft",
            "empathy": "",
            "solution_preview": "",
            "examples": examples,
        })
        scenarios.append({
            "id": cluster.suggested_id,
            "kind": "gap",
            "note": redact(
                f"about {cluster.estimated_volume:g} utterances ({cluster.share:.1%}); "
                f"terms: {', '.join(cluster.top_terms) or '-'}"
            ),
        })
    header = (
        "# Draft scripts for coverage gaps found by assist (status: draft, never suggested).\n"
        f"# Append the entries of {companion.name} to the library's scenarios.yaml, rename the\n"
        "# ids if you like, write empathy and solution_preview, then set status: approved.\n"
    )
    write_atomic(path, (header + dump_yaml({"scripts": scripts})).encode("utf-8"), mode=SHARED_FILE_MODE)
    note = f"# Scenario ids for {path.name}: append these entries to the library's scenarios.yaml.\n"
    write_atomic(companion, (note + dump_yaml({"scenarios": scenarios})).encode("utf-8"), mode=SHARED_FILE_MODE)
    return [path, companion]


def stub_examples(cluster: GapCluster) -> list[str]:
    texts = (redact(t).strip() for t in cluster.examples)
    return list(dict.fromkeys(t for t in texts if t and len(t) <= MAX_TEXT_FIELD_CHARS))


def stub_language(examples: Sequence[str]) -> str:
    families = Counter(language_family(text) for text in examples)
    return "zh-Hans" if families["zh"] >= families["en"] else "en"


def dump_yaml(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
