"""Compliance checks on scripts and agent drafts, and the draft-set evaluation.

``script_violations`` checks what a script makes an agent say, as it is served
(:func:`served_texts`): each field (empathy, solution preview, steps,
escalation), the reply as joined (an agent reads empathy and preview as one
sentence, so a phrase split across the two is still one phrase), and the card
as the CLI and console show it, each also as converted to traditional
characters for a traditional-Chinese caller. ``blocking`` keeps the violations
that must stop a reply. ``evaluate_drafts`` measures a rule pack on a labelled
JSONL of agent drafts (``{"text": ..., "violations": [category ids]}``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assist.compliance.rules import AGENT_CATEGORIES, RulePack, is_advisory
from assist.compliance.semantic import SemanticSignal
from assist.errors import InputError
from assist.text.normalise import to_simplified
from assist.text.traditional import REGIONS, in_region
from assist.types import Script, Violation


def script_fields(script: Script) -> list[tuple[str, str]]:
    """(field name, text) for every agent-spoken part of a script."""
    fields = [("empathy", script.empathy), ("solution_preview", script.solution_preview)]
    fields += [(f"steps[{i}]", step) for i, step in enumerate(script.steps)]
    if script.escalation:
        fields.append(("escalation", script.escalation))
    return [(name, text) for name, text in fields if text.strip()]


def card_text(script: Script) -> str:
    """The script as the CLI's suggestion card shows it: the reply, then the numbered steps."""
    steps = "\n".join(f"{i}. {step}" for i, step in enumerate(script.steps, 1))
    return f"{script.reply}\n\n{steps}" if steps else script.reply


def served_texts(script: Script) -> list[tuple[str, str]]:
    """(where, text) for everything a script puts in front of an agent: each field, the reply
    as joined (:func:`assist.types.join_reply`), the card with its steps, and the traditional
    conversions of each whose normalised form differs from the original's (rules match on
    simplified text, so any other conversion checks the same)."""
    texts = script_fields(script)
    if script.empathy.strip() and script.solution_preview.strip():
        texts.append(("reply", script.reply))
    if script.steps:
        texts.append(("card", card_text(script)))
    served = list(texts)
    if script.language.startswith("zh"):
        for name, text in texts:
            simplified = to_simplified(text)
            seen = {simplified}
            for config in REGIONS:
                converted = in_region(text, config)
                if to_simplified(converted) not in seen:
                    seen.add(to_simplified(converted))
                    served.append((f"{name} ({config})", converted))
    return served


def script_field_violations(script: Script, pack: RulePack) -> list[tuple[str, Violation]]:
    """Violations in every served text of a script (:func:`served_texts`), each named by where
    it was found; a violation already found in a single field is not repeated for the joined
    texts. Spans index the text they were found in."""
    found: list[tuple[str, Violation]] = []
    seen: set[tuple[str, str]] = set()
    for name, text in served_texts(script):
        for violation in pack.check(text, audience="agent"):
            key = (violation.rule_id, to_simplified(violation.matched_text))
            if key not in seen:
                seen.add(key)
                found.append((name, violation))
    return found


def script_violations(script: Script, pack: RulePack) -> list[Violation]:
    """Agent-side violations anywhere a script is served (spans index the text they came from)."""
    return [violation for _, violation in script_field_violations(script, pack)]


def blocking(violations: Iterable[Violation]) -> list[Violation]:
    """The violations that forbid suggesting or sending a text."""
    return [v for v in violations if v.severity == "block"]


# ----- draft-set evaluation -----------------------------------------------------------


@dataclass(frozen=True)
class LabelledDraft:
    text: str
    categories: frozenset[str]
    line: int
    language: str = ""
    """The line's ``lang``, when it has one (zh-Hans, zh-Hant-TW, yue, en ...)."""


class DraftLineError(ValueError):
    """A line of a labelled-draft file that is not ``{"text": ..., "violations": [...]}``;
    the message says what is wrong and how to fix it, ``field`` which field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CategoryScore:
    category: str
    support: int
    """Drafts labelled with the category."""
    detected: int
    """Labelled drafts the pack flagged with the category."""
    flagged: int
    """Drafts the pack flagged with the category, labelled or not."""

    @property
    def recall(self) -> float:
        return self.detected / self.support if self.support else 0.0

    @property
    def precision(self) -> float:
        return self.detected / self.flagged if self.flagged else 0.0


@dataclass(frozen=True)
class DraftMiss:
    line: int
    category: str
    text: str


@dataclass(frozen=True)
class FalseFlag:
    line: int
    category: str
    rule_id: str
    matched_text: str
    text: str
    clean: bool
    """True when the draft is labelled with no violation at all."""


@dataclass(frozen=True)
class DraftReport:
    path: str
    drafts: int
    clean_drafts: int
    flagged_clean: int
    labelled_pairs: int
    detected_pairs: int
    categories: tuple[CategoryScore, ...]
    misses: tuple[DraftMiss, ...]
    false_flags: tuple[FalseFlag, ...]

    @property
    def recall(self) -> float:
        """Fraction of labelled (draft, category) pairs the pack detected."""
        return self.detected_pairs / self.labelled_pairs if self.labelled_pairs else 0.0

    @property
    def false_flag_rate(self) -> float:
        """Fraction of clean drafts flagged with any category."""
        return self.flagged_clean / self.clean_drafts if self.clean_drafts else 0.0

    @property
    def undetected_categories(self) -> list[str]:
        return [c.category for c in self.categories if c.support and not c.detected]

    def format_table(self, *, details: bool = True) -> str:
        """A plain-text report: per-category table, totals, then misses and false flags."""
        lines = [f"{'category':<28} {'support':>7} {'recall':>7} {'precision':>9} {'flagged':>7}"]
        for c in self.categories:
            lines.append(
                f"{c.category:<28} {c.support:>7} {_pct(c.recall, c.support):>7} "
                f"{_pct(c.precision, c.flagged):>9} {c.flagged:>7}"
            )
        lines.append(
            f"violation recall {self.detected_pairs}/{self.labelled_pairs} = {self.recall:.3f}; "
            f"false flags on clean drafts {self.flagged_clean}/{self.clean_drafts} = "
            f"{self.false_flag_rate:.3f} ({self.drafts} drafts, {self.path})"
        )
        if details:
            lines += [f"miss  L{m.line} {m.category}: {m.text}" for m in self.misses]
            lines += [
                f"false L{f.line} {f.category} ({f.rule_id}) 「{f.matched_text}」"
                f"{' [clean draft]' if f.clean else ''}: {f.text}"
                for f in self.false_flags
            ]
        return "\n".join(lines)


def _pct(value: float, denominator: int) -> str:
    return f"{value:.2f}" if denominator else "-"


def read_labelled_drafts(path: Path) -> list[LabelledDraft]:
    """Read a JSONL of ``{"text": str, "violations": [str, ...]}``; blank lines are skipped."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8; save the file as UTF-8") from None
    drafts = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if line.strip():
            try:
                drafts.append(parse_draft_line(line, number))
            except DraftLineError as exc:
                raise InputError(f"{path}:{number}: {exc}") from None
    return drafts


def parse_draft_line(line: str, number: int) -> LabelledDraft:
    """One labelled draft from its JSON line; :class:`DraftLineError` when it is not one."""
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DraftLineError(f"not valid JSON ({exc.msg}); write one JSON object per line", "text") from None
    if not isinstance(record, dict):
        raise DraftLineError("expected a JSON object with 'text' and 'violations'", "text")
    text, labels, language = record.get("text"), record.get("violations"), record.get("lang", "")
    if not isinstance(text, str) or not text.strip():
        raise DraftLineError("'text' must be a non-empty string", "text")
    if "violations" not in record:
        keys = ", ".join(sorted(str(key) for key in record)) or "none"
        raise DraftLineError(
            f"no 'violations' field (the line has: {keys}); give each draft "
            "'violations': a list of category ids, [] for a clean draft", "violations")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise DraftLineError("'violations' must be a list of category ids (may be empty)", "violations")
    unknown = sorted(set(labels) - set(AGENT_CATEGORIES))
    if unknown:
        raise DraftLineError(f"unknown category '{unknown[0]}' (known: {', '.join(AGENT_CATEGORIES)})",
                             "violations")
    if not isinstance(language, str):
        raise DraftLineError("'lang' must be a language tag such as zh-Hans or en", "lang")
    return LabelledDraft(text=text, categories=frozenset(labels), line=number, language=language)


def evaluate_drafts(pack: RulePack, path: Path) -> DraftReport:
    """Per-category recall/precision, overall recall and the clean-draft false-flag rate."""
    drafts = read_labelled_drafts(Path(path))
    return score_drafts(pack, drafts, str(path))


def score_drafts(pack: RulePack, drafts: Sequence[LabelledDraft], label: str = "",
                 semantic: SemanticSignal | None = None) -> DraftReport:
    support = dict.fromkeys(AGENT_CATEGORIES, 0)
    detected = dict.fromkeys(AGENT_CATEGORIES, 0)
    flagged = dict.fromkeys(AGENT_CATEGORIES, 0)
    misses: list[DraftMiss] = []
    false_flags: list[FalseFlag] = []
    flagged_clean = 0
    for draft in drafts:
        found = {v.category: v for v in reversed(pack.check(draft.text, audience="agent", semantic=semantic))
                 if not is_advisory(v)}  # a vetoed rule hit is shown, not counted
        if found and not draft.categories:
            flagged_clean += 1
        for category in sorted(draft.categories):  # a frozenset's order follows the hash seed
            support[category] += 1
            if category in found:
                detected[category] += 1
            else:
                misses.append(DraftMiss(draft.line, category, draft.text))
        for category, violation in found.items():
            flagged[category] = flagged.get(category, 0) + 1
            if category not in draft.categories:
                false_flags.append(FalseFlag(draft.line, category, violation.rule_id,
                                             violation.matched_text, draft.text,
                                             clean=not draft.categories))
    scores = tuple(
        CategoryScore(c, support.get(c, 0), detected.get(c, 0), flagged[c]) for c in flagged
    )
    return DraftReport(
        path=label,
        drafts=len(drafts),
        clean_drafts=sum(1 for d in drafts if not d.categories),
        flagged_clean=flagged_clean,
        labelled_pairs=sum(support.values()),
        detected_pairs=sum(detected.values()),
        categories=scores,
        misses=tuple(misses),
        false_flags=tuple(sorted(false_flags, key=lambda f: (f.line, f.category))),
    )
