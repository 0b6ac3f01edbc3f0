"""Fraud pins by scam type, twenty-first round (leave-one-file-out: scams in progress pinned on the joined
outside utterance sets when the scam signal is trained without each one), on the frozen probe file
``tests/pin_probes_types_r21.jsonl``.

All 48 lines (``written: first``) were written and committed before any change (3e41cfa): 24 scams in
progress over six types (task-platform deposits, a relative being scammed right now at a branch or a cash
machine, the customer coached at a cash machine, a relative on a new number, parcel links asking for card
data, an urgent transfer-limit raise under a threat), four each, and 24 lookalikes over six (a platform's
own fees, a relative's real transfer, help at a cash machine, a relative's real new number, real customs
duty, a real limit raise).

Scored on main before the change (rules and scam signal, 7a1177b): 17/24 scams pinned (missed:
watched_now 3, urgent_limit 2, task_deposit 1, courier_link 1), 2/24 false banners (platform_real 1,
parcel_real 1). After the scheme gate (``assist.lookup.pins.PARTIAL``) and the weighted signal
(``assist.lookup.scam_signal.ASKED_WEIGHT``): 18/24, 2/24. No lexicon or exemplar was changed.

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import read_rows

PROBES = Path(__file__).with_name("pin_probes_types_r21.jsonl")


def test_each_language_tells_every_scam_type() -> None:
    rows = [r for r in read_rows(PROBES) if r["scam"]]
    types = {str(r["type"]) for r in rows}
    chinese = {str(r["type"]) for r in rows if str(r["lang"]) != "en"}
    english = {str(r["type"]) for r in rows if str(r["lang"]) == "en"}
    assert chinese == types and english == types
