"""Money a business or institution is owed, to be paid into a private person's account (thirty-second round, issue 20):
``scam.marker.redirect.private.zh`` makes an institution's own ask a scam as a changed account does, and is a pretext
with a known person's ask; a private seller's or landlord's own account is theirs to give."""

from __future__ import annotations

from assist.compliance.rule_files import load_rule_pack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import pins

PRIVATE = "scam.marker.redirect.private.zh"


def _hits(text: str) -> list[pins.Hit]:
    return load_rule_pack(SHIPPED_LIBRARY).hits(text, audience="customer")


def test_an_institutions_fee_to_a_private_account_pins() -> None:
    for text in ("医院财务说押金要打到主任的私人卡上才能排手术",
                 "驾校的教练让我把补考费转到他私人账户",
                 "學校總務說午餐費要先匯到他個人帳戶"):
        hits = _hits(text)
        assert any(rule.id == PRIVATE for rule, _ in hits), text
        assert pins.fraud_pattern(hits) is not None, text


def test_the_marker_is_a_redirect_and_leaves_the_signals_gate_alone() -> None:
    hits = _hits("驾校的教练让我把补考费转到他私人账户")
    assert pins._role([h for h in hits if h[0].id.startswith(pins.MARKER)], pins.REDIRECT)
    without = [h for h in hits if h[0].id != PRIVATE]
    assert pins.partial_pattern(hits) == pins.partial_pattern(without)
    assert pins.training_gate(hits) == pins.training_gate(without)


def test_a_private_seller_or_landlord_gives_their_own_account() -> None:
    assert not any(rule.id == PRIVATE for rule, _ in _hits("二手车卖家让我把尾款转到他个人账户，怎么转"))
    assert not any(rule.id == PRIVATE for rule, _ in _hits("房东让我把房租转到他个人账户"))
    assert pins.fraud_pattern(_hits("我申请了私人贷款，几时到账")) is None


def test_an_everyday_bill_named_in_the_instruction_stays_unread_as_an_ask() -> None:
    """Left as it was: scam.asks.money.zh does not read an instruction naming an everyday bill (管理费, 物业费), so the
    marker alone pins nothing there; a private account for such a bill is the next reading (docs/safe-answers.md)."""
    assert pins.fraud_pattern(_hits("物业公司让我把物业费转到一个个人账户")) is None
