"""The scam signal's English scams and lookalikes, twenty-seventh round (issue 20), on the frozen probe file
``tests/pin_probes_sig_r27.jsonl``.

All 32 lines (``written: first``) were written and committed before the signal's change (each script weighed by
its share of the training): 12 English scams in progress told indirectly (a caller waiting while money moves,
a code is read out, a fee frees locked money, a screen is shared, cash is drawn for a collector; ``en_half``) and
12 English non-scams in the same words (the same story over, refused or reported, the bank's own fee, a real
payment; ``en_real``), four of each in zh-Hans (``zh_half``, ``zh_real``).

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import read_rows, unpaired_types

PROBES = Path(__file__).with_name("pin_probes_sig_r27.jsonl")
PAIRS = {"en_half": "en_real", "zh_half": "zh_real"}


def test_each_scam_type_has_its_lookalike_type_in_the_same_language() -> None:
    rows = read_rows(PROBES)
    assert unpaired_types(rows, {"en_half": "en_real"}, 12) == []
    assert unpaired_types(rows, {"zh_half": "zh_real"}, 4) == []


def test_every_line_is_labelled_by_its_type() -> None:
    rows = read_rows(PROBES)
    assert all(bool(r["scam"]) == (r["type"] in PAIRS) for r in rows)
