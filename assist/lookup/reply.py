"""Turn ranked scenarios into the reply an agent reads out, and explain why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from assist.library.out_of_scope import OUT_OF_SCOPE
from assist.lookup.pins import Pin
from assist.lookup.rank import GENERAL, ScenarioScore, customer_family
from assist.lookup.ranker import margin_of
from assist.lookup.search import ExampleHit
from assist.lookup.variants import Variants, in_customer_script, to_traditional
from assist.text.normalise import language_family
from assist.types import Candidate, Suggestion, Violation, join_reply

FALLBACK = {
    "zh": (
        "我理解您希望尽快把这件事处理好，我们一定会认真帮您。",
        "为了给您准确的办理方案，能否请您具体说一下是哪项业务、现在遇到了什么情况？",
    ),
    "en": (
        "I understand you want this sorted out quickly, and we will help you with it.",
        "So that I give you the right answer, could you tell me which service this is about "
        "and what is happening right now?",
    ),
}


def fallback_parts(family: str, utterance: str = "") -> tuple[str, str]:
    """Empathy + a clarifying question, used when assist abstains; in traditional
    characters for a zh-Hant customer."""
    empathy, question = FALLBACK.get(family, FALLBACK["zh"])
    if family == "zh" and customer_family(utterance) == "zh-Hant":
        return to_traditional(empathy, utterance), to_traditional(question, utterance)
    return empathy, question


def reply_text(candidate: Candidate, family: str) -> str:
    """The candidate's approved reply; for an examples-only script (no reply written
    yet) the fallback empathy plus a note naming the recognised scenario."""
    if candidate.reply:
        return candidate.reply
    empathy, _ = fallback_parts(family)
    note = {"zh": f"（已识别场景：{candidate.scenario}，该场景尚无审定话术）",
            "en": f" (recognised scenario: {candidate.scenario}; no approved reply written yet)"}
    return empathy + note.get(family, note["en"])


def to_candidate(
    scored: ScenarioScore, example: str, warnings: tuple[Violation, ...], utterance: str = ""
) -> Candidate:
    script = in_customer_script(scored.script, utterance)
    return Candidate(
        script_id=script.id,
        scenario=script.scenario,
        score=round(float(scored.score), 4),
        empathy=script.empathy,
        solution_preview=script.solution_preview,
        matched_example=example,
        language=script.language,
        steps=script.steps,
        segment=script.segment,
        channel=script.channel,
        severity=script.severity,
        escalation=script.escalation,
        dense_score=round(float(scored.best.dense), 4),
        lexical_score=round(float(scored.best.lexical), 4),
        warnings=warnings,
    )


def explain_match(candidate: Candidate, margin: float) -> str:
    return (
        f"closest library example 「{candidate.matched_example}」 "
        f"(dense {candidate.dense_score:.2f}, keywords {candidate.lexical_score:.2f}); "
        f"score {candidate.score:.2f}, {margin:.2f} ahead of the runner-up"
    )


def explain_pin(pin: Pin, script_id: str) -> str:
    return f"{pin.explain()}, so script {script_id} comes first"


def explain_abstain(best: float, threshold: float) -> str:
    return (
        f"no script is close enough (best score {best:.2f} < threshold {threshold:.2f}); "
        "ask a clarifying question"
    )


def variant_note(
    candidate: Candidate, variants: Variants | None, segment: str | None, channel: str | None
) -> str:
    """Why the shown script is not the variant the caller asked for, or "" when it is."""
    if variants is None:
        return ""
    notes = []
    if segment not in (None, GENERAL) and candidate.segment != segment:
        notes.append(f"segment {segment}")
    if channel is not None and candidate.channel != channel and variants.has_channel_variants(candidate.scenario):
        notes.append(f"channel {channel}")
    if not notes:
        return ""
    return (f"; {candidate.scenario} has no variant for {' and '.join(notes)}, "
            f"so the base script {candidate.script_id} is shown")


def explain_redirect(redirect: ScenarioScore, example: str, best: Candidate | None) -> str:
    runner = f"; best scenario {best.scenario} at {best.score:.2f}" if best is not None else ""
    return (
        f"not the bank's service: closest out-of-scope example 「{example}」 "
        f"(score {redirect.score:.2f}{runner}); redirect with {redirect.script.id}"
    )


def build_suggestion(
    text: str, ranked: list[ScenarioScore], pins: list[Pin], *, top_k: int, threshold: float, quick: bool,
    example_text: Callable[[ExampleHit], str], warnings: Mapping[str, tuple[Violation, ...]],
    variants: Variants | None = None, segment: str | None = None, channel: str | None = None,
    redirect_margin: float = 0.0,
) -> Suggestion:
    """The suggestion for one text from its scenarios in final order (pins applied): the pinned
    script, a redirect when the out-of-scope class ranks first or within ``redirect_margin`` of
    the best scenario ("not ours", an abstention), the best match above ``threshold``, or an
    abstention with a clarifying question. A pinned script carries ``pinned_by`` instead of a score."""
    family = language_family(text)
    in_scope = [scored for scored in ranked if scored.scenario != OUT_OF_SCOPE]
    candidates = [
        to_candidate(scored, example_text(scored.best), warnings.get(scored.script.id, ()), text)
        for scored in in_scope[:top_k]
    ]
    margin = margin_of(in_scope)
    if pins:
        pin = pins[0]
        top = candidates[0] = replace(candidates[0], pinned_by=pin.rule_id)
        return Suggestion(
            reply=reply_text(top, family), abstained=False, candidates=candidates, pinned_by=pin.rule_id,
            why=explain_pin(pin, top.script_id) + variant_note(top, variants, segment, channel), margin=margin,
            alerts=[pin.alert], escalation=top.escalation, quick_pass=quick,
        )
    redirect = next((scored for scored in ranked if scored.scenario == OUT_OF_SCOPE), None)
    best_in_scope = in_scope[0].score if in_scope else 0.0
    if redirect is not None and redirect.score >= best_in_scope - redirect_margin:
        shown = in_customer_script(redirect.script, text)
        return Suggestion(
            reply=shown.reply, abstained=True, candidates=candidates, redirect=redirect.script.id,
            why=explain_redirect(redirect, example_text(redirect.best), candidates[0] if candidates else None),
            margin=margin, quick_pass=quick,
        )
    best = candidates[0].score if candidates else 0.0
    if not candidates or best < threshold:
        empathy, question = fallback_parts(family, text)
        return Suggestion(
            reply=join_reply(empathy, question), abstained=True, candidates=candidates,
            why=explain_abstain(best, threshold), margin=margin, quick_pass=quick,
        )
    top = candidates[0]
    return Suggestion(
        reply=reply_text(top, family), abstained=False, candidates=candidates,
        why=explain_match(top, margin) + variant_note(top, variants, segment, channel), margin=margin,
        escalation=top.escalation, quick_pass=quick,
    )
