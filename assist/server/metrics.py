"""Prometheus metrics of the team server (``GET /metrics``), summed across its workers.

Counts and timings only, never any text: labels are endpoint templates, HTTP
statuses, rule ids and compliance categories from the loaded rule pack, never a
path a client typed, an utterance or a draft.

With several workers, prometheus_client's multiprocess mode is used: the supervisor
sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts, each worker writes its
values into files there, and whichever worker answers ``/metrics`` adds them all up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
ENDPOINTS = ("/v1/suggest", "/v1/check", "/v1/health", "/v1/ready", "/v1/scenarios", "/v1/admin/reload",
             "/metrics", "/", "/openapi.json")
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


def endpoint_of(path: str) -> str:
    """The endpoint template a path belongs to; anything unknown is ``other`` (bounded labels)."""
    if path in ENDPOINTS:
        return path
    if path.startswith("/v1/scripts/"):
        return "/v1/scripts/{script_id}"
    if path.startswith("/static/"):
        return "/static"
    return "other"


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class Metrics:
    """The server's metrics in a registry of their own (several apps may live in one test process)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("assist_requests", "HTTP requests answered", ["endpoint", "status"], registry=r)
        self.latency = Histogram("assist_request_seconds", "Time to answer a request", ["endpoint"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.suggestions = Counter("assist_suggestions", "Suggestions returned", registry=r)
        self.abstentions = Counter("assist_abstentions", "Suggestions that abstained (no script close enough)",
                                   registry=r)
        self.pins = Counter("assist_pins", "Suggestions whose top script a rule pinned", ["rule"], registry=r)
        self.findings = Counter("assist_check_findings", "Violations found in agents' drafts",
                                ["category", "severity"], registry=r)
        self.batch_size = Histogram("assist_batch_size", "Lookups answered by one suggest_many call",
                                    buckets=BATCH_BUCKETS, registry=r)
        self.rate_limited = Counter("assist_rate_limited", "Requests refused by a rate limit", ["limit"], registry=r)
        self.reloads = Counter("assist_reloads", "Engine reloads", ["result"], registry=r)
        self.engine_loaded = Gauge("assist_engine_loaded_timestamp_seconds",
                                   "When this worker's engine was loaded", registry=r, multiprocess_mode="max")

    def observe_request(self, path: str, status: int, seconds: float) -> None:
        endpoint = endpoint_of(path)
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def observe_suggestion(self, abstained: bool, pinned_by: str | None) -> None:
        self.suggestions.inc()
        if abstained:
            self.abstentions.inc()
        if pinned_by:
            self.pins.labels(pinned_by).inc()

    def observe_findings(self, findings: Iterable[tuple[str, str]]) -> None:
        for category, severity in findings:
            self.findings.labels(category, severity).inc()

    def exposition(self) -> bytes:
        """The text format of every worker's values (multiprocess) or this process's."""
        if multiprocess_mode():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return bytes(generate_latest(registry))
        return bytes(generate_latest(self.registry))


def mark_worker_dead(pid: int) -> None:
    """Drop a finished worker's live gauges from the shared files (called by the supervisor)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)
