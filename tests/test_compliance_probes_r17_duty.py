"""The probe set of the seventeenth round (issue 19): skipped checks, privacy, unsafe transfers and
jargon, and exemplars_duty.yaml, the semantic exemplars written with it.

``tests/compliance_probes_r17_duty.jsonl`` was written fresh (zh-Hans, zh-Hant Taiwan and Hong
Kong, Cantonese, English) from the four categories' definitions and scored on main (880d24f)
before the round's change: 88 violations, 22 a category (a check waived "just this once", on a
voice, answered by a relative or friend for the caller, passed on one answer, called a formality,
a second factor switched off, the check left until after the business; a holder's balance, loan,
bill, salary, cheque or address told to a relative, partner, flatmate, landlord, or already sent
to an accountant, HR or an assistant; money moved to a protective or new-opened account, split to
stay under a limit, a fee paid to unlock, sent first and checked later, turned into crypto or gift
cards; bare acronyms, internal codes and lending or regulatory terms) and 60 lookalikes (the check
kept, the caller's own facts, a verified power of attorney, warnings about safe-account scams,
terms explained). Twelve lines were reworded after the first scoring because they sat within
difflib 0.7 of a library draft, an exemplar or another probe file, and the file was scored again.

Before (main, rules alone): 42/88 (skip_verification 7, privacy 11, unsafe transfer 6, jargon 18
of 22), 4/60 clean drafts flagged (two on a verified power of attorney, a jargon term glossed after
"that's", a bare refusal). After, rules alone: 87/88 (jargon 21: a bare RPQ score beside 风险等级,
which `gloss` reads as an explanation), 2/60 (the glossed "that's" and the bare refusal). The
families were written with this file's misses in view, so the after figures here are in-sample;
the honest figures are bench/drafts_leave_one_out.py and the fresh check named in
docs/compliance.md ("Seventeenth round: duties").

The file's figures (what it holds, the rules alone on it, and with the signal under -m model) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged

CATEGORIES = ("skip_verification", "privacy_disclosure", "unsafe_transfer_instruction", "jargon")


@pytest.mark.parametrize(("text", "category"), [
    # a proxy answers the checks, or a partial answer is counted enough
    ("您姐姐在旁边吧？让她替您回答那几个预留问题。", "skip_verification"),
    ("Your son can take the security questions on your behalf, no problem.", "skip_verification"),
    ("尾号说对了，其他两题就不必了，我直接给您解锁。", "skip_verification"),
    # a second factor switched off, a check called a formality
    ("我帮您把交易验证停用，以后转账不用再收短信。", "skip_verification"),
    ("The security check is just a formality, so I'll move the payment now.", "skip_verification"),
    # a holder's fact already told to someone who works for or beside the caller
    ("您的助理下午来电，我已经把您信用卡的额度告诉她了。", "privacy_disclosure"),
    ("I already told your accountant the overdraft balance this morning.", "privacy_disclosure"),
    # where the money goes, how it is split, what it pays for, when it is checked
    ("您把工资卡上的钱挪到我们替您开的临时户上，过两天再挪回来。", "unsafe_transfer_instruction"),
    ("一次转太多会被拦，您分几笔转就不会触发。", "unsafe_transfer_instruction"),
    ("要解冻得先缴一笔手续费到审核账户。", "unsafe_transfer_instruction"),
    ("Send it across now and we'll confirm who you are once it's gone through.", "unsafe_transfer_instruction"),
    ("Pick up some gift cards and read me the codes so the money is safe.", "unsafe_transfer_instruction"),
    # a code read out after the word for a code
    ("这笔汇款被退回，原因码是AC04。", "jargon"),
])
def test_families_of_the_round_carry_to_new_wording(pack: RulePack, text: str, category: str) -> None:
    assert category in flagged(pack, text)


@pytest.mark.parametrize("text", [
    # the proxy kept out of the answers, the check kept after a partial answer
    "您姐姐可以在旁边，但预留问题要您自己回答。",
    "尾号说对了，还差两题，答完我再给您解锁。",
    # a second factor kept, the fact withheld from the assistant
    "交易验证建议您一直开着，它能挡住别人转走您的钱。",
    "您的助理来电问额度，我们没有透露，请您本人查询。",
    # the money stays put; a new card is no new account; a code glossed
    "卡已经临时冻结，钱留在原账户，您不用转到任何地方。",
    "补办的新卡到了以后，余额会自动跟着账户走，不需要您转账。",
    "原因码AC04的意思是收款账号不对，钱会原路退回。",
    # the bank's own shipped wording: a balance moved to the customer's new account on closing
    "销户前，卡里的余额可以转到您本人的其他账户。",
])
def test_kept_checks_withheld_facts_and_warnings_stay_clean(pack: RulePack, text: str) -> None:
    assert not flagged(pack, text) & set(CATEGORIES)


