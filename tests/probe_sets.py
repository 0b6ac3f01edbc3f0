"""What the probe-file and exemplar-file tests share: reading a labelled JSONL probe file, the
sentences of one exemplar file, whether each category has enough of them each way in every
language, and their near copies (difflib ratio >= 0.7) among the other exemplar files or a probe
file. A near copy would only add weight to the semantic signal, and one of a probe would make
that probe file's figures with the signal read better than they are."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from assist.compliance.rules import Exemplar, RulePack
from assist.lookup.pins import FRAUD, customer_pins
from assist.text.normalise import normalise
from tests.overlap import near_pairs

NEAR = 0.7
PIN_SCENARIOS = {FRAUD, "skip_verification", "third_party_inquiry", "complaint_severe"}
"""The scenarios a library with every pin would let the customer rules pin."""


def read_rows(path: Path) -> list[dict[str, object]]:
    """The JSON objects of a probe file, one a line, blank lines skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def exemplars_of(pack: RulePack, file_name: str) -> list[Exemplar]:
    """The pack's exemplars read from ``rules/<file_name>``."""
    return [e for e in pack.exemplars if e.source.endswith("/" + file_name)]


def short_sides(mine: list[Exemplar], categories: Iterable[str], languages: set[str],
                least: int = 40) -> list[tuple[str, bool]]:
    """The (category, violating) sides with fewer than ``least`` sentences or a language missing."""
    short = []
    for category in categories:
        for violating in (True, False):
            side = [e for e in mine if e.category == category and e.violating == violating]
            if len(side) < least or {e.language for e in side} != languages:
                short.append((category, violating))
    return short


def near_copies(pack: RulePack, file_name: str, probes: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Pairs (sentence of ``file_name``, near copy) among the other YAML exemplar files and ``probes``."""
    mine = sorted({normalise(e.text) for e in exemplars_of(pack, file_name)})
    others = sorted({normalise(e.text) for e in pack.exemplars
                     if not e.source.endswith("/" + file_name) and not e.source.endswith(".jsonl")})
    close = [(mine[i], others[j]) for i, j, _ in near_pairs(mine, others, NEAR)]
    probe_texts = sorted({normalise(text) for text in probes})
    return close + [(mine[i], probe_texts[j]) for i, j, _ in near_pairs(mine, probe_texts, NEAR)]


def flagged(pack: RulePack, text: str) -> set[str]:
    """The categories the rules alone flag in an agent's draft."""
    return {v.category for v in pack.check(text, audience="agent")}


def missed_by_rules(pack: RulePack, rows: Iterable[dict[str, object]], category: str) -> list[str]:
    """The probes labelled with ``category`` alone in which the rules alone do not flag it."""
    texts = [str(r["text"]) for r in rows if r["violations"] == [category]]
    return [text for text in texts if category not in flagged(pack, text)]


def fraud_pinned(pack: RulePack, text: str) -> bool:
    """Whether the customer rules pin the fraud script for ``text``."""
    return any(p.scenario == FRAUD for p in customer_pins(pack, text, PIN_SCENARIOS))
