"""Load run of live calls: concurrent calls streaming turns into ``/v1/calls``, a server crash
and restart in the middle, clients retrying whatever was not acknowledged.

    python bench/load_calls.py [--calls 200] [--turns 10] [--store sqlite:///PATH | --postgres]

One server process on a free loopback port (the real shipped library and default model,
rate limit off: every client here is 127.0.0.1). ``--calls`` clients run at once, each one
call of ``--turns`` turns (customer and agent alternating, customer keys from a pool so
repeated contact is exercised) and one feedback event after its first suggestion. When half
the turns are acknowledged the server is killed (SIGKILL, so some turns are stored but not
acknowledged) and started again on the same port; clients retry with the same turn and
event ids until acknowledged. At the end the store must hold every turn and feedback event
exactly once: the counts equal what was sent, or the run exits 1.

Printed: per-turn latency of the acknowledged attempt (p50, p90, p99), per-turn latency
including retries across the restart, throughput, and the counts. Client and server share
the machine's cores, so the figures are a conservative bound. Bounded: every request times
out after 30 s and a client gives up after 200 attempts; the run stops after 20 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CUSTOMER_LINES = [
    "我的银行卡被冻结了，钱取不出来",
    "为什么我的转账还没有到账",
    "信用卡额度能不能提高一点",
    "手机银行一直登录不上去",
    "我想提前还一部分房贷",
]
AGENT_LINES = ["您好，我马上为您核实。", "这是系统问题，我也没办法。", "请您提供一下验证码。"]
RUN_LIMIT_S = 20 * 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(port: int, store: str) -> None:
    """The server process: the shipped library, the default model, calls stored in ``store``."""
    import uvicorn

    from assist.lookup.assistant import Assistant
    from assist.server.http import create_app

    app = create_app(Assistant.load(log=lambda _: None), rate_limit_per_minute=None, store=store)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(port: int, store: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--store", store])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start within 180 s")


class Run:
    def __init__(self, base: str, calls: int, turns: int) -> None:
        self.base = base
        self.calls = calls
        self.turns = turns
        self.acknowledged = 0
        self.feedback_acknowledged = 0
        self.attempt_ms: list[float] = []
        self.total_ms: list[float] = []
        self.retries = 0
        self.half = asyncio.Event()

    async def post(self, client: httpx.AsyncClient, path: str, body: dict[str, object]) -> float:
        """POST until acknowledged; the milliseconds of the acknowledged attempt."""
        for attempt in range(200):
            started = time.perf_counter()
            try:
                response = await client.post(self.base + path, json=body, timeout=30)
                if response.status_code == 200:
                    return (time.perf_counter() - started) * 1000
                if response.status_code < 500 and response.status_code != 429:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
            except httpx.HTTPError:
                pass
            self.retries += 1
            await asyncio.sleep(min(2.0, 0.05 * (attempt + 1)))
        raise SystemExit(f"{path}: not acknowledged after 200 attempts")

    async def call(self, client: httpx.AsyncClient, number: int) -> None:
        call_id = f"load-{number}"
        customer = f"customer-{number % 50}"
        for turn in range(self.turns):
            speaker = "customer" if turn % 2 == 0 else "agent"
            lines = CUSTOMER_LINES if speaker == "customer" else AGENT_LINES
            body = {"turn_id": f"t{turn}", "speaker": speaker, "text": lines[(number + turn) % len(lines)],
                    "customer": customer}
            started = time.perf_counter()
            self.attempt_ms.append(await self.post(client, f"/v1/calls/{call_id}/turns", body))
            self.total_ms.append((time.perf_counter() - started) * 1000)
            self.acknowledged += 1
            if self.acknowledged * 2 >= self.calls * self.turns:
                self.half.set()
            if turn == 0:
                await self.post(client, f"/v1/calls/{call_id}/feedback",
                                {"event_id": "f1", "turn_id": "t0", "action": "used"})
                self.feedback_acknowledged += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def drive(args: argparse.Namespace, port: int, store: str) -> tuple[Run, float, subprocess.Popen[bytes]]:
    server = start_server(port, store)
    run = Run(f"http://127.0.0.1:{port}", args.calls, args.turns)
    limits = httpx.Limits(max_connections=args.calls, max_keepalive_connections=args.calls)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits) as client:
        tasks = [asyncio.create_task(run.call(client, n)) for n in range(args.calls)]
        await asyncio.wait_for(run.half.wait(), RUN_LIMIT_S)
        server.send_signal(signal.SIGKILL)
        server.wait()
        print(f"server killed after {run.acknowledged} acknowledged turns; restarting", file=sys.stderr)
        server = await asyncio.to_thread(start_server, port, store)
        await asyncio.wait_for(asyncio.gather(*tasks), RUN_LIMIT_S)
    return run, time.perf_counter() - started, server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--store", default=None)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL (Debian's package)")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.store)
        return 0
    store = args.store
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from calls_db import new_postgres_database

        store = new_postgres_database()
    if store is None:
        store = f"sqlite:///{Path(tempfile.mkdtemp(prefix='assist-load-')) / 'calls.db'}"
    port = free_port()
    run, elapsed, server = asyncio.run(drive(args, port, store))
    server.terminate()
    server.wait(timeout=30)

    from assist.calls.store import CallStore

    counts = CallStore(store).counts()
    sent_turns, sent_feedback = args.calls * args.turns, args.calls
    print(f"machine: {os.cpu_count()} cores; store: {store.split('://', 1)[0]}; "
          f"{args.calls} concurrent calls x {args.turns} turns, one server kill + restart")
    print(f"turns: sent {sent_turns}, stored {counts['turns']}; feedback: sent {sent_feedback}, "
          f"stored {counts['feedback']}; events {counts['events']}; retries {run.retries}")
    print(f"per turn (acknowledged attempt): p50 {percentile(run.attempt_ms, 0.5):.0f} ms, "
          f"p90 {percentile(run.attempt_ms, 0.9):.0f} ms, p99 {percentile(run.attempt_ms, 0.99):.0f} ms")
    print(f"per turn (with retries across the restart): p50 {percentile(run.total_ms, 0.5):.0f} ms, "
          f"p99 {percentile(run.total_ms, 0.99):.0f} ms; {sent_turns / elapsed:.0f} turns/s over {elapsed:.0f} s")
    exact = counts["turns"] == sent_turns and counts["feedback"] == sent_feedback \
        and counts["events"] == sent_turns + sent_feedback
    print("exactly once: " + ("yes" if exact else "NO"))
    if args.postgres:
        from calls_db import stop_postgres

        stop_postgres()
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
