"""Load check of ``assist serve``: many concurrent clients on loopback against /v1/suggest.

    python bench/load_serve.py [--requests 2000] [--concurrency 200]

Starts one server process (uvicorn, 127.0.0.1, a free port) with the real
shipped library and the default model, then sends a bounded number of requests
from ``--concurrency`` httpx clients in this process. Prints the machine,
p50/p90/p99 latency, throughput and the error count. Client and server share
the machine's cores, so the figures are a conservative bound. The rate limit is
off: every client here is 127.0.0.1 and would share one bucket.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assist.lookup.assistant import Assistant

WARMUP_REQUESTS = 20
REQUEST_TIMEOUT_S = 30.0
OVERALL_TIMEOUT_S = 600.0


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def machine() -> str:
    """Cores, CPU model and RAM, read from /proc where available."""
    model = platform.processor() or platform.machine()
    ram = "unknown RAM"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (f"{os.cpu_count()} cores ({usable} usable), {model}, {ram}; load average {load}; "
            f"Python {platform.python_version()} on {platform.system()} {platform.release()}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER_CODE = """
import sys, uvicorn
from assist.lookup.assistant import Assistant
from assist.server.http import create_app
library, model, port = sys.argv[1] or None, sys.argv[2] or None, int(sys.argv[3])
app = create_app(Assistant.load(library=library, model=model, log=lambda _: None), rate_limit_per_minute=None)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, backlog=1024)
"""


def start_server(library: str | None, model: str | None) -> tuple[subprocess.Popen[bytes], str]:
    """The server in its own process, as in production: the load generator must not
    share its interpreter (and GIL) with the server it measures."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER_CODE, library or "", model or "", str(port)])
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server process exited during start-up")
        try:
            if httpx.get(f"{base_url}/v1/health", timeout=1).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not answer /v1/health within 60 s")


def utterances(assistant: Assistant, count: int, seed: int = 0) -> list[str]:
    """Real customer examples from the shipped library, sampled with a fixed seed."""
    pool = [example for script in assistant.library.active_scripts for example in script.examples]
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(count)]


async def worker(client: httpx.AsyncClient, queue: asyncio.Queue[str], results: Results) -> None:
    while True:
        try:
            text = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        started = time.perf_counter()
        try:
            response = await client.post("/v1/suggest", json={"utterance": text, "top_k": 3})
        except httpx.HTTPError as error:
            results.error(type(error).__name__)
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code == 200 and response.json().get("candidates") is not None:
            results.latencies_ms.append(elapsed)
        else:
            results.error(f"HTTP {response.status_code}")


def sequential(base_url: str, texts: list[str]) -> list[float]:
    """Latency of requests sent one at a time by a single client (no queueing)."""
    timings = []
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        for text in texts:
            started = time.perf_counter()
            client.post("/v1/suggest", json={"utterance": text, "top_k": 3}).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


async def load(base_url: str, texts: list[str], concurrency: int) -> tuple[Results, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(REQUEST_TIMEOUT_S)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        for text in texts[:WARMUP_REQUESTS]:
            await client.post("/v1/suggest", json={"utterance": text})
        queue: asyncio.Queue[str] = asyncio.Queue()
        for text in texts:
            queue.put_nowait(text)
        results = Results()
        started = time.perf_counter()
        workers = [worker(client, queue, results) for _ in range(concurrency)]
        await asyncio.wait_for(asyncio.gather(*workers), timeout=OVERALL_TIMEOUT_S)
        return results, time.perf_counter() - started


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def report(results: Results, wall_s: float, requests: int, concurrency: int) -> None:
    values = sorted(results.latencies_ms)
    errors = sum(results.errors.values())
    print(f"requests:     {requests} POST /v1/suggest, {concurrency} concurrent clients, loopback")
    print(f"completed:    {len(values)} ok, {errors} errors"
          + (f" {results.errors}" if errors else ""))
    print(f"wall time:    {wall_s:.2f} s  ({len(values) / wall_s:.0f} requests/s)")
    if values:
        p50, p90, p99 = (percentile(values, q) for q in (0.50, 0.90, 0.99))
        print(f"latency ms:   p50 {p50:.1f}  p90 {p90:.1f}  p99 {p99:.1f}  max {values[-1]:.1f}  "
              f"mean {statistics.fmean(values):.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--library", default=None, help="library folder (default: shipped)")
    parser.add_argument("--model", default=None, help="model folder (default: embedded)")
    args = parser.parse_args(argv)
    requests = max(1, min(args.requests, 100_000))
    concurrency = max(1, min(args.concurrency, 1000))

    print(f"machine:      {machine()}")
    started = time.perf_counter()
    assistant = Assistant.load(library=args.library, model=args.model)
    print(f"loaded:       {len(assistant.library.active_scripts)} scripts, model "
          f"{assistant.model_id}, in {time.perf_counter() - started:.1f} s")
    process, base_url = start_server(args.library, args.model)
    print(f"server:       uvicorn {uvicorn.__version__}, one server process, {base_url}")
    try:
        texts = utterances(assistant, requests)
        alone = sequential(base_url, texts[:200])
        print(f"one client:   200 requests one at a time, p50 {percentile(alone, 0.5):.1f} ms, "
              f"p99 {percentile(alone, 0.99):.1f} ms")
        results, wall_s = asyncio.run(load(base_url, texts, concurrency))
    finally:
        process.terminate()
        process.wait(timeout=10)
    report(results, wall_s, requests, concurrency)
    return 1 if results.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
