"""A scenario classifier learned from the library's own examples.

Nearest-example scores alone cannot weigh which parts of an embedding matter
for telling two close scenarios apart; a softmax regression over the example
embeddings can. It trains at build time in a few seconds on a 2-core CPU
(full-batch Adam, L2-regularised), is saved beside the index as plain numpy
arrays, and adds one matrix product to a lookup. Its probability is fused with
the retrieval score in :mod:`assist.rank`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

EPOCHS = 300
LEARNING_RATE = 0.05
L2 = 1e-4
SCALE = 20.0
"""Inputs are unit vectors; scaling them lets small weights reach confident logits."""


@dataclass(frozen=True)
class ScenarioHead:
    labels: tuple[str, ...]
    weights: np.ndarray  # (dim, n_labels) float32
    bias: np.ndarray  # (n_labels,) float32

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = (vectors * SCALE) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits

    @classmethod
    def train(cls, vectors: np.ndarray, labels: list[str], seed: int = 0) -> ScenarioHead:
        names = tuple(sorted(set(labels)))
        index = {name: i for i, name in enumerate(names)}
        y = np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))
        x = np.ascontiguousarray(vectors * SCALE, dtype=np.float32)
        n, dim = x.shape
        k = len(names)
        # Inverse-frequency weights: a scenario with many examples must not drown a small one.
        counts = np.bincount(y, minlength=k).astype(np.float32)
        sample_weight = (n / (k * counts))[y].astype(np.float32)
        sample_weight /= sample_weight.sum()
        rng = np.random.default_rng(seed)
        w = (rng.standard_normal((dim, k)) * 0.001).astype(np.float32)
        b = np.zeros(k, dtype=np.float32)
        moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        onehot = np.zeros((n, k), dtype=np.float32)
        onehot[np.arange(n), y] = 1.0
        for step in range(1, EPOCHS + 1):
            logits = x @ w + b
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            delta = (probs - onehot) * sample_weight[:, None]
            grad_w = x.T @ delta + L2 * w
            grad_b = delta.sum(axis=0)
            for param, grad, m, v in ((w, grad_w, moments[0], moments[1]), (b, grad_b, moments[2], moments[3])):
                m *= beta1
                m += (1 - beta1) * grad
                v *= beta2
                v += (1 - beta2) * grad * grad
                m_hat = m / (1 - beta1**step)
                v_hat = v / (1 - beta2**step)
                param -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + eps)
        return cls(names, w, b)

    def save(self, folder: Path) -> str:
        with open(folder / "head.npz", "wb") as handle:
            np.savez(handle, weights=self.weights, bias=self.bias, labels=np.array(self.labels, dtype=str))
        return "head.npz"

    @classmethod
    def load(cls, folder: Path) -> ScenarioHead:
        with np.load(folder / "head.npz", allow_pickle=False) as arrays:
            return cls(tuple(str(x) for x in arrays["labels"]), arrays["weights"], arrays["bias"])
