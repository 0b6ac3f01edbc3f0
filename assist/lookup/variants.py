"""The scripts of each scenario, which variant fits a caller, and in which script to show it.

An explicit segment or channel is a hard filter (:func:`assist.lookup.rank.variant_fits`):
``channel="phone"`` never gets a chat-only variant, ``segment="general"`` never the
elderly one. A zh-Hant customer gets the library's zh-Hant variant where one exists,
else the zh-Hans text converted by OpenCC: Hong Kong wording (``s2hk``) when the
customer writes Cantonese or Hong Kong terms, Taiwan wording (``s2twp``) otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import cache, lru_cache

import opencc

from assist.lookup.rank import choose_variant, customer_family, variant_fits
from assist.text.normalise import language_family
from assist.types import Script

HONG_KONG = re.compile(
    "[嘅咗佢唔喺嚟冇哋啲嗰乜咁噉嘢睇俾攞㗎啱]|係咪|點樣|點算|邊度|戶口|八達通|轉賬|入數|過數|提款卡|信用咭|咭|港幣|港元|香港"
)
"""Cantonese particles and Hong Kong banking terms: the customer gets Hong Kong wording."""


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def traditional_config(utterance: str) -> str:
    """OpenCC's simplified-to-traditional configuration for this customer's wording."""
    return "s2hk" if HONG_KONG.search(utterance) else "s2twp"


def to_traditional(text: str, utterance: str) -> str:
    """``text`` in traditional characters, with the phrasing of the customer's region.

    The regional conversion keeps a few variant glyphs (Hong Kong's 「户」) that a plain
    ``s2t`` check reads as simplified; a final ``s2t`` pass gives their standard form, so
    no character of the reply is one OpenCC would convert from simplified.
    """
    if not text:
        return text
    return _traditional(text, traditional_config(utterance))


@lru_cache(maxsize=8192)
def _traditional(text: str, config: str) -> str:
    """Script texts are few and fixed: each is converted once per region, not per lookup."""
    return _converter("s2t").convert(_converter(config).convert(text))


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
