"""Rate limits keyed by agent or by token and address, counted in one SQLite file across processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assist.lookup.assistant import Assistant
from assist.server.http import create_app
from assist.server.ratelimit import RateLimits, SharedRateLimiter, rate_key
from tests.conftest import HashEncoder, write_library


@pytest.fixture(scope="module")
def assistant_small(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    library = write_library(tmp_path_factory.mktemp("ratelimit") / "lib")
    return Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_prefer_the_agent_then_token_and_address() -> None:
    assert rate_key("10.0.0.5", "Bearer t", "agent-42") == ("agent", "agent:agent-42")
    kind, key = rate_key("10.0.0.5", "Bearer t", None)
    assert kind == "client" and key.endswith("@10.0.0.5") and "Bearer" not in key
    assert rate_key("10.0.0.5", "Bearer u", None)[1] != key, "two tokens at one address are two clients"
    assert rate_key("10.0.0.5", "", "bad id with spaces")[0] == "client"


def test_defaults_let_a_cti_gateway_send_300_requests_a_second(tmp_path: Path) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(tmp_path / "rl.sqlite", RateLimits(), clock=clock)
    refused = 0
    for _ in range(10 * 300):  # ten seconds at 300/s, one host, one token, no agent id
        clock.now += 1 / 300
        refused += not limiter.take("10.1.1.1", "Bearer floor-token", None).allowed
    assert refused == 0


def test_agents_behind_one_address_have_their_own_allowance(tmp_path: Path) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(tmp_path / "rl.sqlite", RateLimits(agent_per_minute=5), clock=clock)
    first = [limiter.take("10.9.9.9", "", "a1").allowed for _ in range(6)]
    assert first == [True] * 5 + [False]
    assert limiter.take("10.9.9.9", "", "a2").allowed, "another agent on the same VDI address is not throttled"
    refused = limiter.take("10.9.9.9", "", "a1")
    assert not refused.allowed and refused.kind == "agent" and 0 < refused.retry_after_s <= 12
    clock.now += 12
    assert limiter.take("10.9.9.9", "", "a1").allowed


def _hammer(path: str, count: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    limiter = SharedRateLimiter(Path(path), RateLimits(agent_per_minute=50, client_per_minute=50),
                                clock=lambda: 5000.0)
    results.put(sum(limiter.take("127.0.0.1", "", "shared-agent").allowed for _ in range(count)))


def test_limits_count_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "rl.sqlite"
    SharedRateLimiter(path, RateLimits())
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_hammer, args=(str(path), 40, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    allowed = sum(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(30)
    assert allowed == 50, "three processes together get the one allowance of 50, not 3 x 50"


def test_http_limit_by_agent_header(tmp_path: Path, assistant_small: Assistant) -> None:
    app = create_app(assistant_small, rate_limits=RateLimits(agent_per_minute=2, client_per_minute=0),
                     state_dir=tmp_path)
    with TestClient(app) as client:
        codes = [client.get("/v1/health", headers={"X-Agent-Id": "a1"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = client.get("/v1/health", headers={"X-Agent-Id": "a1"})
        assert "this agent" in limited.json()["error"]["message"]
        assert client.get("/v1/health", headers={"X-Agent-Id": "a2"}).status_code == 200
        assert all(client.get("/v1/health").status_code == 200 for _ in range(5)), "client limit is off"
        metrics = client.get("/metrics").text
        assert 'assist_rate_limited_total{limit="agent"} 2.0' in metrics
