"""The scripts of each scenario, which variant fits a caller, and in which script to show it.

An explicit segment or channel is a hard filter (:func:`assist.lookup.rank.variant_fits`):
``channel="phone"`` never gets a chat-only variant, ``segment="general"`` never the
elderly one. A zh-Hant customer gets the library's zh-Hant variant where one exists,
else the zh-Hans text converted by OpenCC: Hong Kong wording (``s2hk``) when the
customer writes Cantonese or Hong Kong terms, Taiwan wording (``s2twp``) otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assist.lookup.rank import choose_variant, customer_family, variant_fits
from assist.text.normalise import language_family
from assist.text.traditional import in_region, region_of
from assist.types import Script


def to_traditional(text: str, utterance: str) -> str:
    """``text`` in traditional characters, with the phrasing of the customer's region."""
    return in_region(text, region_of(utterance))


def in_customer_script(script: Script, utterance: str) -> Script:
    """``script`` as the customer should read it: a zh-Hans script converted to traditional
    characters for a zh-Hant customer; any other script unchanged."""
    if script.language != "zh-Hans" or customer_family(utterance) != "zh-Hant":
        return script

    def convert(text: str | None) -> str | None:
        return None if text is None else to_traditional(text, utterance)

    return replace(
        script,
        language="zh-Hant",
        empathy=to_traditional(script.empathy, utterance),
        solution_preview=to_traditional(script.solution_preview, utterance),
        steps=tuple(to_traditional(step, utterance) for step in script.steps),
        escalation=convert(script.escalation),
    )


class Variants:
    """A library's active scripts grouped by scenario."""

    def __init__(self, scripts: Sequence[Script]) -> None:
        self._by_scenario: dict[str, list[Script]] = {}
        for script in scripts:
            self._by_scenario.setdefault(script.scenario, []).append(script)

    @property
    def scenarios(self) -> set[str]:
        return set(self._by_scenario)

    def choose(
        self, scenario: str, utterance: str = "", segment: str | None = None, channel: str | None = None
    ) -> Script | None:
        """The variant of ``scenario`` that best fits the caller, or None if the library lacks it."""
        variants = self._by_scenario.get(scenario)
        if not variants:
            return None
        return choose_variant(variants, {}, customer_family(utterance), segment, channel)

    def has_fitting(self, scenario: str, segment: str | None, channel: str | None) -> bool:
        """Whether ``scenario`` has a variant made for this segment or channel (not the base script)."""
        return any(
            variant_fits(s, segment, channel)
            and (segment is None or s.segment == segment)
            and (channel is None or s.channel == channel)
            for s in self._by_scenario.get(scenario, ())
        )

    def has_channel_variants(self, scenario: str) -> bool:
        return any(s.channel is not None for s in self._by_scenario.get(scenario, ()))

    def severe(self, scenario: str, utterance: str) -> Script | None:
        """The scenario's severe variant, in the caller's language where there is one."""
        family = language_family(utterance)
        severe = [s for s in self._by_scenario.get(scenario, ()) if s.severity == "severe"]
        same_language = [s for s in severe if s.language.startswith("zh") == (family == "zh")]
        choices = same_language or severe
        return choices[0] if choices else None
