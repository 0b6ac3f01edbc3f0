from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assist.encoders.base import DEFAULT_MODEL, l2_normalise
from assist.encoders.registry import resolve_model
from assist.encoders.threads import SMALL_BATCH, encode_on_one_thread
from assist.errors import ModelError
from tests.conftest import HashEncoder

SENTENCES = ["我的账户被冻结了", "帳戶被凍結了怎麼辦", "my card was swallowed by the ATM", "U盾丢了"]


def test_vectors_are_unit_length(default_encoder) -> None:  # type: ignore[no-untyped-def]
    vectors = default_encoder.encode(SENTENCES)
    assert vectors.shape == (4, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert default_encoder.encode([]).shape == (0, 512)


def test_multilingual_neighbours(default_encoder) -> None:  # type: ignore[no-untyped-def]
    frozen_zh, frozen_hant, atm_en, _ = default_encoder.encode(SENTENCES)
    assert float(frozen_zh @ frozen_hant) > float(frozen_zh @ atm_en)


def test_sentence_transformers_path_gives_identical_vectors(tmp_path: Path, default_encoder) -> None:  # type: ignore[no-untyped-def]
    """The default model exported as a sentence-transformers folder, loaded by local
    path through SentenceTransformer, matches the torch-free lookup path."""
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer

    from assist.encoders.st_module import export_default_model

    folder = export_default_model(tmp_path / "usem-st")
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, trust_remote_code=True)
    via_st = l2_normalise(model.encode(SENTENCES, convert_to_numpy=True))
    fast = default_encoder.encode(SENTENCES)
    cosines = np.sum(via_st * fast, axis=1)
    assert np.all(cosines >= 0.9999)
    assert resolve_model(folder) == DEFAULT_MODEL


def test_model_path_errors_are_actionable(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a folder"):
        resolve_model(tmp_path / "missing")
    from assist.encoders.registry import SentenceTransformerEncoder

    with pytest.raises(ModelError, match=r"modules\.json"):
        SentenceTransformerEncoder(tmp_path)


def test_lookup_path_never_imports_torch(tmp_path: Path) -> None:
    """A lookup with the default model must not pay for importing torch or
    sentence-transformers (about 5 s on a 2-core machine)."""
    import subprocess
    import sys

    from tests.conftest import write_library

    library = write_library(tmp_path / "lib")
    code = (
        "import sys\n"
        "from assist import Assistant\n"
        f"a = Assistant.load(library={str(library)!r}, log=lambda _: None)\n"
        "a.suggest('卡被冻结了')\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy) or 'none')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "none"


def test_composite_averages_the_cosines_of_its_parts() -> None:
    from assist.encoders.registry import CompositeEncoder
    from tests.conftest import HashEncoder

    class ReversedText(HashEncoder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            return super().encode([text[::-1] for text in texts])

    first, second = HashEncoder("hash-a"), ReversedText("hash-b")
    composite = CompositeEncoder([first, second])
    assert composite.dim == first.dim + second.dim
    assert composite.model_id == "hash-a+hash-b"
    vectors = composite.encode(SENTENCES)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    a, b = first.encode(SENTENCES), second.encode(SENTENCES)
    np.testing.assert_allclose(vectors @ vectors.T, (a @ a.T + b @ b.T) / 2, atol=1e-5)
    assert composite.encode([]).shape == (0, composite.dim)


def test_composite_model_names_resolve_part_by_part(tmp_path: Path) -> None:
    assert resolve_model(f"{DEFAULT_MODEL}+{DEFAULT_MODEL}") == f"{DEFAULT_MODEL}+{DEFAULT_MODEL}"
    with pytest.raises(ModelError, match=r"join two or more with '\+'"):
        resolve_model(f"{DEFAULT_MODEL}+")
    with pytest.raises(ModelError, match="not a folder"):
        resolve_model(f"{DEFAULT_MODEL}+{tmp_path / 'missing'}")
    plus_folder = tmp_path / "model+v2"
    plus_folder.mkdir()
    assert resolve_model(str(plus_folder)) == str(plus_folder.resolve())


def test_composite_of_the_default_model_serves_lookups(default_encoder) -> None:  # type: ignore[no-untyped-def]
    from assist.encoders.registry import get_encoder

    composite = get_encoder(f"{DEFAULT_MODEL}+{DEFAULT_MODEL}")
    vectors = composite.encode(SENTENCES)
    assert vectors.shape == (4, 1024)
    np.testing.assert_allclose(vectors[:, :512] * np.sqrt(2), default_encoder.encode(SENTENCES), atol=1e-5)


def test_a_cap_holds_blas_to_one_thread_whatever_the_batch() -> None:
    from assist.encoders.threads import _blas_libraries, blas_threads, capped_blas_threads, numeric_threads

    def counts(batch: int) -> set[int]:
        with numeric_threads(batch):
            return {lib.get_num_threads() for lib in _blas_libraries()}

    assert counts(10 * SMALL_BATCH) == {blas_threads()}
    with capped_blas_threads(1):
        assert counts(10 * SMALL_BATCH) == {1}
        with capped_blas_threads(4):  # an inner cap never raises an outer one
            assert counts(10 * SMALL_BATCH) == {1}
    assert counts(10 * SMALL_BATCH) == {blas_threads()}


def test_encoding_on_one_thread_runs_one_batch_on_one_thread() -> None:
    from assist.encoders.threads import _blas_libraries

    seen: list[tuple[int, set[int]]] = []

    class Watching(HashEncoder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            from assist.encoders.threads import numeric_threads

            with numeric_threads(len(texts)):
                seen.append((len(texts), {lib.get_num_threads() for lib in _blas_libraries()}))
            return super().encode(texts)

    texts = [f"第{i}句 sentence {i}" for i in range(40)]
    np.testing.assert_array_equal(encode_on_one_thread(Watching(), texts), HashEncoder().encode(texts))
    assert seen == [(40, {1})]


def test_thread_limits_hold_on_any_python_thread() -> None:
    """A lookup from a server's request thread must get one BLAS thread, as on the main
    thread: threadpoolctl would otherwise ignore a limit set by a second thread."""
    import threading

    from assist.encoders.threads import _blas_libraries, numeric_threads

    def counts() -> list[int]:
        with numeric_threads(1):
            return [lib.get_num_threads() for lib in _blas_libraries()]

    assert set(counts()) == {1}  # the main thread sets a limit first
    seen: list[list[int]] = []
    for _ in range(2):
        thread = threading.Thread(target=lambda: seen.append(counts()))
        thread.start()
        thread.join()
    assert [set(c) for c in seen] == [{1}, {1}]
