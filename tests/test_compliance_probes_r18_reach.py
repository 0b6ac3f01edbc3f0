"""The reach probe set of the eighteenth round (issue 19): what cancels a flag, and from where.

``tests/compliance_probes_r18_reach.jsonl`` was written fresh (zh-Hans, zh-Hant, Cantonese,
English) before the change, from the reach each category's ``unless`` needs
(``scripts_library/rules/reach.yaml``), not from anyone's misses: 42 violations whose cancel word
sits in ANOTHER sentence than the violation, out of its reach (12 bare refusals with an offer about
another matter two sentences on, 11 blames with help offered on another matter two sentences on, 11
slights with a kind word or "don't worry" in the next sentence, 8 bare terms beside a gloss of
another term before them or two sentences on), and 44 clean drafts the cancel makes clean (the
same refusals with the way forward in their sentence, the next or the one before; the blame with
the follow-up owned beside it; the count said kindly or the customer cleared in the same sentence;
the term glossed in its sentence or the next). Figures are in docs/compliance.md, "Eighteenth
round: reach".

The file's figures (what it holds, the rules alone on it, and with the signal under -m model) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged, read_rows

PROBES = Path(__file__).with_name("compliance_probes_r18_reach.jsonl")
CATEGORIES = ("bare_refusal", "blame_shifting", "disparaging_customer", "jargon")


def probe_rows() -> list[dict[str, object]]:
    return read_rows(PROBES)


def test_every_violation_holds_more_than_one_sentence() -> None:
    """The cancel sits in another sentence than the violation: each violating draft has two or more."""
    marks = ("。", ". ", "? ", "; ", "；", "？")
    assert all(sum(str(r["text"]).count(m) for m in marks) >= 1 for r in probe_rows() if r["violations"])


@pytest.mark.parametrize("text", [
    "这么简单的步骤都不会，真是服了您。不用担心，卡没有被冻结。",
    "咁簡單都唔識，真係服咗你。唔使擔心，張卡冇事。",
    "I've told you three times already, please try to keep up. No problem, the transfer did go through.",
])
def test_a_kind_word_in_the_next_sentence_does_not_undo_a_slight(pack: RulePack, text: str) -> None:
    assert "disparaging_customer" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "T+1就是下一个工作日到账。您的账户还要做一次尽职调查。",
    "H按即係同銀行同業拆息掛鈎嘅按揭。你仲要做埋壓力測試。",
    "Provisional credit means we put the money back while we look into it. "
    "After that it goes to the remediation queue.",
])
def test_a_gloss_before_another_term_does_not_explain_it(pack: RulePack, text: str) -> None:
    assert "jargon" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "这个业务电话里办不了。您可以带身份证到任何网点办理。",
    "你可以去分行開戶口。電話度開唔到。",
    "扣款失败是商户那边系统的问题。不过我来帮您联系商户，跟进到底。",
    "The merchant charged you twice; I'll raise the dispute with them for you right now.",
    "这个要做KYC。意思是我们需要核实一下您的身份资料。",
])
def test_a_cancel_in_the_neighbouring_sentence_still_cancels(pack: RulePack, text: str) -> None:
    """A way forward right after a refusal or right before it, owning the problem in the next
    sentence, a gloss in the next sentence: within reach."""
    assert not flagged(pack, text) & set(CATEGORIES)


