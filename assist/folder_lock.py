"""Folder locks: one build of an index folder, one training of a compliance signal, at a time.

Two builds of one folder used to run side by side, and one could delete the
other's half-written build folder while cleaning up, leaving a manifest that
named a build without ``dense.faiss``. A build now holds an exclusive lock on
``<index>/.build.lock`` for its whole length (embedding, writing, the manifest
swap and the clean-up of what dead builds left behind).

The semantic compliance signal had the same hole: every process that found the
cache empty trained the same signal (about 9 GB of memory for the shipped
pack), so a team server's workers or parallel jobs starting on one machine
trained it N times side by side, until the kernel killed them. Training now
holds ``<cache>/semantic/.training.lock``; a second process waits, then reads
what the first wrote (:func:`assist.compliance.semantic.build_signal`).

The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on
Windows), taken on an open file: the kernel drops it when its holder exits or
is killed, so a crashed holder never leaves a lock to clear by hand, and the
lock file itself can stay. Who holds it (process id, host, command, since when)
is written beside it (``.build.holder``, ``.training.holder``), so a second
process can say whom it is waiting for. It waits up to the job's default (or
``$ASSIST_BUILD_WAIT``), saying so once, then gives up with an
:class:`~assist.errors.UnavailableError` (exit 6) naming the holder.

Readers take no lock: a build never changes the files a manifest names, it
writes a new build folder and swaps the manifest atomically; a signal is
written to the cache sealed and whole.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assist.errors import UnavailableError

WAIT_ENV = "ASSIST_BUILD_WAIT"


@dataclass(frozen=True)
class LockedJob:
    """A job that one process at a time does to a folder."""

    name: str
    """Names the lock and holder files (``.<name>.lock``) and the job in messages."""
    doing: str
    """What the holder is doing, as the holder line says it ("building since ...")."""
    subject: str
    """What the folder holds, for the error of a process that gave up waiting."""
    default_wait: float
    """Seconds a second process waits for the holder when ``$ASSIST_BUILD_WAIT`` is not set."""

    @property
    def lock_file(self) -> str:
        return f".{self.name}.lock"

    @property
    def holder_file(self) -> str:
        return f".{self.name}.holder"


BUILD = LockedJob("build", "building", "the index", 600.0)
"""A build of an index folder: the largest library the limits allow (100,000 examples) takes
minutes on a 2-core machine."""
TRAINING = LockedJob("training", "training", "the compliance signal", 1800.0)
"""A training of the semantic compliance signal: the shipped pack's takes about five minutes on a
quiet 2-core machine, longer on a busy one, and waiting is far cheaper than training twice."""
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


def wait_seconds(job: LockedJob = BUILD) -> float:
    """``$ASSIST_BUILD_WAIT`` when it is a number of seconds ≥ 0, else the job's default."""
    try:
        configured = float(os.environ.get(WAIT_ENV, ""))
    except ValueError:
        return job.default_wait
    return configured if configured >= 0 else job.default_wait


def holder(folder: Path, job: LockedJob = BUILD) -> str:
    """Who holds ``job``'s lock of ``folder``, as far as its holder file says."""
    try:
        data = json.loads((folder / job.holder_file).read_text(encoding="utf-8"))
        return (f"process {int(data['pid'])} on {data['host']} ({data['command']}), "
                f"{job.doing} since {data['since']}")
    except (OSError, ValueError, TypeError, KeyError):
        return "another process"


@contextmanager
def folder_lock(
    folder: Path, job: LockedJob = BUILD, *, wait: float | None = None, emit: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold ``folder``'s lock for ``job`` for the body; wait for another holder up to ``wait``
    seconds (default :func:`wait_seconds`), telling ``emit`` once, then raise :class:`UnavailableError`.

    ``OSError`` (a folder that cannot be created or written) reaches the caller."""
    folder.mkdir(parents=True, exist_ok=True)
    limit = wait_seconds(job) if wait is None else wait
    fd = os.open(folder / job.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            who = holder(folder, job)
            if emit is not None:
                emit(f"assist: another {job.name} of {folder} is running ({who}); waiting up to {limit:.0f} s ...")
            deadline = time.monotonic() + limit
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise UnavailableError(
                        f"{job.subject} in {folder} is held for a {job.name} by {holder(folder, job)}; waited "
                        f"{limit:.0f} s. Run the command again when that {job.name} has finished "
                        f"(set {WAIT_ENV} to wait longer)"
                    )
                time.sleep(POLL_SECONDS)
        try:
            _write_holder(folder / job.holder_file)
            yield
        finally:
            (folder / job.holder_file).unlink(missing_ok=True)
            _unlock(fd)
    finally:
        os.close(fd)


def _write_holder(path: Path) -> None:
    # The program and its command word only: later arguments may hold customer text.
    words = [Path(sys.argv[0]).name] if sys.argv and sys.argv[0] else ["python"]
    words += [arg for arg in sys.argv[1:2] if arg.isascii() and arg.replace("-", "").isalpha()]
    command = " ".join(words)
    data = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    path.write_text(json.dumps(data), encoding="utf-8")
