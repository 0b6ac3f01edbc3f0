"""Overrides from the customer's own words: safety and compliance scripts pinned first.

A fraud signal (「公安让我把钱转到安全账户」) pins the ``fraud_in_progress``
script whatever the similarity ranking says; a request to skip identity checks
or a relative asking about someone else's account pins its compliance script.
The rule packs decide which words pin what (``pin`` and ``priority`` on a
customer rule), so compliance officers review the triggers as YAML.

A pin needs a pattern, not a lone keyword (a false fraud banner teaches agents
to ignore the banner). The parts are customer rules without a pin of their own
(``scripts_library/rules/customer_signals.yaml``), named by id prefix:

* fraud: a third party (``scam.party.*``) instructing the customer to move money,
  give a credential, hand over control or pay an unlock fee (``scam.asks.*``); a
  fraud rule (``pin: fraud_in_progress``) counts as one part and pins only with a
  second one. ``scam.disengaged`` and ``scam.disengaged.*`` (the customer ignored or hung up
  on the caller, or tells of a past scam) cancel the pattern: that is a "was this really you?"
  question, answered by the ranking (usually ``phishing_message``).
  Money paid to the customer (``scam.incoming.*``, 「报销款下周打给我」) holds no caller.
* third party (English): the rule and a request about the account
  (``third_party.request.en``) in the same utterance.

An account takeover told only by its effects (the SIM suddenly dead, codes or login notices arriving,
a device, payee or password the customer did not add) has no one instructing the customer: two kinds
of effect (``scam.effect.*``) the customer disowns pin it too (:func:`takeover_pattern`).

Every pin carries the rule that fired and the words of every part.

Where the rules see only part of a pattern (a stranger, an instruction, a payment under way or a
scheme, nothing cancelling it), the scam signal (:mod:`assist.lookup.scam_signal`, a classifier trained
on the measured utterance sets) may complete it: the pin then names :data:`COMPLETION` and the parts.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assist.compliance.rule_files import load_rule_pack, rules_hash
from assist.compliance.rules import Rule, RulePack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import scam_signal
from assist.lookup.rank import NO_HIT, ScenarioScore
from assist.lookup.variants import Variants
from assist.types import Violation

ESCALATION_SIGNAL = "escalation_signal"
FRAUD = "fraud_in_progress"
PARTY = "scam.party."
ASKS = "scam.asks."
DISENGAGED = "scam.disengaged"
KNOWN = "scam.known."
PLACE = "scam.known.place."
DOING = "scam.doing."
OURS = "scam.ours."
ELSEWHERE = "scam.elsewhere."
MARKER = "scam.marker."
SECRECY = "scam.marker.secrecy."
"""Secrecy (「别告诉」, "keep it between us"): a marker with a stranger, not enough alone for a known
person's ask, since families keep secrets of their own (「我女儿叫我别告诉她爸她换工作了」)."""
REDIRECT = "scam.marker.redirect."
"""A payee's account changed (「收款户口改咗」, "their bank details have changed"): the one marker that
makes an institution's own ask a scam (a payment-redirection e-mail from a solicitor or a supplier)."""
PLATFORM = "scam.platform."
CLAIM = "scam.party.claim."
ONLINE = "scam.party.online."
THEIRS = "scam.theirs."
INCOMING = "scam.incoming."
"""Money paid to the customer (「报销款打给我」): the words 打给我 there name no caller."""
AUTHORITY = "scam.official.body."
"""An authority's name (「法院」, 「税务局」, 「警察」): a stranger's word only while no paper is in hand."""
PAPER = "scam.official.paper."
"""The authority met on paper or in person with no call, message or claim in the story (「法院给我寄了执行通知书」,
「收到法院命令」, 「被警察叫去问话」): its own process, so its name is no stranger (:func:`_roles_pattern`)."""
CLAIM_REACH = 8
"""How far after a claim (「自称」, "says he's from") the claimed identity may start."""
NEEDED = (PARTY, ASKS, DOING)
"""Every scam pattern holds a stranger, an instruction or a payment under way: a text with no hit
of these roles skips the sorting of roles (most lookups)."""
PARTIAL = (*NEEDED, PLATFORM)
"""The parts the scam signal may complete (:func:`partial_pattern`): the roles of :data:`NEEDED`, or an
app, platform or scheme (:data:`PLATFORM`), whose money demands the rules read only in words they know
(a task platform's "top up to release your earnings"). Leave-one-file-out on the twenty joined
utterance sets (``python bench/scam_loo.py``) the scheme gate completed two more scams, no false banner."""
NOT_FOR_PLATFORMS = ("scam.asks.credential.", "scam.asks.remote.")
"""An app asking for a code or to open something is everyday; an app demanding payment is a party."""
PRONOUN = "scam.pronoun"
"""A party that is only a pronoun (他, 她们, 佢哋, 那边, "she"; rule ``scam.pronoun`` in the pack,
from the term ``known_pronoun``) refers to the known counterpart when the customer named one."""
COMPLETION = "scam.signal"
"""Rule id of a fraud pin the scam signal completed (:func:`partial_pattern`)."""
EFFECT = "scam.effect."
EFFECT_KINDS = ("scam.effect.line.", "scam.effect.sim.", "scam.effect.code.", "scam.effect.access.")
"""The effects of a takeover by kind: the phone line dead, the number moved to a new SIM (or a "carrier"
calling to upgrade it), codes or login notices arriving, a device, login, payee, password or transfer the
customer did not make."""
ACCOUNT_KINDS = ("scam.effect.code.", "scam.effect.access.")
"""The effects on the bank account itself: with the account still cut off now (:data:`NOW`, itself a lost
access), one of them disowned is a takeover (「一直收到验证码，我没申请过，现在登不进去了」); a dead line
with a line still dead is one fact told twice."""
ACCESS = "scam.effect.access."
"""A device, login, payee, password or contact detail the customer did not make: two of them in separate
words, disowned (a new payee and a new device, 「多了个收款人，又绑定了新手机，我没操作过」), are a takeover
under way even with the account still open."""
NOW = "scam.effect.now."
"""The account or line still cut off now (「现在登不进去」, "I can't log in anymore"): with two effects of
one kind the customer disowns, a takeover under way."""
DISOWNED = "scam.effect.disowned."
"""The customer disowns the effects (「没申请」, 「不是我」, "out of nowhere")."""
CAUSE = "scam.effect.cause."
"""A cause the customer knows (their own new phone, an unpaid bill, travel, long ago): no takeover."""
PAST_TOLD = "scam.disengaged.past_told"
LOSS = "scam.disengaged.loss"
"""A scam told by its finished outcome (the code given and the card charged, the money sent and the other side gone):
it cancels the pattern like every ``scam.disengaged`` reading, but not the scam signal's training gate
(:func:`training_gate`)."""
REFUSED = "scam.disengaged.refused"
"""A demand told and then refused, deleted or checked by the customer's own call (thirty-first round): it cancels the
pattern like :data:`LOSS` and, like it, leaves the scam signal's training gate as it was (:func:`training_gate`)."""
CARD_SHOWN = ("scam.asks.cardshown.zh", "scam.asks.cardshown.en")
"""The card held to a phone the caller sent or shown to a camera on someone's word (thirty-second round): an
instruction like every ``scam.asks.*``, which the scam signal's training gate reads as if it had not fired, so that the
signal's arrays stay what they were (the one joined line it would bring into the gate on its own is a scam)."""
GATE_KEPT = (LOSS, REFUSED, *CARD_SHOWN)
"""The readings the scam signal's training gate reads as if they had not fired (:func:`training_gate`)."""
TAKEOVER = "scam.takeover"
"""Rule id of a fraud pin read from a takeover's effects (:func:`takeover_pattern`)."""
REQUIRES: dict[str, str] = {"signal.third_party.en": "third_party.request.en"}
"""A pinning rule (by id) that pins only together with a part (by id prefix)."""

Hit = tuple[Rule, Violation]


@dataclass(frozen=True)
class Pin:
    scenario: str
    rule_id: str
    priority: int
    alert: str
    evidence: Violation
    category: str = ""
    words: tuple[tuple[str, str], ...] = ()
    """(rule id, the customer's words) of every rule and part that made this pin."""

    @property
    def is_escalation(self) -> bool:
        """A severe-complaint signal: it asks for the escalation path of whatever the
        customer complains about, so it yields to a matching severe variant."""
        return self.category == ESCALATION_SIGNAL

    def explain(self) -> str:
        """The rule and the words that fired it, for ``why`` and the console."""
        said = " + ".join(f"「{text}」 ({rule_id})" for rule_id, text in self.words) or (
            f"「{self.evidence.matched_text}」")
        return f"pinned by rule {self.rule_id}: the customer said {said}"


def _shipped(rule: Rule) -> bool:
    """Whether ``rule`` comes from the shipped pack: a library's own fraud rule names the pin first."""
    return rule.source.startswith(f"{SHIPPED_LIBRARY.name}/rules/")


def _inside(a: Violation, b: Violation) -> bool:
    return b.span[0] <= a.span[0] and a.span[1] <= b.span[1]


def _words(hits: Sequence[Hit]) -> tuple[tuple[str, str], ...]:
    seen: dict[tuple[str, str], None] = {}
    for rule, violation in sorted(hits, key=lambda h: h[1].span):
        seen.setdefault((rule.id, violation.matched_text), None)
    return tuple(seen)


def _overlaps(a: Violation, b: Violation) -> bool:
    return a.span[0] < b.span[1] and b.span[0] < a.span[1]


def _starts_in(hit: Hit, other: Hit) -> bool:
    """Whether ``hit`` starts inside ``other``: an instruction that opens with the bank's own
    words (「你们客服让我…」 is the bank's; 「叫我去你们网点把…」 only names a place)."""
    return other[1].span[0] <= hit[1].span[0] < other[1].span[1]


def _apart(hit: Hit, others: Sequence[Hit]) -> bool:
    """Whether ``hit`` shares no words with any of ``others``: separate evidence."""
    return not any(_overlaps(hit[1], other[1]) for other in others)


def _follows(hit: Hit, known: Hit) -> bool:
    """Whether ``hit`` names someone of ``known`` (「学校老师」, 「学校的老师」: the known phrase holds its
    「的」): it starts right where the known counterpart ends (「外婆说有个…」 is someone else)."""
    return hit[1].span[0] == known[1].span[1]


def _claimed(hit: Hit, claims: Sequence[Hit], online: Sequence[Hit] = ()) -> bool:
    """Whether ``hit`` is an identity someone claims (「自称你们行的人」, "says he's from your bank")
    or someone met only online, named before or after (「婚恋网站上认识的女朋友」, "my boyfriend, we
    met online"): then it is no longer the bank's own staff or a known counterpart."""
    def near(a: Hit, b: Hit) -> bool:  # a starts at most CLAIM_REACH characters after b ends
        return 0 <= a[1].span[0] - b[1].span[1] <= CLAIM_REACH
    return (any(near(hit, c) or _overlaps(hit[1], c[1]) for c in claims)
            or any(near(hit, o) or near(o, hit) or _overlaps(hit[1], o[1]) for o in online))


def _pronoun(hit: Hit, hits: Sequence[Hit]) -> bool:
    """Whether ``hit`` is no more than one of the ``scam.pronoun`` hits among ``hits``."""
    return any(_inside(hit[1], p[1]) for p in _role(hits, PRONOUN))


def _their_act(hit: Hit, hits: Sequence[Hit]) -> bool:
    """Whether the party ``hit`` is the known person the customer named: no more than a pronoun for them
    (:func:`_pronoun`), or their own act told after one (a ``scam.theirs.*`` hit, 「闺女在国外读书，她打电话…」,
    「我哋老細…佢打嚟…」: the call is theirs, as 「女儿刚打电话」 is; 「那头有人」 is someone else)."""
    return _pronoun(hit, hits) or any(t[1].span[0] < hit[1].span[0] < t[1].span[1] for t in _role(hits, THEIRS))


def _strangers_asks(asks: list[Hit], known: list[Hit], hits: Sequence[Hit]) -> list[Hit]:
    """The instructions not spoken by the known person: with a known person named, an
    instruction that starts at the directive of a ``scam.theirs.*`` hit (a pronoun and a
    directive, 「他让」, both lexicons in the rule pack) is theirs (「我儿子在国外被警察罚款了，
    他让我帮他交罚款」); a reported 「他说…」 may relay a stranger."""
    if not known:
        return asks
    theirs = _role(hits, THEIRS)
    return [a for a in asks if not any(t[1].span[0] < a[1].span[0] < t[1].span[1] for t in theirs)]


def _pretext(markers: Sequence[Hit]) -> bool:
    """Whether ``markers`` hold a pretext other than secrecy (:data:`SECRECY`)."""
    return any(not rule.id.startswith(SECRECY) for rule, _ in markers)


def _role(hits: Sequence[Hit], prefix: str) -> list[Hit]:
    return [h for h in hits if h[0].id.startswith(prefix)]


def _ours_and_known(hits: Sequence[Hit]) -> tuple[list[Hit], list[Hit], list[Hit]]:
    """The bank's own staff, the known counterparts and the institutions the customer names,
    less any identity a stranger claims (「自称你们行的人」, 「一个律师」) or is described by
    (「婚恋网站上认识的女朋友」)."""
    claims, online = _role(hits, CLAIM), _role(hits, ONLINE)
    ours = [h for h in _role(hits, OURS) if not _claimed(h, claims)]
    known = [h for h in _role(hits, KNOWN)
             if _apart(h, ours) and not _pronoun(h, hits) and not _claimed(h, claims, online)]
    return ours, known, [h for h in known if h[0].id.startswith(PLACE)]


def _counterparts_ask(rules: list[Hit], asks: list[Hit], own_asks: list[Hit], known: list[Hit],
                      places: list[Hit], markers: list[Hit]) -> list[Hit] | None:
    """A known person's ask (``asks``) makes a scam only with a pretext marker; an institution's own
    ask (among ``own_asks``, 「医院让先交押金」) never, unless the account to pay has changed
    (:data:`REDIRECT`: "the solicitor's e-mail says their bank details have changed")."""
    redirected = _role(markers, REDIRECT)
    if places and redirected and own_asks:
        return rules + own_asks + places + redirected
    people = [h for h in known if not any(_overlaps(h[1], p[1]) for p in places)]
    return rules + asks + people + markers if asks and people and _pretext(markers) else None


def fraud_pattern(hits: Sequence[Hit], has_parts: bool = True) -> list[Hit] | None:
    """The hits that make a scam pattern (fraud rules first), or None when there is none.

    The parts play roles, and a pin needs two of them in separate words:

    * an instruction (``scam.asks.*``: move money, give a code or card data, hand over control,
      pay to unlock, or be coached, isolated or kept on the line) together with a stranger
      (``scam.party.*``: a caller, 对方, 自称…的人, someone met online), a fraud rule in other
      words, an app, platform or scheme (``scam.platform.*``) for money and fee instructions,
      or a known person (``scam.known.*``: family, a landlord, a boss) *and* a scam marker
      (``scam.marker.*``): 「房东让我把房租转到他卡上」 is everyday life,
      「外甥说他被拘留了，叫我打保释金」 is not (both read by :func:`_counterparts_ask`);
    * a stranger and a fraud rule in other words than the stranger's own, or holding a scam
      marker of its own (「医保局通知我」 alone is not an instruction; 「警官说我涉嫌」 is).

    Not a third party: the bank's own staff as the customer names them (``scam.ours.*``), a
    pronoun when the customer named a known person, another platform's own business
    (``scam.elsewhere.*``), an institution the customer deals with
    (``scam.known.place.*``: 「医院让先交押金」), and an authority met on paper or in person with no
    call, message or claim in the story (:data:`PAPER`: 「法院给我寄了执行通知书，让我把赔偿款打到案款账户」).
    A claimed identity (「自称你们行的人」, 「一个律师」) or a person met online is a stranger whatever
    they are called. ``scam.disengaged`` (ignored, hung up, did not obey, a past scam, a hypothetical,
    the news) cancels the pattern.

    With no such pattern, an account takeover told by its effects pins (:func:`takeover_pattern`).

    A pack without any part rules (``has_parts`` false) pins on a fraud rule alone.

    Hits holding no role a pattern needs (:data:`PATTERN_ROLES`: most utterances) are answered None
    before the roles are sorted.
    """
    if has_parts and not any(rule.id.startswith(PATTERN_ROLES) for rule, _ in hits):
        return None
    rules = sorted((h for h in hits if h[0].pin == FRAUD), key=lambda h: (_shipped(h[0]), h[1].span))
    if not has_parts:
        return rules or None
    found = _roles_pattern(hits, rules)
    return found if found is not None else takeover_pattern(hits)


PATTERN_ROLES = (*NEEDED, *EFFECT_KINDS)
"""What a pattern of :func:`fraud_pattern` cannot do without: a stranger, an instruction or a payment
under way (:func:`_roles_pattern` returns None without one) or an effect of a takeover
(:func:`takeover_pattern` pins on effects only). With none of them among the hits the answer is None
whatever else the rules found; on the 20,000 evaluation lines most utterances, whose hits were
sorted into roles for nothing."""


def _kind(hit: Hit) -> str:
    return next((kind for kind in EFFECT_KINDS if hit[0].id.startswith(kind)), "")


def takeover_pattern(hits: Sequence[Hit]) -> list[Hit] | None:
    """The effects and the disowning words of an account takeover told by its effects, or None.

    Nobody instructs the customer in a SIM swap or a takeover, so no role pattern completes; what the
    customer sees are the attacker's effects (:data:`EFFECT_KINDS`). It pins on

    * two effects of different kinds in separate words (「手机突然没信号」 and 「收到验证码」, "a new payee"
      and "no signal"), disowned (:data:`DISOWNED`) or with the line or account still cut off now
      (:data:`NOW`: 「刚收到补卡成功的短信，现在短信都收不到」);
    * two effects of one kind, disowned, with the line or account cut off now (two unasked codes and
      「现在登不进去」), or one disowned effect on the account itself (:data:`ACCOUNT_KINDS`) with it.
    * two access effects in separate words, disowned (:data:`ACCESS`: a new payee and a new device).

    A cause the customer knows (:data:`CAUSE`: an unpaid bill, their own new phone) or a past scam told
    (:data:`PAST_TOLD`) cancels it. The customer's disowning words (「我没申请」) are no disengagement here,
    so ``scam.disengaged`` does not cancel it. One effect alone, or a dead line told twice, is a question
    about an alert.
    """
    if any(rule.id.startswith((CAUSE, PAST_TOLD)) for rule, _ in hits):
        return None
    effects = [h for h in hits if _kind(h)]
    disowned = _role(hits, DISOWNED)
    now = _role(hits, NOW)
    kinds = any(_kind(a) != _kind(b) and not _overlaps(a[1], b[1]) for a in effects for b in effects)
    one_kind = (any(a is not b and not _overlaps(a[1], b[1]) for a in effects for b in effects)
                or any(_kind(e) in ACCOUNT_KINDS and _apart(e, now) for e in effects))
    access = [e for e in effects if _kind(e) == ACCESS]
    two_access = any(a is not b and not _overlaps(a[1], b[1]) for a in access for b in access)
    if not ((disowned or now) and kinds) and not (disowned and ((now and one_kind) or two_access)):
        return None
    return effects + disowned + now


def _roles_pattern(hits: Sequence[Hit], rules: list[Hit]) -> list[Hit] | None:
    """:func:`fraud_pattern`'s patterns of roles (``rules``: the fraud rules' hits, in pin order)."""
    if not any(rule.id.startswith(NEEDED) for rule, _ in hits):
        return None
    if any(rule.id.startswith(DISENGAGED) for rule, _ in hits):
        return None
    ours, known, places = _ours_and_known(hits)
    elsewhere = _role(hits, ELSEWHERE)
    ignored = ours + elsewhere
    rules = [h for h in rules if _apart(h, ignored)]
    own_asks = [h for h in _role(hits, ASKS) if not any(_starts_in(h, i) for i in ignored)]
    asks = [h for h in own_asks  # nor an institution's
            if not any(_follows(h, p) or _starts_in(h, p) or _follows(p, h) for p in places)]
    markers = [h for h in _role(hits, MARKER) if _apart(h, elsewhere)]
    party = _strangers(hits, ours, known, ignored)
    platform = [h for h in _role(hits, PLATFORM) if _apart(h, ignored)]
    pays = [h for h in asks if not h[0].id.startswith(NOT_FOR_PLATFORMS)]
    clear_markers = [h for h in markers if _apart(h, party)]
    beyond_party = [h for h in rules if not any(_inside(h[1], p[1]) for p in party)
                    and (any(_apart(h, [p]) for p in party) or any(_inside(m[1], h[1]) for m in clear_markers))]
    if party and (strangers := _strangers_asks(asks, known, hits)):
        return rules + strangers + party
    if pays and platform:
        return rules + pays + platform
    if (asks and known) or (places and own_asks and _role(markers, REDIRECT)):
        return _counterparts_ask(rules, asks, own_asks, known, places, markers)
    if any(_apart(rule, [ask]) for rule in rules for ask in asks):
        return rules + asks
    if party and beyond_party:
        return rules + party
    doing = _role(hits, DOING)  # paying right now, told by a stranger or a scheme with a pretext
    if doing and clear_markers and (party or platform):
        return rules + doing + (party or platform) + clear_markers
    return None


def _strangers(hits: Sequence[Hit], ours: list[Hit], known: list[Hit], ignored: list[Hit]) -> list[Hit]:
    """The third parties among ``hits`` that are strangers: not the bank's own staff (``ours``), another
    platform's own business (``ignored``), a known counterpart or institution (``known``) or one of their
    own acts or pronouns, money paid to the customer, nor an authority met on paper (:data:`PAPER`)."""
    incoming = _role(hits, INCOMING)
    official = _role(hits, AUTHORITY) if _role(hits, PAPER) else []  # a real authority's own process
    return [h for h in _role(hits, PARTY) if _apart(h, ignored) and _apart(h, known) and _apart(h, incoming)
            and not any(_follows(h, k) or _follows(k, h) for k in known) and not any(_follows(o, h) for o in ours)
            and not (known and _their_act(h, hits)) and not any(_inside(h[1], o[1]) for o in official)]


def own_asker(hits: Sequence[Hit]) -> bool:
    """Whether the one who asks is of the customer's own people: the rules name someone the customer knows (a
    relative, an employer, an institution the customer deals with: ``scam.known.*`` with no identity claimed;
    the bank's own staff, ``scam.ours.*``; a service the customer uses about its own business,
    ``scam.elsewhere.*``) and no stranger, app or scheme besides them (:func:`_strangers`, :data:`PLATFORM`).

    Why: a demand told is most of a scam when a stranger or a claimed authority makes it, and everyday life when
    the customer's wife talks them through a cash machine or a game's own support asks for the game's password
    (twenty-ninth round, docs/safe-answers.md): the scam signal's demand bar is for the former only
    (:func:`assist.lookup.scam_signal.demand_thresholds`)."""
    ours, known, _ = _ours_and_known(hits)
    elsewhere = _role(hits, ELSEWHERE)
    if not (ours or known or elsewhere):
        return False
    ignored = ours + elsewhere
    return not _strangers(hits, ours, known, ignored) and not any(_apart(h, ignored) for h in _role(hits, PLATFORM))


def has_parts(pack: RulePack) -> bool:
    """Whether ``pack`` holds the scam-pattern part rules (``scam.party.*``, ``scam.asks.*``).

    Asked on every lookup, so kept per pack (by identity, while the pack lives): going through
    some 300 rules cost about a tenth of a lookup's pins."""
    known = _HAS_PARTS.get(id(pack))
    if known is not None and known[0]() is pack:
        return known[1]
    answer = any(rule.id.startswith((PARTY, ASKS)) for rule in pack.rules)
    for key in [key for key, (ref, _) in _HAS_PARTS.items() if ref() is None]:
        del _HAS_PARTS[key]
    _HAS_PARTS[id(pack)] = (weakref.ref(pack), answer)
    return answer


_HAS_PARTS: dict[int, tuple[weakref.ref[RulePack], bool]] = {}


def training_gate(hits: Sequence[Hit]) -> bool:
    """The scam signal's training gate: :func:`partial_pattern` read as if :data:`LOSS`, :data:`REFUSED` and
    :data:`CARD_SHOWN` (:data:`GATE_KEPT`) had not fired.

    Why: the gated non-scams keep their full weight in the signal's second fit and set its bar
    (:func:`assist.lookup.scam_signal.margin_penalties`); a past scam told by its outcome is evidence of its kind
    for the next set's lookalikes. Taken out of the gate with the pattern, leave one file out on the 38 joined sets
    cost utterances_v33 three completed scams and raised a false banner (its zh bar 0.617 -> 0.739); kept in, the
    reading took three false banners off and moved no scam (thirtieth round, docs/safe-answers.md); the refusals read
    by :data:`REFUSED` the same way (thirty-first round)."""
    return partial_pattern([h for h in hits if h[0].id not in GATE_KEPT])


def partial_pattern(hits: Sequence[Hit]) -> bool:
    """Whether the rules see part of a scam pattern (a stranger, an instruction, a payment under
    way or a scheme: :data:`PARTIAL`) and nothing cancelling it: the utterances the scam signal may
    complete."""
    ids = [rule.id for rule, _ in hits]
    return any(i.startswith(PARTIAL) for i in ids) and not any(i.startswith(DISENGAGED) for i in ids)


@functools.cache
def shipped_signal() -> scam_signal.ScamSignal | None:
    """The scam signal trained on the shipped library's labelled customer texts (None
    without them), with the shipped pack's :func:`partial_pattern` as its gate; kept per process."""
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    sets = scam_signal.measured_sets(SHIPPED_LIBRARY)
    if not sets:
        return None
    packs: list[RulePack] = []

    read: dict[str, list[Hit]] = {}  # each training text's hits, read once for both questions

    def hits(text: str) -> list[Hit]:  # read only on a cache miss: the pack is loaded then
        if not packs:
            packs.append(load_rule_pack(SHIPPED_LIBRARY))
        if text not in read:
            read[text] = packs[0].hits(text, audience="customer")
        return read[text]

    def gate(text: str) -> bool:
        return training_gate(hits(text))

    def demand(text: str) -> bool:  # the demand bar is read from every gated non-scam with a demand
        return any(rule.id.startswith(scam_signal.DEMAND) for rule, _ in hits(text))
    return scam_signal.build(sets, get_encoder(STATIC_MODEL), gate, rules_hash(SHIPPED_LIBRARY), demand=demand)


def _demanded(hits: Sequence[Hit]) -> bool:
    """Whether the hits hold a demand under way (:data:`assist.lookup.scam_signal.DEMAND`) that no one of the
    customer's own people makes (:func:`own_asker`): such a partial pattern is held to the completion bar read
    from the gated non-scams that hold a demand (:func:`scam_signal.demand_thresholds`), lower than the bar of
    the rest. A demand by the customer's own people (a wife talking her husband through a cash machine, a game's
    own support asking for the game's password) keeps the usual bar: those are the lookalikes with a demand,
    and the demand bar let them in (scam40, reverted; twenty-ninth round, docs/safe-answers.md)."""
    return any(rule.id.startswith(scam_signal.DEMAND) for rule, _ in hits) and not own_asker(hits)


def _completed(pack: RulePack, hits: Sequence[Hit], utterance: str) -> list[Hit] | None:
    """The parts the rules saw, when the scam signal completes their pattern (else None)."""
    if not has_parts(pack) or not partial_pattern(hits):
        return None
    signal = shipped_signal()
    if signal is None or not signal.completes(utterance, _demanded(hits)):
        return None
    return [h for h in hits if h[0].id.startswith(PARTIAL)]


def customer_pins(pack: RulePack, utterance: str, known_scenarios: set[str], complete: bool = True) -> list[Pin]:
    """Pins triggered by the utterance, highest priority first, one per scenario. With
    ``complete``, the scam signal may complete a pattern the rules see part of (:func:`_completed`)
    and veto a rule pin with no demand in it (:func:`assist.lookup.scam_signal.veto`)."""
    hits = pack.hits(utterance, audience="customer")
    fraud = fraud_pattern(hits, has_parts(pack)) if FRAUD in known_scenarios else None
    if complete:
        fraud = _unvetoed(pack, fraud, hits, utterance)
    parts = (_completed(pack, hits, utterance) if fraud is None and complete and FRAUD in known_scenarios
             else None)
    return _pins_of(pack, hits, known_scenarios, fraud, parts)


def _unvetoed(pack: RulePack, fraud: list[Hit] | None, hits: list[Hit], utterance: str) -> list[Hit] | None:
    """``fraud``, the rules' scam pattern, unless the scam signal vetoes it: a report with no demand
    in it that the signal reads as no scam, or a demand it scores under every rule-pinned scam's (with a demand,
    or with one the customer's own people make: :func:`own_asker`), gets no red banner
    (:func:`assist.lookup.scam_signal.veto`).
    A takeover read from its effects (:func:`takeover_pattern`) has no demand by nature and is not
    asked: the signal's training holds few of them."""
    if (fraud is not None and has_parts(pack) and not _is_takeover(fraud)
            and scam_signal.veto(shipped_signal, fraud, hits, utterance, own_asker(hits))):
        return None
    return fraud


def _is_takeover(pattern: Sequence[Hit]) -> bool:
    return any(rule.id.startswith(EFFECT) for rule, _ in pattern)


def customer_pins_many(pack: RulePack, utterances: Sequence[str], known_scenarios: set[str],
                       normalised: Sequence[str], encoded: tuple[str, np.ndarray] | None = None
                       ) -> list[list[Pin]]:
    """:func:`customer_pins` of each utterance (checked, not blank; ``normalised``: each one's
    :func:`~assist.text.normalise.normalise`), the scam signal asked once for all the utterances
    it may complete (about a sixth of evaluation lines) or veto instead of once per utterance. ``encoded``:
    an encoder's id and its vectors of ``normalised`` where the caller has them (the quick pass's),
    used when the signal reads the same encoder's."""
    hits = pack.hits_many(utterances, audience="customer")
    asked = FRAUD in known_scenarios
    parted = has_parts(pack)  # once for the batch: the pack is the same for every utterance
    frauds = [fraud_pattern(found, parted) if asked else None for found in hits]
    vetoable = [k for k, fraud in enumerate(frauds) if fraud is not None and parted and not _is_takeover(fraud)]
    open_ = [k for k, (found, fraud) in enumerate(zip(hits, frauds, strict=True))
             if asked and fraud is None and parted and partial_pattern(found)]
    scored = vetoable + open_  # the signal scores them in one call (a vetoed pattern is never completed:
    signal = shipped_signal() if scored else None  # the veto bars lie far under the completion bars)
    scores: list[float] = []
    if signal is not None:
        same = encoded is not None and encoded[0] == signal.encoder.model_id
        scores = signal.scores_many([normalised[k] for k in scored],
                                    encoded[1][scored] if same and encoded is not None else None)
    parts: list[list[Hit] | None] = [None] * len(hits)
    for k, score in zip(scored, scores, strict=True):
        if frauds[k] is not None:
            if score < scam_signal.veto_bar(hits[k], own_asker(hits[k])):
                frauds[k] = None
        elif signal is not None and score >= signal.bar(normalised[k], _demanded(hits[k])):
            parts[k] = [h for h in hits[k] if h[0].id.startswith(PARTIAL)]
    return [_pins_of(pack, found, known_scenarios, fraud, completed)
            for found, fraud, completed in zip(hits, frauds, parts, strict=True)]


def _pins_of(pack: RulePack, hits: list[Hit], known_scenarios: set[str], fraud: list[Hit] | None,
             parts: list[Hit] | None) -> list[Pin]:
    """The pins of an utterance's ``hits``: ``fraud`` the rules' scam pattern, ``parts`` the ones
    the scam signal completed (see :func:`customer_pins`)."""
    pins: list[Pin] = []
    if fraud is not None:
        pins.append(_fraud_pin(pack, fraud, TAKEOVER if _is_takeover(fraud) else ""))
    elif parts:
        pins.append(_fraud_pin(pack, parts, COMPLETION))
    seen = {FRAUD}
    for rule, violation in sorted(
        (h for h in hits if h[0].pin is not None), key=lambda h: (-h[0].priority, h[1].span, h[0].id)
    ):
        scenario = rule.pin
        if scenario is None or scenario in seen or scenario not in known_scenarios:
            continue
        required = REQUIRES.get(rule.id)
        parts = [h for h in hits if required is not None and h[0].id.startswith(required)]
        if required is not None and not parts:
            continue
        seen.add(scenario)
        pins.append(Pin(scenario, rule.id, rule.priority, rule.alert or rule.explanation, violation,
                        rule.category, _words([(rule, violation), *parts])))
    pins.sort(key=lambda p: p.priority, reverse=True)
    return pins


def _fraud_pin(pack: RulePack, hits: list[Hit], rule_id: str = "") -> Pin:
    """The fraud pin named after its fraud rule where one fired, else after the instruction
    (or ``rule_id``: :data:`COMPLETION`); priority and alert from the pack's fraud rules."""
    rule, violation = hits[0]
    fraud_rules = sorted((r for r in pack.rules if r.pin == FRAUD), key=lambda r: -r.priority)
    lead = rule if rule.pin == FRAUD else (fraud_rules[0] if fraud_rules else rule)
    priority = lead.priority if lead.pin == FRAUD else 100
    alert = lead.alert or lead.explanation
    return Pin(FRAUD, rule_id or rule.id, priority, alert, violation, "fraud_signal", _words(hits))


def apply_pins(
    ranked: list[ScenarioScore], pins: list[Pin], text: str, segment: str | None, channel: str | None,
    variants: Variants, threshold: float,
) -> list[ScenarioScore]:
    """Move pinned scenarios to the front, highest priority first.

    A severe-complaint signal about a confidently matched scenario that has a
    severe variant (e.g. a disputed duplicate charge with a threat to go to the
    regulator) keeps that scenario and switches to its severe variant, whose
    escalation path is what the signal calls for.
    """
    if not pins:
        return ranked
    by_scenario = {s.scenario: s for s in ranked}
    front: list[ScenarioScore] = []
    for pin in pins:
        if pin.is_escalation and not front and ranked and ranked[0].score >= threshold:
            severe = variants.severe(ranked[0].scenario, text)
            if severe is not None:
                front.append(replace(ranked[0], script=severe))
                continue
        scored = by_scenario.get(pin.scenario)
        if scored is None:
            script = variants.choose(pin.scenario, text, segment, channel)
            assert script is not None  # customer_pins keeps known scenarios only
            scored = ScenarioScore(pin.scenario, 0.0, NO_HIT, script)
        front.append(scored)
    pinned = {s.scenario for s in front}
    return front + [s for s in ranked if s.scenario not in pinned]
