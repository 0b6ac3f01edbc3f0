"""The public Python API: ``Assistant.load(...)`` then ``suggest``, ``check``, ``session``.

One lookup runs the data flow of the package, one module per step:
normalise → embed (encoders) → search → overrides and compliance filter → rank → render.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assist.compliance.rules import RulePack
from assist.compliance.validated import ValidatedLibrary, load_validated
from assist.encoders.base import Encoder
from assist.encoders.registry import get_encoder
from assist.encoders.threads import numeric_threads
from assist.errors import IndexStateError, InputError
from assist.indexing.store import (
    LoadedIndex,
    Manifest,
    build_index,
    example_rows,
    load_index,
    read_calibration,
    read_manifest,
    stale_reason,
)
from assist.library.loader import SHIPPED_LIBRARY, Library
from assist.limits import MAX_UTTERANCE_CHARS
from assist.lookup.cascade import QUICK_MODEL, is_sure, quick_index_dir
from assist.lookup.pins import Pin, customer_pins
from assist.lookup.rank import HEAD_WEIGHT, NO_HIT, ScenarioScore, ScenarioTable, choose_variant, rank_batch
from assist.lookup.reply import (
    explain_abstain,
    explain_match,
    explain_pin,
    fallback_parts,
    reply_text,
    to_candidate,
)
from assist.lookup.search import ExampleHit, FusionWeights, search_batch
from assist.lookup.session import Session
from assist.text.normalise import language_family, normalise
from assist.types import Script, Suggestion, Violation, join_reply

DEFAULT_THRESHOLD = 0.45
_SURROGATE = re.compile("[\ud800-\udfff]")
SHIPPED_INDEX = SHIPPED_LIBRARY.parent / "index"


def default_index_dir(library_root: Path) -> Path:
    """``index/`` beside the shipped library; ``<library>/.index`` for any other."""
    if library_root.resolve() == SHIPPED_LIBRARY.resolve():
        return SHIPPED_INDEX
    return library_root / ".index"


def check_utterance(text: object) -> str:
    if not isinstance(text, str):
        raise InputError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_UTTERANCE_CHARS:
        raise InputError(
            f"text is {len(text):,} characters, over the {MAX_UTTERANCE_CHARS:,}-character limit; "
            "paste only the customer's request"
        )
    # Lone surrogates (undecodable bytes from a terminal) cannot be printed or encoded;
    # each becomes U+FFFD, a letter-like placeholder that neither splits a sentence for
    # the rule engine nor moves spans.
    return _SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True)
class AssistantSource:
    """What an assistant was loaded from, so another process can load the same one
    (:mod:`assist.batch.parallel`). None on an assistant given an encoder object."""

    library: Path
    index_dir: Path
    model: str | None


@dataclass(frozen=True)
class _Prepared:
    """A lookup after search and overrides, before the suggestion is rendered."""

    ranked: list[ScenarioScore]
    pins: list[Pin]
    best: float  # the best score and the margin before any pin moved a scenario first
    margin: float
    quick: bool = False  # ranked by the quick pass


class Assistant:
    """A loaded library, its index, its rule pack and the encoder, ready for lookups.

    Safe to share between threads: lookups read shared state only; per-call
    conversation state lives in :class:`assist.lookup.session.Session` objects.
    """

    def __init__(
        self,
        library: Library,
        encoder: Encoder,
        index: LoadedIndex,
        rules: RulePack,
        threshold: float,
        index_dir: Path,
        warnings: dict[str, tuple[Violation, ...]],
        source: AssistantSource | None = None,
    ) -> None:
        self.library = library
        self.source = source
        self.encoder = encoder
        self.index = index
        self.rules = rules
        self._threshold = threshold
        self.index_dir = index_dir
        head = index.head
        # A build chooses retrieval's lexical share with the head (see assist.indexing.head_blend).
        self.weights = FusionWeights(1 - head.lexical_weight, head.lexical_weight) if head else FusionWeights()
        self._warnings = warnings
        self._scripts = library.active_scripts
        rows = example_rows(library)
        self._row_script = [position for position, _ in rows]
        self._examples = [text for _, text in rows]
        self._by_scenario: dict[str, list[Script]] = {}
        for script in self._scripts:
            self._by_scenario.setdefault(script.scenario, []).append(script)
        self._table = ScenarioTable(self._scripts, self._row_script)
        self._head_columns = self._table.head_columns(head.labels) if head is not None else None
        self.quick: Assistant | None = None
        """The quick first pass (:mod:`assist.lookup.cascade`), or None to rank with this model alone."""

    @property
    def threshold(self) -> float:
        """The abstention threshold; setting it sets the quick pass's too."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._threshold = value
        if self.quick is not None:
            self.quick.threshold = value

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
        root = Path(library) if library is not None else SHIPPED_LIBRARY
        folder = Path(index_dir) if index_dir is not None else default_index_dir(root)
        validated = load_validated(root, folder)
        # Another process can load the same assistant only when the encoder comes from a name.
        source = AssistantSource(root, folder, None if model is None else str(model)) if encoder is None else None
        hint = build_command(validated.library.root, model, folder)
        assistant = cls._with_index(
            validated, encoder or get_encoder(model), folder, hint, auto_build, threshold, emit, source
        )
        if model is None and encoder is None:
            assistant.quick = cls._with_index(
                validated, quick_encoder(emit), quick_index_dir(folder), hint, auto_build,
                assistant.threshold, emit, None,
            )
        return assistant

    @classmethod
    def _with_index(
        cls, validated: ValidatedLibrary, encoder: Encoder, folder: Path, build_hint: str, auto_build: bool,
        threshold: float | None, emit: Callable[[str], None], source: AssistantSource | None,
    ) -> Assistant:
        """An assistant over ``encoder``'s index in ``folder``, built first if missing or stale
        and ``auto_build`` allows."""
        lib = validated.library
        try:
            manifest = read_manifest(folder)
        except IndexStateError:
            if not auto_build:
                raise
            manifest = None
        reason = stale_reason(manifest, lib, encoder)
        if reason is not None:
            if not auto_build:
                raise IndexStateError(f"{reason}. Build it: {build_hint}")
            emit(f"assist: {reason}; building the index in {folder} ...")
            manifest = build_index(lib, encoder, folder)
        assert manifest is not None
        try:
            loaded = load_index(folder, manifest)
        except IndexStateError:
            if not auto_build:
                raise
            emit(f"assist: the index in {folder} is damaged; rebuilding ...")
            manifest = build_index(lib, encoder, folder)
            loaded = load_index(folder, manifest)
        chosen = threshold if threshold is not None else read_calibration(folder, manifest)
        return cls(lib, encoder, loaded, validated.rules, chosen if chosen is not None else DEFAULT_THRESHOLD,
                   folder, validated.warnings, source)

    @property
    def manifest(self) -> Manifest:
        return self.index.manifest

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def script(self, script_id: str) -> Script | None:
        return self.library.script(script_id)

    def scenario_script(
        self, scenario: str, utterance: str = "", segment: str | None = None, channel: str | None = None
    ) -> Script | None:
        """The variant of ``scenario`` that best fits the caller, or None if the library lacks it."""
        variants = self._by_scenario.get(scenario)
        if not variants:
            return None
        return choose_variant(variants, {}, language_family(utterance), segment, channel)

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
        return self.suggest_many([utterance], top_k=top_k, segment=segment, channel=channel)[0]

    def suggest_many(
        self,
        utterances: Sequence[str],
        *,
        top_k: int = 3,
        segment: str | None = None,
        channel: str | None = None,
    ) -> list[Suggestion]:
        """Suggestions for a batch; embedding and dense search run once for the batch."""
        texts = [check_utterance(u) for u in utterances]
        normalised = [normalise(t) for t in texts]
        prepared = self._prepare(texts, normalised, segment, channel, max(1, top_k))
        return [
            self._render(text, item, max(1, top_k))
            for text, item in zip(texts, prepared, strict=True)
        ]

    def _prepare(
        self, texts: list[str], normalised: list[str], segment: str | None, channel: str | None,
        top_k: int,
    ) -> list[_Prepared]:
        """Ranked scenarios of each text: the quick pass's where it is sure, this model's elsewhere."""
        if self.quick is None or not texts:
            return self._prepare_alone(texts, normalised, segment, channel, top_k)
        first = self.quick._prepare_alone(texts, normalised, segment, channel, top_k)
        prepared = [replace(item, quick=True) for item in first]
        unsure = [i for i, item in enumerate(first) if not is_sure(item.best, item.margin, self.threshold)]
        if unsure:
            second = self._prepare_alone(
                [texts[i] for i in unsure], [normalised[i] for i in unsure], segment, channel, top_k,
                [first[i].pins for i in unsure],
            )
            for position, item in zip(unsure, second, strict=True):
                prepared[position] = item
        return prepared

    def _prepare_alone(
        self, texts: list[str], normalised: list[str], segment: str | None, channel: str | None,
        top_k: int, known_pins: list[list[Pin]] | None = None,
    ) -> list[_Prepared]:
        """Ranked scenarios of each text by this model; ``known_pins``, if given, are the
        texts' customer pins (they depend on the text alone)."""
        vectors = self.encoder.encode(normalised) if texts else np.zeros((0, self.encoder.dim))
        head = self.index.head
        with numeric_threads(len(texts)):
            candidates = search_batch(self.index, vectors, normalised, self.weights)
            head_probs = head.probabilities(vectors) if head is not None and texts else None
        ranked = rank_batch(
            candidates, self._table, [language_family(t) for t in texts], segment, channel,
            head_probs=head_probs, head_columns=self._head_columns, limit=max(top_k, 10),
            head_weight=head.blend if head is not None else HEAD_WEIGHT,
            aggregation=head.aggregation if head is not None else "best",
        )
        known = set(self._by_scenario)
        prepared = []
        for position, (text, scored) in enumerate(zip(texts, ranked, strict=True)):
            if known_pins is not None:
                pins = known_pins[position]
            else:
                pins = customer_pins(self.rules, text, known) if text.strip() else []
            best = scored[0].score if scored else 0.0
            prepared.append(
                _Prepared(self._apply_pins(scored, pins, text, segment, channel), pins, best, _margin(scored))
            )
        return prepared

    def _apply_pins(
        self, ranked: list[ScenarioScore], pins: list[Pin], text: str,
        segment: str | None, channel: str | None,
    ) -> list[ScenarioScore]:
        """Move pinned scenarios to the front, highest priority first.

        A severe-complaint signal about a scenario that has a severe variant
        (e.g. a disputed duplicate charge with a threat to go to the regulator)
        keeps that scenario and switches to its severe variant, whose
        escalation path is what the signal calls for.
        """
        if not pins:
            return ranked
        by_scenario = {s.scenario: s for s in ranked}
        front: list[ScenarioScore] = []
        for pin in pins:
            if pin.is_escalation and not front and ranked:
                severe = self._severe_variant(ranked[0], text)
                if severe is not None:
                    front.append(replace(ranked[0], script=severe))
                    continue
            scored = by_scenario.get(pin.scenario)
            if scored is None:
                script = self.scenario_script(pin.scenario, text, segment, channel)
                assert script is not None  # customer_pins keeps known scenarios only
                scored = ScenarioScore(pin.scenario, 0.0, NO_HIT, script)
            front.append(scored)
        pinned = {s.scenario for s in front}
        return front + [s for s in ranked if s.scenario not in pinned]

    def _severe_variant(self, scored: ScenarioScore, text: str) -> Script | None:
        """The severe variant of a confidently matched scenario, in the caller's language."""
        if scored.score < self.threshold:
            return None
        family = language_family(text)
        severe = [s for s in self._by_scenario[scored.scenario] if s.severity == "severe"]
        same_language = [s for s in severe if s.language.startswith("zh") == (family == "zh")]
        choices = same_language or severe
        return choices[0] if choices else None

    def _render(self, text: str, prepared: _Prepared, top_k: int) -> Suggestion:
        family = language_family(text)
        candidates = [
            to_candidate(scored, self._example_text(scored.best), self._warnings.get(scored.script.id, ()))
            for scored in prepared.ranked[:top_k]
        ]
        alerts = [pin.alert for pin in prepared.pins[:1]]
        if prepared.pins:
            pin = prepared.pins[0]
            top = candidates[0]
            return Suggestion(
                reply=reply_text(top, family), abstained=False, candidates=candidates, pinned_by=pin.rule_id,
                why=explain_pin(pin.rule_id, pin.evidence.matched_text, top.script_id),
                margin=_margin(prepared.ranked), alerts=alerts, escalation=top.escalation, quick_pass=prepared.quick,
            )
        best = candidates[0].score if candidates else 0.0
        margin = _margin(prepared.ranked)
        if not candidates or best < self.threshold:
            empathy, question = fallback_parts(family)
            return Suggestion(
                reply=join_reply(empathy, question), abstained=True, candidates=candidates,
                why=explain_abstain(best, self.threshold), margin=margin, quick_pass=prepared.quick,
            )
        top = candidates[0]
        return Suggestion(
            reply=reply_text(top, family), abstained=False, candidates=candidates,
            why=explain_match(top, margin), margin=margin, escalation=top.escalation,
            quick_pass=prepared.quick,
        )

    def _example_text(self, hit: ExampleHit) -> str:
        return self._examples[hit.row] if hit.row >= 0 else ""

    # ----- compliance ----------------------------------------------------------------
    def check(self, text: str) -> list[Violation]:
        """Compliance violations in an agent's draft, in text order."""
        return self.rules.check(check_utterance(text), audience="agent")

    def session(self) -> Session:
        """A conversation: remembers the scenarios raised, for escalation advice."""
        return Session(self)


def _margin(ranked: list[ScenarioScore]) -> float:
    if len(ranked) < 2:
        return round(ranked[0].score, 4) if ranked else 0.0
    return round(ranked[0].score - ranked[1].score, 4)


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
    built = [(folder, build_index(library, get_encoder(model), folder, tune_head=tune_head))]
    if model is None:
        quick = quick_index_dir(folder)
        encoder = quick_encoder(log or (lambda message: print(message, file=sys.stderr)))
        built.append((quick, build_index(library, encoder, quick, tune_head=tune_head)))
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
