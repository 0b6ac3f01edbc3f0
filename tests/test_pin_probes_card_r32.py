"""The card itself held to a phone or shown to a camera on someone's word, thirty-second round (issue 20), on the probe
file ``tests/pin_probes_card_r32.jsonl``.

All 16 lines (``written: after``) were written after the rule's first draft and moved it twice (the customer's own
app or wallet: the card tapped to add it to a wallet, at a till or to read a balance), so the file is in sample: 8
cards pressed against a phone the caller sent or shown on a video call (``card_now``) and 8 cards tapped or shown for
the customer's own purpose (``card_own``); four scripts. The joined sets' figures are in docs/safe-answers.md.
"""

from __future__ import annotations

from pathlib import Path

from assist.compliance.rule_files import load_rule_pack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import pins
from tests.probe_sets import paired_file_problems, read_rows

PROBES = Path(__file__).with_name("pin_probes_card_r32.jsonl")
PAIRS = {"card_now": "card_own"}


def test_each_scam_type_has_its_lookalike_type_and_every_line_its_label() -> None:
    assert paired_file_problems(read_rows(PROBES), PAIRS, 8, {"zh-Hans", "zh-Hant-TW", "yue", "en"}) == []


def _hits(text: str) -> list[pins.Hit]:
    return load_rule_pack(SHIPPED_LIBRARY).hits(text, audience="customer")


def _card_shown(text: str) -> bool:
    return any(rule.id in pins.CARD_SHOWN for rule, _ in _hits(text))


def test_a_card_held_to_a_sent_phone_or_shown_on_video_is_an_instruction() -> None:
    assert _card_shown("对方让我把银行卡贴在他寄来的手机背面激活账户")
    assert _card_shown("佢叫我将张卡贴住佢寄嚟部手机，话係登记电子钱包")
    assert _card_shown("有人说要核实身份，要我在视频里把银行卡给他看")
    assert _card_shown("He told me to hold my bank card up to the camera so he could check it")
    assert _card_shown("She sent me a phone and I'm to tap my card on the back of it")


def test_a_card_tapped_for_the_customers_own_app_or_at_a_till_is_not() -> None:
    assert not _card_shown("你们的App让我把银行卡靠在手机背面绑定电子钱包，正常吗")
    assert not _card_shown("我想把信用卡加到手机的行动支付，要把卡贴在手机上吗")
    assert not _card_shown("Your app asked me to tap my card on the back of my phone to add it to the wallet")
    assert not _card_shown("I tapped my card on the card reader at the till and it was declined")


def test_the_stranger_and_the_card_shown_pin_and_the_training_gate_is_as_before() -> None:
    hits = _hits("有人打电话说是社保中心的，让我把银行卡贴在他寄来的手机后面做认证")
    assert pins.fraud_pattern(hits) is not None
    alone = _hits("Pension people rang and said I need to hold my bank card up to the camera on a video call")
    assert pins.partial_pattern(alone)
    assert not pins.training_gate(alone)
