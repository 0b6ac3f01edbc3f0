"""Compliance rule packs: loading, validation and deterministic matching.

A rule pack is the shipped pack (``scripts_library/rules/*.yaml``) plus every
``rules/*.yaml`` file of a library; a library's own rules add to the shipped ones
and switch a shipped rule off only by id with a stated reason (``switch_off:``).
The format is in docs/compliance.md. In short, a rule names a category, a
severity, the audience (agent drafts, customer words, or both), and ``when:`` it
fires, composed of phrase lexicons (:mod:`assist.compliance.lexicon`):

* ``any: [lexicon, ...]`` a phrase of any listed lexicon;
* ``all: [lexicon, ...]`` a phrase of each, in the same clause (or ``in: sentence``,
  or ``within: N`` characters from the first to the last);
* ``regex: '...'`` the escape hatch, compiled by RE2 (linear time, no look-arounds).

One scope engine (:mod:`assist.compliance.scope`) decides for every rule whether a
hit sits under a negation, a prohibition or warning, reported speech or a
hypothetical; agent rules respect all of those by default, customer rules none
(a customer reporting what a fraudster said is exactly the signal). Each rule carries ``flags:`` and
``passes:`` examples that :func:`example_failures` runs (``assist validate``).
``unless:`` lexicons anywhere in the checked text cancel the rule (an alternative
offered turns a refusal into a redirection).

The older format (``patterns:`` / ``exceptions:`` / ``terms:`` of regexes) still
loads; its regexes are compiled by RE2 as well, and a pattern RE2 cannot compile
is refused with the rule id. No pattern ever runs on a backtracking engine.

Matching runs on normalised text (simplified, half-width, case-folded), sentence by
sentence; reported spans index the caller's original text.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast, get_args

import re2  # type: ignore[import-untyped]
import yaml

from assist.compliance.lexicon import LANGUAGES, Lexicon, PhraseIndex, Span, normalise_phrase
from assist.compliance.scope import SCOPE_KINDS, SCOPE_LEXICONS, ScopeSpan, scopes
from assist.compliance.semantic import SemanticSignal, TextEncoder, build_signal, long_enough
from assist.errors import LibraryError
from assist.library.loader import (
    SHIPPED_LIBRARY,
    display_path,
    hash_files,
    line_of,
    mapping_child,
    read_yaml,
    sequence_item,
)
from assist.text.normalise import normalise, normalise_with_offsets, to_simplified
from assist.types import AppliesTo, Severity, Violation

Audience = Literal["agent", "customer"]
Scope = Literal["before", "after", "match", "clause", "sentence", "text"]
Reach = Literal["clause", "sentence"]

AGENT_CATEGORIES = (
    "promise_guaranteed_return",
    "credential_request",
    "unsafe_transfer_instruction",
    "privacy_disclosure",
    "skip_verification",
    "blame_shifting",
    "bare_refusal",
    "overpromise",
    "jargon",
    "disparaging_customer",
)
"""Agent-side categories: the ids of shared/eval/compliance_categories.yaml."""

CUSTOMER_CATEGORIES = (
    "fraud_signal",
    "escalation_signal",
    "skip_verification",
    "privacy_disclosure",
)
"""Customer-side signals: what the customer says that should steer the agent."""

CATEGORY_SEVERITY: dict[str, Severity] = {
    category: ("block" if i < 5 else "warn") for i, category in enumerate(AGENT_CATEGORIES)
}
"""The severity of each agent category (shared/eval/compliance_categories.yaml): the first
five block, the rest warn. A semantic-only flag takes its category's severity."""
SEMANTIC_PREFIX = "semantic."
"""Rule id of a flag only the semantic signal raised: ``semantic.<category>``."""

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
APPLIES_TO: tuple[AppliesTo, ...] = get_args(AppliesTo)
SCOPES: tuple[Scope, ...] = get_args(Scope)

RULE_ID = re.compile(r"^[a-z0-9_.-]{1,128}$")
PIN_ID = re.compile(r"^[a-z0-9_]{1,64}$")
COMMON_FIELDS = ("id", "category", "severity", "applies_to", "explanation", "reference", "suggestion")
OPTIONAL_FIELDS = ("exceptions", "pin", "priority", "alert", "unless", "respects", "flags", "passes")
TOP_LEVEL_KEYS = ("rules", "terms", "anchors", "lexicons", "scope", "switch_off", "exemplars")
"""``terms:`` names regex fragments of the older format (``{{name}}``); ``anchors:`` is ignored
(a place for YAML anchors); ``lexicons:`` and ``scope:`` define phrase lexicons;
``switch_off:`` lists shipped rules a library turns off; ``exemplars:`` feeds the semantic
signal (:mod:`assist.compliance.semantic`)."""
TERM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
LEXICON_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}(?:\.[a-z][a-z0-9_]{0,63})?$")
_TERM_REF = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")

_SENTENCE_END = re.compile(r"[。!?;]|\.(?=\s|$)")
_CLAUSE_END = re.compile(r"[,、:。!?;]|\.(?=\s|$)")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
_SEVERITY_RANK = {"block": 0, "warn": 1}
MAX_HITS_PER_SENTENCE = 8
"""Hits one rule may report in one sentence: enough to show every violation a person writes,
and a bound on the work a hostile text can cause ("abab…" matching a regex a thousand times)."""
AGENT_RESPECTS = SCOPE_KINDS
"""Scope kinds an agent rule respects unless it says otherwise: all of them."""


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


_RE2_OPTIONS = _re2_options()


def compile_linear(source: str) -> Any:
    """``source`` compiled by RE2: matching time linear in the text, whatever the pattern.

    Raises ``re2.error`` for syntax RE2 does not have (look-arounds, back-references)."""
    return re2.compile(source, options=_RE2_OPTIONS)


@dataclass(frozen=True)
class RuleException:
    """An older-format do-not-trigger regex and the context it is searched in.

    Scopes (all within normalised text): ``before`` the sentence up to the hit,
    ``after`` the sentence after the hit, ``match`` the hit itself, ``clause`` the
    comma-delimited clause(s) holding the hit, ``sentence`` the whole sentence,
    ``text`` the whole checked text.
    """

    source: str
    scope: Scope = "before"

    @cached_property
    def regex(self) -> Any:
        return compile_linear(self.source)


@dataclass(frozen=True)
class Trigger:
    """One way a rule fires: ``any`` / ``all`` of lexicons, or one RE2 ``regex``."""

    kind: Literal["any", "all", "regex"]
    items: tuple[str, ...]
    within: int | None = None
    reach: Reach = "clause"

    def describe(self) -> str:
        if self.kind == "regex":
            return f"regex {self.items[0]!r}"
        where = f"within {self.within} characters" if self.within else f"in the same {self.reach}"
        if self.kind == "any" or len(self.items) == 1:
            return "a phrase of " + " or ".join(self.items)
        return "a phrase of each of " + ", ".join(self.items) + f", {where}"

    @cached_property
    def regex(self) -> Any:
        return compile_linear(self.items[0])


@dataclass(frozen=True)
class Rule:
    """One validated rule."""

    id: str
    category: str
    severity: Severity
    applies_to: AppliesTo
    triggers: tuple[Trigger, ...]
    explanation: str
    reference: str
    suggestion: str
    exceptions: tuple[RuleException, ...] = ()
    unless: tuple[str, ...] = ()
    respects: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    pin: str | None = None
    priority: int = 0
    alert: str | None = None
    source: str = ""
    line: int | None = None

    def covers(self, audience: Audience) -> bool:
        return self.applies_to in (audience, "both")

    @property
    def lexicon_names(self) -> tuple[str, ...]:
        names = [n for t in self.triggers if t.kind != "regex" for n in t.items]
        return tuple(dict.fromkeys(names + list(self.unless)))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "category": self.category, "severity": self.severity,
            "applies_to": self.applies_to,
            "triggers": [[t.kind, list(t.items), t.within, t.reach] for t in self.triggers],
            "explanation": self.explanation, "reference": self.reference, "suggestion": self.suggestion,
            "exceptions": [[e.source, e.scope] for e in self.exceptions],
            "unless": list(self.unless), "respects": list(self.respects),
            "flags": list(self.flags), "passes": list(self.passes),
            "pin": self.pin, "priority": self.priority, "alert": self.alert,
            "source": self.source, "line": self.line,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        return cls(**{
            **data,
            "triggers": tuple(Trigger(k, tuple(i), w, r) for k, i, w, r in data["triggers"]),
            "exceptions": tuple(RuleException(s, c) for s, c in data["exceptions"]),
            **{key: tuple(data[key]) for key in ("unless", "respects", "flags", "passes")},
        })


@dataclass(frozen=True)
class Exemplar:
    """A labelled sentence for the semantic signal: it breaks ``category`` or is a lookalike."""

    text: str
    category: str
    violating: bool
    language: str
    source: str = ""


@dataclass(frozen=True)
class _Sentence:
    """One sentence of the normalised text: its bounds and the mark that ends it."""

    start: int
    end: int
    text: str
    terminator: str


@dataclass(frozen=True)
class _Context:
    """A normalised text, its map back to the original and its sentences."""

    original: str
    norm: str
    offsets: tuple[int, ...]
    sentences: tuple[_Sentence, ...]

    @classmethod
    def of(cls, text: str) -> _Context:
        # A line break ends a sentence, but normalisation folds it into a space;
        # replace it first with a same-length sentence end so offsets still hold.
        norm, offsets = normalise_with_offsets(_LINE_BREAK.sub("。", text))
        norm = norm.replace("\u2019", "'")  # a typographic apostrophe: "don’t" is "don't"
        return cls(text, norm, tuple(offsets), tuple(_sentences(norm)))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.offsets[start], self.offsets[end - 1] + 1


def _units(ctx: _Context) -> list[Span]:
    """What the semantic signal scores: each clause of each sentence (trimmed; spans in
    normalised text)."""
    units: list[Span] = []
    for sentence in ctx.sentences:
        pieces = []
        left = sentence.start
        for mark in _CLAUSE_END.finditer(ctx.norm, sentence.start, sentence.end):
            pieces.append((left, mark.start()))
            left = mark.end()
        pieces.append((left, sentence.end))
        for start, end in pieces:
            while start < end and ctx.norm[start].isspace():
                start += 1
            while end > start and ctx.norm[end - 1].isspace():
                end -= 1
            if long_enough(ctx.norm[start:end]) and (start, end) not in units:
                units.append((start, end))
    return units


def _sentences(text: str) -> Iterator[_Sentence]:
    """Non-empty sentences of ``text``; the terminator is kept aside, not in ``text``."""
    start = 0
    for found in _SENTENCE_END.finditer(text):
        if text[start : found.start()].strip():
            yield _Sentence(start, found.start(), text[start : found.start()], found.group())
        start = found.end()
    if text[start:].strip():
        yield _Sentence(start, len(text), text[start:], "")


def _clause_bounds(text: str, start: int, end: int, first: int, last: int) -> Span:
    """The comma-delimited clause(s) of ``text[first:last]`` holding ``[start, end)``."""
    left = max((m.end() for m in _CLAUSE_END.finditer(text, first, start)), default=first)
    right = next((m.start() for m in _CLAUSE_END.finditer(text, end, last)), last)
    return left, right


@dataclass(frozen=True)
class Hit:
    """A rule hit before it becomes a :class:`Violation`: the span in normalised text and why."""

    rule: Rule
    start: int
    end: int
    trigger: Trigger
    pieces: tuple[tuple[str, Span], ...] = ()


@dataclass(frozen=True)
class Explained:
    """A rule hit, or a hit cancelled and by what (``assist rules explain``)."""

    rule_id: str
    matched: str
    pieces: tuple[tuple[str, str], ...]
    cancelled_by: str | None


def _dedupe(hits: list[tuple[Rule, Violation]]) -> list[tuple[Rule, Violation]]:
    """Keep one hit per overlapping run of the same category (block, then longest, first)."""
    ranked = sorted(
        hits,
        key=lambda h: (
            h[1].span[0], _SEVERITY_RANK[h[1].severity], h[1].span[0] - h[1].span[1], h[0].id,
        ),
    )
    kept: list[tuple[Rule, Violation]] = []
    reach: dict[str, int] = {}  # per category, the furthest end kept so far (spans come by start)
    for rule, violation in ranked:
        start, end = violation.span
        if start >= reach.get(violation.category, -1):
            kept.append((rule, violation))
            reach[violation.category] = end
        else:
            reach[violation.category] = max(reach[violation.category], end)
    return sorted(kept, key=lambda h: (h[1].span, h[0].id))


@dataclass(frozen=True)
class RulePack:
    """The rules in force for a library, the lexicons they use and a hash of their files."""

    rules: tuple[Rule, ...] = ()
    content_hash: str = ""
    lexicons: tuple[Lexicon, ...] = ()
    switched_off: tuple[tuple[str, str], ...] = ()
    """(rule id, reason) for each shipped rule the library turned off."""
    exemplars: tuple[Exemplar, ...] = ()

    # ----- matching -------------------------------------------------------------------

    def hits(self, text: str, *, audience: Audience = "agent") -> list[tuple[Rule, Violation]]:
        """Every rule hit in ``text`` (no de-duplication), in text order."""
        ctx = _Context.of(text)
        found = [
            (hit.rule, self._violation(ctx, hit))
            for hit, cancelled in self._hits(ctx, audience)
            if cancelled is None
        ]
        return sorted(found, key=lambda h: (h[1].span, h[0].id))

    def check(self, text: str, *, audience: Audience = "agent",
              semantic: SemanticSignal | None = None) -> list[Violation]:
        """Violations in ``text`` for ``audience``, one per overlapping run of a category,
        sorted by span.

        With ``semantic`` (agent drafts only), each clause and sentence is also scored by the
        semantic signal; a category no rule flagged in that text is added as a semantic-only
        flag naming the nearest violating exemplar and the score."""
        found = [v for _, v in _dedupe(self.hits(text, audience=audience))]
        if semantic is None or audience != "agent":
            return found
        return sorted(found + self._semantic(text, semantic, {v.category for v in found}),
                      key=lambda v: (v.span, v.rule_id))

    def semantic_signal(self, encoder: TextEncoder, cache: Path | None = None) -> SemanticSignal:
        """The semantic signal trained on this pack's exemplars with ``encoder`` (kept per encoder)."""
        key = encoder.model_id
        if key not in self._signals:
            ex = self.exemplars
            self._signals[key] = build_signal([e.text for e in ex], [e.category for e in ex],
                                              [e.violating for e in ex], encoder, cache)
        return self._signals[key]

    @cached_property
    def _signals(self) -> dict[str, SemanticSignal]:
        return {}

    def _semantic(self, text: str, signal: SemanticSignal, flagged: set[str]) -> list[Violation]:
        ctx = _Context.of(text)
        phrase_hits = self._index.find(ctx.norm)
        found_scopes = [sc for sentence in ctx.sentences
                        for sc in scopes(ctx.norm, (sentence.start, sentence.end), phrase_hits)]
        # The signal reads plain statements only: a clause under or holding a negation, warning,
        # reported speech or hypothetical is left to the rules, whose scope engine reads it.
        units = [(s, e) for s, e in _units(ctx)
                 if not any(sc.governs((s, e)) or s <= sc.trigger[0] < e for sc in found_scopes)]
        if not units:
            return []
        found: dict[str, Violation] = {}
        for (start, end), flags in zip(units, signal.flags([ctx.norm[s:e] for s, e in units]), strict=True):
            for flag in flags:
                if flag.category in flagged:
                    continue
                earlier = found.get(flag.category)
                if earlier is not None and float(earlier.explanation.split("score ")[1].split(",")[0]) >= flag.score:
                    continue
                span = ctx.original_span(start, end)
                model = self._category_model(flag.category)
                found[flag.category] = Violation(
                    rule_id=SEMANTIC_PREFIX + flag.category,
                    category=flag.category,
                    severity=CATEGORY_SEVERITY.get(flag.category, "warn"),
                    span=span,
                    matched_text=ctx.original[span[0] : span[1]],
                    reference=model.reference if model else "",
                    suggestion=model.suggestion if model else "",
                    explanation=(f"semantic signal only (no rule fired): nearest violating exemplar "
                                 f"「{flag.exemplar}」, score {flag.score:.3f}, threshold {flag.threshold:.3f}"),
                )
        return list(found.values())

    def _category_model(self, category: str) -> Rule | None:
        """The first agent rule of ``category``: its reference and suggestion serve its semantic flags."""
        return next((r for r in self.rules if r.category == category and r.covers("agent")), None)

    def pins(self, text: str) -> list[tuple[Rule, Violation]]:
        """Customer rules with a ``pin`` that fire on ``text``: first hit of each rule,
        highest priority first (then earliest in the text)."""
        first: dict[str, tuple[Rule, Violation]] = {}
        for rule, violation in self.hits(text, audience="customer"):
            if rule.pin is not None and rule.id not in first:
                first[rule.id] = (rule, violation)
        return sorted(first.values(), key=lambda h: (-h[0].priority, h[1].span, h[0].id))

    def rule(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def lexicon(self, name: str) -> Lexicon | None:
        return self._lexicons.get(name)

    def explain(self, rule_id: str, text: str) -> list[Explained]:
        """Each hit of one rule in ``text``, and what cancelled it if anything did."""
        rule = self.rule(rule_id)
        if rule is None:
            return []
        ctx = _Context.of(text)
        out = []
        for hit, cancelled in self._hits(ctx, rule.applies_to if rule.applies_to != "both" else "agent",
                                         only=rule):
            pieces = tuple((name, ctx.norm[s:e]) for name, (s, e) in hit.pieces)
            out.append(Explained(rule.id, ctx.norm[hit.start:hit.end], pieces, cancelled))
        return out

    def _violation(self, ctx: _Context, hit: Hit) -> Violation:
        span = ctx.original_span(hit.start, hit.end)
        rule = hit.rule
        return Violation(
            rule_id=rule.id,
            category=rule.category,
            severity=rule.severity,
            span=span,
            matched_text=ctx.original[span[0] : span[1]],
            reference=rule.reference,
            suggestion=rule.suggestion,
            explanation=rule.explanation,
        )

    def _hits(self, ctx: _Context, audience: Audience, *, only: Rule | None = None
              ) -> Iterator[tuple[Hit, str | None]]:
        rules = (only,) if only is not None else self._for_audience(audience)
        if not rules:
            return
        phrase_hits = self._index.find(ctx.norm)
        for sentence in ctx.sentences:
            bounds = (sentence.start, sentence.end)
            sentence_scopes: list[ScopeSpan] | None = None
            for rule in rules:
                for hit in itertools.islice(_rule_hits(rule, ctx, sentence, phrase_hits), MAX_HITS_PER_SENTENCE):
                    if rule.respects and sentence_scopes is None:
                        sentence_scopes = scopes(ctx.norm, bounds, phrase_hits)
                    yield hit, _cancelled(hit, ctx, sentence, phrase_hits, sentence_scopes or [])

    def _for_audience(self, audience: Audience) -> tuple[Rule, ...]:
        cache = self._audience_cache
        if audience not in cache:
            cache[audience] = tuple(rule for rule in self.rules if rule.covers(audience))
        return cache[audience]

    @cached_property
    def _audience_cache(self) -> dict[str, tuple[Rule, ...]]:
        return {}

    @cached_property
    def _by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    @cached_property
    def _lexicons(self) -> dict[str, Lexicon]:
        return {lexicon.name: lexicon for lexicon in self.lexicons}

    @cached_property
    def _index(self) -> PhraseIndex:
        return PhraseIndex(self._lexicons)

    # ----- snapshot -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Everything the pack holds, as JSON (``validated.json``)."""
        return {
            "rules": [r.to_json() for r in self.rules],
            "content_hash": self.content_hash,
            "lexicons": [[x.name, [[lang, list(p)] for lang, p in x.by_language], x.source, x.line]
                         for x in self.lexicons],
            "switched_off": [list(s) for s in self.switched_off],
            "exemplars": [[e.text, e.category, e.violating, e.language, e.source] for e in self.exemplars],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RulePack:
        return cls(
            rules=tuple(Rule.from_json(r) for r in data["rules"]),
            content_hash=data["content_hash"],
            lexicons=tuple(
                Lexicon(name, tuple((lang, tuple(p)) for lang, p in by_language), source, line)
                for name, by_language, source, line in data["lexicons"]
            ),
            switched_off=tuple((rule_id, reason) for rule_id, reason in data["switched_off"]),
            exemplars=tuple(Exemplar(*e) for e in data["exemplars"]),
        )


def _rule_hits(rule: Rule, ctx: _Context, sentence: _Sentence,
               phrase_hits: Mapping[str, list[Span]]) -> Iterator[Hit]:
    first, last = sentence.start, sentence.end
    for trigger in rule.triggers:
        if trigger.kind == "regex":
            for match in trigger.regex.finditer(sentence.text):
                text = match.group()
                start = first + match.start() + (len(text) - len(text.lstrip()))
                end = first + match.end() - (len(text) - len(text.rstrip()))
                if start < end:
                    yield Hit(rule, start, end, trigger)
            continue
        per_item = [
            [(name, h) for h in phrase_hits.get(name, ()) if first <= h[0] and h[1] <= last]
            for name in trigger.items
        ]
        if trigger.kind == "any":
            for name, span in sorted((p for item in per_item for p in item), key=lambda p: p[1]):
                yield Hit(rule, span[0], span[1], trigger, ((name, span),))
            continue
        if any(not item for item in per_item):
            continue
        yield from _all_hits(rule, trigger, ctx, sentence, per_item)


def _all_hits(rule: Rule, trigger: Trigger, ctx: _Context, sentence: _Sentence,
              per_item: list[list[tuple[str, Span]]]) -> Iterator[Hit]:
    """For each hit of the first lexicon, the nearest hit of every other one, if the group
    stays within the trigger's reach."""
    for anchor in per_item[0]:
        if trigger.within is None and trigger.reach == "clause":
            left, right = _clause_bounds(ctx.norm, anchor[1][0], anchor[1][1], sentence.start, sentence.end)
            reachable = [[p for p in others if left <= p[1][0] and p[1][1] <= right] for others in per_item[1:]]
        else:
            reachable = per_item[1:]
        if any(not others for others in reachable):
            continue
        group = [anchor]
        for others in reachable:
            group.append(min(others, key=lambda p: abs(p[1][0] - anchor[1][0])))
        start = min(p[1][0] for p in group)
        end = max(p[1][1] for p in group)
        if trigger.within is not None:
            if end - start > trigger.within:
                continue
        elif trigger.reach == "clause":
            clause = _clause_bounds(ctx.norm, start, start + 1, sentence.start, sentence.end)
            if not all(clause[0] <= p[1][0] and p[1][1] <= clause[1] for p in group):
                continue
        yield Hit(rule, start, end, trigger, tuple(group))


def _cancelled(hit: Hit, ctx: _Context, sentence: _Sentence,
               phrase_hits: Mapping[str, list[Span]], found: list[ScopeSpan]) -> str | None:
    """What cancels ``hit``: a scope, an ``unless`` lexicon or an older-format exception."""
    rule = hit.rule
    pieces = [span for _, span in hit.pieces] or [(hit.start, hit.end)]
    if rule.respects:
        for scope in sorted(found, key=lambda sc: sc.trigger[0] - sc.trigger[1]):  # longest trigger first
            if scope.kind not in rule.respects or any(_overlap(scope.trigger, p) for p in pieces):
                continue  # a trigger inside the hit (不会 of 不会亏) is part of what it says
            if any(scope.governs(p) for p in pieces):
                s, e = scope.trigger
                return f"{scope.kind} scope of 「{ctx.norm[s:e]}」"
    for s, e in phrase_hits.get("scope.pseudo", ()):
        if any(_overlap((s, e), p) and not (p[0] <= s and e <= p[1]) for p in pieces):
            # 不能调 straddling 能不能调, 没办法 inside 没办法保证: part of a phrase that is no trigger
            return f"part of 「{ctx.norm[s:e]}」"
    for name in rule.unless:
        for s, e in phrase_hits.get(name, ()):
            # An unless phrase overlapping the hit is part of it ("i can" in "nothing i can do",
            # 帮您 in 没办法帮您) unless it holds the whole hit (没办法 in 没办法保证).
            if not any(_overlap((s, e), p) and not (s <= p[0] and p[1] <= e) for p in pieces):
                return f"unless {name} 「{ctx.norm[s:e]}」"
    for exception in rule.exceptions:
        if exception.regex.search(_exception_piece(exception.scope, ctx, sentence, hit)):
            return f"exception {exception.source!r}"
    return None


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _exception_piece(scope: Scope, ctx: _Context, sentence: _Sentence, hit: Hit) -> str:
    """The text an older-format exception looks at; ``after`` and ``sentence`` keep the
    sentence's terminator, so an exception can tell a question from a statement."""
    start, end = hit.start - sentence.start, hit.end - sentence.start
    text = sentence.text
    if scope == "before":
        return text[:start]
    if scope == "after":
        return text[end:] + sentence.terminator
    if scope == "match":
        return text[start:end]
    if scope == "clause":
        left, right = _clause_bounds(ctx.norm, hit.start, hit.end, sentence.start, sentence.end)
        return ctx.norm[left:right]
    if scope == "sentence":
        return text + sentence.terminator
    return ctx.norm


# ----- explaining ---------------------------------------------------------------------


def explain_rule(pack: RulePack, rule_id: str, text: str | None = None) -> dict[str, Any]:
    """A rule in readable form (``assist rules explain``): what it fires on, the phrases of its
    lexicons per language, the scopes and ``unless`` lexicons that cancel it, its examples; with
    ``text``, each hit in it and what cancelled it."""
    rule = pack.rule(rule_id)
    if rule is None:
        raise KeyError(rule_id)
    lexicons: dict[str, dict[str, list[str]]] = {}
    for name in rule.lexicon_names:
        lexicon = pack.lexicon(name)
        if lexicon is not None:
            lexicons[name] = {language: list(words) for language, words in lexicon.by_language}
    data: dict[str, Any] = {
        "id": rule.id, "category": rule.category, "severity": rule.severity, "applies_to": rule.applies_to,
        "source": f"{rule.source}:{rule.line}", "explanation": rule.explanation,
        "reference": rule.reference, "suggestion": rule.suggestion,
        "triggers": [t.describe() for t in rule.triggers], "lexicons": lexicons,
        "respects": list(rule.respects), "unless": list(rule.unless),
        "exceptions": [f"{e.scope}: {e.source}" for e in rule.exceptions],
        "flags": list(rule.flags), "passes": list(rule.passes),
    }
    if text is not None:
        data["hits"] = [
            {"matched": e.matched, "pieces": [list(p) for p in e.pieces], "cancelled_by": e.cancelled_by}
            for e in pack.explain(rule_id, text)
        ]
    return data


# ----- examples -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExampleFailure:
    """A rule's own ``flags:`` example it does not flag, or ``passes:`` example it flags."""

    rule_id: str
    source: str
    line: int | None
    kind: Literal["flags", "passes"]
    text: str
    detail: str


def example_failures(pack: RulePack) -> list[ExampleFailure]:
    """Run every rule's ``flags:`` and ``passes:`` examples against that rule, in the pack."""
    failures: list[ExampleFailure] = []
    for rule in pack.rules:
        for text in rule.flags:
            explained = pack.explain(rule.id, text)
            if not any(e.cancelled_by is None for e in explained):
                why = "; ".join(f"「{e.matched}」 cancelled by {e.cancelled_by}" for e in explained)
                failures.append(ExampleFailure(rule.id, rule.source, rule.line, "flags", text,
                                               why or "no trigger matched"))
        for text in rule.passes:
            fired = [e for e in pack.explain(rule.id, text) if e.cancelled_by is None]
            if fired:
                failures.append(ExampleFailure(rule.id, rule.source, rule.line, "passes", text,
                                               f"fired on 「{fired[0].matched}」"))
    return failures


# ----- loading and validation ---------------------------------------------------------


def rule_files(library_root: Path) -> list[Path]:
    """The library's own rule files (the shipped pack's are :func:`shipped_rule_files`)."""
    folder = library_root / "rules"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def shipped_rule_files() -> list[Path]:
    return rule_files(SHIPPED_LIBRARY)


def _is_shipped(root: Path) -> bool:
    try:
        return root.resolve() == SHIPPED_LIBRARY.resolve()
    except OSError:
        return False


def rules_hash(library_root: Path | str) -> str:
    """A hash of every rule file in force for a library: the shipped pack's and its own."""
    root = Path(library_root)
    digest = hashlib.sha256(hash_files(shipped_rule_files(), SHIPPED_LIBRARY).encode())
    if not _is_shipped(root):
        digest.update(b"\0" + hash_files(rule_files(root), root).encode())
    return digest.hexdigest()


def load_rule_pack(library_root: Path | str, *, with_shipped: bool = True) -> RulePack:
    """The rules in force for the library at ``library_root``: the shipped pack plus the
    library's own ``rules/*.yaml``, less the shipped rules it switches off.

    ``with_shipped=False`` reads the library's own files only (tests, the shipped pack itself).
    Raises :class:`LibraryError` naming file, line, field and fix on the first problem.
    """
    root = Path(library_root)
    parts: list[_FileContent] = []
    if with_shipped and not _is_shipped(root):
        parts += [_read_rule_file(p, SHIPPED_LIBRARY, shipped=True) for p in shipped_rule_files()]
    parts += [_read_rule_file(p, root, shipped=_is_shipped(root)) for p in rule_files(root)]
    pack = _assemble(parts, root, with_shipped)
    failures = example_failures(pack)
    if failures:
        first = failures[0]
        wanted = "flag" if first.kind == "flags" else "pass"
        raise LibraryError(
            f"rule '{first.rule_id}': its own example 「{first.text}」 should {wanted} but does not "
            f"({first.detail})", file=first.source, line=first.line, field=first.kind,
            fix="adjust the rule's lexicons or trigger, or correct the example "
                f"(assist rules explain {first.rule_id} --text '...' shows why)",
        )
    return pack


def pack_notes(pack: RulePack) -> list[str]:
    """What ``assist validate`` says about a pack besides "ok": each shipped rule switched off
    and why, and a warning when drafts or customer words would be checked by no rule."""
    notes = [f"switched off: {rule_id} ({reason})" for rule_id, reason in pack.switched_off]
    for audience in ("agent", "customer"):
        if not any(rule.covers(audience) for rule in pack.rules):
            notes.append(f"warning: no {audience} rules are in force: "
                         f"{'drafts' if audience == 'agent' else 'customer words'} are checked by nothing")
    return notes


@dataclass
class _FileContent:
    label: str
    shipped: bool
    rules: list[tuple[dict[str, Any], yaml.Node | None]] = field(default_factory=list)
    lexicons: list[Lexicon] = field(default_factory=list)
    terms: dict[str, str] = field(default_factory=dict)
    switch_off: list[tuple[str, str, int | None]] = field(default_factory=list)
    exemplars: list[Exemplar] = field(default_factory=list)
    reader: _RuleReader | None = None


def _assemble(parts: list[_FileContent], root: Path, with_shipped: bool) -> RulePack:
    lexicons: dict[str, Lexicon] = {}
    for part in parts:
        for lexicon in part.lexicons:
            defined = lexicons.get(lexicon.name)
            if defined is not None:
                raise LibraryError(
                    f"lexicon '{lexicon.name}' is already defined in {defined.source}:{defined.line}",
                    file=lexicon.source, line=lexicon.line, field=f"lexicons.{lexicon.name}",
                    fix="give it another name, or add the phrases to the existing lexicon",
                )
            lexicons[lexicon.name] = lexicon
    rules: list[Rule] = []
    first_seen: dict[str, Rule] = {}
    for part in parts:
        assert part.reader is not None
        for entry, node in part.rules:
            rule = part.reader.rule(entry, node, lexicons)
            earlier = first_seen.get(rule.id)
            if earlier is not None:
                raise LibraryError(
                    f"duplicate rule id '{rule.id}' (first defined in {earlier.source}:{earlier.line})",
                    file=rule.source, line=rule.line, field="id", fix="give each rule a unique id",
                )
            first_seen[rule.id] = rule
            rules.append(rule)
    switched: list[tuple[str, str]] = []
    for part in parts:
        for rule_id, reason, line in part.switch_off:
            target = first_seen.get(rule_id)
            if target is None or not _shipped_label(target, parts):
                raise LibraryError(
                    f"switch_off names '{rule_id}', which is not a shipped rule",
                    file=part.label, line=line, field="switch_off",
                    fix="use the id of a shipped rule (assist rules explain ID shows one)",
                )
            switched.append((rule_id, reason))
    off = {rule_id for rule_id, _ in switched}
    used = {name for rule in rules for name in rule.lexicon_names} | set(SCOPE_LEXICONS)
    kept_lexicons = tuple(x for name, x in lexicons.items() if name in used)
    return RulePack(
        rules=tuple(r for r in rules if r.id not in off),
        content_hash=rules_hash(root) if with_shipped else hash_files(rule_files(root), root),
        lexicons=kept_lexicons,
        switched_off=tuple(switched),
        exemplars=tuple(e for part in parts for e in part.exemplars),
    )


def _shipped_label(rule: Rule, parts: list[_FileContent]) -> bool:
    return any(p.shipped and p.label == rule.source for p in parts)


def _read_rule_file(path: Path, root: Path, *, shipped: bool) -> _FileContent:
    data, node = read_yaml(path, root)
    reader = _RuleReader(display_path(path, root))
    content = _FileContent(reader.label, shipped, reader=reader)
    if data is None:
        return content
    if not isinstance(data, dict):
        raise reader.error("expected a mapping with 'rules:', 'lexicons:' or 'exemplars:'", node, None,
                           "start the file with 'rules:' followed by '- id: ...' entries")
    extra = sorted(str(k) for k in data if k not in TOP_LEVEL_KEYS)
    if extra:
        raise reader.error("unknown top-level key", mapping_child(node, extra[0]) or node, extra[0],
                           f"only {', '.join(TOP_LEVEL_KEYS)} may appear at the top")
    reader.read_terms(data.get("terms"), mapping_child(node, "terms"))
    content.lexicons += reader.lexicons(data.get("lexicons"), mapping_child(node, "lexicons"), "")
    content.lexicons += reader.lexicons(data.get("scope"), mapping_child(node, "scope"), "scope.")
    content.switch_off = reader.switch_off(data.get("switch_off"), mapping_child(node, "switch_off"))
    content.exemplars = reader.exemplars(data.get("exemplars"), mapping_child(node, "exemplars"))
    entries, entries_node = data.get("rules", []), mapping_child(node, "rules")
    if not isinstance(entries, list):
        raise reader.error("'rules' must be a list", entries_node, "rules", "write '- id: ...' entries")
    content.rules = [(entry, sequence_item(entries_node, i)) for i, entry in enumerate(entries)]
    return content


def _unnormalised_char(source: str) -> str | None:
    """A character of a regex that normalised text can never contain, if any.

    Patterns run on simplified, half-width, case-folded text, so 「驗」, 「，」 or
    ``A`` in a pattern silently never match. Escapes (``\\S``, ``\\D``) are skipped.
    """
    plain = re.sub(r"\\.", "", source)
    simplified = to_simplified(plain)
    for index, ch in enumerate(plain):
        if ch.isspace():
            continue
        folded = unicodedata.normalize("NFKC", ch).casefold()
        traditional = len(simplified) == len(plain) and simplified[index] != ch
        if folded != ch or traditional:
            return ch
    return None


class _RuleReader:
    """Validates the entries of one rule file."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.terms: dict[str, str] = {}

    def error(self, message: str, node: yaml.Node | None, field: str | None, fix: str) -> LibraryError:
        return LibraryError(message, file=self.label, line=line_of(node), field=field, fix=fix)

    # ----- file-level sections --------------------------------------------------------

    def read_terms(self, terms: Any, node: yaml.Node | None) -> None:
        """Older format: named regex fragments, usable by later terms and patterns as ``{{name}}``."""
        if terms is None:
            return
        if not isinstance(terms, dict):
            raise self.error("'terms' must be a mapping of name: regex", node, "terms",
                             "write 'terms:' then 'name: regex' lines")
        for name, value in terms.items():
            where = mapping_child(node, str(name)) or node
            if not isinstance(name, str) or not TERM_NAME.match(name):
                raise self.error(f"'{name}' is not a valid term name", where, "terms",
                                 "use lower-case letters, digits and underscores")
            if not isinstance(value, str) or not value.strip():
                raise self.error("must be a non-empty regex", where, f"terms.{name}",
                                 "quote the regex in single quotes")
            expanded = self.expand(value, where, f"terms.{name}")
            self.compile(expanded, where, f"terms.{name}", allow_empty=True)
            self.terms[name] = f"(?:{expanded})"

    def expand(self, source: str, node: yaml.Node | None, field: str) -> str:
        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in self.terms:
                known = ", ".join(sorted(self.terms)) or "none"
                raise self.error(f"unknown term '{{{{{name}}}}}' (defined above it: {known})",
                                 node, field, "define it under 'terms:' before using it")
            return self.terms[name]

        return _TERM_REF.sub(replace, source)

    def lexicons(self, section: Any, node: yaml.Node | None, prefix: str) -> list[Lexicon]:
        """``name: {zh-Hans: [...], zh-Hant: [...], yue: [...], en: [...]}`` entries."""
        if section is None:
            return []
        key = prefix.rstrip(".") or "lexicons"
        if not isinstance(section, dict):
            raise self.error(f"'{key}' must be a mapping of name: {{language: [phrases]}}", node, key,
                             "write 'name:' then 'zh-Hans: [...]' lines under it")
        found = []
        for name, by_language in section.items():
            where = mapping_child(node, str(name)) or node
            field = f"{key}.{name}"
            if not isinstance(name, str) or not LEXICON_NAME.match(prefix + name):
                raise self.error(f"'{name}' is not a valid lexicon name", where, field,
                                 "use lower-case letters, digits and underscores")
            if not isinstance(by_language, dict) or not by_language:
                raise self.error("must map languages to phrase lists", where, field,
                                 f"write e.g. 'zh-Hans: [词, 短语]' (languages: {', '.join(LANGUAGES)})")
            entries = []
            for language, phrases in by_language.items():
                spot = mapping_child(where, str(language)) or where
                if language not in LANGUAGES:
                    raise self.error(f"'{language}' is not a lexicon language", spot, field,
                                     f"use one of {', '.join(LANGUAGES)}")
                if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
                    raise self.error("must be a list of phrases", spot, f"{field}.{language}",
                                     "write [phrase, phrase, ...]; quote words YAML reads as true/false "
                                     "or numbers (\"no\", \"yes\", \"on\", \"100%\")")
                for phrase in phrases:
                    if not normalise_phrase(phrase):
                        raise self.error(f"phrase '{phrase}' is empty once normalised", spot,
                                         f"{field}.{language}", "remove it or give it a word")
                entries.append((str(language), tuple(phrases)))
            found.append(Lexicon(prefix + name, tuple(entries), self.label, line_of(where)))
        return found

    def switch_off(self, section: Any, node: yaml.Node | None) -> list[tuple[str, str, int | None]]:
        if section is None:
            return []
        if not isinstance(section, list):
            raise self.error("'switch_off' must be a list", node, "switch_off",
                             "write '- id: RULE_ID' and 'reason: ...' items")
        found = []
        for i, item in enumerate(section):
            where = sequence_item(node, i)
            if not isinstance(item, dict) or set(item) != {"id", "reason"}:
                raise self.error("each entry needs exactly 'id' and 'reason'", where, f"switch_off[{i}]",
                                 "write '- id: RULE_ID' then 'reason: why it does not apply here'")
            rule_id, reason = item["id"], item["reason"]
            if not isinstance(reason, str) or not reason.strip():
                raise self.error("a switched-off rule needs a stated reason", where, f"switch_off[{i}].reason",
                                 "say why the rule does not apply to this library")
            found.append((str(rule_id), reason.strip(), line_of(where)))
        return found

    def exemplars(self, section: Any, node: yaml.Node | None) -> list[Exemplar]:
        """``category: {violating: {language: [...]}, compliant: {language: [...]}}``."""
        if section is None:
            return []
        if not isinstance(section, dict):
            raise self.error("'exemplars' must map categories to violating/compliant lists", node,
                             "exemplars", "write 'category:' then 'violating:' and 'compliant:'")
        found = []
        for category, kinds in section.items():
            where = mapping_child(node, str(category)) or node
            if category not in AGENT_CATEGORIES:
                raise self.error(f"'{category}' is not an agent category", where, "exemplars",
                                 f"use one of {', '.join(AGENT_CATEGORIES)}")
            if not isinstance(kinds, dict) or not set(kinds) <= {"violating", "compliant"}:
                raise self.error("needs 'violating:' and/or 'compliant:'", where, f"exemplars.{category}",
                                 "write 'violating:' then 'zh-Hans: [...]' lines")
            for kind, by_language in kinds.items():
                spot = mapping_child(where, kind) or where
                if not isinstance(by_language, dict):
                    raise self.error("must map languages to sentence lists", spot,
                                     f"exemplars.{category}.{kind}", "write 'zh-Hans: [...]'")
                for language, texts in by_language.items():
                    if language not in LANGUAGES or not isinstance(texts, list) or not all(
                        isinstance(t, str) and t.strip() for t in texts
                    ):
                        raise self.error("must be a language with a list of sentences", spot,
                                         f"exemplars.{category}.{kind}.{language}",
                                         f"use one of {', '.join(LANGUAGES)} and a list of texts")
                    found += [Exemplar(t.strip(), category, kind == "violating", language, self.label)
                              for t in texts]
        return found

    # ----- rules ----------------------------------------------------------------------

    def text(self, entry: dict[str, Any], node: yaml.Node | None, key: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error("must be a non-empty text", mapping_child(node, key) or node, key,
                             f"give '{key}' a text value")
        return value.strip()

    def choice(self, entry: dict[str, Any], node: yaml.Node | None, key: str, allowed: Iterable[str]) -> str:
        value, options = entry.get(key), tuple(allowed)
        if value not in options:
            raise self.error(f"'{value}' is not one of {', '.join(options)}",
                             mapping_child(node, key) or node, key, "use one of the listed values")
        return cast(str, value)

    def rule(self, entry: Any, node: yaml.Node | None, lexicons: Mapping[str, Lexicon]) -> Rule:
        if not isinstance(entry, dict):
            raise self.error("each rule must be a mapping of fields", node, None, "start it with '- id: ...'")
        self.check_keys(entry, node)
        rule_id = self.text(entry, node, "id")
        if not RULE_ID.match(rule_id):
            raise self.error(f"'{rule_id}' is not a valid rule id", mapping_child(node, "id"), "id",
                             "use lower-case letters, digits, '.', '_' and '-'")
        try:
            return self._rule(rule_id, entry, node, lexicons)
        except LibraryError as exc:
            raise LibraryError(f"rule '{rule_id}': {exc.problem}", file=exc.file, line=exc.line,
                               field=exc.field, fix=exc.fix) from None

    def _rule(self, rule_id: str, entry: dict[str, Any], node: yaml.Node | None,
              lexicons: Mapping[str, Lexicon]) -> Rule:
        applies_to = cast(AppliesTo, self.choice(entry, node, "applies_to", APPLIES_TO))
        category = self.choice(entry, node, "category", self.categories_for(applies_to))
        severity = cast(Severity, self.choice(entry, node, "severity", SEVERITIES))
        pin, priority, alert = self.pin_fields(entry, node, applies_to)
        if "when" in entry:
            triggers = self.when(entry["when"], mapping_child(node, "when") or node, lexicons)
        else:
            triggers = self.patterns(entry, node)
        default_respects = AGENT_RESPECTS if applies_to == "agent" and "when" in entry else ()
        return Rule(
            id=rule_id,
            category=category,
            severity=severity,
            applies_to=applies_to,
            triggers=triggers,
            explanation=self.text(entry, node, "explanation"),
            reference=self.text(entry, node, "reference"),
            suggestion=self.text(entry, node, "suggestion"),
            exceptions=self.exceptions(entry, node),
            unless=self.names(entry, node, "unless", lexicons),
            respects=self.respects(entry, node, default_respects),
            flags=self.examples(entry, node, "flags"),
            passes=self.examples(entry, node, "passes"),
            pin=pin,
            priority=priority,
            alert=alert,
            source=self.label,
            line=line_of(node),
        )

    def check_keys(self, entry: dict[str, Any], node: yaml.Node | None) -> None:
        allowed = COMMON_FIELDS + OPTIONAL_FIELDS + ("when", "patterns")
        unknown = sorted(str(k) for k in entry if k not in allowed)
        if unknown:
            key = unknown[0]
            raise self.error(f"unknown field (allowed: {', '.join(allowed)})",
                             mapping_child(node, key) or node, key, "check its spelling or remove it")
        for key in COMMON_FIELDS:
            if key not in entry:
                raise self.error("is missing", node, key, f"add '{key}:' to this rule")
        if ("when" in entry) == ("patterns" in entry):
            raise self.error("needs exactly one of 'when' or 'patterns'", node, "when",
                             "write 'when: {any: [lexicon, ...]}' (see docs/compliance.md)")

    @staticmethod
    def categories_for(applies_to: AppliesTo) -> tuple[str, ...]:
        if applies_to == "agent":
            return AGENT_CATEGORIES
        if applies_to == "customer":
            return CUSTOMER_CATEGORIES
        return AGENT_CATEGORIES + tuple(c for c in CUSTOMER_CATEGORIES if c not in AGENT_CATEGORIES)

    def pin_fields(self, entry: dict[str, Any], node: yaml.Node | None,
                   applies_to: AppliesTo) -> tuple[str | None, int, str | None]:
        if "pin" not in entry:
            for key in ("priority", "alert"):
                if key in entry:
                    raise self.error("only allowed together with 'pin'", mapping_child(node, key),
                                     key, "add 'pin: <scenario id>' or remove it")
            return None, 0, None
        pin_node = mapping_child(node, "pin")
        if applies_to == "agent":
            raise self.error("pins apply to customer rules only", pin_node, "pin",
                             "set 'applies_to: customer' or remove 'pin'")
        pin = entry["pin"]
        if not isinstance(pin, str) or not PIN_ID.match(pin):
            raise self.error(f"'{pin}' is not a scenario id", pin_node, "pin",
                             "use a scenario id such as fraud_in_progress")
        priority = entry.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise self.error("must be a whole number", mapping_child(node, "priority"), "priority",
                             "use e.g. 100 for fraud, 50 for compliance, 20 for complaints")
        alert = self.text(entry, node, "alert") if "alert" in entry else None
        return pin, priority, alert

    def when(self, value: Any, node: yaml.Node | None, lexicons: Mapping[str, Lexicon]) -> tuple[Trigger, ...]:
        """``when:`` is one trigger mapping or a list of them (any of which fires the rule)."""
        items = value if isinstance(value, list) else [value]
        if not items:
            raise self.error("needs at least one trigger", node, "when", "write '{any: [lexicon]}'")
        triggers = []
        for i, item in enumerate(items):
            where = sequence_item(node, i) if isinstance(value, list) else node
            field = f"when[{i}]" if isinstance(value, list) else "when"
            triggers.append(self.trigger(item, where, field, lexicons))
        return tuple(triggers)

    def trigger(self, item: Any, node: yaml.Node | None, field: str,
                lexicons: Mapping[str, Lexicon]) -> Trigger:
        allowed = {"any", "all", "regex", "within", "in"}
        if not isinstance(item, dict) or not item or not set(item) <= allowed:
            raise self.error("a trigger is a mapping with one of any, all, regex (and within or in)",
                             node, field, "write e.g. {all: [otp, hand_over], within: 12}")
        kinds = [k for k in ("any", "all", "regex") if k in item]
        if len(kinds) != 1:
            raise self.error("needs exactly one of 'any', 'all' or 'regex'", node, field,
                             "split it into two triggers under 'when:'")
        kind = kinds[0]
        where = mapping_child(node, kind) or node
        if kind == "regex":
            if set(item) != {"regex"}:
                raise self.error("'within' and 'in' apply to any/all only", node, field, "remove them")
            source = self.regex_source(item["regex"], where, f"{field}.regex")
            return Trigger("regex", (source,))
        names = item[kind]
        if not isinstance(names, list) or not names:
            raise self.error(f"'{kind}' must be a list of lexicon names", where, f"{field}.{kind}",
                             f"write {kind}: [lexicon, ...]")
        for name in names:
            if name not in lexicons:
                raise self.error(f"unknown lexicon '{name}'", where, f"{field}.{kind}",
                                 "define it under 'lexicons:' (shipped ones: assist rules explain)")
        within = item.get("within")
        if within is not None and (isinstance(within, bool) or not isinstance(within, int) or within < 1):
            raise self.error("must be a positive whole number of characters", mapping_child(node, "within"),
                             f"{field}.within", "write e.g. within: 12")
        reach = item.get("in", "clause")
        if reach not in ("clause", "sentence"):
            raise self.error(f"'{reach}' is not clause or sentence", mapping_child(node, "in"),
                             f"{field}.in", "write in: clause or in: sentence")
        return Trigger(cast(Literal["any", "all"], kind), tuple(names), within, cast(Reach, reach))

    def names(self, entry: dict[str, Any], node: yaml.Node | None, key: str,
              lexicons: Mapping[str, Lexicon]) -> tuple[str, ...]:
        value = entry.get(key) or []
        where = mapping_child(node, key) or node
        if not isinstance(value, list) or any(name not in lexicons for name in value):
            raise self.error("must be a list of defined lexicon names", where, key,
                             "define each under 'lexicons:' first")
        return tuple(value)

    def respects(self, entry: dict[str, Any], node: yaml.Node | None,
                 default: tuple[str, ...]) -> tuple[str, ...]:
        if "respects" not in entry:
            return default
        value = entry["respects"] or []
        if not isinstance(value, list) or any(kind not in SCOPE_KINDS for kind in value):
            raise self.error(f"must be a list of scope kinds ({', '.join(SCOPE_KINDS)})",
                             mapping_child(node, "respects") or node, "respects",
                             "list the scopes that cancel this rule, or [] for none")
        return tuple(value)

    def examples(self, entry: dict[str, Any], node: yaml.Node | None, key: str) -> tuple[str, ...]:
        value = entry.get(key) or []
        if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
            raise self.error("must be a list of example texts", mapping_child(node, key) or node, key,
                             f"write '{key}: [\"...\", \"...\"]'")
        return tuple(t.strip() for t in value)

    # ----- older format: regex patterns -------------------------------------------------

    def patterns(self, entry: dict[str, Any], node: yaml.Node | None) -> tuple[Trigger, ...]:
        items, list_node = entry["patterns"], mapping_child(node, "patterns")
        if not isinstance(items, list) or not items:
            raise self.error("needs at least one pattern", list_node or node, "patterns",
                             "write '- regex: ...' or '- literal: ...' items")
        return tuple(
            Trigger("regex", (self.pattern(item, sequence_item(list_node, i), f"patterns[{i}]",
                                           exception=False)[0],))
            for i, item in enumerate(items)
        )

    def exceptions(self, entry: dict[str, Any], node: yaml.Node | None) -> tuple[RuleException, ...]:
        items, list_node = entry.get("exceptions") or [], mapping_child(node, "exceptions")
        if not isinstance(items, list):
            raise self.error("must be a list", list_node, "exceptions", "write '- regex: ...' items")
        found: list[RuleException] = []
        for i, item in enumerate(items):
            source, scope = self.pattern(item, sequence_item(list_node, i), f"exceptions[{i}]", exception=True)
            found.append(RuleException(source, scope))
        return tuple(found)

    def pattern(self, item: Any, node: yaml.Node | None, field: str, *, exception: bool) -> tuple[str, Scope]:
        """Validate one ``{regex: ...}`` / ``{literal: ...}`` item and return its regex source;
        exceptions may add ``scope`` and may match empty text, triggers may not."""
        allowed = ("regex", "literal", "scope") if exception else ("regex", "literal")
        if not isinstance(item, dict):
            raise self.error("must be a mapping such as {regex: '...'}", node, field,
                             "write '- regex: ...' or '- literal: ...'")
        unknown = sorted(str(k) for k in item if k not in allowed)
        if unknown:
            raise self.error(f"unknown key '{unknown[0]}' (allowed: {', '.join(allowed)})",
                             mapping_child(node, unknown[0]) or node, field, "check its spelling")
        kinds = [k for k in ("regex", "literal") if k in item]
        if len(kinds) != 1:
            raise self.error("needs exactly one of 'regex' or 'literal'", node, field,
                             "give either a regex or a literal text")
        kind = kinds[0]
        where, value = mapping_child(node, kind) or node, item[kind]
        scope = item.get("scope", "before")
        if scope not in SCOPES:
            raise self.error(f"scope '{scope}' is not one of {', '.join(SCOPES)}",
                             mapping_child(node, "scope"), f"{field}.scope", "use one of the listed scopes")
        if kind == "literal":
            if not isinstance(value, str) or not value.strip():
                raise self.error("'literal' must be a non-empty text", where, f"{field}.literal",
                                 "quote the text in single quotes")
            source = re.escape(normalise(value))
            self.compile(source, where, f"{field}.literal", allow_empty=exception)
            return source, cast(Scope, scope)
        return self.regex_source(value, where, f"{field}.regex", allow_empty=exception), cast(Scope, scope)

    def regex_source(self, value: Any, node: yaml.Node | None, field: str, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error("'regex' must be a non-empty text", node, field, "quote the regex in single quotes")
        source = self.expand(value, node, field)
        self.compile(source, node, field, allow_empty=allow_empty)
        return source

    def compile(self, source: str, node: yaml.Node | None, field: str, *, allow_empty: bool = False) -> Any:
        """Compile with RE2, the only engine rule regexes run on: what it cannot compile is refused."""
        try:
            compiled = compile_linear(source)
        except re2.error as exc:
            raise self.error(
                f"regex is not accepted by the linear-time engine (RE2): {exc}", node, field,
                "remove look-arounds ((?=, (?!, (?<=, (?<!) and back-references, or use a lexicon "
                "trigger (docs/compliance.md); rules never run on a backtracking engine",
            ) from None
        if not allow_empty and compiled.search("") is not None:
            raise self.error("regex matches the empty string", node, field, "make at least one part of it required")
        stray = _unnormalised_char(source)
        if stray is not None:
            raise self.error(
                f"regex contains '{stray}', which normalised text never holds", node, field,
                "write patterns in simplified Chinese, lower case and half-width punctuation "
                "(',' not '，', '?' not '？')",
            )
        return compiled
