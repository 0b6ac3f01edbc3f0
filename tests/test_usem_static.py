"""The static distillation of USE: its arithmetic, its cache and its two computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist.encoders.base import STATIC_MODEL, l2_normalise
from assist.encoders.registry import get_encoder, resolve_model
from assist.encoders.usem import static as usem_static
from assist.encoders.usem.forward import UsemForward, UsemWeights
from assist.encoders.usem.loader import load_weights, package_tokenizer

SENTENCES = ["我的卡被冻结了，钱取不出来", "帳戶被凍結了，沒辦法轉帳", "my card was swallowed by the ATM", "转账"]


@pytest.fixture(scope="module")
def weights() -> UsemWeights:
    return UsemWeights.from_arrays(load_weights())


def test_single_token_vectors_are_the_full_model_on_one_token_sentences(weights: UsemWeights) -> None:
    full = UsemForward(weights, package_tokenizer().encode)
    ids = np.array([0, 3, 250, 9000, 64000, 127999])
    fast = usem_static.single_token_vectors(weights, ids)
    reference = np.vstack([full._encode_group([[int(i)]], None) for i in ids])
    assert np.all(np.sum(fast * reference, axis=1) >= 0.9999)


def test_distilled_table_is_centred_without_its_top_directions_and_rank_weighted(weights: UsemWeights) -> None:
    size = 600
    table = usem_static.distil_table(weights, vocabulary=size).astype(np.float64)
    assert table.shape == (size, 512)
    assert not table[0].any()  # log(1 + rank 0) = 0: the unknown piece carries no weight
    unweighted = table[1:] / np.log1p(np.arange(1, size))[:, None]
    raw = usem_static.single_token_vectors(weights, np.arange(size)).astype(np.float64)
    centred = raw - raw.mean(axis=0)
    top = np.linalg.eigh(centred.T @ centred)[1][:, -usem_static.REMOVED_DIRECTIONS :]
    assert np.abs(unweighted @ top).max() < 1e-4
    # What remains of each row is the centred vector minus its part along the removed directions.
    expected = centred[1:] - (centred[1:] @ top) @ top.T
    assert np.allclose(unweighted, expected, atol=1e-5)


def test_table_is_cached_atomically_and_then_memory_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "static.npy"
    calls = []

    def tiny_distillation(_weights: UsemWeights) -> np.ndarray:
        calls.append(1)
        return np.arange(3 * 512, dtype=np.float32).reshape(3, 512) / 512

    monkeypatch.setattr(usem_static, "table_path", lambda: target)
    monkeypatch.setattr(usem_static, "distil_table", tiny_distillation)
    first = usem_static.load_table()
    assert calls == [1] and target.is_file()
    # No temporary file left behind; the stamp every load checks the table against beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["static.npy", "static.npy.stamp.json"]
    second = usem_static.load_table()
    assert calls == [1] and isinstance(second, np.memmap) and second.dtype == np.float16
    assert np.array_equal(first, second)
    target.write_bytes(b"damaged")
    assert np.array_equal(usem_static.load_table(), first) and calls == [1, 1]
    np.save(target, np.zeros((3, 4), dtype=np.float16))  # a table of another width
    assert np.array_equal(usem_static.load_table(), first) and calls == [1, 1, 1]


def test_encoder_sums_its_tokens_rows() -> None:
    encoder = get_encoder(STATIC_MODEL)
    vectors = encoder.encode(SENTENCES)
    table = np.asarray(usem_static.load_table())
    for text, vector in zip(SENTENCES, vectors, strict=True):
        ids = package_tokenizer().encode(text, add_bos=False, add_eos=False)
        assert np.allclose(vector, l2_normalise(table[ids].astype(np.float32).sum(axis=0, keepdims=True))[0], atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not encoder.encode([""]).any()  # no tokens, no direction


def test_frozen_accounts_are_nearer_each_other_than_an_atm() -> None:
    frozen_zh, frozen_hant, atm_en, _ = get_encoder(STATIC_MODEL).encode(SENTENCES)
    assert float(frozen_zh @ frozen_hant) > float(frozen_zh @ atm_en)


def test_sentence_transformers_path_gives_identical_vectors(tmp_path: Path) -> None:
    """Exported with ``--static`` and loaded by SentenceTransformer, torch's EmbeddingBag
    gives the vectors the numpy lookup path gives."""
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer

    from assist.encoders.st_module import export_default_model

    folder = export_default_model(tmp_path / "static-st", static=True)
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, trust_remote_code=True)
    via_st = l2_normalise(model.encode(SENTENCES, convert_to_numpy=True))
    fast = get_encoder(STATIC_MODEL).encode(SENTENCES)
    assert np.all(np.sum(via_st * fast, axis=1) >= 0.9999)
    assert resolve_model(folder) == STATIC_MODEL


def test_a_text_has_the_same_bits_alone_and_in_a_batch() -> None:
    encoder = get_encoder(STATIC_MODEL)
    together = encoder.encode(SENTENCES)
    alone = np.vstack([encoder.encode([text]) for text in SENTENCES])
    assert np.array_equal(together, alone)


def test_a_batch_has_the_bits_of_each_texts_rows_summed_in_order() -> None:
    """The batch encoding (distinct rows widened once, k-th rows added together) does the same
    float32 additions as summing each text's rows first to last: bit for bit, texts of every
    length (empty, one token, long) mixed in one batch and repeated tokens across texts."""
    encoder = get_encoder(STATIC_MODEL)
    texts = [*SENTENCES, "", "转", "请问" * 40, "my card, my card, my card please", "  ", *SENTENCES[::-1]]
    table = np.asarray(usem_static.load_table())
    tokenizer = package_tokenizer()
    expected = np.zeros((len(texts), usem_static.StaticEncoder.dim), dtype=np.float32)
    for row, text in enumerate(texts):
        ids = tokenizer.encode(text, add_bos=False, add_eos=False)
        if ids:
            expected[row] = table[ids].astype(np.float32).sum(axis=0)
    assert encoder.token_ids(texts) == [tokenizer.encode(t, add_bos=False, add_eos=False) for t in texts]
    assert encoder.encode(texts).tobytes() == l2_normalise(expected).tobytes()


def test_chunks_do_not_change_the_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = get_encoder(STATIC_MODEL)
    texts = [*SENTENCES, "", "请问" * 40, *SENTENCES[::-1], "my card"]
    whole = encoder.encode(texts)
    monkeypatch.setattr(usem_static, "ENCODE_CHUNK", 3)
    assert encoder.encode(texts).tobytes() == whole.tobytes()
