"""Load check of ``assist serve`` on loopback: closed-loop and open-loop, 1 worker and N, a reload.

    python bench/load_serve.py [--seconds 30] [--clients 200] [--rate 300] [--workers N]
                               [--queries ../shared/eval/utterances_dev.jsonl] [--baseline a68e1c6^]
                               [--warmup 5]

Each server runs in its own processes (``python -m assist serve``), never in this
one, on 127.0.0.1 and a free port. The client is an asyncio HTTP/1.1 client written
here (keep-alive connections, a few microseconds per request), so it takes as little
as possible of the cores it shares with the server. For each server it reports:

* closed loop: ``--clients`` connections each sending the next request as soon as
  the last is answered, for ``--seconds``: first POST /v1/suggest (with GET
  /v1/health probed alongside at 20/s, to show liveness under load), then GET
  /v1/health alone;
* for the N-worker server, the closed loop on /v1/suggest again with a SIGHUP reload
  at a third of the run and an admin reload at two thirds: the failed requests;
* open loop: POST /v1/suggest offered at ``--rate`` requests/s on a fixed schedule
  (latency counted from the scheduled send, so queueing shows), with the server's
  default rate limits on and no agent id, as a CTI gateway would send.

``--baseline REV`` also measures the single-engine server of an earlier commit
(closed loop only), extracted with ``git archive`` into a temporary folder, so one
sitting states both (the single-engine server before the team server: ``a68e1c6^``).
Every server, the baseline too, is first warmed for ``--warmup`` seconds (50 clients,
not counted): a lookup of wording the model has not seen yet costs several times a
warm one, and the first seconds of a fresh process are not its throughput. Queries
are the utterances of ``--queries`` (JSON lines with a ``text`` field), cycled.
Everything is bounded: requests time out after 30 s and each phase stops at its
deadline. The last lines sum up issue 21's targets against what was measured.

The client costs about 0.1 ms of CPU per request (measured from this process's CPU
time; the server spends about ten times that per lookup), and it shares the cores
with the servers it measures, the baseline's as much as the new one's.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_QUERIES = REPO.parent / "shared" / "eval" / "utterances_dev.jsonl"
ADMIN = "bench-admin-token-0123456789"
REQUEST_TIMEOUT_S = 30.0
HEALTH_PROBE_PER_S = 20
IDLE_CONNECTION_S = 4.0
WARMUP_CLIENTS = 50
TARGET_P99_MS = 150.0
TARGET_RATIO = 3.0


# ----- a small HTTP/1.1 client -----------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; requests are sent one at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = time.perf_counter()

    def expired(self) -> bool:
        """Idle long enough that the server may be closing it (uvicorn's default keep-alive is 5 s,
        the baseline's): a pooled connection is not reused then, as HTTP clients' pools do."""
        return time.perf_counter() - self.last_used > IDLE_CONNECTION_S

    async def request(self, method: str, path: str, body: bytes | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: keep-alive"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        try:
            await self.writer.drain()
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionError("connection closed by the server")
            status = int(status_line.split()[1])
            length, close = 0, False
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            payload = await self.reader.readexactly(length) if length else b""
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        self.last_used = time.perf_counter()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def line(self, label: str) -> str:
        values = sorted(self.latencies_ms)
        errors = sum(self.errors.values())
        wall = max(1e-9, self.ended - self.started)
        if not values:
            return f"{label:<34} no answers, {errors} errors {self.errors}"
        p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
        shown = f" {self.errors}" if errors else ""
        return (f"{label:<34} {len(values) / wall:8.0f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                f"max {values[-1]:7.1f} ms  {len(values):6d} ok  {errors} errors{shown}")


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def timed(connection: Connection, tally: Tally, method: str, path: str, body: bytes | None,
                since: float | None = None, headers: dict[str, str] | None = None) -> None:
    started = since if since is not None else time.perf_counter()
    try:
        status, _ = await asyncio.wait_for(connection.request(method, path, body, headers), REQUEST_TIMEOUT_S)
    except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
        tally.error(type(error).__name__)
        return
    if status == 200:
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
    else:
        tally.error(f"HTTP {status}")


def suggest_bodies(queries: list[str]) -> Iterator[bytes]:
    while True:
        for text in queries:
            yield json.dumps({"utterance": text, "top_k": 3}, ensure_ascii=False).encode()


async def closed_loop(port: int, path: str, queries: list[str], clients: int, seconds: float,
                      probe: bool, events: Sequence[tuple[float, Callable[[], object]]] = ()
                      ) -> tuple[Tally, Tally]:
    """``clients`` connections, each sending its next request when the last is answered;
    each of ``events`` (seconds after the start, action) runs on a thread meanwhile."""
    tally, probes = Tally(), Tally()
    bodies = suggest_bodies(queries)
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        connection = Connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            body = next(bodies) if path == "/v1/suggest" else None
            await timed(connection, tally, "POST" if body else "GET", path, body)
        connection.close()

    async def prober() -> None:
        connection = Connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            await timed(connection, probes, "GET", "/v1/health", None)
            await asyncio.sleep(1 / HEALTH_PROBE_PER_S)
        connection.close()

    async def fire(at: float, action: Callable[[], object]) -> None:
        await asyncio.sleep(at)
        await asyncio.to_thread(action)

    tally.started = probes.started = time.perf_counter()
    tasks = [client() for _ in range(clients)] + ([prober()] if probe else [])
    tasks += [fire(at, action) for at, action in events]
    await asyncio.wait_for(asyncio.gather(*tasks), seconds + REQUEST_TIMEOUT_S + 10)
    tally.ended = probes.ended = time.perf_counter()
    return tally, probes


async def open_loop(port: int, queries: list[str], rate: float, seconds: float) -> tuple[Tally, Tally]:
    """Requests sent on a fixed schedule whatever the answers; latency from the scheduled time."""
    tally, probes = Tally(), Tally()
    bodies = suggest_bodies(queries)
    idle: list[Connection] = []
    pending: set[asyncio.Task[None]] = set()

    async def one(scheduled: float) -> None:
        while idle and idle[-1].expired():
            idle.pop().close()
        connection = idle.pop() if idle else Connection("127.0.0.1", port)
        await timed(connection, tally, "POST", "/v1/suggest", next(bodies), since=scheduled)
        idle.append(connection)

    async def prober(deadline: float) -> None:
        connection = Connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            await timed(connection, probes, "GET", "/v1/health", None)
            await asyncio.sleep(1 / HEALTH_PROBE_PER_S)
        connection.close()

    start = time.perf_counter()
    tally.started = probes.started = start
    probe_task = asyncio.ensure_future(prober(start + seconds))
    total = int(rate * seconds)
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(scheduled))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), REQUEST_TIMEOUT_S + 10)
    await probe_task
    tally.ended = probes.ended = time.perf_counter()
    for connection in idle:
        connection.close()
    return tally, probes


# ----- servers in their own processes ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(process: subprocess.Popen[bytes], port: int, path: str, timeout: float = 300) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited during start-up (code {process.returncode})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the server did not answer {path} within {timeout:.0f} s")


def start_current(workers: int, rate_limited: bool) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    args = [sys.executable, "-m", "assist", "serve", "--port", str(port), "--workers", str(workers),
            "--admin-token", ADMIN]
    if not rate_limited:
        args += ["--rate-limit-agent", "0", "--rate-limit-client", "0"]
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(process, port, "/v1/ready")
    if workers > 1:  # every worker, not just the first, must have loaded
        time.sleep(3)
    return process, port


BASELINE_SERVER = """
import sys, uvicorn
from assist.lookup.assistant import Assistant
from assist.server.http import create_app
app = create_app(Assistant.load(log=lambda _: None), rate_limit_per_minute=None)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False, backlog=2048)
"""


def start_baseline(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(folder)}
    process = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER, str(port)], cwd=folder, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(process, port, "/v1/health")
    return process, port


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def admin_reload(port: int) -> None:
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/admin/reload", method="POST",
                                     headers={"X-Assist-Admin": ADMIN})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def reload_count(port: int, tries: int = 20) -> dict[int, int]:
    """Reloads per worker pid, from /v1/ready on fresh connections."""
    import urllib.request

    seen: dict[int, int] = {}
    for _ in range(tries):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/ready", timeout=10) as response:
            body = json.loads(response.read())
        seen[body["pid"]] = body["reloads"]
    return seen


# ----- the run -----------------------------------------------------------------------------------


def machine() -> str:
    model, ram = platform.machine(), "unknown RAM"
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
        ram = f"{kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{usable} usable cores, {model}, {ram}; load average {load} at start; "
            f"Python {platform.python_version()}")


def load_queries(path: Path) -> list[str]:
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise SystemExit(f"{path} has no queries (JSON lines with a 'text' field)")
    return texts


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of a process and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid in stats:
            total += (int(stats[pid][11]) + int(stats[pid][12])) / os.sysconf("SC_CLK_TCK")
        stack += children.get(pid, [])
    return total


@dataclass
class Figures:
    """What one server measured, for the summary."""

    suggest_per_s: float = 0.0
    health_during: Tally | None = None
    open_loop: Tally | None = None


def warm(label: str, port: int, queries: list[str], args: argparse.Namespace) -> None:
    if args.warmup <= 0:
        return
    tally, _ = asyncio.run(closed_loop(port, "/v1/suggest", queries, WARMUP_CLIENTS, args.warmup, False))
    print(f"{label} warm-up: {len(tally.latencies_ms)} lookups in {args.warmup:.0f} s with {WARMUP_CLIENTS} "
          f"clients, not counted", flush=True)


def measure_closed(label: str, port: int, queries: list[str], args: argparse.Namespace, pid: int) -> Figures:
    warm(label, port, queries, args)
    cpu, own = tree_cpu_seconds(pid), os.times()
    suggest, probes = asyncio.run(closed_loop(port, "/v1/suggest", queries, args.clients, args.seconds, True))
    cpu, after = tree_cpu_seconds(pid) - cpu, os.times()
    client_cpu = (after.user + after.system) - (own.user + own.system)
    answered = len(suggest.latencies_ms) + len(probes.latencies_ms)
    sent = answered + sum(suggest.errors.values()) + sum(probes.errors.values())
    print(suggest.line(f"{label} suggest, {args.clients} clients"))
    print(f"{label}   server CPU: {cpu:.1f} s for {answered} requests, {1000 * cpu / max(1, answered):.2f} ms "
          f"each (load-independent: {answered / max(cpu, 1e-9):.0f} requests per CPU-second); "
          f"this client: {1000 * client_cpu / max(1, sent):.2f} ms each")
    print(probes.line(f"{label}   health probes during it"))
    health, _ = asyncio.run(closed_loop(port, "/v1/health", queries, args.clients, args.seconds, False))
    print(health.line(f"{label} health, {args.clients} clients"), flush=True)
    wall = max(1e-9, suggest.ended - suggest.started)
    return Figures(len(suggest.latencies_ms) / wall, probes)


def reload_under_load(label: str, process: subprocess.Popen[bytes], port: int, queries: list[str],
                      args: argparse.Namespace) -> tuple[int, bool]:
    """Closed-loop /v1/suggest with a SIGHUP at 1/3 of the run and an admin reload at 2/3: the failed
    requests, and whether every worker had reloaded twice by the end."""
    before = reload_count(port)
    events = [(args.seconds / 3, functools.partial(process.send_signal, signal.SIGHUP)),
              (2 * args.seconds / 3, functools.partial(admin_reload, port))]
    suggest, _ = asyncio.run(closed_loop(port, "/v1/suggest", queries, args.clients, args.seconds, False, events))
    time.sleep(2)
    after = reload_count(port)
    print(suggest.line(f"{label} suggest, 2 reloads during it"))
    print(f"{label} reloads per worker pid: before {before}, after {after}; "
          f"failed requests: {sum(suggest.errors.values())}", flush=True)
    if not all(after.get(pid, 0) >= count + 2 for pid, count in before.items()):
        print(f"{label} WARNING: the reloads had not finished when the run ended, so this run did not measure "
              "them; a library edited since its index was built is re-indexed by a reload first (rerun on a "
              "checkout whose library and index agree)", flush=True)
        return sum(suggest.errors.values()), False
    return sum(suggest.errors.values()), True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=300.0, help="open-loop requests/s")
    parser.add_argument("--workers", type=int, default=0, help="N for the N-worker server (0: the cores)")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--baseline", default=None,
                        help="git revision, or extracted source folder, of a server to compare (closed loop); "
                             "the single-engine server before the team server is a68e1c6^")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of unmeasured load before each server")
    args = parser.parse_args(argv)
    args.seconds = max(1.0, min(args.seconds, 120.0))
    args.clients = max(1, min(args.clients, 1000))
    args.rate = max(1.0, min(args.rate, 5000.0))
    args.warmup = max(0.0, min(args.warmup, 60.0))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = args.workers or cores
    queries = load_queries(args.queries)
    print(f"machine:  {machine()}")
    print(f"queries:  {len(queries)} utterances from {args.queries.name}, cycled; loopback; client: asyncio, "
          f"this process; each phase {args.seconds:.0f} s", flush=True)
    failed = 0
    figures: dict[str, Figures] = {}
    reload: tuple[int, bool] | None = None
    if args.baseline and Path(args.baseline).is_dir():  # an extracted tree of an earlier commit
        process, port = start_baseline(Path(args.baseline).resolve())
        try:
            figures["baseline"] = measure_closed("[baseline 1 engine]", port, queries, args, process.pid)
        finally:
            stop(process)
    elif args.baseline:
        with tempfile.TemporaryDirectory(prefix="assist-baseline-") as folder:
            archive = subprocess.run(["git", "archive", args.baseline], cwd=REPO, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
            revision = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=REPO,
                                      capture_output=True, text=True, check=True).stdout.strip()
            process, port = start_baseline(Path(folder))
            try:
                figures["baseline"] = measure_closed(f"[{revision} 1 engine]", port, queries, args, process.pid)
            finally:
                stop(process)
    for workers in sorted({1, n}):
        label = f"[{workers} worker{'s' if workers > 1 else ''}]"
        process, port = start_current(workers, rate_limited=False)
        try:
            figures[str(workers)] = measure_closed(label, port, queries, args, process.pid)
            if workers == n and n > 1:
                reload = reload_under_load(label, process, port, queries, args)
                failed += reload[0] + (0 if reload[1] else 1)
        finally:
            stop(process)
        process, port = start_current(workers, rate_limited=True)
        try:
            warm(label, port, queries, args)
            suggest, probes = asyncio.run(open_loop(port, queries, args.rate, args.seconds))
            print(suggest.line(f"{label} open loop {args.rate:.0f}/s, default limits"))
            print(probes.line(f"{label}   health probes during it"), flush=True)
            failed += sum(suggest.errors.values())
            figures[str(workers)].open_loop = suggest
        finally:
            stop(process)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    summary(figures, reload, args)
    return 1 if failed else 0


def summary(figures: dict[str, Figures], reload: tuple[int, bool] | None, args: argparse.Namespace) -> None:
    """Issue 21's targets beside what this run measured."""
    print("\nsummary (issue 21's targets):")
    base = figures.get("baseline")
    for key, measured in figures.items():
        if key == "baseline":
            continue
        who = f"{key} worker{'s' if key != '1' else ''}"
        ratio = (f"{measured.suggest_per_s / base.suggest_per_s:.2f}x the baseline's "
                 f"{base.suggest_per_s:.0f} req/s" if base and base.suggest_per_s else "no baseline (--baseline REV)")
        print(f"  {who}: closed loop {measured.suggest_per_s:.0f} req/s = {ratio} (target >= {TARGET_RATIO:g}x)")
        if measured.health_during is not None and measured.health_during.latencies_ms:
            values = sorted(measured.health_during.latencies_ms)
            print(f"  {who}: /v1/health during it p50 {percentile(values, 0.5):.1f} ms, "
                  f"p99 {percentile(values, 0.99):.1f} ms")
        tally = measured.open_loop
        if tally is not None:
            values = sorted(tally.latencies_ms)
            p99 = percentile(values, 0.99) if values else float("inf")
            print(f"  {who}: open loop {args.rate:.0f}/s p99 {p99:.1f} ms, {sum(tally.errors.values())} errors "
                  f"(target p99 <= {TARGET_P99_MS:g} ms, 0 errors)")
    if base is not None and base.health_during is not None and base.health_during.latencies_ms:
        values = sorted(base.health_during.latencies_ms)
        print(f"  baseline: /v1/health during its closed loop p50 {percentile(values, 0.5):.1f} ms, "
              f"p99 {percentile(values, 0.99):.1f} ms")
    if reload is not None and reload[1]:
        print(f"  reload (SIGHUP + admin call) during the closed loop: {reload[0]} failed requests (target 0)")
    elif reload is not None:
        print(f"  reload (SIGHUP + admin call): NOT MEASURED, the reloads did not finish during the run "
              f"({reload[0]} failed requests meanwhile)")


if __name__ == "__main__":
    raise SystemExit(main())
