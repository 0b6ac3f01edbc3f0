"""The build lock: one build of an index folder at a time.

Two builds of one folder used to run side by side, and one could delete the
other's half-written build folder while cleaning up, leaving a manifest that
named a build without ``dense.faiss``. A build now holds an exclusive lock on
``<index>/.build.lock`` for its whole length (embedding, writing, the manifest
swap and the clean-up of what dead builds left behind).

The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on
Windows), taken on an open file: the kernel drops it when its holder exits or
is killed, so a crashed build never leaves a lock to clear by hand, and the
lock file itself can stay. Who holds it (process id, host, command, since when)
is written beside it in ``.build.holder``, so a second build can say whom it is
waiting for. A second build waits up to :data:`DEFAULT_WAIT_SECONDS` (or
``$ASSIST_BUILD_WAIT``), saying so once, then gives up with an
:class:`~assist.errors.UnavailableError` (exit 6) naming the holder.

Readers take no lock: a build never changes the files a manifest names, it
writes a new build folder and swaps the manifest atomically.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assist.errors import UnavailableError

LOCK_FILE = ".build.lock"
HOLDER_FILE = ".build.holder"
WAIT_ENV = "ASSIST_BUILD_WAIT"
DEFAULT_WAIT_SECONDS = 600.0
"""How long a second build waits for the first: a build of the largest library the
limits allow (100,000 examples) takes minutes on a 2-core machine."""
POLL_SECONDS = 0.05

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def wait_seconds() -> float:
    """``$ASSIST_BUILD_WAIT`` when it is a number of seconds ≥ 0, else the default."""
    try:
        configured = float(os.environ.get(WAIT_ENV, ""))
    except ValueError:
        return DEFAULT_WAIT_SECONDS
    return configured if configured >= 0 else DEFAULT_WAIT_SECONDS


def holder(folder: Path) -> str:
    """Who holds the build lock of ``folder``, as far as its holder file says."""
    try:
        data = json.loads((folder / HOLDER_FILE).read_text(encoding="utf-8"))
        return (f"process {int(data['pid'])} on {data['host']} ({data['command']}), "
                f"building since {data['since']}")
    except (OSError, ValueError, TypeError, KeyError):
        return "another process"


@contextmanager
def build_lock(
    folder: Path, *, wait: float | None = None, emit: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold ``folder``'s build lock for the body; wait for another holder up to ``wait`` seconds
    (default :func:`wait_seconds`), telling ``emit`` once, then raise :class:`UnavailableError`.

    ``OSError`` (a folder that cannot be created or written) reaches the caller."""
    folder.mkdir(parents=True, exist_ok=True)
    limit = wait_seconds() if wait is None else wait
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            who = holder(folder)
            if emit is not None:
                emit(f"assist: another build of {folder} is running ({who}); waiting up to {limit:.0f} s ...")
            deadline = time.monotonic() + limit
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise UnavailableError(
                        f"the index in {folder} is being built by {holder(folder)}; waited {limit:.0f} s. "
                        f"Run the command again when that build has finished (set {WAIT_ENV} to wait longer)"
                    )
                time.sleep(POLL_SECONDS)
        try:
            _write_holder(folder)
            yield
        finally:
            (folder / HOLDER_FILE).unlink(missing_ok=True)
            _unlock(fd)
    finally:
        os.close(fd)


def _write_holder(folder: Path) -> None:
    # The program and its command word only: later arguments may hold customer text.
    words = [Path(sys.argv[0]).name] if sys.argv and sys.argv[0] else ["python"]
    words += [arg for arg in sys.argv[1:2] if arg.isascii() and arg.replace("-", "").isalpha()]
    command = " ".join(words)
    data = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (folder / HOLDER_FILE).write_text(json.dumps(data), encoding="utf-8")
