"""Logs of the team server: one line per record whatever a client sends, text or JSON."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assist.lookup.assistant import Assistant
from assist.server.http import create_app
from assist.server.logs import MAX_FIELD_CHARS, JsonFormatter, TextFormatter, escape
from tests.conftest import HashEncoder, write_library


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    library = write_library(tmp_path_factory.mktemp("logs") / "lib")
    return Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)


def captured(formatter: logging.Formatter) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("assist")
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


@pytest.fixture
def text_log() -> Iterator[io.StringIO]:
    yield from captured(TextFormatter())


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    yield from captured(JsonFormatter())


def test_escape_neutralises_controls_backslashes_and_length() -> None:
    assert escape("/v1/\r\nFORGED 200") == "/v1/\\x0d\\x0aFORGED 200"
    assert escape("a\x00b\x1bc\u2028d\u202ee") == "a\\x00b\\x1bc\\u2028d\\u202ee"
    assert escape("\\x0d") == "\\\\x0d", "a literal backslash escape cannot pass for an escaped character"
    assert escape("中文 path") == "中文 path"
    long = escape("/" + "a" * 20_000)
    assert len(long) < MAX_FIELD_CHARS + 40 and long.endswith(f"(+{20_001 - MAX_FIELD_CHARS} chars)")


def test_crlf_path_gives_one_escaped_access_line(assistant: Assistant, text_log: io.StringIO) -> None:
    with TestClient(create_app(assistant, rate_limit_per_minute=None)) as client:
        client.get("/v1/%0d%0a127.0.0.1%20GET%20/v1/admin%20200%20forged%00")
        client.get("/v1/" + "x" * 20_000)
    lines = [line for line in text_log.getvalue().splitlines() if " assist.access: " in line]
    assert len(text_log.getvalue().splitlines()) == len(lines) == 2, text_log.getvalue()
    forged, long = lines
    assert "\\x0d\\x0a127.0.0.1 GET /v1/admin 200 forged\\x00" in forged
    assert forged.endswith("404 " + forged.rsplit(" ", 1)[1]) and "\r" not in forged and "\x00" not in forged
    assert len(long) < 600 and "(+" in long


def test_json_access_log_is_one_parseable_object_per_request(
    assistant: Assistant, json_log: io.StringIO
) -> None:
    with TestClient(create_app(assistant, rate_limit_per_minute=None)) as client:
        client.get("/v1/%0d%0aforged%00", headers={"X-Agent-Id": "agent-7"})
        client.post("/v1/suggest", json={"utterance": "我的卡被冻结了，钱取不出来"})
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [r for r in records if r["logger"] == "assist.access"]
    assert len(access) == 2
    assert access[0]["path"] == "/v1/\\x0d\\x0aforged\\x00" and access[0]["status"] == 404
    assert access[0]["agent"] == "agent-7"
    assert access[1]["path"] == "/v1/suggest" and access[1]["status"] == 200 and access[1]["ms"] > 0
    assert "冻结" not in json_log.getvalue()


def test_an_unexpected_error_logs_frames_on_escaped_lines_without_its_message(
    assistant: Assistant, text_log: io.StringIO
) -> None:
    class Exploding:
        def __init__(self, real: Assistant) -> None:
            self._real = real

        def __getattr__(self, name: str) -> object:
            return getattr(self._real, name)

        def check(self, text: str) -> object:
            raise RuntimeError("\r\n".join(["top-sec" + "ret", "forged line", text]))

    app = create_app(Exploding(assistant), rate_limit_per_minute=None)  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/v1/check", json={"draft": "客户的秘密"}).status_code == 500
    log = text_log.getvalue()
    assert "RuntimeError" in log and "top-secret" not in log and "客户的秘密" not in log
    assert not any(line.startswith("forged") for line in log.splitlines())
