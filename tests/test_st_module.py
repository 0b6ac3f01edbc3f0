"""Models exported before the package had subpackages name ``assist.st_module.*`` in modules.json;
they keep loading, through sentence-transformers and through assist's own numpy path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assist.encoders.base import STATIC_MODEL, l2_normalise
from assist.encoders.registry import get_encoder, resolve_model

SENTENCES = ["我的卡丢了", "my card was stolen"]


def test_a_model_exported_under_the_old_module_path_still_loads(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer

    from assist.encoders.st_module import export_default_model

    folder = export_default_model(tmp_path / "old-export", static=True)
    modules_file = folder / "modules.json"
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    modules[0]["type"] = "assist.st_module.UsemStaticModule"  # what exports wrote before the move
    modules_file.write_text(json.dumps(modules), encoding="utf-8")

    assert resolve_model(folder) == STATIC_MODEL  # served by the numpy path
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, trust_remote_code=True)
    via_st = l2_normalise(model.encode(SENTENCES, convert_to_numpy=True))
    assert np.all(np.sum(via_st * get_encoder(STATIC_MODEL).encode(SENTENCES), axis=1) >= 0.9999)
