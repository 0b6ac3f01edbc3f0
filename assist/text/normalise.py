"""Text normalisation shared by retrieval and compliance matching.

Traditional Chinese is converted to simplified with OpenCC (a maintained
conversion library with phrase-level tables, so 「帳戶」→「账户」 and
「臺灣」→「台湾」), full-width forms become half-width via Unicode NFKC,
case is folded and runs of whitespace collapse to one space.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import opencc

_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
"""Lone surrogates (e.g. from undecodable command-line bytes) cannot be encoded as
UTF-8, which OpenCC requires; each becomes U+FFFD, keeping the text's length."""
_converter_lock = threading.Lock()


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


SIMPLIFIED_KEPT = 4096
"""Conversions :func:`to_simplified` keeps. A looked-up utterance is converted three times, by
the search's normalisation, the rules' reading and the variant choice, a batch (256) apart at
most; kept, OpenCC converts it once."""


@lru_cache(maxsize=SIMPLIFIED_KEPT)
def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese; other scripts pass through unchanged."""
    text = _SURROGATE.sub("\ufffd", text)
    with _converter_lock:
        return str(_t2s().convert(text))


def normalise(text: str) -> str:
    """Canonical form for matching: simplified, half-width, case-folded, single-spaced.

    The length of the output may differ from the input (NFKC can expand a
    character); use :func:`normalise_with_offsets` when spans must map back.
    """
    text = _CONTROL.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    text = text.casefold()
    return _WHITESPACE.sub(" ", text).strip()


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalise character by character and keep, for each output character,
    the index of the input character it came from.

    Used by the compliance checker to report spans in the agent's own text.
    OpenCC's phrase tables are length-preserving for t2s, so converting the
    whole string keeps alignment; NFKC and case folding are applied per
    character so expansions map back to their source character.
    """
    simplified = to_simplified(_CONTROL.sub(" ", text))
    if len(simplified) != len(text):
        simplified = "".join(to_simplified(ch) for ch in text)
    out: list[str] = []
    offsets: list[int] = []
    previous_space = True
    for index, ch in enumerate(simplified):
        piece = unicodedata.normalize("NFKC", ch).casefold()
        for produced in piece:
            if produced.isspace():
                if previous_space:
                    continue
                produced = " "
                previous_space = True
            else:
                previous_space = False
            out.append(produced)
            offsets.append(index)
    while out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


def language_family(text: str) -> str:
    """'zh' when the text contains Chinese characters, else 'en'."""
    return "zh" if any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text) else "en"
