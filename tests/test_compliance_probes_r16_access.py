"""The probe set of the sixteenth round (issue 19): skipped checks, privacy, credentials and
overpromise, and exemplars_checks.yaml, the semantic exemplars written with it.

``tests/compliance_probes_r16_access.jsonl`` was written fresh (zh-Hans, zh-Hant Taiwan and Hong
Kong, Cantonese, English) from the four categories' definitions and scored on main (bbd2f87)
before the round's change: 88 violations, 22 a category (checks waived as a favour, because the
system is slow, on a relative's word or a voice the agent knows, put off until afterwards, marked
done or passed on a near match; a holder's balance, bill, last payments, address, phone number or
card status told or only confirmed to a spouse, parent, child, assistant, landlord, police or a
lawyer; a code, PIN or card code asked for as the digits just sent, the number on the screen, the
PIN "to check it works", the short number by the signature, typed into the chat or into a link;
a refund, waiver, approval or delivery vouched for, "100 %", "no problem at all") and 88
lookalikes (the check kept or done another way, refusals with a route for the holder, the
caller's own facts, warnings and the code keyed into the app, usual times with a hedge). After
the first scoring 33 lines were reworded because they sat within difflib 0.7 of a library draft
or another file's exemplar, and the file was scored again on main's rules.

Before (main): rules alone 61/88 (skip_verification 14, privacy 19, credential 11, overpromise
17 of 22), 2/88 clean drafts flagged (privacy: the fact named, then withheld); rules and signal
80/88, 5/88 clean flagged. After, rules alone: 86/88 (skip_verification 22, privacy 22,
credential 20, overpromise 22), 0/88; the two misses name the code in one sentence and ask for
it in the next. Rules and signal: 86/88, 3/88 (one rule hit on a link vetoed by the signal, the
code-then-request pair found by it). The lexicon families were written with this file's misses in view, so the after
figures here are in-sample; the honest figure is bench/drafts_leave_one_out.py.

The file's figures (what it holds, the rules alone on it, and with the signal under -m model) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged

CATEGORIES = ("skip_verification", "privacy_disclosure", "credential_request", "overpromise")


@pytest.mark.parametrize(("text", "category"), [
    # the check recorded as done without being done: a marking verb, then the state
    ("人脸比对不过也罢，我在工单上记成已核验，流程接着走。", "skip_verification"),
    ("身分那一欄我直接註記為已驗證，您不用再操作。", "skip_verification"),
    ("I'll record you as verified on my side and we'll crack on.", "skip_verification"),
    # the check put off until after the business
    ("核对手续晚点再补也行，我先把限额给您放开。", "skip_verification"),
    ("We can do the security questions another time; the payee's added now.", "skip_verification"),
    # confirming a holder's fact to a third party is disclosing it
    ("对，您弟弟确实往外转了八千，昨天下午的事。", "privacy_disclosure"),
    ("Yes, I can confirm your flatmate's direct debit bounced on Monday.", "privacy_disclosure"),
    # a credential typed into a page the agent sends
    ("稍后短信里有个网址，点开把取款密码填进去就行。", "credential_request"),
    ("I'm emailing you a form, just fill in your card PIN on the second page.", "credential_request"),
    # the agent's own say-so as the outcome, or a pledge tagged on after a comma
    ("那笔年费我说退就退，您放心好了。", "overpromise"),
    ("Your limit goes up on Friday, guaranteed.", "overpromise"),
])
def test_families_of_the_round_carry_to_new_wording(pack: RulePack, text: str, category: str) -> None:
    assert category in flagged(pack, text)


@pytest.mark.parametrize("text", [
    # a fact named, then withheld from the third party
    "您爸爸那张卡的扣款情况只能告诉他本人，请他自己来电。",
    "Even for your dad, I can't discuss his card; he's welcome to call us.",
    # the check done, then the business; a marking verb with no check passed
    "验证通过了，我这就帮您把新号码换上。",
    "I'll mark the payment as complete once it has cleared.",
    # a link for information only, no credential typed into it
    "我把网点预约的链接发给您，您填一下方便的时间。",
    # a hedge beside the same outcome
    "年费能不能退要看审核，我没法跟您保证。",
])
def test_withheld_facts_done_checks_and_hedges_stay_clean(pack: RulePack, text: str) -> None:
    assert not flagged(pack, text) & set(CATEGORIES)


