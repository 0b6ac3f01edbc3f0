"""The tense and outcome of a scam told, and who starts the contact, thirtieth round (issue 20), on the frozen probe
file ``tests/pin_probes_tense_r30.jsonl``.

All 32 lines (``written: first``) were written and committed (319cf73) before they were measured: 8 past scams told
after the fact, by a holiday, a season, "back then" or a finished outcome (the code given and the card charged, the
money sent and the other side gone: ``past_told``), each beside a scam in progress in the same words where a new
contact or demand comes now (``past_live``); 8 call checks the customer asks the bank about with nothing done
(``check_ask``), each beside the same opening where the caller instructs now (``check_live``); four scripts.

The file's figures before and after the round are its row in tests/test_probe_rounds.py; this module keeps the
round's own checks.
"""

from __future__ import annotations

from pathlib import Path

from assist.compliance.rule_files import load_rule_pack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import pins
from tests.probe_sets import paired_file_problems, read_rows

PROBES = Path(__file__).with_name("pin_probes_tense_r30.jsonl")
PAIRS = {"past_live": "past_told", "check_live": "check_ask"}


def test_each_scam_type_has_its_lookalike_type_and_every_line_its_label() -> None:
    assert paired_file_problems(read_rows(PROBES), PAIRS, 8, {"zh-Hans", "zh-Hant-TW", "yue", "en"}) == []



def test_a_finished_loss_reads_as_past_and_a_new_demand_after_it_does_not() -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)

    def loss(text: str) -> bool:
        return any(rule.id == pins.LOSS for rule, _ in pack.hits(text, audience="customer"))

    assert loss("网上认识的人让我交手续费，我转了两次，现在联系不上了")
    assert loss("我把验证码给了那个客服，卡被刷了一万多")
    assert loss("I gave the caller my card number and the card was charged three times after that")
    assert not loss("我没给过任何人验证码，卡被刷了")
    assert not loss("我把验证码给了他，卡被刷了，现在有人说是银行的让我把剩下的转到安全账户")
    assert not loss("对方让我转了一万，他现在还在电话上让我再转")


def test_the_signal_keeps_a_finished_loss_in_its_training_gate() -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    hits = pack.hits("网上认识的人让我交手续费，我转了两次，现在联系不上了", audience="customer")
    assert not pins.partial_pattern(hits)
    assert pins.training_gate(hits)
