"""The improvement loop on both databases: feedback → report → propose → review → rebuilt index."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from calls_db import store_url  # noqa: F401  (fixture)
from conftest import HashEncoder, write_library
from typer.testing import CliRunner

from assist.calls.feedback import record_feedback
from assist.calls.memory import CallMemory
from assist.calls.propose import read_drafts
from assist.calls.report import feedback_report
from assist.calls.review import refuse_installed
from assist.calls.store import CallStore
from assist.cli import app
from assist.errors import InputError
from assist.lookup.assistant import Assistant

MISSED = "想买房子按揭应该先去哪里问"


def load(library: Path) -> Assistant:
    return Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)


def test_runner_up_becomes_an_example_and_wins_after_rebuild(tmp_path: Path, store_url: str) -> None:  # noqa: F811
    library = write_library(tmp_path / "lib")
    subprocess.run(["git", "init", "-q", str(library)], check=True)
    subprocess.run(["git", "-C", str(library), "add", "."], check=True)
    subprocess.run(["git", "-C", str(library), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm",
                    "lib"], check=True)
    assistant = load(library)
    before = assistant.suggest(MISSED)
    assert before.top is not None and before.top.scenario != "mortgage_process"

    memory = CallMemory(assistant, CallStore(store_url))
    for call in ("c1", "c2"):
        memory.turn(call, "t1", "customer", MISSED)
        record_feedback(assistant, memory.store, call, "e1", "t1", "runner_up", script_id="mortgage_process.zh")
    memory.turn("c3", "t1", "customer", "我的卡被冻结了，钱取不出来")
    record_feedback(assistant, memory.store, "c3", "e1", "t1", "used")

    report = feedback_report(memory.store)
    assert report.events == 3
    assert report.runner_ups == [(before.top.script_id, "mortgage_process.zh", 2)]
    assert sum(a.used for a in report.by_scenario) == 1
    missed = next(a for a in report.by_scenario if a.key == before.top.scenario)
    assert missed.runner_up == 2 and missed.rate is not None and missed.rate < 1

    runner = CliRunner()
    env = {"ASSIST_STORE": store_url}
    shown = runner.invoke(app, ["feedback", "report", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["runner_ups"][0]["chosen"] == "mortgage_process.zh"
    markdown = runner.invoke(app, ["feedback", "report"], env=env)
    assert "Runner-ups chosen over the top pick" in markdown.stdout

    drafts_dir = tmp_path / "drafts"
    proposed = runner.invoke(app, ["feedback", "propose", "--out", str(drafts_dir), "--library", str(library)],
                             env=env)
    assert proposed.exit_code == 0, proposed.output
    drafts = read_drafts(drafts_dir / "drafts.yaml")
    assert [(d.scenario, d.example, d.status, d.events, d.calls) for d in drafts] == [
        ("mortgage_process", MISSED, "draft", 2, 2)]
    again = runner.invoke(app, ["feedback", "propose", "--out", str(drafts_dir), "--library", str(library)],
                          env=env)
    assert again.exit_code == 0 and len(read_drafts(drafts_dir / "drafts.yaml")) == 1

    listed = runner.invoke(app, ["review", str(drafts_dir), "--library", str(library)])
    assert drafts[0].id in listed.stdout
    approved = runner.invoke(app, ["review", str(drafts_dir), "--library", str(library),
                                   "--approve", drafts[0].id])
    assert approved.exit_code == 0, approved.output
    assert read_drafts(drafts_dir / "drafts.yaml")[0].status == "approved"

    diff = subprocess.run(["git", "-C", str(library), "diff", "--numstat"], capture_output=True, text=True,
                          check=True).stdout.split()
    assert diff == ["1", "0", "scripts/main.yaml"], diff  # one added line, nothing reformatted
    rebuilt = load(library)
    after = rebuilt.suggest(MISSED)
    assert after.top is not None and after.top.scenario == "mortgage_process"


def test_no_drafts_from_accepted_suggestions(tmp_path: Path, store_url: str) -> None:  # noqa: F811
    library = write_library(tmp_path / "lib")
    assistant = load(library)
    memory = CallMemory(assistant, CallStore(store_url))
    memory.turn("c", "t1", "customer", "我的卡被冻结了，钱取不出来")
    record_feedback(assistant, memory.store, "c", "e1", "t1", "rejected")
    result = CliRunner().invoke(app, ["feedback", "propose", "--out", str(tmp_path / "d"), "--library",
                                      str(library)], env={"ASSIST_STORE": store_url})
    assert result.exit_code == 0 and "0 new draft" in result.stdout


def test_feedback_from_the_shell(tmp_path: Path, store_url: str) -> None:  # noqa: F811
    library = write_library(tmp_path / "lib")
    memory = CallMemory(load(library), CallStore(store_url))
    memory.turn("c", "t1", "customer", "我的卡被冻结了，钱取不出来")
    runner, env = CliRunner(), {"ASSIST_STORE": store_url}
    given = runner.invoke(app, ["feedback", "give", "c", "t1", "runner_up", "--script", "card_lost_stolen.zh",
                                "--library", str(library)], env=env)
    assert given.exit_code == 0 and "stored: runner_up" in given.stdout, given.output
    again = runner.invoke(app, ["feedback", "give", "c", "t1", "runner_up", "--script", "card_lost_stolen.zh",
                                "--library", str(library)], env=env)
    assert "already stored" in again.stdout
    wrong = runner.invoke(app, ["feedback", "give", "c", "t1", "liked", "--library", str(library)], env=env)
    assert wrong.exit_code == 3
    assert memory.store.counts()["feedback"] == 1


def test_review_refuses_the_installed_package_library(tmp_path: Path) -> None:
    import assist

    with pytest.raises(InputError, match="installed package"):
        refuse_installed(Path(assist.__file__).parent / "_library")
    with pytest.raises(InputError, match="installed package"):
        refuse_installed(tmp_path / "lib" / "site-packages" / "assist" / "_library")


def test_bad_drafts_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "drafts.yaml"
    bad.write_text("drafts: 3\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["review", str(bad)])
    assert result.exit_code == 3
    assert "drafts:" in result.output
