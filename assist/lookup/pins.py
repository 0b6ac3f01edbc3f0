"""Overrides from the customer's own words: safety and compliance scripts pinned first.

A fraud signal (「公安让我把钱转到安全账户」) pins the ``fraud_in_progress``
script whatever the similarity ranking says; a request to skip identity checks
or a relative asking about someone else's account pins its compliance script.
The rule packs decide which words pin what (``pin`` and ``priority`` on a
customer rule), so compliance officers review the triggers as YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from assist.compliance.rules import RulePack
from assist.lookup.rank import NO_HIT, ScenarioScore
from assist.lookup.variants import Variants
from assist.types import Violation

ESCALATION_SIGNAL = "escalation_signal"


@dataclass(frozen=True)
class Pin:
    scenario: str
    rule_id: str
    priority: int
    alert: str
    evidence: Violation
    category: str = ""

    @property
    def is_escalation(self) -> bool:
        """A severe-complaint signal: it asks for the escalation path of whatever the
        customer complains about, so it yields to a matching severe variant."""
        return self.category == ESCALATION_SIGNAL


def customer_pins(pack: RulePack, utterance: str, known_scenarios: set[str]) -> list[Pin]:
    """Pins triggered by the utterance, highest priority first, one per scenario."""
    pins: list[Pin] = []
    seen: set[str] = set()
    for rule, violation in pack.pins(utterance):
        scenario = rule.pin
        if scenario is None or scenario in seen or scenario not in known_scenarios:
            continue
        seen.add(scenario)
        pins.append(Pin(scenario, rule.id, rule.priority, rule.alert or rule.explanation, violation, rule.category))
    pins.sort(key=lambda p: p.priority, reverse=True)
    return pins


def apply_pins(
    ranked: list[ScenarioScore], pins: list[Pin], text: str, segment: str | None, channel: str | None,
    variants: Variants, threshold: float,
) -> list[ScenarioScore]:
    """Move pinned scenarios to the front, highest priority first.

    A severe-complaint signal about a confidently matched scenario that has a
    severe variant (e.g. a disputed duplicate charge with a threat to go to the
    regulator) keeps that scenario and switches to its severe variant, whose
    escalation path is what the signal calls for.
    """
    if not pins:
        return ranked
    by_scenario = {s.scenario: s for s in ranked}
    front: list[ScenarioScore] = []
    for pin in pins:
        if pin.is_escalation and not front and ranked and ranked[0].score >= threshold:
            severe = variants.severe(ranked[0].scenario, text)
            if severe is not None:
                front.append(replace(ranked[0], script=severe))
                continue
        scored = by_scenario.get(pin.scenario)
        if scored is None:
            script = variants.choose(pin.scenario, text, segment, channel)
            assert script is not None  # customer_pins keeps known scenarios only
            scored = ScenarioScore(pin.scenario, 0.0, NO_HIT, script)
        front.append(scored)
    pinned = {s.scenario for s in front}
    return front + [s for s in ranked if s.scenario not in pinned]
