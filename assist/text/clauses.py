"""The clauses of a long customer turn, read one by one beside the whole turn.

A caller on the phone tells the story before the request: a late parent, a branch visit, a
loan under stress, then what they want. Embedded as one text, such a turn drifts toward the
scenario its context resembles. :func:`clauses` cuts a long normalised turn at sentence and
clause punctuation so that the lookup can also score each clause on its own
(:mod:`assist.lookup.ranker`); short turns are read whole only.
"""

from __future__ import annotations

import re

LONG_TURN_CHARS = 60
"""A normalised turn longer than this many characters is also read clause by clause."""
MIN_CLAUSE_CHARS = 4
"""A piece shorter than this (「好的，」, "ok,") carries no request of its own and is dropped."""
MAX_CLAUSES = 8
"""At most this many clauses of a turn are read (the first ones): bounds a pasted page's cost."""

_BOUNDARY = re.compile(r"(?<=[。！？!?；;…，、：])|(?<=[,:])(?!\d)|(?<=\.)\s+")
"""After a Chinese or Latin sentence or clause mark (kept with its clause), a Latin comma or colon
not inside a number (「1,000」, "3:00"), or a full stop followed by a space (so 「3.5%」 stays whole)."""


def clauses(normalised: str) -> list[str]:
    """The clauses of a turn longer than :data:`LONG_TURN_CHARS`, or [] when the turn is short
    or has fewer than two clauses of :data:`MIN_CLAUSE_CHARS` characters or more."""
    if len(normalised) <= LONG_TURN_CHARS:
        return []
    pieces = [piece.strip() for piece in _BOUNDARY.split(normalised)]
    kept = [piece for piece in pieces if len(piece) >= MIN_CLAUSE_CHARS]
    return kept[:MAX_CLAUSES] if len(kept) >= 2 else []
