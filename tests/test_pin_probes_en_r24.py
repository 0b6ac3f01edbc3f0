"""Fraud pins on English scams in progress, twenty-fourth round (leave one file out), on the frozen probe file
``tests/pin_probes_en_r24.jsonl``.

All 48 lines (``written: first``) were written and committed before any change (874d532): 24 scams in
progress over four types, six each (five in English, one zh-Hans or Cantonese): an instruction reported
indirectly ("I've been asked to", "they need me to", "I'm supposed to", ``relayed_ask``); the customer walked
or coached through the banking app (``walked_through``); a deadline with a sanction ("it has to be done today
or", ``deadline``); money in its English forms (crypto machines, gift cards, Zelle, "shift my savings", a fee
to release a loan, ``money_forms``); and 24 lookalikes in the same words: the bank's own callback
(``callback_real``), a relative who honestly needs money (``relative_real``), a legitimate investment
question (``invest_real``) and a real deadline (council tax, a completion, a bill: ``deadline_real``).

Scored on main before the change (7bf1d11): rules alone 14/24 scams, 0/24 false banners; rules and scam
signal 18/24 (missed relayed_ask 2, deadline 3, money_forms 1), 0/24. After the English instruction families of
``scam.asks.en`` (d3e7c56): rules 17/24, with the signal 21/24; after the passive instruction read as party and
ask (c019f31): rules 18/24, with the signal 22/24 (missed relayed_ask 1, deadline 1); 0/24 false banners
throughout. Leave one file out (``python bench/scam_loo.py``): 2,038 -> 2,051 of 2,152 scams pinned, English
322 -> 335 of 362, false banners 16 -> 16.

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.probe_sets import read_rows

PROBES = Path(__file__).with_name("pin_probes_en_r24.jsonl")


def test_the_file_is_mostly_english_with_lookalikes_in_the_same_words() -> None:
    rows = read_rows(PROBES)
    langs = Counter(str(r["lang"]) for r in rows)
    assert langs["en"] >= 0.8 * len(rows)
    scams = Counter(str(r["type"]) for r in rows if r["scam"] and r["lang"] == "en")
    lookalikes = Counter(str(r["type"]) for r in rows if not r["scam"] and r["lang"] == "en")
    assert sorted(scams.values()) == [5, 5, 5, 5] and sorted(lookalikes.values()) == [5, 5, 5, 5]
