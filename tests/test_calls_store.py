"""The call store on SQLite and PostgreSQL: migrations, WAL, idempotency, concurrent writers."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from calls_db import store_url  # noqa: F401  (fixture)

from assist.calls import store as store_module
from assist.calls.store import LATEST, MIGRATIONS, CallStore, NewTurn, default_store_url, engine_for, migrate, set_wal
from assist.errors import InputError, UnavailableError


def test_fresh_store_is_at_the_latest_version(store_url: str) -> None:  # noqa: F811
    store = CallStore(store_url)
    assert store.version == LATEST == MIGRATIONS[-1].version
    with store.engine.connect() as conn:
        versions = list(conn.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).scalars())
    assert versions == [m.version for m in MIGRATIONS]


def test_an_older_store_is_upgraded_in_place(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])
    monkeypatch.setattr(store_module, "LATEST", 1)
    old = CallStore(store_url)
    assert old.version == 1
    old.add_turn(NewTurn("c", "t", "customer", "x", None, {"k": 1}, raised=("s",)), "suggestion")
    old.close()
    monkeypatch.undo()
    new = CallStore(store_url)
    assert new.version == LATEST
    assert new.turn("c", "t") is not None
    indexes = {ix["name"] for ix in sa.inspect(new.engine).get_indexes("call_scenarios")}
    assert "ix_call_scenarios_customer" in indexes


def test_a_newer_store_is_refused(store_url: str) -> None:  # noqa: F811
    CallStore(store_url).close()
    engine = engine_for(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO schema_version (version, description, applied_at) "
                             "VALUES (99, 'future', 0)"))
    with pytest.raises(UnavailableError, match="newer than this assist"):
        migrate(engine)


def test_sqlite_is_in_wal_mode_in_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSIST_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = default_store_url()
    assert url == f"sqlite:///{tmp_path / 'assist' / 'calls.db'}"
    store = CallStore(url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert (tmp_path / "assist" / "calls.db").is_file()


def test_bad_store_urls_are_refused() -> None:
    with pytest.raises(InputError, match="sqlite:///PATH"):
        engine_for("mysql://x@y/z")
    with pytest.raises(InputError, match="must be a file"):
        engine_for("sqlite:///:memory:")


def test_unreachable_postgres_is_unavailable() -> None:
    with pytest.raises(UnavailableError, match="unreachable"):
        CallStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_concurrent_writers_store_each_turn_once(store_url: str) -> None:  # noqa: F811
    stores = [CallStore(store_url) for _ in range(2)]
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            store = stores[worker % 2]
            for n in range(25):
                # every turn is sent by two workers: a retry racing the original
                store.add_turn(NewTurn(f"c{n % 5}", f"t{n}", "customer", "x", None, {"n": n},
                                       raised=(f"s{n % 3}",)), "suggestion")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    counts = stores[0].counts()
    assert counts["turns"] == 25 and counts["events"] == 25 and counts["calls"] == 5
    assert counts["call_scenarios"] == 15


def test_workers_starting_together_migrate_once(store_url: str) -> None:  # noqa: F811
    stores: list[CallStore] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            stores.append(CallStore(store_url))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert {s.version for s in stores} == {LATEST}
    assert len({s.customer_hash("k") for s in stores}) == 1  # one secret, made once
    with stores[0].engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM schema_version")).scalar() == len(MIGRATIONS)


class _LockedCursor:
    """A cursor whose WAL switch is refused as locked ``locked`` times, then succeeds."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.locked, self.message, self.calls = locked, message, 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.calls <= self.locked:
            raise sqlite3.OperationalError(self.message)


def test_the_wal_switch_waits_out_a_lock_and_raises_anything_else() -> None:
    cursor = _LockedCursor(locked=3)
    set_wal(cursor)
    assert cursor.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        set_wal(_LockedCursor(locked=10**6), wait_s=0.05)
    other = _LockedCursor(locked=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        set_wal(other)
    assert other.calls == 1
