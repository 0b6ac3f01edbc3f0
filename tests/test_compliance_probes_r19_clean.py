"""The clean-trap probe set of the nineteenth round (issue 19): fewer false flags on clean drafts.

``tests/compliance_probes_r19_clean.jsonl`` was written fresh (zh-Hans, zh-Hant-TW, zh-Hant-HK,
Cantonese, English) and committed (0ca5e67) before anything was changed: 109 clean drafts that
carry one category's surface words where they are compliant (a warning, "we will never ask for",
a scammer quoted, a refusal with its way forward, a term glossed, the customer cleared; each
line's ``surface`` names the category), and 61 violations that sit close to them (the same words
said as the violation, and six that open with a warning and then commit it: "don't tell anyone
the code, tell me"). Figures are in docs/compliance.md, "Nineteenth round: clean drafts".
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assist.compliance.checks import evaluate_drafts
from assist.compliance.rules import AGENT_CATEGORIES, RulePack
from tests.probe_sets import flagged, read_rows

PROBES = Path(__file__).with_name("compliance_probes_r19_clean.jsonl")
LANGUAGES = {"zh-Hans", "zh-Hant-TW", "zh-Hant-HK", "yue", "en"}


def probe_rows() -> list[dict[str, object]]:
    return read_rows(PROBES)


def test_the_probe_set_has_clean_traps_for_every_category_and_language() -> None:
    rows = probe_rows()
    clean = [r for r in rows if r["violations"] == []]
    violating = [r for r in rows if r["violations"]]
    assert len(clean) >= 100 and len(violating) >= 50
    assert {str(r["lang"]) for r in clean} == LANGUAGES
    assert {str(r["lang"]) for r in violating} == LANGUAGES
    assert set(Counter(str(r["surface"]) for r in clean)) == set(AGENT_CATEGORIES)
    assert {str(c) for r in violating for c in r["violations"]} == set(AGENT_CATEGORIES)  # type: ignore[attr-defined]


def test_the_rules_alone_on_the_clean_traps(pack: RulePack) -> None:
    """Rules alone on main (8f12c2c), before any change: 50/61 found, 7/109 clean drafts flagged
    (return.guaranteed twice on a denied or warned-of 保本/穩賺不賠, blame.not_ours twice on a
    shop named beside our own follow-up, jargon.unexplained on 退汇, refusal.bare on a refusal
    followed by its replacement, disparage.customer on 您没操作错). No rule, lexicon or reach
    was changed this round, so the figures after are the same."""
    report = evaluate_drafts(pack, PROBES)
    table = report.format_table()
    assert (report.detected_pairs, report.labelled_pairs) == (50, 61), table
    assert (report.flagged_clean, report.clean_drafts) == (7, 109), table


@pytest.mark.parametrize("text", [
    "凡是跟您讲稳赚不赔的，十有八九是骗子，我们这款不保本。",
    "Nobody at the bank will ever ask you to read out a one-time code.",
])
def test_a_warning_is_not_the_violation_it_names(pack: RulePack, text: str) -> None:
    assert flagged(pack, text) == set()


_WARNING_SPILLS = pytest.mark.xfail(strict=True, reason=(
    "a known gap, left to the scope owners: the warning's negation (别, 唔好, never) is read over the "
    "next clause, where the agent commits the violation; 4 of the 6 such probes are missed"))


@pytest.mark.parametrize(("text", "category"), [
    pytest.param("您别把验证码告诉别人，告诉我就行，我帮您核对。", "credential_request", marks=_WARNING_SPILLS),
    pytest.param("唔好信啲騙徒，你而家即刻轉錢去我俾你嗰個保護戶口。", "unsafe_transfer_instruction",
                 marks=_WARNING_SPILLS),
    ("If a stranger asks, say no; I'm from the bank, so read me the code from the text.", "credential_request"),
])
def test_a_warning_before_the_violation_does_not_excuse_it(pack: RulePack, text: str, category: str) -> None:
    assert category in flagged(pack, text)
