"""Joining a Ray cluster, or starting a local one, for the Ray engine (:mod:`assist.batch.ray_engine`).

:func:`connect` turns a cluster that cannot be reached into one
:class:`assist.errors.UnavailableError` (exit 6) that names the address, what failed and how
to fix it; a ``host:port`` is first probed with a plain TCP connection, since ``ray.init``
waits about two minutes on a closed port.
"""

from __future__ import annotations

import os
import socket
from typing import Any
from urllib.parse import urlsplit

from assist.errors import ExtraMissingError, UnavailableError


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise ExtraMissingError("--engine ray", "ray") from None
    return ray


INIT_OPTIONS: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
"""How this process joins or starts Ray: no dashboard, workers' output kept in their log files."""
WORKER_NICENESS = "RAY_worker_niceness"
"""Ray's setting (its raylet reads it, in this spelling) of how much nicer than the raylet its workers run."""
PROBE_SECONDS = 5.0
"""How long the address's port may take to accept a connection before the cluster counts as
unreachable (``ray.init`` itself waits about two minutes on a closed port)."""


def connect(address: str | None) -> Any:
    """Ray, joined to the cluster at ``address`` (or ``RAY_ADDRESS``), else to a new local Ray.

    Raises :class:`UnavailableError` (exit 6) naming the address, what failed and how to fix
    it. A ``host:port`` address is first tried with a plain TCP connection, so a closed port
    or an unknown host fails in at most :data:`PROBE_SECONDS`. Call it on the main thread:
    a driver that joined Ray on another thread loses its object store connection."""
    ray = import_ray()
    if not ray.is_initialized():
        _init(ray, address)
    # A worker's own error (an AssistError) reaches the driver as itself, not as Ray Data's
    # UserCodeException, which keeps only its text (see assist_error).
    ray.data.DataContext.get_current().raise_original_map_exception = True
    return ray


def _init(ray: Any, address: str | None) -> None:
    target = address or os.environ.get("RAY_ADDRESS") or None
    if target is not None:
        probe(target)
    else:
        # The local Ray's workers at this process's priority, as the local engine's: Ray starts
        # them 15 steps nicer than its raylet, so on a machine doing anything else the actors,
        # which do all the work, got the CPU last (an operator's own setting wins).
        os.environ.setdefault(WORKER_NICENESS, "0")
    try:
        ray.init(address=address, **INIT_OPTIONS)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as error:
        raise UnavailableError(unreachable(target, _first_line(error))) from None


def probe(address: str) -> None:
    """Raise :class:`UnavailableError` when ``address`` names a ``host:port`` that does not
    accept a TCP connection; other forms (``auto``, ``local``) are left to Ray."""
    parts = urlsplit("//" + address.removeprefix("ray://"))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return  # not a port: Ray says what is wrong with the address
    if not host or port is None:
        return
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS):
            return
    except socket.gaierror:
        reason = f"the host name {host} does not resolve"
    except ConnectionRefusedError:
        reason = f"nothing listens on port {port} of {host} (connection refused)"
    except TimeoutError:
        reason = f"{host}:{port} did not answer within {PROBE_SECONDS:.0f} s"
    except OSError as error:
        reason = f"{host}:{port} cannot be reached ({error.strerror or type(error).__name__})"
    raise UnavailableError(unreachable(address, reason))


def unreachable(address: str | None, reason: str) -> str:
    """The message of a cluster that could not be joined (or a local Ray that did not start)."""
    if address is None:
        return (f"could not start a local Ray on this machine: {reason}. Run `ray stop` if an earlier "
                "Ray is still running here, or give --address of a running cluster.")
    return (f"cannot reach the Ray cluster at {address}: {reason}. Start the cluster first "
            "(`ray start --head` on its head node), check --address (the head node's host:port such as "
            "10.0.0.5:6379, 'auto' for a cluster started on this machine, or ray://host:10001, which "
            "`pip install 'assist[ray]'` covers), or leave out --address to run on a local Ray.")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0].rstrip(". ") if text else type(error).__name__
    return line if len(line) <= 300 else line[:297] + "..."
