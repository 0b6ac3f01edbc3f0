"""False fraud banners from the rule pins, twenty-fifth round (issue 20), on the frozen probe file
``tests/pin_probes_fp_r25.jsonl``.

All 48 lines (``written: first``) were written and committed before any change: 24 non-scams that read like a
pattern (a relative's own call and ask, ``kin_legit``; the customer's own call to the bank, ``own_call_legit``;
a past scam already over, ``past_over``; a question whether a call or message was real, ``check_legit``) and 24
scams in progress in the same words (``kin_now``, ``own_call_now``, ``past_again``, ``check_now``), over all five
scripts and dialects.

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import read_rows, unpaired_types

PROBES = Path(__file__).with_name("pin_probes_fp_r25.jsonl")
PAIRS = {"kin_now": "kin_legit", "own_call_now": "own_call_legit", "past_again": "past_over",
         "check_now": "check_legit"}


def test_each_scam_type_has_its_lookalike_type_in_the_same_languages() -> None:
    rows = read_rows(PROBES)
    assert unpaired_types(rows, PAIRS, 6) == []
    assert all(len({str(r["lang"]) for r in rows if r["type"] == kind}) >= 4 for kind in PAIRS)


def test_every_script_and_dialect_is_on_both_sides() -> None:
    rows = read_rows(PROBES)
    for scam in (True, False):
        assert {str(r["lang"]) for r in rows if r["scam"] is scam} == {"zh-Hans", "zh-Hant-TW", "zh-Hant-HK", "yue",
                                                                       "en"}
