"""The stance probe set of the sixteenth probe round (issue 19): blame shifting, disparaging the
customer and bare refusal, and exemplars_voice.yaml, the semantic exemplars written with it.

``tests/compliance_probes_r16_stance.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK,
Cantonese, English) before the round's change, from the kinds of stance rather than from anyone's
misses: 73 violations (27 blames: the merchant, a vendor, the post, the regulator, "upstairs", a
colleague who left, the system, the customer in the passive, "we didn't press it for you"; 24
slights: impatience counted out loud, other customers or children held up, age and schooling
digs, mock praise for a mishap, "simple terms so you can follow"; 22 refusals: a policy wall, "no
such service", a topic closed, 就係咁 after a no, a refused alternative alone) and 63 lookalikes
(the same parties with the follow-up owned, the bank's fault admitted, the customer cleared,
genuine praise, a refusal with a channel or a date, a principled no, 就係咁 closing a process
that goes on). Scored on main (bbd2f87) before the change: rules alone 27/73 found (blame 5/27,
disparaging 4/24, refusal 18/22), 2/63 clean drafts flagged; rules and semantic signal 61/73
(19/27, 21/24, 21/22), 3/63. After: rules alone 71/73 (26/27, 24/24, 21/22), 0/63; rules and
signal 71/73 (26/27, 23/24, 22/22), 3/63. The lexicon entries were written with the rules-alone misses in
view, so the after figures of the rules alone on this set are not unseen; the honest figure for
the exemplars is bench/drafts_leave_one_out.py (docs/compliance.md, "Sixteenth round: stance").

The file's figures (what it holds, the rules alone on it, and with the signal under -m model) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize("text", [
    "这个卡种早就停发了，就这样。",
    "張單據過咗期，我哋唔收，就係咁。",
    "We won't be changing the fee and that's that.",
])
def test_a_closing_after_a_no_closes_the_no(pack: RulePack, text: str) -> None:
    assert "bare_refusal" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "好，就係咁，聽日見。",
    "那就这样，再见。",
    "手续就这样，签完字就办好了。",
])
def test_a_closing_alone_is_no_dead_end(pack: RulePack, text: str) -> None:
    """「就係咁」 closes a plan agreed as often as a no: alone it refuses nothing."""
    assert "bare_refusal" not in flagged(pack, text)


@pytest.mark.parametrize(("text", "category"), [
    ("这件事您找寄件的物流公司理论去，我们只负责发卡。", "blame_shifting"),
    ("啲信寄唔到係郵政嘅事，你同佢哋講啦。", "blame_shifting"),
    ("The form was filled in wrong on your side, so this isn't something we can be blamed for.", "blame_shifting"),
    ("付款键又唔係我哋幫你撳，點可以怪銀行？", "blame_shifting"),
    ("这个我已经跟您讲了四次了。", "disparaging_customer"),
    ("其他客人一分鐘就弄好，只有您還在問。", "disparaging_customer"),
    ("Wow, locked out twice in one morning, quite an achievement.", "disparaging_customer"),
    ("I've gone over this three times now.", "disparaging_customer"),
])
def test_blame_and_slights_are_read_by_their_kind(pack: RulePack, text: str, category: str) -> None:
    """Sending the customer back to another party, the bank cleared by a rhetorical question,
    a count of how often it was said, a comparison with others, mock praise for a mishap."""
    assert category in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "確認鍵係我哋預設咗，唔係你撳錯，我幫你改返。",
    "Plenty of customers get stuck on this screen; I'll go through it with you.",
    "其他客人也常卡在這一步，我陪您一起操作。",
    "本行未能於電話辦理此項變更，閣下可親臨任何分行辦理。",
    "物流公司把信寄丢了，我马上给您补寄，我们来跟他们交涉。",
])
def test_the_customer_cleared_or_a_way_forward_stays_clean(pack: RulePack, text: str) -> None:
    assert flagged(pack, text) == set()


