"""The full model's per-token work kept on disk: read, it gives the bits computing it gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist.encoders.usem.forward import TokenTable, TokenWork
from assist.encoders.usem.loader import cache_folder
from assist.encoders.usem.stored import StoredTokens, load_token_store, save_token_store, token_store_folder
from tests.test_usem_forward import TEXTS, forward


def test_stored_tokens_find_their_rows() -> None:
    work = TokenWork(np.zeros((3, 1)), np.zeros((1, 3, 1)), np.zeros((3, 1)), np.zeros((3, 2)))
    stored = StoredTokens(np.array([4, 9, 30], dtype=np.int64), work)
    np.testing.assert_array_equal(stored.rows_of(np.array([9, 0, 30, 31, 4, 5])), [1, -1, 2, -1, 0, -1])
    empty = StoredTokens(np.zeros(0, dtype=np.int64), work.take(np.zeros(0, dtype=np.int64)))
    np.testing.assert_array_equal(empty.rows_of(np.array([1, 2])), [-1, -1])


@pytest.mark.model
def test_stored_token_work_gives_the_bits_of_computed_work() -> None:
    """A table reading some, all or none of a batch's new tokens from a store (written from another
    table's cache, as ``assist build`` does) embeds every text with exactly the bits of one computing
    them all, and caches what it read."""
    donor = forward()
    donor.encode(TEXTS[:4])
    ids, work = donor.tokens.known()
    assert np.all(np.diff(ids) > 0) and len(ids) == donor.tokens.cached
    stored = StoredTokens(ids, work)
    for texts in (TEXTS[:4], TEXTS[2:], TEXTS[7:], TEXTS):
        computed, read = forward(), forward()
        read.tokens = TokenTable(read.weights, stored=stored)
        for _ in range(2):  # new tokens, then cached ones
            np.testing.assert_array_equal(read.encode(texts), computed.encode(texts))
        assert read.tokens.cached == computed.tokens.cached
    small = forward(capacity=3)  # more new tokens than the cache holds: tables of their own
    small.tokens = TokenTable(small.weights, capacity=3, stored=stored)
    np.testing.assert_array_equal(small.encode(TEXTS), forward().encode(TEXTS))


def test_the_token_store_round_trips_and_a_damaged_one_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path))
    assert load_token_store() is None
    rng = np.random.default_rng(0)
    work = TokenWork(rng.random((3, 768), dtype=np.float32), rng.random((10, 3, 256), dtype=np.float32),
                     rng.random((3, 640), dtype=np.float32), rng.random((3, 2)))
    save_token_store(StoredTokens(np.array([5, 7, 900], dtype=np.int64), work))
    loaded = load_token_store()
    assert loaded is not None
    np.testing.assert_array_equal(loaded.ids, [5, 7, 900])
    for name in ("projected", "products", "folded", "sums"):
        np.testing.assert_array_equal(getattr(loaded.work, name), getattr(work, name))
    # Written by a build beside the weights' cache, it does not disturb the weights' own files.
    assert token_store_folder().parent == cache_folder()
    with open(token_store_folder() / "sums.npy", "r+b") as handle:
        handle.seek(-8, 2)
        handle.write(b"\0" * 8)
    assert load_token_store() is None


def test_an_unwritable_cache_keeps_no_token_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(blocker))
    work = TokenWork(np.zeros((1, 768), np.float32), np.zeros((10, 1, 256), np.float32),
                     np.zeros((1, 640), np.float32), np.zeros((1, 2)))
    save_token_store(StoredTokens(np.array([1], dtype=np.int64), work))
    assert "per-token work" in capsys.readouterr().err
    assert load_token_store() is None
