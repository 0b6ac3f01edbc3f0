"""The scripts of each scenario, and which variant fits a caller."""

from __future__ import annotations

from collections.abc import Sequence

from assist.lookup.rank import choose_variant
from assist.text.normalise import language_family
from assist.types import Script


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
        return choose_variant(variants, {}, language_family(utterance), segment, channel)

    def severe(self, scenario: str, utterance: str) -> Script | None:
        """The scenario's severe variant, in the caller's language where there is one."""
        family = language_family(utterance)
        severe = [s for s in self._by_scenario.get(scenario, ()) if s.severity == "severe"]
        same_language = [s for s in severe if s.language.startswith("zh") == (family == "zh")]
        choices = same_language or severe
        return choices[0] if choices else None
