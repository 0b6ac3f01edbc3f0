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
    data = json.loads(result.stdout)  # stderr may carry progress notes
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
    data = json.loads(blocked.stdout)
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


# ----- conventions (issue 17) --------------------------------------------------------------


def one_line_error(result: object) -> str:
    output = result.output  # type: ignore[attr-defined]
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ")
    return lines[0]


def test_version_and_short_help() -> None:
    from assist import __version__

    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.strip() == f"assist {__version__}"
    for args in (["-h"], ["suggest", "-h"], ["shell", "-h"], ["--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output


def test_segment_and_channel_are_choices() -> None:
    result = runner.invoke(app, ["suggest", "x", "--segment", "kids"])
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "--segment" in line and "elderly" in line and "Value error" not in line
    assert runner.invoke(app, ["shell", "--channel", "fax"]).exit_code == 2


def test_the_choices_are_the_librarys() -> None:
    from assist.cli.app import Channel, Segment
    from assist.library.loader import CHANNELS, SEGMENTS

    assert tuple(s.value for s in Segment) == SEGMENTS
    assert tuple(c.value for c in Channel) == CHANNELS


def test_usage_errors_are_one_line() -> None:
    for args in (["nosuch"], ["suggest"], ["suggest", "x", "--bogus"], ["suggest", "x", "--top-k", "0"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        one_line_error(result)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_utterance_or_draft_is_bad_input(text: str, library_dir: Path) -> None:
    for command in ("suggest", "check"):
        result = runner.invoke(app, [command, text, "--library", str(library_dir)])
        assert result.exit_code == 3, (command, result.output)
        assert "empty" in one_line_error(result)


def test_dash_reads_stdin(built: Path) -> None:
    result = runner.invoke(app, ["suggest", "-", "--json", "--library", str(built)],
                           input="我的银行卡丢了，快帮我挂失\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["candidates"][0]["scenario"] == "card_lost_stolen"
    blocked = runner.invoke(app, ["check", "-", "--json", "--library", str(built)], input="请把钱转到安全账户\n")
    assert blocked.exit_code == 1 and json.loads(blocked.stdout)["blocked"] is True
    empty = runner.invoke(app, ["suggest", "-", "--library", str(built)], input="")
    assert empty.exit_code == 3


def test_json_on_the_reporting_commands(library_dir: Path, tmp_path: Path) -> None:
    validated = runner.invoke(app, ["validate", "--json", "--library", str(library_dir)])
    assert validated.exit_code == 0, validated.output
    assert json.loads(validated.stdout)["scripts"] == 6
    built = runner.invoke(app, ["build", "--json", "--library", str(library_dir)])
    assert built.exit_code == 0, built.output
    manifests = json.loads(built.stdout)["built"]  # the full model's index and the quick pass's
    assert manifests and all(m["examples"] > 0 and Path(m["folder"]).is_dir() for m in manifests)
    prepared = {p["what"]: p for p in json.loads(built.stdout)["prepared"]}
    assert set(prepared) == {"abstention calibration", "compliance semantic signal", "scam signal"}
    assert not prepared["abstention calibration"]["made"]  # no out-of-scope set here: nothing to calibrate
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text('{"text": "请把钱转到安全账户", "violations": ["unsafe_transfer_instruction"]}\n'
                      '{"text": "您好，请问有什么可以帮您", "violations": []}\n', encoding="utf-8")
    rules = runner.invoke(app, ["rules-eval", str(drafts), "--json", "--library", str(library_dir)])
    assert rules.exit_code == 0, rules.output
    report = json.loads(rules.stdout)
    assert report["recall"] == 1.0 and report["false_flag_rate"] == 0.0
    terse = json.loads(runner.invoke(app, ["rules-eval", str(drafts), "--json", "--no-details",
                                           "--library", str(library_dir)]).stdout)
    assert "misses" not in terse and "false_flags" not in terse


def test_import_json(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text("text,intent\n" + "".join(f"card not arrived {i},card_arrival\n" for i in range(4)),
                       encoding="utf-8")
    result = runner.invoke(app, ["import", str(history), "--label-col", "intent", "--out", str(tmp_path / "o"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["labels"] == 1 and summary["examples"] == 4


def test_build_and_import_are_quiet_when_piped(library_dir: Path) -> None:
    result = runner.invoke(app, ["build", "--library", str(library_dir)])
    assert result.exit_code == 0
    assert result.output.startswith("built "), result.output  # no spinner, no progress lines


def test_activity_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import io

    from rich.console import Console

    cli_app = importlib.import_module("assist.cli.app")  # the module; assist.cli.app is the Typer app

    for terminal in (False, True):
        stream = io.StringIO()
        monkeypatch.setattr(cli_app, "err", Console(file=stream, force_terminal=terminal, width=80))
        with cli_app.activity("building the index") as step:
            step("embedding 10 examples")
        assert ("building the index" in stream.getvalue()) is terminal


def test_shell_commands_and_json_lines(built: Path) -> None:
    lines = "卡被冻结了\n\n卡还是冻结状态\n:new\n卡被冻结了\n:help\n:bogus\n!\n!这是系统问题\n:quit\n卡被冻结了\n"
    result = runner.invoke(app, ["shell", "--json", "--library", str(built)], input=lines)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [r["type"] for r in records]
    # The blank line is ignored; :quit ends before the last line; :help goes to stderr.
    assert kinds == ["suggestion", "suggestion", "new_call", "suggestion", "error", "error", "check"]
    assert records[2]["call"] == 2
    assert records[4]["code"] == "usage" and records[5]["code"] == "invalid_input"
    assert records[6]["violations"][0]["category"] == "blame_shifting"


def test_shell_new_call_starts_a_new_session(capsys: pytest.CaptureFixture[str]) -> None:
    from assist.cli.lookup import Shell

    class Assistant:
        sessions = 0

        def session(self) -> object:
            self.sessions += 1
            return object()

    assistant = Assistant()
    shell = Shell(assistant, segment=None, channel=None, as_json=True)
    first = shell.session
    assert shell.handle(":new") is True
    assert shell.session is not first and shell.call == 2 and assistant.sessions == 2
    assert json.loads(capsys.readouterr().out) == {"type": "new_call", "call": 2}
    assert shell.handle("   ") is True and capsys.readouterr().out == ""
    assert shell.handle(":quit") is False


def test_prompt_lines_until_ctrl_d() -> None:
    from assist.cli.lookup import PROMPT, prompted_lines

    typed: list[object] = ["卡被冻结了", KeyboardInterrupt(), "", EOFError(), "never read"]
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        item = typed.pop(0)
        if isinstance(item, BaseException):
            raise item
        return str(item)

    assert list(prompted_lines(read, None)) == ["卡被冻结了", ""]
    assert prompts == [PROMPT] * 4


def test_shell_history_is_redacted_and_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("readline")
    import readline

    from assist.cli.lookup import ShellHistory, history_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = history_path()
    assert path == tmp_path / "data" / "assist" / "shell_history"
    readline.clear_history()
    history = ShellHistory(path)
    history.add("我的卡号是6222020200112233445，电话13812345678")
    history.save()
    saved = path.read_text(encoding="utf-8")
    assert "13812345678" not in saved and "[PHONE]" in saved
    assert path.stat().st_mode & 0o077 == 0
    readline.clear_history()
    ShellHistory(path)  # reads it back for the Up arrow
    assert readline.get_history_item(1) == saved.strip()
    readline.clear_history()


def test_shell_history_that_cannot_be_written_is_not_fatal(tmp_path: Path) -> None:
    pytest.importorskip("readline")
    import readline

    from assist.cli.lookup import ShellHistory

    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    history = ShellHistory(blocker / "assist" / "shell_history")  # its folder cannot be made
    history.add("卡被冻结了")
    history.save()
    readline.clear_history()


def test_evaluate_reads_stdin(built: Path) -> None:
    lines = [{"text": "卡被冻住了", "scenario": "account_frozen"},
             {"text": "银行卡被偷了", "scenario": "card_lost_stolen"}]
    jsonl = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    result = runner.invoke(app, ["evaluate", "-", "--json", "--no-gaps", "--workers", "1", "--library", str(built)],
                           input=jsonl)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["utterances"] == 2 and summary["top1"] == 1.0
    plain = runner.invoke(app, ["evaluate", "-", "--json", "--no-gaps", "--workers", "1", "--library", str(built)],
                          input="卡被冻住了\n\n银行卡被偷了\n")
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["utterances"] == 2
    twice = runner.invoke(app, ["evaluate", "-", "--calibrate", "--library", str(built)], input=jsonl)
    assert twice.exit_code == 2
    one_line_error(twice)
