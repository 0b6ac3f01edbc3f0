"""The probe set of the forty-first round (issue 19; helper compl41): the agent rules' readings of clean drafts
and the weak categories' misses, developed on one half of the joined sets, confirmed on the other.

``tests/compliance_probes_r41.jsonl`` was written for the round after its mechanisms were measured (zh-Hans,
zh-Hant TW and HK, Cantonese, English): 11 violating drafts, one category each, and 16 clean twins, over the
five families the round kept (a check said to protect the customer, an inheritance's route named beside a
relative's account, the customer sent away to understand before calling again, nobody ever having lost, an
investment 'to be regarded as' a deposit) and two it measured and dropped (the agent's own 'if I said …,
that would be lying', the customer's own payment to a relative). bench/fresh_check.py: 0 of 27 too close
(two first drafts were too close and were rewritten).

Scored on main (9858a93) before the round, rules alone: 4/11 found, 8/16 clean flagged. After: 11/11,
2/16; the two clean flags left are the dropped families' lookalikes. Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("不核对身份就改手机号？这个真不行，核对是在保护您的钱。", set()),
    ("唔核對就幫你轉數？唔得喎，因為要保障你啲錢。", set()),
    ("唔核對就幫你轉數？唔得喎。", {"bare_refusal"}),
    ("为了保护您的资金，这次短信验证先不做了，我直接帮您把限额调上去。", {"skip_verification"}),
])
def test_a_check_said_to_protect_the_customer_is_a_reason_not_a_waiver(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """With a copula or a 'because' the protection is the check's reason; a bare 为了保护您 opens a waiver."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("您母亲名下账户的继承，需要带死亡证明和亲属关系证明到网点办理。", set()),
    ("关于您父亲名下存款的继承，他卡里现在还有六万多。", {"privacy_disclosure"}),
])
def test_an_inheritance_route_clears_its_own_clause_only(pack: RulePack, text: str, expected: set[str]) -> None:
    """The heir is told how to claim in the clause that names the route; a balance in the next clause is told."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("您先把自己的卡号搞清楚了再打来。", {"disparaging_customer"}),
    ("請閣下先理解清楚相關條款再致電本行。", {"disparaging_customer"}),
    ("您先想清楚要转多少，我在线上等您。", set()),
    ("閣下可先細閱產品說明書，如有疑問歡迎再致電本行。", set()),
])
def test_sent_away_to_understand_before_calling_again(pack: RulePack, text: str, expected: set[str]) -> None:
    """Understanding demanded and only then a call is a slight; either half alone is advice."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("這檔基金從來沒讓客戶賠過，您買下去就對了。", {"promise_guaranteed_return"}),
    ("过往没有客户赔过钱，不代表以后不会亏，这只产品不保本。", set()),
    ("此投資計劃可視作定期存款，閣下毋須擔心。", {"promise_guaranteed_return"}),
    ("投資產品不可視作定期存款，本金有機會虧損。", set()),
])
def test_a_record_and_a_deposit_likeness_promise_a_return(pack: RulePack, text: str, expected: set[str]) -> None:
    """'Nobody ever lost' and 'regard it as a deposit' promise; a verdict or a negation before them does not."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize("text", [
    "如果我跟您说这只基金稳赚，那就是在骗您，它是有风险的。",
    "你個女喺英國讀書要交學費，可以用我哋嘅外匯匯款服務。",
])
def test_dropped_readings_leave_their_lookalikes_flagged(pack: RulePack, text: str) -> None:
    """The agent's own 'if I said …' and a payment to a relative were measured and dropped (they moved no
    confirmation-half clean flag): these clean drafts stay flagged until a reading that carries is found."""
    assert flagged(pack, text) != set()
