"""Call inspection: coverage, compliance findings, script adherence, per team/agent, mergeable."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from assist.batch.inspect import best_threshold, inspect_calls, read_calls, write_inspection
from assist.errors import InputError
from assist.lookup.assistant import Assistant
from tests.conftest import HashEncoder

FROZEN_REPLY = ("我完全理解您的着急，账户冻结会影响您的日常开支，我们会尽快帮您处理。"
                "我现在就为您核查冻结原因，并告诉您解除冻结需要准备的材料和办理方式。")


@pytest.fixture
def assistant(library_dir: Path) -> Assistant:
    return Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.2, log=lambda _: None)


def turns_file(tmp_path: Path, assistant: Assistant) -> Path:
    reply = assistant.suggest("我的账户被冻结了，钱取不出来").top.reply  # type: ignore[union-attr]
    rows = []
    for c in range(6):
        agent, team = f"a{c % 3}", f"t{c % 2}"
        rows += [
            {"call_id": f"c{c}", "turn": 1, "speaker": "customer", "text": "我的账户被冻结了，钱取不出来 13812345678",
             "agent": agent, "team": team},
            {"call_id": f"c{c}", "turn": 2, "speaker": "agent",
             "text": reply if c % 2 == 0 else "好的，请稍等", "agent": agent, "team": team},
        ]
        if c == 1:
            rows.append({"call_id": "c1", "turn": 3, "speaker": "坐席", "text": "这是系统问题"})
    path = tmp_path / "turns.jsonl"
    rows.reverse()  # turn order comes from the turn numbers, not the file
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_findings_adherence_and_groups(assistant: Assistant, tmp_path: Path) -> None:
    calls, skipped = read_calls(turns_file(tmp_path, assistant))
    assert skipped == [] and len(calls) == 6
    inspection = inspect_calls(assistant, calls, threshold=0.95)
    summary = inspection.summary()
    assert summary["calls"] == 6 and summary["coverage"] == 1.0
    assert summary["findings_by_rule"] == {"test.blame": 1}
    assert summary["overall"]["adherence_rate"] == 0.5
    assert summary["overall"]["findings_per_100_calls"] == pytest.approx(100 / 6, abs=0.01)
    assert summary["listen_first"][0]["call_id"] == "c1"
    assert summary["agents"]["a1"]["findings_per_100_calls"] == 50.0
    assert set(summary["teams"]) == {"t0", "t1"}
    c0 = inspection.calls["c0"]
    assert c0.adherent == 1 and c0.adherence[0][3] == pytest.approx(1.0, abs=1e-4)


def test_inspections_merge_in_any_order(assistant: Assistant, tmp_path: Path) -> None:
    calls, _ = read_calls(turns_file(tmp_path, assistant))
    whole = inspect_calls(assistant, calls, threshold=0.95).summary()
    parts = [calls[:1], calls[1:4], calls[4:]]
    for order in itertools.permutations(range(3)):
        merged = inspect_calls(assistant, parts[order[0]], threshold=0.95)
        for index in order[1:]:
            merged.merge(inspect_calls(assistant, parts[index], threshold=0.95))
        assert merged.summary() == whole


def test_outputs_hold_no_text_and_bad_speakers_are_named(assistant: Assistant, tmp_path: Path) -> None:
    calls, _ = read_calls(turns_file(tmp_path, assistant))
    inspection = inspect_calls(assistant, calls, threshold=0.95)
    written = write_inspection(inspection.summary(), inspection, tmp_path / "qa")
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "13812345678" not in text and "钱取不出来" not in text
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"call_id": "x", "turn": 1, "speaker": "robot", "text": "hi"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: speaker 'robot'"):
        read_calls(bad)


def test_threshold_is_the_midpoint_of_the_best_cut() -> None:
    cut, f1 = best_threshold([0.9, 0.8, 0.7, 0.4, 0.3], [True, True, True, False, False])
    assert f1 == 1.0 and cut == pytest.approx(0.55)


def test_ray_inspection_equals_local(assistant: Assistant, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from assist.batch.ray_engine import inspect_ray
    from tests.test_ray_engine import start_local_ray

    calls, _ = read_calls(turns_file(tmp_path, assistant))
    with start_local_ray():
        distributed = inspect_ray(assistant, calls, threshold=0.95, actors=2)
    assert distributed.summary() == inspect_calls(assistant, calls, threshold=0.95).summary()


def test_an_advisory_the_semantic_veto_made_is_not_a_finding(
        assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from assist.compliance.rules import ADVISORY_PREFIX

    checked = assistant.check

    def with_advice(text: str) -> list:  # type: ignore[type-arg]
        found = checked(text)
        return found + [replace(v, rule_id=ADVISORY_PREFIX + v.rule_id, severity="warn") for v in found]

    calls, _ = read_calls(turns_file(tmp_path, assistant))
    before = inspect_calls(assistant, calls, threshold=0.95).summary()
    monkeypatch.setattr(assistant, "check", with_advice)
    after = inspect_calls(assistant, calls, threshold=0.95).summary()
    assert after["findings_by_rule"] == before["findings_by_rule"] == {"test.blame": 1}
    assert after["overall"] == before["overall"]
