"""The embedded default model as a sentence-transformers module.

``SentenceTransformer(modules=[UsemModule()])`` behaves like any other
sentence-transformers model, and ``assist export-model DIR`` saves it as a
model folder that ``SentenceTransformer(DIR)`` loads by local path (the
package must be importable, as for any custom module). Its forward pass is the
same numpy computation :class:`assist.encoders.UsemEncoder` runs, which is why
assist serves such a folder without importing torch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from sentence_transformers.base.modules import InputModule

from assist.encoders import UsemEncoder


class UsemModule(InputModule):
    """Input + encoder module: raw texts in, 512-d ``sentence_embedding`` out."""

    config_keys: list[str] = []  # noqa: RUF012 - mirrors the base class attribute
    save_in_root = True

    def __init__(self) -> None:
        super().__init__()
        self._encoder = UsemEncoder()

    def preprocess(
        self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        texts = [str(item) for item in inputs]
        if prompt:
            texts = [prompt + text for text in texts]
        return {"texts": texts}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        vectors = self._encoder.encode(features["texts"])
        features["sentence_embedding"] = torch.from_numpy(vectors)
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self._encoder.dim

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        os.makedirs(output_path, exist_ok=True)
        self.save_config(output_path)

    @classmethod
    def load(cls, model_name_or_path: str, *args: Any, **kwargs: Any) -> UsemModule:
        return cls()


def export_default_model(folder: Path) -> Path:
    """Write the default model as a sentence-transformers folder and return its path."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(modules=[UsemModule()], device="cpu")
    model.save(str(folder))
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    if [m.get("type") for m in modules] != ["assist.st_module.UsemModule"]:
        raise RuntimeError(f"unexpected modules.json in {folder}: {modules}")
    return folder
