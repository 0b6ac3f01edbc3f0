"""Call memory: turns from a live transcript, suggestions with the call's context, and typed alerts.

A call has an id, an optional customer key and its turns, all in the :class:`CallStore`
(so it survives a restart and every server worker sees the same calls). What the rules are:

* **Context.** A customer turn is looked up alone and together with the call's recent
  customer turns (:data:`CONTEXT_TURNS`). A safety pin found in the context holds when the
  new turn has none (after 「公安让我转到安全账户」, 「那现在怎么办」 keeps the fraud script),
  and a turn that alone is too vague to answer takes the context's answer.
* **Repeated contact.** The same scenario raised in at least ``repeat_calls`` *earlier calls*
  of the same customer within ``repeat_days`` days. Scenarios are recorded once per call,
  so rephrasing or repeating an issue inside one call never counts.
* **Pins hold.** A pinned safety or compliance script keeps its own escalation path;
  repeated contact then adds no alert and replaces nothing.
* **Idempotent turns.** Each turn carries a client-chosen id; a retried turn is not
  stored again and gets the first answer back.

Nothing customer-typed is stored unredacted: turn texts, the "why" line (which quotes
the words that triggered a pin) and violation excerpts pass through
:func:`assist.text.redact.redact` first; customer keys are stored as an HMAC.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assist.calls.store import CallStore, EventRow, NewTurn, TurnRow
from assist.errors import InputError
from assist.library.loader import scenario_labels
from assist.limits import MAX_UTTERANCE_CHARS
from assist.text.redact import redact
from assist.types import Suggestion, Violation, join_reply

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant

CONTEXT_TURNS = 3
"""Customer turns (this one included) read together as the context of a suggestion."""
DEFAULT_REPEAT_DAYS = 30.0
DEFAULT_REPEAT_CALLS = 2
REPEATED_SCENARIO = "repeated_unresolved"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_CUSTOMER_KEY = 128

Speaker = Literal["customer", "agent"]
AlertCode = Literal["fraud_pinned", "compliance_pinned", "escalation_pinned", "repeated_contact"]
PIN_CODES: dict[str, AlertCode] = {"safety": "fraud_pinned", "compliance": "compliance_pinned"}


@dataclass(frozen=True)
class CallAlert:
    """An alert on a suggestion. ``code`` is stable (clients switch on it); the messages are for people."""

    code: AlertCode
    message: str
    message_en: str
    scenario: str | None = None
    rule_id: str | None = None


@dataclass(frozen=True)
class TurnOutcome:
    """What a turn produced. ``result`` is the JSON body sent to clients and pushed to followers."""

    call_id: str
    turn_id: str
    speaker: Speaker
    new: bool
    result: dict[str, Any]
    alerts: list[CallAlert] = field(default_factory=list)


@dataclass(frozen=True)
class _Answer:
    suggestion: Suggestion
    context_turns: int
    alerts: list[CallAlert]
    escalation: str | None


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise InputError(f"{what} must be 1-64 characters of letters, digits, '_', '-', '.' or ':'")
    return value


def scenario_kinds(library_root: Path) -> dict[str, str]:
    """``kind`` of each scenario in ``scenarios.yaml`` (safety, compliance, ...); empty without one."""
    return {scenario: labels["kind"] for scenario, labels in scenario_labels(library_root).items()}


class CallMemory:
    """Live calls over one assistant and one store; safe to share between threads."""

    def __init__(self, assistant: Assistant, store: CallStore, *, repeat_days: float = DEFAULT_REPEAT_DAYS,
                 repeat_calls: int = DEFAULT_REPEAT_CALLS) -> None:
        if repeat_days <= 0 or repeat_calls < 1:
            raise InputError("repeat_days must be > 0 and repeat_calls at least 1")
        self.assistant = assistant
        self.store = store
        self.repeat_days = repeat_days
        self.repeat_calls = repeat_calls
        self._kinds = scenario_kinds(assistant.library.root)

    # ----- turns ---------------------------------------------------------------------------
    def turn(self, call_id: str, turn_id: str, speaker: Speaker, text: str, customer: str | None = None,
             *, top_k: int = 3) -> TurnOutcome:
        """Record one transcript turn; a customer turn gets a suggestion, an agent turn a compliance check."""
        check_id(call_id, "call id")
        check_id(turn_id, "turn id")
        if speaker not in ("customer", "agent"):
            raise InputError("speaker must be 'customer' or 'agent'")
        if not isinstance(text, str) or not text.strip():
            raise InputError("text must be a non-empty string")
        if len(text) > MAX_UTTERANCE_CHARS:
            raise InputError(f"text is {len(text):,} characters, over the {MAX_UTTERANCE_CHARS:,}-character "
                             "limit; send one turn at a time")
        if customer is not None and not (0 < len(customer.strip()) <= MAX_CUSTOMER_KEY):
            raise InputError(f"customer must be 1-{MAX_CUSTOMER_KEY} characters")
        stored = self.store.turn(call_id, turn_id)
        if stored is not None:
            return self._replayed(stored)
        customer_hash = self.store.customer_hash(customer) if customer else None
        if speaker == "agent":
            return self._agent_turn(call_id, turn_id, text, customer_hash)
        return self._customer_turn(call_id, turn_id, text, customer_hash, top_k)

    def _replayed(self, stored: TurnRow) -> TurnOutcome:
        alerts = [CallAlert(**a) for a in stored.result.get("alerts", [])]
        speaker: Speaker = "agent" if stored.speaker == "agent" else "customer"
        return TurnOutcome(stored.call_id, stored.turn_id, speaker, False, stored.result, alerts)

    def _agent_turn(self, call_id: str, turn_id: str, text: str, customer_hash: str | None) -> TurnOutcome:
        violations = self.assistant.check(text)
        result = {
            "kind": "check", "call_id": call_id, "turn_id": turn_id,
            "violations": [violation_payload(v) for v in violations],
            "blocked": any(v.severity == "block" for v in violations),
        }
        row, new = self.store.add_turn(
            NewTurn(call_id, turn_id, "agent", redact(text), customer_hash, result), "check")
        return TurnOutcome(call_id, turn_id, "agent", new, row.result)

    def _customer_turn(self, call_id: str, turn_id: str, text: str, customer_hash: str | None,
                       top_k: int) -> TurnOutcome:
        redacted = redact(text)
        earlier = [t.text for t in self.store.turns(call_id, "customer", CONTEXT_TURNS - 1)]
        answer = self._answer(call_id, text, earlier, customer_hash, top_k)
        suggestion = answer.suggestion
        top = suggestion.top
        raised = () if suggestion.abstained or top is None or top.scenario == REPEATED_SCENARIO else (top.scenario,)
        result = {
            "kind": "suggestion", "call_id": call_id, "turn_id": turn_id,
            **suggestion_payload(suggestion, answer.alerts, answer.escalation),
            "context_turns": answer.context_turns,
        }
        row, new = self.store.add_turn(NewTurn(
            call_id, turn_id, "customer", redacted, customer_hash, result,
            top_script=None if top is None else top.script_id,
            top_scenario=None if top is None else top.scenario,
            abstained=suggestion.abstained, pinned_by=suggestion.pinned_by,
            candidates=tuple((c.script_id, c.scenario, round(c.score, 4)) for c in suggestion.candidates),
            raised=raised,
        ), "suggestion")
        alerts = [CallAlert(**a) for a in row.result.get("alerts", [])]
        return TurnOutcome(call_id, turn_id, "customer", new, row.result, alerts)

    def _answer(self, call_id: str, text: str, earlier: list[str], customer_hash: str | None,
                top_k: int) -> _Answer:
        if not earlier:
            alone = self.assistant.suggest(text, top_k=top_k)
            chosen, used = alone, 1
        else:
            joined = "\n".join([*earlier, text])
            if len(joined) > MAX_UTTERANCE_CHARS:
                joined = joined[-MAX_UTTERANCE_CHARS:]
            # one batch: the turn alone and in context share the encoder pass
            alone, context = self.assistant.suggest_many([text, joined], top_k=top_k)
            chosen, used = alone, 1
            pin_holds = context.pinned_by is not None and alone.pinned_by is None
            vague = alone.abstained and not context.abstained
            if pin_holds or vague:
                chosen, used = context, len(earlier) + 1
        alerts: list[CallAlert] = []
        escalation = chosen.escalation
        top = chosen.top
        if chosen.pinned_by is not None and top is not None:
            alerts.append(self._pin_alert(chosen))
        elif customer_hash and top is not None and not chosen.abstained and top.scenario != REPEATED_SCENARIO:
            since = time.time() - self.repeat_days * 86400
            earlier_calls = self.store.earlier_calls_with(customer_hash, top.scenario, call_id, since)
            if earlier_calls >= self.repeat_calls:
                alert, escalation = self._repeated(top.scenario, earlier_calls, text)
                alerts.append(alert)
        return _Answer(chosen, used, alerts, escalation)

    def _pin_alert(self, suggestion: Suggestion) -> CallAlert:
        top = suggestion.top
        assert top is not None
        code = PIN_CODES.get(self._kinds.get(top.scenario, ""), "escalation_pinned")
        detail = suggestion.alerts[0] if suggestion.alerts else ""
        if code == "fraud_pinned":
            zh, en = "疑似诈骗：已固定反欺诈话术", "Suspected fraud: the anti-fraud script is pinned"
        elif code == "compliance_pinned":
            zh, en = "合规要求：已固定合规话术", "Compliance: the compliance script is pinned"
        else:
            zh, en = "投诉升级：已固定升级话术", "Escalation: the escalation script is pinned"
        message = f"{zh}（{redact(detail)}）" if detail else zh
        return CallAlert(code, message, en, top.scenario, suggestion.pinned_by)

    def _repeated(self, scenario: str, earlier_calls: int, text: str) -> tuple[CallAlert, str]:
        script = self.assistant.scenario_script(REPEATED_SCENARIO, text)
        if script is None:
            path = f"{scenario}: escalate to a supervisor"
        else:
            path = join_reply(script.reply, script.escalation or "")
        alert = CallAlert(
            "repeated_contact",
            f"同一问题此前已来电 {earlier_calls} 次（{self.repeat_days:g} 天内），请按升级路径处理",
            f"The customer called about this {earlier_calls} times before (within {self.repeat_days:g} days); "
            "follow the escalation path",
            scenario,
        )
        return alert, path

    # ----- reading -------------------------------------------------------------------------
    def events(self, call_id: str, after: int = 0, limit: int = 100) -> list[EventRow]:
        check_id(call_id, "call id")
        return self.store.events_after(call_id, after, limit)

    def summary(self, call_id: str) -> dict[str, Any]:
        """A call as the API shows it: turns (redacted) and the scenarios raised."""
        check_id(call_id, "call id")
        turns = self.store.turns(call_id)
        return {
            "call_id": call_id,
            "exists": bool(turns) or self.store.call_exists(call_id),
            "scenarios": self.store.call_scenarios(call_id),
            "turns": [{"turn_id": t.turn_id, "speaker": t.speaker, "text": t.text, "result": t.result}
                      for t in turns],
        }


def violation_payload(violation: Violation) -> dict[str, Any]:
    out = asdict(violation)
    out["span"] = list(violation.span)
    out["matched_text"] = redact(violation.matched_text)
    return out


def suggestion_payload(suggestion: Suggestion, alerts: list[CallAlert], escalation: str | None) -> dict[str, Any]:
    """The JSON form of a suggestion in a call: library texts as they are, customer words redacted."""
    candidates = []
    for candidate in suggestion.candidates:
        item = asdict(candidate)
        item["reply"] = candidate.reply
        item["steps"] = list(candidate.steps)
        item["warnings"] = [violation_payload(v) for v in candidate.warnings]
        candidates.append(item)
    suggestion = replace(suggestion, why=redact(suggestion.why))
    return {
        "reply": suggestion.reply, "abstained": suggestion.abstained, "candidates": candidates,
        "pinned_by": suggestion.pinned_by, "why": suggestion.why, "margin": suggestion.margin,
        "alerts": [asdict(a) for a in alerts], "escalation": escalation, "quick_pass": suggestion.quick_pass,
    }
