"""Literal strings a regular expression cannot match without: a cheap test before the search.

The rule packs' patterns are large alternations with bounded gaps
(「(?:让我|叫我|要我)[^,。]{0,6}(?:把钱|把存款)…」), and Python's ``re`` tries every
branch at every position of a sentence: about 25 µs a pattern, 0.2 ms for a
customer's sentence against all 69 customer patterns. Yet a pattern can only
match a sentence holding one of a few words (「让我」「叫我」「要我」 above), and
most sentences hold none of them. :func:`required_literals` reads a pattern's
syntax tree and returns such a set; :class:`PatternGate` finds in one pass
which patterns' words a sentence holds, and the rule engine searches only those.

The set is sound by construction: every piece of the pattern it comes from must
match at least once in any match (a plain literal run, a group, an alternation
whose every branch has its own set, a repeat of at least one). Anything else
(character classes, wildcards, assertions, optional parts) contributes nothing,
and a pattern with no such piece, or with case-insensitive matching, gets None:
always searched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import Any

Literals = frozenset[str]


def required_literals(source: str) -> Literals | None:
    """Strings one of which every match of ``source`` contains, or None if none can be told."""
    try:
        parsed = sre_parser.parse(source)
    except (re.error, RecursionError, ValueError):
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    return _of_sequence(parsed.data)


def _of_sequence(items: list[tuple[Any, Any]]) -> Literals | None:
    """The most selective set among the pieces that every match of ``items`` contains."""
    best: Literals | None = None
    run: list[str] = []

    def keep(candidate: Literals | None) -> None:
        nonlocal best
        if candidate and all(candidate) and (best is None or _selectivity(candidate) > _selectivity(best)):
            best = candidate

    for op, argument in items:
        if op is sre_constants.LITERAL:
            run.append(chr(argument))
            continue
        if run:
            keep(frozenset(["".join(run)]))
            run = []
        keep(_of_piece(op, argument))
    if run:
        keep(frozenset(["".join(run)]))
    return best


def _of_piece(op: Any, argument: Any) -> Literals | None:
    if op is sre_constants.SUBPATTERN:
        _, added_flags, _, body = argument
        return None if added_flags & re.IGNORECASE else _of_sequence(body.data)
    if op is sre_constants.ATOMIC_GROUP:
        return _of_sequence(argument.data)
    if op is sre_constants.BRANCH:
        branches = [_of_sequence(branch.data) for branch in argument[1]]
        if any(branch is None for branch in branches):
            return None
        return frozenset().union(*branches)  # type: ignore[arg-type]
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
        least, _, body = argument
        return _of_sequence(body.data) if least >= 1 else None
    return None


def _selectivity(candidate: Literals) -> tuple[int, int]:
    """Longer shortest member first (rarer in text), then fewer members."""
    return min(len(word) for word in candidate), -len(candidate)


class PatternGate:
    """Which of many patterns may match a text, told in one pass over it.

    Every required word of every pattern goes into one Aho-Corasick automaton
    (``pyahocorasick``, C): one scan of a sentence finds every word it holds,
    overlapping ones included, in a few microseconds, where testing the
    words one by one in Python took about 0.2 ms for the customer rules.
    """

    def __init__(self, literal_sets: Sequence[Literals | None]) -> None:
        import ahocorasick

        self._always = frozenset(i for i, literals in enumerate(literal_sets) if literals is None)
        owners: dict[str, list[int]] = {}
        for i, literals in enumerate(literal_sets):
            for word in literals or ():
                owners.setdefault(word, []).append(i)
        self._automaton: Any = None
        if owners:
            self._automaton = ahocorasick.Automaton()
            for word, patterns in owners.items():
                self._automaton.add_word(word, tuple(patterns))
            self._automaton.make_automaton()

    def candidates(self, text: str) -> set[int]:
        """Indices of the patterns that may match ``text``; the others cannot."""
        found = set(self._always)
        if self._automaton is not None:
            for _, patterns in self._automaton.iter(text):
                found.update(patterns)
        return found
