"""A checked text in normal form with offsets, without a Python step per character.

:func:`assist.text.normalise.normalise_with_offsets` is the definition: OpenCC's traditional →
simplified over the whole text, then NFKC and case folding character by character, whitespace
runs collapsed to one space, the ends trimmed, and for each output character the index of the
input character it came from. It loops over the characters in Python, which costs more than
every rule of a draft together.

Here the folds come from ``str.translate`` with a table of each character's own fold (filled
on first sight), so no character costs a Python step unless it folds to several characters
(「…」 -> "..."); the offsets are the identity when every character folds to one and spaces are
already single, and whitespace runs are found by a regex otherwise. A text with a control
character, or one OpenCC changes the length of, goes to the definition itself. The answer is
always the definition's (tests/test_reading.py checks it on generated text).
"""

from __future__ import annotations

import re
import unicodedata

from assist.text.normalise import normalise_with_offsets, to_simplified

TABLE_LIMIT = 50_000
"""Characters whose fold is kept: far more than the scripts a contact centre sees, and a bound
on what a hostile text of rare characters can make the table hold."""

_CONTROL_OR_TAB = re.compile(r"[\x00-\x1f\x7f]")
_NON_SPACE = re.compile(r"\S+")


class _Folds(dict[int, str]):
    """Code point -> that one character NFKC-normalised and case-folded, made on first use."""

    def __missing__(self, code: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(code)).casefold()
        if len(self) < TABLE_LIMIT:
            self[code] = folded
        return folded


_FOLDS = _Folds()


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalise_with_offsets(text)``: the same result, without a Python step per character
    where the text allows."""
    if _CONTROL_OR_TAB.search(text):
        return normalise_with_offsets(text)
    simplified = to_simplified(text)
    if len(simplified) != len(text):
        return normalise_with_offsets(text)  # OpenCC changed the length: the definition's own path
    folded = simplified.translate(_FOLDS)
    # No fold is empty, so equal lengths mean every character folded to exactly one; else each
    # folded character maps back to the character whose fold it is part of (「……」 -> "......").
    source = None if len(folded) == len(simplified) else [
        index for index, ch in enumerate(simplified) for _ in _FOLDS[ord(ch)]]
    if " ".join(folded.split()) == folded:  # every space already one plain space between words
        return folded, source if source is not None else list(range(len(folded)))
    # Runs of whitespace (str.split and isspace agree on it) become one space, standing for the
    # first character of the run; the ends are trimmed.
    pieces: list[str] = []
    offsets: list[int] = []
    for run in _NON_SPACE.finditer(folded):
        if pieces:
            pieces.append(" ")
            offsets.append(offsets[-1] + 1)  # the whitespace right after the previous run
        pieces.append(run.group())
        offsets.extend(range(run.start(), run.end()))
    if source is not None:
        offsets = [source[i] for i in offsets]
    return "".join(pieces), offsets
