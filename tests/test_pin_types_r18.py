"""Fraud pins by scam type, eighteenth round (issue 20: fraud pins on wording never seen), on the frozen
probe file ``tests/pin_probes_types_r18.jsonl``.

The file spreads its scams in progress over sixteen fraud types (impersonated police, court, customs,
regulator or credit bureau; a safe account; screen share and remote apps; code asks; fake investment,
IPO and crypto; romance; a loan fee; a refund; task schemes; a relative in trouble incl. an AI voice or
video; toll and parcel pages; a SIM swap or takeover told by its effects, incl. effects of one kind and a
fake carrier's 5G upgrade; a boss's urgent wire; fake platform customer service; fake debt collection;
ritual fees) and weights its lookalikes to past scams told many ways (found out later, this month, last
week, already reported, asking the bank's help now), beside genuine call and SMS checks, real court
freezes and debt repayment, a real SIM replacement or 5G upgrade the customer asked for, real alerts the
customer wants checked and everyday payments. zh-Hans, zh-Hant-TW, zh-Hant-HK, Cantonese and English.

The first 183 lines were written and committed before the round's change (f1c82d7) and scored then
(rules and scam signal): 62/71 scams pinned, 2/112 false banners (eight takeovers told by one kind of effect
or a fake carrier's upgrade, one ritual fee; two past scams found out later). After the change: 70/71,
0/112; the one takeover left (a new payee and a new device, both access effects, no lost access now) is
allowed. The last 22 (``written: after``) were written after the change and measured once: 6/10 scams,
0/12 false banners; three takeover misses were widened by mechanism (「号换到新卡上」 as a moved number, a
"carrier" switching the line to 5G as disowned, password-reset mails and "says my credentials are wrong"
as effect and lost access; 「我自己把…」 as a known cause): 9/10, 0/12. The relative's "lawyer coming to
collect it" (the lawyer read as a known institution) is left. All 205 lines: 79/81, 0/124.

The file's figures (what it holds, that no line copies a dev text, and per type the scams left unpinned and
the false banners) are its row in tests/test_probe_rounds.py; this module keeps the round's hand-written
examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from assist.lookup.pins import FRAUD, TAKEOVER, customer_pins
from tests.probe_sets import PIN_SCENARIOS, fraud_pinned


@pytest.mark.parametrize("text", [
    "手机突然没信号，接着收到短信说我的号码补卡成功，我根本没补过卡",
    "有个自称电讯公司的人打来说要帮我升级5G，挂了以后手机就一直没信号",
    "My number was moved to a new SIM this morning and I never asked for it; the phone has no service.",
    "一直收到登录验证码，又收到修改密码的验证码，我没申请过，现在网银登不进去了",
    "I keep getting login codes I didn't ask for, and I'm locked out of my account now.",
])
def test_a_takeover_told_by_one_kind_of_effect_or_a_fake_carrier_pins(pack: RulePack, text: str) -> None:
    """A dead line and a new SIM the customer disowns are two kinds (``scam.effect.sim.*``); effects of one
    kind pin when the account is cut off now (``scam.effect.now.*``, pins.takeover_pattern)."""
    found = [p for p in customer_pins(pack, text, PIN_SCENARIOS, complete=False) if p.scenario == FRAUD]
    assert found and found[0].rule_id == TAKEOVER


@pytest.mark.parametrize("text", [
    "我自己去营业厅补办了手机卡，补卡成功后现在短信都收不到，怎么改绑",
    "手机突然没信号，现在还打不通，是不是你们系统出问题了",
    "我忘了密码，收到验证码，现在登不进去",
    "I upgraded to 5G at the carrier's shop myself and got a new SIM; now your texts don't arrive.",
    "我自己把号码换到新卡上了，现在没信号，要等多久",
    "I asked for a password reset email and now the app says my password is wrong, I probably mistyped it",
])
def test_a_known_cause_or_a_dead_line_told_twice_raises_no_banner(pack: RulePack, text: str) -> None:
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "后来才知道那个客服是假的，我已经挂失了卡，想问还能追回吗",
    "我把卡号填进一个假页面，卡里被划走两千，今天才发现",
    "上个礼拜俾人呃咗，今日先发现张卡仲俾人碌咗两次，想取消张卡",
    "I found out afterwards that the refund agent was a fraudster; what can the bank do now?",
    "Only this week did I notice the transfers; I've already reported it to the police.",
])
def test_a_scam_found_out_later_is_past(pack: RulePack, text: str) -> None:
    """Discovery words (「才发现」, 「先知」, "found out afterwards", "only this week did I notice") read a
    scam as past (``scam.disengaged.found_out``)."""
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "今天才发现卡里少了钱，刚刚那个人又打来让我把剩下的钱转到安全账户",
    "我今天才发现卡里少了钱，有人打电话说是银行的，让我把剩下的转到安全账户",
    "I only realised this month that the caller was fake, but now he's asking me to send another 500 to get it back",
])
def test_a_new_demand_after_the_discovery_still_pins(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "法院冻结了我的账户，我想把欠款一次还清，钱应该还到哪里",
    "法院说我的判决要执行，账户冻结了，我想先把钱还了再说，找谁办",
])
def test_a_real_enforcement_freeze_the_customer_wants_to_settle_is_no_scam(pack: RulePack, text: str) -> None:
    """The customer's own wish to repay (「我想先把钱还上」) is no instruction (``scam.asks.money.zh``)."""
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "有人说是法院执行局的，让我把钱转到他们的指定账户才能解冻",
    "自称法院的人说我的案子要执行，让我把钱转到安全账户，我想先把钱还上",
])
def test_a_third_party_demanding_a_transfer_to_settle_still_pins(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)
