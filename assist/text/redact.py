"""Personal-data redaction for everything assist logs, reports or persists.

Customer utterances (simplified Chinese, traditional Chinese, English) are
scanned for four kinds of personal data, and each finding is replaced by a
fixed placeholder that contains no digits, so redaction is idempotent:

=========  =============  ====================================================
kind       placeholder    what is detected
=========  =============  ====================================================
``id``     ``[ID]``       Chinese resident identity numbers (GB 11643): 18
                          characters = 6-digit region code + 8-digit birth date
                          + 3-digit sequence + check character. Accepted only
                          when the region starts with a province-level code
                          (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81,
                          82, 83) or with 9 (2023 foreigners' permanent
                          residence ID), the birth date is a real calendar
                          date between 1900-01-01 and today, and the check
                          character equals the ISO 7064 MOD 11-2 value
                          (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
                          ``10X98765432``). ``X`` may be lower-case. Written
                          solid or as 6-8-4 with one space or hyphen.
``card``   ``[CARD]``     Payment card numbers of 13-19 digits that pass the
                          Luhn check, written solid (``6222021234567890123``)
                          or in a card layout with one consistent space or
                          hyphen separator: 4-4-4-1..4, 4-4-4-4-1..3, 4-6-5
                          (Amex), 4-6-4 (Diners). A grouped card is found even
                          when other digit groups touch it (``2024-05-01 4111
                          1111 1111 1111 2025年``). One exception to the Luhn
                          rule: a number in the canonical 4-4-4-4 layout
                          (optionally + a final group of 1-3 digits, so 16-19
                          digits, one consistent separator) that starts with a
                          major network IIN (4 Visa, 51-55 Mastercard, 35 JCB,
                          60/62/65 UnionPay and Discover) is a card even when
                          Luhn fails: a mistyped or misheard card still leaks
                          the PAN, and order numbers, amounts and dates are not
                          written that way.
``phone``  ``[PHONE]``    Mainland mobiles ``1[3-9]`` + 9 digits (solid or
                          3-4-4 with spaces/hyphens), optionally prefixed by
                          ``+86``, ``0086`` or ``(+86)``; mainland landlines
                          with area code (``010-12345678``, ``0755 1234567``,
                          ``(021)1234-5678``); Hong Kong numbers with a
                          ``+852``/``00852``/``(852)`` prefix and 8 digits;
                          Taiwan mobiles ``09xx-xxx-xxx`` (solid or grouped,
                          or ``+886 9xx xxx xxx``, ``+886 0912…``); and any
                          other ``+`` followed by 8-15 digits, E.164 style
                          (groups separated by a space or hyphen, ``(0)``
                          trunk and ``(415)``-style area codes allowed; a
                          longer tail is cut at the last group that keeps 15
                          digits). A ``+`` number counts even right after a
                          digit, so ``5+12345678`` is redacted too.
``email``  ``[EMAIL]``    ASCII e-mail addresses: local part of letters,
                          digits and ``._%+-``; domain labels of letters,
                          digits and inner hyphens; a 2-63 letter TLD.
=========  =============  ====================================================

Matching rules
--------------
* Full-width forms (``０-９``, ``Ｘ``, ``＋``, ``－``, ``＠``, ``（）``…), other
  Unicode decimal digits, Unicode dashes and Unicode spaces (``\u3000``…)
  are normalised character-for-character before matching, so offsets are
  those of the original text and everything outside a finding is returned
  unchanged.
* Numbers are found inside Chinese or English text without spaces
  (「我卡号是6222021234567890123帮我查」), but a number is only ever taken as
  whole digit runs: digits glued to further digits are never matched (a
  19-digit card is not an 11-digit phone; an unbroken run of 20+ digits is
  nothing). Letters do not count as glue (``TX4111111111111111`` loses the
  Luhn-valid card number).
* Most specific first: identity numbers, then cards, then phones; each
  later detector sees earlier findings as removed text. A number right after
  a ``+`` is offered to the phone rules before the card rules, so
  ``+8613812345678`` is a phone even if it happens to pass Luhn. E-mail addresses are
  matched on the full text and findings that overlap are merged into one
  span, so no part of either survives: ``13812345678@qq.com`` becomes
  ``[EMAIL]`` (the address covers the number), a grouped card whose last
  group runs into an address becomes one ``[CARD]``.
* Every decision depends only on text that survives redaction, so
  ``redact(redact(t)) == redact(t)``.

Deliberately left alone
-----------------------
* Amounts (「转了5000块」, ``¥12,000.00``, ``5,000``), dates (``2024-05-01``,
  ``20240501``), times, short codes and verification codes (``123456``),
  service numbers (``95588``, ``400-820-8820``).
* Order, transaction and reference numbers that fail the checks above: a
  13-19 digit run that fails Luhn (outside the card layout exception), an
  18-character number with a wrong check character, an impossible or future
  birth date, or an unknown region. (About one random 13-19 digit reference
  number in ten passes Luhn by chance and is redacted as a card: the price of
  not missing cards.)
* Unbroken digit runs of 20 or more digits, and 15-digit first-generation
  identity numbers (no check digit, indistinguishable from reference numbers).
* Card numbers written in other groupings (``622202 1234567890123``), spelled
  out in words or Chinese numerals (「六二二二…」), or split by other
  characters; phone numbers in other groupings or without the prefixes above
  (a bare 8-digit Hong Kong number looks like an amount); ``+`` numbers of
  fewer than 8 digits.
* Obfuscated or non-ASCII e-mail addresses (``zhang at qq dot com``,
  ``张三@公司.中国``).
* Other identifiers: Hong Kong / Taiwan identity cards, passports, bank
  account numbers that are not card numbers, names, addresses, CVVs and
  expiry dates.

The module is pure standard library, holds no mutable global state (only
compiled patterns and read-only tables) and is safe to call from any thread.
Every pattern is linear in the input length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final, Literal

__all__ = ["PLACEHOLDERS", "PiiKind", "PiiMatch", "contains_pii", "find_pii", "redact"]

PiiKind = Literal["id", "card", "phone", "email"]

PLACEHOLDERS: Final[Mapping[PiiKind, str]] = MappingProxyType(
    {"id": "[ID]", "card": "[CARD]", "phone": "[PHONE]", "email": "[EMAIL]"}
)

# Lower number wins when findings of different kinds are merged.
_PRIORITY: Final[Mapping[PiiKind, int]] = MappingProxyType(
    {"id": 0, "card": 1, "phone": 2, "email": 3}
)


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One finding: ``text[start:end]`` is personal data of ``kind``."""

    kind: PiiKind
    start: int
    end: int

    @property
    def placeholder(self) -> str:
        """The text that :func:`redact` puts in place of the finding."""
        return PLACEHOLDERS[self.kind]


# --------------------------------------------------------------------------
# Normalisation (strictly one character in, one character out)
# --------------------------------------------------------------------------


def _build_translation() -> Mapping[int, str]:
    table: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
    for cp in (0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000):
        table[cp] = " "
    for cp in (*range(0x2010, 0x2016), 0x2212, 0xFE58, 0xFE63):
        table[cp] = "-"
    table[0xFE62] = "+"
    return MappingProxyType(table)


_TRANSLATION: Final = _build_translation()
_OTHER_DIGIT: Final = re.compile(r"(?![0-9])\d")
# Placed over findings so later detectors treat them as removed text. Like the
# placeholders' brackets it is neither a digit, a separator, "+" nor e-mail text.
_BLANK: Final = "\x00"


def _ascii_digit(match: re.Match[str]) -> str:
    return str(unicodedata.decimal(match.group()))


def _normalise(text: str) -> str:
    """Full-width → ASCII, Unicode digits/dashes/spaces → ASCII; length-preserving."""
    text = text.translate(_TRANSLATION)
    return _OTHER_DIGIT.sub(_ascii_digit, text)


# --------------------------------------------------------------------------
# Validators
# --------------------------------------------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    double = False
    for ch in reversed(digits):
        value = ord(ch) - 48
        if double:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
        double = not double
    return total % 10 == 0


_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
_PROVINCES: Final = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34"),
        *("35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52"),
        *("53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"),
    }
)


def _id_ok(body: str, check: str, today: date) -> bool:
    """``body`` is the 17 leading digits, ``check`` the final character."""
    if body[:2] not in _PROVINCES and body[0] != "9":
        return False
    year, month, day = int(body[6:10]), int(body[10:12]), int(body[12:14])
    if year < 1900:
        return False
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    if born > today:
        return False
    total = sum(int(ch) * weight for ch, weight in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == check.upper()


# --------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------

_ID_RE: Final = re.compile(
    r"(?<![0-9])([0-9]{6})([ -]?)([0-9]{8})\2([0-9]{3})(?:([0-9])(?![0-9])|([Xx]))"
)

# A chain of digit groups joined by single spaces or hyphens; cards are looked
# for inside chains so that a card next to a date or an amount is still found.
_CHAIN_RE: Final = re.compile(r"(?<![0-9])[0-9]+(?:[ -][0-9]+)*")
_GROUP_RE: Final = re.compile(r"[0-9]+")

_LUHN_LAYOUTS: Final = (
    (4, 4, 4, 4, 3),
    (4, 4, 4, 4, 2),
    (4, 4, 4, 4, 1),
    (4, 4, 4, 4),
    (4, 6, 5),
    (4, 4, 4, 3),
    (4, 6, 4),
    (4, 4, 4, 2),
    (4, 4, 4, 1),
)
_CANONICAL_LAYOUTS: Final = ((4, 4, 4, 4, 3), (4, 4, 4, 4, 2), (4, 4, 4, 4, 1), (4, 4, 4, 4))
_CANONICAL_IINS: Final = ("4", "51", "52", "53", "54", "55", "35", "60", "62", "65")


def _intl_prefix(code: str) -> str:
    return rf"(?:\+{code}|(?<![0-9])00{code}|\(\+?{code}\))[ -]?"


_PHONE_RES: Final = (
    # Mainland mobile with country prefix.
    re.compile(_intl_prefix("86") + r"1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])"),
    # Hong Kong: prefix + 8 digits.
    re.compile(_intl_prefix("852") + r"[2-9][0-9]{3}[ -]?[0-9]{4}(?![0-9])"),
    # Taiwan mobile with country prefix (the domestic 0 is often kept).
    re.compile(_intl_prefix("886") + r"0?9[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{3}(?![0-9])"),
    # Mainland mobile, 3-4-4 ("+1381…" is left to the E.164 rule).
    re.compile(r"(?<![0-9+])1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])"),
    # Taiwan mobile, 4-3-3.
    re.compile(r"(?<![0-9])09[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{3}(?![0-9])"),
    # Mainland landline with area code.
    re.compile(
        r"(?:\(0[1-9][0-9]{1,2}\)[ -]?|(?<![0-9])0[1-9][0-9]{1,2}[ -])"
        r"[1-9][0-9]{2,3}[ -]?[0-9]{4}(?![0-9])"
    ),
)

# Any "+" number; length is checked (and over-long tails trimmed) in code.
_E164_RE: Final = re.compile(r"\+[1-9][0-9]*(?:(?:[ -]|[ -]?\([0-9]{1,4}\)[ -]?)[0-9]+)*")
_E164_PART_RE: Final = re.compile(r"\(([0-9]+)\)|[0-9]+")
_E164_MIN_DIGITS: Final = 8
_E164_MAX_DIGITS: Final = 15

# "@" and the domain; the local part is found by scanning back from the "@",
# so every "@" is considered even when two candidate addresses overlap
# ("0@qq.com0@qq.com"), and overlapping addresses are merged.
_EMAIL_DOMAIN_RE: Final = re.compile(
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,63}"
)
_EMAIL_LOCAL: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
)


# --------------------------------------------------------------------------
# Detectors: each yields (start, end) spans in the working text
# --------------------------------------------------------------------------

_Span = tuple[int, int]


def _scan(
    pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], _Span | None]
) -> Iterator[_Span]:
    """Like ``finditer`` but a rejected match only skips one character."""
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        span = accept(match)
        if span is None:
            pos = match.start() + 1
        else:
            yield span
            pos = span[1]


def _find_ids(text: str, today: date) -> Iterator[_Span]:
    def accept(match: re.Match[str]) -> _Span | None:
        body = match.group(1) + match.group(3) + match.group(4)
        check = match.group(5) or match.group(6)
        return match.span() if _id_ok(body, check, today) else None

    return _scan(_ID_RE, text, accept)


def _find_cards(text: str, *, defer_plus: bool) -> Iterator[_Span]:
    """Cards in every chain of digit groups.

    With ``defer_plus``, a number starting right after a "+" is left for the
    phone detectors (``+8613812345678`` may pass Luhn by chance); a second
    pass without it, after the phones, catches whatever they did not take.
    """
    for chain in _CHAIN_RE.finditer(text):
        start = chain.start()
        after_plus = defer_plus and start > 0 and text[start - 1] == "+"
        yield from _cards_in_chain(text, start, chain.end(), after_plus)


def _cards_in_chain(text: str, start: int, end: int, skip_first: bool) -> list[_Span]:
    groups = [(m.start(), m.end()) for m in _GROUP_RE.finditer(text, start, end)]
    sizes = [e - s for s, e in groups]
    count = len(groups)
    used = [False] * count
    found: list[_Span] = []

    def layout_fits(i: int, layout: tuple[int, ...]) -> bool:
        k = len(layout)
        if i + k > count or tuple(sizes[i : i + k]) != layout or any(used[i : i + k]):
            return False
        sep = text[groups[i][1]]
        return all(text[groups[j][1]] == sep for j in range(i + 1, i + k - 1))

    def digits(i: int, k: int) -> str:
        return "".join(text[s:e] for s, e in groups[i : i + k])

    def luhn_card(i: int) -> int:
        if 13 <= sizes[i] <= 19:
            return 1 if _luhn_ok(digits(i, 1)) else 0
        if sizes[i] == 4:
            for layout in _LUHN_LAYOUTS:
                if layout_fits(i, layout) and _luhn_ok(digits(i, len(layout))):
                    return len(layout)
        return 0

    def canonical_card(i: int) -> int:
        # Context-free on purpose: whether a number is a card must not depend
        # on neighbours that may themselves be redacted (idempotence).
        if sizes[i] != 4 or not text.startswith(_CANONICAL_IINS, groups[i][0]):
            return 0
        for layout in _CANONICAL_LAYOUTS:
            if layout_fits(i, layout):
                return len(layout)
        return 0

    for rule in (luhn_card, canonical_card):
        i = 1 if skip_first else 0
        while i < count:
            k = 0 if used[i] else rule(i)
            if k:
                used[i : i + k] = [True] * k
                found.append((groups[i][0], groups[i + k - 1][1]))
                i += k
            else:
                i += 1
    return found


def _accept_e164(match: re.Match[str]) -> _Span | None:
    total = 0
    end = -1
    for part in _E164_PART_RE.finditer(match.string, match.start(), match.end()):
        trunk = part.group(1)
        size = 0 if trunk == "0" else len(trunk or part.group())
        if total + size > _E164_MAX_DIGITS:
            break
        total += size
        end = part.end()
    return (match.start(), end) if total >= _E164_MIN_DIGITS else None


def _find_emails(text: str) -> Iterator[tuple[int, int, PiiKind]]:
    for match in _EMAIL_DOMAIN_RE.finditer(text):
        at = start = match.start()
        while start > 0 and text[start - 1] in _EMAIL_LOCAL:
            start -= 1
        if start < at:
            yield start, match.end(), "email"


def _find_phones(text: str, blank: Callable[[list[_Span]], str]) -> tuple[list[_Span], str]:
    """Phone spans, and ``text`` with them blanked."""
    found: list[_Span] = []
    for pattern in _PHONE_RES:
        spans = [m.span() for m in pattern.finditer(text)]
        if spans:
            found.extend(spans)
            text = blank(spans)
    spans = list(_scan(_E164_RE, text, _accept_e164))
    if spans:
        found.extend(spans)
        text = blank(spans)
    return found, text


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def find_pii(text: str) -> list[PiiMatch]:
    """Every piece of personal data in ``text``, in order, non-overlapping.

    Offsets index the original ``text`` (normalisation never changes length).
    """
    if not text:
        return []
    normalised = _normalise(text)
    work = list(normalised)
    numeric: list[tuple[int, int, PiiKind]] = []

    def blank(spans: list[_Span]) -> str:
        for start, end in spans:
            work[start:end] = _BLANK * (end - start)
        return "".join(work)

    id_spans = list(_find_ids(normalised, date.today()))
    numeric.extend((s, e, "id") for s, e in id_spans)
    current = blank(id_spans) if id_spans else normalised

    card_spans = list(_find_cards(current, defer_plus=True))
    if card_spans:
        current = blank(card_spans)

    phone_spans, current = _find_phones(current, blank)
    numeric.extend((s, e, "phone") for s, e in phone_spans)

    card_spans.extend(_find_cards(current, defer_plus=False))
    numeric.extend((s, e, "card") for s, e in card_spans)

    return _merge(numeric, list(_find_emails(normalised)))


def _merge(
    numeric: list[tuple[int, int, PiiKind]], emails: list[tuple[int, int, PiiKind]]
) -> list[PiiMatch]:
    """Sort findings and merge overlapping ones (only e-mails can overlap)."""
    if not emails:
        return [PiiMatch(kind, s, e) for s, e, kind in sorted(numeric)]
    merged: list[PiiMatch] = []
    group: list[tuple[int, int, PiiKind]] = []
    group_end = -1

    def flush() -> None:
        start = group[0][0]
        numbers = [k for _, _, k in group if k != "email"]
        whole_email = any(k == "email" and s == start and e == group_end for s, e, k in group)
        kind: PiiKind = (
            "email" if whole_email or not numbers else min(numbers, key=_PRIORITY.__getitem__)
        )
        merged.append(PiiMatch(kind, start, group_end))

    for start, end, kind in sorted(numeric + emails):
        if group and start >= group_end:
            flush()
            group = []
        group.append((start, end, kind))
        group_end = max(group_end, end) if len(group) > 1 else end
    if group:
        flush()
    return merged


def redact(text: str) -> str:
    """``text`` with every finding of :func:`find_pii` replaced by its placeholder."""
    matches = find_pii(text)
    if not matches:
        return text
    pieces: list[str] = []
    position = 0
    for match in matches:
        pieces.append(text[position : match.start])
        pieces.append(match.placeholder)
        position = match.end
    pieces.append(text[position:])
    return "".join(pieces)


def contains_pii(text: str) -> bool:
    """Whether :func:`redact` would change ``text``."""
    return bool(find_pii(text))
