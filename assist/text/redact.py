"""Personal-data redaction for everything assist logs, reports or persists.

Redaction is **by shape**: a number is redacted because it looks like a card,
an account, an identity number or a mobile, not only when its checksum is
right (a misheard or mistyped card still leaks the holder's number). This is
the one redaction spec for reports, gap stubs, predictions, JSON output and
logs. Each finding is replaced by a placeholder without digits, so
``redact(redact(t)) == redact(t)``.

===========  =============  ==================================================
kind         placeholder    what is detected
===========  =============  ==================================================
``id``       ``[ID]``       The 18-character resident-ID shape: 6 digits
                            (first not 0), a birth-date shape (year 18xx-20xx,
                            month 01-12, day 01-31), 3 digits, a digit or X;
                            solid or 6-8-4 with one space or hyphen. The check
                            character is *not* required to be right.
``card``     ``[CARD]``     13-19 digits passing Luhn (solid or in a card
                            layout: 4-4-4-1..4, 4-4-4-4-1..3, 4-6-5, 4-6-4),
                            and the canonical 4-4-4-4(-1..3) layout starting
                            with a major network prefix even when Luhn fails.
``phone``    ``[PHONE]``    Mainland mobiles ``1[3-9]`` + 9 digits with any
                            single spaces or hyphens between digits, with or
                            without ``+86``/``0086``/``(+86)``; mainland
                            landlines with area code; Hong Kong and Taiwan
                            numbers with prefixes; any ``+`` number of 8-15
                            digits (E.164).
``account``  ``[ACCOUNT]``  Any other run of 10 or more digits, counting
                            digits joined by single spaces or hyphens
                            (``6222 0212 3456 7890 12``, ``1234-5678-9012``):
                            bank accounts, cards that fail every check, and
                            (a price paid for privacy) long reference numbers.
                            Runs of 20 or more are redacted whole. Exception:
                            10-digit ``400``/``800`` service numbers.
``email``    ``[EMAIL]``    ASCII e-mail addresses.
``name``     ``[NAME]``     A name before an honorific: a common Chinese
                            surname plus up to two characters before
                            先生/女士/小姐/太太 (the honorific is kept:
                            ``[NAME]先生``), and a capitalised name after
                            Mr/Mrs/Ms/Miss/Mx/Dr (``Mr [NAME]``).
===========  =============  ==================================================

Digits are read in every form a transcript carries them: ASCII, full-width
(``０-９``), other Unicode decimal digits, and Chinese numerals (〇零一幺二两
三四五六七八九 and the financial forms 壹贰叁肆伍陆柒捌玖), so
「六二二二零二一二三四五六七八九零一二三」 is a 19-digit run. Full-width
forms, Unicode dashes and spaces are normalised character-for-character before
matching, so offsets index the original text and everything outside a finding
is returned unchanged.

Order: identity numbers, Luhn/layout cards (a number right after ``+`` is left
to the phone rules), phones, cards again, then accounts; each later detector
sees earlier findings as removed text. E-mail addresses are matched on the
full text and overlapping findings are merged into one span. Names are found
on the text outside numeric findings.

Deliberately left alone: amounts (「转了5000块」, ``¥12,000.00``), dates
(``2024-05-01``, ``20240501``), times, verification codes and other runs of
fewer than 10 digits, service numbers (``95588``, ``400-820-8820``), names
without an honorific (「我叫王小明」), obfuscated e-mail (``zhang at qq dot
com``).

The module is pure standard library, holds no mutable global state and is safe
to call from any thread. Every pattern is linear in the input length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = ["PLACEHOLDERS", "PiiKind", "PiiMatch", "contains_pii", "find_pii", "redact"]

PiiKind = Literal["id", "card", "phone", "account", "email", "name"]

PLACEHOLDERS: Final[Mapping[PiiKind, str]] = MappingProxyType(
    {
        "id": "[ID]", "card": "[CARD]", "phone": "[PHONE]", "account": "[ACCOUNT]",
        "email": "[EMAIL]", "name": "[NAME]",
    }
)

# Lower number wins when findings of different kinds are merged.
_PRIORITY: Final[Mapping[PiiKind, int]] = MappingProxyType(
    {"id": 0, "card": 1, "phone": 2, "account": 3, "email": 4, "name": 5}
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


_CHINESE_DIGITS: Final = {
    "0": "〇零○", "1": "一幺壹", "2": "二两贰", "3": "三叁", "4": "四肆",
    "5": "五伍", "6": "六陆", "7": "七柒", "8": "八捌", "9": "九玖",
}


_TRANSLATION: Final = _build_translation()
_NUMERAL_TRANSLATION: Final = MappingProxyType(
    {ord(numeral): digit for digit, numerals in _CHINESE_DIGITS.items() for numeral in numerals}
)
_NUMERALS: Final = "".join(_CHINESE_DIGITS.values())
# Three or more numerals (single spaces or hyphens between) are read as digits; a lone
# 一 or 两 is a word (「查一下」, 「两张卡」), and must not glue onto a card number.
_NUMERAL_RUN: Final = re.compile(rf"[{_NUMERALS}](?:[ -]?[{_NUMERALS}]){{2,}}")


def _numerals_to_digits(match: re.Match[str]) -> str:
    return match.group().translate(_NUMERAL_TRANSLATION)
_OTHER_DIGIT: Final = re.compile(r"(?![0-9])\d")
# Placed over findings so later detectors treat them as removed text. Like the
# placeholders' brackets it is neither a digit, a separator, "+" nor e-mail text.
_BLANK: Final = "\x00"


def _ascii_digit(match: re.Match[str]) -> str:
    return str(unicodedata.decimal(match.group()))


def _normalise(text: str, *, numerals: bool = False) -> str:
    """Full-width → ASCII, Unicode digits/dashes/spaces → ASCII; with ``numerals``,
    Chinese numerals → ASCII digits too. Length-preserving."""
    text = _OTHER_DIGIT.sub(_ascii_digit, text.translate(_TRANSLATION))
    return _NUMERAL_RUN.sub(_numerals_to_digits, text) if numerals else text


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


# --------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------

_ID_RE: Final = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}([ -]?)(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"\1[0-9]{3}(?:[0-9](?![0-9])|[Xx])"
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
    re.compile(_intl_prefix("86") + r"1[3-9](?:[ -]?[0-9]){9}(?![0-9])"),
    # Hong Kong: prefix + 8 digits.
    re.compile(_intl_prefix("852") + r"[2-9][0-9]{3}[ -]?[0-9]{4}(?![0-9])"),
    # Taiwan mobile with country prefix (the domestic 0 is often kept).
    re.compile(_intl_prefix("886") + r"0?9[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{3}(?![0-9])"),
    # Mainland mobile, any single spaces or hyphens between digits ("+1381…" is left to
    # the E.164 rule).
    re.compile(r"(?<![0-9+])1[3-9](?:[ -]?[0-9]){9}(?![0-9])"),
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


def _find_ids(text: str) -> Iterator[_Span]:
    return _scan(_ID_RE, text, lambda match: match.span())


ACCOUNT_MIN_DIGITS: Final = 10
_SERVICE_PREFIXES: Final = ("400", "800")


def _find_accounts(text: str) -> Iterator[_Span]:
    """Every remaining chain of digit groups with at least :data:`ACCOUNT_MIN_DIGITS` digits."""
    for chain in _CHAIN_RE.finditer(text):
        digits = sum(1 for ch in chain.group() if ch.isdigit())
        if digits < ACCOUNT_MIN_DIGITS:
            continue
        if digits == ACCOUNT_MIN_DIGITS and chain.group().startswith(_SERVICE_PREFIXES):
            continue
        yield chain.span()


_SURNAMES: Final = (
    "欧阳|司马|诸葛|上官|东方|慕容|令狐|皇甫|尉迟|公孙|长孙|宇文|司徒|夏侯|歐陽|諸葛|"
    "[王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭林何高罗羅郑鄭梁谢謝宋唐韩韓冯馮"
    "邓鄧曹彭曾萧蕭田董袁潘蒋蔣蔡余杜叶葉程苏蘇魏吕呂丁沈任姚卢盧姜崔钟鍾谭譚陆陸汪范金石廖贾賈"
    "夏韦韋傅方邹鄒熊孟秦邱江尹薛闫閆段雷侯龙龍史陶黎贺賀顾顧毛郝龚龔邵万萬钱錢严嚴覃武戴莫孔"
    "向汤湯常温溫康施文牛樊葛邢安齐齊易乔喬伍庞龐颜顏倪庄莊聂聶章鲁魯岳翟殷詹申欧歐耿关關兰蘭"
    "焦俞左柳甘祝包宁寧尚符舒阮柯纪紀梅童凌毕畢单單季裴霍涂成苗谷盛曲翁冉骆駱蓝藍路游辛靳管"
    "柴蒙鲍鮑华華喻祁蒲房滕屈饶饒解牟艾尤阳陽时時穆农農司卓古吉缪繆简簡车車项項连連芦盧麦麥"
    "褚娄婁窦竇戚岑景党宫宮费費卜冷晏席卫衛米柏宗瞿桂全佟应應臧闵閔苟邬鄔边邊卞姬师師和仇栾欒"
    "隋商刁沙荣榮巫寇桑郎甄丛叢仲虞敖巩鞏明佘池查麻苑迟遲邝鄺]"
)
_CHINESE_NAME_RE: Final = re.compile(
    rf"(?:{_SURNAMES})[\u4e00-\u9fff]{{0,2}}?(?=先生|女士|小姐|太太)"
)
_LATIN_NAME_RE: Final = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?[ ]+([A-Z][A-Za-z'-]*(?:[ ]+[A-Z][A-Za-z'-]*)?)"
)


def _find_names(text: str) -> Iterator[_Span]:
    for match in _CHINESE_NAME_RE.finditer(text):
        yield match.span()
    for match in _LATIN_NAME_RE.finditer(text):
        yield match.span(1)


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
    plain = _normalise(text)
    # the same as _normalise(text, numerals=True), from the plain form instead of normalising twice
    normalised = _NUMERAL_RUN.sub(_numerals_to_digits, plain)
    numeric = _find_numeric(normalised) if _enough_digits(normalised) else []
    others: list[tuple[int, int, PiiKind]] = list(_find_emails(plain)) if "@" in plain else []
    others.extend((s, e, "name") for s, e in _find_names(plain))
    return _merge(numeric, others)


NUMERIC_MIN_DIGITS: Final = 8
"""The fewest digits any numeric finding holds: an E.164 number (:data:`_E164_MIN_DIGITS`); a
Hong Kong number holds 8 after its prefix, an account 10, a landline 10, a mobile 10 or 11, a
card 13, an ID 17. Blanking only removes digits, so a text with fewer has no numeric finding."""
_DIGITS: Final = "0123456789"


def _enough_digits(normalised: str) -> bool:
    """Whether ``normalised`` holds :data:`NUMERIC_MIN_DIGITS` ASCII digits: most transcript lines
    hold none or a few (「第17次」), and then the numeric detectors are not run at all."""
    return sum(map(normalised.count, _DIGITS)) >= NUMERIC_MIN_DIGITS


def _find_numeric(normalised: str) -> list[tuple[int, int, PiiKind]]:
    """IDs, cards, phones and accounts in ``normalised``, each detector blanking what it took."""
    work = list(normalised)
    numeric: list[tuple[int, int, PiiKind]] = []

    def blank(spans: list[_Span]) -> str:
        for start, end in spans:
            work[start:end] = _BLANK * (end - start)
        return "".join(work)

    id_spans = list(_find_ids(normalised))
    numeric.extend((s, e, "id") for s, e in id_spans)
    current = blank(id_spans) if id_spans else normalised

    card_spans = list(_find_cards(current, defer_plus=True))
    if card_spans:
        current = blank(card_spans)

    phone_spans, current = _find_phones(current, blank)
    numeric.extend((s, e, "phone") for s, e in phone_spans)

    more_cards = list(_find_cards(current, defer_plus=False))
    if more_cards:
        current = blank(more_cards)
    card_spans.extend(more_cards)
    numeric.extend((s, e, "card") for s, e in card_spans)
    numeric.extend((s, e, "account") for s, e in _find_accounts(current))
    return numeric


def _merge(
    numeric: list[tuple[int, int, PiiKind]], emails: list[tuple[int, int, PiiKind]]
) -> list[PiiMatch]:
    """Sort findings and merge overlapping ones (only e-mails and names can overlap)."""
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
