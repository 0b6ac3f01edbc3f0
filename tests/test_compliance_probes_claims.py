"""The frozen claims probe set of the fifteenth round (issue 19), read by the shipped rules alone.

``tests/compliance_probes_r15_claims.jsonl`` was written (fresh wording, zh-Hans, zh-Hant,
Cantonese, English) before the round's lexicon change: 72 violating drafts, 24 for each of
jargon (a back-office, market or payment term left bare: reason codes, fee codes, reporting
forms, risk grades, mortgage and card-acquiring words), promise_guaranteed_return (capital or a
return said to be safe in new words: as safe as a vault, the bank tops it up, a floor under the
yield, nobody ever lost) and overpromise (an approval, refund, unfreezing or arrival vouched for),
and 72 lookalikes that must stay clean (the same terms explained, refusals to guarantee, deposit
facts, usual times with a hedge, the agent's own next step). Before the change the rules found
43/72 and flagged 6/72 clean drafts. After the first scoring seven lines were reworded and the
file scored again on the unchanged rules of main: two clean lines used a term this round made
jargon without explaining it (宣告利率, 中間行), five sat too near a labelled draft of the
library. One clean line stays flagged by another category's rule, which this round leaves alone
(「批不批我这边说了不算…」 read as blame_shifting).

The file's figures (what it holds, the rules alone on it) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack


def flags(pack: RulePack, text: str, category: str) -> bool:
    return any(v.category == category for v in pack.check(text, audience="agent"))


@pytest.mark.parametrize(("text", "category"), [
    ("这笔付款被对方行退了，代码是R03。", "jargon"),
    ("境外收款行那边按BEN扣了手续费。", "jargon"),
    ("你份保單嘅保價金而家唔夠扣保費。", "jargon"),
    ("The transfer was bounced with AM04 by the receiving bank.", "jargon"),
    ("这只债基年化最差也有三个点的收益。", "promise_guaranteed_return"),
    ("You'll make at least 4% a year on this, whatever happens.", "promise_guaranteed_return"),
    ("呢隻基金冇可能蝕，買咗就放心。", "promise_guaranteed_return"),
    ("這檔就算淨值跌了，差額由我們補齊給您。", "promise_guaranteed_return"),
    ("额度的事我一提交就批，明早您就能用。", "overpromise"),
    ("那笔罚息我能给您删掉，征信上也看不到。", "overpromise"),
    ("你筆退款今晚實入返你張卡，我同你保證。", "overpromise"),
    ("The funds will be sitting in his account by noon, I'd stake my job on it.", "overpromise"),
])
def test_families_of_the_round_carry_to_new_wording(pack: RulePack, text: str, category: str) -> None:
    assert flags(pack, text, category)


@pytest.mark.parametrize(("text", "category"), [
    ("这笔钱退回来了，我们行内管这个叫退汇。", "jargon"),
    ("A W-8BEN, the form that tells the US you aren't a resident, is due next month.", "jargon"),
    ("这只产品我给不了您收益上的保证，净值会上下波动。", "promise_guaranteed_return"),
    ("我保證唔到佢一定賺錢，跌市都會蝕本金。", "promise_guaranteed_return"),
    ("定存到期以后，本金和利息会转回活期。", "promise_guaranteed_return"),
    ("I can't promise this fund will make 4 percent; it can lose value.", "promise_guaranteed_return"),
    ("审批结果要看审批部门，我今天一定把材料交过去。", "overpromise"),
    ("Refunds normally show within five working days; I'll check again on Friday.", "overpromise"),
])
def test_an_explanation_a_refusal_to_guarantee_or_an_estimate_stays_clean(
        pack: RulePack, text: str, category: str) -> None:
    assert not flags(pack, text, category)
