"""The probe set of the twenty-second round (issue 19): what the filters set aside.

``tests/compliance_probes_r22_loo.jsonl`` was written fresh (zh-Hans, zh-Hant, Cantonese, English)
before the round's change: 30 violations (waivers that name the check they waive, promises told by
a negation, 不如 suggestions to read a code or move money, a waiver said with 都冇所謂, unglossed
jargon, one-sentence disparagement and overpromise) and 20 lookalikes (the check named as kept or
done, disclaimers, 不如 offering a branch or a lower limit, 冇所謂 beside another check, glossed
terms, a confusing screen owned, estimates with a hedge). bench/fresh_check.py: 0 of 50 within
difflib 0.7 of the evaluation sets and test files.

Scored on main (ef80e11) before the change: rules alone 22/30 found, 0/20 clean flagged; rules and
the shipped signal 26/30, 0/20. After: rules alone 25/30, 0/20; with the signal 29/30, 1/20 (a
lookalike whose 都冇所謂 clause was hidden from the signal by a misread reported scope before, and
whose other check, a voice call, no ``check_kept`` phrase names). The round's measure is leave one
set out over drafts_v22..v27 (docs/compliance.md, "Twenty-second round"); the file's figures are
its row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "category"), [
    ("不如您把手机收到的六位验证码报给我，我帮您核对一下。", "credential_request"),
    ("唔使排隊，不如你而家就將張卡嘅密碼講俾我聽。", "credential_request"),
    ("不如您直接下载个远程协助软件，我在这边帮您操作转账。", "unsafe_transfer_instruction"),
])
def test_how_about_is_a_suggestion_not_a_negation(pack: RulePack, text: str, category: str) -> None:
    """不如 ("how about") asks for what follows it; its 不 negates nothing."""
    assert category in flagged(pack, text)


def test_how_about_a_branch_visit_stays_clean(pack: RulePack) -> None:
    assert flagged(pack, "不如您明天带上身份证去柜台办理，更快一些。") == set()


@pytest.mark.parametrize(("text", "reported"), [
    ("你記唔起預留答案都冇所謂，我照樣幫你解鎖。", False),  # it doesn't matter: no one else's words
    ("对方所说的安全账户根本不存在，冇所謂安全戶口嘅，請唔好轉錢。", True),  # "no so-called": still read
])
def test_it_does_not_matter_opens_no_reported_scope(pack: RulePack, text: str, reported: bool) -> None:
    reading = pack._read(text, "agent")
    kinds = {sc.kind for index in range(len(reading.ctx.sentences)) for sc in reading.scopes(index)}
    assert ("reported" in kinds) is reported
    assert flagged(pack, text) == set()
