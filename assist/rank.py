"""Rank scenarios from example hits and pick the right script variant for each.

Scores aggregate per scenario (the best fused example, with a small bonus
when several examples of that scenario agree), so the runner-up slots show
other situations rather than the same reply in another language. Within a
scenario the variant is chosen by the customer's language and the requested
segment and channel, then by which variant's examples matched best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assist.search import ExampleHit
from assist.types import Script

SUPPORT_BONUS = 0.05
"""Weight of the second-best example of a scenario (agreement among examples)."""
HEAD_WEIGHT = 0.3
"""Share of the learned scenario classifier in a scenario's score (the rest is retrieval)."""
HEAD_FLOOR = 0.02
"""A scenario the classifier rates above this joins the ranking even without a retrieved example."""
NO_HIT = ExampleHit(row=-1, dense=0.0, lexical=0.0, fused=0.0)


@dataclass(frozen=True)
class ScenarioScore:
    scenario: str
    score: float
    best: ExampleHit
    script: Script


def language_family(text: str) -> str:
    """'zh' when the text contains Chinese characters, else 'en'."""
    return "zh" if any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text) else "en"


def script_family(script: Script) -> str:
    return "zh" if script.language.startswith("zh") else "en"


def variant_preference(
    script: Script, family: str, segment: str | None, channel: str | None
) -> float:
    """Bonus for a variant that fits the caller; ranks variants within one scenario."""
    bonus = 0.0
    if script_family(script) == family:
        bonus += 0.3
    if segment is not None and script.segment == segment:
        bonus += 0.2
    elif script.segment is not None and script.segment != segment:
        bonus -= 0.05
    if channel is not None and script.channel == channel:
        bonus += 0.05
    elif script.channel is not None and script.channel != channel:
        bonus -= 0.02
    return bonus


def choose_variant(
    variants: Sequence[Script],
    best_by_script: dict[str, float],
    family: str,
    segment: str | None,
    channel: str | None,
) -> Script:
    return max(
        variants,
        key=lambda s: best_by_script.get(s.id, 0.0) * 0.5 + variant_preference(s, family, segment, channel),
    )


def rank_scenarios(
    hits: Sequence[ExampleHit],
    row_script: Sequence[int],
    scripts: Sequence[Script],
    by_scenario: dict[str, list[Script]],
    utterance: str,
    segment: str | None = None,
    channel: str | None = None,
    head_probs: dict[str, float] | None = None,
    limit: int = 10,
) -> list[ScenarioScore]:
    """The ``limit`` best scenarios from example hits (and the learned head, when given)."""
    family = language_family(utterance)
    grouped: dict[str, list[ExampleHit]] = {}
    best_by_script: dict[str, float] = {}
    for hit in hits:
        script = scripts[row_script[hit.row]]
        grouped.setdefault(script.scenario, []).append(hit)
        best_by_script[script.id] = max(best_by_script.get(script.id, 0.0), hit.fused)
    probs = head_probs or {}
    scenarios = set(grouped) | {s for s, p in probs.items() if p >= HEAD_FLOOR and s in by_scenario}
    scored: list[tuple[float, str, ExampleHit]] = []
    for scenario in scenarios:
        scenario_hits = grouped.get(scenario, [])  # hits arrive best first
        best = scenario_hits[0] if scenario_hits else NO_HIT
        score = best.fused
        if len(scenario_hits) > 1:
            score += SUPPORT_BONUS * scenario_hits[1].fused
        if head_probs is not None:
            score = (1 - HEAD_WEIGHT) * score + HEAD_WEIGHT * probs.get(scenario, 0.0)
        scored.append((score, scenario, best))
    scored.sort(key=lambda item: item[0], reverse=True)
    return [
        ScenarioScore(scenario, score, best,
                      choose_variant(by_scenario[scenario], best_by_script, family, segment, channel))
        for score, scenario, best in scored[:limit]
    ]
