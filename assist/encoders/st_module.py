"""The embedded models as sentence-transformers modules.

``SentenceTransformer(modules=[UsemModule()])`` behaves like any other
sentence-transformers model, and ``assist export-model DIR`` saves it as a
model folder that ``SentenceTransformer(DIR)`` loads by local path (the
package must be importable, as for any custom module). Its forward pass is the
same numpy computation :class:`assist.encoders.base.UsemEncoder` runs, which is why
assist serves such a folder without importing torch.

:class:`UsemStaticModule` is the static distillation (:mod:`assist.encoders.usem.static`)
the same way (``assist export-model --static DIR``), but computed by torch: an
``EmbeddingBag`` summing the cached table's rows. That is a second,
independent computation of what :class:`assist.encoders.usem.static.StaticEncoder`
does in numpy, and ``tests/test_usem_static.py`` checks that the two agree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import torch
from sentence_transformers.base.modules import InputModule

from assist.encoders.base import l2_normalise
from assist.encoders.registry import UsemEncoder


class _PackagedModule(InputModule):
    """A module whose folder holds only its config: what it computes with comes from
    the installed packages (the USE wheel and assist's cache), so loading is building."""

    config_keys: list[str] = []  # noqa: RUF012 - mirrors the base class attribute
    save_in_root = True

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        os.makedirs(output_path, exist_ok=True)
        self.save_config(output_path)

    @classmethod
    def load(cls, model_name_or_path: str, *args: Any, **kwargs: Any) -> Self:
        return cls()


class UsemModule(_PackagedModule):
    """Input + encoder module: raw texts in, 512-d ``sentence_embedding`` out."""

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


class UsemStaticModule(_PackagedModule):
    """Input + encoder module of the static distillation: texts in, 512-d unit vectors out."""

    def __init__(self) -> None:
        from assist.encoders.usem.loader import package_tokenizer
        from assist.encoders.usem.static import load_table

        super().__init__()
        table = torch.from_numpy(np.array(load_table(), dtype=np.float32))
        self.bag = torch.nn.EmbeddingBag.from_pretrained(table, freeze=True, mode="sum")
        self._tokenize = package_tokenizer().encode

    def preprocess(
        self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        texts = [(prompt or "") + str(item) for item in inputs]
        ids = [self._tokenize(text, add_bos=False, add_eos=False) for text in texts]
        starts = np.cumsum([0] + [len(row) for row in ids[:-1]])
        return {
            "input_ids": torch.tensor([i for row in ids for i in row], dtype=torch.long),
            "offsets": torch.tensor(starts, dtype=torch.long),
        }

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        sums = self.bag(features["input_ids"], features["offsets"])
        features["sentence_embedding"] = torch.from_numpy(l2_normalise(sums.numpy()))
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return int(self.bag.embedding_dim)


def export_default_model(folder: Path, static: bool = False) -> Path:
    """Write the embedded model (or, with ``static``, its static distillation) as a
    sentence-transformers folder and return its path."""
    from sentence_transformers import SentenceTransformer

    module: InputModule = UsemStaticModule() if static else UsemModule()
    model = SentenceTransformer(modules=[module], device="cpu")
    model.save(str(folder))
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    expected = f"assist.encoders.st_module.{type(module).__name__}"
    if [m.get("type") for m in modules] != [expected]:
        raise RuntimeError(f"unexpected modules.json in {folder}: {modules}")
    return folder
