"""The Python API on a small fixture library."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist import Assistant
from assist.errors import IndexStateError, InputError, LibraryError
from assist.limits import MAX_UTTERANCE_CHARS
from tests.conftest import SCRIPTS_YAML, HashEncoder, write_library


@pytest.fixture
def fixture_assistant(library_dir: Path, default_encoder) -> Assistant:  # type: ignore[no-untyped-def]
    return Assistant.load(library=library_dir, encoder=default_encoder, log=lambda _: None)


@pytest.mark.parametrize(
    ("utterance", "scenario"),
    [
        ("卡被冻住了，取不了钱，急死了", "account_frozen"),
        ("帳戶被凍結，沒法付款", "account_frozen"),
        ("my account is blocked and payments keep failing", "account_frozen"),
        ("钱包丢了，银行卡也没了", "card_lost_stolen"),
        ("想买二手房，贷款要什么资料", "mortgage_process"),
    ],
)
def test_ranking_with_the_real_default_model(fixture_assistant: Assistant, utterance: str, scenario: str) -> None:
    suggestion = fixture_assistant.suggest(utterance)
    assert suggestion.candidates[0].scenario == scenario
    assert not suggestion.abstained
    assert suggestion.reply == suggestion.candidates[0].reply


def test_candidate_fields_and_language_variant(fixture_assistant: Assistant) -> None:
    english = fixture_assistant.suggest("my card is frozen, I can't pay rent")
    top = english.candidates[0]
    assert top.script_id == "account_frozen.en"
    assert top.matched_example and top.empathy and top.solution_preview
    assert english.margin >= 0
    chinese = fixture_assistant.suggest("我的卡被冻结了")
    assert chinese.candidates[0].script_id == "account_frozen.zh"
    assert len({c.scenario for c in chinese.candidates}) == len(chinese.candidates)


def test_abstains_with_a_clarifying_question(fixture_assistant: Assistant) -> None:
    fixture_assistant.threshold = 0.99
    suggestion = fixture_assistant.suggest("今天天气怎么样")
    assert suggestion.abstained
    assert "？" in suggestion.reply
    assert suggestion.candidates, "candidates are present even when abstaining"


def test_fraud_signal_pins_the_anti_fraud_script(fixture_assistant: Assistant) -> None:
    suggestion = fixture_assistant.suggest("我想办房贷，但是有个警察让我先把钱转到安全账户")
    assert suggestion.pinned_by == "test.safe_account"
    assert suggestion.candidates[0].scenario == "fraud_in_progress"
    assert "安全账户" in suggestion.why
    assert suggestion.alerts


def test_three_phrasings_in_one_session_are_one_contact(fixture_assistant: Assistant) -> None:
    session = fixture_assistant.session()
    answers = [session.suggest(text) for text in ("我的卡被冻结了", "卡还是冻结状态", "怎么又被冻结了，账户还是用不了")]
    assert not any(answer.alerts for answer in answers)
    assert session.raised["account_frozen"] == 3


def test_check_finds_rule_violations(fixture_assistant: Assistant) -> None:
    violations = fixture_assistant.check("您好，这是系统问题，跟我们没关系")
    by_rule = {v.rule_id: v for v in violations}
    assert by_rule["test.blame"].severity == "warn"  # the library's own rule
    assert {v.category for v in violations} == {"blame_shifting"}  # the shipped pack agrees, adds no other


def test_too_long_input_is_a_clear_error(fixture_assistant: Assistant) -> None:
    with pytest.raises(InputError, match="limit"):
        fixture_assistant.suggest("啊" * (MAX_UTTERANCE_CHARS + 1))


def test_a_blank_utterance_is_refused_alone_and_abstains_in_a_batch(fixture_assistant: Assistant) -> None:
    with pytest.raises(InputError, match="empty"):
        fixture_assistant.suggest("   ")
    blank, real = fixture_assistant.suggest_many(["   ", "卡被冻结了"])
    assert blank.abstained and not real.abstained


def test_stale_index_without_auto_build_names_the_command(library_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexStateError, match=r"assist build --library"):
        Assistant.load(library=library_dir, encoder=HashEncoder(), auto_build=False)


def test_stale_index_is_rebuilt(library_dir: Path) -> None:
    encoder = HashEncoder()
    first = Assistant.load(library=library_dir, encoder=encoder, log=lambda _: None)
    path = library_dir / "scripts" / "main.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "      - 房贷能批多少\n", encoding="utf-8")
    messages: list[str] = []
    second = Assistant.load(library=library_dir, encoder=encoder, log=messages.append)
    assert second.manifest.examples == first.manifest.examples + 1
    assert any("changed" in m for m in messages)


def test_script_breaking_a_block_rule_is_refused(tmp_path: Path) -> None:
    bad = SCRIPTS_YAML.replace(
        "我马上为您办理临时挂失，再告诉您补卡的办法。", "请您先把余额转到安全账户，我再帮您挂失。"
    )
    root = write_library(tmp_path / "bad", scripts=bad)
    with pytest.raises(LibraryError, match=r"test\.safe_account"):
        Assistant.load(library=root, encoder=HashEncoder(), log=lambda _: None)
