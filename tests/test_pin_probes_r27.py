"""The kinds of part the fraud rules missed, twenty-seventh round (issue 20), on the frozen probe file
``tests/pin_probes_r27.jsonl``.

All 48 lines (``written: first``) were written and committed before any change: 24 scams in progress told
indirectly (an instruction in English phrasal verbs or a Chinese verb-complement, ``phrasal_now``; a fee or
deposit under another name before money is released, ``fee_alias_now``; a remote action told by what the
customer sees, ``remote_now``; a caller's demand relayed with Cantonese sentence particles or English
hearsay, ``relay_now``) and 24 non-scams in the same words (a past scam refused or the customer's own move,
``phrasal_own``; the bank's own fees or a question about them, ``fee_alias_real``; a past remote session
stopped or an employer's IT desk, ``remote_over``; a relayed story checked or refused, ``relay_real``), in
English and Cantonese two lines a type and zh-Hans and zh-Hant one each.

Before (main 9ba355c): rules alone 21/24 scams, 1/24 false banners; rules and the scam signal 22/24, 1/24.
The file's figures after the round are its row in tests/test_probe_rounds.py; this module keeps the round's
own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import read_rows, unpaired_types

PROBES = Path(__file__).with_name("pin_probes_r27.jsonl")
PAIRS = {"phrasal_now": "phrasal_own", "fee_alias_now": "fee_alias_real", "remote_now": "remote_over",
         "relay_now": "relay_real"}


def test_each_scam_type_has_its_lookalike_type_in_the_same_languages() -> None:
    rows = read_rows(PROBES)
    assert unpaired_types(rows, PAIRS, 6) == []
    for kind in PAIRS:
        langs = [str(r["lang"]) for r in rows if r["type"] == kind]
        assert langs.count("en") == 2 and langs.count("yue") == 2 and "zh-Hans" in langs


def test_every_line_is_labelled_by_its_type() -> None:
    rows = read_rows(PROBES)
    assert all(bool(r["scam"]) == (r["type"] in PAIRS) for r in rows)
