"""Which of a pack's regexes may match a sentence, found in one literal pass (RE2's FilteredRE2).

A customer utterance is checked against about a hundred regex triggers; running each one
(``finditer``) costs a UTF-8 encoding and a search per pattern, whatever the text. RE2's
``FilteredRE2`` reads from each pattern the literal strings ("atoms") any match must contain,
as a boolean formula (``转`` and (``账户`` or ``卡``)), and finds every atom of every pattern
in one pass of a literal automaton. The patterns whose formula holds are the only ones that
can match; only they are run, by the rule itself, which decides what matches. So the hits are
the same as running every pattern; a pattern with no atom to require (``\\d{13,19}``) is always
run.

Why atoms and not an RE2 ``Set`` of the whole patterns, which would answer exactly: a ``Set``'s
automaton has to be built state by state for text it has not seen, and for patterns with
bounded gaps (``[^。?]{0,20}?``) that cost about what running every pattern costs on each new
utterance (0.4 ms p50 on unseen lookups, measured); it is fast only on text seen before. The
literal automaton stays small whatever the text (0.06 ms).

One thing RE2 does not report is a failed pass of the literal automaton (out of memory): it
answers "no atom found", and patterns that may match would be skipped. So a sentinel pattern,
a literal no text holds, is added, and the text is searched behind a copy of it; an answer
without the sentinel is a failure, and the caller runs every pattern instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2  # type: ignore[import-untyped]

SENTINEL = "assist-prefilter-sentinel"
"""A literal in front of every searched text: its pattern must always be among the answers."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


class RegexPrefilter:
    """The RE2 patterns ``sources`` behind one literal pass: :meth:`matching` says which may
    match a text (a superset of those that do)."""

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = tuple(sources)
        self._filter: Any = None
        self._sentinel = -1
        if not self.sources:
            return
        try:
            patterns = re2.Filter()
            for index, source in enumerate(self.sources):
                if patterns.Add(source, _options()) != index:
                    return
            self._sentinel = patterns.Add(re2.escape(SENTINEL), _options())
            patterns.Compile()
        except re2.error:
            return  # every pattern is then run on its own, as without a prefilter
        self._filter = patterns

    def __reduce__(self) -> tuple[type[RegexPrefilter], tuple[tuple[str, ...]]]:
        """Pickled as its patterns and built again on loading (RE2's filter does not pickle), so a
        rule pack that has run pickles as before."""
        return RegexPrefilter, (self.sources,)

    @property
    def active(self) -> bool:
        return self._filter is not None

    def matching(self, text: str) -> frozenset[int] | None:
        """Indexes (into ``sources``) of the patterns that may match somewhere in ``text``
        (every one that does is among them); None when the filter cannot say (none built, or
        its pass failed): run every pattern."""
        if self._filter is None:
            return None
        found = self._filter.Match(f"{SENTINEL}\n{text}", potential=True)
        if not found or self._sentinel not in found:
            return None
        return frozenset(found).difference((self._sentinel,))
