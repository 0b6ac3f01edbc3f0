"""The shipped library's customer-voice examples are written fresh: none is an evaluation text
or a near copy of one (difflib ratio < 0.7), so the dev and held-out figures measure wording
the library was not written from.

The measured utterance sets (``scripts_library/examples/utterances_v*.jsonl``, once held out,
each measured once) are training data now: they join the library's examples on purpose, so they
are exempt here; the dev set and the pin sets stay evaluation texts, and ``eval/heldout/next/``
stays frozen and is deliberately not read here."""

from __future__ import annotations

import json

import pytest

from assist.library.loader import SHIPPED_LIBRARY, load_library
from assist.library.out_of_scope import with_out_of_scope
from tests.conftest import REPO, SHARED_EVAL
from tests.overlap import near_pairs

NEAR = 0.7
HELDOUT = REPO / "eval" / "heldout"
EVALUATION = (SHARED_EVAL / "utterances_dev.jsonl", HELDOUT / "pins_v2.jsonl", HELDOUT / "pins_v3.jsonl")
AT_THE_LINE = {"i really don't have time for security questions, just do the transfer"}
"""Measured-set lines (utterances_v1) that an outside writer, blind to the dev set, wrote at ratio
0.70 to one dev text: allowed at that ratio only, so any new near copy still fails."""


def evaluation_texts() -> list[str]:
    texts: list[str] = []
    for path in EVALUATION:
        if path.is_file():
            texts += [json.loads(line)["text"].strip().lower()
                      for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def near_copies(examples: list[str], texts: list[str]) -> list[tuple[float, str, str]]:
    """Pairs with ``SequenceMatcher(None, text, example, autojunk=False).ratio() >= NEAR``
    (tests/overlap.py: exact upper bounds of the ratio leave few pairs to measure)."""
    found = near_pairs(texts, examples, NEAR, autojunk=False)
    return [(round(ratio, 2), examples[j], texts[i]) for i, j, ratio in found]


def test_near_copies_finds_a_reworded_line_and_passes_a_fresh_one() -> None:
    assert near_copies(["我的卡被冻结了怎么办啊"], ["我的卡被冻结了怎么办"])
    assert not near_copies(["花呗的账单在哪里看"], ["我的卡被冻结了怎么办"])


@pytest.mark.slow  # 8-13 s on the busy shared VM (157 s before tests/overlap.py): every example, every text
def test_no_example_is_a_near_copy_of_an_evaluation_text() -> None:
    texts = evaluation_texts()
    assert (HELDOUT / "pins_v2.jsonl").is_file() and texts
    scripts = with_out_of_scope(load_library(SHIPPED_LIBRARY)).scripts
    examples = sorted({e.strip().lower() for s in scripts for e in s.examples})
    assert len(examples) > 2000
    found = near_copies(examples, texts)
    assert [pair for pair in found if not (pair[1] in AT_THE_LINE and pair[0] <= 0.7)] == []
