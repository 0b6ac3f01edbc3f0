"""Fraud pins by scam type, fifteenth round (issue 20), on the frozen probe file
``tests/pin_probes_types_r15.jsonl``.

The file holds, for six fraud types (an impersonated regulator or credit bureau closing a student-loan
"credit line", a fee to erase overdue records from a credit report, a boss or executive asking for an
urgent transfer by chat or e-mail, a fake shopping-platform refund, a SIM-swap follow-up, cash fed into a
crypto kiosk on a caller's orders) and for two carry-forward checks (「今天不能挂电话」 with a caller, the
Cantonese kin terms 阿妹/阿弟) and the tense of a scam (told as over, or over with a new demand now),
52 scams in progress and 96 lookalikes (past scams reported, "was that really you?" checks, credit-report
questions, a boss asking about payroll, a genuine loan closure, the customer's own purchase), in
zh-Hans, zh-Hant-TW, zh-Hant-HK, Cantonese and English.

Written and scored before the round's rule change: 49/52 scams pinned, 2/96 false banners; seven lines
were then reworded to stay clear of the dev sets (a ratio under 0.7), scored again on the rules before
the change: 49/52, 3/96. After the change: 52/52, 0/96, the floors asserted here.

The file's figures (what it holds, that no line copies a dev text, and per type the scams left unpinned and
the false banners) are its row in tests/test_probe_rounds.py; this module keeps the round's hand-written
examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import fraud_pinned, read_rows

PROBES = Path(__file__).with_name("pin_probes_types_r15.jsonl")
KINDS = {"past", "check", "credit_q", "payroll", "closure", "own", "kin"}


def test_the_lookalikes_are_of_every_kind() -> None:
    assert {str(r["kind"]) for r in read_rows(PROBES) if not r["scam"]} == KINDS


@pytest.mark.parametrize("text", [
    "我妈上礼拜被一个假警察骗了，对方让她把钱转到安全账户，她已经转了八万，现在怎么办",
    "舊年有人扮入境處叫我過數，我已經過咗，而家想拎返啲紀錄報警",
    "My dad already wired 8,000 to a man pretending to be from the tax office, can you recall it?",
])
def test_a_scam_told_as_over_with_the_money_already_gone_raises_no_banner(pack: RulePack, text: str) -> None:
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "上周有个自称客服的人让我转钱，我已经转了两万，他说还要再转三万才能退回",
    "上週我已經畀咗三萬個扮警察嘅人，佢而家又叫我再過兩萬",
    "上个月有个人说能帮我办贷款，让我交了两千手续费，我当时交了，他说还要交一笔税才能放款",
    "I already sent 2,000 to a fake courier last week, and now they say I must pay another 500 customs fee",
])
def test_a_past_scam_with_a_new_demand_now_still_pins(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "打嚟嗰個人話係你哋銀行，叫我講驗證碼，真係你哋打嚟咩",
    "刚才有个人说是你们客服，让我把钱转到安全账户，是你们的人吗",
    "Someone rang saying they were from your fraud team and wanted my PIN, did the bank really call me?",
    "刚才电话里的人说我涉嫌洗钱，要我去币机存钱，公安真的会这样要求吗",
])
def test_a_question_whether_the_call_was_real_raises_no_banner(pack: RulePack, text: str) -> None:
    assert not fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "有人说是你们客服，让我把钱转到安全账户，我正在转，是你们的人吗",
    "He says he's from your fraud team and wants my code now, did you set this up? He's still on the line",
])
def test_a_check_question_with_money_moving_now_still_pins(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


@pytest.mark.parametrize("text", [
    "今天不能挂电话，对方说先交解冻费才能解冻账户",
    "警官说今天不能挂电话，要我先交五千保证金才能解冻",
])
def test_a_caller_forbidding_a_hang_up_today_is_no_block_that_cancels_the_fee(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


def test_an_account_blocked_today_by_itself_is_no_fee(pack: RulePack) -> None:
    assert not fraud_pinned(pack, "我的卡今天突然不能提款了，是不是要先交什么费才能解除")


@pytest.mark.parametrize("text", [
    "阿妹就坐喺我隔籬，叫我幫佢過兩萬去佢朋友戶口",
    "阿弟而家喺我身邊，叫我幫佢過一萬去佢朋友個戶口交租",
])
def test_a_cantonese_younger_sibling_asking_in_person_is_a_named_relative(pack: RulePack, text: str) -> None:
    """阿妹 and 阿弟 are relatives by name (terms.relative_named): asking beside the customer is everyday
    (scam.disengaged.own_voice); before, only 佢 and 朋友 were read and the friend's account made a banner."""
    assert not fraud_pinned(pack, text)


def test_a_cantonese_younger_sibling_on_a_new_number_with_a_pretext_still_pins(pack: RulePack) -> None:
    assert fraud_pinned(pack, "阿弟用個新號碼WhatsApp我，話喺外國俾人扣咗，叫我即刻過五萬去佢朋友戶口")
