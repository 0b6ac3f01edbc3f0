"""Evaluation figures: n/a without labels, unknown labels, per-scenario scores, merging,
predictions with the input's id, and outputs that appear only when a run succeeds."""

from __future__ import annotations

import csv
import itertools
import json
import random
from pathlib import Path

import pytest

from assist.batch.evaluate import EvaluationReport, Outcome, evaluate
from assist.batch.predictions import StagedOutputs
from assist.batch.runner import run_local
from assist.errors import InputError
from assist.lookup.assistant import Assistant
from assist.text.datafiles import Utterance, UtteranceReader
from tests.conftest import HashEncoder


@pytest.fixture
def assistant(library_dir: Path) -> Assistant:
    return Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.3, log=lambda _: None)


def test_unlabelled_input_gives_na_not_zero(assistant: Assistant) -> None:
    summary = evaluate(assistant, [Utterance("我的卡被冻结了"), Utterance("今天天气")]).summary()
    assert summary["labelled"] == 0
    for key in ("top1", "top3", "answered_and_correct", "out_of_scope_precision", "out_of_scope_f1"):
        assert summary[key] is None, key


def test_unknown_labels_are_listed(assistant: Assistant) -> None:
    items = [Utterance("我的卡被冻结了", "account_frozen"), Utterance("卡丢了", "no_such_scenario"),
             Utterance("卡丢了", "no_such_scenario"), Utterance("你好", "out_of_scope")]
    summary = evaluate(assistant, items).summary()
    assert summary["unknown_labels"] == {"no_such_scenario": 2}


def test_per_scenario_scores_follow_the_confusion_matrix() -> None:
    report = EvaluationReport()
    for label, predicted, abstained in [("a", "a", False), ("a", "b", False), ("b", "b", False),
                                        ("b", "b", True), ("out_of_scope", "a", False)]:
        report.add(Outcome(label, predicted, (predicted,), 0.5, abstained, False))
    scores = report.summary()["per_scenario"]
    assert scores["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2, "predicted": 2}
    assert scores["b"]["precision"] == 0.5 and scores["b"]["recall"] == 0.5
    assert scores["out_of_scope"]["support"] == 1 and scores["out_of_scope"]["precision"] == 0.0


def random_outcomes(seed: int, n: int) -> list[Outcome]:
    rng = random.Random(seed)
    labels = ["a", "b", "c", "out_of_scope", None]
    return [Outcome(rng.choice(labels), rng.choice(["a", "b", "c"]), tuple(rng.sample("abc", 3)),
                    rng.random(), rng.random() < 0.3, rng.random() < 0.1, rng.random() < 0.5) for _ in range(n)]


def test_reports_merge_in_any_order() -> None:
    outcomes = random_outcomes(1, 300)
    whole = EvaluationReport(known=frozenset("ab"))
    for outcome in outcomes:
        whole.add(outcome)
    parts = [outcomes[:70], outcomes[70:71], outcomes[71:200], outcomes[200:]]
    for order in itertools.permutations(range(len(parts))):
        merged = EvaluationReport(known=frozenset("ab"))
        for index in order:
            part = EvaluationReport(known=frozenset("ab"))
            for outcome in parts[index]:
                part.add(outcome)
            merged.merge(part)
        assert merged.summary() == whole.summary()


def test_predictions_carry_the_id_and_are_redacted(assistant: Assistant, tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    data.write_text("call_id,text,scenario\nC-1,我的卡被冻结了 电话13812345678,account_frozen\n"
                    "C-2,王先生说卡丢了,card_lost_stolen\n", encoding="utf-8")
    outputs = StagedOutputs()
    for name in ("p.jsonl", "p.csv"):
        run_local(assistant, UtteranceReader(data, id_field="call_id"), gaps=False,
                  predictions=tmp_path / name, outputs=outputs)
    outputs.commit()
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["C-1", "C-2"] and [r["line"] for r in rows] == [2, 3]
    assert rows[0]["text"] == "我的卡被冻结了 电话[PHONE]" and rows[1]["text"] == "[NAME]先生说卡丢了"
    with open(tmp_path / "p.csv", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [r["id"] for r in table] == ["C-1", "C-2"] and table[0]["label"] == "account_frozen"
    assert not list(tmp_path.glob(".*partial"))


def test_a_stopped_run_leaves_nothing_behind(assistant: Assistant, tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    good = json.dumps({"text": "我的卡被冻结了"}, ensure_ascii=False)
    data.write_text("\n".join([good] * 600 + ["{broken"] + [good]) + "\n", encoding="utf-8")
    old = tmp_path / "p.jsonl"
    old.write_text("earlier run\n", encoding="utf-8")
    outputs = StagedOutputs()
    with pytest.raises(InputError, match=r"in.jsonl:601: not valid JSON"):
        try:
            run_local(assistant, UtteranceReader(data), predictions=old, outputs=outputs)
        except BaseException:
            outputs.abort()
            raise
    assert old.read_text(encoding="utf-8") == "earlier run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "lib", "p.jsonl"]
    skipping = UtteranceReader(data, on_error="skip")
    result = run_local(assistant, skipping, gaps=False)
    assert result.summary["skipped_lines"] == {"count": 1, "lines": [601], "reasons": {"not valid JSON": 1}}
    assert result.summary["utterances"] == 601


def test_a_batch_rendered_where_it_runs_writes_the_rows_it_returns(assistant: Assistant) -> None:
    from assist.batch.predictions import render_rows
    from assist.batch.runner import aggregate_batch

    batch = [Utterance("我的卡被冻结了 电话13812345678", "account_frozen", id="C-1", line=2),
             Utterance("今天天气怎么样", "out_of_scope", id="C-2", line=3), Utterance("卡丢了", None, line=4)]
    plain = aggregate_batch(assistant, batch, low_confidence=0.9, predictions=True)
    assert plain.rows is not None and plain.rendered is None
    assert plain.rows[0]["text"] == "我的卡被冻结了 电话[PHONE]"
    for fmt in ("jsonl", "csv"):
        rendered = aggregate_batch(assistant, batch, low_confidence=0.9, predictions=True, render=fmt)
        assert rendered.rows is None and rendered.rendered == render_rows(plain.rows, fmt == "csv")
    # The gap sample takes the lines redacted once for the rows: the same texts as redacting them itself.
    alone = aggregate_batch(assistant, batch, low_confidence=0.9, predictions=False)
    assert alone.rows is None and alone.gaps is not None and plain.gaps is not None
    assert sorted(alone.gaps.points) == sorted(plain.gaps.points)
    assert any("[PHONE]" in text for text in plain.gaps.points)
    assert not any("13812345678" in text for text in plain.gaps.points)
