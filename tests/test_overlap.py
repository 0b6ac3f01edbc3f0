"""tests/overlap.py finds exactly the near copies a loop over every pair finds."""

from __future__ import annotations

import difflib
import random

import pytest

from tests.overlap import bit_positions, common_subsequence, near_pairs, quick_ratios

ALPHABET = "我的卡被冻结了怎么办账户钱转abc de"


def every_pair(firsts: list[str], seconds: list[str], near: float, autojunk: bool) -> list[tuple[int, int, float]]:
    found = []
    for i, first in enumerate(firsts):
        for j, second in enumerate(seconds):
            ratio = difflib.SequenceMatcher(None, first, second, autojunk=autojunk).ratio()
            if ratio >= near:
                found.append((i, j, ratio))
    return found


def texts(rng: random.Random, count: int, longest: int) -> list[str]:
    made = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest))) for _ in range(count)]
    return [*made, made[0] + "啊", made[1][:-1], ""]  # near copies and an empty text


@pytest.mark.parametrize("autojunk", [True, False])
@pytest.mark.parametrize("near", [0.5, 0.7])
def test_near_pairs_equal_the_loop_over_every_pair(near: float, autojunk: bool) -> None:
    rng = random.Random(7)
    firsts, seconds = texts(rng, 60, 25), texts(rng, 40, 25) + texts(rng, 3, 260)  # 200+ characters: autojunk
    expected = every_pair(firsts, seconds, near, autojunk)
    assert near_pairs(firsts, seconds, near, autojunk) == expected
    assert expected  # the check has pairs to find


def longest_common_subsequence(a: str, b: str) -> int:
    """Written out: the dynamic programme over prefixes."""
    previous = [0] * (len(b) + 1)
    for char in a:
        current = [0]
        for position, other in enumerate(b):
            current.append(previous[position] + 1 if char == other else max(previous[position + 1], current[-1]))
        previous = current
    return previous[-1]


def test_quick_ratios_and_the_common_subsequence_equal_their_plain_forms() -> None:
    rng = random.Random(3)
    firsts, seconds = texts(rng, 30, 30), texts(rng, 30, 30)
    ratios = quick_ratios(firsts, seconds)
    for i, first in enumerate(firsts):
        for j, second in enumerate(seconds):
            assert ratios[i, j] == difflib.SequenceMatcher(None, first, second).quick_ratio()
            assert common_subsequence(first, bit_positions(second), len(second)) == \
                longest_common_subsequence(first, second)


def test_no_texts_no_pairs() -> None:
    assert near_pairs([], ["a"], 0.7) == near_pairs(["a"], [], 0.7) == near_pairs(["abc"], ["xyz"], 0.7) == []
