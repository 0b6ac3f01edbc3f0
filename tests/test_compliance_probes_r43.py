"""The probe set of the forty-third round (issue 19; helper compl43): blame said beside a help offer, developed
on one half of the joined sets, confirmed on the other.

``tests/compliance_probes_r43.jsonl`` was written for the round after its mechanisms were measured (zh-Hans,
zh-Hant TW and HK, Cantonese, English): 12 blames, each a party or a fault named beside the bank's own part
disowned (denied, said to be only routine, or sided against) with a help offer after it, or weather named as
the cause with nobody able to help it; and 11 clean twins (a party still processing with the agent following
it, the fault owned, weather named as a caution, a product not the bank's, a fraud warning that the caller is
not the bank). bench/fresh_check.py: 0 of 23 too close.

Scored on main (e526979) before the round, rules alone: 2/12 found, 1/11 clean flagged. After: 12/12, 1/11
(the English fraud warning "it's not us", flagged by blame.not_ours on main as after). Row in
tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("商户那边多扣了一笔是他们的系统出错，我们这边只是按流程走，我帮您提交核查。", {"blame_shifting"}),
    ("卡片遲遲沒寄到是快遞公司的問題，不是我們的錯，我幫您補寄一張。", {"blame_shifting"}),
    ("呢筆數慢咗係對方銀行嘅問題，唔關我哋事，我幫你跟下。", {"blame_shifting"}),
    ("The refund is late because the merchant made an error, nothing to do with us. I'll log it for you.",
     {"blame_shifting"}),
    ("商户那边还没处理退款，我帮您盯着进度，有结果马上通知您。", set()),
    ("多扣的那笔是我们系统出错，非常抱歉，我马上给您退回。", set()),
])
def test_blame_beside_a_help_offer_is_still_blame(pack: RulePack, text: str, expected: set[str]) -> None:
    """A party or a fault named beside the bank's own part disowned is blame though a help offer follows; a
    party still processing, or the fault owned, is none."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("额度一直调不上去是总行定的，我们分行管不到，我帮您转过去。", {"blame_shifting"}),
    ("额度要调的话得走总行审批，我现在就帮您递申请，大概三个工作日出结果。", set()),
])
def test_a_harm_told_with_a_negation_does_not_cancel_the_blame(pack: RulePack, text: str,
                                                               expected: set[str]) -> None:
    """调不上去 tells the harm; it leads into the blame, it does not negate it."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("大雪把机房线路压断了，这种事谁也控制不了，您明天再试。", {"blame_shifting"}),
    ("The typhoon knocked the lines out, nothing anyone could have done about it.", {"blame_shifting"}),
    ("台风天网点可能提早关门，您出门前可以先在手机银行查一下营业时间。", set()),
])
def test_weather_with_nobody_able_to_help_it(pack: RulePack, text: str, expected: set[str]) -> None:
    """Weather named as the cause with nobody able to help it is blame; weather named as a caution is none."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize("text", [
    "这只基金不是我行产品，跟我们没关系的部分您可以问销售它的机构，我帮您查它们的电话。",
    "电话那头自称是我们银行的同事要您的验证码，那肯定不是我们，请直接挂断。",
])
def test_a_product_not_ours_and_a_fraud_warning_disown_nothing(pack: RulePack, text: str) -> None:
    """A product said not to be the bank's, and a caller said not to be the bank, are facts and warnings."""
    assert "blame_shifting" not in flagged(pack, text)
