"""The two databases the call store runs on, for tests: a SQLite file and a real PostgreSQL.

PostgreSQL comes from Debian's ``postgresql`` package (``make setup`` installs it). One
server per test process is started on a free loopback port in a temporary folder
(initdb + pg_ctl; as root, as the ``postgres`` user, since initdb refuses root) and
stopped at exit; each test gets a database of its own. Without the binaries the
PostgreSQL tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_SERVER: dict[str, str] = {}
_STOP: list[Callable[[], None]] = []


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: list[str], user: str | None) -> None:
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")


def postgres_admin_url() -> str:
    """The URL of this process's PostgreSQL server (started on first use), as its superuser."""
    if "url" in _SERVER:
        return _SERVER["url"]
    binaries = _pg_bin()
    if binaries is None:
        message = "PostgreSQL is not installed (apt-get install -y postgresql; make setup does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="assist-pg-"))
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data, port = folder / "data", _free_port()
    _run([str(binaries / "initdb"), "-D", str(data), "-U", "assist", "--auth=trust", "-E", "UTF8",
          "--locale=C"], user)
    _run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60",
          "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=300", "start"], user)

    def stop() -> None:
        try:
            _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    _STOP.append(stop)
    _SERVER["url"] = f"postgresql://assist@127.0.0.1:{port}"
    return _SERVER["url"]


def stop_postgres() -> None:
    """Stop this process's PostgreSQL server now (otherwise it stops at exit)."""
    while _STOP:
        stop = _STOP.pop()
        atexit.unregister(stop)
        stop()
    _SERVER.clear()


def new_postgres_database() -> str:
    import sqlalchemy as sa

    admin = postgres_admin_url()
    name = "t_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(admin.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return f"{admin}/{name}"


def store_url_for(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'calls.db'}"
    return new_postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL on each of the two databases."""
    yield store_url_for(request.param, tmp_path)
