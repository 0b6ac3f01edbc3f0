"""One pass of a lookup: a ranker's scenarios, their order and margin."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assist.lookup.assistant import Assistant
from assist.lookup.rank import NO_HIT, ScenarioScore
from assist.lookup.ranker import Ranker, margin_of
from assist.text.clauses import LONG_TURN_CHARS, clauses
from assist.types import Script
from tests.conftest import HashEncoder


def scored(scenario: str, score: float) -> ScenarioScore:
    script = Script(id=f"{scenario}.zh", scenario=scenario, language="zh-Hans", examples=("x",),
                    empathy="e", solution_preview="p")
    return ScenarioScore(scenario, score, NO_HIT, script)


def test_margin_is_the_lead_over_the_runner_up() -> None:
    assert margin_of([scored("a", 0.9), scored("b", 0.6)]) == 0.3
    assert margin_of([scored("a", 0.7)]) == 0.7  # alone, it leads by its own score
    assert margin_of([]) == 0.0


def test_a_ranker_ranks_every_scenario_best_first(library_dir: Path, tmp_path: Path) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), index_dir=tmp_path / "i",
                               log=lambda _: None)
    texts = ["我的卡被冻结了，钱取不出来", "办房贷需要准备什么材料"]
    ranked = assistant.ranker.rank(texts, ["zh", "zh"], None, None, top_k=3)
    assert [item.scenarios[0].scenario for item in ranked] == ["account_frozen", "mortgage_process"]
    for item in ranked:
        scores = [s.score for s in item.scenarios]
        assert scores == sorted(scores, reverse=True)
        assert not item.quick
        assert item.best == scores[0]
    assert assistant.ranker.rank([], [], None, None, top_k=3) == []


def test_the_matched_example_is_the_library_text(library_dir: Path, tmp_path: Path) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), index_dir=tmp_path / "i",
                               log=lambda _: None)
    [item] = assistant.ranker.rank(["我的卡被冻结了，钱取不出来"], ["zh"], None, None, top_k=1)
    assert assistant.ranker.example_text(item.scenarios[0].best) == "我的卡被冻结了，钱取不出来"
    assert assistant.ranker.example_text(NO_HIT) == ""


STORY_THEN_REQUEST = ("上个月我们搬了家，家里老人身体也不太好，里里外外都是我一个人在忙，房租水电也都要交，"
                      "今天去取钱才发现我的卡被冻结了，钱取不出来")


def _ranker(library_dir: Path, tmp_path: Path) -> Ranker:
    return Assistant.load(library=library_dir, encoder=HashEncoder(), index_dir=tmp_path / "i",
                          log=lambda _: None).ranker


def test_a_long_turn_is_also_read_clause_by_clause(library_dir: Path, tmp_path: Path) -> None:
    ranker = _ranker(library_dir, tmp_path)
    turn = STORY_THEN_REQUEST
    pieces = clauses(turn)
    assert len(turn) > LONG_TURN_CHARS and len(pieces) >= 2
    ranker.clause_margin = None  # every long turn (the gate: the next test)
    ranker.clause_keeps_top = False  # the blend itself (the shift: tests/test_rank.py)
    read = ranker.rank_arrays([turn, "办房贷需要准备什么材料"], ["zh", "zh"], None, None, 3)
    share, ranker.clause_share = ranker.clause_share, 0.0
    try:
        whole = ranker.rank_arrays([turn, "办房贷需要准备什么材料"], ["zh", "zh"], None, None, 3)
        parts = ranker.rank_arrays(pieces, ["zh"] * len(pieces), None, None, 3)
    finally:
        ranker.clause_share = share
    assert read.vectors is not None and whole.vectors is not None
    np.testing.assert_array_equal(read.vectors, whole.vectors)  # the turns' own vectors (pins read them)
    finite = np.isfinite(read.scores[0])
    expected = ((1 - share) * np.nan_to_num(whole.scores[0], neginf=0.0)
                + share * np.nan_to_num(parts.scores, neginf=0.0).max(axis=0))
    np.testing.assert_allclose(read.scores[0][finite], expected[finite])
    np.testing.assert_array_equal(read.scores[1], whole.scores[1])  # the short turn is read whole only
    assert read.lists()[0][0].scenario == "account_frozen"


def test_a_long_turn_whose_leader_stands_clear_is_read_whole_only(library_dir: Path, tmp_path: Path) -> None:
    ranker = _ranker(library_dir, tmp_path)
    turn = STORY_THEN_REQUEST
    share, ranker.clause_share = ranker.clause_share, 0.0
    try:
        whole = ranker.rank_arrays([turn], ["zh"], None, None, 3)
    finally:
        ranker.clause_share = share
    first, second = whole.ranked[0, :2]
    margin = float(first - second)
    ranker.clause_margin = margin  # the leader is exactly this far ahead: not closer than the gate
    np.testing.assert_array_equal(ranker.rank_arrays([turn], ["zh"], None, None, 3).scores, whole.scores)
    ranker.clause_margin = margin + 1e-6  # just closer than the gate: read clause by clause
    assert not np.array_equal(ranker.rank_arrays([turn], ["zh"], None, None, 3).scores, whole.scores)
