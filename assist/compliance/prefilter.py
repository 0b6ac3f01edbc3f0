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

Patterns with no atom (an alternation holding a word shorter than three bytes, ``he|she``)
pass the literal pass on every text, and were run on every sentence of every utterance. They
are screened instead once per checked text (:meth:`RegexPrefilter.screened_out`): one RE2
alternation of them all, searched over the whole normalised text, and where it finds nothing
none of them can match in any of its sentences, which are pieces of that text. (Only patterns
without ``^``, ``$``, ``\\A`` or ``\\z`` are screened: their matches do not depend on where a
piece ends. ``\\b`` does not either, as a sentence is bounded by its terminator, a non-word
character, in the whole text as at its own edges.) On the 20,000-line evaluation, 11 % of the
utterances pass the screen, and the three shipped patterns without atoms are run on the
sentences of those only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import re2  # type: ignore[import-untyped]

SENTINEL = "assist-prefilter-sentinel"
"""A literal in front of every searched text: its pattern must always be among the answers."""
_ANCHOR = re.compile(r"[$^]|\\[Az]")
"""What makes a pattern's matches depend on where the searched piece of text begins or ends
(``[^。]`` is no anchor, but is left out too: screening is only a saving)."""


def _native() -> Any | None:
    """pyre2's compiled module, where this version has the parts :func:`search` and the chunked
    filter call directly; None otherwise, and then pyre2's public ``search`` and ``Match`` serve
    (slower, the same answers). The parts are not pyre2's public API, so they are checked here,
    once, rather than assumed."""
    native = getattr(re2, "_re2", None)
    parts = ("RE2", "CharLenToBytes", "BytesToCharLen")
    if native is None or not all(hasattr(native, part) for part in parts):
        return None
    return native if hasattr(getattr(native.RE2, "Anchor", None), "UNANCHORED") else None


_NATIVE = _native()


def search(regex: Any, text: str, position: int = 0, encoded: bytes | None = None) -> tuple[int, int] | None:
    """The span (in characters) of ``regex.search(text, position)``, None where nothing matches,
    for a pattern compiled by RE2 (``encoded``: ``text`` in UTF-8, when the caller has it).

    pyre2's ``search`` encodes the text, clamps and maps offsets and builds a match object on every
    call, most of a search's cost on a short sentence where most searches find nothing; here RE2
    is asked on the bytes, and a match's byte offsets are counted back into characters as pyre2
    does (:func:`re2._re2.BytesToCharLen`; :func:`_native`)."""
    native = _NATIVE
    compiled = getattr(regex, "_regexp", None) if native is not None else None
    if native is None or compiled is None:
        match = regex.search(text, position)
        return None if match is None else match.span()
    data = text.encode("utf-8") if encoded is None else encoded
    ascii_only = len(data) == len(text)
    first = position if position == 0 or ascii_only else native.CharLenToBytes(data, 0, position)
    begin, end = compiled.Match(native.RE2.Anchor.UNANCHORED, data, first, len(data))[0]
    if begin == -1:
        return None
    if ascii_only:
        return begin, end
    start = position + native.BytesToCharLen(data, first, begin)
    return start, start + native.BytesToCharLen(data, begin, end)


CHUNK_CHARS = 48_000
"""Most pattern characters behind one literal pass. RE2 builds a literal pass's automaton state
by state as texts need them, within a fixed memory budget; with every atom of a large pack (some
210 customer patterns, 83,000 characters) in one automaton, new text keeps building states that
the budget soon throws away. The patterns are therefore shared out by script first
(:func:`_script`): a pass over the Chinese patterns' atoms stays in its first states on English
text and the English pass on Chinese text, so each builds only the states its own texts need.
Eight passes of 12,000 characters in pack order cost 64 µs an utterance on the 20,000
evaluation lines and 85 µs on dev and held-out lines of both languages mixed; the two passes by
script 23 and 73 µs (measured, one process)."""

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _script(source: str) -> int:
    """0 for a pattern holding a Chinese character, else 1."""
    return 0 if _CJK.search(source) else 1


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


class _Chunked:
    """Literal passes over shares of the patterns (by script, each of at most ``CHUNK_CHARS``
    characters, a longer pattern alone), answering as one: the indexes (into all the patterns)
    of those that may match, with the sentinel's index ``len(sources)`` where every pass found
    its own sentinel, else None."""

    def __init__(self, parts: list[tuple[Any, tuple[int, ...], int]], sentinel: int) -> None:
        self.parts = parts
        self.sentinel = sentinel

    @classmethod
    def of(cls, sources: Sequence[str], chunk_chars: int) -> _Chunked | None:
        """The passes over ``sources``, or None when RE2 does not take one of them."""
        shares: list[list[int]] = []
        for script in (0, 1):
            size = 0
            for index, source in enumerate(sources):
                if _script(source) != script:
                    continue
                if size == 0 or size + len(source) > chunk_chars:
                    shares.append([])
                    size = 0
                shares[-1].append(index)
                size += len(source)
        parts: list[tuple[Any, tuple[int, ...], int]] = []
        try:
            for share in shares:
                patterns = re2.Filter()
                for offset, index in enumerate(share):
                    if patterns.Add(sources[index], _options()) != offset:
                        return None
                parts.append((patterns, tuple(share), patterns.Add(re2.escape(SENTINEL), _options())))
                patterns.Compile()
        except re2.error:
            return None
        return cls(parts, len(sources))

    def Match(self, text: str, potential: bool = False) -> list[int] | None:
        """What ``re2.Filter.Match`` answers, for all the passes together (RE2's name kept)."""
        found: list[int] = []
        encoded = text.encode("utf-8")  # once for every pass, not by each pass's wrapper
        for patterns, indexes, sentinel in self.parts:
            native_filter = getattr(patterns, "_filter", None) if _NATIVE is not None else None
            answer = (native_filter.Match(encoded, potential) if native_filter is not None
                      else patterns.Match(text, potential=potential))
            if not answer or sentinel not in answer:
                return None
            if len(answer) > 1:  # most passes find their sentinel alone
                found.extend(indexes[index] for index in answer if index != sentinel)
        found.append(self.sentinel)
        return found


class RegexPrefilter:
    """The RE2 patterns ``sources`` behind one literal pass: :meth:`matching` says which may
    match a text (a superset of those that do)."""

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = tuple(sources)
        self._filter: Any = None
        self._sentinel = -1
        self.screened: frozenset[int] = frozenset()
        """The patterns without atoms that :meth:`screened_out` screens."""
        self._screen: Any = None
        if not self.sources:
            return
        patterns = _Chunked.of(self.sources, CHUNK_CHARS)
        if patterns is None:
            return  # every pattern is then run on its own, as without a prefilter
        self._sentinel = len(self.sources)
        self._filter = patterns
        self._build_screen()

    def _build_screen(self) -> None:
        """One alternation of the patterns the literal pass lets through on any text (those
        that pass on the empty text, which holds no atom), less any with an anchor."""
        unfiltered = self.matching("")
        if not unfiltered:
            return
        screened = sorted(i for i in unfiltered if not _ANCHOR.search(self.sources[i]))
        if not screened:
            return
        try:
            self._screen = re2.compile("|".join(f"(?:{self.sources[i]})" for i in screened), options=_options())
        except re2.error:
            return  # too large for one automaton: each pattern is then run on every sentence
        self.screened = frozenset(screened)

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

    def screened_out(self, text: str) -> frozenset[int]:
        """Indexes of the patterns without atoms (:attr:`screened`) that match nowhere in
        ``text``, and so in none of its sentences: empty when any of them matches somewhere."""
        if self._screen is None or search(self._screen, text) is not None:
            return frozenset()
        return self.screened
