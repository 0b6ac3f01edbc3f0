"""The relation of the one who asks, twenty-ninth round (issue 20), on the frozen probe file
``tests/pin_probes_rel_r29.jsonl``.

All 24 lines (``written: first``) were written and committed (8d19c21) before they were measured: 12 scams in
progress whose asker is a stranger (a caller, a chat contact, a "support desk": ``stranger_now``) or a stranger
claiming to be a relative or boss (a new number, a borrowed avatar: ``kin_claimed``), and 12 lookalikes in the same
words whose asker is the customer's own (a husband, a daughter, a son, a game's own help desk: ``own_now``; a
relative's or boss's real emergency or ask, checked in person: ``kin_real``), in four scripts.

The file's figures before and after the round are its row in tests/test_probe_rounds.py; this module keeps the
round's own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import paired_file_problems, read_rows

PROBES = Path(__file__).with_name("pin_probes_rel_r29.jsonl")
PAIRS = {"stranger_now": "own_now", "kin_claimed": "kin_real"}


def test_each_scam_type_has_its_lookalike_type_and_every_line_its_label() -> None:
    assert paired_file_problems(read_rows(PROBES), PAIRS, 6, {"zh-Hans", "zh-Hant-TW", "yue", "en"}) == []
