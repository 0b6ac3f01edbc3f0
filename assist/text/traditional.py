"""Simplified text in traditional characters, as a traditional-Chinese customer is served it.

One place for the conversions, so that what the compliance check reads
(:func:`assist.compliance.checks.served_texts`) is exactly what a lookup serves
(:func:`assist.lookup.variants.in_customer_script`): Hong Kong wording (``s2hk``)
when the customer writes Cantonese or Hong Kong terms, Taiwan wording
(``s2twp``) otherwise, each followed by a plain ``s2t`` pass.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import opencc

REGIONS = ("s2twp", "s2hk")
"""OpenCC's regional simplified-to-traditional configurations a reply may be served in."""
HONG_KONG = re.compile(
    "[嘅咗佢唔喺嚟冇哋啲嗰乜咁噉嘢睇俾攞㗎啱]|係咪|點樣|點算|邊度|戶口|八達通|轉賬|入數|過數|提款卡|信用咭|咭|港幣|港元|香港"
)
"""Cantonese particles and Hong Kong banking terms: the customer gets Hong Kong wording."""

_converters: dict[str, opencc.OpenCC] = {}
_lock = threading.Lock()


def _convert(text: str, config: str) -> str:
    with _lock:  # an OpenCC converter is not documented as thread-safe
        converter = _converters.get(config)
        if converter is None:
            converter = _converters[config] = opencc.OpenCC(config)
        return str(converter.convert(text))


def region_of(utterance: str) -> str:
    """The regional configuration (one of :data:`REGIONS`) for this customer's wording."""
    return "s2hk" if HONG_KONG.search(utterance) else "s2twp"


@lru_cache(maxsize=8192)
def in_region(text: str, region: str) -> str:
    """``text`` in traditional characters with ``region``'s phrasing.

    The regional conversion keeps a few variant glyphs (Hong Kong's 「户」) that a plain
    ``s2t`` check reads as simplified; a final ``s2t`` pass gives their standard form, so
    no character of the reply is one OpenCC would convert from simplified. Script texts
    are few and fixed, so each is converted once per region, not per lookup.
    """
    if not text:
        return text
    return _convert(_convert(text, region), "s2t")
