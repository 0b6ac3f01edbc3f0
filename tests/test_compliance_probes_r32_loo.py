"""The probe set of the twenty-third round (issue 19; helper compl32): the clean flags of leave one set out.

``tests/compliance_probes_r32_loo.jsonl`` was written fresh (zh-Hans, zh-Hant, Cantonese, English)
before the round's change: 30 violations (overpromise 7, skipped checks 6, bare refusals 6, in polite
frames and longer sentences, and 11 of the other categories) and 24 lookalikes (estimates with a
hedge, checks kept, refusals with a way forward, warnings, glossed terms, a fault owned).
bench/fresh_check.py: 0 of 54 within difflib 0.7 of the evaluation sets and test files.

Scored on main (b7e78cb) before the change: rules alone 28/30 found, 1/24 clean flagged; rules and
the shipped signal 29/30, 1/24. After (ways forward, glosses and denied predictions the lexicons did
not name): rules alone 28/30, 0/24; with the signal 29/30, 0/24 (the clean flag was an acronym
glossed with "is just the"). Of the four clean examples below, the first three were flagged before
the change. The round's measure is leave one set out over drafts_v22-v27 and v29
(docs/compliance.md, "Twenty-third round"); the file's figures are its row in
tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize("text", [
    "BIC is basically the bank's international address code, printed on your statement.",
    "这事我这边确实办不了，我这就把您转给信用卡部的同事接着处理。",
    "閣下的申請我們未能處理，可預約職員到府協助簽署。",
    "净值每天都在变，我没法告诉您年底能赚多少。",
])
def test_a_gloss_a_hand_over_or_a_denied_prediction_stays_clean(pack: RulePack, text: str) -> None:
    """A term glossed with "is basically the", a refusal handed to a colleague or with a visit to book,
    and a figure the agent will not predict are no jargon and no dead end."""
    assert flagged(pack, text) == set()


@pytest.mark.parametrize(("text", "category"), [
    ("Your BIC didn't validate, so the payment bounced.", "jargon"),
    ("这事我这边确实办不了。", "bare_refusal"),
    ("閣下的申請我們未能處理。", "bare_refusal"),
])
def test_the_same_without_the_way_forward_is_flagged(pack: RulePack, text: str, category: str) -> None:
    assert category in flagged(pack, text)
