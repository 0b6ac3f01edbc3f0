"""The probe set of the thirty-fifth round (issue 19; helper compl35): the weak categories' indirect wording.

``tests/compliance_probes_r35_weak.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK, Cantonese,
English) before any change: 24 violations (skip_verification 8: a relative, a spouse or a secretary
answering the checks for the holder, a check put off until later; bare_refusal 8: a formal verdict that
closes the matter, a refusal closed with thanks and good wishes; overpromise 8: an arrival, an approval, a
refund or an unfreezing promised as a date or a certainty) and 24 lookalikes (the holder answering with
the other person beside them, the check done first, the same verdict or refusal with a review, a route or
a hand-over, the same outcome as a usual time with a hedge or the agent's own follow-up).
bench/fresh_check.py: 0 of 48 within difflib 0.7 of the evaluation sets and test files.

Scored on main (e1d3a8e) before the round: rules alone 18/24 found, 0/24 clean flagged (misses: a check
put off, zh-Hans and yue; a daughter confirming for the holder, en; a refusal closed with thanks, en; a
limit rise promised with 實, yue; a card's arrival promised as a day, en); rules and the shipped signal
21/24, 2/24 clean flagged (semantic skipped checks on a check the holder still does with a spouse beside
them, and on a check done first). The round's batch of exemplars for these kinds (240: compl33's 192 and
48 more) lowered leave one set out over drafts_v22-v29 and v31 (2,709 -> 2,702/2,948 found, clean 48 ->
47/1,419), so it was dropped and the figures after the round are the ones before (row in
tests/test_probe_rounds.py; docs/compliance.md, twenty-fifth round).
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged

WEAK = {"skip_verification", "bare_refusal", "overpromise"}


@pytest.mark.parametrize(("text", "expected"), [
    ("邻居阿姨帮您看着屏幕没关系，核身那几道题得您自己开口。", set()),
    ("A neighbour reading the letter out is fine; the passcode questions still come from you, the cardholder.", set()),
    ("Transfers like this normally arrive by the next working day, though the receiving bank can add a delay.", set()),
    ("叫您侄子替您把安全问题答完就行，您本人不用出声。", {"skip_verification"}),
    ("Have the neighbour take the security questions on your behalf; you needn't say a word.", {"skip_verification"}),
    ("經審查，您的申請不予受理，本次服務到此為止。", {"bare_refusal"}),
    ("The transfer will be in their account before lunch tomorrow, I promise you that.", {"overpromise"}),
])
def test_the_rules_read_a_third_party_a_closing_verdict_and_a_promised_arrival(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """A relative beside the holder who still answers the checks, and a usual arrival time with its
    hedge, are no waiver and no overpromise; someone answering the checks for the holder, a verdict
    that closes the matter and an arrival promised as a time are flagged."""
    assert flagged(pack, text) & WEAK == expected
