"""How far an ``unless`` phrase reaches: which part of a draft around a flagged span it must sit in
to cancel the flag (issue 19, ``reach:`` in ``scripts_library/rules/reach.yaml``).

An ``unless`` lexicon (an alternative offered, a gloss, owning the problem, a kind word) answers the
words it stands beside. A refusal followed by an alternative in the next sentence is a redirection;
a kind word does not undo a slight two sentences on; a gloss explains the term it sits by, not a
second term elsewhere. So each category declares, once and readably, the reach of its ``unless``
lexicons (and may name a different reach for one lexicon), and that reach decides for its rules'
hits and its semantic flags alike. A category that declares none keeps :data:`DEFAULT_REACH`, the
reach the rules had before it was declared.

The reaches, narrowest first, counted in sentences of the normalised text (``。!?;``, a full stop
before a space or the end, and a line break end one):

* ``adjacent``: right after the flagged span, with at most a space, a closing quote or a colon
  between (a definition that follows its term: 「AML是…」, 「FPS係…」, "NSF means…");
* ``clause``: the comma-delimited clause(s) holding the flagged span;
* ``sentence``: the sentence(s) holding it;
* ``sentence_and_next``: those and the sentence right after (an answer that follows);
* ``sentence_and_neighbours``: those and the sentences right before and right after;
* ``draft``: anywhere in the draft.

For the semantic signal a category may also name ``unless`` lexicons whose phrases cancel a flag
only from beside the unit the signal flagged (a clause, two clauses, a sentence), not from inside it
(``semantic_beside:``): lexicons whose phrases name the very thing the category's violations are
about. ``principled_no`` answers a refusal by naming the check it will not skip (身份验证,
verification); in a waiver the same name is what is waived (「这次身份核验就不做了」), so inside the
unit the signal read and flagged it is no answer. A phrase beside the unit still answers it, as
for the rules, whose hits are read as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

ReachKind = Literal["adjacent", "clause", "sentence", "sentence_and_next", "sentence_and_neighbours", "draft"]
REACH_KINDS: tuple[ReachKind, ...] = get_args(ReachKind)
DEFAULT_REACH: ReachKind = "sentence_and_neighbours"
"""The reach of a category that declares none, and of every rule's ``unless`` before reaches were
declared: the hit's sentence, the one right after it, where an alternative or a gloss usually
follows (「这个改不了。您可以在手机银行里自己调。」), and the one right before it, where it is offered
first ("You can do it yourself in the app. Over the phone we can't change it."; a ``;`` ends a
sentence too). One farther off speaks of another matter ("We can't reverse it. It went out Tuesday.
By the way, you can check your balance in the app"). Measured on the guard sets then, the sentence
before cost nothing and kept one clean draft clean (an alternative before a refusal after a ``;``)."""

SENTENCES_AROUND: dict[ReachKind, tuple[int, int]] = {
    "sentence": (0, 0),
    "sentence_and_next": (0, 1),
    "sentence_and_neighbours": (1, 1),
}
"""Sentences before and after the flagged span's own that a sentence-counted reach takes in."""

ADJACENT_GAP = frozenset(" \"'”’」』:")
"""What may stand between a flagged span and an ``adjacent`` phrase (「“AML”是…」, "KYC: …")."""
ADJACENT_MAX = 2
"""At most this many such characters."""


@dataclass(frozen=True)
class UnlessReach:
    """One category's declared reach: ``reach`` for its ``unless`` lexicons, ``lexicons`` a
    different reach for some of them by name, ``why`` the officer's reason, in words, and
    ``semantic_beside`` the lexicons whose phrases cancel a semantic flag only from beside the
    flagged unit (the module's docstring)."""

    category: str
    reach: ReachKind
    why: str
    lexicons: tuple[tuple[str, ReachKind], ...] = ()
    source: str = ""
    line: int | None = None
    semantic_beside: tuple[str, ...] = ()

    def of(self, lexicon: str) -> ReachKind:
        """The reach of ``lexicon``'s phrases for this category."""
        return next((kind for name, kind in self.lexicons if name == lexicon), self.reach)

    def describe(self) -> str:
        """The reach in one line (``assist rules explain``)."""
        own = "".join(f"; {name}: {kind.replace('_', ' ')}" for name, kind in self.lexicons)
        signal = (f"; for the semantic signal, {', '.join(self.semantic_beside)} beside the flagged unit only"
                  if self.semantic_beside else "")
        return f"{self.reach.replace('_', ' ')}{own}{signal}"

    def to_json(self) -> list[object]:
        return [self.category, self.reach, self.why, [list(p) for p in self.lexicons], self.source, self.line,
                list(self.semantic_beside)]

    @classmethod
    def from_json(cls, data: list[object]) -> UnlessReach:
        category, reach, why, lexicons, source, line, *rest = data
        assert isinstance(lexicons, list)
        beside = rest[0] if rest else []
        assert isinstance(beside, list)
        return cls(str(category), _kind(reach), str(why), tuple((str(n), _kind(k)) for n, k in lexicons),
                   str(source), line if isinstance(line, int) else None, tuple(str(n) for n in beside))


def _kind(value: object) -> ReachKind:
    if value not in REACH_KINDS:
        raise ValueError(f"unknown reach {value!r}")
    return cast(ReachKind, value)


def sentence_window(kind: ReachKind, first: int, last: int) -> tuple[int, int] | None:
    """The sentence indexes (inclusive) a sentence-counted reach takes in around a span over
    sentences ``first``..``last``; None for ``clause`` and ``draft``, which are not counted so."""
    around = SENTENCES_AROUND.get(kind)
    if around is None:
        return None
    return first - around[0], last + around[1]
