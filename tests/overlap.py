"""Near copies between two lists of texts: every pair whose ``difflib.SequenceMatcher`` ratio
reaches ``near``, found without measuring every pair.

The tests that keep the library, the rules' exemplars and the probes apart from the dev and
held-out sets compared every text with every text, and grew with each set (minutes of the
suite). ``ratio()`` is at most ``quick_ratio()``, ``2 * shared / (len(a) + len(b))`` with
``shared`` the characters the two hold in common counted with multiplicity, whatever the junk
setting (each match pairs two equal characters, each used once). ``shared`` is at most both
``sum(a's count of c for c in b)`` and ``sum(b's count of c for c in a)``, which are two sparse
matrix products over all pairs at once: a pair whose bound falls short of ``near`` cannot reach
it, and only the others are measured with ``ratio()``. The answer is exactly the pairs a loop
over all of them finds (tests/test_overlap.py checks it against that loop).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
from scipy import sparse

ROWS = 512
"""First texts bounded together (a block of ``ROWS x len(seconds)`` bounds in memory)."""


def char_counts(texts: Sequence[str], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    """Each text's count of each character (columns from ``vocabulary``, extended as met)."""
    rows, columns, counts = [], [], []
    for row, text in enumerate(texts):
        for char, count in _counted(text).items():
            rows.append(row)
            columns.append(vocabulary.setdefault(char, len(vocabulary)))
            counts.append(count)
    return sparse.csr_matrix((np.array(counts, dtype=np.float64), (rows, columns)),
                             shape=(len(texts), max(len(vocabulary), 1)))


def _counted(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    return counts


def quick_ratios(firsts: Sequence[str], seconds: Sequence[str]) -> np.ndarray:
    """``quick_ratio()`` of every pair, firsts by seconds, exactly: the characters two texts
    share, counted with multiplicity, are ``sum over k >= 1`` of the characters each holds at
    least ``k`` times, one product of 0/1 matrices per ``k``."""
    vocabulary: dict[str, int] = {}
    a, b = char_counts(firsts, vocabulary), char_counts(seconds, vocabulary)
    width = max(len(vocabulary), 1)
    a.resize(a.shape[0], width)
    b.resize(b.shape[0], width)
    lengths_a = np.array([len(t) for t in firsts], dtype=np.float64)
    lengths_b = np.array([len(t) for t in seconds], dtype=np.float64)
    deepest = int(min(a.data.max(initial=0), b.data.max(initial=0)))
    levels = [((a >= k).astype(np.float64), (b >= k).astype(np.float64).T.tocsr()) for k in range(1, deepest + 1)]
    ratios = np.empty((len(firsts), len(seconds)))
    for start in range(0, len(firsts), ROWS):
        block = slice(start, start + ROWS)
        shared = np.zeros((len(lengths_a[block]), len(seconds)))
        for held_a, held_b in levels:
            shared += (held_a[block] @ held_b).toarray()
        total = lengths_a[block, None] + lengths_b[None, :]
        ratios[block] = np.divide(2.0 * shared, total, out=np.ones_like(shared), where=total > 0)
    return ratios


def common_subsequence(first: str, positions: dict[str, int], length: int) -> int:
    """The longest common subsequence of ``first`` and a text of ``length`` characters whose
    ``positions`` give each character's bit mask (bit i: the character at i), by the bit-parallel
    recurrence of Hyyrö (2004): one addition and a few masks per character of ``first``."""
    full = (1 << length) - 1
    row = full
    for char in first:
        matched = row & positions.get(char, 0)
        row = ((row + matched) | (row - matched)) & full
    return length - row.bit_count()


def bit_positions(text: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    for position, char in enumerate(text):
        positions[char] = positions.get(char, 0) | (1 << position)
    return positions


def near_pairs(firsts: Sequence[str], seconds: Sequence[str], near: float,
               autojunk: bool = True) -> list[tuple[int, int, float]]:
    """(first's position, second's position, ratio) of each pair with
    ``SequenceMatcher(None, first, second, autojunk).ratio() >= near``, in (first, second) order.

    Each bound is exact, so no pair is lost: ``quick_ratio()`` for all pairs at once
    (:func:`quick_ratios`), then for those that reach ``near`` the longest common subsequence
    (the matching blocks ``ratio()`` counts are one, junk or not), then ``ratio()`` itself."""
    if not firsts or not seconds:
        return []
    found = []
    candidates = np.argwhere(near <= quick_ratios(firsts, seconds).T)  # (second, first), by second
    if not len(candidates):
        return []
    columns, starts = np.unique(candidates[:, 0], return_index=True)
    first_positions: dict[int, dict[str, int]] = {}
    for j, rows in zip(columns.tolist(), np.split(candidates[:, 1], starts[1:]), strict=True):
        second = seconds[j]
        positions = bit_positions(second)
        matcher = difflib.SequenceMatcher(None, "", second, autojunk=autojunk)  # indexes the second text once
        for i in rows.tolist():
            first = firsts[i]
            total = len(first) + len(second)
            if len(first) > len(second):  # the same length either way: step through the shorter text
                own = first_positions.setdefault(i, bit_positions(first))
                common = common_subsequence(second, own, len(first))
            else:
                common = common_subsequence(first, positions, len(second))
            if total and 2.0 * common / total < near:
                continue
            matcher.set_seq1(first)
            ratio = matcher.ratio()
            if ratio >= near:
                found.append((int(i), int(j), ratio))
    return sorted(found)
