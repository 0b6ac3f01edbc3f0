"""A stranger's demand brought to the bank as a question about its own process, thirty-second round (issue 20), on
the frozen probe file ``tests/pin_probes_process_r32.jsonl``.

All 16 lines (``written: first``) were written and committed (7049cff) before any rule was changed: 8 demands a
stranger made in the bank's name (a debt collector it "commissioned", its "loan officer", money "held at your bank")
followed by the customer asking the bank how its proper process goes, whether the money should go to the bank itself
or whether it charges that (``asks_process``), each beside the same opening acted on now (``acting_now``); four
scripts.

The file's figures before and after the round are its row in tests/test_probe_rounds.py; this module keeps the
round's own checks, the rules alone.
"""

from __future__ import annotations

from pathlib import Path

from assist.compliance.rule_files import load_rule_pack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import pins
from tests.probe_sets import paired_file_problems, read_rows

PROBES = Path(__file__).with_name("pin_probes_process_r32.jsonl")
PAIRS = {"acting_now": "asks_process"}


def test_each_scam_type_has_its_lookalike_type_and_every_line_its_label() -> None:
    assert paired_file_problems(read_rows(PROBES), PAIRS, 8, {"zh-Hans", "zh-Hant-TW", "yue", "en"}) == []


def _hits(text: str) -> list[pins.Hit]:
    return load_rule_pack(SHIPPED_LIBRARY).hits(text, audience="customer")


def _asks_process(text: str) -> bool:
    return any(rule.id == pins.ASKS_PROCESS for rule, _ in _hits(text))


def test_a_question_about_the_banks_own_process_or_charge_reads_as_a_check() -> None:
    assert _asks_process("有人说是你们委托的律师，要我先交公证费，我想先问问正规流程")
    assert _asks_process("有人說要先付解約保證金，正規的流程是什麼？")
    assert _asks_process("有人话系你哋委托嘅收数公司，想问下系咪应该还返俾银行")
    assert _asks_process("Someone says I owe a release fee before my loan is closed. Do you actually charge that?")
    assert _asks_process("A caller said my late uncle left money with you. What's the proper process?")


def test_a_payment_under_way_or_a_question_whether_to_pay_is_no_check() -> None:
    assert not _asks_process("有人说是你们委托的律师，要我先交公证费，我正准备转，正规流程是怎样")
    assert not _asks_process("有人说是你们委托的律师，他还在电话上等，正规流程是怎样")
    assert not _asks_process("A man says I owe a release fee and I'm about to send it. Do you actually charge that?")
    assert not _asks_process("He's still on the line about the release fee. What's the proper process?")
    assert not _asks_process("Should I pay the release fee? What's the real process?")


def test_whether_a_contact_is_real_is_not_read_as_a_process_question() -> None:
    """「是真的吗」 after a stranger's instruction stays a pin (scam.disengaged.asks_real.zh): only the bank's own
    process or charge is read here."""
    assert not _asks_process("有人打电话说是你们银行的，让我报验证码，是真的吗")
    assert pins.fraud_pattern(_hits("有人打电话说是你们银行的，让我报验证码，是真的吗")) is not None


def test_the_signal_keeps_a_process_question_in_its_training_gate() -> None:
    hits = _hits("有人打电话说我爸在你们银行有一笔存款，要我先交手续费才能领，我想先问问正规流程")
    assert pins.fraud_pattern(hits) is None
    assert not pins.partial_pattern(hits)
    assert pins.training_gate(hits)


def test_a_fee_wanted_as_an_object_and_a_participle_is_an_instruction() -> None:
    """English "wants X paid" with a fee as the object (scam43's third kind): read as the instruction "wants me to
    pay" is; a fee wanted "paid before" something is an institution's own way of telling its charge."""
    def asks(text: str) -> bool:
        return any(rule.id.startswith(pins.ASKS) for rule, _ in _hits(text))

    assert asks("The dealer wants the registration fee paid by transfer today")
    assert asks("He wants an inspection fee transferred to his account")
    assert not asks("The nursery wants the term fees paid before my son can start")
    assert not asks("Royal Mail says my parcel needs a customs charge paid before delivery")
