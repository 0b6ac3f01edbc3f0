"""One scope engine for every rule: negation, prohibitions, reported speech, hypotheticals.

A NegEx-style reading (Chapman et al., 2001) of a sentence: trigger phrases open a
scope, terminators close it, and a rule hit inside a scope it respects does not
count. The triggers are lexicons like any other (``scope.negation`` …), so the
words that make 「请勿向任何人透露验证码」 a warning and not a request are listed
once, for every rule and every language, instead of in each rule's exceptions.

Kinds of scope, and how far each reaches from its trigger:

``negation`` (不会, 没有, never, don't)
    forward to the end of its clause, and on over a comma while the next clause
    continues the list (holds a ``scope.continuation``: 也, 或者, or, nor) and has no
    negation of its own (which then governs that clause alone).
``hypothetical`` (如果有人, 万一对方, if someone)
    the same reach as a negation.
``prohibition`` (请勿, 千万不要, 切勿, never share)
    forward to the end of the sentence.
``reported`` (对方让您, 骗子会说, 自称, they will tell you)
    forward to the end of the sentence: a fraudster's words told back to the customer.
``verdict`` (是诈骗, 都是骗人的, is a scam)
    backward to the start of the sentence: 「对方让您转到“安全账户”，这是诈骗」.
``dismissal`` (都不要理, 一律挂断, 千万别信, ignore them, hang up on them)
    a prohibition said after the thing prohibited (NegEx's post-triggers): backward to the
    start of the sentence, but only when nothing it could take as its own object follows it in
    its clause (:func:`_closes_clause`). 「任何来电要您念出来的都不要理」 dismisses the request
    before it; 「把验证码念给我，别理那些提醒」 dismisses the reminders, not the request.

``scope.pseudo`` phrases look like triggers but are not (能不能, 不好意思, no problem,
don't worry): a trigger overlapping one is ignored. ``scope.terminator`` phrases
(但是, 不过, but, however) close every forward scope that reaches them. A scope
never crosses a sentence end. ``scope.talk`` phrases are conversation management
(好的, 明白, 还有别的事吗, anything else?, please hold): they open no scope; the semantic
signal does not score a clause that is nothing else (:func:`talk_only`). ``scope.offer`` phrases
(吗, 要不要, shall I) make a question an offer; a question without one echoes the customer's
request (「帮你改日子？」), so an ``unless`` phrase in it offers nothing (``_Reading.offered``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assist.compliance.lexicon import Span

FORWARD_CLAUSE = ("negation", "hypothetical")
FORWARD_SENTENCE = ("prohibition", "reported")
BACKWARD = ("verdict", "dismissal")
SCOPE_KINDS = FORWARD_CLAUSE + FORWARD_SENTENCE + BACKWARD
HELPER_KINDS = ("pseudo", "terminator", "continuation", "talk", "offer", "speech", "said", "echo")
SCOPE_LEXICONS = tuple(f"scope.{kind}" for kind in SCOPE_KINDS + HELPER_KINDS)
"""Lexicon names the engine reads; the shipped pack defines every one (rules/scope.yaml)."""

CLAUSE_END = frozenset(",;:")
TALK_LEFT = 4
"""Least content (CJK characters, plus two per Latin word) a clause keeps, its ``scope.talk``
phrases taken out, for the semantic signal to score it: half the signal's ``MIN_UNIT``."""
LATIN_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class ScopeSpan:
    """A scope: its kind, the trigger that opened it and the text it governs ``[start, end)``."""

    kind: str
    trigger: Span
    start: int
    end: int

    def governs(self, span: Span) -> bool:
        return self.start <= span[0] < self.end


def _pseudo_part(kind: str, trigger: Span, pseudo: list[Span]) -> bool:
    """Whether a trigger is part of a ``scope.pseudo`` phrase it overlaps without holding it (不能
    of 能不能, 不 of 不通过: a failed check). A negation word of two or more characters that starts
    before the phrase is a negation of its own: 从不 of 「从不通过电话索要密码」 ("never by phone")."""
    return any(_overlaps(trigger, p) and not _contains(trigger, p)
               and not (kind == "negation" and trigger[0] < p[0] and trigger[1] - trigger[0] > 1)
               for p in pseudo)


def _clause_reach(text: str, trigger: Span, start: int, last: int, continuations: set[int],
                  negations: list[int]) -> int:
    """Where a negation or hypothetical opened at ``start`` ends: its clause, and on over a comma
    while the next clause continues the list, unless that clause has a negation of its own, which
    then governs it alone ("not our fault, and we can't do anything" is a refusal). A negation that
    closes its clause after a subject ("we will never, under any circumstances, ask …") reaches over
    the inserted words (:data:`INSERT_CONTENT`) to the clause they lead into."""
    end = _clause_end(text, start, last)
    subject = re.split("[,;:.!?]", text[max(0, trigger[0] - 20):trigger[0]])[-1]
    word = text[trigger[0]:trigger[1]]
    inserted = word not in INTERJECTIONS and _content(subject) > 0 and not text[start:end].strip()
    while end < last and inserted and _content(text[start:end]) < INSERT_CONTENT:
        if _MAIN_CLAUSE.match(text[end + 1:].lstrip()):
            break  # "we never do, I'll …": the next clause is an act of its own
        end = _clause_end(text, end + 1, last)
    while (end < last and _continues(text, end + 1, last, continuations)
           and not any(end < n < _clause_end(text, end + 1, last) for n in negations)):
        end = _clause_end(text, end + 1, last)
    return end


INTERJECTIONS = frozenset({"no", "nope", "不", "没", "没有", "唔", "冇"})
"""Negation words that close a clause as an answer ("oh no, …", 「不，…」), negating nothing after it."""
INSERT_CONTENT = 7
"""Most content (CJK characters, plus two per Latin word) of the words a negation closing its clause
reaches over: "ever", "under any circumstances", 无论如何."""


def _content(words: str) -> int:
    """Content of ``words``: CJK characters, plus two per Latin word."""
    return sum(1 for ch in words if "\u3400" <= ch <= "\u9fff") + 2 * len(LATIN_WORD.findall(words))


def _scope_start(kind: str, trigger: Span) -> int:
    """Where a forward scope starts. A reported trigger names the speaker and a hit may begin
    inside it: in 对方就能看到您 the hit 就能看到您 is what 对方就能 reports, so the scope starts
    after its first character."""
    return trigger[0] + 1 if kind == "reported" else trigger[1]


def _clause_end(text: str, position: int, end: int) -> int:
    return next((i for i in range(position, end) if text[i] in CLAUSE_END), end)


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _contains(outer: Span, inner: Span) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1] and outer != inner


def scopes(text: str, bounds: Span, hits: Mapping[str, list[Span]]) -> list[ScopeSpan]:
    """Scopes in the sentence ``text[bounds[0]:bounds[1]]`` from the lexicon ``hits`` of ``text``.

    ``text`` is the whole normalised text and spans index it, so hits found once for
    the text serve every sentence.
    """
    first, last = bounds

    def inside(name: str) -> list[Span]:
        return [h for h in hits.get(name, ()) if first <= h[0] and h[1] <= last]

    pseudo = inside("scope.pseudo")
    terminators = inside("scope.terminator")
    continuations = {h[0] for h in inside("scope.continuation")}
    negations = [t[0] for t in inside("scope.negation") if not _pseudo_part("negation", t, pseudo)]
    found: list[ScopeSpan] = []
    for kind in SCOPE_KINDS:
        for trigger in inside(f"scope.{kind}"):
            if _pseudo_part(kind, trigger, pseudo):
                continue  # 能不能 is no negation; 有没有装 (a longer trigger holding 有没有) is a question
            if kind == "negation" and (_potential_complement(text, trigger) or _then(text, trigger)):
                continue  # 入唔到 app 就话我知: "cannot get in", negating nothing after it (it still
                # gives its clause a negation of its own, below: 也办不了 is no item of a list)
            if kind in BACKWARD:
                if kind == "dismissal" and not _closes_clause(text, trigger[1], last):
                    continue
                if kind == "verdict" and text[trigger[1]:trigger[1] + 1] in ASKED:
                    continue  # a verdict asked (听起来像诈骗？, 是骗局吗, "a scam?") judges nothing
                found.append(ScopeSpan(kind, trigger, first, trigger[0]))
                continue
            start = _scope_start(kind, trigger)
            if kind in FORWARD_SENTENCE:
                end = last
            else:
                end = _clause_reach(text, trigger, start, last, continuations, negations)
            stop = min((t[0] for t in terminators if start <= t[0] < end), default=end)
            found.append(ScopeSpan(kind, trigger, start, min(stop, _aside_end(text, trigger[0], stop))))
    found.extend(_quoted(text, first, last, inside("scope.speech"), inside("scope.said")))
    # The customer's own words named back (关于您提到的…, you mentioned …) are reported to the end
    # of their clause only: the topic they name, not the agent's answer after the comma. Words
    # quoted back (您提到的“安全账户”，…) are what the rest of the sentence speaks of: to its end.
    for trigger in inside("scope.echo"):
        quoted = text[trigger[1]:last].lstrip()[:1] in QUOTES
        end = last if quoted else _clause_end(text, trigger[1], last)
        stop = min((t[0] for t in terminators if trigger[1] <= t[0] < end), default=end)
        found.append(ScopeSpan("reported", trigger, trigger[1], stop))
    return found


ASKED = frozenset("?吗嗎咩")
"""A character right after a verdict that makes it a question."""

QUOTES = {"“": "”", "「": "」", "『": "』", "‘": "’", '"': '"'}
_QUOTED = re.compile("|".join(
    [f"{re.escape(a)}[^{re.escape(b)}]+{re.escape(b)}" for a, b in QUOTES.items()]
    # English single quotes: normalised text has "'" for a typographic closing quote (as for
    # "don’t"), and plain ones are typed; a quote mark opens after a non-word and before a word
    # character and closes after a non-space and before a non-word, so "don't" and "it's" open none
    + ["(?:(?<![a-z0-9])'|‘)(?=[a-z0-9])[^'’\n]*?[^\\s'’](?:'|’)(?![a-z0-9])",
       # and around Chinese words (说这只产品'稳赚不赔'), where no contraction can open or close one
       "'(?=[\u3400-\u9fff])[^'\n,.;:!?]*?[\u3400-\u9fff]'"]))
QUOTE_GAP = 3
"""Most characters (a colon, a comma, spaces, 道) between a ``scope.speech`` phrase and the quote it
opens, or between a quote and the ``scope.said`` phrase that names it."""
ARTICLES = frozenset({"a", "an", "the", "this", "that", "some", "your", "their", "his", "her"})
"""English words that may stand between a speech verb and the term it quotes ("told you a 'safe
account' would…", "they call it the 'release fee'"): a determiner of the quoted words."""


def _quoted(text: str, first: int, last: int, speech: list[Span], said: list[Span]) -> list[ScopeSpan]:
    """``reported`` scopes over quotations: words in quote marks after a speech verb (他说“…”,
    來電者聲稱「…」, the caller claimed "…") or named as words after them (「…」呢啲說話, "…" is
    what they say) are someone else's, however many commas they hold. The scope is the quotation
    only: what the agent says after it (他说“…”，您千万别照做) is read as usual. A quote with no
    such cue (请点“允许”, the button's label) is the agent's own words."""
    if not speech and not said:
        return []
    found = []
    for quote in _QUOTED.finditer(text, first, last):
        open_at, close_at = quote.start(), quote.end()
        cue = next((s for s in speech if s[1] <= open_at and _opens(text[s[1]:open_at])), None)
        if cue is None:
            cue = next((s for s in said if close_at <= s[0] and not text[close_at:s[0]].strip(" ,，的")
                        and s[0] - close_at <= QUOTE_GAP), None)
        if cue is not None:
            found.append(ScopeSpan("reported", cue, open_at + 1, close_at - 1))
    return found


def _opens(between: str) -> bool:
    """Whether what lies between a speech verb and a quote mark lets the verb open the quotation:
    at most :data:`QUOTE_GAP` characters of colons, commas, spaces, 道 and 的/嘅 (您说的“保本”: the
    words said), or one English
    determiner (:data:`ARTICLES`)."""
    rest = between.strip(" :,：，道的嘅")
    return (not rest and len(between) <= QUOTE_GAP) or (rest in ARTICLES and len(between) <= QUOTE_GAP + len(rest))


POTENTIAL_NOT = frozenset("不唔")
POTENTIAL_AFTER = frozenset("了到掂")
NOT_A_VERB = frozenset("我你您他她它们也都就还并绝决从再又可能会要得很太更最才却")
"""A negative potential complement (办不了, 入唔到, 搞唔掂): 不/唔 between a verb and 了/到/掂
says the verb cannot succeed; it negates nothing after it. 您不到场, 也不了解 (a pronoun or adverb
before 不) stay negations."""


def _potential_complement(text: str, trigger: Span) -> bool:
    start, end = trigger
    if end - start != 1 or text[start] not in POTENTIAL_NOT or start == 0 or end >= len(text):
        return False
    before, after = text[start - 1], text[end]
    return after in POTENTIAL_AFTER and "\u4e00" <= before <= "\u9fff" and before not in NOT_A_VERB


def _then(text: str, trigger: Span) -> bool:
    """Cantonese 咪 right after a negative potential complement is "then", no negation:
    「你入唔到咪講俾我聽」 ("you can't get in, so just tell me")."""
    start = trigger[0]
    before = text[max(0, start - 2):start]
    return (text.startswith("咪", start) and len(before) == 2 and before[0] in POTENTIAL_NOT
            and before[1] in POTENTIAL_AFTER)


ASIDES = {"(": ")", "[": "]", "【": "】", "“": "”", "「": "」", "『": "』"}


def _aside_end(text: str, position: int, end: int) -> int:
    """Where an aside in brackets or quote marks holding ``position`` closes, if before ``end``: a
    scope opened in a note such as 「（来电者自称是她儿子）」 or a quoted label (带“请勿泄露”的短信)
    ends with it, not in what the agent says next."""
    for opening, closing in ASIDES.items():
        left = text.rfind(opening, 0, position)
        if left >= 0 and text.rfind(closing, left, position) < 0:
            right = text.find(closing, position, end)
            if right >= 0:
                return right
    return end


DISMISSAL_REST = 3
"""Most content (CJK characters, plus two per Latin word) a dismissal may have after it in its
clause and still read as closing it: 「…的都不要理啊」, not 「别理那些短信提醒」."""
DISMISSAL_JOINS = ("and ", "then ", "直接", "马上", "立即", "立刻", "即刻", "并")
"""What may follow a dismissal and start a new action rather than name its object: "ignore them
and hang up", 「一概别搭理，直接挂掉」 is a clause mark; 「别理会直接挂断」 is one of these."""


def _closes_clause(text: str, position: int, last: int) -> bool:
    """Whether a dismissal ending at ``position`` closes its clause: what follows it there is
    short, or starts a further action (:data:`DISMISSAL_JOINS`) instead of naming an object."""
    rest = text[position:_clause_end(text, position, last)].strip()
    if rest.startswith(DISMISSAL_JOINS):
        return True
    cjk = sum(1 for ch in rest if "\u3400" <= ch <= "\u9fff")
    return cjk + 2 * len(LATIN_WORD.findall(rest)) < DISMISSAL_REST


# An English clause opened by a subject and its verb ("I'll", "we can", "you'll") is a main
# clause of its own, never the next item of a negated list ("never X, Y or Z").
_MAIN_CLAUSE = re.compile(r"(?:i|we|i'll|we'll|i'm|we're|i've|we've|let me|let's)\b")


def _continues(text: str, position: int, last: int, starts: set[int]) -> bool:
    """Whether the clause at ``position`` continues a negated list: a continuation phrase opens
    it (「…，也不会…」) or joins its last items ("never ask you to X, Y or Z")."""
    while position < last and text[position] == " ":
        position += 1
    if position in starts:
        return True
    if _MAIN_CLAUSE.match(text, position):
        return False  # "if the code isn't arriving, I'll override it": a new speaker's act, no item
    end = _clause_end(text, position, last)  # English lists join their last items: "X, Y or Z"
    return any(position < start < end and text[start].isascii() for start in starts)


def gap_negation(text: str, gaps: Sequence[Span], hits: Mapping[str, list[Span]],
                 tails: Sequence[int] = ()) -> Span | None:
    """The first ``scope.negation`` trigger of ``text`` that negates a hit from inside it, not
    part of a ``scope.pseudo`` phrase: one lying wholly in one of ``gaps`` (what a ``…`` of a
    gapped phrase, or the ``gap:`` between the pieces of a ``seq`` trigger, stood for), or a
    negative complement right at one of ``tails`` (where a piece of the hit ends and no other
    begins). A negation in a gap negates the hit however far it reaches on its own ("you'll get
    none of it back", 「念都不用念给我」). A negative potential complement (不了, 唔到) negates the
    verb right before it: at the start of a gap, or at a tail, that verb is the hit's own word
    (「保证不了…到」「保證唔到」「我保证不了明天到账」 promise nothing); inside a gap it is a word of
    the gap (「保证征信上查不到」 still promises). 不到 is also "less than" (不到三天就到): it counts
    only inside a gap, never as the complement of the hit's word (:data:`LESS_THAN`)."""
    pseudo = list(hits.get("scope.pseudo", ()))
    for trigger in hits.get("scope.negation", ()):
        if _pseudo_part("negation", trigger, pseudo):
            continue
        complement = _potential_complement(text, trigger) and not text.startswith(LESS_THAN, trigger[0])
        if trigger[0] in tails and complement:
            return trigger
        gap = next((g for g in gaps if g[0] <= trigger[0] and trigger[1] <= g[1]), None)
        if gap is None or (_potential_complement(text, trigger) and not (complement and trigger[0] == gap[0])):
            continue
        return trigger
    return None


LESS_THAN = "不到"
"""A negative complement that also reads "less than" (余额不到两百, 不到三天就到): no negation of
the word before it where a hit's word stands there."""


def governing(found: list[ScopeSpan], span: Span, kinds: tuple[str, ...]) -> ScopeSpan | None:
    """The first scope of one of ``kinds`` that governs ``span``, if any."""
    return next((s for s in found if s.kind in kinds and s.governs(span)), None)


def talk_only(text: str, span: tuple[int, int], talk: Sequence[tuple[int, int]]) -> bool:
    """Whether ``text[span]`` is conversation management and nothing else (「嗯，明白，还有别的事
    吗」, "Okay, anything else?"): with its ``talk`` phrase spans taken out, less than
    :data:`TALK_LEFT` is left. Such a clause refuses, promises or blames nothing, however near a
    violating exemplar its few words fall, so the semantic signal does not score it."""
    start, end = span
    if not any(s < end and e > start for s, e in talk):
        return False
    kept = list(text[start:end])
    for s, e in talk:
        for i in range(max(s, start), min(e, end)):
            kept[i - start] = " "
    rest = "".join(kept)
    cjk = sum(1 for ch in rest if "\u3400" <= ch <= "\u9fff")
    return cjk + 2 * len(LATIN_WORD.findall(rest)) < TALK_LEFT
