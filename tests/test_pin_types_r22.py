"""Fraud pins by scam type, twenty-second round (leave-one-file-out on the joined outside utterance sets,
misses by mechanism), on the frozen probe file ``tests/pin_probes_types_r22.jsonl``.

All 48 lines (``written: first``) were written and committed before any change (7b39ac4): 24 scams in
progress over four types, six each (zh-Hans, zh-Hant-TW, zh-Hant-HK, yue and two in English): a relative or
friend being scammed right now, told by the caller (``watched_now``); the customer coached at a cash machine
or in the app while still on the phone (``coached_now``); "raise my limit / unlock my card now" under a third
party's pressure (``urgent_limit``); a relative or romance contact asking for money (``family_ask``); and 24
lookalikes over four (``relative_real``, ``coached_real``, ``limit_real``, ``family_real``).

Scored on main before the change (rules and scam signal, ef80e11): 14/24 scams pinned (missed: urgent_limit
4, coached_now 3, watched_now 2, family_ask 1), 2/24 false banners (coached_real 2). The threshold's folds
read as writing rounds (692ca23, reverted: a dev trap completed): the same. An urgent limit or unlock request
as a payment under way (``scam.doing.*``) and threat markers: 15/24, 2/24. Keys pressed and numbers typed
on a caller's word (``scam.asks.control.*``): 17/24, 2/24.

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.probe_sets import read_rows

PROBES = Path(__file__).with_name("pin_probes_types_r22.jsonl")


def test_every_scam_type_is_told_in_every_language_and_twice_in_english() -> None:
    rows = read_rows(PROBES)
    scams = Counter((str(r["type"]), str(r["lang"])) for r in rows if r["scam"])
    types = {t for t, _ in scams}
    assert {t: scams[(t, "en")] for t in types} == dict.fromkeys(types, 2)
    assert all(scams[(t, lang)] == 1 for t in types for lang in ("zh-Hans", "zh-Hant-TW", "zh-Hant-HK", "yue"))
