"""``assist serve --stdio``: the JSON API as JSON lines on stdin/stdout.

For an integration that starts assist as a child process (a softphone plug-in,
a desktop client) instead of talking HTTP. One request per line::

    {"id": 1, "method": "suggest", "params": {"utterance": "我的卡被冻结了"}}

and one response line per request, in order::

    {"id": 1, "result": {...}}            or
    {"id": 1, "error": {"code": "...", "message": "..."}}

Methods and their params mirror the HTTP API: ``suggest`` (utterance, top_k,
segment, channel, session_id), ``check`` (draft), ``script`` (id), ``scenarios``
and ``health``. A bad line is answered with an error; it never ends the loop.
Only end of input does. Nothing the customer said is written to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from assist.errors import AssistError
from assist.server.api import (
    DEFAULT_MAX_BODY_BYTES,
    AssistApi,
    CheckRequest,
    SuggestRequest,
    assist_error_body,
    describe_validation,
)
from assist.server.calls import CALL_METHODS

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant

MAX_LINE_CHARS = DEFAULT_MAX_BODY_BYTES
"""A request line longer than this is refused (and skipped to its end)."""

RequestId = str | int | float | None
SHAPE = 'send one object per line: {"id": 1, "method": "suggest", "params": {"utterance": "..."}}'


class RequestError(Exception):
    """A request that cannot be answered; carries the error code for the response."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _suggest(api: AssistApi, params: dict[str, Any]) -> BaseModel:
    return api.suggest(SuggestRequest.model_validate(params))


def _check(api: AssistApi, params: dict[str, Any]) -> BaseModel:
    return api.check(CheckRequest.model_validate(params))


def _script(api: AssistApi, params: dict[str, Any]) -> BaseModel:
    script_id = params.get("id")
    if not isinstance(script_id, str) or set(params) - {"id"}:
        raise RequestError("invalid_params", 'script takes {"id": "<script id>"}')
    return api.script(script_id)


def _scenarios(api: AssistApi, params: dict[str, Any]) -> list[Any]:
    return [s.model_dump(mode="json") for s in api.scenarios()]


def _health(api: AssistApi, params: dict[str, Any]) -> BaseModel:
    return api.health()


METHODS: dict[str, Callable[[AssistApi, dict[str, Any]], BaseModel | list[Any]]] = {
    "suggest": _suggest,
    "check": _check,
    "script": _script,
    "scenarios": _scenarios,
    "health": _health,
}
METHODS.update(CALL_METHODS)  # call_turn, call_feedback, call_events (assist.server.calls)


def parse_request(line: str) -> tuple[RequestId, str, dict[str, Any]]:
    """(id, method, params) of one line, or a :class:`RequestError`."""
    try:
        request = json.loads(line)
    except json.JSONDecodeError as error:
        message = f"line is not valid JSON ({error.msg} at column {error.colno}); {SHAPE}"
        raise RequestError("parse_error", message) from None
    if not isinstance(request, dict):
        raise RequestError("invalid_request", f"a request is a JSON object; {SHAPE}")
    request_id = request.get("id")
    if not isinstance(request_id, str | int | float) or isinstance(request_id, bool):
        request_id = None
    method = request.get("method")
    if not isinstance(method, str) or method not in METHODS:
        raise RequestError("method_not_found",
                           f"unknown method {str(method)[:64]!r}; use one of {', '.join(METHODS)}")
    params = request.get("params", {})
    if not isinstance(params, dict):
        raise RequestError("invalid_params", "params must be a JSON object")
    return request_id, method, params


def request_id_of(line: str) -> RequestId:
    """The id of a request that failed before it was fully parsed, if one can be read."""
    try:
        request = json.loads(line)
    except ValueError:
        return None
    found = request.get("id") if isinstance(request, dict) else None
    return found if isinstance(found, str | int | float) and not isinstance(found, bool) else None


def handle_line(api: AssistApi, line: str) -> dict[str, Any]:
    """The response object for one request line. Never raises."""
    request_id: RequestId = None
    try:
        request_id, method, params = parse_request(line)
        result = METHODS[method](api, params)
        payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
        return {"id": request_id, "result": payload}
    except RequestError as error:
        request_id = request_id if request_id is not None else request_id_of(line)
        return _error(request_id, error.code, error.message)
    except ValidationError as error:
        _, message = describe_validation(error.errors())
        return _error(request_id, "invalid_params", message)
    except AssistError as error:
        return {"id": request_id, **assist_error_body(error)}
    except Exception as error:  # the loop must survive anything one request does
        return _error(request_id, "internal_error",
                      f"the request failed unexpectedly ({type(error).__name__})")


def _error(request_id: RequestId, code: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "error": {"code": code, "message": message}}


def read_line(stdin: IO[str]) -> tuple[str | None, bool]:
    """The next line (None at end of input) and whether it was over :data:`MAX_LINE_CHARS`.

    An over-long line is skipped to its newline in bounded pieces, never held whole.
    """
    line = stdin.readline(MAX_LINE_CHARS + 1)
    if not line:
        return None, False
    if len(line) <= MAX_LINE_CHARS or line.endswith("\n"):
        return line, len(line.rstrip("\r\n")) > MAX_LINE_CHARS
    while True:
        rest = stdin.readline(MAX_LINE_CHARS)
        if not rest or rest.endswith("\n"):
            return "", True


def serve_stdio(assistant: Assistant, stdin: IO[str], stdout: IO[str]) -> None:
    """Answer JSON-line requests from ``stdin`` on ``stdout`` until end of input."""
    api = AssistApi(assistant)
    while True:
        line, too_long = read_line(stdin)
        if line is None:
            return
        if too_long:
            response = _error(None, "payload_too_large",
                              f"line over {MAX_LINE_CHARS:,} characters; send one request per line")
        elif not line.strip():
            continue
        else:
            response = handle_line(api, line)
        stdout.write(json.dumps(response, ensure_ascii=False) + "\n")
        stdout.flush()
