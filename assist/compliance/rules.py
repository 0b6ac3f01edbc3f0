"""Compliance rule packs: loading, validation and deterministic matching.

A rule pack is every ``rules/*.yaml`` file of a library (format in
docs/library-format.md, "Rule packs"). Each rule names a category, a severity,
the audience it applies to (the agent's drafts, the customer's words, or both),
regular expressions that trigger it and exceptions that cancel a trigger.

Matching is plain ``re`` on normalised text (simplified, half-width,
case-folded), sentence by sentence, so a pattern never runs across a sentence
end and every hit can be explained by the pattern and the sentence it matched.
Exceptions look at a chosen piece of context around a hit (by default the text
of the same sentence before it, which is where Chinese and English put a
negation: 「请勿向任何人透露验证码」, "we will never ask for your PIN").
Reported spans index the caller's original text, not the normalised copy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml

from assist.compliance.required_text import Literals, PatternGate, required_literals
from assist.errors import LibraryError
from assist.library.loader import (
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

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
APPLIES_TO: tuple[AppliesTo, ...] = get_args(AppliesTo)
SCOPES: tuple[Scope, ...] = get_args(Scope)

RULE_ID = re.compile(r"^[a-z0-9_.-]{1,128}$")
PIN_ID = re.compile(r"^[a-z0-9_]{1,64}$")
REQUIRED_FIELDS = (
    "id", "category", "severity", "applies_to", "patterns",
    "explanation", "reference", "suggestion",
)
OPTIONAL_FIELDS = ("exceptions", "pin", "priority", "alert")
TOP_LEVEL_KEYS = ("rules", "terms", "anchors")
"""``terms:`` names regex fragments that later terms and the file's patterns use as
``{{name}}``; ``anchors:`` is ignored by the loader, a place to define YAML anchors
(``&neg``) that rules reuse as aliases (``*neg``)."""
TERM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TERM_REF = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")

_SENTENCE_END = re.compile(r"[。!?;]|\.(?=\s|$)")
_CLAUSE_END = re.compile(r"[,、:。!?;]|\.(?=\s|$)")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
_SEVERITY_RANK = {"block": 0, "warn": 1}


@dataclass(frozen=True)
class RuleException:
    """A do-not-trigger pattern and the context it is searched in.

    Scopes (all within normalised text): ``before`` the sentence up to the hit
    (``$`` anchors where the hit begins), ``after`` the sentence after the hit
    (``^`` anchors where it ends), ``match`` the hit itself, ``clause`` the
    comma-delimited clause(s) holding the hit, ``sentence`` the whole sentence,
    ``text`` the whole checked text.
    """

    source: str
    scope: Scope = "before"

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.source)


@dataclass(frozen=True)
class Rule:
    """One validated rule. Its patterns are compiled on first use: a lookup runs only
    the customer rules, and compiling every rule would cost a one-shot CLI ~0.2 s."""

    id: str
    category: str
    severity: Severity
    applies_to: AppliesTo
    pattern_sources: tuple[str, ...]
    explanation: str
    reference: str
    suggestion: str
    exceptions: tuple[RuleException, ...] = ()
    pin: str | None = None
    priority: int = 0
    alert: str | None = None
    source: str = ""
    line: int | None = None

    @cached_property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(source) for source in self.pattern_sources)

    @cached_property
    def pattern_literals(self) -> tuple[Literals | None, ...]:
        """For each pattern, words one of which a sentence must hold for it to match
        (:mod:`assist.compliance.required_text`), or None."""
        return tuple(required_literals(source) for source in self.pattern_sources)

    def covers(self, audience: Audience) -> bool:
        return self.applies_to in (audience, "both")


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
        return cls(text, norm, tuple(offsets), tuple(_sentences(norm)))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.offsets[start], self.offsets[end - 1] + 1


def _sentences(text: str) -> Iterator[_Sentence]:
    """Non-empty sentences of ``text``; the terminator is kept aside, not in ``text``."""
    start = 0
    for found in _SENTENCE_END.finditer(text):
        if text[start : found.start()].strip():
            yield _Sentence(start, found.start(), text[start : found.start()], found.group())
        start = found.end()
    if text[start:].strip():
        yield _Sentence(start, len(text), text[start:], "")


def _clause(sentence: str, start: int, end: int) -> str:
    """The comma-delimited clause(s) of ``sentence`` that hold ``[start, end)``."""
    left = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSE_END.finditer(sentence, end)), len(sentence))
    return sentence[left:right]


def _excepted(rule: Rule, ctx: _Context, sentence: _Sentence, match: re.Match[str]) -> bool:
    """Whether an exception of ``rule`` cancels ``match``.

    ``after`` and ``sentence`` keep the sentence's terminator, so an exception
    can tell a question (``\\?$``) from a statement.
    """
    text = sentence.text
    for exception in rule.exceptions:
        scope = exception.scope
        if scope == "before":
            piece = text[: match.start()]
        elif scope == "after":
            piece = text[match.end() :] + sentence.terminator
        elif scope == "match":
            piece = match.group()
        elif scope == "clause":
            piece = _clause(text, match.start(), match.end())
        elif scope == "sentence":
            piece = text + sentence.terminator
        else:
            piece = ctx.norm
        if exception.regex.search(piece):
            return True
    return False


def _trimmed(match: re.Match[str]) -> tuple[int, int]:
    text = match.group()
    start = match.start() + (len(text) - len(text.lstrip()))
    end = match.end() - (len(text) - len(text.rstrip()))
    return start, end


def _rule_hits(
    rule: Rule, ctx: _Context, sentence: _Sentence, patterns: Iterable[re.Pattern[str]]
) -> Iterator[Violation]:
    """Hits of ``patterns`` (some or all of ``rule``'s) in ``sentence``, exceptions applied."""
    for pattern in patterns:
        for match in pattern.finditer(sentence.text):
            start, end = _trimmed(match)
            if start >= end or _excepted(rule, ctx, sentence, match):
                continue
            span = ctx.original_span(sentence.start + start, sentence.start + end)
            yield Violation(
                rule_id=rule.id,
                category=rule.category,
                severity=rule.severity,
                span=span,
                matched_text=ctx.original[span[0] : span[1]],
                reference=rule.reference,
                suggestion=rule.suggestion,
                explanation=rule.explanation,
            )


def _dedupe(hits: list[tuple[Rule, Violation]]) -> list[tuple[Rule, Violation]]:
    """Keep one hit per overlapping run of the same category (block, then longest, first)."""
    ranked = sorted(
        hits,
        key=lambda h: (
            h[1].span[0], _SEVERITY_RANK[h[1].severity], h[1].span[0] - h[1].span[1], h[0].id,
        ),
    )
    kept: list[tuple[Rule, Violation]] = []
    for rule, violation in ranked:
        start, end = violation.span
        clash = any(
            v.category == violation.category and start < v.span[1] and v.span[0] < end
            for _, v in kept
        )
        if not clash:
            kept.append((rule, violation))
    return sorted(kept, key=lambda h: (h[1].span, h[0].id))


@dataclass(frozen=True)
class RulePack:
    """The rules of a library and a hash of the files they came from."""

    rules: tuple[Rule, ...] = ()
    content_hash: str = ""

    def hits(self, text: str, *, audience: Audience = "agent") -> list[tuple[Rule, Violation]]:
        """Every rule hit in ``text`` (no de-duplication), in text order."""
        ctx = _Context.of(text)
        rules, gate = self._for_audience(audience)
        found: list[tuple[Rule, Violation]] = []
        for sentence in ctx.sentences:
            candidates = gate.candidates(sentence.text)
            first = 0
            for rule in rules:
                patterns = [p for j, p in enumerate(rule.patterns) if first + j in candidates]
                first += len(rule.patterns)
                if patterns:
                    found.extend((rule, v) for v in _rule_hits(rule, ctx, sentence, patterns))
        return sorted(found, key=lambda h: (h[1].span, h[0].id))

    def check(self, text: str, *, audience: Audience = "agent") -> list[Violation]:
        """Violations in ``text`` for ``audience``, one per overlapping run of a category,
        sorted by span."""
        return [v for _, v in _dedupe(self.hits(text, audience=audience))]

    def pins(self, text: str) -> list[tuple[Rule, Violation]]:
        """Customer rules with a ``pin`` that fire on ``text``: first hit of each rule,
        highest priority first (then earliest in the text)."""
        first: dict[str, tuple[Rule, Violation]] = {}
        for rule, violation in self.hits(text, audience="customer"):
            if rule.pin is not None and rule.id not in first:
                first[rule.id] = (rule, violation)
        return sorted(first.values(), key=lambda h: (-h[0].priority, h[1].span, h[0].id))

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def _for_audience(self, audience: Audience) -> tuple[tuple[Rule, ...], PatternGate]:
        """The audience's rules and the gate over their patterns, in order, built on first use.

        Most sentences can match few of the patterns or none: the gate tells which
        from the words each pattern requires (:mod:`assist.compliance.required_text`), and only
        those are searched."""
        if audience not in self._by_audience:
            rules = tuple(rule for rule in self.rules if rule.covers(audience))
            gate = PatternGate([literals for rule in rules for literals in rule.pattern_literals])
            self._by_audience[audience] = (rules, gate)
        return self._by_audience[audience]

    @cached_property
    def _by_audience(self) -> dict[str, tuple[tuple[Rule, ...], PatternGate]]:
        return {}


# ----- loading and validation ---------------------------------------------------------


def rule_files(library_root: Path) -> list[Path]:
    folder = library_root / "rules"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def load_rule_pack(library_root: Path | str) -> RulePack:
    """Read and validate ``library_root/rules/*.yaml``; no rules folder gives an empty pack.

    Raises :class:`LibraryError` naming file, line, field and fix on the first problem.
    """
    root = Path(library_root)
    files = rule_files(root)
    rules: list[Rule] = []
    first_seen: dict[str, Rule] = {}
    for path in files:
        for rule in _read_rule_file(path, root):
            earlier = first_seen.get(rule.id)
            if earlier is not None:
                first = f"{earlier.source}:{earlier.line}"
                raise LibraryError(
                    f"duplicate rule id '{rule.id}' (first defined in {first})",
                    file=rule.source, line=rule.line, field="id", fix="give each rule a unique id",
                )
            first_seen[rule.id] = rule
            rules.append(rule)
    return RulePack(rules=tuple(rules), content_hash=hash_files(files, root))


def _read_rule_file(path: Path, root: Path) -> list[Rule]:
    data, node = read_yaml(path, root)
    reader = _RuleReader(display_path(path, root))
    if data is None:
        return []
    if not isinstance(data, dict) or "rules" not in data:
        raise reader.error("expected a top-level 'rules:' list", node, None,
                           "start the file with 'rules:' followed by '- id: ...' entries")
    extra = sorted(str(k) for k in data if k not in TOP_LEVEL_KEYS)
    if extra:
        raise reader.error("unknown top-level key", mapping_child(node, extra[0]) or node, extra[0],
                           "only 'rules:', 'terms:' and 'anchors:' may appear at the top")
    reader.read_terms(data.get("terms"), mapping_child(node, "terms"))
    entries, entries_node = data["rules"], mapping_child(node, "rules")
    if not isinstance(entries, list):
        raise reader.error("'rules' must be a list", entries_node, "rules",
                           "write '- id: ...' entries")
    return [reader.rule(entry, sequence_item(entries_node, i)) for i, entry in enumerate(entries)]


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
    """Validates the rule entries of one file."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.terms: dict[str, str] = {}

    def read_terms(self, terms: Any, node: yaml.Node | None) -> None:
        """Named regex fragments, each usable by later terms and by patterns as ``{{name}}``."""
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

    def error(
        self, message: str, node: yaml.Node | None, field: str | None, fix: str
    ) -> LibraryError:
        return LibraryError(message, file=self.label, line=line_of(node), field=field, fix=fix)

    def text(self, entry: dict[str, Any], node: yaml.Node | None, key: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error("must be a non-empty text", mapping_child(node, key) or node, key,
                             f"give '{key}' a text value")
        return value.strip()

    def choice(self, entry: dict[str, Any], node: yaml.Node | None, key: str,
               allowed: Iterable[str]) -> str:
        value, options = entry.get(key), tuple(allowed)
        if value not in options:
            raise self.error(f"'{value}' is not one of {', '.join(options)}",
                             mapping_child(node, key) or node, key, "use one of the listed values")
        return cast(str, value)

    def rule(self, entry: Any, node: yaml.Node | None) -> Rule:
        if not isinstance(entry, dict):
            raise self.error("each rule must be a mapping of fields", node, None,
                             "start it with '- id: ...'")
        self.check_keys(entry, node)
        rule_id = self.text(entry, node, "id")
        if not RULE_ID.match(rule_id):
            raise self.error(f"'{rule_id}' is not a valid rule id", mapping_child(node, "id"), "id",
                             "use lower-case letters, digits, '.', '_' and '-'")
        applies_to = cast(AppliesTo, self.choice(entry, node, "applies_to", APPLIES_TO))
        category = self.choice(entry, node, "category", self.categories_for(applies_to))
        severity = cast(Severity, self.choice(entry, node, "severity", SEVERITIES))
        pin, priority, alert = self.pin_fields(entry, node, applies_to)
        return Rule(
            id=rule_id,
            category=category,
            severity=severity,
            applies_to=applies_to,
            pattern_sources=self.patterns(entry, node),
            explanation=self.text(entry, node, "explanation"),
            reference=self.text(entry, node, "reference"),
            suggestion=self.text(entry, node, "suggestion"),
            exceptions=self.exceptions(entry, node),
            pin=pin,
            priority=priority,
            alert=alert,
            source=self.label,
            line=line_of(node),
        )

    def check_keys(self, entry: dict[str, Any], node: yaml.Node | None) -> None:
        allowed = REQUIRED_FIELDS + OPTIONAL_FIELDS
        unknown = sorted(str(k) for k in entry if k not in allowed)
        if unknown:
            key = unknown[0]
            raise self.error(f"unknown field (allowed: {', '.join(allowed)})",
                             mapping_child(node, key) or node, key,
                             "check its spelling or remove it")
        for key in REQUIRED_FIELDS:
            if key not in entry:
                raise self.error("is missing", node, key, f"add '{key}:' to this rule")

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

    def patterns(self, entry: dict[str, Any], node: yaml.Node | None) -> tuple[str, ...]:
        items, list_node = entry["patterns"], mapping_child(node, "patterns")
        if not isinstance(items, list) or not items:
            raise self.error("needs at least one pattern", list_node or node, "patterns",
                             "write '- regex: ...' or '- literal: ...' items")
        return tuple(
            self.pattern(item, sequence_item(list_node, i), f"patterns[{i}]", exception=False)[0]
            for i, item in enumerate(items)
        )

    def exceptions(
        self, entry: dict[str, Any], node: yaml.Node | None
    ) -> tuple[RuleException, ...]:
        items, list_node = entry.get("exceptions") or [], mapping_child(node, "exceptions")
        if not isinstance(items, list):
            raise self.error("must be a list", list_node, "exceptions",
                             "write '- regex: ...' items")
        found: list[RuleException] = []
        for i, item in enumerate(items):
            source, scope = self.pattern(
                item, sequence_item(list_node, i), f"exceptions[{i}]", exception=True
            )
            found.append(RuleException(source, scope))
        return tuple(found)

    def pattern(
        self, item: Any, node: yaml.Node | None, field: str, *, exception: bool
    ) -> tuple[str, Scope]:
        """Validate one ``{regex: ...}`` / ``{literal: ...}`` item and return its regex source;
        exceptions may add ``scope`` and may match empty text (``^(?!.*理财)``), triggers may not."""
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
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"'{kind}' must be a non-empty text", where, f"{field}.{kind}",
                             "quote the text in single quotes")
        scope = item.get("scope", "before")
        if scope not in SCOPES:
            raise self.error(f"scope '{scope}' is not one of {', '.join(SCOPES)}",
                             mapping_child(node, "scope"), f"{field}.scope",
                             "use one of the listed scopes")
        if kind == "literal":
            source = re.escape(normalise(value))
        else:
            source = self.expand(value, where, f"{field}.{kind}")
        self.compile(source, where, f"{field}.{kind}", allow_empty=exception)
        return source, cast(Scope, scope)

    def compile(self, source: str, node: yaml.Node | None, field: str, *,
                allow_empty: bool = False) -> re.Pattern[str]:
        try:
            compiled = re.compile(source)
        except re.error as exc:
            raise self.error(f"regex does not compile: {exc.msg} at position {exc.pos}", node,
                             field, "escape special characters such as ( ) [ ] + ? with a "
                             "backslash, or use 'literal:'") from None
        if not allow_empty and compiled.search("") is not None:
            raise self.error("regex matches the empty string", node, field,
                             "make at least one part of it required")
        stray = _unnormalised_char(source)
        if stray is not None:
            raise self.error(
                f"regex contains '{stray}', which normalised text never holds", node, field,
                "write patterns in simplified Chinese, lower case and half-width punctuation "
                "(',' not '，', '?' not '？')",
            )
        return compiled
