"""Rate limits for the team server, counted across all its worker processes.

A floor's traffic does not come one agent per address: agents behind one VDI or NAT
address share it, and a CTI gateway sends a whole floor's lookups from one host.
So a request is counted against

* its agent, when it names one (``X-Agent-Id``): the agent limit;
* otherwise its client, the bearer token it sent (hashed) with its address: the
  client limit, sized for a CTI gateway (300 requests/s must pass untouched).

Buckets live in one SQLite file shared by the workers (WAL, one atomic statement per
request), so N workers do not grant N times the limit. Each limit is set by a flag
or an environment variable (``assist serve --help``); 0 turns it off.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

AGENT_HEADER = "x-agent-id"
DEFAULT_AGENT_PER_MINUTE = 1200
"""One agent: live suggestions as they type plus draft checks stay under ~5 a second; bursts allowed."""
DEFAULT_CLIENT_PER_MINUTE = 60_000
"""One token at one address without an agent id (a CTI gateway for a floor): 1,000 a second."""
_AGENT_ID = re.compile(r"^[A-Za-z0-9_.@:-]{1,64}$")
_FORGET_AFTER_S = 3600.0


@dataclass(frozen=True)
class RateLimits:
    """Requests per minute for one agent and for one client without an agent id (0: off)."""

    agent_per_minute: int = DEFAULT_AGENT_PER_MINUTE
    client_per_minute: int = DEFAULT_CLIENT_PER_MINUTE

    @property
    def active(self) -> bool:
        return self.agent_per_minute > 0 or self.client_per_minute > 0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: float
    kind: str  # "agent" or "client": which limit counted this request


def rate_key(client_ip: str, authorization: str, agent_id: str | None) -> tuple[str, str]:
    """(kind, key) of a request: its agent when it names a valid one, else token + address.

    The token is hashed: the table never holds a secret. An agent id that is not a
    short plain identifier is ignored (it would let a client mint buckets at will).
    """
    if agent_id and _AGENT_ID.match(agent_id):
        return "agent", f"agent:{agent_id}"
    token = hashlib.sha256(authorization.encode()).hexdigest()[:16] if authorization else "-"
    return "client", f"client:{token}@{client_ip}"


class SharedRateLimiter:
    """Token buckets in a SQLite file; safe to use from several processes at once."""

    def __init__(self, path: Path, limits: RateLimits, *, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self._path = path
        self._clock = clock
        self._local = threading.local()
        self._calls = 0
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL, stamp REAL)")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, timeout=5.0, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        return db

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def take(self, client_ip: str, authorization: str, agent_id: str | None) -> Verdict:
        """Count one request; say whether it may pass and, if not, when to retry."""
        kind, key = rate_key(client_ip, authorization, agent_id)
        per_minute = self.limits.agent_per_minute if kind == "agent" else self.limits.client_per_minute
        if per_minute <= 0:
            return Verdict(True, 0.0, kind)
        capacity, rate, now = float(per_minute), per_minute / 60.0, self._clock()
        db = self._db()
        # One statement, so it is atomic across processes: refill, then take a token only if one is there.
        row = db.execute(
            "INSERT INTO buckets(key, tokens, stamp) VALUES (?1, ?2 - 1, ?4) "
            "ON CONFLICT(key) DO UPDATE SET tokens = min(?2, tokens + (?4 - stamp) * ?3) - 1, stamp = ?4 "
            "WHERE min(?2, tokens + (?4 - stamp) * ?3) >= 1 RETURNING tokens",
            (key, capacity, rate, now),
        ).fetchone()
        self._calls += 1
        if self._calls % 10_000 == 0:
            db.execute("DELETE FROM buckets WHERE stamp < ?", (now - _FORGET_AFTER_S,))
        if row is not None:
            return Verdict(True, 0.0, kind)
        current = db.execute("SELECT tokens, stamp FROM buckets WHERE key = ?", (key,)).fetchone()
        tokens = min(capacity, current[0] + (now - current[1]) * rate) if current else 0.0
        return Verdict(False, max(0.0, (1.0 - tokens) / rate), kind)
