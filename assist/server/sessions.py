"""Call memory for the team server: the scenarios raised per ``session_id``, shared by all workers.

Consecutive requests of one call may land on different worker processes, so the
counts live in one SQLite file beside the server's other shared state (WAL, short
transactions) instead of in a process. Only scenario ids and counts are stored,
never what was said; an idle session expires after ``ttl_seconds`` and the least
recently used are dropped past ``max_sessions``. (The live-calls store replaces
this once it lands; the interface is three calls.)
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

_PRUNE_EVERY = 1000


class SharedSessions:
    def __init__(self, path: Path, *, max_sessions: int, ttl_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._max = max(1, max_sessions)
        self._ttl = ttl_seconds
        self._clock = clock
        self._local = threading.local()
        self._writes = 0
        db = self._db()
        db.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, last_used REAL)")
        db.execute("CREATE TABLE IF NOT EXISTS raised (id TEXT, scenario TEXT, count INTEGER, "
                   "PRIMARY KEY (id, scenario))")
        db.execute("CREATE INDEX IF NOT EXISTS sessions_by_use ON sessions(last_used)")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=10.0, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def record(self, session_id: str, scenario: str | None) -> tuple[int, dict[str, int]]:
        """Count ``scenario`` (None: only keep the session alive); return its count and all counts."""
        now = self._clock()
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT last_used FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is not None and now - row[0] >= self._ttl:
                db.execute("DELETE FROM raised WHERE id = ?", (session_id,))
            db.execute("INSERT INTO sessions(id, last_used) VALUES (?, ?) "
                       "ON CONFLICT(id) DO UPDATE SET last_used = excluded.last_used", (session_id, now))
            if scenario is not None:
                db.execute("INSERT INTO raised(id, scenario, count) VALUES (?, ?, 1) "
                           "ON CONFLICT(id, scenario) DO UPDATE SET count = count + 1", (session_id, scenario))
            raised = dict(db.execute("SELECT scenario, count FROM raised WHERE id = ?", (session_id,)).fetchall())
            self._writes += 1
            if self._writes % _PRUNE_EVERY == 0:
                self._prune(db, now)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return (raised.get(scenario, 0) if scenario else 0), raised

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        stale = "SELECT id FROM sessions WHERE last_used < ?1 OR id IN " \
                "(SELECT id FROM sessions ORDER BY last_used DESC LIMIT -1 OFFSET ?2)"
        db.execute(f"DELETE FROM raised WHERE id IN ({stale})", (now - self._ttl, self._max))
        db.execute(f"DELETE FROM sessions WHERE id IN ({stale})", (now - self._ttl, self._max))

    def __len__(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM sessions").fetchone()[0])
