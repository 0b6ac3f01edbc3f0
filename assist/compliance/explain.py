"""What a rule matches and why (``assist rules explain``), and each rule's own
``flags:``/``passes:`` examples run against it (``assist validate``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from assist.compliance.reach import DEFAULT_REACH
from assist.compliance.rules import DRAFT_VETO_MARGIN, SEMANTIC_PREFIX, RulePack
from assist.text.normalise import normalise

if TYPE_CHECKING:
    from assist.compliance.semantic import SemanticSignal

# ----- explaining ---------------------------------------------------------------------


def explain_rule(pack: RulePack, rule_id: str, text: str | None = None,
                 semantic: SemanticSignal | None = None) -> dict[str, Any]:
    """A rule in readable form (``assist rules explain``): what it fires on, the phrases of its
    lexicons per language, the scopes and ``unless`` lexicons that cancel it, its examples; with
    ``text``, each hit in it and what cancelled it. With ``semantic`` too, a hit that fires on a
    draft the signal reads as wholly clean is shown as vetoed (an advisory), with the draft's
    highest category margin and W (:data:`DRAFT_VETO_MARGIN`)."""
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
        "respects": list(rule.respects), "unless": list(rule.unless), "unless_reach": _reach(pack, rule.category),
        "exceptions": [f"{e.scope}: {e.source}" for e in rule.exceptions],
        "flags": list(rule.flags), "passes": list(rule.passes),
    }
    if text is not None:
        veto = _veto(semantic, text)
        data["hits"] = [
            {"matched": e.matched, "pieces": [list(p) for p in e.pieces], "cancelled_by": e.cancelled_by or veto}
            for e in pack.explain(rule_id, text)
        ]
    return data


def _reach(pack: RulePack, category: str) -> dict[str, str]:
    """How far the category's ``unless`` phrases reach, and why (``reach:``), for the officer."""
    declared = pack.reach_of(category)
    if declared is None:
        return {"reach": DEFAULT_REACH.replace("_", " "), "why": f"the default: no reach is declared for {category}",
                "source": ""}
    return {"reach": declared.describe(), "why": declared.why, "source": f"{declared.source}:{declared.line}"}


def _veto(semantic: SemanticSignal | None, text: str) -> str | None:
    """Why the semantic signal vetoes every rule hit in ``text`` (None when it does not)."""
    if semantic is None:
        return None
    top = semantic.top_margin(text, DRAFT_VETO_MARGIN)
    if top >= DRAFT_VETO_MARGIN:
        return None
    return (f"the semantic veto (advisory, not a flag): the draft's highest category margin "
            f"{top:.3f} < W {DRAFT_VETO_MARGIN}")


def explain_semantic(signal: SemanticSignal, category: str, text: str | None = None) -> dict[str, Any]:
    """The semantic signal of one category in readable form (``assist rules explain
    semantic.<category>``, the id its flags carry): the threshold, what 10-fold cross-validation
    on the exemplars saw at it, how many exemplars it learnt from; with ``text``, the text's score
    read as one clause (a draft is scored clause by clause, and a clause is flagged only when the
    whole draft also reaches the threshold)."""
    fit = next((f for f in signal.fits if f.category == category), None)
    if fit is None:
        raise KeyError(category)
    filed = np.asarray(signal.categories) == category
    data: dict[str, Any] = {
        "id": SEMANTIC_PREFIX + category, "category": category, "threshold": fit.threshold,
        "cv_recall": round(fit.recall, 4), "cv_false_flags": round(fit.false_flags, 4),
        "violating_exemplars": int((filed & signal.violating).sum()),
        "compliant_exemplars": int((filed & ~signal.violating).sum()),
        "flags_negated_clauses": category in signal.negation_ok,
    }
    if text is not None:
        score = float(signal.scores([normalise(text)])[0, signal.weights.categories.index(category)])
        data["text"] = {"score": round(score, 4), "reaches_threshold": score >= fit.threshold}
    return data


def format_semantic(data: dict[str, Any]) -> str:
    """:func:`explain_semantic`'s answer as text."""
    negated = "may be flagged" if data["flags_negated_clauses"] else "never flagged"
    lines = [f"{data['id']}  (semantic signal of {data['category']})",
             f"  threshold {data['threshold']:.3f}; in 10-fold cross-validation on the exemplars it finds "
             f"{data['cv_recall']:.0%} of the violating ones and flags {data['cv_false_flags']:.2%} "
             "of the compliant ones",
             f"  learnt from {data['violating_exemplars']} violating and {data['compliant_exemplars']} compliant "
             "exemplars filed under this category (and every other category's, as negatives)",
             f"  a clause holding a negation: {negated}"]
    if "text" in data:
        verdict = "reaches the threshold" if data["text"]["reaches_threshold"] else "stays below the threshold"
        lines.append(f"  text, read as one clause: score {data['text']['score']:.3f}, {verdict}")
    return "\n".join(lines)


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


