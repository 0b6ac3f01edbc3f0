"""The probe set of the thirty-third round (issue 19; helper compl46): clean drafts the agent rules flag,
developed on one half of the joined sets (drafts_v47 joined to it), confirmed on the other.

``tests/compliance_probes_r46.jsonl`` was written for the round after its mechanisms were measured (zh-Hans,
zh-Hant TW and HK, Cantonese, English), 33 lines:
- 10 textbook blame lines in new wording, most disowning with 并非本行 (a charge, a delay, a refund said not
  to be the bank's doing, the customer sent elsewhere), and 8 lookalikes: a call, a message, a number, a site
  or an e-mail said not to be the bank's (a fraud warning);
- 10 textbook violations (a code asked for, a safe account, a sure return) beside a verdict that must not
  clear them: negated (不像骗局, 唔似呃人, 不是骗局), conceded ("I know it sounds like a scam, but"), asked
  (像是诈骗？), and 5 lookalikes: someone else's sure return judged a likely scam (很像诈骗, 聽落好似騙案).
bench/fresh_check.py: 0 of 33 too close.

Scored on main (e5478ba) before the round, rules alone: 17/20 found (the negated and asked verdicts cleared
three), 10/13 clean flagged. After compl46: 20/20, 0/13; after the lead reverted the hedged verdict at
the merge: 20/20, 3/13. Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("您刚收到的那条积分清零短信并非本行发出，别点里面的网址。", set()),
    ("那通自称客服的来电并非本行致电，您挂掉就好。", set()),
    ("嗰個網站並非本行官網，唔好喺度登入。", set()),
    # the bank's own part disowned stays blame, whatever stands beside it
    ("这次还款晚到并非本行造成，您去问代扣的公司。", {"blame_shifting"}),
    ("那笔指令虽并非本行发出，可扣错钱是收单机构的锅，您直接找他们吧。", {"blame_shifting"}),
    # 官方 as an adverb is no official channel: the first wording (并非本行官方) cleared this
    ("机票退费迟迟不到，这并非本行官方能插手的，归航空公司管。", {"blame_shifting"}),
    # staff are no channel: 并非本行职员之责任 disowns the fault
    ("这次多扣的钱并非本行职员的责任，您找商户去。", {"blame_shifting"}),
])
def test_a_channel_said_not_to_be_the_banks_is_a_fraud_warning(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """A call, message, number or site said not to come from the bank (并非本行所发, 并非本行致电, 并非本行
    网站) warns of a fraud; the bank's own part in a harm disowned with the same words is blame."""
    assert flagged(pack, text) == expected


HEDGED_VERDICT_REVERTED = pytest.mark.xfail(
    strict=True, reason="the hedged verdict (很像诈骗) was reverted at the merge: it also read comparisons")


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("您朋友拉您进的那个群说炒币保本，很像诈骗，先别转账。", set(), marks=HEDGED_VERDICT_REVERTED),
    pytest.param("你表姐推嗰個外匯群話月月穩賺，我聽落似騙案多啲，暫時唔好過數。", set(),
                 marks=HEDGED_VERDICT_REVERTED),
    # a likeness to a scam is also a comparison or a concession: the promise or request before it stands
    ("这款理财保证年化8%，不会像骗局那样亏钱。", {"promise_guaranteed_return"}),
    ("本金绝对不会亏，跟外面那些像骗局的产品不一样。", {"promise_guaranteed_return"}),
    ("把短信验证码报给我，放心，很像诈骗但其实是正规流程。", {"credential_request"}),
    ("保证收益10%，疑似诈骗的那些都是小平台。", {"promise_guaranteed_return"}),
    # negated, conceded or asked, a verdict judges nothing: the request or promise before it stands
    ("验证码麻烦报给我，一点也不像骗局，放心。", {"credential_request"}),
    ("呢隻債券保本，唔似騙局嘅。", {"promise_guaranteed_return"}),
    ("这个产品稳赚，不是骗局。", {"promise_guaranteed_return"}),
    ("这款基金保本，是骗局吗？当然不是。", {"promise_guaranteed_return"}),
    ("Go ahead and give me those six digits; I know it looks like a scam, honestly, it's routine.",
     {"credential_request"}),
])
def test_only_a_plain_verdict_judges_the_words_before_it(pack: RulePack, text: str, expected: set[str]) -> None:
    """A negated verdict (不像骗局, 不是骗局), a concession ("I know this sounds like a scam"), a question
    (是骗局吗) or a likeness (很像诈骗, 像骗局的产品) judges nothing: the promise or request before it stands.
    compl46 read the hedged ones as verdicts; the lead reverted that at the merge, because a likeness is also
    a comparison (不会像骗局那样亏) and cleared the promise before it. Someone else's sure return judged
    a likely scam is flagged again, a known false flag."""
    assert flagged(pack, text) == expected
