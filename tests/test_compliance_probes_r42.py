"""The probe set of the forty-second round (issue 19; helper compl42): disparagement by a stereotype and by a
blame turned back, developed on one half of the joined sets, confirmed on the other.

``tests/compliance_probes_r42.jsonl`` was written for the round after its mechanisms were measured (zh-Hans,
zh-Hant TW and HK, Cantonese, English): 13 slights, each of one of the three composed families the round kept
(the customer's age with a failing put down to it; the customer's own act named as the cause of the harm;
turning to the bank only now, after the harm), and 11 clean twins (age named for a service, a failing said
to be normal, the customer's own setting named, "now" in a kindness, an error said not to be the
customer's own). bench/fresh_check.py: 0 of 24 too close.

Scored on main (abd8d23) before the round, rules alone: 1/13 found, 1/11 clean flagged (the error said not to
be the customer's own). After: 13/13, 0/11. Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("您这年纪了记性差，转账这种事还是交给别人吧。", {"disparaging_customer"}),
    ("你哋老人家唔識用app㗎啦，去分行排隊好過。", {"disparaging_customer"}),
    ("您上了年纪，看字吃力的话，我把短信字体调大一点。", set()),
    ("上了年紀記不住這麼多密碼很正常，我們一起把它改成好記的。", set()),
])
def test_age_with_a_failing_put_down_to_it_is_a_stereotype(pack: RulePack, text: str, expected: set[str]) -> None:
    """The customer's age named beside a failing it is blamed for is a slight; age named for a service, or a
    failing said to be normal, is none."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("这笔罚息是您自己逾期不还造成的，我们按合同收。", {"disparaging_customer"}),
    ("這筆損失是閣下自行透露密碼所致，本行無法承擔。", {"disparaging_customer"}),
    ("这次扣款失败并非您自己操作失误所致，是系统升级造成的，我帮您重新提交。", set()),
    ("閣下自行設定的轉賬限額已生效，如需調整可隨時致電本行。", set()),
])
def test_the_customers_own_act_named_as_the_cause(pack: RulePack, text: str, expected: set[str]) -> None:
    """The customer's own act as the harm's cause is blame thrown back; the customer's own setting named, or
    the error said not to be theirs (并非您自己), is none."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("钱都转出去了，您现在才来怪银行没提醒？", {"disparaging_customer"}),
    ("出咗事先嚟搵銀行，早啲做咩去㗎？", {"disparaging_customer"}),
    ("You ignored every warning and now it's our problem?", {"disparaging_customer"}),
    ("您现在来电反映这个问题很及时，我先帮您冻结卡片。", set()),
    ("你而家先發現都唔緊要，我哋即刻幫你凍結張卡。", set()),
])
def test_turning_to_the_bank_only_now(pack: RulePack, text: str, expected: set[str]) -> None:
    """'Only now, after the harm, you blame us' is hindsight thrown at the customer; 'now' in a kindness is not."""
    assert flagged(pack, text) == expected
