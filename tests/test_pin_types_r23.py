"""Fraud pins by scam type, twenty-third round (English and HK/Cantonese scams, leave one file out), on the
frozen probe file ``tests/pin_probes_types_r23.jsonl``.

All 48 lines (``written: first``) were written and committed before any change (8077195): 24 scams in
progress over four types, six each (two or three in English, one zh-Hant-HK, one or two Cantonese, one
zh-Hans or zh-Hant-TW): an obligation reported with the customer as subject ("he says I have to",
「佢話要我」, ``reported_ask``); kept on the line while moving money (``keep_line``); gift or store cards bought
and their numbers sent (``gift_cards``); savings moved to a "new" or "replacement" account (``new_account``);
and 24 lookalikes over four: a known person's or employer's everyday ask (``reported_real``), staying on the
line with the bank or a relative (``line_real``), gift cards bought as presents (``cards_real``), money moved
to the customer's own new account (``account_real``).

Scored on main before the change (b7e78cb): rules alone 19/24 scams, 4/24 false banners; rules and scam
signal 20/24 (missed reported_ask 1, keep_line 2, gift_cards 1), 3/24 (line_real 3). With the completion
threshold derived per script (``scam_signal.SCRIPTS``): 21/24 (an English reported_ask completed), 3/24.
Tried and reverted (the leave-one-file-out total did not rise): an English reported-obligation family ("I've
got to", "I'm supposed to", "I've been told to" + a money act) and Cantonese 入錢 as a payment word.

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.probe_sets import read_rows

PROBES = Path(__file__).with_name("pin_probes_types_r23.jsonl")


def test_the_file_is_mostly_english_and_hong_kong_or_cantonese() -> None:
    rows = read_rows(PROBES)
    langs = Counter(str(r["lang"]) for r in rows)
    assert langs["en"] + langs["zh-Hant-HK"] + langs["yue"] >= 0.75 * len(rows)
    scams = Counter((str(r["type"]), str(r["lang"])) for r in rows if r["scam"])
    assert all(scams[(t, "en")] >= 2 and scams[(t, "zh-Hant-HK")] == 1 for t, _ in scams)
