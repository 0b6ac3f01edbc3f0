"""The HTTP API, the console page and the stdio transport of ``assist serve``.

Everything runs against the small fixture library of ``tests.conftest`` with the
instant ``HashEncoder``, through FastAPI's in-process test client.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from assist.limits import MAX_UTTERANCE_CHARS
from assist.lookup.assistant import Assistant
from assist.server.http import STATIC_DIR, ServeError, SessionStore, check_bind, create_app
from assist.server.stdio import MAX_LINE_CHARS, serve_stdio
from assist.server.workers import run
from tests.conftest import HashEncoder, write_library

FROZEN = "我的卡被冻结了，钱取不出来"
FRAUD = "对方让我把钱转到安全账户"
TOKEN = "test-token-0123456789abcdef"
JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    library = write_library(tmp_path_factory.mktemp("serve") / "lib")
    return Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)


@pytest.fixture
def client(assistant: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(assistant, rate_limit_per_minute=None)) as test_client:
        yield test_client


def error_of(response: Any) -> dict[str, str]:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return dict(body["error"])


# ----- /v1/suggest -------------------------------------------------------------------------------


def test_suggest_returns_scenario_candidates_and_reply(client: TestClient) -> None:
    response = client.post("/v1/suggest", json={"utterance": FROZEN, "top_k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["abstained"] is False
    assert body["pinned_by"] is None
    assert len(body["candidates"]) == 2
    top = body["candidates"][0]
    assert top["scenario"] == "account_frozen"
    assert top["script_id"] == "account_frozen.zh"
    assert top["steps"] == ["核实身份", "查询冻结原因"]
    assert body["reply"] == top["reply"] == top["empathy"] + top["solution_preview"]
    assert top["score"] >= body["threshold"]
    assert body["why"]
    assert body["threshold"] == pytest.approx(0.45)
    assert body["session_id"] is None and body["raised"] == {}
    assert body["quick_pass"] is False  # the fixture assistant has one encoder, no quick pass


def test_segment_and_channel_are_validated(client: TestClient) -> None:
    good = {"utterance": FROZEN, "segment": "elderly", "channel": "chat"}
    ok = client.post("/v1/suggest", json=good)
    assert ok.status_code == 200
    bad = client.post("/v1/suggest", json={"utterance": FROZEN, "segment": "vip"})
    assert bad.status_code == 422
    error = error_of(bad)
    assert error["code"] == "invalid_request"
    assert "segment" in error["message"] and "elderly" in error["message"]


def test_fraud_utterance_is_pinned_with_alert(client: TestClient) -> None:
    body = client.post("/v1/suggest", json={"utterance": FRAUD}).json()
    # The library's own rule or the shipped customer-signal rule for the same scam may pin it.
    assert "safe_account" in body["pinned_by"]
    assert len(body["alerts"]) == 1 and body["alerts"][0].startswith("疑似电信诈骗")
    assert body["candidates"][0]["scenario"] == "fraud_in_progress"
    assert "挂断电话" in body["reply"]


def test_a_session_counts_its_scenarios_but_never_escalates_on_its_own_repeats(client: TestClient) -> None:
    """Three mentions in one call are one contact (repeated contact across calls is the call store's)."""
    session = {"utterance": FROZEN, "session_id": "call-42"}
    first, second, third = (client.post("/v1/suggest", json=session).json() for _ in range(3))
    assert first["raised"] == {"account_frozen": 1}
    assert second["raised"] == {"account_frozen": 2}
    assert third["session_id"] == "call-42"
    assert third["raised"] == {"account_frozen": 3}
    assert not third["alerts"] and third["escalation"] == first["escalation"]

    other = client.post("/v1/suggest", json={**session, "session_id": "call-43"}).json()
    assert other["raised"] == {"account_frozen": 1} and not other["alerts"]
    stateless = client.post("/v1/suggest", json={"utterance": FROZEN}).json()
    assert not stateless["alerts"] and stateless["escalation"] is None


def test_session_id_must_be_a_short_token(client: TestClient) -> None:
    for bad in ("", "has space", "x" * 65, "../etc"):
        response = client.post("/v1/suggest", json={"utterance": FROZEN, "session_id": bad})
        assert response.status_code == 422, bad
        assert "session_id" in error_of(response)["message"]


# ----- /v1/check ---------------------------------------------------------------------------------


def test_check_returns_violations_with_spans(client: TestClient) -> None:
    draft = "您好，这是系统问题。请把钱转到安全账户。"
    response = client.post("/v1/check", json={"draft": draft})
    assert response.status_code == 200
    body = response.json()
    assert body["blocked"] is True
    rules = [v["rule_id"] for v in body["violations"]]
    assert rules == ["test.blame", "test.safe_account"]
    for violation in body["violations"]:
        start, end = violation["span"]
        assert draft[start:end] == violation["matched_text"]
        assert violation["reference"] and violation["suggestion"]
    assert body["violations"][1]["severity"] == "block"


def test_clean_draft_has_no_violations(client: TestClient) -> None:
    body = client.post("/v1/check", json={"draft": "给您带来不便非常抱歉，我们马上处理。"}).json()
    assert body == {"violations": [], "blocked": False}


# ----- /v1/scripts, /v1/health, /v1/scenarios ----------------------------------------------------


def test_script_by_id_and_missing_script(client: TestClient) -> None:
    response = client.get("/v1/scripts/account_frozen.zh")
    assert response.status_code == 200
    script = response.json()
    assert script["scenario"] == "account_frozen"
    assert script["reply"] == script["empathy"] + script["solution_preview"]
    assert "source" not in script

    missing = client.get("/v1/scripts/account_frozen.z")
    assert missing.status_code == 404
    error = error_of(missing)
    assert error["code"] == "not_found"
    assert "account_frozen.zh" in error["message"]


def test_health_reports_model_library_index_and_threshold(
    client: TestClient, assistant: Assistant
) -> None:
    body = client.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["model_id"] == "test-hash-encoder"
    assert body["library_hash"] == assistant.library.content_hash
    assert body["manifest"]["library_hash"] == assistant.library.content_hash
    assert body["manifest"]["examples"] == 12
    assert body["threshold"] == pytest.approx(assistant.threshold)
    assert body["max_utterance_chars"] == MAX_UTTERANCE_CHARS


def test_scenarios_list_the_taxonomy(client: TestClient) -> None:
    ids = [s["id"] for s in client.get("/v1/scenarios").json()]
    assert "fraud_in_progress" in ids and "repeated_unresolved" in ids


# ----- bad requests ------------------------------------------------------------------------------


def test_malformed_json_is_a_400_json_error(client: TestClient) -> None:
    response = client.post("/v1/suggest", content=b'{"utterance": ',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "malformed_json"
    assert "JSON" in error["message"]


@pytest.mark.parametrize("body", [
    [FROZEN],
    {"utterance": 12},
    {"utterance": ""},
    {"utterance": FROZEN, "top_k": 0},
    {"utterance": FROZEN, "top_k": "three"},
    {"utterance": FROZEN, "utterence": FROZEN},
    {},
])
def test_invalid_bodies_are_422_json_errors(client: TestClient, body: Any) -> None:
    response = client.post("/v1/suggest", json=body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


def test_missing_body_and_wrong_method(client: TestClient) -> None:
    assert client.post("/v1/suggest").status_code == 422
    wrong = client.get("/v1/suggest")
    assert wrong.status_code == 405
    assert error_of(wrong)["code"] == "method_not_allowed"
    unknown = client.get("/v1/nothing")
    assert unknown.status_code == 404
    assert "/openapi.json" in error_of(unknown)["message"]


def test_oversized_body_is_413(client: TestClient) -> None:
    huge = json.dumps({"utterance": "转账" * 40_000}).encode()
    response = client.post("/v1/suggest", content=huge, headers=JSON_HEADERS)
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_oversized_streamed_body_without_length_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"utterance": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/v1/check", content=chunks(), headers=JSON_HEADERS)
    assert response.status_code == 413


def test_too_long_utterance_and_draft_are_4xx(client: TestClient) -> None:
    text = "冻" * (MAX_UTTERANCE_CHARS + 1)
    for path, field in (("/v1/suggest", "utterance"), ("/v1/check", "draft")):
        response = client.post(path, json={field: text})
        assert response.status_code == 422
        message = error_of(response)["message"]
        assert field in message and f"{MAX_UTTERANCE_CHARS}" in message


class ExplodingAssistant:
    """Stands in for an assistant with a bug: its lookups raise with the input in the message."""

    def __init__(self, real: Assistant) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def suggest(self, utterance: str, **_: Any) -> Any:
        raise RuntimeError(f"boom on {utterance}")

    def suggest_many(self, utterances: list[str], **_: Any) -> Any:
        raise RuntimeError(f"boom on {utterances}")


def test_unexpected_error_is_a_generic_500(
    assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(cast(Assistant, ExplodingAssistant(assistant)), rate_limit_per_minute=None)
    secret = "客户的秘密 13812345678"
    with caplog.at_level(logging.INFO, logger="assist"), TestClient(app) as test_client:
        response = test_client.post("/v1/suggest", json={"utterance": secret})
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert "boom" not in error["message"] and "Traceback" not in response.text
    assert "RuntimeError" in caplog.text
    assert secret not in caplog.text and "13812345678" not in caplog.text


def test_access_log_has_method_path_status_latency_but_no_text(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="assist.access"):
        client.post("/v1/suggest", json={"utterance": FROZEN})
        client.post("/v1/check", json={"draft": "这是系统问题"})
    lines = [r.getMessage() for r in caplog.records if r.name == "assist.access"]
    assert len(lines) == 2
    assert re.fullmatch(r"\S+ POST /v1/suggest 200 \d+\.\dms", lines[0])
    assert FROZEN not in caplog.text and "这是系统问题" not in caplog.text


# ----- security ----------------------------------------------------------------------------------


def test_token_is_required_on_every_v1_call(assistant: Assistant) -> None:
    app = create_app(assistant, token=TOKEN, rate_limit_per_minute=None)
    with TestClient(app) as test_client:
        for method, path, body in (("POST", "/v1/suggest", {"utterance": FROZEN}),
                                   ("POST", "/v1/check", {"draft": "x"}),
                                   ("GET", "/v1/health", None),
                                   ("GET", "/v1/scripts/account_frozen.zh", None)):
            missing = test_client.request(method, path, json=body)
            assert missing.status_code == 401, path
            assert error_of(missing)["code"] == "unauthorized"
            assert missing.headers["www-authenticate"] == "Bearer"
            wrong = test_client.request(method, path, json=body,
                                        headers={"Authorization": "Bearer not-the-token"})
            assert wrong.status_code == 401
        malformed_unauthenticated = test_client.post("/v1/suggest", content=b"{")
        assert malformed_unauthenticated.status_code == 401
        good = test_client.post("/v1/suggest", json={"utterance": FROZEN},
                                headers={"Authorization": f"Bearer {TOKEN}"})
        assert good.status_code == 200
        assert test_client.get("/").status_code == 200
        schema = test_client.get("/openapi.json").json()
        assert "HTTPBearer" in schema["components"]["securitySchemes"]


def test_rate_limit_is_429_with_retry_after(assistant: Assistant) -> None:
    with TestClient(create_app(assistant, rate_limit_per_minute=3)) as test_client:
        codes = [test_client.get("/v1/health").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = test_client.get("/v1/health")
        assert error_of(limited)["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        assert test_client.get("/").status_code == 200


def test_foreign_host_header_is_refused_on_loopback(assistant: Assistant) -> None:
    app = create_app(assistant, allowed_hosts=["127.0.0.1", "localhost", "::1"])
    with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
        assert test_client.get("/v1/health").status_code == 200
        assert test_client.get("/v1/health", headers={"Host": "[::1]:8765"}).status_code == 200
        rebound = test_client.get("/v1/health", headers={"Host": "evil.example:8765"})
        assert rebound.status_code == 400
        assert error_of(rebound)["code"] == "bad_host"


def test_public_bind_needs_a_strong_token(monkeypatch: pytest.MonkeyPatch) -> None:
    check_bind("127.0.0.1", None)
    check_bind("localhost", None)
    check_bind("::1", None)
    with pytest.raises(ServeError, match="--token or set ASSIST_TOKEN"):
        check_bind("0.0.0.0", None)
    with pytest.raises(ServeError, match="at least 16"):
        check_bind("10.1.2.3", "short")
    check_bind("0.0.0.0", TOKEN)

    monkeypatch.delenv("ASSIST_TOKEN", raising=False)
    with pytest.raises(ServeError, match=r"refusing to listen on 0\.0\.0\.0"):
        run(host="0.0.0.0", port=0, library=None, model=None, token=None, stdio=False)


def test_responses_carry_security_headers(client: TestClient) -> None:
    for path in ("/", "/v1/health"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"


# ----- OpenAPI and the console page --------------------------------------------------------------


def test_openapi_lists_the_v1_paths(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/v1/suggest", "/v1/check", "/v1/scripts/{script_id}", "/v1/health"} <= paths
    suggest = schema["paths"]["/v1/suggest"]["post"]
    assert "SuggestRequest" in json.dumps(suggest["requestBody"])
    assert "ErrorResponse" in json.dumps(suggest["responses"]["422"])
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN


def test_console_page_is_served_with_local_assets_only(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/app.js" in assets and "/static/app.css" in assets
    texts = {"index.html": html}
    for asset in assets:
        if asset.startswith("data:"):
            continue
        assert asset.startswith("/static/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        texts[asset] = response.text
    for name in ("index.html", "app.js", "app.css"):
        assert (STATIC_DIR / name).is_file()
    for name, text in texts.items():
        foreign = [u for u in re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text)
                   if not re.match(r"(?:https?:)?//(?:127\.0\.0\.1|localhost)\b", u)]
        assert not foreign, f"{name} refers to other hosts: {foreign}"
        assert "@import" not in text and "fonts.googleapis" not in text, name
    assert 'lang="zh-CN"' in html


# ----- the session store -------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_session_store_is_a_bounded_lru_with_expiry(assistant: Assistant) -> None:
    clock = FakeClock()
    store = SessionStore(assistant.session, max_sessions=2, ttl_seconds=60, clock=clock)
    first = store.get("a")
    assert store.get("a") is first
    store.get("b")
    store.get("a")  # a is now the most recent
    store.get("c")  # evicts b, the least recently used
    assert "a" in store and "c" in store and "b" not in store
    clock.now = 61.0
    store.get("d")  # a and c idled past the TTL
    assert len(store) == 1 and "a" not in store
    assert store.get("a") is not first


# ----- stdio -------------------------------------------------------------------------------------


def line(request: Any) -> str:
    return json.dumps(request, ensure_ascii=False)


def run_stdio(assistant: Assistant, lines: list[str]) -> list[dict[str, Any]]:
    stdout = io.StringIO()
    serve_stdio(assistant, io.StringIO("".join(line + "\n" for line in lines)), stdout)
    return [json.loads(line) for line in stdout.getvalue().splitlines()]


def test_stdio_round_trip_survives_garbage(assistant: Assistant) -> None:
    requests = [
        line({"id": 1, "method": "suggest", "params": {"utterance": FROZEN}}),
        "this is not json",
        line({"id": 2, "method": "check", "params": {"draft": "这是系统问题"}}),
        "",
        line({"id": 3, "method": "script", "params": {"id": "nope"}}),
        line({"id": 4, "method": "dance"}),
        line({"id": 5, "method": "suggest", "params": {"utterance": 7}}),
        line([1, 2]),
        line({"id": "h", "method": "health"}),
        line({"id": 6, "method": "suggest", "params": {"utterance": FRAUD, "session_id": "s1"}}),
    ]
    responses = run_stdio(assistant, requests)
    assert len(responses) == 9  # the blank line is skipped
    ok, garbage, check, missing, unknown, bad_params, not_object, health, fraud = responses
    assert ok["id"] == 1 and ok["result"]["candidates"][0]["scenario"] == "account_frozen"
    assert garbage == {"id": None, "error": garbage["error"]}
    assert garbage["error"]["code"] == "parse_error"
    assert check["id"] == 2 and check["result"]["violations"][0]["span"] == [0, 6]
    assert missing["id"] == 3 and missing["error"]["code"] == "not_found"
    assert unknown["id"] == 4 and unknown["error"]["code"] == "method_not_found"
    assert bad_params["id"] == 5 and bad_params["error"]["code"] == "invalid_params"
    assert not_object["error"]["code"] == "invalid_request"
    assert health["id"] == "h" and health["result"]["model_id"] == "test-hash-encoder"
    assert "safe_account" in fraud["result"]["pinned_by"]
    assert fraud["result"]["raised"] == {"fraud_in_progress": 1}


def test_stdio_sessions_count_and_long_lines_are_refused(assistant: Assistant) -> None:
    request = line({"id": 1, "method": "suggest",
                    "params": {"utterance": FROZEN, "session_id": "chat-7"}})
    long_line = json.dumps({"id": 9, "method": "check", "params": {"draft": "x" * MAX_LINE_CHARS}})
    responses = run_stdio(assistant, [request, long_line, request, request])
    assert responses[1] == {"id": None, "error": responses[1]["error"]}
    assert responses[1]["error"]["code"] == "payload_too_large"
    assert responses[3]["result"]["raised"] == {"account_frozen": 3}
    assert not responses[3]["result"]["alerts"]


def test_stdio_writes_unicode_as_is(assistant: Assistant) -> None:
    stdout = io.StringIO()
    line = json.dumps({"id": 1, "method": "suggest", "params": {"utterance": FROZEN}})
    serve_stdio(assistant, io.StringIO(line + "\n"), stdout)
    assert "账户" in stdout.getvalue()


def test_static_dir_ships_in_the_package() -> None:
    assert Path(STATIC_DIR).parent.name == "server"
    assert (Path(STATIC_DIR) / "index.html").is_file()


# ----- the team server: readiness, metrics, reload, shared call memory ----------------------------


def test_ready_is_503_until_the_loader_finishes_and_health_stays_live(assistant: Assistant, tmp_path: Path) -> None:
    import threading

    release = threading.Event()

    def slow_loader() -> Assistant:
        release.wait(10)
        return assistant

    with TestClient(create_app(loader=slow_loader, rate_limit_per_minute=None, state_dir=tmp_path)) as client:
        assert client.get("/v1/health").json()["status"] == "starting"
        waiting = client.get("/v1/ready")
        assert waiting.status_code == 503 and error_of(waiting)["code"] == "unavailable"
        assert client.post("/v1/suggest", json={"utterance": FROZEN}).status_code == 503
        release.set()
        for _ in range(100):
            if client.get("/v1/ready").status_code == 200:
                break
            time.sleep(0.05)
        ready = client.get("/v1/ready").json()
        assert ready["ready"] is True and ready["reloads"] == 0
        assert client.get("/v1/health").json()["status"] == "ok"


def test_metrics_count_requests_abstentions_pins_and_findings_without_text(client: TestClient) -> None:
    client.post("/v1/suggest", json={"utterance": FROZEN})
    client.post("/v1/suggest", json={"utterance": FRAUD})
    client.post("/v1/check", json={"draft": "这是系统问题"})
    client.get("/v1/%0d%0a" + "z" * 300)
    text = client.get("/metrics").text
    assert 'assist_requests_total{endpoint="/v1/suggest",status="200"} 2.0' in text
    assert 'assist_suggestions_total 2.0' in text
    assert re.search(r'assist_pins_total\{rule="[^"]+"\} 1\.0', text)
    assert re.search(r'assist_check_findings_total\{category="[^"]+",severity="(block|warn)"\}', text)
    assert 'assist_request_seconds_bucket{endpoint="/v1/suggest",le="0.15"}' in text
    assert 'endpoint="other"' in text
    assert "冻结" not in text and "系统问题" not in text and "zzz" not in text


def test_metrics_need_the_token_when_one_is_set(assistant: Assistant) -> None:
    with TestClient(create_app(assistant, token=TOKEN, rate_limit_per_minute=None)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_admin_reload_needs_the_admin_token_and_swaps_the_engine(assistant: Assistant, tmp_path: Path) -> None:
    loads: list[int] = []

    def loader() -> Assistant:
        loads.append(1)
        return assistant

    admin = "admin-token-0123456789"
    app = create_app(assistant, loader=loader, admin_token=admin, rate_limit_per_minute=None, state_dir=tmp_path)
    with TestClient(app) as client:
        assert client.post("/v1/admin/reload").status_code == 403
        assert client.post("/v1/admin/reload", headers={"X-Assist-Admin": "wrong"}).status_code == 403
        accepted = client.post("/v1/admin/reload", headers={"X-Assist-Admin": admin})
        assert accepted.status_code == 202 and accepted.json()["reloading"] is True
        for _ in range(100):
            if client.get("/v1/ready").json()["reloads"] == 1:
                break
            time.sleep(0.05)
        assert client.get("/v1/ready").json()["reloads"] == 1 and loads == [1]
        assert client.post("/v1/suggest", json={"utterance": FROZEN}).status_code == 200
    with TestClient(create_app(assistant, rate_limit_per_minute=None)) as client:
        off = client.post("/v1/admin/reload", headers={"X-Assist-Admin": admin})
        assert off.status_code == 403 and "--admin-token" in error_of(off)["message"]


def test_call_memory_is_shared_by_apps_on_one_state_folder(assistant: Assistant, tmp_path: Path) -> None:
    """Two apps on one state folder stand for two workers: a call's turns may land on either."""
    first = TestClient(create_app(assistant, rate_limit_per_minute=None, state_dir=tmp_path))
    second = TestClient(create_app(assistant, rate_limit_per_minute=None, state_dir=tmp_path))
    body = {"utterance": FROZEN, "session_id": "call-1"}
    with first, second:
        raised = [client.post("/v1/suggest", json=body).json() for client in (first, second, first)]
    assert [r["raised"]["account_frozen"] for r in raised] == [1, 2, 3]


def test_error_bodies_never_echo_personal_data(client: TestClient) -> None:
    """A phone number or card number pasted into a path must not come back in a 404 body."""
    phone, card = "13812345678", "6222021234567890123"
    for path in (f"/v1/scripts/{phone}", f"/v1/no-such-{card}"):
        response = client.get(path)
        assert response.status_code == 404
        assert phone not in response.text and card not in response.text, response.text
