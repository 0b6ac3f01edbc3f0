"""Conversation state within one call or chat: the scenarios raised so far.

Only scenario ids and counts are remembered, never what the customer said. A
session never escalates on its own repeats: a customer who rephrases the same
problem three times in one call has not called three times. Repeated contact
across calls of one customer, and a safety pin holding over follow-up turns,
belong to the call store (:mod:`assist.calls.memory`), which sees every call.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Protocol

from assist.types import Suggestion


class Suggester(Protocol):
    """What a session needs of an assistant (:class:`assist.lookup.assistant.Assistant`)."""

    def suggest(
        self, utterance: str, *, top_k: int = 3, segment: str | None = None, channel: str | None = None
    ) -> Suggestion: ...


class Session:
    def __init__(self, assistant: Suggester) -> None:
        self._assistant = assistant
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def raised(self) -> dict[str, int]:
        """How often each scenario has come up in this session."""
        with self._lock:
            return dict(self._counts)

    def suggest(
        self, utterance: str, *, top_k: int = 3, segment: str | None = None, channel: str | None = None
    ) -> Suggestion:
        """The assistant's suggestion, counted under its top scenario unless it abstained."""
        suggestion = self._assistant.suggest(utterance, top_k=top_k, segment=segment, channel=channel)
        if not suggestion.abstained and suggestion.top is not None:
            with self._lock:
                self._counts[suggestion.top.scenario] += 1
        return suggestion
