"""Reading rule files into a :class:`~assist.compliance.rules.RulePack`: the shipped pack plus a
library's own ``rules/*.yaml``, validated field by field (file, line, field and fix on the first problem)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import re2  # type: ignore[import-untyped]
import yaml

from assist.compliance.checks import DraftLineError, parse_draft_line
from assist.compliance.explain import example_failures
from assist.compliance.lexicon import LANGUAGES, Lexicon, normalise_phrase
from assist.compliance.reach import REACH_KINDS, ReachKind, UnlessReach
from assist.compliance.rules import (
    AGENT_CATEGORIES,
    AGENT_RESPECTS,
    APPLIES_TO,
    COMMON_FIELDS,
    CUSTOMER_CATEGORIES,
    LEXICON_NAME,
    OPTIONAL_FIELDS,
    PIN_ID,
    RULE_ID,
    SCOPES,
    SEVERITIES,
    TERM_NAME,
    TERM_REF,
    TOP_LEVEL_KEYS,
    Exemplar,
    Reach,
    Rule,
    RuleException,
    RulePack,
    Scope,
    Trigger,
    compile_linear,
)
from assist.compliance.scope import SCOPE_KINDS, SCOPE_LEXICONS
from assist.compliance.semantic import EVERY_CATEGORY
from assist.errors import LibraryError
from assist.library.loader import (
    SHIPPED_LIBRARY,
    display_path,
    file_bytes,
    hash_files,
    line_of,
    mapping_child,
    read_text,
    read_yaml,
    sequence_item,
)
from assist.text.normalise import normalise, to_simplified
from assist.types import AppliesTo, Severity

# ----- loading and validation ---------------------------------------------------------


def rule_files(library_root: Path) -> list[Path]:
    """The library's own rule files (the shipped pack's are :func:`shipped_rule_files`)."""
    folder = library_root / "rules"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


DRAFTS_FOLDER = "drafts"
"""``rules/drafts/*.jsonl``: labelled agent drafts (the format of ``assist rules test``) that
train the semantic signal beside the exemplars (docs/compliance.md, "Labelled drafts")."""


def draft_files(library_root: Path) -> list[Path]:
    """The library's labelled-draft files, ``rules/drafts/*.jsonl``."""
    folder = library_root / "rules" / DRAFTS_FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.jsonl") if p.is_file())


def rule_inputs(library_root: Path) -> list[Path]:
    """Every file of a library's own that its rule pack is made from: rule files and labelled drafts."""
    return [*rule_files(library_root), *draft_files(library_root)]


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
    digest = hashlib.sha256(hash_files(rule_inputs(SHIPPED_LIBRARY), SHIPPED_LIBRARY).encode())
    if not _is_shipped(root):
        digest.update(b"\0" + hash_files(rule_inputs(root), root).encode())
    return digest.hexdigest()


def load_rule_pack(library_root: Path | str, *, with_shipped: bool = True) -> RulePack:
    """The rules in force for the library at ``library_root``: the shipped pack plus the
    library's own ``rules/*.yaml``, less the shipped rules it switches off.

    ``with_shipped=False`` reads the library's own files only (tests, the shipped pack itself).
    Raises :class:`LibraryError` naming file, line, field and fix on the first problem.
    """
    root = Path(library_root)
    parts: list[_FileContent] = []
    own = rule_files(root)
    if with_shipped and not _is_shipped(root):
        shipped = shipped_rule_files()
        parts += [_read_rule_file(p, SHIPPED_LIBRARY, shipped=True) for p in shipped]
        # A library made by copying the shipped one holds the shipped files verbatim: they are
        # already in force, and reading them twice would define every rule and lexicon twice.
        copies = {file_bytes(p) for p in shipped}
        own = [p for p in own if file_bytes(p) not in copies]
    parts += [_read_rule_file(p, root, shipped=_is_shipped(root)) for p in own]
    parts += _draft_parts(root, with_shipped)
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
    reaches: list[UnlessReach] = field(default_factory=list)
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
        for entry, node in part.rules:
            assert part.reader is not None  # every part with rules was read by a rule reader
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
    reaches = _checked_reaches(parts, rules)
    used = {name for rule in rules for name in (*rule.lexicon_names, *rule.companion_names)} | set(SCOPE_LEXICONS)
    kept_lexicons = tuple(x for name, x in lexicons.items() if name in used)
    return RulePack(
        rules=tuple(r for r in rules if r.id not in off),
        content_hash=rules_hash(root) if with_shipped else hash_files(rule_inputs(root), root),
        lexicons=kept_lexicons,
        switched_off=tuple(switched),
        exemplars=tuple(e for part in parts for e in part.exemplars),
        reaches=reaches,
    )


def _checked_reaches(parts: list[_FileContent], rules: list[Rule]) -> tuple[UnlessReach, ...]:
    """Every declared reach, once per category, each lexicon it names an ``unless`` lexicon of
    one of the category's rules (a reach for a lexicon no rule reads would say nothing). Rules a
    library switched off count: switching a category's rules off must not make the shipped
    reach of that category an error."""
    declared: dict[str, UnlessReach] = {}
    for reach in (r for part in parts for r in part.reaches):
        earlier = declared.get(reach.category)
        if earlier is not None:
            raise LibraryError(
                f"the reach of '{reach.category}' is already declared in {earlier.source}:{earlier.line}",
                file=reach.source, line=reach.line, field=f"reach.{reach.category}",
                fix="declare each category's reach once")
        read = {name for rule in rules if rule.category == reach.category for name in rule.unless}
        for name in [n for n, _ in reach.lexicons] + list(reach.semantic_beside):
            if name not in read:
                raise LibraryError(
                    f"'{name}' is no unless lexicon of a {reach.category} rule",
                    file=reach.source, line=reach.line, field=f"reach.{reach.category}.lexicons",
                    fix=f"name one of: {', '.join(sorted(read)) or '(none: its rules have no unless)'}")
        declared[reach.category] = reach
    return tuple(declared.values())


def _draft_parts(root: Path, with_shipped: bool) -> list[_FileContent]:
    """The labelled drafts in force: the shipped library's, unless only the library's own files
    are read, and the library's own (those that are not byte copies of the shipped ones)."""
    files = [(p, root) for p in draft_files(root)]
    if with_shipped and not _is_shipped(root):
        shipped = draft_files(SHIPPED_LIBRARY)
        copies = {file_bytes(p) for p in shipped}
        files = [(p, SHIPPED_LIBRARY) for p in shipped] + [(p, r) for p, r in files if file_bytes(p) not in copies]
    return [_read_draft_file(path, base) for path, base in files]


def _read_draft_file(path: Path, root: Path) -> _FileContent:
    """A labelled-draft file as exemplars: a violating draft is a violating exemplar of each of
    its categories; a clean one a lookalike of every category (:data:`EVERY_CATEGORY`)."""
    label = display_path(path, root)
    content = _FileContent(label, _is_shipped(root))
    for number, line in enumerate(read_text(path, root).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            draft = parse_draft_line(line, number)
        except DraftLineError as exc:
            raise LibraryError(str(exc), file=label, line=number, field=exc.field,
                               fix="correct the line: one {\"text\", \"violations\": [...], \"lang\"} object "
                                   "per line (assist rules test FILE reads the same format)") from None
        language = "zh-Hant" if draft.language.startswith("zh-Hant") else draft.language
        text = draft.text.strip()
        content.exemplars += [Exemplar(text, c, True, language, label) for c in sorted(draft.categories)]
        if not draft.categories:
            content.exemplars.append(Exemplar(text, EVERY_CATEGORY, False, language, label))
    return content


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
    content.reaches = reader.reaches(data.get("reach"), mapping_child(node, "reach"))
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

        return TERM_REF.sub(replace, source)

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
                    if len(phrase) > 1 and phrase[0] == phrase[-1] and phrase[0] in "\"'":
                        # "\"her son\"" keeps its quote marks and matches only quoted text
                        raise self.error(f"phrase {phrase} keeps its quote marks, so it matches only quoted text",
                                         spot, f"{field}.{language}",
                                         f"quote it once: \"{phrase[1:-1]}\"")
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

    def reaches(self, section: Any, node: yaml.Node | None) -> list[UnlessReach]:
        """``category: {unless: REACH, why: ..., lexicons: {name: REACH}, semantic_beside: [name]}``
        (:mod:`assist.compliance.reach`)."""
        if section is None:
            return []
        if not isinstance(section, dict):
            raise self.error("'reach' must map categories to their reach", node, "reach",
                             "write 'bare_refusal:' then 'unless: sentence_and_next' and 'why: ...'")
        kinds = ", ".join(REACH_KINDS)
        found = []
        for category, entry in section.items():
            where = mapping_child(node, str(category)) or node
            field_name = f"reach.{category}"
            if category not in AGENT_CATEGORIES:
                raise self.error(f"'{category}' is not an agent category", where, "reach",
                                 f"use one of {', '.join(AGENT_CATEGORIES)}")
            if not isinstance(entry, dict) or not {"unless", "why"} <= set(entry) or not set(entry) <= {
                    "unless", "why", "lexicons", "semantic_beside"}:
                raise self.error("needs 'unless:' and 'why:' (and may have 'lexicons:' and 'semantic_beside:')", where,
                                 field_name,
                                 f"write 'unless: <one of {kinds}>' and 'why: <the reason, in words>'")
            reach = self.choice(entry, where, "unless", REACH_KINDS)
            why = self.text(entry, where, "why")
            own = entry.get("lexicons") or {}
            spot = mapping_child(where, "lexicons") or where
            if not isinstance(own, dict) or any(v not in REACH_KINDS for v in own.values()):
                raise self.error(f"must map lexicon names to a reach ({kinds})", spot,
                                 f"{field_name}.lexicons", "write 'gloss: sentence'")
            beside = entry.get("semantic_beside") or []
            if not isinstance(beside, list) or not all(isinstance(n, str) for n in beside):
                raise self.error("must list lexicon names", mapping_child(where, "semantic_beside") or where,
                                 f"{field_name}.semantic_beside", "write 'semantic_beside: [principled_no]'")
            found.append(UnlessReach(str(category), cast(ReachKind, reach), why,
                                     tuple((str(n), cast(ReachKind, k)) for n, k in own.items()),
                                     self.label, line_of(where), tuple(beside)))
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
        allowed = {"any", "all", "seq", "regex", "within", "in", "gap"}
        if not isinstance(item, dict) or not item or not set(item) <= allowed:
            raise self.error("a trigger is a mapping with one of any, all, seq, regex (and within, in or gap)",
                             node, field, "write e.g. {all: [otp, hand_over], within: 12}")
        kinds = [k for k in ("any", "all", "seq", "regex") if k in item]
        if len(kinds) != 1:
            raise self.error("needs exactly one of 'any', 'all', 'seq' or 'regex'", node, field,
                             "split it into two triggers under 'when:'")
        kind = kinds[0]
        where = mapping_child(node, kind) or node
        if kind == "regex":
            if set(item) != {"regex"}:
                raise self.error("'within', 'in' and 'gap' apply to any/all/seq only", node, field, "remove them")
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
        if kind == "seq":
            if set(item) - {"seq", "gap"}:
                raise self.error("a 'seq' trigger takes only 'gap'", node, field,
                                 "remove 'within' and 'in' (a sequence stays in one clause)")
            gap = item.get("gap", 0)
            if isinstance(gap, bool) or not isinstance(gap, int) or gap < 0:
                raise self.error("must be a whole number of characters, 0 or more", mapping_child(node, "gap"),
                                 f"{field}.gap", "write e.g. gap: 2")
            return Trigger("seq", tuple(names), gap=gap)
        if "gap" in item:
            raise self.error("'gap' applies to seq only", mapping_child(node, "gap"), f"{field}.gap",
                             "remove it, or use within: N")
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
