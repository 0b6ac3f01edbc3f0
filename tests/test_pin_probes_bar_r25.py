"""Fraud pins where the scam signal's completion bar decides, twenty-fifth round (issue 20), on the frozen probe
file ``tests/pin_probes_bar_r25.jsonl``.

All 48 lines (``written: first``) were written and committed before any change: 24 scams in progress told
indirectly (an instruction relayed without a directive verb, ``relayed_now``; a stranger waiting on the line or
at the door while the customer acts, ``stranger_waiting``; a platform or scheme holding money until a fee is
paid, ``scheme_unlock``; an errand from a contact on a new number or a "boss" on a chat app, with secrecy,
``hushed_errand``) and 24 lookalikes in the same words (``relayed_legit``, ``waiting_legit``, ``platform_legit``,
``errand_legit``), over all five scripts and dialects: English 8 + 8, Cantonese 6 + 6, zh-Hans 4 + 4,
zh-Hant-HK 3 + 3, zh-Hant-TW 3 + 3.

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.probe_sets import read_rows

PROBES = Path(__file__).with_name("pin_probes_bar_r25.jsonl")


def test_english_and_cantonese_are_well_represented_both_ways() -> None:
    rows = read_rows(PROBES)
    for scam in (True, False):
        langs = Counter(str(r["lang"]) for r in rows if r["scam"] is scam)
        assert langs == {"en": 8, "yue": 6, "zh-Hans": 4, "zh-Hant-HK": 3, "zh-Hant-TW": 3}


def test_each_scam_type_has_its_lookalike_type_in_the_same_languages() -> None:
    rows = read_rows(PROBES)
    pairs = {"relayed_now": "relayed_legit", "stranger_waiting": "waiting_legit", "scheme_unlock": "platform_legit",
             "hushed_errand": "errand_legit"}
    for scam_type, lookalike_type in pairs.items():
        scams = Counter(str(r["lang"]) for r in rows if r["type"] == scam_type)
        lookalikes = Counter(str(r["lang"]) for r in rows if r["type"] == lookalike_type)
        assert scams == lookalikes and scams.total() == 6
