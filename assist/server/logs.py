"""The server's logs: one line per record whatever a client sends, as text or as JSON.

A request path is the one piece of a log line a client chooses. uvicorn hands it
over percent-decoded, so ``/%0d%0aFORGED`` arrives as a real carriage return and
line feed and would start a forged line in a plain-text log. Every string that
goes into a record here is passed through :func:`escape`: control and format
characters become ``\\xNN`` / ``\\uNNNN`` escapes (a backslash is doubled, so an
escape cannot be faked either) and the text is capped at :data:`MAX_FIELD_CHARS`.
Utterances and drafts travel in request bodies and are never logged at all.
"""

from __future__ import annotations

import json
import logging
import os
import time
import unicodedata
from typing import Any

MAX_FIELD_CHARS = 256
"""A logged path (or any logged string) is cut to this many characters, with the count left out."""
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def escape(text: object, limit: int = MAX_FIELD_CHARS, *, backslash: bool = True) -> str:
    """``text`` fit for one log line: control characters escaped, at most ``limit`` characters kept.

    Fields a client chose are escaped with ``backslash`` (doubled, so an escape cannot be
    faked); the formatters run a last pass without it over the whole line, which leaves
    escaped fields as they are and still catches a control character from anywhere else.
    """
    value = str(text)
    cut = len(value) - limit
    if cut > 0:
        value = value[:limit]
    elif value.isascii() and value.isprintable():  # nearly every line: nothing to escape but backslashes
        return value.replace("\\", "\\\\") if backslash else value
    out = []
    for char in value:
        if char == "\\" and backslash:
            out.append("\\\\")
        elif unicodedata.category(char) in _ESCAPED_CATEGORIES:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    if cut > 0:
        out.append(f"...(+{cut} chars)")
    return "".join(out)


MAX_LINE_CHARS = 8192


def one_line(text: str) -> str:
    return escape(text, MAX_LINE_CHARS, backslash=False)


class TextFormatter(logging.Formatter):
    """``time level logger message`` on one line, control characters escaped.

    An exception's text is never written (it may quote what a customer said); a
    record may carry ``trace`` (stack frames only), written on the lines after it.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        line = one_line(self.formatMessage(self._with_time(record)))
        trace = getattr(record, "trace", None)
        if trace:
            line += "".join("\n    " + one_line(frame) for frame in str(trace).splitlines())
        return line

    def _with_time(self, record: logging.LogRecord) -> logging.LogRecord:
        record.asctime = self.formatTime(record)
        return record


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, pid, the message and any ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        message = one_line(record.getMessage())
        body: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "pid": os.getpid(), "message": message,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            body.update({key: value if isinstance(value, int | float | bool) or value is None else one_line(value)
                         for key, value in fields.items()})
        trace = getattr(record, "trace", None)
        if trace:
            body["trace"] = [one_line(frame) for frame in str(trace).splitlines()]
        return json.dumps(body, ensure_ascii=False)


def logging_config(json_logs: bool = False, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and assist: every record through one of
    the formatters above, on stderr."""
    formatter = {"()": JsonFormatter} if json_logs else {"()": TextFormatter}
    handler = {"class": "logging.StreamHandler", "formatter": "safe", "stream": "ext://sys.stderr"}
    logger = {"handlers": ["safe"], "level": level, "propagate": False}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"safe": formatter}, "handlers": {"safe": handler},
        "loggers": {"assist": logger, "uvicorn": logger, "uvicorn.error": {"level": level},
                    "uvicorn.access": {"handlers": [], "propagate": False}},
    }
