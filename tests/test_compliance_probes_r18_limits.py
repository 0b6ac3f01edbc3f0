"""The limits probe set of the eighteenth probe round (issue 19): bare refusal, skipped
verification and blame shifting, and exemplars_limits.yaml, the semantic exemplars written with it.

``tests/compliance_probes_r18_limits.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK,
Cantonese, English) before the round's change, from the kinds of each violation rather than from
anyone's misses: 77 violations (26 refusals: a flat "can't", "the system won't let me", "policy
says no", "nothing to be done", "not our business", "go elsewhere", terse or polite; 25 skipped
checks: the ID deferred, a known balance or card digits taken as enough, the check noted as done,
the questions dropped, a spouse's or a policeman's word trusted, a wrong answer or a missing code
let through; 26 blames: the customer, another department, a vendor, the system, the merchant, the
regulator, "not my fault", "you should have") and 61 lookalikes (the same no with a route, a date
or a referral with its number; the checks done, explained, or a quicker legitimate route; the
fault owned, a cause explained with the follow-up taken on, a fair reminder beside help). Scored on
main (7bbce5c) before the change: rules alone 52/77 found (refusal 19/26, skipped checks 16/25,
blame 17/26), 4/61 clean drafts flagged. The lexicon families were written with those misses in
view, so the rules-alone figures after are not unseen; the honest figure for the exemplars is
bench/drafts_leave_one_out.py (docs/compliance.md, "Eighteenth round: limits").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.checks import evaluate_drafts
from assist.compliance.rules import RulePack
from tests.probe_sets import (
    flagged,
    missed_by_rules,
    read_rows,
    scored_with_signal,
    uncovered,
)

PROBES = Path(__file__).with_name("compliance_probes_r18_limits.jsonl")
CATEGORIES = ("bare_refusal", "skip_verification", "blame_shifting")
LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}
FOUND_WITH_SIGNAL = 74
CLEAN_WITH_SIGNAL = 1
LEAST_WITH_SIGNAL = {"bare_refusal": 25, "skip_verification": 24, "blame_shifting": 25}
"""What the rules and the signal trained with exemplars_limits.yaml find on the probes, at least,
and the clean probes they flag, at most (measured figures in docs/compliance.md)."""


def probe_rows() -> list[dict[str, object]]:
    return read_rows(PROBES)


def test_the_probe_set_covers_every_language_both_ways() -> None:
    rows = probe_rows()
    assert uncovered(rows, CATEGORIES, LANGUAGES, least=60) == []
    violating = [r for r in rows if r["violations"]]
    assert len(violating) >= 75
    assert all(sum(r["violations"] == [c] for r in violating) >= 25 for c in CATEGORIES)


def test_the_rules_alone_find_most_probes_and_leave_the_lookalikes(pack: RulePack) -> None:
    """72/77 found after (52/77 before); clean 2/61 (4/61 before): the two left are a referral to
    an insurer with the number sent and an outside vendor's error with the bank's responsibility
    owned in other words, both blame_shifting's."""
    report = evaluate_drafts(pack, PROBES)
    table = report.format_table()
    assert report.detected_pairs >= 72, table
    assert report.flagged_clean <= 2, table


@pytest.mark.parametrize(("category", "most"), [
    ("bare_refusal", 1), ("skip_verification", 4), ("blame_shifting", 0)])
def test_each_category_is_mostly_found_by_the_rules_alone(pack: RulePack, category: str, most: int) -> None:
    missed = missed_by_rules(pack, probe_rows(), category)
    assert len(missed) <= most, missed


@pytest.mark.parametrize("text", [
    "您就去别处问问吧，我们这边不清楚。",
    "那你搵第二個問啦。",
    "This isn't a bank matter, so try somewhere else.",
    "系统就是不让我改，我也没办法。",
    "The system just won't let me change that.",
])
def test_a_refusal_that_sends_the_customer_away_or_blames_the_system_is_bare(pack: RulePack, text: str) -> None:
    """Go elsewhere with nobody named, not our line, the system as the one who says no."""
    assert "bare_refusal" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "这不是本行的业务，您可以拨打税务局的热线，我把号码发给您。",
    "系統不讓我改，您可以到App的設定頁自己調整。",
    "The system won't allow it today; if you apply online it's done within two days.",
])
def test_the_same_no_with_a_route_is_no_bare_refusal(pack: RulePack, text: str) -> None:
    assert "bare_refusal" not in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "您当初就应该看清楚合同再签。",
    "你一早就應該問清楚先至買。",
    "You should have checked the amount before you confirmed.",
    "这个锅别怪我，是系统的问题。",
])
def test_should_have_and_not_my_fault_are_blame(pack: RulePack, text: str) -> None:
    assert "blame_shifting" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "下次转账前可以再核对一下收款人，这次我先帮您申请追回。",
    "You should have received a text from us this morning.",
    "这次是我们的失误，我马上帮您处理。",
])
def test_a_reminder_or_the_fault_owned_is_no_blame(pack: RulePack, text: str) -> None:
    """A reminder for next time holds no should_have; "should have received" names no care of the
    customer's."""
    assert "blame_shifting" not in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "您说是他太太，那我就把余额告诉您。",
    "你話你係佢阿媽，咁我讀俾你聽。",
    "Since you're his wife, I'll give you the balance.",
])
def test_a_claim_taken_in_place_of_the_checks_skips_them(pack: RulePack, text: str) -> None:
    assert "skip_verification" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "您说您是他儿子，那我们需要他本人来电授权。",
    "你話你係佢老公，咁都要佢本人授權先得。",
])
def test_a_claim_met_with_the_holders_consent_is_no_skip(pack: RulePack, text: str) -> None:
    assert "skip_verification" not in flagged(pack, text)


@pytest.mark.model
def test_the_rules_and_signal_on_the_limits_probes(pack: RulePack) -> None:
    """With the signal trained on exemplars_limits.yaml and the library's other exemplars: 74/77
    found (refusal 25/26, checks 24/25, blame 25/26), clean 1/61, the same as main's signal with
    this round's rules: on these probes the signal already read the kinds, and the new exemplars
    move no probe either way. The clean draft flagged is the vendor's error owned in other words
    (「但這是本行的責任」); the three missed are 另尋管道 after 業務範圍 in one sentence, a
    husband's word read as privacy only, and 有意見同佢講 after a regulator."""
    report, found = scored_with_signal(pack, PROBES, CATEGORIES)
    table = report.format_table()
    assert report.detected_pairs >= FOUND_WITH_SIGNAL, table
    assert report.flagged_clean <= CLEAN_WITH_SIGNAL, table
    assert all(found[category][0] >= n for category, n in LEAST_WITH_SIGNAL.items()), found
