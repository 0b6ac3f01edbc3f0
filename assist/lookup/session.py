"""Conversation state: the scenarios raised in one call or chat, for escalation advice.

The bank's training asks for early warning of repeated unresolved contacts: when
the same scenario comes up ``REPEAT_LIMIT`` times in one session, the suggestion
carries a ``repeated_unresolved`` alert and that script's escalation path.
Only scenario ids are remembered, never what the customer said.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from typing import Protocol

from assist.types import Script, Suggestion, join_reply

REPEAT_LIMIT = 3
REPEATED_SCENARIO = "repeated_unresolved"


class Suggester(Protocol):
    """What a session needs of an assistant (:class:`assist.lookup.assistant.Assistant`)."""

    def suggest(
        self, utterance: str, *, top_k: int = 3, segment: str | None = None, channel: str | None = None
    ) -> Suggestion: ...

    def scenario_script(
        self, scenario: str, utterance: str = "", segment: str | None = None, channel: str | None = None
    ) -> Script | None: ...


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
        suggestion = self._assistant.suggest(utterance, top_k=top_k, segment=segment, channel=channel)
        if suggestion.abstained or suggestion.top is None:
            return suggestion
        scenario = suggestion.top.scenario
        with self._lock:
            self._counts[scenario] += 1
            count = self._counts[scenario]
        return escalated(self._assistant, suggestion, count, utterance, segment, channel)


def escalated(
    assistant: Suggester, suggestion: Suggestion, count: int, utterance: str,
    segment: str | None = None, channel: str | None = None,
) -> Suggestion:
    """``suggestion`` with the repeated-contact alert and escalation path when its top scenario
    has now come up ``count`` times in the session (at least :data:`REPEAT_LIMIT`); else as is.

    Shared with stores that keep the counts elsewhere (the team server's, across workers).
    """
    if suggestion.abstained or suggestion.top is None:
        return suggestion
    scenario = suggestion.top.scenario
    if count < REPEAT_LIMIT or scenario == REPEATED_SCENARIO:
        return suggestion
    script = assistant.scenario_script(REPEATED_SCENARIO, utterance, segment, channel)
    if script is None:
        path = f"{scenario} raised {count} times: escalate to a supervisor"
    else:
        path = join_reply(script.reply, script.escalation or "")
    alert = f"{REPEATED_SCENARIO}: '{scenario}' raised {count} times in this session; escalate"
    return replace(suggestion, alerts=[*suggestion.alerts, alert], escalation=path)
