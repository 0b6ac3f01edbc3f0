"""Whether the cluster's error messages reach the driver's stdout, with and without the Ray engine's redirect.

    python bench/ray_error_output.py

Ray's driver prints the cluster's error messages (a worker died, a task is retried, an actor
restarted) to ``sys.stdout`` as it is when they arrive, even with ``log_to_driver=False``; under
``assist evaluate --engine ray --json`` they landed ahead of the report when Ray's memory monitor
killed actors. This starts a local Ray on one CPU twice, in a child process each time, with an
actor that exits on its first call and is restarted, once plainly and once inside
:func:`assist.batch.ray_engine.ray_output_to_stderr`, and prints, as one JSON object, how many
lines Ray wrote to each stream in each case. Expected: the plain run's stdout holds Ray's lines,
the redirected run's stdout holds none (they are on its stderr). Takes some 20 s a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARK = "(raylet)"
"""The prefix of the messages Ray's driver prints for the cluster's errors."""


def child(redirect: bool, marker: Path) -> None:
    """One local Ray whose actor exits once and is restarted; its message goes wherever stdout is."""
    import ray

    from assist.batch.ray_engine import ray_output_to_stderr

    @ray.remote(max_restarts=1, max_task_retries=-1)
    class DiesOnce:
        def work(self) -> int:
            if not marker.exists():
                marker.touch()
                os._exit(1)
            return os.getpid()

    def run() -> None:
        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray.get(DiesOnce.remote().work.remote())  # type: ignore[attr-defined]
        time.sleep(3)  # the error message arrives on Ray's listener thread
        ray.shutdown()

    if redirect:
        with ray_output_to_stderr():
            run()
    else:
        run()


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2] == "redirect", Path(sys.argv[3]))
        return
    counts: dict[str, dict[str, int]] = {}
    for mode in ("plain", "redirect"):
        with tempfile.TemporaryDirectory() as folder:
            done = subprocess.run([sys.executable, __file__, "--child", mode, str(Path(folder) / "died")],
                                  capture_output=True, text=True, timeout=600, check=True)
        counts[mode] = {"stdout": done.stdout.count(MARK), "stderr": done.stderr.count(MARK)}
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
