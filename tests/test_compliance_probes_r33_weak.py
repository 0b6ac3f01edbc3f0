"""The probe set of the thirty-third round (issue 19; helper compl33): the weak categories' far-below misses.

``tests/compliance_probes_r33_weak.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK, Cantonese,
English) before any change: 24 violations (skip_verification 8: a check waived as a favour or put off
until later; bare_refusal 8: a refusal closed politely with no way forward; overpromise 8: an outcome
promised as a date or a certainty) and 24 lookalikes (the check kept or done first, the same courteous
no with a route, an estimate with a hedge or a follow-up). bench/fresh_check.py: 0 of 48 within difflib
0.7 of the evaluation sets and test files.

Scored on main (7bf1d11) before the round: rules alone 18/24 found, 1/24 clean flagged (jargon); rules
and the shipped signal 22/24, 1/24. No change was shipped this round (exemplars written for these kinds
were not measured by leave one set out before the deadline, so they were not kept). The
round's measure is leave one set out over drafts_v22-v29 and v31 (docs/compliance.md); the file's figures
are its row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize("text", [
    "核实做完了，我现在帮您改预留手机号。",
    "This one's not something I can do here, but the branch can, and I'll book you a slot.",
    "退款通常五个工作日左右到账，具体要看商户那边。",
])
def test_a_check_done_a_route_or_a_hedge_stays_clean_for_the_rules(pack: RulePack, text: str) -> None:
    """A check finished first, a refusal with a booked route, and a usual time with a hedge are no
    waiver, no dead end and no overpromise."""
    assert flagged(pack, text) & {"skip_verification", "bare_refusal", "overpromise"} == set()


@pytest.mark.parametrize(("text", "category"), [
    ("核实就免了，我现在帮您改预留手机号。", "skip_verification"),
    ("This one's not something I can do. Thanks for calling.", "bare_refusal"),
    ("退款五个工作日内保证到账。", "overpromise"),
])
def test_the_same_with_the_check_waived_the_route_gone_or_the_hedge_gone_is_flagged(
        pack: RulePack, text: str, category: str) -> None:
    assert category in flagged(pack, text)
