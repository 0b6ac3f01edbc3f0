"""The tense and outcome of a scam told, and who starts the contact, thirtieth round (issue 20), on the frozen probe
file ``tests/pin_probes_tense_r30.jsonl``.

All 32 lines (``written: first``) were written and committed (319cf73) before they were measured: 8 past scams told
after the fact, by a holiday, a season, "back then" or a finished outcome (the code given and the card charged, the
money sent and the other side gone: ``past_told``), each beside a scam in progress in the same words where a new
contact or demand comes now (``past_live``); 8 call checks the customer asks the bank about with nothing done
(``check_ask``), each beside the same opening where the caller instructs now (``check_live``); four scripts.

The file's figures before and after the round are its row in tests/test_probe_rounds.py; this module keeps the
round's own checks (its pairs).
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import read_rows, unpaired_types

PROBES = Path(__file__).with_name("pin_probes_tense_r30.jsonl")
PAIRS = {"past_live": "past_told", "check_live": "check_ask"}


def test_each_scam_type_has_its_lookalike_type_in_the_same_languages() -> None:
    rows = read_rows(PROBES)
    assert unpaired_types(rows, PAIRS, 8) == []
    assert {str(r["lang"]) for r in rows} == {"zh-Hans", "zh-Hant-TW", "yue", "en"}


def test_every_line_is_labelled_by_its_type() -> None:
    rows = read_rows(PROBES)
    assert all(bool(r["scam"]) == (r["type"] in PAIRS) for r in rows)

