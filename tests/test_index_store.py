from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assist.atomic_write import read_sealed_json, write_sealed_json
from assist.errors import IndexStateError
from assist.indexing.store import (
    build_index,
    load_index,
    make_dense_index,
    read_calibration,
    read_manifest,
    stale_reason,
    write_calibration,
)
from assist.library.loader import load_library
from tests.conftest import HashEncoder


def test_build_then_load_round_trip(library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    library = load_library(library_dir)
    folder = tmp_path / "index"
    manifest = build_index(library, hash_encoder, folder)
    assert manifest.examples == sum(len(s.examples) for s in library.active_scripts)
    assert manifest.model_id == hash_encoder.model_id
    assert manifest.library_hash == library.content_hash
    assert set(manifest.files) == {"dense.faiss", "lexical.npz", "lexical_vocab.json", "head.npz"}
    on_disk = read_manifest(folder)
    assert on_disk == manifest
    loaded = load_index(folder, manifest)
    assert loaded.dense.ntotal == manifest.examples
    assert stale_reason(on_disk, library, hash_encoder) is None


def test_stale_index_is_detected(library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    library = load_library(library_dir)
    folder = tmp_path / "index"
    build_index(library, hash_encoder, folder)
    manifest = read_manifest(folder)
    assert stale_reason(manifest, library, HashEncoder("another-model")) is not None
    script_file = library_dir / "scripts" / "main.yaml"
    script_file.write_text(script_file.read_text(encoding="utf-8") + "      - 新例句\n", encoding="utf-8")
    reason = stale_reason(manifest, load_library(library_dir), hash_encoder)
    assert reason is not None and "changed" in reason
    assert stale_reason(None, library, hash_encoder) == "no index has been built yet"


def test_corrupted_file_is_detected_with_fix(library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    manifest = build_index(load_library(library_dir), hash_encoder, folder)
    target = folder / manifest.build / "lexical.npz"
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(IndexStateError, match="assist build"):
        load_index(folder, manifest)


def test_rebuild_replaces_previous_build(library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    first = build_index(load_library(library_dir), hash_encoder, folder)
    second = build_index(load_library(library_dir), hash_encoder, folder)
    assert first.build != second.build
    assert not (folder / first.build).exists()
    assert (folder / second.build).is_dir()


def test_unreadable_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexStateError, match="assist build"):
        read_manifest(tmp_path)


def test_calibration_applies_only_to_its_library(library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    manifest = build_index(load_library(library_dir), hash_encoder, folder)
    write_calibration(folder, manifest, 0.42, {"f1": 0.9})
    assert read_calibration(folder, manifest) == pytest.approx(0.42)
    data = read_sealed_json(folder / "calibration.json")
    write_sealed_json(folder / "calibration.json", {**data, "library_hash": "other"})
    assert read_calibration(folder, manifest) is None


@pytest.mark.parametrize("threshold", [9.5, -0.1, float("nan"), float("inf"), "0.5", True, None])
def test_a_calibration_out_of_range_is_refused_with_the_fix(
    library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path, threshold: object
) -> None:
    folder = tmp_path / "index"
    manifest = build_index(load_library(library_dir), hash_encoder, folder)
    write_calibration(folder, manifest, 0.42, {})
    data = read_sealed_json(folder / "calibration.json")
    write_sealed_json(folder / "calibration.json", {**data, "threshold": threshold})
    with pytest.raises(IndexStateError, match="--calibrate"):
        read_calibration(folder, manifest)
    with pytest.raises(ValueError):
        write_calibration(folder, manifest, threshold, {})  # type: ignore[arg-type]


def test_a_hand_edited_calibration_is_refused(library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    manifest = build_index(load_library(library_dir), hash_encoder, folder)
    write_calibration(folder, manifest, 0.42, {})
    path = folder / "calibration.json"
    path.write_bytes(path.read_bytes().replace(b"0.42", b"0.99"))
    with pytest.raises(IndexStateError, match="damaged"):
        read_calibration(folder, manifest)


def test_large_libraries_get_an_approximate_index() -> None:
    import assist.indexing.store as store

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(store.APPROXIMATE_ABOVE + 1, 8)).astype(np.float32)
    _, kind = make_dense_index(vectors)
    assert kind == "hnsw"
    _, kind = make_dense_index(vectors[:100])
    assert kind == "flat"


def test_approximate_index_recall_at_1_against_exact_search() -> None:
    """Above the size threshold the HNSW index must find the exact nearest example
    for at least 99 % of queries (clustered data, like sentence embeddings)."""
    import faiss

    import assist.indexing.store as store

    rng = np.random.default_rng(0)
    dim, clusters = 512, 300
    centers = rng.normal(size=(clusters, dim)).astype(np.float32)

    def sample(count: int) -> np.ndarray:
        points = centers[rng.integers(0, clusters, count)] + rng.normal(scale=0.8, size=(count, dim))
        points = points.astype(np.float32)
        return points / np.linalg.norm(points, axis=1, keepdims=True)

    stored = sample(store.APPROXIMATE_ABOVE + 5_000)
    queries = sample(500)
    approximate, kind = make_dense_index(stored)
    assert kind == "hnsw"
    exact = faiss.IndexFlatIP(dim)
    exact.add(stored)
    _, found = approximate.search(queries, 1)
    _, truth = exact.search(queries, 1)
    assert float(np.mean(found[:, 0] == truth[:, 0])) >= 0.99


def test_tuned_head_is_stored_and_drives_lookups(library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    """``build --tune-head``: the cross-validated settings travel in head.npz to the Assistant."""
    from assist.indexing.head_blend import BLEND_GRID, LEXICAL_GRID
    from assist.lookup.assistant import Assistant

    folder = tmp_path / "index"
    build_index(load_library(library_dir), hash_encoder, folder, tune_head=True)
    assistant = Assistant.load(library_dir, index_dir=folder, encoder=hash_encoder, auto_build=False)
    head = assistant.index.head
    assert head is not None
    assert head.blend in BLEND_GRID and head.lexical_weight in LEXICAL_GRID
    assert assistant.ranker.weights.lexical == head.lexical_weight
    assert assistant.suggest("我的卡被冻结了").candidates


def test_builds_with_the_same_lexical_files_share_one_lexical_index(
        library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    library = load_library(library_dir)
    first = build_index(library, hash_encoder, tmp_path / "one")
    second = build_index(library, hash_encoder, tmp_path / "two")
    assert first.files["lexical.npz"] == second.files["lexical.npz"]
    one, two = load_index(tmp_path / "one", first), load_index(tmp_path / "two", second)
    assert one.lexical is two.lexical
    # A damaged copy is refused by its checksum although an index of the same checksums is held.
    vocab = tmp_path / "two" / second.build / "lexical_vocab.json"
    vocab.write_bytes(vocab.read_bytes().replace(b'"', b"'", 1))
    with pytest.raises(IndexStateError, match="checksum"):
        load_index(tmp_path / "two", second)


def test_a_build_with_other_lexical_files_gets_its_own_lexical_index(
        library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path) -> None:
    library = load_library(library_dir)
    first = build_index(library, hash_encoder, tmp_path / "one")
    fewer = replace(library, scripts=library.scripts[1:])
    second = build_index(fewer, hash_encoder, tmp_path / "two")
    assert first.files["lexical.npz"] != second.files["lexical.npz"]
    one, two = load_index(tmp_path / "one", first), load_index(tmp_path / "two", second)
    assert one.lexical is not two.lexical
    assert two.lexical.n_docs == second.examples


def test_a_build_keeps_the_encoders_token_work_after_embedding_the_library(
    library_dir: Path, hash_encoder: HashEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An encoder that can store its per-token work (the full model) is asked to once it has embedded
    every example; one that cannot (here the hash encoder) builds as before."""
    library = load_library(library_dir)
    calls: list[int] = []

    def keep() -> None:
        calls.append(len(embedded))

    embedded: list[str] = []
    original = hash_encoder.encode

    def encode(texts: list[str]) -> np.ndarray:
        embedded.extend(texts)
        return original(texts)

    monkeypatch.setattr(hash_encoder, "encode", encode, raising=False)
    monkeypatch.setattr(hash_encoder, "keep_token_work", keep, raising=False)
    build_index(library, hash_encoder, tmp_path / "index")
    assert calls and calls[0] == sum(len(s.examples) for s in library.active_scripts)
