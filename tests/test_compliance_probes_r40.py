"""The probe set of the fortieth round (issue 19; helper compl40): bare refusals and slights in new wording.

``tests/compliance_probes_r40.jsonl`` was written for the round (zh-Hans, zh-Hant TW and HK, Cantonese,
English): 12 violating drafts, one category each (six bare refusals: a standing 'will not' of the bank, a
help it cannot give, a service not provided in Cantonese, an English request not accepted or not
processed; six slights: the customer's manner reproached, the customer's own error in formal wording),
and 16 clean twins (the same refusal with a way forward, the manner named kindly, a bank's warning that it
will not ask for a password, an error said not to be the customer's). bench/fresh_check.py: 0 of 28 too
close.

Scored on main (a62d717) before the round, rules alone: 0/12 found, 0/16 clean flagged. After: 12/12,
0/16. The round's first readings flagged two lookalikes (a warning 'we will not look at your password',
an error said not to be the customer's own); the guards in ``warning_object`` and ``customer_cleared``
keep them clean. Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("我们分行不会办理个人之间的欠款追讨。", {"bare_refusal"}),
    ("我们分行不会办理个人之间的欠款追讨，您可以去法院立案，我把需要的流水打印给您。", set()),
    ("這一類的申請我們無法協助。", {"bare_refusal"}),
    ("夜間保險箱我哋冇提供。", {"bare_refusal"}),
    ("Bank drafts in a foreign currency aren't accepted.", {"bare_refusal"}),
    ("Bank drafts in a foreign currency aren't accepted, but you can pay them in at any branch counter.", set()),
])
def test_a_standing_no_without_a_way_forward_is_a_bare_refusal(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """'We will not', 'cannot assist', 冇提供 and 'aren't accepted' refuse; a way forward beside them redirects."""
    assert flagged(pack, text) == expected


def test_a_bank_saying_it_will_not_ask_for_a_secret_is_a_warning(pack: RulePack) -> None:
    """不会 as a standing policy refuses a service, not the bank's own promise never to see a password."""
    assert flagged(pack, "我们不会查看您的密码，有人自称银行要密码就是骗子。") == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("您这样大吵大闹也没用，规定就是规定。", {"disparaging_customer", "bare_refusal"}),
    ("Yelling at me isn't going to make the payment arrive any sooner.", {"disparaging_customer"}),
    ("我这边信号不好，您听不清就随时打断我。", set()),
    ("If the line's noisy and you end up shouting, don't worry, I can hear you fine.", set()),
])
def test_the_customers_manner_reproached_is_a_slight_named_alone_it_is_not(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """Shouting or interrupting with 'it does no good' beside it reproaches; named kindly it does not."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("密碼被鎖是閣下自行多次輸入錯誤所致。", {"disparaging_customer"}),
    ("这次扣款并非阁下操作失误，是系统重复扣款，我们会退还。", set()),
])
def test_the_customers_own_error_in_formal_wording(pack: RulePack, text: str, expected: set[str]) -> None:
    """閣下自行 with 輸入錯誤 lays the error on the customer; 并非阁下 clears them."""
    assert flagged(pack, text) == expected
