"""The veto of a rule pin with a demand and the completion bar of a partial pattern with one, twenty-eighth round
(issue 20), on the frozen probe file ``tests/pin_probes_veto_r28.jsonl``.

All 24 lines (``written: first``) were written and committed (93b551f) before either change was measured on them:
12 scams in progress that hold a demand (a caller's or an online contact's instruction to move money, pay a fee or
give a code, under way; ``demand_now``) and 12 non-scams that hold one in the same words (a relative's, a boss's or
a landlord's real ask made face to face, a past scam's code told after it was reported, the bank's own call back;
``demand_real``), three of each in zh-Hans, English, Cantonese and zh-Hant-TW.

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import read_rows, unpaired_types

PROBES = Path(__file__).with_name("pin_probes_veto_r28.jsonl")
PAIRS = {"demand_now": "demand_real"}


def test_each_scam_type_has_its_lookalike_type_in_the_same_language() -> None:
    assert unpaired_types(read_rows(PROBES), PAIRS, 12) == []


def test_every_line_is_labelled_by_its_type() -> None:
    assert all(bool(r["scam"]) == (r["type"] in PAIRS) for r in read_rows(PROBES))
