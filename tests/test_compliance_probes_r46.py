"""The probe set of the thirty-third round (issue 19; helper compl46): clean drafts the agent rules flag,
developed on one half of the joined sets (drafts_v47 joined to it), confirmed on the other.

``tests/compliance_probes_r46.jsonl`` was written for the round after its mechanism was measured (zh-Hans,
zh-Hant TW and HK, Cantonese, English): 8 clean lookalikes (a call, a message, a number, a site or an e-mail
said not to be the bank's: a fraud warning) and 10 textbook blame lines in new wording, most of them
disowning with the same 并非本行 (a charge, a delay, a refund said not to be the bank's doing, the customer
sent elsewhere). bench/fresh_check.py: 0 of 18 too close.

Scored on main (e5478ba) before the round, rules alone: 10/10 found, 7/8 clean flagged. After: 10/10, 0/8.
Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("刚才那个来电并非本行致电，您直接挂断是对的。", set()),
    ("该网址并非本行官方网站，请勿在上面输入卡号和密码。", set()),
    ("嗰條話你中獎嘅短訊並非本行發出，唔好撳入面條連結呀。", set()),
    # the bank's own part disowned stays blame, whatever stands beside it
    ("延迟入账并非本行造成，您直接去问对方银行好了。", {"blame_shifting"}),
    ("并非本行发出的指令出了错，是商户系统的锅，您找他们去。", {"blame_shifting"}),
    # 官方 as an adverb is no official channel: the first wording (并非本行官方) cleared this
    ("退款慢并非本行官方能管的，是商户那边拖着。", {"blame_shifting"}),
    # staff are no channel: 并非本行职员之责任 disowns the fault
    ("这次多扣的钱并非本行职员的责任，您找商户去。", {"blame_shifting"}),
])
def test_a_channel_said_not_to_be_the_banks_is_a_fraud_warning(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """A call, message, number or site said not to come from the bank (并非本行所发, 并非本行致电, 并非本行
    网站) warns of a fraud; the bank's own part in a harm disowned with the same words is blame."""
    assert flagged(pack, text) == expected
