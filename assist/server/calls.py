"""Live calls over HTTP and stdio: transcript turns in, suggestions and findings pushed out.

* ``POST /v1/calls/{call_id}/turns``: one transcript turn from a CTI or ASR system;
  a customer turn is answered with a suggestion, an agent turn with its compliance
  findings. ``turn_id`` is the client's, so a retry is stored once and answered the same.
* ``POST /v1/calls/{call_id}/feedback``: used, edited, rejected or runner_up.
* ``GET /v1/calls/{call_id}``: the call's turns (redacted) and scenarios.
* ``POST /v1/calls/{call_id}/ticket``: for a console that follows the call, a ticket
  valid for :data:`TICKET_SECONDS`, set as an HttpOnly cookie scoped to the stream's
  path. The bearer token itself never goes into a URL.
* ``GET /calls/{call_id}/events``: Server-Sent Events of the call, read from the store,
  so a console connected to any worker sees turns that arrived at any other; a
  reconnecting browser resumes after ``Last-Event-ID``.

The stdio server offers the same as JSON-line methods (:data:`CALL_METHODS`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from assist.calls.feedback import record_feedback
from assist.calls.memory import CallMemory, check_id
from assist.calls.store import CallStore
from assist.errors import InputError
from assist.limits import MAX_UTTERANCE_CHARS
from assist.server.api import AssistApi, ErrorResponse, error_body

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant

TICKET_SECONDS = 60
TICKET_COOKIE = "assist_call_ticket"
POLL_SECONDS = 0.2
HEARTBEAT_SECONDS = 15.0
MAX_STREAM_SECONDS = 8 * 3600.0
ID = r"^[A-Za-z0-9_.:-]{1,64}$"


class CallService:
    """The call memory of one server worker. The store opens on first use (a server that never
    sees a call never touches it); the assistant is read from ``assistant`` on each request,
    so a reloaded engine is used from the next turn on."""

    def __init__(self, assistant: Callable[[], Assistant], store_url: str | None) -> None:
        self._assistant = assistant
        self.store_url = store_url
        self._store: CallStore | None = None
        self._memory: CallMemory | None = None
        self._lock = threading.Lock()

    @property
    def assistant(self) -> Assistant:
        return self._assistant()

    @property
    def memory(self) -> CallMemory:
        assistant = self._assistant()
        with self._lock:
            if self._store is None:
                self._store = CallStore(self.store_url)
            if self._memory is None or self._memory.assistant is not assistant:
                self._memory = CallMemory(assistant, self._store)
            return self._memory

    def turn(self, call_id: str, body: TurnRequest) -> dict[str, Any]:
        outcome = self.memory.turn(call_id, body.turn_id, body.speaker, body.text, body.customer, top_k=body.top_k)
        return {**outcome.result, "new": outcome.new}

    def feedback(self, call_id: str, body: FeedbackRequest) -> dict[str, Any]:
        outcome = record_feedback(self.assistant, self.memory.store, call_id, body.event_id, body.turn_id,
                                  body.action, body.script_id, body.final_text)
        return outcome.payload()


class TurnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turn_id: str = Field(pattern=ID, description="Client-chosen id; a retried turn with the same id is "
                                                 "stored once and answered the same.")
    speaker: Literal["customer", "agent"]
    text: str = Field(min_length=1, max_length=MAX_UTTERANCE_CHARS)
    customer: str | None = Field(default=None, min_length=1, max_length=128,
                                 description="Customer key (account or phone); stored only as an HMAC.")
    top_k: int = Field(default=3, ge=1, le=20)


class AlertOut(BaseModel):
    code: Literal["fraud_pinned", "compliance_pinned", "escalation_pinned", "repeated_contact"]
    message: str
    message_en: str
    scenario: str | None
    rule_id: str | None


class TurnResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    kind: Literal["suggestion", "check"]
    call_id: str
    turn_id: str
    new: bool = Field(description="False when this turn id was already stored (a retry).")
    alerts: list[AlertOut] = Field(default_factory=list)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(pattern=ID, description="Client-chosen id; a retried event is stored once.")
    turn_id: str = Field(pattern=ID, description="The customer turn whose suggestion this is about.")
    action: Literal["used", "edited", "rejected", "runner_up"]
    script_id: str | None = Field(default=None, max_length=128,
                                  description="runner_up: the script chosen instead.")
    final_text: str | None = Field(default=None, max_length=MAX_UTTERANCE_CHARS,
                                   description="edited: what the agent said; stored redacted.")


class FeedbackResponse(BaseModel):
    call_id: str
    event_id: str
    turn_id: str
    action: str
    script_id: str | None
    scenario: str | None
    new: bool


class TicketResponse(BaseModel):
    ticket: str
    expires_in: int
    stream: str = Field(description="The events URL; the ticket travels as a cookie, not in it.")


# ----- tickets -----------------------------------------------------------------------------


def _ticket_key(token: str) -> bytes:
    return hashlib.sha256(b"assist-call-ticket\0" + token.encode()).digest()


def make_ticket(token: str, call_id: str, now: float | None = None) -> str:
    """``expiry.signature`` for one call, signed with a key derived from the server token, so
    every worker sharing the token accepts it and none needs to remember it."""
    expires = int((now if now is not None else time.time()) + TICKET_SECONDS)
    signature = hmac.new(_ticket_key(token), f"{call_id}\0{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{signature}"


def ticket_valid(token: str, call_id: str, ticket: str, now: float | None = None) -> bool:
    expires, _, signature = ticket.partition(".")
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return False
    expected = hmac.new(_ticket_key(token), f"{call_id}\0{expires}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected)


# ----- HTTP ----------------------------------------------------------------------------------


def build_calls_router(service: CallService, token: str | None) -> APIRouter:
    documented = [] if token is None else [Depends(HTTPBearer(auto_error=False))]
    router = APIRouter(prefix="/v1/calls", dependencies=documented, tags=["calls"], responses={
        422: {"model": ErrorResponse, "description": "Invalid turn or feedback"},
        503: {"model": ErrorResponse, "description": "The call store is unreachable"}})
    engine = anyio.CapacityLimiter(2)

    @router.post("/{call_id}/turns", response_model=TurnResponse, summary="One transcript turn")
    async def turn(call_id: str, body: TurnRequest) -> dict[str, Any]:
        """A customer turn gets a suggestion (with the call's recent turns as context), an agent turn
        its compliance findings; both are pushed to consoles following the call."""
        check_id(call_id, "call id")
        return await anyio.to_thread.run_sync(service.turn, call_id, body, limiter=engine)

    @router.post("/{call_id}/feedback", response_model=FeedbackResponse, summary="Feedback on a suggestion")
    async def feedback(call_id: str, body: FeedbackRequest) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(service.feedback, call_id, body)

    @router.get("/{call_id}", summary="A call's turns (redacted) and scenarios")
    async def call(call_id: str) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(service.memory.summary, call_id)

    @router.post("/{call_id}/ticket", response_model=TicketResponse, summary="Ticket to follow a call")
    def ticket(call_id: str) -> JSONResponse:
        """A short-lived ticket for ``GET /calls/{call_id}/events``, set as an HttpOnly cookie."""
        check_id(call_id, "call id")
        stream = f"/calls/{call_id}/events"
        value = make_ticket(token, call_id) if token else ""
        response = JSONResponse({"ticket": value, "expires_in": TICKET_SECONDS, "stream": stream})
        if token:
            response.set_cookie(TICKET_COOKIE, value, max_age=TICKET_SECONDS, path=stream, httponly=True,
                                samesite="strict")
        return response

    return router


def build_stream_router(service: CallService, token: str | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/calls/{call_id}/events")
    async def events(call_id: str, request: Request) -> Any:
        try:
            check_id(call_id, "call id")
        except InputError as error:
            return JSONResponse(error_body("invalid_input", str(error)), status_code=422)
        if token:
            given = request.cookies.get(TICKET_COOKIE, "")
            if not ticket_valid(token, call_id, given):
                return JSONResponse(error_body(
                    "unauthorized", "no valid ticket: POST /v1/calls/{call_id}/ticket with the bearer "
                    "token first (the ticket comes back as a cookie)"), status_code=401)
        last = request.headers.get("last-event-id") or request.query_params.get("after", "0")
        after = int(last) if last.isdigit() else 0
        return StreamingResponse(_stream(service, call_id, after, request), media_type="text/event-stream",
                                 headers={"x-accel-buffering": "no"})

    return router


async def _stream(service: CallService, call_id: str, after: int, request: Request) -> AsyncIterator[str]:
    started = quiet_since = time.monotonic()
    yield "retry: 1000\n: following\n\n"
    while time.monotonic() - started < MAX_STREAM_SECONDS:
        if await request.is_disconnected():
            return
        rows = await anyio.to_thread.run_sync(service.memory.events, call_id, after)
        for row in rows:
            after = row.seq
            yield f"id: {row.seq}\nevent: {row.kind}\ndata: {json.dumps(row.payload, ensure_ascii=False)}\n\n"
        if rows:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since > HEARTBEAT_SECONDS:
            quiet_since = time.monotonic()
            yield ": heartbeat\n\n"
        await anyio.sleep(POLL_SECONDS)


def attach_calls(app: FastAPI, assistant: Callable[[], Assistant], token: str | None,
                 store_url: str | None) -> CallService:
    """Mount the call endpoints and the event stream on ``app``; ``assistant`` gives the current engine."""
    service = CallService(assistant, store_url)
    app.include_router(build_calls_router(service, token))
    app.include_router(build_stream_router(service, token))
    app.state.calls = service
    return service


# ----- stdio -----------------------------------------------------------------------------------

_STDIO: weakref.WeakKeyDictionary[AssistApi, CallService] = weakref.WeakKeyDictionary()


def bind_calls(api: AssistApi, store_url: str | None) -> None:
    """Give a stdio server's API its call store (opened on first use)."""
    _STDIO[api] = CallService(lambda: api.assistant, store_url)


def _service(api: AssistApi) -> CallService:
    service = _STDIO.get(api)
    if service is None:
        service = _STDIO[api] = CallService(lambda: api.assistant, None)
    return service


def _call_id(params: dict[str, Any]) -> str:
    call_id = params.pop("call_id", None)
    if not isinstance(call_id, str):
        raise InputError('call methods need "call_id" in params')
    return check_id(call_id, "call id")


def _stdio_turn(api: AssistApi, params: dict[str, Any]) -> list[Any] | Any:
    params = dict(params)
    call_id = _call_id(params)
    return TurnResponse.model_validate(_service(api).turn(call_id, TurnRequest.model_validate(params)))


def _stdio_feedback(api: AssistApi, params: dict[str, Any]) -> Any:
    params = dict(params)
    call_id = _call_id(params)
    return FeedbackResponse.model_validate(_service(api).feedback(call_id, FeedbackRequest.model_validate(params)))


def _stdio_events(api: AssistApi, params: dict[str, Any]) -> list[Any]:
    params = dict(params)
    call_id = _call_id(params)
    after = params.get("after", 0)
    if not isinstance(after, int) or after < 0:
        raise InputError('"after" is the last event seq seen (0 for all)')
    return [{"seq": e.seq, "kind": e.kind, "data": e.payload} for e in _service(api).memory.events(call_id, after)]


CALL_METHODS = {"call_turn": _stdio_turn, "call_feedback": _stdio_feedback, "call_events": _stdio_events}
