"""The CLI through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assist.cli import app

runner = CliRunner()


@pytest.fixture
def built(library_dir: Path) -> Path:
    result = runner.invoke(app, ["build", "--library", str(library_dir)])
    assert result.exit_code == 0, result.output
    assert "built flat index" in result.output
    return library_dir


def test_validate(library_dir: Path) -> None:
    result = runner.invoke(app, ["validate", "--library", str(library_dir)])
    assert result.exit_code == 0
    assert "6 scripts" in result.output


def test_validate_reports_file_and_line(library_dir: Path) -> None:
    path = library_dir / "scripts" / "main.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("language: en", "langauge: en"), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--library", str(library_dir)])
    assert result.exit_code == 4  # an invalid library
    assert "main.yaml:" in result.output and "langauge" in result.output
    assert "Traceback" not in result.output


def test_suggest_json(built: Path) -> None:
    result = runner.invoke(app, ["suggest", "卡被冻结了，钱取不出来", "--json", "--library", str(built)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["candidates"][0]["scenario"] == "account_frozen"
    assert data["reply"] and data["abstained"] is False


def test_suggest_card(built: Path) -> None:
    result = runner.invoke(app, ["suggest", "卡被冻结了", "--top-k", "2", "--library", str(built)])
    assert result.exit_code == 0
    assert "account_frozen" in result.output and "why:" in result.output


def test_suggest_no_build_on_stale_index(library_dir: Path) -> None:
    result = runner.invoke(app, ["suggest", "卡被冻结了", "--no-build", "--library", str(library_dir)])
    assert result.exit_code == 5  # index state
    assert "assist build --library" in result.output


def test_check_exit_codes(library_dir: Path) -> None:
    blocked = runner.invoke(app, ["check", "请把钱转到安全账户", "--json", "--library", str(library_dir)])
    assert blocked.exit_code == 1
    data = json.loads(blocked.output)
    assert data["blocked"] is True
    assert data["violations"][0]["rule_id"] == "test.safe_account"
    clean = runner.invoke(app, ["check", "我们不会让您转到安全账户", "--library", str(library_dir)])
    assert clean.exit_code == 0


def test_evaluate_and_calibrate(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "eval.jsonl"
    lines = [
        {"text": "卡被冻住了", "scenario": "account_frozen"},
        {"text": "银行卡被偷了", "scenario": "card_lost_stolen"},
        {"text": "房贷要什么材料", "scenario": "mortgage_process"},
        {"text": "推荐一家好吃的餐厅", "scenario": "out_of_scope"},
    ]
    data.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(data), "--json", "--calibrate", "--library", str(built)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["utterances"] == 4
    assert summary["top1"] == 1.0
    assert (built / ".index" / "calibration.json").is_file()


def test_evaluate_bad_line(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(data), "--library", str(built)])
    assert result.exit_code == 3  # bad input
    assert "bad.jsonl:2" in result.output


def test_shell_keeps_a_session_and_checks_drafts(built: Path) -> None:
    lines = "卡被冻结了\n卡还是冻结状态\n怎么又被冻结了\n!这是系统问题，跟我们没关系\n\n"
    result = runner.invoke(app, ["shell", "--library", str(built)], input=lines)
    assert result.exit_code == 0, result.output
    assert result.output.count("account_frozen") >= 3
    assert "repeated_unresolved" in result.output
    assert "blame_shifting" in result.output


def test_import_then_evaluate_a_bootstrapped_library(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    rows = ["text,intent"]
    rows += [f"my card has not arrived yet {i},card_arrival" for i in range(6)]
    rows += [f"I want to close my account now {i},close_account" for i in range(6)]
    rows += ["call me on 13812345678 about my card,card_arrival"]
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "boot"
    held = tmp_path / "held.jsonl"
    result = runner.invoke(app, ["import", str(history), "--text-col", "text", "--label-col", "intent",
                                 "--max-per-label", "5", "--holdout", "0.2", "--holdout-file", str(held),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 scenarios" in result.output
    written = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.yaml"))
    assert "13812345678" not in written + held.read_text(encoding="utf-8")
    suggest = runner.invoke(app, ["suggest", "where is my new card", "--json", "--library", str(out)])
    assert suggest.exit_code == 0, suggest.output
    assert json.loads(suggest.stdout)["candidates"][0]["scenario"] == "card_arrival"
