"""Which of a pack's regexes can match a sentence, found in one pass (an RE2 ``Set``).

A customer utterance is checked against about a hundred regex triggers; running each one
(``finditer``) costs a UTF-8 encoding and a search per pattern, whatever the text. An RE2
``Set`` holds all of them in one automaton and says in one pass which ones match somewhere in
the text; only those are then run to find their spans. The answer is exact (the same engine
decides, on the same text), so the hits are the same as running every pattern.

One thing an RE2 ``Set`` does not report is its own failure: when its automaton runs out of
memory it answers "nothing matched". So the set holds one more pattern that matches any
non-empty text; an answer without it is a failure, and the caller runs every pattern instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2  # type: ignore[import-untyped]

SET_MEMORY = 64 << 20
"""Bytes the set's automaton may use (RE2's default is 8 MiB): a library's own pack may hold
many more regexes than the shipped one. Used as needed, never reserved."""

_ANY_CHARACTER = "(?s)."


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = SET_MEMORY
    return options


class RegexPrefilter:
    """The RE2 patterns ``sources`` in one ``Set``: :meth:`matching` says which match a text."""

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = tuple(sources)
        self._set: Any = None
        self._sentinel = -1
        if not self.sources:
            return
        try:
            pattern_set = re2.Set.SearchSet(_options())
            for index, source in enumerate(self.sources):
                if pattern_set.Add(source) != index:
                    return
            self._sentinel = pattern_set.Add(_ANY_CHARACTER)
            pattern_set.Compile()
        except re2.error:
            return  # every pattern is then run on its own, as without a prefilter
        self._set = pattern_set

    @property
    def active(self) -> bool:
        return self._set is not None

    def matching(self, text: str) -> frozenset[int] | None:
        """Indexes (into ``sources``) of the patterns that match somewhere in ``text``; None
        when the set cannot say (no set, empty text, or the set failed): run every pattern."""
        if self._set is None or not text:
            return None
        found = self._set.Match(text)
        if not found or self._sentinel not in found:
            return None
        return frozenset(found).difference((self._sentinel,))
