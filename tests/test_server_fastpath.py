"""The server's hot paths: ``POST /v1/suggest`` and ``GET /v1/health`` answered without FastAPI's
routing send exactly what FastAPI sends, anything unusual still reaches FastAPI, the library
check behind ``stale`` is reused for its window, and a lookup that waited too long is refused."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assist.errors import UnavailableError
from assist.lookup.assistant import Assistant
from assist.server import http
from assist.server.batching import MicroBatcher
from assist.server.http import create_app
from tests.conftest import HashEncoder, write_library

FROZEN = "我的卡被冻结了，钱取不出来"
FRAUD = "对方让我把钱转到安全账户"
FAST = {"Content-Type": "application/json"}
SLOW = {"Content-Type": "application/vnd.assist+json"}  # JSON to FastAPI, not taken by the fast path


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("fastpath") / "lib")


@pytest.fixture(scope="module")
def assistant(library: Path) -> Assistant:
    return Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each suggest request was parsed by the fast path (True) or left to FastAPI."""
    seen: list[bool] = []
    real = http.parse_json_body

    def counting(scope: Any, body: bytes, model: Any) -> Any:
        result = real(scope, body, model)
        seen.append(result is not None)
        return result

    monkeypatch.setattr(http, "parse_json_body", counting)
    return seen


@pytest.mark.parametrize("body", [
    {"utterance": FROZEN},
    {"utterance": FRAUD, "top_k": 2},
    {"utterance": FROZEN, "segment": "elderly", "channel": "chat", "top_k": 1},
    {"utterance": "今天天气不错"},
])
def test_the_fast_path_sends_the_bytes_fastapi_sends(assistant: Assistant, tmp_path: Path,
                                                     parsed: list[bool], body: dict[str, Any]) -> None:
    with TestClient(create_app(assistant, rate_limit_per_minute=None, state_dir=tmp_path)) as client:
        data = json.dumps(body, ensure_ascii=False).encode()
        fast = client.post("/v1/suggest", content=data, headers=FAST)
        slow = client.post("/v1/suggest", content=data, headers=SLOW)
    assert parsed == [True, False]
    assert fast.status_code == slow.status_code == 200
    assert fast.content == slow.content
    for header in ("content-type", "content-length", "x-content-type-options", "cache-control"):
        assert fast.headers[header] == slow.headers[header]


def test_what_the_fast_path_cannot_parse_gets_fastapis_answer(assistant: Assistant, tmp_path: Path,
                                                              parsed: list[bool]) -> None:
    with TestClient(create_app(assistant, rate_limit_per_minute=None, state_dir=tmp_path)) as client:
        cases = [(b'{"utterance": ', FAST), (b'{"utterance": "x", "extra": 1}', FAST), (b"[1, 2]", FAST),
                 (b'{"utterance": "' + FROZEN.encode() + b'"}', {"Content-Type": "text/plain"})]
        for data, headers in cases:
            fast = client.post("/v1/suggest", content=data, headers=headers)
            slow = client.post("/v1/suggest", content=data, headers={**headers, "Content-Type": SLOW["Content-Type"]}
                               if headers is FAST else headers)
            assert fast.status_code == slow.status_code and fast.status_code in (400, 422), data
            assert fast.json() == slow.json()
    assert not any(parsed)


def test_a_lookup_error_is_the_same_error_body(assistant: Assistant, tmp_path: Path, parsed: list[bool]) -> None:
    blank = {"utterance": "   "}  # valid for the request model, refused by the lookup (an InputError)
    with TestClient(create_app(assistant, rate_limit_per_minute=None, state_dir=tmp_path)) as client:
        data = json.dumps(blank).encode()
        fast = client.post("/v1/suggest", content=data, headers=FAST)
        slow = client.post("/v1/suggest", content=data, headers=SLOW)
    assert parsed == [True, False]
    assert fast.status_code == slow.status_code == 422
    assert fast.content == slow.content and b"empty" in fast.content


def test_health_is_the_api_health(assistant: Assistant, tmp_path: Path) -> None:
    with TestClient(create_app(assistant, rate_limit_per_minute=None, state_dir=tmp_path)) as client:
        answered = client.get("/v1/health")
    assert answered.status_code == 200 and answered.headers["content-type"] == "application/json"
    assert answered.json() == assistant_health(assistant)


def assistant_health(assistant: Assistant) -> dict[str, Any]:
    from assist.server.api import AssistApi

    return AssistApi(assistant).health().model_dump(mode="json")


def test_stale_is_reused_for_its_window_then_checked_again(library: Path, tmp_path: Path) -> None:
    assistant = Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)
    scripts = next((library / "scripts").glob("*.yaml"))
    original = scripts.read_text(encoding="utf-8")
    app = create_app(assistant, rate_limit_per_minute=None, state_dir=tmp_path, stale_check_s=0.5)
    try:
        with TestClient(app) as client:
            assert client.get("/v1/health").json()["stale"] is False
            scripts.write_text(original + "\n# edited\n", encoding="utf-8")
            assert client.get("/v1/health").json()["stale"] is False, "within the window: the last answer"
            time.sleep(0.6)
            assert client.get("/v1/health").json()["stale"] is True
            assert client.get("/v1/ready").json()["stale"] is True
    finally:
        scripts.write_text(original, encoding="utf-8")


def test_a_lookup_that_waited_too_long_is_refused_and_later_ones_are_answered() -> None:
    gate = threading.Event()
    batches: list[list[int]] = []

    def run(items: list[int]) -> list[int | BaseException]:
        batches.append(items)
        if items == [0]:
            gate.wait(5)
        return [item * 10 for item in items]

    async def main() -> list[Any]:
        batcher: MicroBatcher[int, int] = MicroBatcher(run, max_wait_s=0.0, max_batch=4, max_queue_wait_s=0.1)
        first = asyncio.ensure_future(batcher.submit(0))  # holds the engine
        await asyncio.sleep(0.02)
        stuck = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 2)]
        await asyncio.sleep(0.2)  # they have now waited past the budget
        gate.set()
        await asyncio.sleep(0.05)
        fresh = await batcher.submit(3)
        results = await asyncio.gather(first, *stuck, return_exceptions=True)
        await batcher.close()
        return [*results, fresh]

    first, one, two, fresh = asyncio.run(main())
    assert first == 0 and fresh == 30
    assert isinstance(one, UnavailableError) and isinstance(two, UnavailableError)
    assert "waited over" in str(one)
    assert batches == [[0], [3]], "refused lookups never reach the engine"
