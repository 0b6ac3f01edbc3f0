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

The file's figures (what it holds, the rules alone on it, and with the signal under -m model) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import (
    flagged,
)


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


