"""The scope engine's dismissals (prohibitions said after what they prohibit), and the shipped
pack's readings of wording that only looks like a violation: a gloss, a code typed into the
bank's own app, a real deposit's fixed rate."""

from __future__ import annotations

import pytest

from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.compliance.scope import scopes
from assist.library.loader import SHIPPED_LIBRARY
from assist.text.normalise import normalise


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_rule_pack(SHIPPED_LIBRARY)


def _dismissals(text: str) -> list[str]:
    norm = normalise(text)
    at = norm.index("别理")
    hits = {"scope.dismissal": [(at, at + 2)]}
    return [norm[s.start:s.end] for s in scopes(norm, (0, len(norm)), hits) if s.kind == "dismissal"]


def test_a_dismissal_reaches_back_only_when_it_closes_its_clause() -> None:
    assert _dismissals("叫您报密码的，别理") == ["叫您报密码的,"]
    assert _dismissals("叫您报密码的，别理，挂掉就好") == ["叫您报密码的,"]
    assert _dismissals("把密码报给我，别理那几条提醒短信") == []  # it names its own object


def categories(pack: RulePack, text: str) -> set[str]:
    return {v.category for v in pack.check(text, audience="agent")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a prohibition after the request it dismisses; a dismissal of something else is no warning
        ("陌生电话要您把卡背面三位数报过去的，全都别理。", set()),
        ("Anyone phoning for the passcode on that text, just hang up.", set()),
        ("卡背面三位数报给我，别理银行那些提醒。", {"credential_request"}),
        # a term glossed where it is used, and one that is not
        ("CNAPS 是人民银行的…", {"jargon"}),
        ("CNAPS是央行建的跨行支付的清算系统，同行跨行都走它。", set()),
        # the customer keys the code into the bank's own app; read out to the agent it is a request
        ("短信里的数字请输入到手机银行，我这边不需要知道。", set()),
        ("短信里的数字输入到手机银行之前先念给我。", {"credential_request"}),
        # a deposit's rate fixed at opening; an investment's payout said to be fixed
        ("这笔整存整取的利率是固定的，三年不变。", set()),
        ("这款理财每年派息是固定的，您放心。", {"promise_guaranteed_return"}),
    ],
)
def test_shipped_pack_reads_after_the_fact_warnings_glosses_self_entry_and_deposits(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected
