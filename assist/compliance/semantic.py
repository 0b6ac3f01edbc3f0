"""The semantic signal: a clause near a violating exemplar, and not nearer a compliant one.

Rules catch the wording they list; a paraphrase (「本钱动不了」 for 保本) slips past
them. This signal embeds each clause and sentence of a draft with the project's
own encoder (the static quick-pass encoder, ~0.03 ms a text) and compares it with
the pack's exemplars (rules/exemplars.yaml): per category, sentences that break
it and compliant lookalikes written to sit close to them.

For a category ``c`` a text scores ``max cos(text, violating_c) - max cos(text,
compliant)``: how much nearer it is to a violation of ``c`` than to any compliant
exemplar of any category. It is flagged when the score reaches the category's
threshold, which leave-one-out cross-validation on the exemplars alone sets:
the lowest margin (never below :data:`MIN_MARGIN`) at which at most
:data:`FALSE_FLAG_BUDGET` of the compliant exemplars would be flagged. No dev or
held-out draft takes part. One text can pass several categories' thresholds and
then carries all of them.

Training is deterministic for a given exemplar set and encoder: no random state,
stable sorts. Its result (exemplar vectors and thresholds) is kept in the user
cache folder under a key that hashes the exemplars, the encoder's model id and
this module's version, with a checksum of the arrays checked on every read; a
file that fails it is rebuilt, never used.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from threadpoolctl import ThreadpoolController

from assist.atomic_write import write_atomic
from assist.text.normalise import normalise

VERSION = 1
MIN_MARGIN = 0.03
"""A text must be at least this much nearer a violating exemplar than a compliant one."""
FALSE_FLAG_BUDGET = 0.0
"""Most compliant texts (a fraction) a category's threshold may flag in cross-validation."""
MIN_UNIT = 8
"""Least content a scored text needs (CJK characters, plus two per Latin word): a fragment such
as 「就这样」 or "No problem" is too short for its vector to mean much."""
_CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[;:。!?]|\.(?=\s|$)")
_LATIN_WORD = re.compile(r"[a-z0-9']+")


def long_enough(text: str) -> bool:
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return cjk + 2 * len(_LATIN_WORD.findall(text.lower())) >= MIN_UNIT


def clauses(text: str) -> list[str]:
    """The clauses of a normalised text that are :func:`long_enough` to score."""
    return [c.strip() for c in _CLAUSE.split(text) if long_enough(c.strip())]


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


class SemanticSignal:
    """Exemplar vectors and per-category thresholds; :meth:`flags` scores texts."""

    def __init__(self, texts: Sequence[str], categories: Sequence[str], violating: Sequence[bool],
                 vectors: np.ndarray, thresholds: dict[str, float], encoder: TextEncoder,
                 fits: Sequence[CategoryFit] = ()) -> None:
        self.texts = tuple(texts)
        self.categories = tuple(categories)
        self.violating = np.asarray(violating, dtype=bool)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.thresholds = thresholds
        self.encoder = encoder
        self.fits = tuple(fits)
        self._compliant = np.flatnonzero(~self.violating)
        self._by_category = {
            c: np.flatnonzero(self.violating & (np.asarray(self.categories) == c)) for c in thresholds
        }

    def flags(self, texts: Sequence[str]) -> list[list[SemanticFlag]]:
        """For each text, the categories it is flagged with (possibly several)."""
        if not texts or not self.thresholds:
            return [[] for _ in texts]
        vectors = np.asarray(self.encoder.encode([normalise(t) for t in texts]), dtype=np.float32)
        with _ONE_THREAD:  # a few rows: BLAS threads cost more to wake (~15 ms on a busy machine) than they save
            sims = vectors @ self.vectors.T
        nearest_clean = sims[:, self._compliant].max(axis=1) if self._compliant.size else np.zeros(len(texts))
        out: list[list[SemanticFlag]] = [[] for _ in texts]
        for category, rows in self._by_category.items():
            if not rows.size:
                continue
            block = sims[:, rows]
            best = block.argmax(axis=1)
            top = block[np.arange(len(texts)), best]
            scores = top - nearest_clean
            threshold = self.thresholds[category]
            for i in np.flatnonzero(scores >= threshold):
                out[i].append(SemanticFlag(category, float(scores[i]), threshold,
                                           self.texts[rows[best[i]]], float(top[i])))
        return out


def fit_thresholds(vectors: np.ndarray, categories: Sequence[str], violating: Sequence[bool],
                   clause_vectors: np.ndarray | None = None, clause_owner: Sequence[int] = ()
                   ) -> list[CategoryFit]:
    """Per category, the lowest threshold (>= MIN_MARGIN) whose leave-one-out false flags stay
    within FALSE_FLAG_BUDGET.

    The negatives are the compliant exemplars and their clauses (``clause_vectors``, each from
    exemplar ``clause_owner[i]``), as drafts are scored clause by clause; each is scored with
    its own exemplar left out of both sides."""
    labels = np.asarray(categories)
    bad = np.asarray(violating, dtype=bool)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    owners = np.asarray(clause_owner, dtype=int)
    if clause_vectors is not None and len(owners):
        part = clause_vectors @ vectors.T
        part[np.arange(len(owners)), owners] = -np.inf
        keep = ~bad[owners]
        negatives = np.vstack([sims[~bad], part[keep]])
    else:
        negatives = sims[~bad]
    compliant = ~bad
    fits = []
    for category in sorted(set(categories)):
        members = np.flatnonzero(bad & (labels == category))
        if members.size < 2 or not compliant.any():
            continue
        positive = sims[members][:, members].max(axis=1) - sims[members][:, compliant].max(axis=1)
        negative = np.sort(negatives[:, members].max(axis=1) - negatives[:, compliant].max(axis=1))[::-1]
        allowed = int(np.floor(FALSE_FLAG_BUDGET * negative.size))
        # Flagging needs score >= t: the (allowed+1)-th highest negative score must fall below t.
        above = float(negative[allowed]) + 1e-6 if allowed < negative.size else MIN_MARGIN
        threshold = max(MIN_MARGIN, above)
        recall = float((positive >= threshold).mean())
        false_flags = float((negative >= threshold).mean())
        fits.append(CategoryFit(category, round(threshold, 6), recall, false_flags))
    return fits


def exemplar_key(texts: Sequence[str], categories: Sequence[str], violating: Sequence[bool],
                 model_id: str) -> str:
    digest = hashlib.sha256(f"semantic {VERSION}\0{model_id}\0".encode())
    digest.update(Path(__file__).read_bytes())  # the fitting code itself: a change retrains
    for text, category, bad in zip(texts, categories, violating, strict=True):
        digest.update(f"{category}\0{int(bad)}\0{text}\0".encode())
    return digest.hexdigest()


def cache_folder() -> Path:
    """``$ASSIST_CACHE_DIR``, else ``$XDG_CACHE_HOME/assist``, else ``~/.cache/assist``."""
    configured = os.environ.get("ASSIST_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "assist"


def _checksum(vectors: np.ndarray, thresholds: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(thresholds, dtype=np.float64).tobytes())
    return digest.hexdigest()


def build_signal(texts: Sequence[str], categories: Sequence[str], violating: Sequence[bool],
                 encoder: TextEncoder, cache: Path | None = None) -> SemanticSignal:
    """Train (or read from the cache) the signal for these exemplars and this encoder."""
    key = exemplar_key(texts, categories, violating, encoder.model_id)
    folder = cache if cache is not None else cache_folder() / "semantic"
    path = folder / f"{key[:32]}.npz"
    ordered = sorted(set(categories))
    cached = _read_cache(path, key, len(texts), len(ordered))
    if cached is not None:
        vectors, values, recall, false_flags = cached
        fits = [CategoryFit(c, float(t), float(r), float(f))
                for c, t, r, f in zip(ordered, values, recall, false_flags, strict=True) if np.isfinite(t)]
    else:
        normalised = [normalise(t) for t in texts]
        vectors = encoder.encode(normalised).astype(np.float32)
        pieces = [(i, c) for i, text in enumerate(normalised) for c in clauses(text) if c != text.rstrip("。.!? ")]
        clause_vectors = encoder.encode([c for _, c in pieces]).astype(np.float32) if pieces else None
        fits = fit_thresholds(vectors, categories, violating, clause_vectors, [i for i, _ in pieces])
        by_category = {f.category: f for f in fits}
        values = np.array([by_category[c].threshold if c in by_category else np.inf for c in ordered])
        recall = np.array([by_category[c].recall if c in by_category else 0.0 for c in ordered])
        false_flags = np.array([by_category[c].false_flags if c in by_category else 0.0 for c in ordered])
        _write_cache(path, key, vectors, values, recall, false_flags)
    thresholds = {f.category: f.threshold for f in fits}
    return SemanticSignal(texts, categories, violating, vectors, thresholds, encoder, fits)


def _read_cache(path: Path, key: str, rows: int, categories: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            vectors, values = data["vectors"], data["thresholds"]
            if vectors.shape[0] != rows or values.shape != (categories,):
                return None
            if str(data["checksum"]) != _checksum(vectors, values):
                return None
            return vectors, values, data["recall"], data["false_flags"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _write_cache(path: Path, key: str, vectors: np.ndarray, values: np.ndarray,
                 recall: np.ndarray, false_flags: np.ndarray) -> None:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, key=np.array(key), vectors=vectors, thresholds=values, recall=recall,
             false_flags=false_flags, checksum=np.array(_checksum(vectors, values)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, buffer.getvalue())
    except OSError:
        pass  # an unwritable cache: the signal is trained again next time (~50 ms), never skipped
