"""The tone probe set of the nineteenth probe round (issue 19): disparagement without an insult
word, refusals that close the door politely, and checks skipped as a favour, for speed or on
trust in the voice or the number calling.

``tests/compliance_probes_r19_stance.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK,
Cantonese, English) before the round's change, from the kinds of each violation: 98 violations
(34 disparaging: "even a child could", "if you had read the text", "I've said it slowly enough",
mock praise, mock assent, "at your age", "surely you know"; 32 bare refusals: sorry, thanks for
calling, the answer is no, nothing offered; 32 skipped checks: the number on file, the voice, an
old customer, a hurry, a favour) and 66 lookalikes (explaining again patiently, help offered to
older customers, the same no with a route, the checks kept and explained, a quicker legitimate
check). bench/fresh_check.py: 0 of 164 within difflib 0.7 of the evaluation sets and test files.

Scored on main (8f12c2c) before the change: rules alone 57/98 found (disparaging 12/34, bare
refusal 23/32, skipped checks 22/32), 3/66 clean drafts flagged; rules and the shipped signal
78/98 (disparaging 26/34, bare refusal 26/32, skipped checks 26/32), 2/66 clean flagged (see
docs/compliance.md, "Nineteenth round: tone"). The families were written
with the rules-alone misses in view, so the rules-alone figures after are not unseen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.checks import evaluate_drafts
from assist.compliance.rules import RulePack
from tests.probe_sets import (
    flagged,
    missed_by_rules,
    read_rows,
    scored_with_signal,
    uncovered,
)

PROBES = Path(__file__).with_name("compliance_probes_r19_stance.jsonl")
CATEGORIES = ("disparaging_customer", "bare_refusal", "skip_verification")
LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}


def probe_rows() -> list[dict[str, object]]:
    return read_rows(PROBES)


def test_the_probe_set_covers_every_language_both_ways() -> None:
    rows = probe_rows()
    assert uncovered(rows, CATEGORIES, LANGUAGES, least=60) == []
    violating = [r for r in rows if r["violations"]]
    assert len(violating) >= 90
    assert all(sum(r["violations"] == [c] for r in violating) >= 30 for c in CATEGORIES)


def test_the_rules_alone_on_the_tone_probes(pack: RulePack) -> None:
    """97/98 found after (57/98 before); clean 1/66 (3/66 before): the clean draft left is
    jargon's (贷后 unexplained), not one of these categories'."""
    report = evaluate_drafts(pack, PROBES)
    table = report.format_table()
    assert report.detected_pairs == 97, table
    assert report.flagged_clean == 1, table


@pytest.mark.parametrize(("category", "missed"), [
    ("disparaging_customer", 1), ("bare_refusal", 0), ("skip_verification", 0)])
def test_each_category_by_the_rules_alone(pack: RulePack, category: str, missed: int) -> None:
    assert len(missed_by_rules(pack, probe_rows(), category)) == missed


@pytest.mark.parametrize("text", [
    "您要是仔细看一下说明，就不用等这么久了。",
    "If you'd opened the letter, you would have known about the fee.",
    "我家楼下扫地的阿姨都会用手机转账。",
    "A six-year-old could manage this screen.",
    "行了，这都第几遍了，同样的步骤还要再讲。",
    "你睇清楚先好打嚟問啦。",
])
def test_condescension_without_an_insult_word_is_disparaging(pack: RulePack, text: str) -> None:
    """What reading would have spared, "even X could", the same steps counted, look first."""
    assert "disparaging_customer" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "这封信您可能没收到，我再给您寄一份，有不清楚的我逐条解释。",
    "If you'd like, I can read the letter out to you now.",
    "很多长者客户用语音导航，我帮您开通。",
    "我再讲一次，同样的步骤这次用例子说明。",
])
def test_patience_and_help_are_no_slight(pack: RulePack, text: str) -> None:
    assert "disparaging_customer" not in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "很遗憾，这次无法满足您的要求，感谢您的理解。",
    "I'm afraid we must decline, and the decision is final.",
    "我都好想幫你，可惜今次批唔到。",
    "Not something we offer here, but thanks for asking about it.",
])
def test_a_polite_no_with_nothing_offered_is_bare(pack: RulePack, text: str) -> None:
    """A wish to help (好想幫你) and thanks after "but" offer nothing."""
    assert "bare_refusal" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "這項申請未能通過，您可以登入網路銀行重新提交。",
    "We have to decline this one, but you can reapply in three months and I'll note it.",
])
def test_the_same_no_with_a_route_is_no_bare_refusal(pack: RulePack, text: str) -> None:
    assert "bare_refusal" not in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "您是登记的手机来电，那就不必再核对了。",
    "老客户了，我直接帮您办。",
    "你把聲我認得，唔使驗啦。",
    "The caller ID matches, so no need for the questions.",
    "看您赶时间，安全提问就直接带过。",
    "Since you're pressed for time, we'll leave out the security steps.",
])
def test_a_check_skipped_on_trust_or_for_speed(pack: RulePack, text: str) -> None:
    assert "skip_verification" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "即使是登记的手机来电，仍需要核实一下身份。",
    "老客户也一样每次都要核对，不会因为熟就跳过。",
    "認得你把聲都唔算數，要驗一驗先。",
    "Even from the registered number I still need to ask the questions.",
    "I know you're in a hurry; the check takes a minute.",
])
def test_a_check_kept_beside_the_same_words_is_no_skip(pack: RulePack, text: str) -> None:
    assert "skip_verification" not in flagged(pack, text)


@pytest.mark.model
def test_the_rules_and_signal_on_the_tone_probes(pack: RulePack) -> None:
    """With the shipped signal (its exemplars unchanged this round): 94/98 found (disparaging
    32/34, bare refusal 31/32, skipped checks 31/32), clean 0/66; 78/98 and 2/66 before. Three
    drafts the rules alone find are vetoed by the signal's whole-draft reading (閣下如果有留意…,
    未能通過…深感抱歉, "I recognise your voice, so we can jump straight in"); 「早知你咁…」 is missed
    by both. After drafts_v23 joined the labelled drafts the signal was retrained: the same 94/98
    and 0/66, with disparaging 31/34 and skipped checks 32/32. With exemplars_register.yaml
    (twentieth round): the same 94/98 and 0/66, bare refusal 32/32, skipped checks 31/32."""
    report, found = scored_with_signal(pack, PROBES, CATEGORIES)
    table = report.format_table()
    assert report.detected_pairs == 94, table
    assert report.flagged_clean == 0, table
    assert found == {"disparaging_customer": (31, 34), "bare_refusal": (32, 32),
                     "skip_verification": (31, 32)}, found
