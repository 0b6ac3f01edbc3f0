"""False fraud banners from the rule pins, twenty-sixth round (issue 20), on the frozen probe file
``tests/pin_probes_fp_r26.jsonl``.

All 48 lines (``written: first``) were written and committed before any change (4d36442): 24 non-scams that read
like a pattern (a genuine institution's own process, a court order, the tax office, an escrow account,
``inst_legit``; a question whether a text, link or call was real, ``real_check``; a relative's real emergency,
``kin_real``; a courier at the door asking for ID or a delivery fee, ``courier_legit``) and 24 scams in progress in
the same words (``inst_now``, ``real_now``, ``kin_scam``, ``courier_now``), over all five scripts and dialects.

Before (main 4128c7a): rules alone and with the scam signal 20/24 scams, 7/24 false banners (inst_legit 2,
kin_real 3, courier_legit 2). After the round's reading of a part's actor, purpose and paper (84f179f): 20/24 and
5/24 (the two court and tax-office letters no longer pinned: an authority met on paper is its own process).

The file's figures are its row in tests/test_probe_rounds.py; this module keeps the round's own check.
"""

from __future__ import annotations

from pathlib import Path

from tests.probe_sets import paired_languages, read_rows

PROBES = Path(__file__).with_name("pin_probes_fp_r26.jsonl")
PAIRS = {"inst_now": "inst_legit", "real_now": "real_check", "kin_scam": "kin_real", "courier_now": "courier_legit"}
LANGUAGES = {"zh-Hans", "zh-Hant-TW", "zh-Hant-HK", "yue", "en"}


def test_each_scam_type_and_its_lookalike_type_span_every_language_alike() -> None:
    for scams, lookalikes in paired_languages(read_rows(PROBES), PAIRS).values():
        assert scams == lookalikes and scams.total() == 6 and set(scams) == LANGUAGES


def test_a_line_of_each_type_in_each_language_and_two_in_simplified_chinese() -> None:
    for scams, _ in paired_languages(read_rows(PROBES), PAIRS).values():
        assert scams["zh-Hans"] == 2 and all(scams[lang] == 1 for lang in LANGUAGES - {"zh-Hans"})
