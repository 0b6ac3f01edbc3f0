"""Semantic completion of a partial scam pattern: does an utterance read as a scam in progress?

The scam pattern of :mod:`assist.lookup.pins` is made of lexical parts (a stranger, an
instruction, a scheme), and writers keep finding wording the lexicons lack: most missed scams
hold one part of the pattern but not the whole (an instruction but no stranger the lexicons know,
or a stranger and a pretext but no instruction they know). For such an utterance only, this
classifier reads it whole and decides.

**Classifier.** The compliance signal's machinery (:mod:`assist.compliance.semantic`: a ridge
regression over the static quick-pass encoder's vector and hashed word and character n-grams),
one category, :data:`CATEGORY`. It learns from :data:`EXEMPLARS` (scams in progress and
lookalikes written for it) and from the shipped library's customer examples: those of the
``fraud_in_progress`` scripts as scams, every other script's as lookalikes. A lookalike's clauses
are lookalikes too (as for drafts): a clause such as "someone said to move it to a safe account",
cut from "is that true?", holds the threshold above the scam fragments of every lookalike.

**Threshold.** From 10-fold cross-validation on those texts with a false-flag budget of 0
(:data:`BUDGET`): just above the highest held-out score of any lookalike. A false fraud banner is
almost as bad as a miss, so the completion gives up the scams that score among lookalikes.

**Cost.** Trained once (some 20-30 s on a busy 2-core machine) and kept in the user cache folder
under a key that hashes the texts, the encoder and the fitting code, with a checksum checked on
every read (a damaged file is rebuilt, never used); first use in a process loads the library and
the static encoder (about a second). Only utterances holding a partial pattern are scored.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from assist.compliance.semantic import (
    SemanticFlag,
    SemanticSignal,
    TextEncoder,
    build_signal,
    cache_folder,
    long_enough,
)
from assist.encoders.base import STATIC_MODEL
from assist.encoders.registry import get_encoder
from assist.errors import LibraryError
from assist.library.loader import SHIPPED_LIBRARY, load_library, read_yaml
from assist.text.normalise import normalise

CATEGORY = "fraud_in_progress"
EXEMPLARS = SHIPPED_LIBRARY / "fraud_exemplars.yaml"
KINDS = ("scam", "lookalike")
BUDGET = 0.0
"""Lookalikes (a fraction) the threshold may flag in cross-validation: none."""


@dataclass(frozen=True)
class Exemplars:
    """The classifier's texts, and whether each is a scam in progress."""

    texts: tuple[str, ...]
    scam: tuple[bool, ...]


def read_exemplars(path: Path = EXEMPLARS) -> Exemplars:
    """``scam:`` and ``lookalike:``, each mapping a language to a list of texts."""
    data, _ = read_yaml(path, path.parent)
    if not isinstance(data, dict) or sorted(data) != sorted(KINDS):
        raise LibraryError("expected 'scam:' and 'lookalike:' at the top", file=str(path),
                           fix="map each to languages, each language to a list of texts")
    texts: list[str] = []
    scam: list[bool] = []
    for kind in KINDS:
        by_language = data[kind]
        if not isinstance(by_language, dict):
            raise LibraryError(f"'{kind}' must map languages to lists", file=str(path), field=kind,
                               fix="write 'en: [...]'")
        for language, items in by_language.items():
            if not isinstance(items, list) or not all(isinstance(t, str) and t.strip() for t in items):
                raise LibraryError("expected a list of texts", file=str(path), field=f"{kind}.{language}",
                                   fix="write one '- text' a line")
            texts += items
            scam += [kind == "scam"] * len(items)
    return Exemplars(tuple(texts), tuple(scam))


def library_examples() -> Exemplars:
    """The shipped scripts' customer examples: a scam for ``fraud_in_progress``, else a lookalike."""
    pairs = dict.fromkeys((e, s.scenario == CATEGORY) for s in load_library(SHIPPED_LIBRARY).scripts
                          for e in s.examples)
    return Exemplars(tuple(t for t, _ in pairs), tuple(b for _, b in pairs))


def train(encoder: TextEncoder, cache: Path | None = None, path: Path = EXEMPLARS,
          examples: Exemplars | None = None) -> SemanticSignal:
    """The completion classifier for ``encoder`` from the exemplars at ``path`` and ``examples``
    (by default :func:`library_examples`), read from the cache when its key and checksum hold."""
    own = read_exemplars(path)
    examples = library_examples() if examples is None else examples
    texts, scam = own.texts + examples.texts, own.scam + examples.scam
    return build_signal(texts, [CATEGORY] * len(texts), scam, encoder,
                        cache if cache is not None else cache_folder() / "fraud", budget=BUDGET)


_SIGNAL: list[SemanticSignal] = []
_LOCK = threading.Lock()


def signal() -> SemanticSignal:
    """The shipped classifier with the static encoder, made once per process."""
    with _LOCK:
        if not _SIGNAL:
            _SIGNAL.append(train(get_encoder(STATIC_MODEL)))
        return _SIGNAL[0]


def reads_as_scam(utterance: str, classifier: SemanticSignal | None = None) -> SemanticFlag | None:
    """The flag when ``utterance`` reads as a scam in progress (score, threshold, nearest scam
    exemplar), else None. A text too short to mean much (:func:`long_enough`: a lone keyword such
    as 「安全账户」) is never scored."""
    text = normalise(utterance)
    if not long_enough(text):
        return None
    flags = (classifier or signal()).flags([text])[0]
    return flags[0] if flags else None
