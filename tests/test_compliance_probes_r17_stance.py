"""The manner probe set of the seventeenth probe round (issue 19): disparaging the customer, blame
shifting and bare refusal, and exemplars_manner.yaml, the semantic exemplars written with it.

``tests/compliance_probes_r17_stance.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK,
Cantonese, English) before the round's change, from the kinds of manner rather than from anyone's
misses: 64 violations (32 slights, eight a language: mock praise for a mishap, "even a child can",
impatience counted out loud, age digs, a rhetorical "did you not read it?", mock assent, lecturing,
the customer's wits; 16 blames: a carrier, a salesman, head office, a colleague who left, a
marketing team, a contractor; 16 refusals: a flat no, a topic closed, a branch that does not do
it) and 64 lookalikes (genuine praise, a repetition offered kindly with its count, "many people
find this hard", an honest reminder, the same parties with the follow-up owned, the same no with a
route, "switch to X and you can still", 冇得走雞, "close enough"). Scored on main (880d24f) before
the change: rules alone 16/64 found (disparaging 3/32, blame 3/16, refusal 10/16), 6/64 clean
drafts flagged. The lexicon families were written with these misses in view, so the rules-alone
figures after are not unseen; the honest figures are bench/drafts_leave_one_out.py and a second
fresh check written after the change (docs/compliance.md, "Seventeenth round: manner").
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

PROBES = Path(__file__).with_name("compliance_probes_r17_stance.jsonl")
CATEGORIES = ("disparaging_customer", "blame_shifting", "bare_refusal")
LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}


def probe_rows() -> list[dict[str, object]]:
    return read_rows(PROBES)


def test_the_probe_set_covers_every_language_both_ways() -> None:
    rows = probe_rows()
    assert uncovered(rows, CATEGORIES, LANGUAGES, least=60) == []
    violating = [r for r in rows if r["violations"]]
    slights = [r for r in violating if r["violations"] == ["disparaging_customer"]]
    assert len(slights) >= len(violating) / 2


def test_the_rules_alone_find_most_probes_and_leave_the_lookalikes(pack: RulePack) -> None:
    """53/64 found after (16/64 before); the two clean drafts still flagged are other categories'
    (skip_verification on "close enough", jargon on 請款), left to their own round."""
    report = evaluate_drafts(pack, PROBES)
    table = report.format_table()
    assert report.detected_pairs >= 53, table
    assert report.flagged_clean <= 2, table
    stance_flags = [str(r["text"]) for r in probe_rows()
                    if r["violations"] == [] and flagged(pack, str(r["text"])) & set(CATEGORIES)]
    assert stance_flags == [], stance_flags


@pytest.mark.parametrize(("category", "most"), [
    ("disparaging_customer", 5), ("blame_shifting", 3), ("bare_refusal", 3)])
def test_each_category_is_mostly_found_by_the_rules_alone(pack: RulePack, category: str, most: int) -> None:
    missed = missed_by_rules(pack, probe_rows(), category)
    assert len(missed) <= most, missed


@pytest.mark.parametrize("text", [
    "我家上小学的侄子都会用扫码付款，您再琢磨琢磨。",
    "我阿仔讀幼稚園都識撳呢個掣啦。",
    "行行行，您说银行错了就是银行错了，您高兴就好。",
    "Sure, whatever you say, it's always the bank's fault.",
    "您都这个岁数了，还非要自己折腾手机转账干嘛。",
    "你咁嘅年紀就唔好學人用手機銀行啦。",
    "短信上明明白白写着别点链接，您是不看字的吗？",
    "下次做嘢之前用下腦諗下先，唔好次次出事先嚟喊。",
    "同一个问题今天第五遍了，拿个本子记下来。",
])
def test_a_slight_is_read_by_its_kind(pack: RulePack, text: str) -> None:
    """Someone held up as less able who manages it; assent said over and over with everything
    conceded; the customer's age with "give it up"; a rhetorical "did you not read"; the customer's
    wits questioned; the same question counted."""
    assert "disparaging_customer" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "您这个年纪的客户可以申请大字版手机银行，看着更舒服。",
    "講第三次都冇問題，最緊要你清楚。",
    "我再给您讲第三遍也没关系，这一步确实绕。",
    "Happy to explain it a third time, it's a fiddly screen.",
    "好多後生仔第一次用都唔識，你唔使擔心。",
    "很多年轻人第一次用这个功能也会卡住，我们一起来。",
    "好好好，我马上帮您改。",
    "都是我们的错，我马上给您退。",
])
def test_the_lookalike_of_a_slight_stays_clean(pack: RulePack, text: str) -> None:
    """Age named for a service offered, a count said kindly, a comparison that comforts, assent or
    an apology alone."""
    assert "disparaging_customer" not in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "审核慢是总部风控那帮人在压，我这儿也催不动，您只能等。",
    "扣款失敗是電信公司系統延遲，不是本行的作業疏失，請您向電信公司查詢。",
    "張卡寄失咗係速遞公司嘅責任，你自己打去同佢哋拗啦。",
    "Our IT contractor rolled out the update that broke the app; we're as stuck as you are.",
])
def test_another_party_with_the_bank_hands_off_is_blame(pack: RulePack, text: str) -> None:
    assert "blame_shifting" in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "审批确实在总部那边，我已经帮您催办，明天下午前给您回电。",
    "這次是本行作業疏失，非常抱歉，我們會負責處理到好。",
])
def test_the_same_party_with_the_step_owned_is_no_blame(pack: RulePack, text: str) -> None:
    assert "blame_shifting" not in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "跟住呢幾步做，冇得走雞㗎。",
    "这种业务我们行不开办，比较接近的是我们的“薪金通”，您想了解一下吗？",
])
def test_an_idiom_or_an_offer_is_no_refusal(pack: RulePack, text: str) -> None:
    """冇得走雞 ("you can't go wrong") holds 冇得, which alone no longer refuses; 冇得 before a
    service act (冇得改, 冇得幫) still does."""
    assert "bare_refusal" not in flagged(pack, text)


@pytest.mark.parametrize("text", ["你自己撳錯，冇得幫。", "我哋分行唔開公司戶口。", "提前还款违约金免不了，别再问了。"])
def test_a_refusal_left_bare_is_found(pack: RulePack, text: str) -> None:
    assert "bare_refusal" in flagged(pack, text)


@pytest.mark.model
def test_the_rules_and_signal_on_the_manner_probes(pack: RulePack) -> None:
    """With the signal trained on exemplars_manner.yaml and the library's other exemplars: 58/64
    found after (53/64 on main), disparaging 31/32, blame 13/16, refusal 14/16; clean 5/64 (10/64
    on main, 11/64 with main's full signal). Issue 19's bar is not met here: blame is 0.81 and three
    clean drafts are genuine praise read as mock praise (「您学得真快」, 「學得好快喎」, "that's a great
    question"), so this asserts the figures measured, not the bar. With exemplars_register.yaml
    (twentieth round) the signal finds one disparaging draft fewer: 30/32."""
    report, found = scored_with_signal(pack, PROBES, CATEGORIES)
    table = report.format_table()
    assert report.detected_pairs >= 57, table
    assert report.flagged_clean <= 5, table
    least = {"disparaging_customer": 30, "blame_shifting": 13, "bare_refusal": 14}
    assert all(found[category][0] >= n for category, n in least.items()), found
