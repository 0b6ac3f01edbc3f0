"""The stance probe set of the fifteenth probe round (issue 19): bare refusal, blame shifting and
disparaging the customer, and exemplars_stance.yaml, the semantic exemplars written with it.

``tests/compliance_probes_r15_refusal.jsonl`` was written fresh (zh-Hans, zh-Hant, Cantonese,
English) and scored on main (243140a) before the round's change: 52 violations (20 flat refusals,
some refusing the callback itself, 「也不会再打电话给您」, "we won't be calling you back"; 16 blames
on another party, a colleague, a vendor or the system, "not my job"; 16 slights: sarcasm,
condescension, 「唔識用就唔好用」, "didn't you read") and 52 lookalikes (the same words with a way
forward, the bank's own fault admitted, the customer cleared, 「您沒有按錯」, a warning about
scams). Before: rules alone 29/52 (bare_refusal 16/20, blame 8/16, disparaging 5/16), 3/52 clean
drafts flagged; rules and semantic signal 46/52 (18/20, 13/16, 15/16), 3/52 clean flagged.
After: rules alone 49/52 (19/20, 15/16, 15/16), 0/52; rules and signal 50/52 (19/20, 15/16,
16/16), 1/52 (a skip_verification semantic flag on a hand-over, another category's). The lexicon
additions were written with the misses in view, so the after figures on this set are no longer
unseen; the honest figure is bench/drafts_leave_one_out.py (docs/compliance.md).

The file's figures (what it holds, the rules alone on it, and with the signal under -m model) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize("text", [
    "这个改不了，我们也不会给您回电。",
    "We can't call you about that.",
    "The fee can't be waived and nobody will call you back.",
    "呢個改唔到，我哋都唔會覆你。",
    "这个办不了，您可以挂了。",
    "That's a no, you can hang up now.",
    "这份回单的原件我们补不上了。",
    "Our branch no longer takes cheques in foreign currency.",
])
def test_an_alternative_refused_or_a_send_off_is_no_way_forward(pack: RulePack, text: str) -> None:
    """An alternative phrase ("call you", 回电) inside what is refused offers nothing, and "you can
    hang up" is no way forward: the refusal stays a bare refusal."""
    assert "bare_refusal" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "The fee can't be waived, but I'll call you back tomorrow with a payment plan.",
    "我们不能给您回电话，不过您可以在手机银行留言，专员会回复。",
])
def test_an_alternative_offered_beside_a_refused_one_still_redirects(pack: RulePack, text: str) -> None:
    assert flagged(pack, text) == set()


@pytest.mark.parametrize(("text", "category"), [
    ("这笔延误是邮局的问题，跟我们银行没关系。", "blame_shifting"),
    ("收不到短信是运营商信号不好，我们这边没有责任。", "blame_shifting"),
    ("That's head office's rule; we just follow orders here.", "blame_shifting"),
    ("The courier lost it, not anything we did.", "blame_shifting"),
    ("我说了半天您还是跟不上，真是服了。", "disparaging_customer"),
    ("这么明显的骗局也信，您心真大。", "disparaging_customer"),
    ("Didn't you see the big red warning before you tapped it?", "disparaging_customer"),
    ("唔識用就唔好亂撳啦。", "disparaging_customer"),
])
def test_blame_and_slights_of_the_round_carry_to_new_wording(pack: RulePack, text: str, category: str) -> None:
    assert category in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "您没有点错，是页面卡住了，我帮您再提交一次。",
    "不怪您，这一步很容易按错，我陪您再来一遍。",
    "It wasn't your fault; the button moved in the last update.",
    "您的卡被邮局寄丢了，我马上给您补寄一张，运费我们出。",
    "The courier may have lost it, so I'll send a new card today.",
    "Did the transfer go through? Great, you did everything right.",
])
def test_the_customer_cleared_or_the_fault_owned_stays_clean(pack: RulePack, text: str) -> None:
    assert flagged(pack, text) == set()


