"""The probe set of the thirty-eighth round (issue 19; helper compl38): jargon explained where it stands.

``tests/compliance_probes_r38.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK, Cantonese, English)
before any change: 9 drafts with an unexplained term (one or two a language) and 17 clean ones: their
twins with the term defined right after it (a copula, 即, 也就是, 即係, "which means", a gloss in
brackets) and plain words that look technical (a large-transfer system, a fraud check, a money-laundering
check named in plain words). bench/fresh_check.py: 0 of 26 too close.

Scored on compl37's tip (fa02e02) before the round, rules alone: 9/9 found, 3/17 clean flagged (jargon
twice: a term followed by a bare 是, a Cantonese term followed by a bare 係; a bare refusal and a
skipped check once each, other rounds' kinds). After: 9/9, 2/17 (the bare 是 now defines the term before
it; a bare Cantonese 係 does not, see ``definition`` in lexicons.yaml). Row in tests/test_probe_rounds.py.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import flagged


@pytest.mark.parametrize(("text", "expected"), [
    ("LPR是央行每月公布的贷款参考利率，您的房贷跟着它调。", set()),
    ("您的房贷利率跟着LPR调。", {"jargon"}),
    ("ATM卡要先做圈存，圈存即把钱先转进卡里的芯片。", set()),
    ("Your transfer is stuck because of the SCA step.", {"jargon"}),
    ("SCA means we send a second check to your phone before the payment leaves.", set()),
])
def test_a_definition_right_after_the_term_explains_it(pack: RulePack, text: str, expected: set[str]) -> None:
    """A copula right after the term (是, 即, "means") defines it; the same term alone is unexplained."""
    assert flagged(pack, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("您的KYC是必须更新的，请这周来一趟。", {"jargon"}),
    ("您的授信是因为流水不够才没批下来。", {"jargon"}),
    ("你個DSR係超咗少少，要再補啲入息證明。", {"jargon"}),
])
def test_a_copula_going_on_to_a_reason_or_a_need_defines_nothing(
        pack: RulePack, text: str, expected: set[str]) -> None:
    """是因为, 是必须 and a Cantonese emphatic 係 after a term give a reason, a need or an emphasis,
    not a definition (``definition_not``; bare 係 is no ``definition``)."""
    assert flagged(pack, text) == expected


def test_a_term_inside_the_definition_is_part_of_it(pack: RulePack) -> None:
    """The words that define a term (its plain-words name, itself listed: 受益所有人) are its
    explanation, not a second unexplained term; the same words outside a definition are flagged."""
    assert flagged(pack, "UBO是公司最终的受益所有人，我们要登记他的身份证件。") == set()
    assert flagged(pack, "我们要核实公司的受益所有人。") == {"jargon"}
