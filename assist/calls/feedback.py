"""Agent feedback on a call's suggestions: used, edited, rejected, or a runner-up chosen instead.

Each event names the customer turn whose suggestion it is about and carries a
client-chosen ``event_id``, so a retried click is stored once. An edit keeps the
agent's final text, redacted; a runner-up (or, for an abstention, any script of the
library the agent resolved it to) names the script chosen.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from assist.calls.memory import check_id
from assist.calls.store import CallStore, FeedbackRow
from assist.errors import InputError, NotFoundError
from assist.limits import MAX_UTTERANCE_CHARS
from assist.text.redact import redact
from assist.types import Script

Action = Literal["used", "edited", "rejected", "runner_up"]
ACTIONS: tuple[str, ...] = ("used", "edited", "rejected", "runner_up")


class ScriptSource(Protocol):
    """Where scripts are looked up: an assistant, or a library loaded without a model."""

    def script(self, script_id: str) -> Script | None: ...


@dataclass(frozen=True)
class FeedbackOutcome:
    call_id: str
    event_id: str
    turn_id: str
    action: str
    script_id: str | None
    scenario: str | None
    new: bool

    def payload(self) -> dict[str, Any]:
        return asdict(self)


def record_feedback(
    scripts: ScriptSource, store: CallStore, call_id: str, event_id: str, turn_id: str, action: str,
    script_id: str | None = None, final_text: str | None = None,
) -> FeedbackOutcome:
    """Validate and store one feedback event; the same ``event_id`` again stores nothing."""
    check_id(call_id, "call id")
    check_id(event_id, "event id")
    check_id(turn_id, "turn id")
    if action not in ACTIONS:
        raise InputError(f"action must be one of {', '.join(ACTIONS)}")
    turn = store.turn(call_id, turn_id)
    if turn is None or turn.speaker != "customer":
        raise NotFoundError(f"call {call_id!r} has no customer turn {turn_id!r} to give feedback on")
    if action == "runner_up":
        if not script_id:
            raise InputError("a runner_up event needs script_id: the script the agent chose instead")
    elif action in ("used", "edited", "rejected"):
        script_id = script_id or turn.top_script
    script = scripts.script(script_id) if script_id else None
    if script_id and script is None:
        raise NotFoundError(f"no script {script_id[:128]!r} in the loaded library")
    if action == "edited":
        if not final_text or not final_text.strip():
            raise InputError("an edited event needs final_text: what the agent actually said")
        if len(final_text) > MAX_UTTERANCE_CHARS:
            raise InputError(f"final_text is over the {MAX_UTTERANCE_CHARS:,}-character limit")
    elif final_text:
        raise InputError("final_text goes with action 'edited' only")
    row = FeedbackRow(call_id, event_id, turn_id, action, script_id, script.scenario if script else None,
                      redact(final_text) if final_text else None, time.time())
    outcome = FeedbackOutcome(call_id, event_id, turn_id, action, row.script_id, row.scenario, True)
    stored, new = store.add_feedback(row, {"kind": "feedback", **outcome.payload()})
    return FeedbackOutcome(stored.call_id, stored.event_id, stored.turn_id, stored.action, stored.script_id,
                           stored.scenario, new)
