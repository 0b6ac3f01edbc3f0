"""The windows probe set of the twenty-first round (issue 19): words that hold another word's
characters, and a violation whose party or request is named in the sentence before it.

``tests/compliance_probes_r21_windows.jsonl`` was written fresh (zh-Hans, zh-Hant, Cantonese,
English) before the round's change: 24 violations (10 blames of the customer or another bank
told with 因为您/因為你/作为您 and "because you", nine of them slights of the customer too; 14
drafts of two sentences, a relative, a sent code, a claim of being the holder or a holding account
in the first and the disclosure, the request, the waived check or the transfer in the second) and
24 lookalikes (因为您/作为您/以为您 in explanations and offers, and the same first sentences
followed by a refusal, a warning or the checks kept). bench/fresh_check.py: 0 of 48 within difflib
0.7 of the evaluation sets and test files.

Scored on main (7a1177b) before the change, rules alone: 16/33 pairs found, 3/24 clean drafts
flagged. The round's measure is leave one set out over drafts_v20..v24 (docs/compliance.md,
"Twenty-first round: leave one set out"); the file's figures are its row in
tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack, _bound_start
from tests.probe_sets import flagged


def test_a_hit_bound_to_the_word_before_it_starts_on_its_last_character() -> None:
    assert _bound_start((1, 3), (0, 2))  # 为您 of 因为您 against 因为
    assert not _bound_start((18, 21), (16, 20))  # 给您转 after 优先给您: the phrase holds 给您, a word
    assert not _bound_start((1, 3), (0, 3))  # inside a longer phrase: its own case
    assert not _bound_start((2, 4), (0, 2))  # after it, not on it


@pytest.mark.parametrize("text", [
    "扣款没成功是因为您自己没存够钱，不是我们的问题。",
    "退款慢是因為您選錯了退款方式，這不是我們的責任。",
])
def test_because_you_is_no_offer_to_own_the_problem(pack: RulePack, text: str) -> None:
    """为您 inside 因为您 ("because you") is not 为您 ("for you"): the blame stands."""
    assert "blame_shifting" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "到账慢是清算行那边的问题，不是我们的责任，不过我马上为您催一下。",
    "作为您的理财经理，我马上为您查一下这笔钱去哪了。",
])
def test_for_you_still_owns_the_problem(pack: RulePack, text: str) -> None:
    """为您 alone ("for you") is an offer that clears blame.not_ours. Since the thirty-first round a party
    named beside the bank's part disowned (清算行那边的问题，不是我们的责任) is blame.disowned's, which an
    offer does not clear (the outside writers label that shape blame), so the reading is checked on
    blame.not_ours itself."""
    assert "blame.not_ours" not in {v.rule_id for v in pack.check(text, audience="agent")}


def test_an_offer_does_not_clear_a_blame_that_disowns_the_banks_part(pack: RulePack) -> None:
    text = "到账慢是清算行那边的问题，不是我们的责任，不过我马上为您催一下。"
    assert {v.rule_id for v in pack.check(text, audience="agent")} == {"blame.disowned"}
