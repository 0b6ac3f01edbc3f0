"""The call endpoints over HTTP and stdio, on both databases: turns, feedback, tickets, the event stream."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from calls_db import store_url  # noqa: F401  (fixture)
from conftest import HashEncoder
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assist.cli import app as cli_app
from assist.lookup.assistant import Assistant
from assist.server.calls import TICKET_COOKIE, make_ticket, ticket_valid
from assist.server.http import create_app
from assist.server.stdio import serve_stdio
from tests.conftest import serving

TOKEN = "t" * 32
SCAM = "有人让我把钱转到安全账户"


@pytest.fixture
def assistant(library_dir: Path) -> Assistant:
    return Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_turns_feedback_and_summary(assistant: Assistant, store_url: str) -> None:  # noqa: F811
    client = TestClient(create_app(assistant, token=TOKEN, rate_limit_per_minute=None, store=store_url))
    turn = {"turn_id": "t1", "speaker": "customer", "text": SCAM, "customer": "13800000000"}
    first = client.post("/v1/calls/c1/turns", json=turn, headers=auth())
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["kind"] == "suggestion" and body["new"] is True
    assert [a["code"] for a in body["alerts"]] == ["fraud_pinned"]
    assert body["candidates"][0]["scenario"] == "fraud_in_progress"
    retry = client.post("/v1/calls/c1/turns", json=turn, headers=auth()).json()
    assert retry["new"] is False and retry["reply"] == body["reply"]

    follow = client.post("/v1/calls/c1/turns", headers=auth(),
                         json={"turn_id": "t2", "speaker": "customer", "text": "那现在怎么办"}).json()
    assert follow["pinned_by"] is not None

    agent = client.post("/v1/calls/c1/turns", headers=auth(),
                        json={"turn_id": "a1", "speaker": "agent", "text": "这是系统问题"}).json()
    assert agent["kind"] == "check" and "test.blame" in [v["rule_id"] for v in agent["violations"]]

    feedback = {"event_id": "e1", "turn_id": "t1", "action": "runner_up", "script_id": "account_frozen.zh"}
    stored = client.post("/v1/calls/c1/feedback", json=feedback, headers=auth())
    assert stored.status_code == 200 and stored.json()["new"] is True
    assert client.post("/v1/calls/c1/feedback", json=feedback, headers=auth()).json()["new"] is False

    summary = client.get("/v1/calls/c1", headers=auth()).json()
    assert [t["turn_id"] for t in summary["turns"]] == ["t1", "t2", "a1"]
    assert "13800000000" not in json.dumps(summary, ensure_ascii=False)


def test_bad_requests_are_clear_and_do_not_echo(assistant: Assistant, store_url: str) -> None:  # noqa: F811
    client = TestClient(create_app(assistant, rate_limit_per_minute=None, store=store_url))
    bad = client.post("/v1/calls/c1/turns", json={"turn_id": "t 1", "speaker": "customer", "text": "卡号6222"})
    assert bad.status_code == 422 and "6222" not in bad.text
    missing = client.post("/v1/calls/c1/feedback", json={"event_id": "e", "turn_id": "nope", "action": "used"})
    assert missing.status_code == 404
    unauthorised = TestClient(create_app(assistant, token=TOKEN, rate_limit_per_minute=None, store=store_url))
    assert unauthorised.post("/v1/calls/c1/turns", json={}).status_code == 401


def test_tickets() -> None:
    ticket = make_ticket(TOKEN, "c1", now=1000)
    assert ticket_valid(TOKEN, "c1", ticket, now=1001)
    assert not ticket_valid(TOKEN, "c2", ticket, now=1001)
    assert not ticket_valid(TOKEN, "c1", ticket, now=2000)
    assert not ticket_valid("x" * 32, "c1", ticket, now=1001)


@pytest.fixture
def served(assistant: Assistant, store_url: str) -> Iterator[tuple[str, str]]:  # noqa: F811
    with serving(create_app(assistant, token=TOKEN, rate_limit_per_minute=None, store=store_url)) as base:
        yield base, store_url


def read_events(response: Any, wanted: int) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    kind = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            events.append((kind, json.loads(line[6:])))
            if len(events) == wanted:
                break
    return events


def test_event_stream_needs_a_ticket_and_follows_turns_from_elsewhere(
        served: tuple[str, str], library_dir: Path) -> None:
    base, store = served
    with httpx.Client(base_url=base, timeout=20) as client:
        assert client.get("/calls/c9/events").status_code == 401
        ticket = client.post("/v1/calls/c9/ticket", headers=auth())
        assert ticket.status_code == 200
        assert TICKET_COOKIE in ticket.headers["set-cookie"] and "HttpOnly" in ticket.headers["set-cookie"]
        # turns replayed by another process into the same store reach this server's followers
        transcript = library_dir.parent / "call.jsonl"
        transcript.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in [
            {"speaker": "customer", "text": SCAM, "turn_id": "t1"},
            {"speaker": "agent", "text": "这是系统问题", "turn_id": "a1"},
        ]) + "\n", encoding="utf-8")
        import assist.cli.calls as calls_cli

        hashed = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
        original = calls_cli.load_assistant
        calls_cli.load_assistant = lambda *args, **kwargs: hashed  # the model is not the point here
        try:
            replayed = CliRunner().invoke(cli_app, ["replay", str(transcript), "--call", "c9"],
                                          env={"ASSIST_STORE": store})
        finally:
            calls_cli.load_assistant = original
        assert replayed.exit_code == 0, replayed.output
        assert "t1 customer: fraud_in_progress.zh [fraud_pinned]" in replayed.stdout
        with client.stream("GET", "/calls/c9/events") as response:
            assert response.status_code == 200
            events = read_events(response, 2)
    assert [k for k, _ in events] == ["suggestion", "check"]
    assert events[0][1]["alerts"][0]["code"] == "fraud_pinned"


def test_replay_refuses_a_bad_transcript(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"speaker": "customer", "text": "ok"}\n{"speaker": "robot", "text": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["replay", str(bad), "--call", "c"])
    assert result.exit_code == 3
    assert "bad.jsonl:2" in result.output


def test_stdio_call_methods(assistant: Assistant, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("ASSIST_STORE", store_url)
    lines = [
        {"id": 1, "method": "call_turn", "params": {"call_id": "s1", "turn_id": "t1", "speaker": "customer",
                                                   "text": SCAM}},
        {"id": 2, "method": "call_feedback", "params": {"call_id": "s1", "event_id": "e1", "turn_id": "t1",
                                                       "action": "used"}},
        {"id": 3, "method": "call_events", "params": {"call_id": "s1", "after": 0}},
        {"id": 4, "method": "call_turn", "params": {"turn_id": "t1"}},
    ]
    stdout = io.StringIO()
    serve_stdio(assistant, io.StringIO("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"), stdout)
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert answers[0]["result"]["alerts"][0]["code"] == "fraud_pinned"
    assert answers[1]["result"]["new"] is True
    assert [e["kind"] for e in answers[2]["result"]] == ["suggestion", "feedback"]
    assert "error" in answers[3]
