"""Documented operating limits. Past them assist raises a clear, typed error."""

from __future__ import annotations

import re

from assist.errors import InputError

MAX_UTTERANCE_CHARS = 2_000
"""A lookup or draft check longer than this is refused (a live-call utterance is
a sentence or two; a pasted e-mail thread should be trimmed to its request)."""

MAX_LIBRARY_FILE_BYTES = 5_000_000
"""One YAML file of scripts or rules."""

MAX_EXAMPLES = 1_000_000
"""Examples in one library (the index is tested up to 100k)."""

MAX_TEXT_FIELD_CHARS = 2_000
"""One empathy, solution preview, step, escalation line or example."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def check_utterance(text: object, *, allow_empty: bool = False) -> str:
    """``text`` fit to look up or check. Blank text is an :class:`InputError` unless ``allow_empty``
    (a batch, where a blank line abstains rather than stopping the file)."""
    if not isinstance(text, str):
        raise InputError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_UTTERANCE_CHARS:
        raise InputError(
            f"text is {len(text):,} characters, over the {MAX_UTTERANCE_CHARS:,}-character limit; "
            "paste only the customer's request"
        )
    if not allow_empty and not text.strip():
        raise InputError("the text is empty; give what the customer said (or the agent's draft)")
    # Lone surrogates (undecodable bytes from a terminal) cannot be printed or encoded;
    # each becomes U+FFFD, a letter-like placeholder that neither splits a sentence for
    # the rule engine nor moves spans.
    return _SURROGATE.sub("\ufffd", text)
