"""``assist serve``: the agent console at ``/`` and a local JSON API under ``/v1``.

A thin layer over :class:`assist.lookup.assistant.Assistant`: requests are validated,
handed to the Python API and its dataclasses returned as JSON. No matching,
ranking or compliance logic lives here.

Security defaults, for a tool that sees what bank customers say:

* binds to 127.0.0.1; any other address needs a token (``--token`` or
  ``ASSIST_TOKEN``) that every ``/v1`` call must send as ``Authorization: Bearer``;
* on loopback, requests whose ``Host`` is not a loopback name are refused
  (a web page elsewhere cannot reach the API through DNS rebinding);
* request bodies are capped, each client has a token-bucket rate limit;
* utterances and drafts travel in POST bodies and are never logged: the access
  log is this module's own line (client, method, path, status, latency), and an
  unexpected error logs its stack frames but not its message.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
import os
import secrets
import time
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from assist import __version__
from assist.errors import AssistError, ServeError
from assist.limits import MAX_UTTERANCE_CHARS
from assist.server.api import (
    _HTTP_CODES,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_SESSION_TTL_SECONDS,
    AssistApi,
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
from assist.text.redact import redact

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_RATE_LIMIT_PER_MINUTE = 600
"""Per client. An agent typing with live suggestions and draft checks sends about
two requests a second at most; 600 a minute leaves room for bursts."""
MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
TOKEN_HINT = "python -c \"import secrets; print(secrets.token_urlsafe(32))\""


access_log = logging.getLogger("assist.access")
error_log = logging.getLogger("assist.serve")


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None
                   ) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    code, message = describe_validation(exc.errors())
    return error_response(400 if code == "malformed_json" else 422, code, message)


async def _on_assist_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AssistError)
    return JSONResponse(assist_error_body(exc), status_code=exc.http_status)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail)
    if exc.status_code == 404:
        message = (f"no such endpoint {request.method} {request.url.path}; "
                   "/openapi.json lists the API's paths, all under /v1")
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path} (see /openapi.json)"
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


class TokenBucket:
    """Per-client token buckets: ``per_minute`` requests, refilled continuously.

    Used from the event loop only (middleware), so it needs no lock. At most
    ``max_clients`` buckets are kept; the least recently seen is dropped first.
    """

    def __init__(self, per_minute: int, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._max = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is free."""
        now = self._clock()
        tokens, last = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return wait


class Guard:
    """Host check, rate limit, bearer token and body size limit for ``/v1``."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body_bytes: int,
                 bucket: TokenBucket | None, allowed_hosts: Sequence[str] | None) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.max_body_bytes = max_body_bytes
        self.bucket = bucket
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts else None

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
        if not scope["path"].startswith("/v1/"):
            return None
        if self.bucket is not None:
            wait = self.bucket.take(client_key(scope))
            if wait > 0:
                seconds = max(1, int(wait + 0.999))
                return 429, "rate_limited", (
                    f"too many requests from this client; retry in {seconds} s"
                ), [(b"retry-after", str(seconds).encode())]
        authorization = headers.get("authorization", "")
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


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the already-read body once, then defers to the real one."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


class AccessLog:
    """Security headers on every response, one access line per request, and a last
    guard that turns any escaped exception into a generic 500 without its message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            error_log.error("incident %s: unhandled %s on %s %s\n%s", incident, type(exc).__name__,
                            scope["method"], redact(scope["path"]),
                            "".join(traceback.format_tb(exc.__traceback__)))
            if state["status"] == 0:
                state["status"] = 500
                message = (f"the server failed to handle this request (incident {incident}); "
                           "it has been logged without the request's content")
                await send_json(send, 500, error_body("internal_error", message), SECURITY_HEADERS)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %d %.1fms", client_key(scope), scope["method"],
                            redact(scope["path"]), state["status"], elapsed_ms)


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


# ----- the app --------------------------------------------------------------------------

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "Malformed JSON or bad request"),
        (401, "Missing or wrong bearer token"),
        (413, "Request body too large"),
        (422, "Invalid field values, or an input assist refuses"),
        (429, "Rate limit exceeded; see Retry-After"),
    )
}


def build_router(api: AssistApi, token: str | None) -> APIRouter:
    # The bearer dependency only documents the scheme in the OpenAPI schema:
    # ``Guard`` enforces the token before the request body is even read.
    documented = [] if token is None else [Depends(HTTPBearer(auto_error=False))]
    router = APIRouter(prefix="/v1", responses=_ERROR_RESPONSES, dependencies=documented)
    # One engine call at a time, on a worker thread: the encoder is serialised anyway,
    # and dozens of threads contending for the GIL around it made 200 concurrent
    # clients several times slower than the same requests one by one.
    engine = anyio.CapacityLimiter(1)

    @router.post("/suggest", response_model=SuggestResponse, summary="Best approved reply")
    async def suggest(body: SuggestRequest) -> SuggestResponse:
        """The best approved reply for what the customer said, with runner-ups."""
        return await anyio.to_thread.run_sync(api.suggest, body, limiter=engine)

    @router.post("/check", response_model=CheckResponse, summary="Check an agent's draft")
    async def check(body: CheckRequest) -> CheckResponse:
        """Compliance violations in an agent's draft, with spans, references and safer wording."""
        return await anyio.to_thread.run_sync(api.check, body, limiter=engine)

    @router.get("/scripts/{script_id}", response_model=ScriptOut, summary="One script",
                responses={404: {"model": ErrorResponse, "description": "No such script"}})
    def script(script_id: str) -> ScriptOut:
        return api.script(script_id)

    @router.get("/scenarios", response_model=list[ScenarioOut], summary="Scenario taxonomy")
    def scenarios() -> list[ScenarioOut]:
        """Scenario ids with their Chinese and English display names."""
        return api.scenarios()

    @router.get("/health", response_model=HealthResponse, summary="Model, library and index")
    def health() -> HealthResponse:
        return api.health()

    return router


def create_app(
    assistant: Assistant,
    *,
    token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    rate_limit_per_minute: int | None = DEFAULT_RATE_LIMIT_PER_MINUTE,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    session_ttl_seconds: float = DEFAULT_SESSION_TTL_SECONDS,
    allowed_hosts: Sequence[str] | None = None,
    store: str | None = None,
) -> FastAPI:
    """The console and the ``/v1`` API over one loaded :class:`Assistant`.

    ``rate_limit_per_minute`` of None or 0 turns the rate limit off;
    ``allowed_hosts`` (set by :func:`run` on loopback) refuses other Host headers.
    """
    sessions = SessionStore(assistant.session, max_sessions=max_sessions,
                            ttl_seconds=session_ttl_seconds)
    api = AssistApi(assistant, sessions)
    app = FastAPI(
        title="assist", version=__version__,
        description="Offline agent-assist for bank contact centres: approved replies, "
                    "draft compliance checks and escalation advice.",
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
    )
    app.state.api = api
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(AssistError, _on_assist_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.include_router(build_router(api, token))
    from assist.server.calls import attach_calls  # live calls (issue 23); store: None = ASSIST_STORE or default

    attach_calls(app, lambda: assistant, token, store)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    bucket = TokenBucket(rate_limit_per_minute) if rate_limit_per_minute else None
    app.add_middleware(Guard, token=token, max_body_bytes=max_body_bytes, bucket=bucket,
                       allowed_hosts=allowed_hosts)
    app.add_middleware(AccessLog)
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


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus this module's access and error lines on stderr."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["assist"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def run(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    library: str | Path | None = None,
    model: str | Path | None = None,
    token: str | None = None,
    stdio: bool = False,
    store: str | None = None,
) -> None:
    """Load the assistant once and serve it over HTTP, or over stdin/stdout with ``stdio``."""
    import sys

    if store:  # the call store, for every worker process: they read ASSIST_STORE (assist.calls.store)
        os.environ["ASSIST_STORE"] = store

    from assist.lookup.assistant import Assistant

    token = token or os.environ.get("ASSIST_TOKEN") or None
    if not stdio:
        check_bind(host, token)
    assistant = Assistant.load(library=library, model=model)
    if stdio:
        from assist.server.stdio import serve_stdio

        serve_stdio(assistant, sys.stdin, sys.stdout)
        return
    import uvicorn

    allowed = [*LOOPBACK_NAMES, host] if is_loopback(host) else None
    app = create_app(assistant, token=token, allowed_hosts=allowed)
    shown = f"[{host}]" if ":" in host else host
    print(f"assist: console on http://{shown}:{port}/ (API under /v1, schema at /openapi.json)",
          file=sys.stderr)
    uvicorn.run(app, host=host, port=port, access_log=False, server_header=False,
                log_config=log_config())
