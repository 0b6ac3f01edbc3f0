"""The batch decisions of an evaluation equal the decisions of the rendered suggestions, utterance
by utterance: one pass and two, pins, redirects, abstentions, per-language thresholds."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from assist import Assistant
from assist.batch.decide import decide_batch, decision_of
from assist.lookup.cascade import quick_index_dir
from assist.text.normalise import normalise
from tests.conftest import HashEncoder, write_library

UTTERANCES = [
    "我的卡被冻结了，钱取不出来",
    "账户被限制交易了怎么办呀",
    "帳戶被凍結了，沒辦法轉帳",
    "钱包被偷了，卡也在里面",
    "想买房，贷款怎么办",
    "my account has been frozen",
    "card blocked and payments declined",
    "今天天气怎么样",
    "what's the weather like tomorrow",
    "公安让我把钱转到安全账户",
    "有人让我把钱转到安全账户，我该怎么办",
    "这个问题我打了好几次电话都没解决",
    "",
    "   ",
    "卡",
]


class ReversedHashEncoder(HashEncoder):
    """A second deterministic encoder that ranks differently (bigrams of the reversed text)."""

    def encode(self, texts):  # type: ignore[no-untyped-def]
        return super().encode([text[::-1] for text in texts])


class Built:
    """Each small library's two assistants, loaded (and their indexes built and calibrated) once
    for the module: a test gets shallow copies, so the threshold, thresholds and margins it sets
    are its own, and lookups only read the shared rankers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.loaded: dict[bool, tuple[Assistant, Assistant]] = {}

    def assistants(self, out_of_scope: bool) -> tuple[Assistant, Assistant]:
        """(the full encoder alone, the two passes) over a small library."""
        if out_of_scope not in self.loaded:
            library = write_library(self.root / f"lib-{out_of_scope}", out_of_scope=out_of_scope)
            folder = self.root / f"index-{out_of_scope}"
            full = Assistant.load(library, encoder=ReversedHashEncoder("full"), index_dir=folder, log=lambda _: None)
            quick = Assistant.load(library, encoder=HashEncoder("quick"), index_dir=quick_index_dir(folder),
                                   log=lambda _: None)
            self.loaded[out_of_scope] = full, full.with_quick_pass(quick.ranker)
        full, both = self.loaded[out_of_scope]
        return copy.copy(full), copy.copy(both)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(tmp_path_factory.mktemp("decide"))


@pytest.mark.parametrize("out_of_scope", [False, True])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.99])
def test_batch_decisions_equal_the_rendered_suggestions(built: Built, out_of_scope: bool, threshold: float) -> None:
    for assistant in built.assistants(out_of_scope):
        assistant.threshold = threshold
        assistant.thresholds = {"en": min(threshold + 0.1, 1.0)}
        assistant.margins = {"zh": 0.05}
        decided = decide_batch(assistant, UTTERANCES)
        expected = [decision_of(s) for s in assistant.suggest_many(UTTERANCES)]
        assert decided.decisions == expected
        assert decided.texts == UTTERANCES


def test_the_cases_are_all_there(built: Built) -> None:
    """The comparison above covers pins, abstentions, answers and both passes."""
    _, both = built.assistants(out_of_scope=True)
    both.threshold = 0.6
    decisions = decide_batch(both, UTTERANCES).decisions
    assert any(d.pinned for d in decisions)
    assert any(d.abstained for d in decisions) and any(not d.abstained for d in decisions)
    assert any(d.quick for d in decisions) and any(not d.quick for d in decisions)


def test_vectors_are_the_full_encoders_where_it_ran(built: Built) -> None:
    full, both = built.assistants(out_of_scope=False)
    both.threshold = 0.6
    decided = decide_batch(both, UTTERANCES)
    assert decided.vectors is not None
    unsure = [i for i, d in enumerate(decided.decisions) if not d.quick]
    assert decided.embedded.tolist() == [not d.quick for d in decided.decisions]
    expected = full.encoder.encode([normalise(UTTERANCES[i]) for i in unsure])
    assert np.allclose(decided.vectors[unsure], expected, atol=1e-6)
    alone = decide_batch(full, UTTERANCES)
    assert alone.embedded.all()


def test_an_empty_batch(built: Built) -> None:
    _, both = built.assistants(out_of_scope=False)
    assert decide_batch(both, []).decisions == []
