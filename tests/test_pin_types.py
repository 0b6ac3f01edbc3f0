"""Fraud pins by scam type (issue 20, thirteenth and fourteenth rounds) on frozen probe files.

``tests/pin_probes_types_r13.jsonl`` holds, for each of 14 common fraud types (task and rating jobs,
investment platforms, loan fees, shop and courier refunds, police and courts, credit repair, game
trading, romance, a boss or acquaintance on a new account, fake purchases, screen sharing, codes for
a "security team", safe accounts, SIM swaps), five scams in progress and five lookalikes in zh-Hans,
zh-Hant-TW, yue and en. It was committed before the round's rule change and measured once before
(67/70 scams, 0/70 false banners) and once after it; the after-figures are floors here.

``tests/pin_probes_types_r14.jsonl`` holds, for each of 11 fraud types (a fake toll or parcel page
waiting for a second code, a relative abroad on a new e-mail or number, "Mum, it's me, new phone"
asking for a friend's account, a video call with a badge and a warrant for a court-supervised account,
courier customs fees, refund and compensation agents, task schemes, loan fees, investment and crypto
platforms, remote control, a "bank security department"), four scams in progress and four lookalikes
(a known relative paid as usual, the bank's own staff, a past scam, a call check, the customer's own
investment), one in each of zh-Hans, zh-Hant-TW, yue and en (``written: before``), written and
measured before the round's rule change (40/44 scams, 2/44 false banners), and 16 lines written after
it in other wording, measured once (``written: after``: 8/8 scams, 1/8 false banners, then 0).

The files' figures (what they hold, and per type the scams left unpinned and the false banners) are
their rows in tests/test_probe_rounds.py; this module keeps the rounds' hand-written examples.
"""

from __future__ import annotations

from collections import Counter

import pytest

from assist.compliance.rules import RulePack
from assist.lookup.pins import FRAUD, customer_pins
from tests.probe_sets import read_rows
from tests.test_probe_rounds import HERE, R13_TYPES, R14_TYPES

KNOWN = {FRAUD, "skip_verification", "third_party_inquiry", "complaint_severe"}


def test_the_frozen_file_holds_five_scams_and_five_lookalikes_of_each_type() -> None:
    counts = Counter((str(r["type"]), bool(r["scam"])) for r in read_rows(HERE / "pin_probes_types_r13.jsonl"))
    assert counts == {(t, s): 5 for t in R13_TYPES for s in (True, False)}


def test_the_r14_file_holds_each_type_in_four_languages_scam_and_lookalike() -> None:
    before = [r for r in read_rows(HERE / "pin_probes_types_r14.jsonl") if r["written"] == "before"]
    counts = Counter((str(r["type"]), bool(r["scam"]), str(r["lang"])) for r in before)
    langs = ("zh-Hans", "zh-Hant-TW", "yue", "en")
    assert counts == {(t, s, lang): 1 for t in R14_TYPES for s in (True, False) for lang in langs}


@pytest.mark.parametrize("text", [
    "收到短信说积分快过期，要点击链接兑换，是你们发的吗",
    "上个月点过一个假的通行费链接，当时没填东西，现在要换卡吗",
    "I got a text saying I owe a toll and clicked nothing, I deleted it",
])
def test_a_link_notice_the_customer_asks_about_or_left_is_no_fraud_pin(pack: RulePack, text: str) -> None:
    assert not any(p.scenario == FRAUD for p in customer_pins(pack, text, KNOWN))


@pytest.mark.parametrize("text", [
    "收到短信说ETC要停用，我点进去填了卡号，现在网页要我再输一个刚收到的验证码",
    "I clicked the link in a text about a parcel fee and now the page is asking for the code my bank sent",
])
def test_a_page_opened_from_a_message_that_waits_for_a_code_pins_fraud(pack: RulePack, text: str) -> None:
    pins = [p for p in customer_pins(pack, text, KNOWN) if p.scenario == FRAUD]
    assert pins and any(rule.startswith("scam.party.link.") for rule, _ in pins[0].words)
