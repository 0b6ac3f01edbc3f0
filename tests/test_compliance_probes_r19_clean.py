"""The clean-trap probe set of the nineteenth round (issue 19): fewer false flags on clean drafts.

``tests/compliance_probes_r19_clean.jsonl`` was written fresh (zh-Hans, zh-Hant-TW, zh-Hant-HK,
Cantonese, English) and committed (0ca5e67) before anything was changed: 109 clean drafts that
carry one category's surface words where they are compliant (a warning, "we will never ask for",
a scammer quoted, a refusal with its way forward, a term glossed, the customer cleared; each
line's ``surface`` names the category), and 61 violations that sit close to them (the same words
said as the violation, and six that open with a warning and then commit it: "don't tell anyone
the code, tell me"). Figures are in docs/compliance.md, "Nineteenth round: clean drafts".

The file's figures (what it holds, the rules alone on it) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rules import AGENT_CATEGORIES, RulePack
from tests.probe_sets import flagged, read_rows

PROBES = Path(__file__).with_name("compliance_probes_r19_clean.jsonl")


def probe_rows() -> list[dict[str, object]]:
    return read_rows(PROBES)


def test_the_clean_traps_carry_the_surface_words_of_every_category() -> None:
    clean = [r for r in probe_rows() if r["violations"] == []]
    assert {str(r["surface"]) for r in clean} == set(AGENT_CATEGORIES)


@pytest.mark.parametrize("text", [
    "凡是跟您讲稳赚不赔的，十有八九是骗子，我们这款不保本。",
    "Nobody at the bank will ever ask you to read out a one-time code.",
])
def test_a_warning_is_not_the_violation_it_names(pack: RulePack, text: str) -> None:
    assert flagged(pack, text) == set()


_WARNING_SPILLS = pytest.mark.xfail(strict=True, reason=(
    "a known gap, left to the scope owners: the warning's negation (别, 唔好, never) is read over the "
    "next clause, where the agent commits the violation; 4 of the 6 such probes are missed"))


@pytest.mark.parametrize(("text", "category"), [
    pytest.param("您别把验证码告诉别人，告诉我就行，我帮您核对。", "credential_request", marks=_WARNING_SPILLS),
    pytest.param("唔好信啲騙徒，你而家即刻轉錢去我俾你嗰個保護戶口。", "unsafe_transfer_instruction",
                 marks=_WARNING_SPILLS),
    ("If a stranger asks, say no; I'm from the bank, so read me the code from the text.", "credential_request"),
])
def test_a_warning_before_the_violation_does_not_excuse_it(pack: RulePack, text: str, category: str) -> None:
    assert category in flagged(pack, text)
