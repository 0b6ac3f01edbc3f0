"""The scam signal's scams and gated lookalikes, twenty-sixth round (issue 20), on the frozen probe file
``tests/pin_probes_sig_r26.jsonl``.

All 48 lines (``written: first``) were written and committed before any change: 24 scams in progress told
indirectly (money moved to a caller's "holding" account, ``hint_transfer``; a fee or deposit to free a
platform's or lender's money, ``hint_fee``; a code or a shared screen while the caller waits, ``hint_code``;
cash drawn for someone who will collect it, ``hint_cash``) and 24 non-scams in the same words (the same story
over and reported, ``hint_over``; the bank's own fees, ``fee_real``; a call checked and hung up,
``code_check``; cash drawn for a builder, a deposit or school fees, ``cash_real``), over all five scripts and
dialects.

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import read_rows, unpaired_types

PROBES = Path(__file__).with_name("pin_probes_sig_r26.jsonl")
PAIRS = {"hint_transfer": "hint_over", "hint_fee": "fee_real", "hint_code": "code_check", "hint_cash": "cash_real"}


def test_each_scam_type_has_its_lookalike_type_in_the_same_languages() -> None:
    rows = read_rows(PROBES)
    assert unpaired_types(rows, PAIRS, 6) == []
    assert all(len({str(r["lang"]) for r in rows if r["type"] == kind}) == 5 for kind in PAIRS)


def test_every_line_is_labelled_by_its_type() -> None:
    rows = read_rows(PROBES)
    assert all(bool(r["scam"]) == (r["type"] in PAIRS) for r in rows)
