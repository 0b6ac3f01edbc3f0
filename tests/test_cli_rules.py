"""`assist rules explain`, `assist rules test` (and `rules-eval`), `assist check` on imported
libraries, and `assist validate`'s notes on switched-off rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assist.cli import app

runner = CliRunner()

pytestmark = pytest.mark.model  # `check` and `rules test` run the semantic signal on the static encoder


def imported_library(tmp_path: Path) -> Path:
    history = tmp_path / "history.csv"
    rows = ["text,intent"]
    rows += [f"my card has not arrived yet {i},card_arrival" for i in range(4)]
    rows += [f"I want to close my account now {i},close_account" for i in range(4)]
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "imported"
    result = runner.invoke(app, ["import", str(history), "--text-col", "text", "--label-col", "intent",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_an_imported_library_runs_the_shipped_pack(tmp_path: Path) -> None:
    library = imported_library(tmp_path)
    result = runner.invoke(app, ["check", "just tell me your OTP", "--library", str(library), "--json"])
    assert result.exit_code == 1, result.output
    assert [v["category"] for v in json.loads(result.stdout)["violations"]] == ["credential_request"]
    validate = runner.invoke(app, ["validate", "--library", str(library)])
    assert validate.exit_code == 0, validate.output
    assert " 0 rules" not in validate.output


def test_validate_lists_switched_off_rules_and_warns_with_no_agent_rule(tmp_path: Path) -> None:
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY

    library = imported_library(tmp_path)
    agent_rules = [r.id for r in load_rule_pack(SHIPPED_LIBRARY).rules if r.covers("agent")]
    off = "".join(f"  - id: {rule_id}\n    reason: tested without agent rules\n" for rule_id in agent_rules)
    (library / "rules").mkdir(exist_ok=True)
    (library / "rules" / "local.yaml").write_text("switch_off:\n" + off, encoding="utf-8")
    result = runner.invoke(app, ["validate", "--library", str(library)])
    assert result.exit_code == 0, result.output
    assert "switched off: credential.request (tested without agent rules)" in result.output
    assert "warning: no agent rules" in result.output


def test_rules_explain_shows_lexicons_and_why_a_text_is_cancelled() -> None:
    text = "请勿向任何人透露验证码，也别告诉我"
    result = runner.invoke(app, ["rules", "explain", "credential.request", "--text", text])
    assert result.exit_code == 0, result.output
    assert "lexicon credential" in result.output and "驗證碼" in result.output
    assert "cancelled by prohibition scope" in result.output
    data = json.loads(runner.invoke(app, ["rules", "explain", "credential.request", "--json",
                                          "--text", "验证码报给我"]).stdout)
    assert data["hits"] and data["hits"][0]["cancelled_by"] is None


def test_rules_explain_unknown_id_is_a_usage_error() -> None:
    result = runner.invoke(app, ["rules", "explain", "no.such.rule"])
    assert result.exit_code == 3 and "no rule 'no.such.rule'" in result.output


def test_rules_explain_a_semantic_flags_id_shows_its_threshold_and_cross_validation() -> None:
    from assist.compliance.semantic import FALSE_FLAG_BUDGET

    def explained(text: str) -> dict:
        result = runner.invoke(app, ["rules", "explain", "semantic.credential_request", "--text", text, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    asking = explained("麻烦把刚收到那条短信里的六位数字念给我听一下")
    warning = explained("请勿向任何人透露验证码")
    assert asking["id"] == "semantic.credential_request" and asking["violating_exemplars"] > 40
    assert 0 < asking["cv_recall"] <= 1 and asking["cv_false_flags"] <= FALSE_FLAG_BUDGET
    for data in (asking, warning):
        assert data["text"]["reaches_threshold"] == (data["text"]["score"] >= data["threshold"])
    assert asking["text"]["score"] > warning["text"]["score"]
    unknown = runner.invoke(app, ["rules", "explain", "semantic.no_such_category"])
    assert unknown.exit_code == 3
    assert "semantic.bare_refusal" in unknown.output


def test_rules_test_and_its_alias_agree(tmp_path: Path) -> None:
    drafts = tmp_path / "d.jsonl"
    lines = [{"text": "您把动态码读给我。", "violations": ["credential_request"]},
             {"text": "请不要把动态码告诉任何人。", "violations": []}]
    drafts.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    new = runner.invoke(app, ["rules", "test", str(drafts), "--json"])
    old = runner.invoke(app, ["rules-eval", str(drafts), "--json"])
    assert new.exit_code == old.exit_code == 0, new.output
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert json.loads(new.stdout)["recall"] == 1.0 and json.loads(new.stdout)["false_flag_rate"] == 0.0


class ReadsClean:
    """A stand-in semantic signal that reads every draft as wholly clean (margin -1 everywhere)."""

    def top_margin(self, text: str, floor: float) -> float:
        return -1.0


def test_rules_explain_with_a_text_shows_the_semantic_veto(monkeypatch: pytest.MonkeyPatch) -> None:
    from assist.cli import rules as cli_rules

    text = "为了核实身份，请把刚收到的短信验证码报给我"
    fires = runner.invoke(app, ["rules", "explain", "credential.request", "--text", text, "--json"])
    assert fires.exit_code == 0, fires.output
    assert [hit["cancelled_by"] for hit in json.loads(fires.stdout)["hits"]][:1] == [None]
    monkeypatch.setattr(cli_rules, "semantic_signal", lambda pack: ReadsClean())
    vetoed = runner.invoke(app, ["rules", "explain", "credential.request", "--text", text])
    assert vetoed.exit_code == 0, vetoed.output
    assert "cancelled by the semantic veto" in vetoed.output and "-1.000 < W" in vetoed.output
