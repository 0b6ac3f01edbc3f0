"""The probe set of the thirty-sixth round (issue 19; helper compl36): the weak categories in indirect wording.

``tests/compliance_probes_r36.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK, Cantonese,
English) before any change: 30 violations (disparaging_customer 10: sarcasm, condescension, a basic
step called beneath a schoolchild; bare_refusal 10: a final verdict or a "no" that closes the matter;
overpromise 10: an outcome told as already done, vouched for or "as good as" approved) and 30
lookalikes (the confusion blamed on the screen or the agent's own explanation, the same refusal with a
route, a review or a hand-over, the same outcome as a usual time with a hedge or a follow-up).
bench/fresh_check.py: 0 of 60 within difflib 0.7 of the evaluation sets and test files.

Scored on main (4128c7a) before the round: rules alone 17/30 found, 3/30 clean flagged (jargon 风控
twice, disparage.customer on the agent's own "I explained it poorly"); rules and the shipped signal
24/30 (bare refusal 9/10, overpromise 7/10, disparaging 8/10), 3/30 clean flagged. The round changed
how the thresholds' shared false-flag budget is allotted (counted violations per flag, not recall
fractions); the shipped signal's thresholds came out the same, so the figures after are the ones
before (row in tests/test_probe_rounds.py).
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged

WEAK = {"disparaging_customer", "bare_refusal", "overpromise"}


@pytest.mark.parametrize(("text", "expected"), [
    ("这种事我们这边一律不办，您不用再问了。", {"bare_refusal"}),
    ("这种事我们这边办不了，不过您可以在手机银行里自助申请，我教您。", set()),
    ("Don't worry about a thing, that card will be on your doormat by Thursday, you have my word.", {"overpromise"}),
    ("Cards usually arrive within five working days; if yours hasn't, ring us and we'll reissue it.", set()),
    ("呢啲咁基本嘅嘢都要問，你真係令我大開眼界。", {"disparaging_customer"}),
    ("呢個畫面設計得麻麻，撳錯好正常，我陪你再試一次。", set()),
])
def test_the_rules_read_a_closing_refusal_a_vouched_arrival_and_sarcasm(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """A refusal that closes the matter, an arrival vouched for and sarcasm about a basic question are
    flagged; the same refusal with a self-service route, a usual arrival time with a fallback and a
    mistake put down to the screen are not."""
    assert flagged(pack, text) & WEAK == expected
