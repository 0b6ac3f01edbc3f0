"""Fraud pins by scam type, twentieth round (issue 20: the misses of the last unseen set fell more than their
share on traditional characters and Cantonese, and on scams told indirectly), on the frozen probe file
``tests/pin_probes_types_r20.jsonl``.

All 216 lines (``written: first``) were written and committed before any change (3677626): 105 scams in
progress over fifteen types, 76 of them in zh-Hant-TW, zh-Hant-HK or Cantonese, none with a word for
"scam" or a safe account (fees to unlock loans, prizes and parcels, fake refunds, task and job deposits,
"police", "court" and "customs" demands, investment groups and apps, romance, a relative on a new number,
an impersonated boss, remote-help apps, "verify your account" transfers, crypto machines, gold and cash
couriers) and 111 lookalikes over 24 types (honest relatives and bosses asking for money, real police
reports of a past scam, couriers, app updates, debt collectors, charities, past scams that are over, "was
this call really you?", the bank's own fees, real investing, cash withdrawals, remote help and refunds).

Scored on main before the change (rules and scam signal): 94/105 scams pinned, 3/111 false banners (missed:
boss 3, courier_cash 3, loan_fee 1, job_deposit 1, task 1, crypto_atm 1, parcel_fee 1; false: real_remote
2, courier_real 1). After: 104/105, 0/111. These after-figures are not fresh: the misses were studied
before the mechanisms were chosen.

The file's figures (what it holds, that no line copies a dev text, per type the scams left unpinned and the
false banners, and the whole file's score) are its row in tests/test_probe_rounds.py; this module keeps the
round's own checks and hand-written examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import fraud_pinned, read_rows

PROBES = Path(__file__).with_name("pin_probes_types_r20.jsonl")
TRADITIONAL = {"zh-Hant-TW", "zh-Hant-HK", "yue"}


def test_most_of_its_scams_are_in_traditional_characters_or_cantonese() -> None:
    scams = [r for r in read_rows(PROBES) if r["scam"]]
    assert sum(str(r["lang"]) in TRADITIONAL for r in scams) >= 0.45 * len(scams)


def test_the_scams_are_told_without_a_word_for_scam_or_a_safe_account() -> None:
    """One zh-Hans line names 电诈 only as the crime a "police officer" accuses the customer of."""
    words = ("骗", "騙", "呃", "詐", "诈", "安全帳戶", "安全账户", "安全戶口", "scam", "fraud", "safe account")
    told = [r for r in read_rows(PROBES) if r["scam"] and any(w in str(r["text"]) for w in words)]
    assert [str(r["lang"]) for r in told] == ["zh-Hans"]


def test_traditional_and_cantonese_scams_pin(pack: RulePack) -> None:
    """All pinned until the twenty-fifth round's end; from utterances_v28 and v31's join to the scam signal's
    training (its zh completion threshold 0.485 -> 0.734) one zh-Hant-TW invest scam the signal had completed was
    left unpinned; the twenty-ninth round's demand bar for a stranger's demand completes it again (recorded in
    tests/test_probe_rounds.py)."""
    rows = [r for r in read_rows(PROBES) if r["scam"] and r["lang"] in TRADITIONAL]
    assert [(r["lang"], r["type"]) for r in rows if not fraud_pinned(pack, str(r["text"]))] == []


PINNED_AFTER = [
    # unlock reads Cantonese potential complements (返得工, 出得金) as the money or work released
    "招工的人講要先俾三千蚊保證金去佢指定嘅戶口先返得工",
    "做兼職嘅導師話我要再入三千蚊手續費先出得金",
    # scam.platform.zh: 代办 (Taiwan's loan middleman) and a parcel company's text ask as an app does
    "貸款代辦要我先轉兩萬到他給的帳號做金流，之後才撥得下來",
    "快遞公司的簡訊說包裹要補繳兩百元稅費才能派送，我點進去它要我輸入卡號",
    # scam.asks.collect.*: anyone, not only a "lawyer", collecting valuables at the home
    "佢叫我去金舖換晒啲錢做金條，夜晚有專人上嚟收",
    "電話那邊說等一下會派人來我家拿走現金幫我代管",
    "A courier is coming round this evening to collect the gold I bought, the man on the phone says.",
    # an impersonated boss arranging a payment to a new account, or writing from webmail
    "老闆叫我今日安排三十萬去一個新開嘅供應商戶口，仲話唔好同財務講",
    "An email from our finance director, from a gmail address, says to transfer 18,000 to a new vendor today.",
]
"""Sentences written after the change, one or two per mechanism."""
CLEAN_AFTER = [
    # the bank's own channel named between 你们的 and its staff (scam.ours.zh)
    "你哋嘅視像客服叫我開mon分享睇下個App點解閃退，係咪正常",
    # 个仔/个女 after a preposition is "my son", "my daughter" (scam.known.zh)
    "我上個禮拜自己裝咗遠端軟件，俾個女幫我整部電腦，想問要唔要刪咗佢",
    # signing for a delivery is no payment (scam.asks.money.zh exception)
    "外賣員送餐要我簽收，張單寫住已付款，點解我張卡扣咗兩次",
    # gold and cash for the customer's own ends
    "我想買幾兩黃金擺喺屋企，分行有冇得買",
    "我要提十萬現金俾裝修師傅，要唔要預約",
]


@pytest.mark.parametrize("text", PINNED_AFTER)
def test_each_mechanism_pins_a_sentence_written_after(pack: RulePack, text: str) -> None:
    assert fraud_pinned(pack, text)


@pytest.mark.parametrize("text", CLEAN_AFTER)
def test_its_lookalikes_written_after_raise_no_banner(pack: RulePack, text: str) -> None:
    assert not fraud_pinned(pack, text)
