"""Files written so that a reader never sees half of one.

Every file assist persists (index manifests, the validated-library snapshot,
reports, draft scripts) is written to a temporary file in the same folder,
flushed to disk, then renamed over the target: a crash or a full disk leaves
the previous file, never a truncated one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

SHARED_FILE_MODE = 0o644
"""Reports and draft scripts are meant to be read by the team, not only by their writer."""


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    ``mode`` sets the permissions (a temporary file is created 0600, which suits
    index files but not reports meant to be shared)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: dict[str, Any], indent: int | None = 2) -> None:
    """:func:`write_atomic` of ``data`` as UTF-8 JSON."""
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=indent).encode("utf-8"))
