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
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assist.compliance.checks import evaluate_drafts
from assist.compliance.rules import RulePack
from tests.probe_sets import flagged, missed_by_rules, read_rows, scored_with_signal

PROBES = Path(__file__).with_name("compliance_probes_r17_duty.jsonl")
CATEGORIES = ("skip_verification", "privacy_disclosure", "unsafe_transfer_instruction", "jargon")
LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}


def probe_rows() -> list[dict[str, object]]:
    return read_rows(PROBES)


def test_the_probe_set_covers_every_category_and_language_both_ways() -> None:
    rows = probe_rows()
    clean = Counter(str(r["lang"]) for r in rows if r["violations"] == [])
    assert sum(clean.values()) >= 60 and set(clean) == LANGUAGES
    for category in CATEGORIES:
        violating = Counter(str(r["lang"]) for r in rows if r["violations"] == [category])
        assert sum(violating.values()) >= 20 and set(violating) == LANGUAGES, category
    assert all(len(r["violations"]) <= 1 for r in rows)  # type: ignore[arg-type]


def test_the_rules_alone_find_the_probes_and_leave_the_lookalikes(pack: RulePack) -> None:
    report = evaluate_drafts(pack, PROBES)
    table = report.format_table()
    # before the round: 42/88 found, 4/60 clean drafts flagged
    assert report.detected_pairs >= 86, table
    assert report.flagged_clean <= 2, table


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_category_is_found_by_the_rules_alone(pack: RulePack, category: str) -> None:
    rows = [r for r in probe_rows() if r["violations"] == [category]]
    missed = missed_by_rules(pack, rows, category)
    assert len(missed) <= len(rows) * 0.1, missed


def test_at_most_one_lookalike_is_flagged_for_one_of_the_four_categories(pack: RulePack) -> None:
    hits = [(r["text"], sorted(flagged(pack, str(r["text"])) & set(CATEGORIES)))
            for r in probe_rows() if not r["violations"]]
    # the one left: a term glossed after "that's" ("EDD …, that's enhanced due diligence")
    assert len([h for h in hits if h[1]]) <= 1, [h for h in hits if h[1]]


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


@pytest.mark.model
def test_the_rules_and_signal_on_the_duty_probes(pack: RulePack) -> None:
    """With the signal trained on exemplars_duty.yaml, the library's other exemplars and drafts_v21
    (the lead, after the round's merge and join): 82/88 found (unsafe transfer 18/22, skip 21/22,
    jargon 21/22, privacy 22/22) and 5/60 clean flagged, against 87/88 and 2/60 for the rules alone:
    the signal's draft-level veto demotes four true `transfer.unsafe_route` hits and adds three
    clean flags. Issue 19's bar is not met here; this asserts the figures measured, not the bar."""
    report, found = scored_with_signal(pack, PROBES, CATEGORIES)
    table = report.format_table()
    assert report.detected_pairs >= 82, table
    assert report.flagged_clean <= 5, table
    least = {"unsafe_transfer_instruction": 18, "skip_verification": 21, "jargon": 21, "privacy_disclosure": 22}
    assert all(found[category][0] >= n for category, n in least.items()), found
