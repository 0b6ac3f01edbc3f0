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

* ``clause``: the comma-delimited clause(s) holding the flagged span;
* ``sentence``: the sentence(s) holding it;
* ``sentence_and_next``: those and the sentence right after (an answer that follows);
* ``sentence_and_neighbours``: those and the sentences right before and right after;
* ``draft``: anywhere in the draft.

For the semantic signal a category may also say where, relative to the unit the signal flagged (a
clause, two clauses, a sentence), a phrase within reach must sit (``semantic:``, :data:`SemanticReach`):
``anywhere`` (default), or ``beside``: only outside the flagged unit. The signal read the unit whole,
the phrase included, and flagged it anyway: where a category's ``unless`` phrases name the very thing
its violations are about (the identity check a waiver waives, the term a gloss explains), a phrase in
the unit is no answer to it (「这次身份核验就不做了」 names the check it skips; "no need for the
verification call" holds "verification"). A phrase beside the unit still answers it, as for the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

ReachKind = Literal["clause", "sentence", "sentence_and_next", "sentence_and_neighbours", "draft"]
REACH_KINDS: tuple[ReachKind, ...] = get_args(ReachKind)
SemanticReach = Literal["anywhere", "beside"]
SEMANTIC_REACHES: tuple[SemanticReach, ...] = get_args(SemanticReach)
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


@dataclass(frozen=True)
class UnlessReach:
    """One category's declared reach: ``reach`` for its ``unless`` lexicons, ``lexicons`` a
    different reach for some of them by name, ``why`` the officer's reason, in words, and
    ``semantic`` where a phrase may sit to cancel a semantic flag (the module's docstring)."""

    category: str
    reach: ReachKind
    why: str
    lexicons: tuple[tuple[str, ReachKind], ...] = ()
    source: str = ""
    line: int | None = None
    semantic: SemanticReach = "anywhere"

    def of(self, lexicon: str) -> ReachKind:
        """The reach of ``lexicon``'s phrases for this category."""
        return next((kind for name, kind in self.lexicons if name == lexicon), self.reach)

    def describe(self) -> str:
        """The reach in one line (``assist rules explain``)."""
        own = "".join(f"; {name}: {kind.replace('_', ' ')}" for name, kind in self.lexicons)
        signal = "; for the semantic signal, beside the flagged unit only" if self.semantic == "beside" else ""
        return f"{self.reach.replace('_', ' ')}{own}{signal}"

    def to_json(self) -> list[object]:
        return [self.category, self.reach, self.why, [list(p) for p in self.lexicons], self.source, self.line,
                self.semantic]

    @classmethod
    def from_json(cls, data: list[object]) -> UnlessReach:
        category, reach, why, lexicons, source, line, *rest = data
        assert isinstance(lexicons, list)
        semantic = rest[0] if rest else "anywhere"
        if semantic not in SEMANTIC_REACHES:
            raise ValueError(f"unknown semantic reach {semantic!r}")
        return cls(str(category), _kind(reach), str(why), tuple((str(n), _kind(k)) for n, k in lexicons),
                   str(source), line if isinstance(line, int) else None, cast(SemanticReach, semantic))


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
