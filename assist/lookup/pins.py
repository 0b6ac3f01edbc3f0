"""Overrides from the customer's own words: safety and compliance scripts pinned first.

A fraud signal (「公安让我把钱转到安全账户」) pins the ``fraud_in_progress``
script whatever the similarity ranking says; a request to skip identity checks
or a relative asking about someone else's account pins its compliance script.
The rule packs decide which words pin what (``pin`` and ``priority`` on a
customer rule), so compliance officers review the triggers as YAML.
"""

from __future__ import annotations

from dataclasses import dataclass

from assist.compliance.rules import RulePack
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
