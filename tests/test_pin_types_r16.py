"""Fraud pins by scam type, sixteenth round (issue 20: scams in wording never seen), on the frozen probe
file ``tests/pin_probes_types_r16.jsonl``.

The file holds 69 scams in progress over 23 fraud types (impersonated police, prosecutors and courts;
customs and couriers; an impersonated bank, telecom, insurer, social-security office, regulator or
credit bureau; safe accounts; screen sharing and remote control; codes; investment and crypto platforms;
romance; loan fees; fake shop refunds; task and job schemes; a relative or friend in trouble; fake toll,
parcel and traffic-fine pages; SIM swaps; crypto kiosks; a boss's urgent wire; "your account will be
frozen"; prize tax; utility cut-offs; tech support; fake charities; rental deposits; told inside a
question to the bank), the way frightened people tell them (the fraudster unnamed, the money step
implied), and 126 lookalikes (real transfers to family, the customer's own investments, past scams,
"was that call really you?", real police and bank callbacks, limit and fee questions, each type's
everyday neighbours, and round 15's three carry-forward false banners in new wording), in zh-Hans,
zh-Hant-TW, zh-Hant-HK, Cantonese and English.

The first 195 lines were written and committed before the round's change (fde157e) and scored then:
64/69 scams pinned, 4/126 false banners (rules and scam signal); after the change 69/69, 0/126. The last
28 (``written: after``: 12 scams in new tellings, 16 lookalikes of the change's own mechanisms) were
written after it and measured once on it: 9/12 scams, 2/16 false banners (a customer asking for help at
an ATM that "keeps asking me to press confirm", a father robbed abroad whom the customer wants to pay);
then the change was widened by mechanism: 12/12, 0/16. All 223 lines: 81/81, 0/142, the floors asserted
here.

The file's figures (what it holds, that no line copies a dev text, and per type the scams left unpinned and
the false banners) are its row in tests/test_probe_rounds.py; this module keeps the round's hand-written
examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import fraud_pinned


@pytest.mark.parametrize("text", [
    "我外婆在自助存款机前不知道下一步按什么，机器提示她输密码，你们能不能派人教一下",
    "提款機畫面一直叫我按確認，我看不懂，有沒有人可以幫我",
    "部櫃員機叫我揀服務再撳確認，我唔識，可唔可以有人教我",
])
def test_a_machine_prompting_its_steps_is_no_ones_instruction(pack: RulePack, text: str) -> None:
    """A self-service machine's own prompts (scam.asks.control.zh's exception) and a wish that someone
    teach the customer (「有没有人可以帮我」, scam.party.zh's exception) name no stranger."""
    assert not fraud_pinned(pack, text)


def test_a_caller_steering_the_customer_at_the_machine_still_pins(pack: RulePack) -> None:
    assert fraud_pinned(pack, "对方在电话里让我去ATM按他说的操作，把钱转到他给的账户，我现在就在机器前面")


@pytest.mark.parametrize("text", [
    "上周我把短信验证码报给了一个说是客服的人，后来发现少了三千，还能找回来吗",
    "上個禮拜我讀咗個驗證碼俾一個扮銀行嘅人聽，啲錢仲追唔追得返",
    "半个月前我被人骗着说了验证码，账户里的钱被转走了，现在能申诉吗",
])
def test_a_code_handed_over_in_the_past_and_a_question_about_now_raises_no_banner(
        pack: RulePack, text: str) -> None:
    """scam.disengaged.past_told reads what was handed over then with its object (「把验证码报给了」,
    「读咗个验证码」) and the loss already felt (「账户里的钱被转走了」) as a past scam."""
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "前天我把验证码给了一个假客服，今天他又打来说还要我再转五千才能退回",
    "上个月我把验证码告诉了对方，现在他们又让我把剩下的钱转到安全账户",
])
def test_a_past_code_with_a_new_demand_now_still_pins(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "新卡寄到家里，单子上写着扫码激活，这样安全吗",
    "我收到一封开卡通知，要扫码绑定，是你们发的吗",
])
def test_scanning_a_code_to_activate_is_no_payment(pack: RulePack, text: str) -> None:
    assert not fraud_pinned(pack, text)


def test_scanning_a_callers_code_to_pay_still_pins(pack: RulePack) -> None:
    assert fraud_pinned(pack, "对方说我涉嫌洗钱，让我扫码把保证金交了，现在还在电话上")


@pytest.mark.parametrize("text", [
    "我自己打了卡背面的客服电话，客服说有笔消费被拦了，让我在App里确认一下，这样就行了吗",
    "I rang the number on the back of my card and the agent asked me to approve the payment in the app, is that it?",
])
def test_the_bank_reached_on_its_own_number_is_no_third_party(pack: RulePack, text: str) -> None:
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "我打了短信里给的号码，对方说是你们客服，让我把钱转到安全账户",
    "I called the number in the text and the man asked me to read him the code",
])
def test_a_number_a_text_gave_is_still_a_stranger(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


def test_a_court_garnishment_order_is_no_order_to_the_customer(pack: RulePack) -> None:
    """命令 after 扣押/支付 is a court paper (terms.directive), not someone ordering the customer."""
    assert not fraud_pinned(pack, "法院的支付命令寄到我单位了，我的工资卡会被扣掉多少")
