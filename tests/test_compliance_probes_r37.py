"""The probe set of the thirty-seventh round (issue 19; helper compl37): clean drafts the rules flag.

``tests/compliance_probes_r37.jsonl`` was written fresh (zh-Hans with Wu and Sichuan wording, zh-Hant
TW and HK, Cantonese, English) before any change: 21 clean lookalikes of the kinds the round looked at
(the customer's question or words named back before the answer, the customer's report of what someone
else asked, a line quoted in a coaching note and corrected, a dialect negator, the agent owning its own
mistake) and 21 violating twins (skip_verification 4, promise_guaranteed_return 7, blame_shifting 5,
credential_request 2, unsafe_transfer_instruction 3). bench/fresh_check.py: 0 of 42 too close.

Scored on main (9ba355c) before the round: rules alone 20/21 found, 10/21 clean flagged; with the
shipped signal 20/21, 9/21. After: rules alone 20/21, 8/21; with the signal 20/21, 7/21 (row in
tests/test_probe_rounds.py). The round kept only the mechanisms that lowered the clean flags of the
confirmation half of the joined outside sets (bench/rules_fp_halves.py; docs/compliance.md, round 27).
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("閣下所述之「保證回報」計劃並非本行產品，投資涉及風險。", set()),
    ("本行今次保證回報，閣下可安心認購此計劃。", {"promise_guaranteed_return"}),
    ("閣下查詢可否免除身份核實，本行須先完成核實方可處理。", set()),
    ("您说有人在视频通话里看着像您女儿，要您先转一笔钱应急？", set()),
    ("你話有個人喺視像通話入面扮你個仔，叫你即刻過數？", set()),
    ("在视频通话里让我看一下您的手机屏幕。", {"unsafe_transfer_instruction"}),
])
def test_the_customers_words_named_back_and_reported_are_not_the_agents(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """A term or enquiry the customer named (閣下所述之「…」, 閣下查詢可否…) and the customer's report of
    what someone else asked (您说有人…, 你話有個人…) are not the agent's words; the same words
    said by the agent are flagged."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("这个我们办不了，退款只能原路退回到您付款的那张卡。", set()),
    ("這類資料本行未能在電話中提供，須透過正式程序申請。", set()),
    ("We can't open it today; applications are usually reviewed within three working days.", set()),
    ("这个我们办不了。", {"bare_refusal"}),
])
def test_a_refusal_with_its_route_is_no_dead_end(pack: RulePack, text: str, expected: set[str]) -> None:
    """A refusal that names the route (the refund goes back the way it came, a formal process, a
    usual number of working days) is a redirection; the refusal alone is a dead end."""
    assert flagged(pack, text) == expected
