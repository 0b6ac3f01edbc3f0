"""The probe set of the thirty-second round (issue 19; helper compl45): clean drafts the agent rules flag,
developed on one half of the joined sets (drafts_v45 joined to it), confirmed on the other.

``tests/compliance_probes_r45.jsonl`` was written for the round after its mechanisms were measured
(zh-Hans, zh-Hant TW and HK, Cantonese, English): 8 clean lookalikes (the bank's video check by call, a call
back to the other party on a number the customer holds, a video call said to be fakeable) and 10 violating
twins (a video call to watch the customer's screen or transfer; a harm told with a negation and then put on
another party; a scam line asking to be rung back on the number the customer has). bench/fresh_check.py:
0 of 18 too close.

Scored on main (c5a7b4d) before the round, rules alone: 6/10 found, 6/8 clean flagged. After: 10/10, 0/8.
Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("短信收不到的话，可以约个视频通话，由专员看一下您本人和证件。", set()),
    ("A video call with our ID team is another way to confirm it's you if the code never comes.", set()),
    ("开个视频通话，您把手机对着电脑屏幕，我看着您登录网银。", {"unsafe_transfer_instruction"}),
    ("開個視像，你部手機對住部電腦，我睇住你過數。", {"unsafe_transfer_instruction"}),
    ("Hop on a video call with me and keep the camera on your laptop while you log in.",
     {"unsafe_transfer_instruction"}),
    # a remote tool needs no video watching: the screen share alone is flagged, video check or not
    ("视频核身的时候请您打开屏幕共享，我帮您看一下。", {"unsafe_transfer_instruction"}),
])
def test_a_video_call_is_a_remote_tool_only_when_the_screen_is_watched(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """A video check by the bank sees the customer's face and papers; a video call through which the agent
    watches the customer's screen, phone or steps is a remote tool (video_call with video_watched)."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("If your landlord texts new account details, ring them back on the number you already have first.", set()),
    ("Faces on a video call can be faked these days, so treat an urgent money request from one with care.",
     set()),
    ("Pick up the gift cards today and read me the codes, and call me back on the number you already have.",
     {"unsafe_transfer_instruction"}),
])
def test_a_call_back_to_the_other_party_is_a_fraud_warning(pack: RulePack, text: str, expected: set[str]) -> None:
    """Calling the other party back on a number the customer already holds is the check a fraud warning
    advises; a call back to the speaker ("me", "us") is not, and the request before it keeps its flag."""
    assert flagged(pack, text) == expected
