"""Phrase lexicons: named lists of words and phrases, per language, found in one pass.

A lexicon is what a compliance officer reads and extends: 「验证码」「驗證碼」「one-time
code」 under ``otp``, per language (zh-Hans, zh-Hant with Taiwan and Hong Kong wording,
yue for Cantonese, en). Phrases are normalised on load exactly as checked text is
(simplified characters, half-width, case-folded; 帳 and 帐 both as 账), so a traditional or
full-width phrase matches its every spelling.

A phrase may hold ``…`` for a short gap: 「报…给我」 matches 「报一下给我」 (at most
:data:`GAP` characters, never across a clause mark). English phrases only match
whole words: ``pin`` does not match inside ``spinning``.

Every phrase of every lexicon goes into one Aho-Corasick automaton, so finding all
of them in a text is one linear pass whatever the number of phrases: no
backtracking, no regular expression.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import ahocorasick

from assist.text.normalise import normalise

LANGUAGES = ("zh-Hans", "zh-Hant", "yue", "en")
"""Lexicon languages: zh-Hant holds Taiwan and Hong Kong wording, yue Cantonese."""

GAP = 10
"""Most characters a ``…`` in a phrase stands for."""

GAP_MARKS = ("…", "...")

_REGIONAL_CHARS = str.maketrans({"帐": "账"})
_REGIONAL_WORDS = (("身分", "身份"),)
"""Spellings OpenCC leaves regional after traditional -> simplified: Taiwan and Hong Kong 帳
becomes 帐 where mainland text writes 账 (帳戶 -> 帐户, not 账户), and Taiwan writes 身分 for
身份. Both phrases and text are folded alike, each to a string of the same length, so spans
still index the checked text."""
CLAUSE_MARKS = frozenset(",;:。!?")

Span = tuple[int, int]


@dataclass(frozen=True)
class Lexicon:
    """One named lexicon: its phrases as written, per language, and normalised."""

    name: str
    by_language: tuple[tuple[str, tuple[str, ...]], ...]
    source: str = ""
    line: int | None = None

    @cached_property
    def phrases(self) -> tuple[str, ...]:
        """Distinct normalised phrases, in the order written (once per lexicon: an index reads
        them three times, and normalising the shipped pack's phrases takes about 0.1 s)."""
        seen: dict[str, None] = {}
        for _, written in self.by_language:
            for phrase in written:
                seen.setdefault(normalise_phrase(phrase), None)
        return tuple(p for p in seen if p)


def regional_fold(text: str) -> str:
    """``text`` with the regional spellings of :data:`_REGIONAL_WORDS` folded; same length."""
    text = text.translate(_REGIONAL_CHARS)
    for regional, common in _REGIONAL_WORDS:
        text = text.replace(regional, common)
    return text


def normalise_phrase(phrase: str) -> str:
    """A phrase as it appears in normalised text; any gap mark becomes one ``…``."""
    text = phrase
    for mark in GAP_MARKS:
        text = text.replace(mark, "\0")
    parts = [regional_fold(normalise(part).strip()) for part in text.split("\0")]
    return "…".join(parts) if all(parts) else ""


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class _Key:
    """What the automaton knows of one key (a phrase, or a gapped phrase's first part): the
    lexicons holding it as a whole phrase, those whose gapped phrases start with it, and whether
    it starts or ends with a word character (only then are its neighbours looked at)."""

    text: str
    plain: tuple[str, ...]
    gapped: tuple[tuple[str, tuple[str, ...]], ...]
    word_start: bool
    word_end: bool


@dataclass
class PhraseIndex:
    """All phrases of a set of lexicons in one automaton; :meth:`find` reports hits per lexicon."""

    lexicons: Mapping[str, Lexicon]
    _automaton: ahocorasick.Automaton = field(init=False, repr=False)
    _plain: dict[str, frozenset[str]] = field(init=False, repr=False)
    _gapped: dict[str, tuple[tuple[str, ...], ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        owners: dict[str, list[str]] = defaultdict(list)
        gapped: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        plain = {
            name: frozenset(p for p in lexicon.phrases if "…" not in p)
            for name, lexicon in self.lexicons.items()
        }
        self._plain = plain
        self._gapped = {name: tuple(tuple(p.split("…")) for p in lexicon.phrases if "…" in p)
                        for name, lexicon in self.lexicons.items()}
        for name, lexicon in self.lexicons.items():
            for phrase in lexicon.phrases:
                parts = phrase.split("…")
                owners[parts[0]].append(name)
                if len(parts) > 1:
                    gapped[parts[0]].append((name, tuple(parts[1:])))
        automaton = ahocorasick.Automaton()
        for key, names in owners.items():
            distinct = tuple(dict.fromkeys(names))
            automaton.add_word(key, _Key(key, tuple(n for n in distinct if key in plain[n]),
                                         tuple(gapped.get(key, ())), _is_word(key[0]), _is_word(key[-1])))
        if owners:
            automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> dict[str, list[Span]]:
        """Hits of every lexicon in normalised ``text``: name -> sorted (start, end) spans."""
        found: dict[str, set[Span]] = defaultdict(set)
        if not self.lexicons or len(self._automaton) == 0:
            return {}
        text = regional_fold(text)
        size = len(text)
        for last, key in self._automaton.iter(text):
            end = last + 1
            start = end - len(key.text)
            # Whole words only: a key starting (ending) with a word character must not have one
            # before (after) it; see _whole_word.
            if key.word_start and start > 0 and _is_word(text[start - 1]):
                continue
            if key.word_end and end < size and (_is_word(text[end]) or text[end : end + 2] == "'t"):
                continue
            for name in key.plain:
                found[name].add((start, end))
            for name, rest in key.gapped:
                tail = _follow(text, end, rest)
                if tail is not None and self._whole_word(text, start, tail):
                    found[name].add((start, tail))
        return {name: sorted(spans) for name, spans in found.items()}

    def gaps(self, text: str, name: str, span: Span) -> tuple[Span, ...]:
        """The gaps of a hit ``span`` of lexicon ``name`` in normalised ``text``: what the ``…``
        of the gapped phrase it matched stood for (「保证…到」 in 「保证唔到」: 唔), none when a whole
        phrase of the lexicon matches it. A rule reads a negation in a gap as negating the hit
        (「保证不了…到」 promises nothing): the words a phrase leaves open are not what it says.
        Of several gapped phrases matching the same span, the first written is read."""
        gapped = self._gapped.get(name, ())
        if not gapped:
            return ()
        text = regional_fold(text)
        start, end = span
        piece = text[start:end]
        if piece in self._plain[name]:
            return ()
        for parts in gapped:
            if piece.startswith(parts[0]):
                followed = _follow_gaps(text, start + len(parts[0]), tuple(parts[1:]))
                if followed is not None and followed[0] == end:
                    return followed[1]
        return ()

    @staticmethod
    def _whole_word(text: str, start: int, end: int) -> bool:
        if _is_word(text[start]) and start > 0 and _is_word(text[start - 1]):
            return False
        if not _is_word(text[end - 1]) or end >= len(text):
            return True
        # "we can" must not match inside "we can't"; "the other bank" may match "the other bank's".
        return not (_is_word(text[end]) or text[end : end + 2] == "'t")


def _follow(text: str, position: int, parts: tuple[str, ...]) -> int | None:
    """End of ``parts`` found one after another, each within :data:`GAP` characters of the
    previous one and in the same clause; None when any is missing."""
    followed = _follow_gaps(text, position, parts)
    return None if followed is None else followed[0]


def _follow_gaps(text: str, position: int, parts: tuple[str, ...]) -> tuple[int, tuple[Span, ...]] | None:
    """:func:`_follow`, with the gaps the ``…`` marks stood for (empty ones left out)."""
    gaps: list[Span] = []
    for part in parts:
        window_end = position + GAP + len(part)
        window = text[position:window_end]
        stop = next((i for i, ch in enumerate(window) if ch in CLAUSE_MARKS), len(window))
        index = window.find(part, 0, stop)
        if index < 0:
            return None
        if index:
            gaps.append((position, position + index))
        position += index + len(part)
    return position, tuple(gaps)
