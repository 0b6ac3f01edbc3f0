"""Fraud pins by scam type, nineteenth round (issue 20: fraud pins on wording never seen; a false alarm
almost as bad as a miss), on the frozen probe file ``tests/pin_probes_types_r19.jsonl``.

The file's first 192 lines (``written: first``) were written and committed before any change (8519e94):
81 scams in progress over sixteen types (an impersonated prosecutor on video with screen sharing, a safe
account, remote control, code asks, investment, romance, loan fees, refunds, task schemes asking for
top-ups, a relative incl. an AI-cloned voice whose "lawyer" comes for cash, toll and parcel pages, a
takeover told as a new payee plus a new device, a boss's wire, fake platform service, fake debt
collection, ritual fees) and 111 lookalikes weighted to past scams (54: found out later, "now I've come
to my senses", already reported, asking how to get the money back, over single-signal rules such as
remote control and safe accounts), call checks put as questions (26, "…said to move it. Legit?") and
genuine urgent payments (23). zh-Hans, zh-Hant-TW, zh-Hant-HK, Cantonese and English.

Scored on main before the change (rules and scam signal): 68/81 scams pinned, 14/111 false banners (past
4, call check 9, urgent payment 1; missed: takeover 6, relative 2, toll/parcel 2, task 1, boss 1, ritual 1).
After: 79/81, 2/111. The last 20 lines (``written: after``) were written after the change and measured
once: 7/9 scams, 0/11 false banners; the two takeover misses were widened by mechanism (「没设定过」 and
"neither of which I did" / "someone added" as disowning, "added a payee" and "registered an unknown
tablet" as access effects): 9/9, 0/11. All 212 lines: 88/90, 2/122.

The file's figures (what it holds, that no line copies a dev text, and per type the scams left unpinned and
the false banners) are its row in tests/test_probe_rounds.py; this module keeps the round's hand-written
examples.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assist.compliance.rules import RulePack
from assist.lookup.pins import FRAUD, TAKEOVER, customer_pins
from tests.probe_sets import PIN_SCENARIOS, fraud_pinned, read_rows

PROBES = Path(__file__).with_name("pin_probes_types_r19.jsonl")


def test_the_file_holds_192_lines_written_first_and_20_after() -> None:
    assert Counter(str(r["written"]) for r in read_rows(PROBES)) == {"first": 192, "after": 20}


@pytest.mark.parametrize("text", [
    "三个礼拜前有人教我装了远程协助，今天才知道被人转走了钱，该怎么追回",
    "前阵子照对方说的把存款挪进了保管账户，现在终于清醒了，还有机会拿回来吗",
    "早排有個人叫我將錢過去安全戶口，而家醒咗，我已經即刻凍結咗張卡",
    "Two weeks ago I let a 'technician' take over my laptop; now I've come to my senses, how can I get the money back?",
    "I realised once I hung up that the 'fraud officer' who had me shift funds was fake. Can the payment be recalled?",
])
def test_a_past_scam_told_as_over_raises_no_banner(pack: RulePack, text: str) -> None:
    """Back to one's senses, one's own remedy done, the loss found today or asking how to recover the money
    (``scam.disengaged.aftermath``) cancel every single-signal rule alike."""
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "前阵子被骗过，现在冷静下来了，可是那个人又打来让我再转两万到安全账户",
    "上周被骗了，我已经改了密码，现在对方还在电话上叫我下载远程软件",
    "He told me to change my password, and now he wants me to move my savings to a secure account right now.",
])
def test_a_new_demand_after_the_aftermath_still_pins(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "Bloke on the phone says my card's been cloned and to shift the balance to a fresh account. Legit?",
    "Did the bank just call me about a frozen card? They said to send the money on. I haven't paid anything yet.",
    "Quick question: is it normal for a bank to request screen sharing during a video chat with a customer?",
])
def test_an_english_call_check_put_as_a_question_raises_no_banner(pack: RulePack, text: str) -> None:
    """``scam.disengaged.check.en``: "Legit?", "did your bank just ring me", "I haven't paid anything yet"."""
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "While this so-called officer waits on the line I'm putting my pension into the secure account he named. Legit?",
    "Someone from 'the bank' wants me to move everything to a safe account and I'm moving it right now. Legit?",
])
def test_a_question_while_paying_still_pins(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "手机银行里冒出一个陌生收款人，还多了一部新设备登录，我从来没加过",
    "An unknown payee was added and a new laptop was registered to my online banking; I never set either up.",
])
def test_a_new_payee_and_a_new_device_disowned_pin_a_takeover(pack: RulePack, text: str) -> None:
    """Two access effects in separate words, disowned, pin without a lost access (``pins.ACCESS``)."""
    found = [p for p in customer_pins(pack, text, PIN_SCENARIOS, complete=False) if p.scenario == FRAUD]
    assert found and found[0].rule_id == TAKEOVER


@pytest.mark.parametrize("text", [
    "昨晚在平板上登入了手机银行，顺手给房东设了收款人，通知都是我本人弄的",
    "I added a new payee myself and then logged in on my new phone; is that why I got two alerts?",
])
def test_the_customers_own_new_payee_and_device_raise_no_banner(pack: RulePack, text: str) -> None:
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "电话里像我外孙的声音说他出事了，一会儿有个律师上门来取现金",
    "It sounded just like my grandson; he's in trouble and an attorney is coming by for the bail money tonight.",
    "The task app says I have to top up another 500 before they release my commission.",
])
def test_a_lawyer_at_the_door_and_a_task_top_up_pin(pack: RulePack, text: str) -> None:
    """``scam.asks.collect.*`` and ``scam.asks.fee.en``."""
    assert fraud_pinned(pack, text)


def test_a_real_solicitors_client_account_raises_no_banner(pack: RulePack) -> None:
    text = "My solicitor wants the deposit in the firm's client account by Friday; how do I raise my limit?"
    assert not fraud_pinned(pack, text)
