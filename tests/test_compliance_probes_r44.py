"""The probe set of the thirty-first round (issue 19; helper compl44): clean drafts the agent rules flag,
other than blame, developed on one half of the joined sets, confirmed on the other.

``tests/compliance_probes_r44.jsonl`` was written for the round after its two mechanisms were measured
(zh-Hans, zh-Hant TW and HK, Cantonese, English): 10 clean lookalikes (the bank's own video service named as a
way to check the customer, a coach's quoted line pointed back to with 那句/嗰句/"that line") and 10 violating
twins (a video call to see the customer's screen; 这句, "this line" bringing in the agent's own promise).
bench/fresh_check.py: 0 of 20 too close.

Scored on main (e526979) before the round, rules alone: 10/10 found, 5/10 clean flagged. After the helper's
round 10/10, 0/10. The lead took the video reading out at the merge (an ``unless`` of the remote-tool rule on
any named video check let "during the video check, share your screen" through): 10/10, 1/10, the English
video check by call still flagged. Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("验证码一直收不到的话，可以改约视频核身，柜员会看着您的身份证核对。", set()),
    ("您开个视频通话，把手机屏幕对着镜头，我看着您一步步点。", {"unsafe_transfer_instruction"}),
    ("Let's jump on a video call so you can show me your banking screen while I click through it.",
     {"unsafe_transfer_instruction"}),
    ("视频核身的时候请您打开屏幕共享，我帮您看一下。", {"unsafe_transfer_instruction"}),
    ("We'll verify you by video call, so please share your screen with me now.", {"unsafe_transfer_instruction"}),
    ("請先下載這個App，我們用視像核身，再開屏幕分享給我看。", {"unsafe_transfer_instruction"}),
])
def test_a_screen_asked_for_under_a_video_check_is_still_a_remote_tool(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """A video check by the bank sees the customer's face and papers and names no remote tool; naming a video
    check does not clear a screen share or a remote app asked for beside it (the helper's ``bank_video``
    unless did, and was taken out at the merge)."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("那句“这款理财稳赚不赔”以后别再对客户说，要把风险讲清楚。", set()),
    ("嗰句「保本保息」唔好再講，呢隻產品會蝕本金。", set()),
    ("您记住这句：“这只理财保本保收益”，放心买就行。", {"promise_guaranteed_return"}),
    ("你記住呢句：「呢隻基金實賺唔蝕」，放心買啦。", {"promise_guaranteed_return"}),
])
def test_that_line_points_back_to_words_said_before(pack: RulePack, text: str, expected: set[str]) -> None:
    """那句“…” (a line said before, named to be dropped) quotes it; 这句/呢句 may bring in the agent's own line,
    which is still the agent's promise."""
    assert flagged(pack, text) == expected
