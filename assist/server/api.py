"""The API shared by HTTP and stdio: request and response bodies, and :class:`AssistApi`,
which answers them from an :class:`assist.lookup.assistant.Assistant`.

Both surfaces validate a request into these bodies, call one method of
:class:`AssistApi` and send back its response; an :class:`assist.errors.AssistError`
becomes an error body through :func:`error_body` and the error's own status.
"""

from __future__ import annotations

import difflib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assist import __version__
from assist.errors import AssistError, NotFoundError
from assist.library.loader import scenario_labels
from assist.limits import MAX_UTTERANCE_CHARS
from assist.text.redact import redact
from assist.types import Candidate, Script, Suggestion, Violation

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant
    from assist.lookup.session import Session

DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_MAX_SESSIONS = 10_000
DEFAULT_SESSION_TTL_SECONDS = 4 * 3600.0
TOP_K_MAX = 20

Segment = Literal["general", "elderly", "disabled", "foreign", "enterprise"]
Channel = Literal["phone", "chat", "email"]



# ----- request and response bodies --------------------------------------------------


class SuggestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    utterance: str = Field(min_length=1, max_length=MAX_UTTERANCE_CHARS,
                           description="What the customer said.")
    top_k: int = Field(default=3, ge=1, le=TOP_K_MAX,
                       description="How many ranked scripts to return.")
    segment: Segment | None = None
    channel: Channel | None = None
    session_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Client-chosen conversation id. Calls that share it share a server-side "
                    "session, which counts the scenarios raised in this call (a call's own repeats "
                    "never escalate; repeated contact across calls is /v1/calls). Omit for a stateless preview.",
    )


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    draft: str = Field(max_length=MAX_UTTERANCE_CHARS, description="The agent's draft reply.")


class ViolationOut(BaseModel):
    rule_id: str
    category: str
    severity: Literal["block", "warn"]
    span: tuple[int, int] = Field(description="[start, end) character offsets in the draft.")
    matched_text: str
    reference: str
    suggestion: str
    explanation: str


class CandidateOut(BaseModel):
    script_id: str
    scenario: str
    score: float
    reply: str = Field(description="empathy followed by solution_preview: what the agent says.")
    empathy: str
    solution_preview: str
    matched_example: str
    language: str
    steps: list[str]
    segment: str | None
    channel: str | None
    severity: str | None
    escalation: str | None
    dense_score: float
    lexical_score: float
    warnings: list[ViolationOut]
    pinned_by: str | None = Field(
        default=None, description="Rule id that pinned this script first; show it instead of the score.")


class SuggestResponse(BaseModel):
    reply: str
    abstained: bool
    candidates: list[CandidateOut]
    pinned_by: str | None = Field(
        description="Rule id that pinned the top script (fraud, compliance).")
    why: str
    margin: float
    alerts: list[str]
    escalation: str | None
    quick_pass: bool = Field(
        description="Ranked by the quick static pass alone; the full model was not consulted.")
    redirect: str | None = Field(
        default=None, description="Out-of-scope script whose redirect is the reply: not the bank's service "
                                  "(the suggestion abstains); null otherwise.")
    threshold: float
    session_id: str | None
    raised: dict[str, int] = Field(
        description="Scenarios raised so far in this session, with counts.")


class CheckResponse(BaseModel):
    violations: list[ViolationOut]
    blocked: bool = Field(description="True when any violation has severity 'block'.")


class ScriptOut(BaseModel):
    id: str
    scenario: str
    language: str
    reply: str
    empathy: str
    solution_preview: str
    steps: list[str]
    examples: list[str]
    segment: str | None
    channel: str | None
    severity: str | None
    escalation: str | None
    status: str


class ScenarioOut(BaseModel):
    id: str
    kind: str
    zh: str
    en: str


class HealthResponse(BaseModel):
    status: Literal["ok"]
    version: str
    model_id: str
    library_hash: str
    threshold: float
    scripts: int
    scenarios: int
    rules: int
    manifest: dict[str, Any]
    max_utterance_chars: int
    stale: bool = Field(
        default=False,
        description="True when the library's files on disk (scripts, scenarios, rules) differ from the "
                    "library being served; reload or restart to serve them. Health stays 200.")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


# ----- conversions (dataclass → response body) --------------------------------------


def violation_out(violation: Violation) -> ViolationOut:
    return ViolationOut.model_validate(violation, from_attributes=True)


def candidate_out(candidate: Candidate) -> CandidateOut:
    """Read from the dataclass's attributes (``reply`` is its property): no deep copy through
    ``asdict``, which took about 40 % of turning a suggestion into its response body."""
    return CandidateOut.model_validate(candidate, from_attributes=True)


def suggestion_out(
    suggestion: Suggestion, threshold: float, session_id: str | None, raised: dict[str, int]
) -> SuggestResponse:
    return SuggestResponse(
        reply=suggestion.reply, abstained=suggestion.abstained,
        candidates=[candidate_out(c) for c in suggestion.candidates],
        pinned_by=suggestion.pinned_by, why=suggestion.why, margin=suggestion.margin,
        alerts=list(suggestion.alerts), escalation=suggestion.escalation, quick_pass=suggestion.quick_pass,
        redirect=suggestion.redirect,
        threshold=threshold, session_id=session_id, raised=raised,
    )


def script_out(script: Script) -> ScriptOut:
    fields = {k: v for k, v in asdict(script).items() if k != "source"}
    return ScriptOut.model_validate({**fields, "reply": script.reply})


# ----- the API, shared by HTTP and stdio ----------------------------------------------


class SessionStore:
    """Session id → :class:`Session`, least recently used first, bounded, with idle expiry.

    Only scenario counts live in a session, never what was said; an idle session
    expires after ``ttl_seconds`` and the oldest is dropped past ``max_sessions``.
    """

    def __init__(
        self,
        factory: Callable[[], Session],
        *,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        ttl_seconds: float = DEFAULT_SESSION_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = factory
        self._max = max(1, max_sessions)
        self._ttl = ttl_seconds
        self._clock = clock
        self._items: OrderedDict[str, tuple[Session, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            return session_id in self._items

    def get(self, session_id: str) -> Session:
        """The session for ``session_id``, created when new or expired."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            entry = self._items.pop(session_id, None)
            session = entry[0] if entry is not None else self._factory()
            self._items[session_id] = (session, now)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
            return session

    def _expire(self, now: float) -> None:
        while self._items:
            _, (_, last_used) = next(iter(self._items.items()))
            if now - last_used < self._ttl:
                return
            self._items.popitem(last=False)


class AssistApi:
    """The operations of the JSON API, independent of the transport."""

    def __init__(self, assistant: Assistant, sessions: SessionStore | None = None) -> None:
        self.assistant = assistant
        self.sessions = sessions or SessionStore(assistant.session)
        self._labels = scenario_labels(assistant.library.root)

    def suggest(self, request: SuggestRequest) -> SuggestResponse:
        options: dict[str, Any] = {
            "top_k": request.top_k, "segment": request.segment, "channel": request.channel,
        }
        if request.session_id is None:
            suggestion = self.assistant.suggest(request.utterance, **options)
            return suggestion_out(suggestion, self.assistant.threshold, None, {})
        session = self.sessions.get(request.session_id)
        suggestion = session.suggest(request.utterance, **options)
        threshold = self.assistant.threshold
        return suggestion_out(suggestion, threshold, request.session_id, session.raised)

    def check(self, request: CheckRequest) -> CheckResponse:
        violations = self.assistant.check(request.draft)
        return CheckResponse(
            violations=[violation_out(v) for v in violations],
            blocked=any(v.severity == "block" for v in violations),
        )

    def script(self, script_id: str) -> ScriptOut:
        script = self.assistant.script(script_id)
        if script is None:
            raise NotFoundError(self._missing_script_message(script_id))
        return script_out(script)

    def _missing_script_message(self, script_id: str) -> str:
        ids = [s.id for s in self.assistant.library.scripts]
        close = difflib.get_close_matches(script_id, ids, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(i) for i in close)}?" if close else (
            "; script ids look like 'account_frozen.zh' (see candidates[].script_id in /v1/suggest)"
        )
        return f"no script with id {redact(script_id[:128])!r} in the loaded library{hint}"

    def scenarios(self) -> list[ScenarioOut]:
        out = []
        for scenario in self.assistant.library.scenarios:
            label = self._labels.get(scenario, {})
            out.append(ScenarioOut(id=scenario, kind=label.get("kind", ""),
                                   zh=label.get("zh", ""), en=label.get("en", "")))
        return out

    def health(self, stale: bool | None = None) -> HealthResponse:
        """``stale``: the library watch's answer if the caller already has one (the HTTP server
        checks at most once a second); None checks the files now."""
        assistant = self.assistant
        return HealthResponse(
            status="ok", version=__version__, model_id=assistant.model_id,
            library_hash=assistant.library.content_hash, threshold=assistant.threshold,
            scripts=len(assistant.library.active_scripts),
            scenarios=len(assistant.library.scenarios), rules=len(assistant.rules.rules),
            manifest=asdict(assistant.manifest), max_utterance_chars=MAX_UTTERANCE_CHARS,
            stale=assistant.library_changed() if stale is None else stale,
        )


# ----- errors --------------------------------------------------------------------------

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
    429: "rate_limited",
}
JSON_EXAMPLE = '{"utterance": "我的卡被冻结了"}'


def describe_validation(errors: Sequence[Any]) -> tuple[str, str]:
    """(code, message) for pydantic validation errors; never echoes the input."""
    if any(e.get("type") == "json_invalid" for e in errors):
        reason = next((e.get("ctx", {}).get("error", "") for e in errors), "")
        return "malformed_json", (
            f"the request body is not valid JSON ({reason}); send an object such as {JSON_EXAMPLE} "
            "with Content-Type: application/json"
        )
    parts = []
    for error in errors[:5]:
        location = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        if location:
            parts.append(f"{location}: {error.get('msg', 'invalid')}")
        else:
            parts.append(f"the body must be a JSON object such as {JSON_EXAMPLE} "
                         f"({error.get('msg', 'invalid')})")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid_request", "; ".join(parts) + more


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def assist_error_body(error: AssistError) -> dict[str, Any]:
    """The error body for an error assist raised on purpose; its status is ``error.http_status``."""
    return error_body(error.code, str(error))
