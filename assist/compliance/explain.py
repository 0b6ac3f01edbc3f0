"""What a rule matches and why (``assist rules explain``), and each rule's own
``flags:``/``passes:`` examples run against it (``assist validate``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from assist.compliance.rules import RulePack

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


