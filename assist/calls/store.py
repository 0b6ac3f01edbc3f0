"""The call store: calls, turns, feedback and the events a console follows, in SQLite or PostgreSQL.

One data-access layer (SQLAlchemy Core) over two databases:

* SQLite by default, a file in the user's data folder (:func:`default_store_url`), in WAL mode
  so readers never wait for the writer; every write transaction starts ``BEGIN IMMEDIATE``, so
  two processes never deadlock upgrading a read lock.
* PostgreSQL for a team server (``postgresql://…``, driven by psycopg 3), shared by every
  worker of every server process.

The schema is versioned: :data:`MIGRATIONS` is an ordered list, the ``schema_version`` table
records what was applied, and :func:`migrate` applies the rest in one transaction under a lock
(PostgreSQL advisory lock, SQLite's write lock), so workers starting together migrate once.

Privacy: the store never sees raw customer text. Callers hand it redacted text only
(:mod:`assist.calls.memory` redacts before calling), and a customer key is kept as an HMAC
whose secret is generated once per database and stored in it (:meth:`CallStore.customer_hash`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from assist.errors import InputError, UnavailableError

STORE_ENV = "ASSIST_STORE"
SQLITE_BUSY_MS = 30_000

metadata = sa.MetaData()

meta = sa.Table(
    "store_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", sa.Float, nullable=False),
)
calls = sa.Table(
    "calls", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("customer_hash", sa.String(64), nullable=True),
    sa.Column("started_at", sa.Float, nullable=False),
)
turns = sa.Table(
    "turns", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_id", sa.String(64), sa.ForeignKey("calls.id"), nullable=False),
    sa.Column("turn_id", sa.String(64), nullable=False),
    sa.Column("speaker", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # redacted
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("top_script", sa.String(128), nullable=True),
    sa.Column("top_scenario", sa.String(128), nullable=True),
    sa.Column("abstained", sa.Boolean, nullable=True),
    sa.Column("pinned_by", sa.String(128), nullable=True),
    sa.Column("candidates", sa.Text, nullable=True),  # JSON: [[script_id, scenario, score], ...]
    sa.Column("result", sa.Text, nullable=False),  # JSON: the response, replayed for a retried turn
    sa.UniqueConstraint("call_id", "turn_id", name="uq_turns_call_turn"),
)
call_scenarios = sa.Table(
    "call_scenarios", metadata,
    sa.Column("call_id", sa.String(64), sa.ForeignKey("calls.id"), primary_key=True),
    sa.Column("scenario", sa.String(128), primary_key=True),
    sa.Column("customer_hash", sa.String(64), nullable=True),
    sa.Column("raised_at", sa.Float, nullable=False),
)
feedback = sa.Table(
    "feedback", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_id", sa.String(64), sa.ForeignKey("calls.id"), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("turn_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("script_id", sa.String(128), nullable=True),
    sa.Column("scenario", sa.String(128), nullable=True),
    sa.Column("final_text", sa.Text, nullable=True),  # redacted
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("call_id", "event_id", name="uq_feedback_call_event"),
)
events = sa.Table(
    "events", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


def _v1(conn: Connection) -> None:
    """The first schema: every table, created from the definitions above as they were."""
    for table in (meta, calls, turns, call_scenarios, feedback, events):
        table.create(conn)
    conn.execute(meta.insert().values(key="customer_secret", value=secrets.token_hex(32)))


def _v2(conn: Connection) -> None:
    """Indexes for the two hot reads: a customer's earlier calls, and a call's events."""
    for statement in (
        "CREATE INDEX ix_call_scenarios_customer ON call_scenarios (customer_hash, scenario, raised_at)",
        "CREATE INDEX ix_events_call ON events (call_id, seq)",
        "CREATE INDEX ix_feedback_call ON feedback (call_id)",
    ):
        conn.exec_driver_sql(statement)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "calls, turns, scenarios raised, feedback, events", _v1),
    Migration(2, "indexes for repeated contact and event streams", _v2),
)
LATEST = MIGRATIONS[-1].version


def default_store_url() -> str:
    """``ASSIST_STORE`` if set, else a SQLite file in the user's data folder."""
    configured = os.environ.get(STORE_ENV)
    if configured:
        return configured
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'assist' / 'calls.db'}"


def engine_for(url: str) -> Engine:
    """An engine for a store URL: ``sqlite:///PATH`` or ``postgresql://…`` (psycopg 3)."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("postgresql+psycopg://"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path in ("", ":memory:"):
            raise InputError("the call store must be a file: use sqlite:///PATH (a memory database "
                             "would be lost on restart and not shared by workers)")
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(f"sqlite:///{Path(path).expanduser()}",
                                  connect_args={"timeout": SQLITE_BUSY_MS / 1000})
        _sqlite_transactions(engine)
        return engine
    shown = url.split("://", 1)[0]
    raise InputError(f"unsupported store {shown + '://…'!r}: use sqlite:///PATH or postgresql://USER@HOST/DB")


def _sqlite_transactions(engine: Engine) -> None:
    """WAL mode, and explicit transactions: ``BEGIN IMMEDIATE`` for writes, plain ``BEGIN`` for reads.

    pysqlite's own transaction handling starts transactions late and never takes the
    write lock up front; two writers then each hold a read lock and one fails with
    "database is locked" on upgrade instead of waiting.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        set_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get("assist_read", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def set_wal(cursor: Any, wait_s: float = SQLITE_BUSY_MS / 1000) -> None:
    """Switch the database to WAL, retrying while another connection holds it locked.

    The switch needs an exclusive lock, and SQLite reports "database is locked" at once instead of
    calling the busy handler: workers opening a new store together failed about one start in
    three (tests/test_calls_store.py). Any other error, or a lock held past ``wait_s``, is raised."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:  # sqlite3.OperationalError; the DB-API module is not imported here
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def applied_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return int(conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0)


def migrate(engine: Engine) -> int:
    """Apply the migrations not yet applied, in order, in one transaction; the version reached."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(2323)"))
        current = applied_version(conn)
        if current > LATEST:
            raise UnavailableError(
                f"the call store is at schema version {current}, newer than this assist ({LATEST}); "
                "upgrade assist, or point --store at another database")
        if current == 0:
            schema_version.create(conn, checkfirst=True)
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            migration.apply(conn)
            conn.execute(schema_version.insert().values(
                version=migration.version, description=migration.description, applied_at=time.time()))
            current = migration.version
    return current


@dataclass(frozen=True)
class TurnRow:
    call_id: str
    turn_id: str
    seq: int
    speaker: str
    text: str
    created_at: float
    top_script: str | None
    top_scenario: str | None
    abstained: bool | None
    pinned_by: str | None
    candidates: list[tuple[str, str, float]]
    result: dict[str, Any]


@dataclass(frozen=True)
class FeedbackRow:
    call_id: str
    event_id: str
    turn_id: str
    action: str
    script_id: str | None
    scenario: str | None
    final_text: str | None
    created_at: float


@dataclass(frozen=True)
class EventRow:
    seq: int
    call_id: str
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class NewTurn:
    """A turn to store, already redacted, with what was suggested for it."""

    call_id: str
    turn_id: str
    speaker: str
    text: str
    customer_hash: str | None
    result: dict[str, Any]
    top_script: str | None = None
    top_scenario: str | None = None
    abstained: bool | None = None
    pinned_by: str | None = None
    candidates: tuple[tuple[str, str, float], ...] = ()
    raised: tuple[str, ...] = ()
    """Scenarios this turn raises for the call (recorded once per call)."""


class CallStore:
    """Every read and write of calls, turns, feedback and events."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_store_url()
        self.engine = engine_for(self.url)
        try:
            self.version = migrate(self.engine)
        except OperationalError as error:
            raise UnavailableError(self._unreachable(error)) from None
        with self._read() as conn:
            secret = conn.execute(sa.select(meta.c.value).where(meta.c.key == "customer_secret")).scalar_one()
        self._secret = bytes.fromhex(secret)

    def _unreachable(self, error: OperationalError) -> str:
        kind = "PostgreSQL" if self.engine.dialect.name == "postgresql" else "SQLite"
        reason = type(error.orig).__name__ if error.orig is not None else "error"
        return f"the call store ({kind}) is unreachable ({reason}); check --store / {STORE_ENV}"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(assist_read=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as error:
            raise UnavailableError(self._unreachable(error)) from None

    def customer_hash(self, key: str) -> str:
        """The stored form of a customer key: HMAC-SHA256 under this database's own secret."""
        return hmac.new(self._secret, key.strip().encode(), hashlib.sha256).hexdigest()

    # ----- turns -------------------------------------------------------------------------
    def turn(self, call_id: str, turn_id: str) -> TurnRow | None:
        with self._read() as conn:
            row = conn.execute(sa.select(turns).where(
                turns.c.call_id == call_id, turns.c.turn_id == turn_id)).first()
        return None if row is None else _turn_row(row)

    def add_turn(self, new: NewTurn, event_kind: str) -> tuple[TurnRow, bool]:
        """Store a turn, the scenarios it raised and its event, all or nothing.

        Returns the stored turn and whether it is new; a turn id already stored in the
        call (a client's retry) stores nothing and returns the first turn as it was.
        """
        now = time.time()
        try:
            with self._write() as conn:
                self._ensure_call(conn, new.call_id, new.customer_hash, now)
                inserted = conn.execute(turns.insert().values(
                    call_id=new.call_id, turn_id=new.turn_id, speaker=new.speaker, text=new.text,
                    created_at=now, top_script=new.top_script, top_scenario=new.top_scenario,
                    abstained=new.abstained, pinned_by=new.pinned_by,
                    candidates=json.dumps([list(c) for c in new.candidates], ensure_ascii=False),
                    result=json.dumps(new.result, ensure_ascii=False),
                )).inserted_primary_key
                assert inserted is not None
                seq = inserted[0]
                customer = self._call_customer(conn, new.call_id)
                for scenario in new.raised:
                    exists = conn.execute(sa.select(call_scenarios.c.scenario).where(
                        call_scenarios.c.call_id == new.call_id, call_scenarios.c.scenario == scenario)).first()
                    if exists is None:
                        self._insert_scenario(conn, new.call_id, scenario, customer, now)
                payload = {**new.result, "turn_id": new.turn_id, "speaker": new.speaker}
                conn.execute(events.insert().values(call_id=new.call_id, kind=event_kind,
                                                    payload=json.dumps(payload, ensure_ascii=False),
                                                    created_at=now))
        except IntegrityError:
            stored = self.turn(new.call_id, new.turn_id)
            if stored is None:
                raise
            return stored, False
        return TurnRow(new.call_id, new.turn_id, int(seq), new.speaker, new.text, now, new.top_script,
                       new.top_scenario, new.abstained, new.pinned_by, list(new.candidates), new.result), True

    def _insert_scenario(self, conn: Connection, call_id: str, scenario: str, customer: str | None,
                         now: float) -> None:
        """Record a scenario for a call once; a concurrent turn of the same call may win the race."""
        try:
            with conn.begin_nested():
                conn.execute(call_scenarios.insert().values(
                    call_id=call_id, scenario=scenario, customer_hash=customer, raised_at=now))
        except IntegrityError:
            pass

    def _ensure_call(self, conn: Connection, call_id: str, customer_hash: str | None, now: float) -> None:
        row = conn.execute(sa.select(calls.c.customer_hash).where(calls.c.id == call_id)).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(calls.insert().values(id=call_id, customer_hash=customer_hash, started_at=now))
            except IntegrityError:
                row = conn.execute(sa.select(calls.c.customer_hash).where(calls.c.id == call_id)).first()
        if row is not None and customer_hash is not None and row.customer_hash is None:
            conn.execute(calls.update().where(calls.c.id == call_id).values(customer_hash=customer_hash))
            conn.execute(call_scenarios.update().where(call_scenarios.c.call_id == call_id)
                         .values(customer_hash=customer_hash))

    def _call_customer(self, conn: Connection, call_id: str) -> str | None:
        return conn.execute(sa.select(calls.c.customer_hash).where(calls.c.id == call_id)).scalar()

    def call_customer(self, call_id: str) -> str | None:
        with self._read() as conn:
            return self._call_customer(conn, call_id)

    def call_exists(self, call_id: str) -> bool:
        with self._read() as conn:
            return conn.execute(sa.select(calls.c.id).where(calls.c.id == call_id)).first() is not None

    def turns(self, call_id: str, speaker: str | None = None, limit: int | None = None) -> list[TurnRow]:
        """A call's turns in arrival order (the last ``limit`` of them if given)."""
        query = sa.select(turns).where(turns.c.call_id == call_id)
        if speaker is not None:
            query = query.where(turns.c.speaker == speaker)
        query = query.order_by(turns.c.seq.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_turn_row(r) for r in reversed(rows)]

    def call_scenarios(self, call_id: str) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(sa.select(call_scenarios.c.scenario)
                                     .where(call_scenarios.c.call_id == call_id)
                                     .order_by(call_scenarios.c.raised_at)).scalars())

    def earlier_calls_with(self, customer_hash: str, scenario: str, call_id: str, since: float) -> int:
        """How many other calls of this customer raised ``scenario`` at or after ``since``."""
        with self._read() as conn:
            return int(conn.execute(
                sa.select(sa.func.count(sa.distinct(call_scenarios.c.call_id))).where(
                    call_scenarios.c.customer_hash == customer_hash,
                    call_scenarios.c.scenario == scenario,
                    call_scenarios.c.call_id != call_id,
                    call_scenarios.c.raised_at >= since,
                )).scalar() or 0)

    # ----- feedback ----------------------------------------------------------------------
    def add_feedback(self, row: FeedbackRow, payload: dict[str, Any]) -> tuple[FeedbackRow, bool]:
        """Store one feedback event and its console event; a repeated event id stores nothing."""
        try:
            with self._write() as conn:
                conn.execute(feedback.insert().values(
                    call_id=row.call_id, event_id=row.event_id, turn_id=row.turn_id, action=row.action,
                    script_id=row.script_id, scenario=row.scenario, final_text=row.final_text,
                    created_at=row.created_at))
                conn.execute(events.insert().values(call_id=row.call_id, kind="feedback",
                                                    payload=json.dumps(payload, ensure_ascii=False),
                                                    created_at=row.created_at))
        except IntegrityError:
            with self._read() as conn:
                stored = conn.execute(sa.select(feedback).where(
                    feedback.c.call_id == row.call_id, feedback.c.event_id == row.event_id)).first()
            if stored is None:
                raise
            return _feedback_row(stored), False
        return row, True

    def feedback(self, since: float | None = None) -> list[tuple[FeedbackRow, TurnRow]]:
        """Every feedback event with the turn it is about, oldest first."""
        query = sa.select(feedback, turns).join(turns, sa.and_(
            turns.c.call_id == feedback.c.call_id, turns.c.turn_id == feedback.c.turn_id))
        if since is not None:
            query = query.where(feedback.c.created_at >= since)
        query = query.order_by(feedback.c.seq)
        with self._read() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            m = row._mapping
            out.append((
                FeedbackRow(m[feedback.c.call_id], m[feedback.c.event_id], m[feedback.c.turn_id],
                            m[feedback.c.action], m[feedback.c.script_id], m[feedback.c.scenario],
                            m[feedback.c.final_text], m[feedback.c.created_at]),
                _turn_mapping(m),
            ))
        return out

    def turn_suggestions(self) -> list[TurnRow]:
        """Every customer turn (for acceptance rates: suggestions shown)."""
        with self._read() as conn:
            rows = conn.execute(sa.select(turns).where(turns.c.speaker == "customer")
                                .order_by(turns.c.seq)).all()
        return [_turn_row(r) for r in rows]

    # ----- events -----------------------------------------------------------------------
    def events_after(self, call_id: str, after: int, limit: int = 100) -> list[EventRow]:
        with self._read() as conn:
            rows = conn.execute(sa.select(events).where(events.c.call_id == call_id, events.c.seq > after)
                                .order_by(events.c.seq).limit(limit)).all()
        return [EventRow(int(r.seq), r.call_id, r.kind, json.loads(r.payload)) for r in rows]

    def counts(self) -> dict[str, int]:
        """Rows per table, for checks and the load run."""
        with self._read() as conn:
            return {table.name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)
                    for table in (calls, turns, feedback, events, call_scenarios)}


def _turn_row(row: Any) -> TurnRow:
    return _turn_mapping(row._mapping)


def _turn_mapping(m: Any) -> TurnRow:
    candidates = json.loads(m[turns.c.candidates] or "[]")
    return TurnRow(
        call_id=m[turns.c.call_id], turn_id=m[turns.c.turn_id], seq=int(m[turns.c.seq]),
        speaker=m[turns.c.speaker], text=m[turns.c.text], created_at=float(m[turns.c.created_at]),
        top_script=m[turns.c.top_script], top_scenario=m[turns.c.top_scenario],
        abstained=m[turns.c.abstained], pinned_by=m[turns.c.pinned_by],
        candidates=[(str(c[0]), str(c[1]), float(c[2])) for c in candidates],
        result=json.loads(m[turns.c.result]),
    )


def _feedback_row(row: Any) -> FeedbackRow:
    return FeedbackRow(row.call_id, row.event_id, row.turn_id, row.action, row.script_id, row.scenario,
                       row.final_text, float(row.created_at))
