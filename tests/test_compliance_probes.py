"""The frozen bare-refusal probe set of the fourteenth round, read by the shipped rules alone.

``tests/compliance_probes_r14.jsonl`` was written (fresh wording, zh-Hans, zh-Hant, Cantonese,
English) and scored before the round's lexicon change: 51 flat refusals with no way forward
(result complements such as 解不了, 查不到, 攞唔返; Cantonese 冇得…, 搞唔掂; English "no can do",
"not in a position to"; a favour refused and a rule quoted in the next sentence; the app named
only as what cannot do it either) and 46 lookalikes that must stay clean (the same refusals
with a channel, a person who calls back or a date; "we never ask for…" warnings; reassurance
that nobody can take the money). Before the change the rules found 23/51 and flagged 6/46; one
clean line was reworded after the first scoring (too close to a pack example) and is a privacy
flag the round leaves alone (「Your husband's balance isn't something I can share…」).

The file's figures (what it holds, the rules alone on it, each language's misses) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack


def refused(pack: RulePack, text: str) -> bool:
    return any(v.category == "bare_refusal" for v in pack.check(text, audience="agent"))


@pytest.mark.parametrize("text", [
    "这张卡的限额我这边调不下来。",
    "那份五年前的回单查不到了。",
    "外汇额度今年用完了，换不出来。",
    "佢張卡嘅凍結我哋解唔到。",
    "嗰筆年費冇得幫你豁免。",
    "Sorry, that's beyond what we can do for you.",
    "That old passbook can't be restored.",
    "手机银行里也开不了，我们这边同样开不了。",
    "The app can't do it either, and neither can I.",
    "这笔违约金我没法给您免。规矩就是规矩。",
])
def test_families_of_the_round_carry_to_new_wording(pack: RulePack, text: str) -> None:
    assert refused(pack, text)


@pytest.mark.parametrize("text", [
    "这张卡的限额我这边调不下来，我帮您提交复审，三个工作日内给您回电。",
    "那份五年前的回单电话里查不到，您可以在手机银行的电子回单里下载。",
    "佢張卡嘅凍結我哋解唔到，你可以帶身份證去分行即刻處理。",
    "That old passbook can't be restored, but the branch can print a full history for you.",
    "我们不会在电话里要您提供银行卡密码。",
    "账户冻结期间谁都取不出来这笔钱，您的资金是安全的。",
    "您说手机银行里也改不了？我帮您看一下是不是权限被关了。",
])
def test_a_way_forward_or_a_warning_stays_clean(pack: RulePack, text: str) -> None:
    assert not refused(pack, text)
