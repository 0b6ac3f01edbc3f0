"""``assist serve``: the agent console at ``/`` and a local JSON API under ``/v1``.

A thin layer over :class:`assist.lookup.assistant.Assistant`: requests are validated,
handed to the Python API and its dataclasses returned as JSON. No matching,
ranking or compliance logic lives here. Lookups are gathered into micro-batches
(:mod:`assist.server.batching`) on the worker's engine (:mod:`assist.server.engine`);
several worker processes share one port (:mod:`assist.server.workers`).

Security defaults, for a tool that sees what bank customers say:

* binds to 127.0.0.1; any other address needs a token (``--token`` or
  ``ASSIST_TOKEN``) that every ``/v1`` call and ``/metrics`` must send as
  ``Authorization: Bearer``;
* on loopback, requests whose ``Host`` is not a loopback name are refused
  (a web page elsewhere cannot reach the API through DNS rebinding);
* request bodies are capped; rate limits count per agent (``X-Agent-Id``) or per
  token and address, across all workers (:mod:`assist.server.ratelimit`);
* utterances and drafts travel in POST bodies and are never logged: the access
  log is this module's own line (client, method, path, status, latency), every
  logged string escaped and capped (:mod:`assist.server.logs`), and an unexpected
  error logs its stack frames but not its message.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import secrets
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assist import __version__
from assist.compliance.rules import ADVISORY_PREFIX
from assist.errors import AssistError, ServeError
from assist.limits import MAX_UTTERANCE_CHARS
from assist.server.api import (
    _HTTP_CODES,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_SESSION_TTL_SECONDS,
    CheckRequest,
    CheckResponse,
    ErrorResponse,
    HealthResponse,
    ScenarioOut,
    ScriptOut,
    SessionStore,
    SuggestRequest,
    SuggestResponse,
    assist_error_body,
    describe_validation,
    error_body,
)
from assist.server.batching import DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT_S, MicroBatcher
from assist.server.engine import BatchedLookups, EngineHolder, LookupJob, StaleCheck
from assist.server.logs import escape
from assist.server.metrics import Metrics
from assist.server.ratelimit import AGENT_HEADER, RateLimits, SharedRateLimiter
from assist.server.sessions import SharedSessions
from assist.text.redact import redact

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant

__all__ = ["STATIC_DIR", "ServeError", "SessionStore", "check_bind", "create_app"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
TOKEN_HINT = "python -c \"import secrets; print(secrets.token_urlsafe(32))\""
ADMIN_HEADER = "x-assist-admin"


access_log = logging.getLogger("assist.access")
error_log = logging.getLogger("assist.serve")


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None
                   ) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    code, message = describe_validation(exc.errors())
    return error_response(400 if code == "malformed_json" else 422, code, message)


def assist_error_response(exc: AssistError) -> JSONResponse:
    headers = {"retry-after": "2"} if exc.http_status == 503 else None
    return JSONResponse(assist_error_body(exc), status_code=exc.http_status, headers=headers)


async def _on_assist_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AssistError)
    return assist_error_response(exc)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail)
    if exc.status_code == 404:
        message = (f"no such endpoint {request.method} {escape(redact(request.url.path), 128)}; "
                   "/openapi.json lists the API's paths, all under /v1")
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {escape(redact(request.url.path), 128)} (see /openapi.json)"
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


# ----- middleware (plain ASGI, so it runs before any body is parsed) ---------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
     b"form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


async def send_json(send: Send, status: int, body: dict[str, Any],
                    headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        *headers,
    ]})
    await send({"type": "http.response.body", "body": payload})


def guarded(path: str) -> bool:
    """Paths that need the token: the API and the metrics (the console page and its assets do not)."""
    return path.startswith("/v1/") or path == "/metrics"


class Guard:
    """Host check, rate limit, bearer token and body size limit for ``/v1`` (token also for ``/metrics``)."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body_bytes: int,
                 limiter: SharedRateLimiter | None, allowed_hosts: Sequence[str] | None,
                 metrics: Metrics | None) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts else None
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, code, message, extra = refusal
            await send_json(send, status, error_body(code, message), extra)
            return
        if scope["path"].startswith("/v1/") and scope["method"] in ("POST", "PUT", "PATCH"):
            await self._with_limited_body(scope, receive, send, headers)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[str, str]
                 ) -> tuple[int, str, str, list[tuple[bytes, bytes]]] | None:
        host = host_name(headers.get("host", ""))
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            return 400, "bad_host", (
                "this server answers on loopback only; open it as http://127.0.0.1:<port>/"
            ), []
        if not guarded(scope["path"]):
            return None
        authorization = headers.get("authorization", "")
        if self.limiter is not None and scope["path"].startswith("/v1/"):
            verdict = self.limiter.take(client_key(scope), authorization, headers.get(AGENT_HEADER))
            if not verdict.allowed:
                if self.metrics is not None:
                    self.metrics.rate_limited.labels(verdict.kind).inc()
                seconds = max(1, int(verdict.retry_after_s + 0.999))
                whom = "this agent" if verdict.kind == "agent" else "this client (send X-Agent-Id per agent)"
                return 429, "rate_limited", (
                    f"too many requests from {whom}; retry in {seconds} s"
                ), [(b"retry-after", str(seconds).encode())]
        if self.token is not None and not token_matches(authorization, self.token):
            return 401, "unauthorized", (
                "missing or wrong token: send the server's token as 'Authorization: Bearer <token>'"
            ), [(b"www-authenticate", b"Bearer")]
        return None

    async def _with_limited_body(self, scope: Scope, receive: Receive, send: Send,
                                 headers: dict[str, str]) -> None:
        too_large = (
            f"request body over the {self.max_body_bytes:,}-byte limit; send one utterance or "
            f"draft per request (at most {MAX_UTTERANCE_CHARS:,} characters)"
        )
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await send_json(send, 400, error_body("bad_request", "invalid Content-Length"))
                return
            if int(declared) > self.max_body_bytes:
                await send_json(send, 413, error_body("payload_too_large", too_large))
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await send_json(send, 413, error_body("payload_too_large", too_large))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replay(b"".join(chunks), receive), send)


def replay(body: bytes, receive: Receive, then: Message | None = None) -> Receive:
    """A ``receive`` that yields the already-read body once (and ``then``, the message that
    ended it, if any), then defers to the real one."""
    queued: list[Message] = [{"type": "http.request", "body": body, "more_body": then is not None},
                             *([then] if then is not None else [])]

    async def replayed() -> Message:
        if queued:
            return queued.pop(0)
        return await receive()

    return replayed


def logged_path(path: str) -> str:
    """A request path for a log: personal data redacted by shape, control characters escaped, capped.

    Short paths (the API's own, nearly every request) are remembered: redaction runs a
    dozen patterns, too much to repeat for every request to the same endpoint."""
    return _logged_short_path(path) if len(path) <= 128 else escape(redact(path[:4096]))


@functools.lru_cache(maxsize=512)
def _logged_short_path(path: str) -> str:
    return escape(redact(path))


class AccessLog:
    """Security headers on every response, one access line and the request metrics per
    request, and a last guard that turns any escaped exception into a generic 500
    without its message."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 0}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            incident = uuid.uuid4().hex[:12]
            error_log.error("incident %s: unhandled %s on %s %s", incident, type(exc).__name__,
                            escape(scope["method"], 16), logged_path(scope["path"]),
                            extra={"trace": "".join(traceback.format_tb(exc.__traceback__))})
            if state["status"] == 0:
                state["status"] = 500
                message = (f"the server failed to handle this request (incident {incident}); "
                           "it has been logged without the request's content")
                await send_json(send, 500, error_body("internal_error", message), SECURITY_HEADERS)
        finally:
            elapsed = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe_request(scope["path"], state["status"], elapsed)
            client, method, path = client_key(scope), escape(scope["method"], 16), logged_path(scope["path"])
            agent = next((v for k, v in scope["headers"] if k.lower() == AGENT_HEADER.encode()), None)
            access_log.info("%s %s %s %d %.1fms", escape(client, 64), method, path, state["status"],
                            elapsed * 1000, extra={"fields": {
                                "client": client, "method": method, "path": path, "status": state["status"],
                                "ms": round(elapsed * 1000, 2),
                                "agent": escape(agent.decode("latin-1"), 64) if agent else None,
                            }})


def client_key(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def host_name(host_header: str) -> str:
    """The host of a Host header: ``[::1]:8765`` → ``::1``, ``localhost:80`` → ``localhost``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def token_matches(authorization: str, token: bytes) -> bool:
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return secrets.compare_digest(given.strip().encode(), token)


class FastPaths:
    """``POST /v1/suggest`` and ``GET /v1/health`` answered without FastAPI's routing.

    They are nearly every request a floor sends, and FastAPI's routing, dependency
    resolution and request/response models cost about as much per request as the
    lookup itself. This runs inside :class:`AccessLog` and :class:`Guard` (so logs,
    metrics, the token, the host check, the rate limit and the body limit apply as
    before) and sends the same bytes FastAPI would: the same request model validates
    the body, the response is the same model's JSON, an assist error the same error
    body. Anything else (another content type, a body that does not validate, an
    engine still loading for health) goes on to FastAPI unchanged, so every error
    response stays FastAPI's.
    """

    def __init__(self, app: ASGIApp, *, holder: EngineHolder,
                 lookups: MicroBatcher[LookupJob, SuggestResponse], stale: StaleCheck) -> None:
        self.app = app
        self.holder = holder
        self.lookups = lookups
        self.stale = stale
        self._health: tuple[object, bool, bytes] | None = None  # (engine, stale, body) last answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, method = scope["path"], scope["method"]
            if path == "/v1/suggest" and method == "POST":
                await self._suggest(scope, receive, send)
                return
            if path == "/v1/health" and method == "GET" and self.holder.ready:
                await self._send(send, 200, await self._health_body())
                return
        await self.app(scope, receive, send)

    async def _suggest(self, scope: Scope, receive: Receive, send: Send) -> None:
        body, message = await read_body(receive)
        request = parse_json_body(scope, body, SuggestRequest) if message is None else None
        if request is None:  # FastAPI answers it (and any error) exactly as before
            await self.app(scope, replay(body, receive, message), send)
            return
        try:
            self.holder.api  # noqa: B018 -- refuses with 503 before queueing while the engine loads
            answer = await self.lookups.submit(BatchedLookups.job(request))
        except AssistError as error:
            await assist_error_response(error)(scope, receive, send)
            return
        await self._send(send, 200, answer.model_dump_json().encode())

    async def _health_body(self) -> bytes:
        stale = await self.stale()
        api = self.holder.api
        cached = self._health
        if cached is None or cached[0] is not api or cached[1] != stale:
            cached = self._health = (api, stale, api.health(stale=stale).model_dump_json().encode())
        return cached[2]

    @staticmethod
    async def _send(send: Send, status: int, payload: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-length", str(len(payload)).encode()), (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})


async def read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The request body, and the message that ended it early (a disconnect), if any."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def parse_json_body(scope: Scope, body: bytes, model: type[BaseModel]) -> Any:
    """``model`` from a JSON body sent as ``application/json``, parsed as FastAPI parses it
    (``json.loads``, then the model in Python mode); None for anything else."""
    content_type = next((value for name, value in scope["headers"] if name == b"content-type"), None)
    if content_type is None or content_type.split(b";", 1)[0].strip().lower() != b"application/json":
        return None
    try:
        data = json.loads(body)
        return model.model_validate(data) if isinstance(data, dict) else None
    except (ValueError, ValidationError):
        return None


# ----- the app --------------------------------------------------------------------------

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "Malformed JSON or bad request"),
        (401, "Missing or wrong bearer token"),
        (413, "Request body too large"),
        (422, "Invalid field values, or an input assist refuses"),
        (429, "Rate limit exceeded; see Retry-After"),
        (503, "The engine is still loading; see Retry-After"),
    )
}


class ReadyResponse(BaseModel):
    ready: bool
    pid: int
    loaded_at: float
    reloads: int
    library_hash: str
    stale: bool = Field(default=False, description="The library's files on disk differ from the library served "
                                                   "(reload to serve them); still ready.")


class ReloadResponse(BaseModel):
    reloading: bool
    scope: str


def build_router(holder: EngineHolder, lookups: MicroBatcher[LookupJob, SuggestResponse],
                 metrics: Metrics | None, token: str | None, admin_token: str | None,
                 request_reload: Callable[[], None], stale: StaleCheck) -> APIRouter:
    # The bearer dependency only documents the scheme in the OpenAPI schema:
    # ``Guard`` enforces the token before the request body is even read.
    documented = [] if token is None else [Depends(HTTPBearer(auto_error=False))]
    router = APIRouter(prefix="/v1", responses=_ERROR_RESPONSES, dependencies=documented)
    # Draft checks are light (one automaton pass) but still off the event loop, one at a time.
    checks = anyio.CapacityLimiter(1)

    @router.post("/suggest", response_model=SuggestResponse, summary="Best approved reply")
    async def suggest(body: SuggestRequest) -> SuggestResponse:
        """The best approved reply for what the customer said, with runner-ups."""
        holder.api  # noqa: B018 -- refuses with 503 before queueing while the engine loads
        return await lookups.submit(BatchedLookups.job(body))

    @router.post("/check", response_model=CheckResponse, summary="Check an agent's draft")
    async def check(body: CheckRequest) -> CheckResponse:
        """Compliance violations in an agent's draft, with spans, references and safer wording."""
        checked = await anyio.to_thread.run_sync(holder.api.check, body, limiter=checks)
        if metrics is not None:
            metrics.observe_findings((v.category, v.severity) for v in checked.violations
                                     if not v.rule_id.startswith(ADVISORY_PREFIX))  # advice, not a finding
        return checked

    @router.get("/scripts/{script_id}", response_model=ScriptOut, summary="One script",
                responses={404: {"model": ErrorResponse, "description": "No such script"}})
    def script(script_id: str) -> ScriptOut:
        return holder.api.script(script_id)

    @router.get("/scenarios", response_model=list[ScenarioOut], summary="Scenario taxonomy")
    def scenarios() -> list[ScenarioOut]:
        """Scenario ids with their Chinese and English display names."""
        return holder.api.scenarios()

    @router.get("/health", response_model=HealthResponse, summary="Liveness: model, library and index")
    async def health() -> HealthResponse | JSONResponse:
        """Answered on the event loop, never queued behind lookups. While the engine loads:
        ``{"status": "starting"}``, still 200 (the process is alive); see /v1/ready."""
        if not holder.ready:
            return JSONResponse({"status": "starting", "version": __version__})
        return holder.api.health(stale=await stale())

    @router.get("/ready", response_model=ReadyResponse, summary="Readiness: the index is loaded",
                responses={503: {"model": ErrorResponse, "description": "Still loading"}})
    async def ready() -> ReadyResponse:
        api = holder.api  # 503 while loading
        changed = await stale()
        return ReadyResponse(ready=True, pid=os.getpid(), loaded_at=holder.loaded_at, reloads=holder.reloads,
                             library_hash=api.assistant.library.content_hash,
                             stale=changed)

    @router.post("/admin/reload", response_model=ReloadResponse, status_code=202,
                 summary="Reload the library and index in every worker, without failing a request",
                 responses={403: {"model": ErrorResponse, "description": "Missing or wrong admin token"}})
    async def reload(request: Request) -> ReloadResponse:
        """Needs the admin token in ``X-Assist-Admin`` (``--admin-token`` / ``ASSIST_ADMIN_TOKEN``)."""
        given = request.headers.get(ADMIN_HEADER, "")
        if admin_token is None or not secrets.compare_digest(given.encode(), admin_token.encode()):
            reason = ("admin calls are off: start the server with --admin-token or ASSIST_ADMIN_TOKEN"
                      if admin_token is None else "missing or wrong admin token in X-Assist-Admin")
            return error_response(403, "forbidden", reason)  # type: ignore[return-value]
        request_reload()
        return ReloadResponse(reloading=True, scope="all workers")

    return router


def create_app(
    assistant: Assistant | None = None,
    *,
    loader: Callable[[], Assistant] | None = None,
    token: str | None = None,
    admin_token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    rate_limits: RateLimits | None = None,
    rate_limit_per_minute: int | None = -1,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    session_ttl_seconds: float = DEFAULT_SESSION_TTL_SECONDS,
    allowed_hosts: Sequence[str] | None = None,
    state_dir: Path | None = None,
    batch_wait_s: float = DEFAULT_MAX_WAIT_S,
    max_batch: int = DEFAULT_MAX_BATCH,
    request_reload: Callable[[], None] | None = None,
    store: str | None = None,
    stale_check_s: float = 0.0,
) -> FastAPI:
    """The console, the ``/v1`` API and ``/metrics`` over an :class:`Assistant`.

    Give a loaded ``assistant``, or a ``loader`` that the app calls on a thread at
    start-up (``/v1/ready`` says when it is done) and again on each reload.
    ``rate_limits`` sets the agent and client limits (:class:`RateLimits`; None: the
    defaults); ``rate_limit_per_minute`` (older form) sets both, None or 0 turning
    them off. ``state_dir`` holds what workers share (rate buckets, call memory);
    by default a private temporary folder. ``allowed_hosts`` (set by :func:`run` on
    loopback) refuses other Host headers. ``request_reload`` is how the admin call
    reloads every worker (the supervisor's SIGHUP); by default, this app's engine only.
    ``stale_check_s``: how long the library-on-disk check behind ``stale`` in health and
    ready is reused (0: checked for each request; ``assist serve`` uses 1 s).
    """
    if rate_limit_per_minute != -1:
        rate_limits = RateLimits(rate_limit_per_minute or 0, rate_limit_per_minute or 0)
    limits = rate_limits if rate_limits is not None else RateLimits()
    if state_dir is None:
        state_dir = Path(tempfile.mkdtemp(prefix="assist-serve-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    metrics = Metrics()
    holder = EngineHolder(assistant, loader, metrics)
    sessions = SharedSessions(state_dir / "sessions.sqlite", max_sessions=max_sessions,
                              ttl_seconds=session_ttl_seconds)
    lookups: MicroBatcher[LookupJob, SuggestResponse] = MicroBatcher(
        BatchedLookups(holder, sessions, metrics), max_wait_s=batch_wait_s, max_batch=max_batch)
    limiter = SharedRateLimiter(state_dir / "ratelimit.sqlite", limits) if limits.active else None
    stale = StaleCheck(holder, stale_check_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        if not holder.ready:
            holder.reload_in_background()
        yield
        await lookups.close()

    app = FastAPI(
        title="assist", version=__version__,
        description="Offline agent-assist for bank contact centres: approved replies, "
                    "draft compliance checks and escalation advice.",
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
        lifespan=lifespan,
    )
    app.state.holder = holder
    app.state.metrics = metrics
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(AssistError, _on_assist_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.include_router(build_router(holder, lookups, metrics, token, admin_token,
                                    request_reload or holder.reload_in_background, stale))
    from assist.server.calls import attach_calls  # live calls (issue 23); store: None = ASSIST_STORE or default

    attach_calls(app, lambda: holder.api.assistant, token, store)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=metrics.content_type)

    app.add_middleware(FastPaths, holder=holder, lookups=lookups, stale=stale)  # innermost: after Guard
    app.add_middleware(Guard, token=token, max_body_bytes=max_body_bytes, limiter=limiter,
                       allowed_hosts=allowed_hosts, metrics=metrics)
    app.add_middleware(AccessLog, metrics=metrics)
    return app


# ----- running ----------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond loopback without a strong enough token."""
    if is_loopback(host):
        return
    if not token:
        raise ServeError(
            f"refusing to listen on {host} without a token: anyone who can reach it could read "
            f"suggestions. Pass --token or set ASSIST_TOKEN (generate one with {TOKEN_HINT}), "
            f"or bind to {DEFAULT_HOST}"
        )
    if len(token) < MIN_TOKEN_CHARS:
        raise ServeError(
            f"the token is {len(token)} characters; use at least {MIN_TOKEN_CHARS} "
            f"(generate one with {TOKEN_HINT})"
        )

