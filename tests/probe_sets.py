"""What the probe-file and exemplar-file tests share: reading a labelled JSONL probe file, the
sentences of one exemplar file, whether each category has enough of them each way in every
language, and their near copies (difflib ratio >= 0.7) among the other exemplar files or a probe
file. A near copy would only add weight to the semantic signal, and one of a probe would make
that probe file's figures with the signal read better than they are. Also what a probe file's row
in tests/test_probe_rounds.py is checked with: what the file lacks (``uncovered``), the rules'
misses and pins on it, its figures with the signal, and ``Bound``, an expected count."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
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


def paired_languages(rows: list[dict[str, object]],
                     pairs: dict[str, str]) -> dict[str, tuple[Counter[str], Counter[str]]]:
    """Per scam type of ``pairs`` (scam type: its lookalike type), the languages of its lines and of its
    lookalike type's lines: a paired probe file writes both in the same languages."""
    def langs(kind: str) -> Counter[str]:
        return Counter(str(r["lang"]) for r in rows if r["type"] == kind)
    return {scam: (langs(scam), langs(lookalike)) for scam, lookalike in pairs.items()}


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


def unpaired_types(rows: list[dict[str, object]], pairs: dict[str, str], each: int) -> list[str]:
    """The scam types of ``pairs`` whose lookalike type is not in the same languages, ``each`` lines of each."""
    return [scam for scam, (scams, lookalikes) in paired_languages(rows, pairs).items()
            if scams != lookalikes or scams.total() != each]


def paired_file_problems(rows: list[dict[str, object]], pairs: dict[str, str], each: int,
                         languages: set[str]) -> list[str]:
    """What is wrong with a typed pin probe file: a scam type whose lookalike type is not in the same
    languages with ``each`` lines of each, a language other than ``languages``, a line whose ``scam``
    label disagrees with its type. Empty when the file is as written."""
    problems = [f"type {scam} unpaired" for scam in unpaired_types(rows, pairs, each)]
    found = {str(r["lang"]) for r in rows}
    if found != languages:
        problems.append(f"languages {sorted(found)}, not {sorted(languages)}")
    problems += [f"line {number}: scam={r['scam']} for type {r['type']}" for number, r in enumerate(rows, 1)
                 if bool(r["scam"]) != (r["type"] in pairs)]
    return problems


def missed_and_false(outcomes: Iterable[tuple[str, bool, bool]], kind: str) -> tuple[int, int]:
    """The scams of type ``kind`` left unpinned and its lookalikes pinned as fraud."""
    rows = [(scam, hit) for t, scam, hit in outcomes if t == kind]
    return sum(scam and not hit for scam, hit in rows), sum(hit and not scam for scam, hit in rows)


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


def uncovered(rows: list[dict[str, object]], categories: Iterable[str], languages: set[str], least: int = 0, *,
              violating: int = 0, clean: int = 0, each: int = 0, single_label: bool = False,
              per_category: bool = True) -> list[str]:
    """What a compliance probe file written for ``categories`` lacks: ``violating`` violating and
    ``clean`` clean drafts (``least`` of each at the least), ``each`` drafts labelled with each category
    alone, only its own categories labelled (one a draft at most where ``single_label``), and every
    language among the violating drafts, among each category's (unless not ``per_category``: a file
    written for a mechanism across categories) and among the clean ones."""
    violating, clean = max(violating, least), max(clean, least)
    violating_rows = [r for r in rows if r["violations"]]
    clean_rows = [r for r in rows if r["violations"] == []]
    gaps = []
    if len(violating_rows) < violating or len(clean_rows) < clean or len(rows) != len(violating_rows) + len(clean_rows):
        gaps.append(f"{len(violating_rows)} violating, {len(clean_rows)} clean of {len(rows)} rows")
    labelled = {str(c) for r in violating_rows for c in r["violations"]}  # type: ignore[attr-defined]
    if labelled != set(categories):
        gaps.append(f"categories labelled: {sorted(labelled)}")
    if single_label and any(len(r["violations"]) > 1 for r in violating_rows):  # type: ignore[arg-type]
        gaps.append("a draft labelled with more than one category")
    sides = {category: [r for r in violating_rows if r["violations"] == [category]] for category in categories}
    for side, side_rows in [*(sides.items() if per_category else ()), ("violating", violating_rows),
                            ("clean", clean_rows)]:
        langs = {str(r["lang"]) for r in side_rows}
        if langs != languages:
            gaps.append(f"{side}: languages {sorted(langs)}")
    gaps += [f"{category}: {len(side_rows)} drafts, fewer than {each}"
             for category, side_rows in sides.items() if len(side_rows) < each]
    return gaps


@dataclass(frozen=True)
class Bound:
    """An expected count of a probe table: the count ``op`` (``>=``, ``<=`` or ``==``) ``n``; with
    ``unit`` ``%``, ``n`` percent of the count's total; with ``short``, the total less ``n``; with
    ``of``, the total must be ``of`` too."""

    op: str
    n: int
    unit: str = ""
    of: int | None = None

    def holds(self, value: int, total: int) -> bool:
        if self.of is not None and total != self.of:
            return False
        left, right = {"": (value, self.n), "%": (100 * value, self.n * total),
                       "short": (value, total - self.n)}[self.unit]
        return {">=": left >= right, "<=": left <= right, "==": left == right}[self.op]

    def __repr__(self) -> str:
        bound = {"": f"{self.op} {self.n}", "%": f"{self.op} {self.n} % of the total",
                 "short": f"{self.op} the total less {self.n}"}[self.unit]
        return bound if self.of is None else f"{bound} of {self.of}"


def at_least(n: int, *, percent: bool = False) -> Bound:
    return Bound(">=", n, "%" if percent else "")


def at_most(n: int, *, percent: bool = False) -> Bound:
    return Bound("<=", n, "%" if percent else "")


def exactly(n: int, of: int | None = None) -> Bound:
    return Bound("==", n, of=of)


def all_but(n: int) -> Bound:
    """At least the total less ``n``."""
    return Bound(">=", n, "short")
