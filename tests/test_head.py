"""The scenario head: default (Adam) and L-BFGS training, warm starts, what head.npz keeps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist.indexing.head import DEFAULT_AGGREGATION, DEFAULT_BLEND, DEFAULT_LEXICAL_WEIGHT, ScenarioHead
from tests.conftest import HashEncoder

TEXTS = {
    "card_lost": ["i lost my card", "my card is lost", "card missing", "cannot find my card"],
    "transfer": ["send money abroad", "transfer money to my friend", "wire money", "money transfer failed"],
    "pin": ["forgot my pin", "change my pin", "pin blocked", "reset pin code"],
}


def training_set() -> tuple[np.ndarray, list[str]]:
    labels = [label for label, texts in TEXTS.items() for _ in texts]
    texts = [text for items in TEXTS.values() for text in items]
    return HashEncoder().encode(texts), labels


@pytest.mark.parametrize("training", ["train", "fit"])
def test_head_learns_its_training_examples(training: str) -> None:
    vectors, labels = training_set()
    head = ScenarioHead.train(vectors, labels) if training == "train" else ScenarioHead.fit(vectors, labels, l2=0.003)
    probs = head.probabilities(vectors)
    assert probs.shape == (len(labels), 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    predicted = [head.labels[i] for i in probs.argmax(axis=1)]
    assert predicted == labels


def test_stronger_penalty_gives_softer_probabilities() -> None:
    vectors, labels = training_set()
    soft = ScenarioHead.fit(vectors, labels, l2=1.0).probabilities(vectors).max(axis=1).mean()
    sharp = ScenarioHead.fit(vectors, labels, l2=0.001).probabilities(vectors).max(axis=1).mean()
    assert soft < sharp


def test_warm_start_reaches_the_same_optimum() -> None:
    vectors, labels = training_set()
    cold = ScenarioHead.fit(vectors, labels, l2=0.01)
    warm = ScenarioHead.fit(vectors, labels, l2=0.01, start=ScenarioHead.fit(vectors, labels, l2=0.1))
    np.testing.assert_allclose(cold.probabilities(vectors), warm.probabilities(vectors), atol=1e-3)


def test_save_and_load_keep_blend_and_aggregation(tmp_path: Path) -> None:
    vectors, labels = training_set()
    head = ScenarioHead.train(vectors, labels).with_choices(0.45, "mean3", 0.2)
    head.save(tmp_path)
    loaded = ScenarioHead.load(tmp_path)
    assert loaded.labels == head.labels
    assert (loaded.blend, loaded.aggregation, loaded.lexical_weight) == (0.45, "mean3", 0.2)
    np.testing.assert_array_equal(loaded.weights, head.weights)


def test_head_file_without_choices_loads_with_defaults(tmp_path: Path) -> None:
    """A head.npz written before the blend was chosen per library still loads."""
    vectors, labels = training_set()
    head = ScenarioHead.train(vectors, labels)
    with open(tmp_path / "head.npz", "wb") as handle:
        np.savez(handle, weights=head.weights, bias=head.bias, labels=np.array(head.labels, dtype=str))
    loaded = ScenarioHead.load(tmp_path)
    assert (loaded.blend, loaded.aggregation, loaded.lexical_weight) == (
        DEFAULT_BLEND, DEFAULT_AGGREGATION, DEFAULT_LEXICAL_WEIGHT
    )


def test_the_out_of_scope_class_votes_a_share_of_its_probability() -> None:
    from assist.indexing import head as module

    vectors, labels = training_set()
    labels = ["out_of_scope" if label == "pin" else label for label in labels]
    head = ScenarioHead.train(vectors, labels)
    column = head.labels.index("out_of_scope")
    logits = (vectors * module.SCALE) @ head.weights + head.bias
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    probs = head.probabilities(vectors)
    np.testing.assert_allclose(probs[:, column], module.OUT_OF_SCOPE_VOTE * softmax[:, column], rtol=1e-5)
    others = [i for i in range(len(head.labels)) if i != column]
    np.testing.assert_allclose(probs[:, others], softmax[:, others], rtol=1e-5)
    assert 0 <= module.OUT_OF_SCOPE_VOTE < 1
