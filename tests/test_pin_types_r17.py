"""Fraud pins by scam type, seventeenth round (issue 20: fraud pins on wording never seen), on the frozen
probe file ``tests/pin_probes_types_r17.jsonl``.

The file is weighted to the rarer fraud types and to the ways they are told: an account takeover told
only by its effects (the SIM suddenly dead, codes or login notices arriving unasked, a device, payee or
password the customer did not add; nobody instructs the customer), task schemes, a fake IPO or private
placement, a ritual or blessing fee, a marketplace "payment verification" link, a video or AI-voice
relative, fake debt collection, fake customs and parcel fees, a fake refund for a flight or an order,
a deposit before a loan, and a past scam with a new demand now. Its lookalikes are each type's
everyday neighbours: real alerts the customer wants checked (their own new phone, an unpaid bill,
travel), a legitimate freeze after a stranger's credit, real police requests, past scams told with
recent-time words (前两天, 昨晚, 琴日, "yesterday", "the other day"), new shares through the customer's own
broker, real charity and temple donations, real gig jobs, real refunds, loans and collections, and
relatives asking on video for everyday money. zh-Hans, zh-Hant-TW, zh-Hant-HK, Cantonese and English.

The first 176 lines were written and committed before the round's change (ecfff3e) and scored then
(rules and scam signal): 52/71 scams pinned, 2/105 false banners (every takeover missed; two real police
requests for statements pinned). After the change: 71/71, 0/105. The last 31 (``written: after``: 13
scams in new tellings, 18 lookalikes of the change's own mechanisms) were written after it and measured
once: 9/13 scams, 0/18 false banners; the misses were widened by mechanism (「没登过」 and 「打唔到出去」 as a
takeover's words, 「再致电」 as a caller, "demanding I send" as an ask): 13/13, 0/18. All 207 lines: 84/84,
0/123, the floors asserted here.

The file's figures (what it holds, that no line copies a dev text, and per type the scams left unpinned and
the false banners) are its row in tests/test_probe_rounds.py; this module keeps the round's hand-written
examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from assist.lookup.pins import FRAUD, TAKEOVER, customer_pins, customer_pins_many
from assist.text.normalise import normalise
from tests.probe_sets import PIN_SCENARIOS, fraud_pinned


@pytest.mark.parametrize("text", [
    "手机一整天都没信号，还收到好几条验证码，可我根本没申请过，现在还提示绑定了新设备",
    "No signal since lunchtime, and now there's a login from a phone that isn't mine on my banking.",
    "部手機突然冇晒訊號，跟住收到個新增收款人通知，我冇加過任何人",
])
def test_a_takeover_told_by_its_effects_pins_with_nobody_instructing(pack: RulePack, text: str) -> None:
    """Two kinds of effect (a dead line, codes or notices, a device, payee or password not added) that
    the customer disowns pin ``scam.takeover`` (pins.takeover_pattern)."""
    found = [p for p in customer_pins(pack, text, PIN_SCENARIOS, complete=False) if p.scenario == FRAUD]
    assert found and found[0].rule_id == TAKEOVER


@pytest.mark.parametrize("text", [
    "我刚换了新手机，登录的时候收到验证码和新设备提醒，是我自己操作的",
    "手机欠费停机了收不到电话，又收到你们一条验证码，我没申请，要紧吗",
    "I'm abroad so my SIM has no signal, and I got a code I didn't ask for; should I worry?",
    "收到一条验证码，我没申请过，其他都正常",
    "上个月手机卡被人补办，钱被转走了，已经报警，现在想开一份流水",
])
def test_one_effect_or_a_known_cause_or_a_past_takeover_raises_no_banner(pack: RulePack, text: str) -> None:
    """One effect alone is a question about an alert; an unpaid bill, travel, the customer's own new
    phone or a takeover long reported (``scam.effect.cause.*``) explain the effects."""
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "前两天点了个假链接，输过卡号，没输验证码，需要换卡吗",
    "昨晚我把卡号填进一个假冒快递的网页，今天已经冻结了卡",
    "The other day I typed my card number into a fake parcel page; should I cancel the card?",
])
def test_a_recent_past_with_what_the_customer_did_then_is_a_past_scam(pack: RulePack, text: str) -> None:
    """The recent past (term ``recent_past``, ``recent_en``) with what the customer did then reads as a
    past scam (scam.disengaged.past_told)."""
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "前天我把卡号填进了一个假网页，今天那边又打来让我再转三千才能退款",
    "Yesterday I gave a man my code, and now he wants me to move my savings to a safe account.",
    "昨天有个人打电话说我涉嫌洗钱，让我把钱转到安全账户，我还在跟他通话",
])
def test_a_recent_past_with_a_new_demand_now_still_pins(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "我确实收到过一笔陌生人转来的钱，派出所让我带身份证过去说明情况",
    "民警让我把那几笔汇款的交易明细打出来带过去",
])
def test_money_received_and_papers_brought_to_the_police_are_no_payment(pack: RulePack, text: str) -> None:
    """收到过一笔 is money in, and 带过去 a trip with papers (``scam.asks.money.zh`` exceptions)."""
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "有个风水师说我家有血光之灾，让我转两万做法事化解",
    "A psychic says my son is cursed and I must send 900 tonight for a cleansing ritual.",
])
def test_a_ritual_seller_is_a_stranger_and_the_misfortune_a_pretext(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


def test_a_relatives_temple_ceremony_is_everyday(pack: RulePack) -> None:
    assert not fraud_pinned(pack, "我妈想在寺里给外婆做一场法会，让我帮她把费用转给寺庙的对公账户")


def test_a_batch_of_lookups_pins_a_takeover_as_one_lookup_does(pack: RulePack) -> None:
    """customer_pins_many reads the takeover through the same fraud_pattern as customer_pins."""
    texts = ["手机突然没信号，接着收到你们的验证码短信，我没申请过", "我想查一下这个月的工资到账没有"]
    many = customer_pins_many(pack, texts, PIN_SCENARIOS, [normalise(t) for t in texts])
    assert [[p.rule_id for p in found] for found in many] == [
        [p.rule_id for p in customer_pins(pack, t, PIN_SCENARIOS)] for t in texts]
    assert many[0] and many[0][0].rule_id == TAKEOVER
