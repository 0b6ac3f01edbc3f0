"""The parties probe set of the twentieth probe round (issue 19): a holder's facts told, confirmed
or denied to someone other than the verified holder, and checks waived for a reason.

``tests/compliance_probes_r20_parties.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK,
Cantonese, English) before the round's change, from the kinds of each violation: 94 violations (48
privacy disclosures: a balance, a payment, an address, a phone, an employer, a loan's state, a card
or ID number in digits, in groups or in words, told to a spouse, a parent, a carer, a flatmate, an
employer, a landlord, a lawyer, a journalist, a debt collector or a caller claiming the police, a
court, a regulator or another team of the bank; "yes, she banks with us" and "no, he has no loans
with us"; statements sent to a contact given on the call; 46 skipped checks: waived on a
relative's consent, for urgency, a complaint, a premium tier, a supervisor's say-so, a system
outage, "you were checked last time", a part of the answers) and 66 lookalikes (the same callers
refused with a route, masked numbers, the facts told to the verified holder, the checks kept under
the same pressures, why the checks exist). bench/fresh_check.py: 0 of 160 within difflib 0.7 of
the evaluation sets and test files.

Scored on main (8f1426d) before the change: rules alone 55/94 found (privacy 29/48, skipped checks
26/46), 4/66 clean drafts flagged; rules and the shipped signal 79/94 (privacy 42/48, skipped checks
37/46), 6/66 clean flagged (see docs/compliance.md, "Twentieth round: parties"). The families were
written with the rules-alone misses in view, so the rules-alone figures after are not unseen.

The file's figures (what it holds, the rules alone, the misses per category and, under ``-m model``,
the rules and the signal) are its row in tests/test_probe_rounds.py; this module keeps the round's
hand-written examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import (
    flagged,
)

PROBES = Path(__file__).with_name("compliance_probes_r20_parties.jsonl")
CATEGORIES = ("privacy_disclosure", "skip_verification")
LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}


@pytest.mark.parametrize("text", [
    "讨债公司那边问起，她登记的手机号码是139开头那个。",
    "The person you're asking about does bank with us, and the loan is still outstanding.",
    "没有，您表哥在我们这里完全没有欠款。",
    "No, he's never had an account with us, if that helps the reporter.",
    "跟您透个底，他的车贷还剩一年。",
    "I'll send the last three statements to the email you just gave me.",
    "佢張卡號係四九一二，三三八七，零零二一，六五四三。",
    "她的身分證字號是A212345678，您記一下。",
])
def test_facts_told_confirmed_or_denied_to_others_are_disclosures(pack: RulePack, text: str) -> None:
    """Askers from outside the circle, denials, a confidence broken, an unverified contact, numbers in groups."""
    assert "privacy_disclosure" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "收数公司打来的电话，客户资料一个字都不会说。",
    "We neither confirm nor deny to reporters whether someone holds an account here.",
    "Your transfer to your daughter went through this morning.",
    "您卡号尾号是8812，对吗？",
    "要换接收账单的邮箱，请先在手机银行完成本人认证再修改。",
])
def test_refusals_masked_numbers_and_the_holders_own_facts_are_no_disclosure(pack: RulePack, text: str) -> None:
    assert "privacy_disclosure" not in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "您是私人银行客户，安全问题就不需要回答了。",
    "Since you've made a complaint, you won't need the passport check today.",
    "上次您已经核对过了，这回就跳过吧。",
    "We verified you last time, so I'll carry straight on with the change.",
    "核验系统宕机了，验证的事先放着，我先给您办。",
    "The ID system is down, so I'll go ahead without the security questions.",
])
def test_a_check_waived_for_a_reason_is_skipped(pack: RulePack, text: str) -> None:
    """A reason with an exemption and a named check; an earlier call; the system down."""
    assert "skip_verification" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "私人银行客户也一样要回答安全问题。",
    "Even with a complaint open, the passport check still has to be done.",
    "上次核对过，这次也要重新核对一遍。",
    "The ID system is down, so I can't make the change until it's back; I'll call you.",
    "您只答对了一题，还不够，再回答两道。",
])
def test_a_check_kept_under_the_same_pressure_is_no_skip(pack: RulePack, text: str) -> None:
    assert "skip_verification" not in flagged(pack, text)
