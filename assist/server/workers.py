"""The team server's processes: a supervisor and N workers on one listening socket.

The supervisor binds the port once and starts the workers (``spawn``, so none
inherits a half-initialised thread pool); the kernel spreads connections between
them. Each worker loads the library and index itself, memory-mapped from the
same index folder, read-only, and serves with uvicorn. What workers must agree
on lives in a state folder they share: rate-limit buckets and call memory (SQLite)
and the Prometheus values (multiprocess files).

Signals: SIGHUP reloads every worker's engine in place (:mod:`assist.server.engine`;
the admin call sends it too); SIGTERM or SIGINT stops the workers gracefully,
letting requests in flight finish. A worker that dies is started again.
"""

from __future__ import annotations

import logging
import logging.config
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from assist.errors import ServeError
from assist.server.batching import DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT_S
from assist.server.engine import STALE_CHECK_S
from assist.server.http import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    LOOPBACK_NAMES,
    MIN_TOKEN_CHARS,
    TOKEN_HINT,
    check_bind,
    create_app,
    is_loopback,
)
from assist.server.metrics import MULTIPROC_ENV
from assist.server.ratelimit import RateLimits

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant

log = logging.getLogger("assist.serve")
RESTART_BACKOFF_S = 1.0
STOP_GRACE_S = 30.0
KEEP_ALIVE_S = 75
"""How long an idle keep-alive connection stays open (uvicorn's default is 5 s). A client that
reuses a pooled connection just as the server closes it gets a failed request, so the server
keeps them longer than clients' pools usually do (nginx's default is the same 75 s)."""


@dataclass(frozen=True)
class ServerSettings:
    """Everything a worker needs, picklable for a spawned process."""

    host: str
    port: int
    library: str | None
    model: str | None
    index: str | None
    token: str | None
    admin_token: str | None
    json_logs: bool
    rate_limits: RateLimits
    batch_wait_s: float
    max_batch: int
    allowed_hosts: tuple[str, ...] | None
    workers: int
    state_dir: str = ""
    backlog: int = 2048


def default_workers() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def bind(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as error:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port} ({error.strerror}); pick another --port "
                         "or stop the process that holds it") from None
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def load_assistant(settings: ServerSettings) -> Assistant:
    from assist.lookup.assistant import Assistant

    return Assistant.load(library=settings.library, model=settings.model, index_dir=settings.index,
                          log=lambda message: log.info("%s", message))


def worker_main(settings: ServerSettings, sock: socket.socket, supervised: bool,
                assistant: Assistant | None = None) -> None:
    """One worker: serve ``assistant``, or load one on a thread once the port answers
    (``/v1/ready`` says when), until told to stop."""
    import uvicorn

    from assist.server.logs import logging_config

    logging.config.dictConfig(logging_config(settings.json_logs))

    def load() -> Assistant:
        return load_assistant(settings)

    supervisor = os.getppid()

    def reload_all() -> None:
        os.kill(supervisor, signal.SIGHUP)

    app = create_app(
        assistant, loader=load, token=settings.token, admin_token=settings.admin_token,
        rate_limits=settings.rate_limits, allowed_hosts=settings.allowed_hosts, state_dir=Path(settings.state_dir),
        batch_wait_s=settings.batch_wait_s, max_batch=settings.max_batch,
        request_reload=reload_all if supervised else None, stale_check_s=STALE_CHECK_S,
    )
    holder = app.state.holder
    signal.signal(signal.SIGHUP, lambda _sig, _frame: holder.reload_in_background())
    config = uvicorn.Config(app, log_config=None, access_log=False, server_header=False, lifespan="on",
                            timeout_graceful_shutdown=int(STOP_GRACE_S), timeout_keep_alive=KEEP_ALIVE_S)
    uvicorn.Server(config).run(sockets=[sock])


def _spawned(settings: ServerSettings, sock: socket.socket) -> None:
    worker_main(settings, sock, supervised=True)


def serve(settings: ServerSettings) -> None:
    """Run the server in the foreground until SIGTERM or SIGINT."""
    from assist.server.logs import logging_config

    logging.config.dictConfig(logging_config(settings.json_logs))
    # One BLAS thread per worker: throughput comes from batches and from workers, one per core;
    # a second BLAS thread only contends with the event loop and the other workers (measured:
    # a batch of 32 took 4x longer per lookup with 2 threads on a busy 2-core machine).
    os.environ.setdefault("ASSIST_BLAS_THREADS", "1")
    own_state = not settings.state_dir
    state = Path(settings.state_dir or tempfile.mkdtemp(prefix="assist-serve-"))
    settings = _with_state(settings, str(state))
    # Validate the library and build a missing or stale index once, here: a broken library
    # stops the command with its error, and N workers never race to build the same index.
    assistant: Assistant | None = load_assistant(settings)
    sock = bind(settings.host, settings.port, settings.backlog)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"assist: console on http://{shown}:{settings.port}/ (API under /v1, schema at /openapi.json; "
          f"{settings.workers} worker{'s' if settings.workers != 1 else ''}; reload: kill -HUP {os.getpid()})",
          file=sys.stderr)
    try:
        if settings.workers == 1:
            worker_main(settings, sock, supervised=False, assistant=assistant)
        else:
            assistant = None  # each worker loads its own (memory-mapped from the same files)
            Supervisor(settings, sock).run()
    finally:
        sock.close()
        if own_state:
            shutil.rmtree(state, ignore_errors=True)


def _with_state(settings: ServerSettings, state_dir: str) -> ServerSettings:
    from dataclasses import replace

    return replace(settings, state_dir=state_dir)


class Supervisor:
    def __init__(self, settings: ServerSettings, sock: socket.socket) -> None:
        self.settings = settings
        self.sock = sock
        self.stopping = False
        self.workers: list[BaseProcess] = []
        self._context = multiprocessing.get_context("spawn")

    def _start(self) -> BaseProcess:
        process = self._context.Process(target=_spawned, args=(self.settings, self.sock), daemon=False,
                                        name="assist-worker")
        process.start()
        return process

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _on_reload(self, _signum: int, _frame: FrameType | None) -> None:
        log.info("reload requested: reloading %d workers in place", len(self.workers))
        for process in self.workers:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGHUP)

    def run(self) -> None:
        metrics_dir = Path(self.settings.state_dir) / "metrics"
        metrics_dir.mkdir(parents=True, exist_ok=True)
        os.environ[MULTIPROC_ENV] = str(metrics_dir)  # read by each spawned worker's prometheus_client
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        self.workers = [self._start() for _ in range(self.settings.workers)]
        try:
            while not self.stopping:
                time.sleep(0.2)
                for position, process in enumerate(self.workers):
                    if process.is_alive() or self.stopping:
                        continue
                    from assist.server.metrics import mark_worker_dead

                    if process.pid is not None:
                        mark_worker_dead(process.pid)
                    log.error("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    time.sleep(RESTART_BACKOFF_S)
                    self.workers[position] = self._start()
        finally:
            self._stop_all()

    def _stop_all(self) -> None:
        for process in self.workers:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S + 5
        for process in self.workers:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)


def run(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    library: str | Path | None = None,
    model: str | Path | None = None,
    token: str | None = None,
    stdio: bool = False,
    *,
    index: str | Path | None = None,
    workers: int | None = None,
    admin_token: str | None = None,
    json_logs: bool = False,
    rate_limits: RateLimits | None = None,
    batch_wait_ms: float = DEFAULT_MAX_WAIT_S * 1000,
    max_batch: int = DEFAULT_MAX_BATCH,
    store: str | None = None,
) -> None:
    """Serve over HTTP with ``workers`` processes (default: the cores), or over stdin/stdout."""
    import sys

    if store:  # the call store, for every worker process: they read ASSIST_STORE (assist.calls.store)
        os.environ["ASSIST_STORE"] = store

    token = token or os.environ.get("ASSIST_TOKEN") or None
    admin_token = admin_token or os.environ.get("ASSIST_ADMIN_TOKEN") or None
    if stdio:
        from assist.lookup.assistant import Assistant
        from assist.server.stdio import serve_stdio

        serve_stdio(Assistant.load(library=library, model=model, index_dir=index), sys.stdin, sys.stdout)
        return
    check_bind(host, token)
    if admin_token is not None and len(admin_token) < MIN_TOKEN_CHARS:
        raise ServeError(f"the admin token is {len(admin_token)} characters; use at least {MIN_TOKEN_CHARS} "
                         f"(generate one with {TOKEN_HINT})")
    settings = ServerSettings(
        host=host, port=port, library=None if library is None else str(library),
        model=None if model is None else str(model), index=None if index is None else str(index),
        token=token, admin_token=admin_token, json_logs=json_logs,
        rate_limits=rate_limits or RateLimits(), batch_wait_s=batch_wait_ms / 1000, max_batch=max_batch,
        allowed_hosts=(*LOOPBACK_NAMES, host) if is_loopback(host) else None,
        workers=workers if workers and workers > 0 else default_workers(),
    )
    serve(settings)

