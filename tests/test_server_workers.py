"""``assist serve --workers 2`` as deployed: real processes on one port, on loopback.

One server is started for the module (a small library, the quick static model, so
its index builds in seconds) and checked from outside: both workers answer, a
call's memory and the rate limits hold across them, /metrics adds them up, and a
SIGHUP or the admin call reloads every worker while requests keep flowing, with
no request failing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import write_library

ADMIN = "admin-token-for-tests-0123"
FROZEN = "我的卡被冻结了，钱取不出来"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh(url: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request on a new connection, so the kernel may hand it to either worker."""
    with httpx.Client(base_url=url, timeout=30) as client:
        return client.request(method, path, **kwargs)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("workers")
    library = write_library(root / "lib")
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSIST_ADMIN_TOKEN": ADMIN}
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "assist", "serve", "--port", str(port), "--workers", "2", "--library", str(library),
         "--model", "usem3-static", "--rate-limit-agent", "20", "--json-logs"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    pids: set[int] = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(pids) < 2:
        if process.poll() is not None:
            pytest.fail("the server exited: " + (root / "server.log").read_text()[-3000:])
        try:
            ready = fresh(url, "GET", "/v1/ready")
            if ready.status_code == 200:
                pids.add(ready.json()["pid"])
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    if len(pids) < 2:
        process.kill()
        pytest.fail("two workers did not become ready: " + (root / "server.log").read_text()[-3000:])
    yield {"url": url, "process": process, "pids": pids, "log": root / "server.log"}
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()


def test_two_workers_answer_on_one_port(server: dict[str, Any]) -> None:
    assert len(server["pids"]) == 2 and server["process"].pid not in server["pids"]
    body = fresh(server["url"], "POST", "/v1/suggest", json={"utterance": FROZEN}).json()
    assert body["candidates"][0]["scenario"] == "account_frozen"


def test_call_memory_holds_across_workers(server: dict[str, Any]) -> None:
    counts = []
    for _ in range(4):
        response = fresh(server["url"], "POST", "/v1/suggest", json={"utterance": FROZEN, "session_id": "call-x"})
        counts.append(response.json()["raised"].get("account_frozen"))
    assert counts == [1, 2, 3, 4]


def test_rate_limit_counts_across_workers(server: dict[str, Any]) -> None:
    codes = [fresh(server["url"], "GET", "/v1/health", headers={"X-Agent-Id": "busy-agent"}).status_code
             for _ in range(24)]
    assert codes.count(200) == 20 and codes[-1] == 429, codes


def test_metrics_add_up_both_workers(server: dict[str, Any]) -> None:
    before = suggest_count(server["url"])
    for _ in range(10):
        assert fresh(server["url"], "POST", "/v1/suggest", json={"utterance": FROZEN}).status_code == 200
    assert suggest_count(server["url"]) == before + 10


def suggest_count(url: str) -> float:
    text = fresh(url, "GET", "/metrics").text
    line = next((ln for ln in text.splitlines()
                 if ln.startswith('assist_requests_total{endpoint="/v1/suggest",status="200"}')), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


def test_reload_under_load_fails_no_request(server: dict[str, Any]) -> None:
    url = server["url"]
    failures: list[str] = []
    done = threading.Event()
    answered = [0]

    def load() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not done.is_set():
                try:
                    response = client.post("/v1/suggest", json={"utterance": FROZEN})
                    if response.status_code != 200:
                        failures.append(str(response.status_code))
                    answered[0] += 1
                except httpx.HTTPError as error:
                    failures.append(type(error).__name__)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    server["process"].send_signal(signal.SIGHUP)
    time.sleep(0.5)
    refused = fresh(url, "POST", "/v1/admin/reload", headers={"X-Assist-Admin": "wrong"})
    accepted = fresh(url, "POST", "/v1/admin/reload", headers={"X-Assist-Admin": ADMIN})
    deadline = time.monotonic() + 90
    reloads: dict[int, int] = {}
    while time.monotonic() < deadline and (len(reloads) < 2 or min(reloads.values()) < 2):
        ready = fresh(url, "GET", "/v1/ready").json()
        reloads[ready["pid"]] = ready["reloads"]
        time.sleep(0.2)
    done.set()
    for thread in threads:
        thread.join(30)
    assert refused.status_code == 403 and accepted.status_code == 202
    assert len(reloads) == 2 and min(reloads.values()) >= 2, reloads
    assert failures == [] and answered[0] > 20
    records = [json.loads(line) for line in server["log"].read_text().splitlines() if line.startswith("{")]
    assert sum("reloaded" in r["message"] for r in records) >= 4
