"""The kinds of part the English fraud rules did not read, twenty-eighth round (issue 20), on the frozen probe file
``tests/pin_probes_r28.jsonl``.

All 32 lines (``written: first``) were written and committed before they were measured: 16 English scams in
progress whose part the rules had not read (a payment promised to unlock money with the sum and its purpose
apart, ``unlock_now``; the scam's object: a card and PIN by courier, a cheque to pass on, money let through the
account, an interim account, ``object_now``; a third party named by its role or its messenger handle, ``party_now``;
a payment steered off a platform or a banking app opened with the caller on the line, ``offplat_now``) and 16
non-scams in the same words (the customer's own saving, a real service, the customer's own choices: ``*_real``).

The file's figures before and after the round are its row in tests/test_probe_rounds.py; this module keeps the
round's own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import paired_file_problems, read_rows

PROBES = Path(__file__).with_name("pin_probes_r28.jsonl")
PAIRS = {"unlock_now": "unlock_real", "object_now": "object_real", "party_now": "party_real",
         "offplat_now": "offplat_real"}


def test_each_scam_type_has_its_lookalike_type_and_every_line_its_label() -> None:
    assert paired_file_problems(read_rows(PROBES), PAIRS, 4, {"en"}) == []
