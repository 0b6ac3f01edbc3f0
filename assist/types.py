"""Plain typed data passed across module and API boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["block", "warn"]
AppliesTo = Literal["agent", "customer", "both"]


@dataclass(frozen=True)
class Script:
    """One approved reply and the customer utterances it answers."""

    id: str
    scenario: str
    language: str
    examples: tuple[str, ...]
    empathy: str
    solution_preview: str
    steps: tuple[str, ...] = ()
    segment: str | None = None
    channel: str | None = None
    severity: str | None = None
    escalation: str | None = None
    status: str = "approved"
    source: str = ""
    line: int | None = None

    @property
    def reply(self) -> str:
        """The spoken core: empathy followed by the solution preview."""
        return join_reply(self.empathy, self.solution_preview)


def join_reply(empathy: str, preview: str) -> str:
    """Join two reply parts with a space only between Latin-script text."""
    empathy, preview = empathy.strip(), preview.strip()
    if not empathy or not preview:
        return empathy or preview
    if empathy[-1].isascii() and preview[0].isascii():
        return f"{empathy} {preview}"
    return f"{empathy}{preview}"


@dataclass(frozen=True)
class Violation:
    """A compliance rule matched in a text. ``span`` is (start, end) in the original text."""

    rule_id: str
    category: str
    severity: Severity
    span: tuple[int, int]
    matched_text: str
    reference: str
    suggestion: str
    explanation: str = ""


@dataclass(frozen=True)
class Candidate:
    """One ranked script for an utterance, with the evidence for its score."""

    script_id: str
    scenario: str
    score: float
    empathy: str
    solution_preview: str
    matched_example: str
    language: str = ""
    steps: tuple[str, ...] = ()
    segment: str | None = None
    channel: str | None = None
    severity: str | None = None
    escalation: str | None = None
    dense_score: float = 0.0
    lexical_score: float = 0.0
    warnings: tuple[Violation, ...] = ()
    pinned_by: str | None = None
    """The customer rule that pinned this script first; shown instead of its score."""

    @property
    def reply(self) -> str:
        return join_reply(self.empathy, self.solution_preview)


@dataclass(frozen=True)
class Suggestion:
    """The answer to one customer utterance."""

    reply: str
    abstained: bool
    candidates: list[Candidate]
    pinned_by: str | None = None
    why: str = ""
    margin: float = 0.0
    alerts: list[str] = field(default_factory=list)
    escalation: str | None = None
    quick_pass: bool = False
    """Ranked by the static first pass alone (:mod:`assist.lookup.cascade`), the full model not consulted."""
    redirect: str | None = None
    """The out-of-scope script whose redirect is the reply ("not ours"); the suggestion then abstains."""

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None
