"""What the probe-file and exemplar-file tests share: reading a labelled JSONL probe file, the
sentences of one exemplar file, whether each category has enough of them each way in every
language, and their near copies (difflib ratio >= 0.7) among the other exemplar files or a probe
file. A near copy would only add weight to the semantic signal, and one of a probe would make
that probe file's figures with the signal read better than they are."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from assist.compliance.checks import DraftReport, read_labelled_drafts, score_drafts
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


def pin_outcomes(pack: RulePack, path: Path) -> list[tuple[str, bool, bool]]:
    """(type, a scam in progress, fraud pinned) for each line of a typed pin probe file."""
    return [(str(r["type"]), bool(r["scam"]), fraud_pinned(pack, str(r["text"]))) for r in read_rows(path)]


def missed_and_false(outcomes: Iterable[tuple[str, bool, bool]], kind: str) -> tuple[int, int]:
    """The scams of type ``kind`` left unpinned and its lookalikes pinned as fraud."""
    rows = [(scam, hit) for t, scam, hit in outcomes if t == kind]
    return sum(scam and not hit for scam, hit in rows), sum(hit and not scam for scam, hit in rows)


def whole_score(outcomes: Iterable[tuple[str, bool, bool]]) -> tuple[int, int, int, int]:
    """(scams pinned, scams, lookalikes pinned, lookalikes) over a typed pin probe file's outcomes."""
    rows = list(outcomes)
    scams = [hit for _, scam, hit in rows if scam]
    false = [hit for _, scam, hit in rows if not scam]
    return sum(scams), len(scams), sum(false), len(false)


def over_floors(outcomes: Iterable[tuple[str, bool, bool]], missed: dict[str, int],
                false: dict[str, int]) -> list[str]:
    """The types whose missed scams or false banners exceed the counts a round measured."""
    rows = list(outcomes)
    over = []
    for kind in missed:
        left, pinned = missed_and_false(rows, kind)
        if left > missed[kind] or pinned > false[kind]:
            over.append(kind)
    return over


def scored_with_signal(pack: RulePack, path: Path,
                       categories: Iterable[str]) -> tuple[DraftReport, dict[str, tuple[int, int]]]:
    """A probe file scored by the rules and the shipped semantic signal: the report, and per
    category (found, labelled) over the drafts labelled with that category alone. Advisory
    findings do not count as found."""
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    report = score_drafts(pack, read_labelled_drafts(path), path.name, semantic=signal)
    rows = read_rows(path)
    found: dict[str, tuple[int, int]] = {}
    for category in categories:
        texts = [str(r["text"]) for r in rows if r["violations"] == [category]]
        hits = sum(category in {v.category for v in pack.check(text, audience="agent", semantic=signal)
                                if not v.rule_id.startswith("advisory.")} for text in texts)
        found[category] = (hits, len(texts))
    return report, found


def uncovered(rows: list[dict[str, object]], categories: Iterable[str], languages: set[str],
              least: int) -> list[str]:
    """What a compliance probe file written for ``categories`` lacks: ``least`` violating and
    ``least`` clean drafts, only its own categories labelled, and every language among each
    category's drafts and among the clean ones."""
    violating = [r for r in rows if r["violations"]]
    clean = [r for r in rows if r["violations"] == []]
    gaps = []
    if len(violating) < least or len(clean) < least or len(rows) != len(violating) + len(clean):
        gaps.append(f"{len(violating)} violating, {len(clean)} clean of {len(rows)} rows")
    labelled = {str(c) for r in violating for c in r["violations"]}  # type: ignore[attr-defined]
    if labelled != set(categories):
        gaps.append(f"categories labelled: {sorted(labelled)}")
    sides = {category: [r for r in violating if r["violations"] == [category]] for category in categories}
    for side, side_rows in [*sides.items(), ("clean", clean)]:
        langs = {str(r["lang"]) for r in side_rows}
        if langs != languages:
            gaps.append(f"{side}: languages {sorted(langs)}")
    return gaps
