"""The probe set of the thirty-ninth round (issue 19; helper compl39): the scope engine's readings of clean drafts.

``tests/compliance_probes_r39.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK, Cantonese, English)
before any change: 12 clean drafts whose flagged words sit in a reading the scope engine might take
(并无 and 從無 as negations, a line quoted in a coaching note and corrected, the customer's report of a
fraudster's words going on past a 但, a claim named as a 说法, the customer's wish or question named
back, a third party's if-clause), each with a violating twin. bench/fresh_check.py: 0 of 24 too close
(one first draft of an English line was too close and was rewritten).

Scored on main's tip (a62d717), rules alone: 11/12 found (the fee-before-restore twin missed), 8/12
clean flagged. The round kept no mechanism: each one measured fixed development and library drafts and
probe lines, but none lowered the confirmation half's clean flags (docs/compliance.md, twenty-eighth
round), so the figures after are the figures before. The eight clean flags are the kinds left: 并无 and
從無 are no negations yet, a coaching note's quoted line (那句, 嗰句) is the agent's own, the customer's
wish or question (您想…, 您剛剛問…, 你話想…) is not named back, and a third party's if-clause reads as
an instruction. Thirty-first round (compl44): 那句 and 嗰句 became speech cues, confirmed on that round's
halves, so the two coaching lines are clean now (6/12 clean flagged). Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("这张存单并非保本理财，只是普通定期，到期本息照付。", set()),
    ("要是有人在群里发“内部渠道稳赚”的链接，您别点，直接退群。", set()),
    ("關於「包賺」這種說法，我必須講清楚：基金有機會蝕本。", set()),
])
def test_kept_readings_still_hold(pack: RulePack, text: str, expected: set[str]) -> None:
    """Readings the engine already takes (并非 negates, 要是有人 and 别 warn, 这种说法 names a claim)
    leave these clean drafts clean: the round changed none of them."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize("text", [
    "这份理财并无保本条款，亏损要自己承担。",
    "You mentioned your nephew: if he texts from a new number asking you to buy gift cards, ring his old number.",
])
def test_readings_measured_and_dropped_still_flag(pack: RulePack, text: str) -> None:
    """并无 as a negation and a third party's if-clause reaching its sentence were measured and dropped
    (no clean flag of the confirmation half fell): these lookalikes are still flagged, and a change that
    clears them must be confirmed on that half before this test is updated."""
    assert flagged(pack, text)
