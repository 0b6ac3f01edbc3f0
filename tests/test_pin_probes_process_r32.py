"""A stranger's demand brought to the bank as a question about its own process, thirty-second round (issue 20), on
the frozen probe file ``tests/pin_probes_process_r32.jsonl``.

All 16 lines (``written: first``) were written and committed (7049cff) before any rule was changed: 8 demands a
stranger made in the bank's name (a debt collector it "commissioned", its "loan officer", money "held at your bank")
followed by the customer asking the bank how its proper process goes, whether the money should go to the bank itself
or whether it charges that (``asks_process``), each beside the same opening acted on now (``acting_now``); four
scripts.

The file's figures before and after the round are its row in tests/test_probe_rounds.py: the round's reading of
the question as a check was reverted by the lead, so its lookalikes stay false banners. This module keeps the round's
own checks, the rules alone.
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


def test_a_question_about_the_banks_own_process_cancels_no_fraud_pattern() -> None:
    """The round's reading of such a question as a check (scam45's ``scam.disengaged.asks_process``) was reverted by
    the lead: it also cancelled the pattern of scams the anti-fraud script is for (a "safe account", a court's
    deposit, a loan's fee into a private account) whenever the customer asked the bank how its proper process goes."""
    for text in ("有个自称法院的人说我要交保证金到指定账户，正规流程是怎样？",
                 "Someone from your fraud team says I must move my savings to a safe account. "
                 "What's the proper procedure?"):
        assert pins.fraud_pattern(_hits(text)) is not None, text


def test_a_fee_wanted_as_an_object_and_a_participle_is_an_instruction() -> None:
    """English "wants X paid" with a fee as the object (scam43's third kind): read as the instruction "wants me to
    pay" is; a fee wanted "paid before" something is an institution's own way of telling its charge."""
    def asks(text: str) -> bool:
        return any(rule.id.startswith(pins.ASKS) for rule, _ in _hits(text))

    assert asks("The dealer wants the registration fee paid by transfer today")
    assert asks("He wants an inspection fee transferred to his account")
    assert not asks("The nursery wants the term fees paid before my son can start")
    assert not asks("Royal Mail says my parcel needs a customs charge paid before delivery")
