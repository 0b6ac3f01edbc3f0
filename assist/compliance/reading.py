"""A checked text in normal form with offsets, the common case in one C pass.

:func:`assist.text.normalise.normalise_with_offsets` is the definition: OpenCC's traditional →
simplified over the whole text, then NFKC and case folding character by character, whitespace
runs collapsed to one space, the ends trimmed, and for each output character the index of the
input character it came from. It loops over the characters in Python, which costs more than
every rule of a draft together.

Most texts need none of its care: every character folds to exactly one character and spaces
are already single. For those, the folded text is ``str.translate`` with a table of each
character's own fold (filled on first sight) and the offsets are the identity. Any other text
(a character that folds to several, a control character, a run of whitespace, a space at
either end, a tab) goes to the definition itself, so the answer is always the same as the
definition's (tests/test_reading.py checks it on generated text).
"""

from __future__ import annotations

import re
import unicodedata

from assist.text.normalise import normalise_with_offsets, to_simplified

TABLE_LIMIT = 50_000
"""Characters whose fold is kept: far more than the scripts a contact centre sees, and a bound
on what a hostile text of rare characters can make the table hold."""

_CONTROL_OR_TAB = re.compile(r"[\x00-\x1f\x7f]")


class _Folds(dict[int, str]):
    """Code point -> that one character NFKC-normalised and case-folded, made on first use."""

    def __missing__(self, code: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(code)).casefold()
        if len(self) < TABLE_LIMIT:
            self[code] = folded
        return folded


_FOLDS = _Folds()


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalise_with_offsets(text)``: the same result, in one pass where the text allows."""
    if not _CONTROL_OR_TAB.search(text):
        simplified = to_simplified(text)
        if len(simplified) == len(text):
            folded = simplified.translate(_FOLDS)
            # No fold is empty, so equal lengths mean every character folded to exactly one;
            # re-spacing leaves the text as it is only when every space is one plain space
            # between two other characters (str.split and isspace agree on whitespace).
            if len(folded) == len(simplified) and " ".join(folded.split()) == folded:
                return folded, list(range(len(folded)))
    return normalise_with_offsets(text)
