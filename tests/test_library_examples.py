"""Labelled utterances in ``examples/*.jsonl`` join their scenario's examples (assist.library.examples)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assist.errors import LibraryError
from assist.library.examples import family
from assist.library.loader import SHIPPED_LIBRARY, load_library
from assist.library.out_of_scope import with_out_of_scope
from tests.conftest import write_library


def with_lines(root: Path, rows: list[dict[str, object]], name: str = "set_a.jsonl") -> Path:
    (root / "examples").mkdir(exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    (root / "examples" / name).write_text(text, encoding="utf-8")
    return root


def examples_of(root: Path, script_id: str) -> tuple[str, ...]:
    script = load_library(root).script(script_id)
    assert script is not None
    return script.examples


def test_lines_join_the_script_of_their_scenario_and_language(tmp_path: Path) -> None:
    root = with_lines(write_library(tmp_path / "lib"), [
        {"text": "卡怎么突然用不了了", "scenario": "account_frozen", "lang": "zh-Hant-TW", "kind": "in_scope"},
        {"text": "why is my account locked", "scenario": "account_frozen", "lang": "en"},
        {"text": "信用卡不见了", "scenario": "card_lost_stolen"},
        {"text": "English line for the Chinese script", "scenario": "account_frozen", "script": "account_frozen.zh"},
    ])
    assert examples_of(root, "account_frozen.zh")[-2:] == ("卡怎么突然用不了了", "English line for the Chinese script")
    assert examples_of(root, "account_frozen.en")[-1] == "why is my account locked"
    assert examples_of(root, "card_lost_stolen.zh")[-1] == "信用卡不见了"


def test_repeats_are_kept_once(tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib")
    with_lines(root, [{"text": "我的卡被冻结了，钱取不出来", "scenario": "account_frozen"},  # already an example
                      {"text": "账户冻住了", "scenario": "account_frozen"}])
    with_lines(root, [{"text": "账户冻住了", "scenario": "account_frozen"}], name="set_b.jsonl")
    found = examples_of(root, "account_frozen.zh")
    assert found.count("账户冻住了") == 1 and found.count("我的卡被冻结了，钱取不出来") == 1


@pytest.mark.parametrize(("line", "field", "problem"), [
    ({"text": "房贷怎么办", "scenario": "mortage"}, "scenario", "unknown scenario 'mortage'"),
    ({"text": "  ", "scenario": "account_frozen"}, "text", "non-empty text"),
    ({"text": "房贷怎么办", "scenario": "mortgage_process", "script": "nope"}, "script", "no script 'nope'"),
])
def test_a_bad_line_names_file_line_and_field(tmp_path: Path, line: dict[str, object], field: str,
                                              problem: str) -> None:
    root = with_lines(write_library(tmp_path / "lib"), [{"text": "账户冻住了", "scenario": "account_frozen"}, line])
    with pytest.raises(LibraryError) as caught:
        load_library(root)
    error = caught.value
    assert (error.file, error.line, error.field) == ("lib/examples/set_a.jsonl", 2, field)
    assert problem in str(error)


def test_one_text_under_two_scenarios_is_refused(tmp_path: Path) -> None:
    root = with_lines(write_library(tmp_path / "lib"), [{"text": "卡丢了", "scenario": "card_lost_stolen"},
                                                        {"text": "卡丢了", "scenario": "account_frozen"}])
    with pytest.raises(LibraryError, match="labelled 'account_frozen' here and 'card_lost_stolen'"):
        load_library(root)


def test_not_json_is_refused(tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib")
    (root / "examples").mkdir()
    (root / "examples" / "set_a.jsonl").write_text("text,scenario\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="not a JSON object"):
        load_library(root)


def test_the_content_hash_covers_the_examples(tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib")
    before = load_library(root).content_hash
    with_lines(root, [{"text": "账户冻住了", "scenario": "account_frozen"}])
    assert load_library(root).content_hash != before


def test_out_of_scope_lines_join_a_neutral_redirect_of_the_set(tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib")
    shutil.rmtree(root / "out_of_scope")  # the shipped out-of-scope set joins
    with_lines(root, [{"text": "今天适合去爬山吗", "scenario": "out_of_scope", "lang": "zh-Hans"},
                      {"text": "any good films on tonight", "scenario": "out_of_scope", "lang": "en"}])
    library = load_library(root)
    assert all("今天适合去爬山吗" not in s.examples for s in library.scripts)
    joined = {s.id: s.examples for s in with_out_of_scope(library).scripts if s.scenario == "out_of_scope"}
    holders = sorted(sid for sid, examples in joined.items()
                     if {"今天适合去爬山吗", "any good films on tonight"} & set(examples))
    assert holders == ["out_of_scope.chitchat.en", "out_of_scope.chitchat.zh"]


def test_language_families() -> None:
    assert [family(x) for x in ("zh-Hans", "zh-Hant-HK", "yue", "en", None)] == ["zh", "zh", "zh", "en", None]


def test_the_shipped_library_carries_the_measured_sets() -> None:
    files = sorted(p.name for p in (SHIPPED_LIBRARY / "examples").glob("*.jsonl"))
    # every measured set joined (v43 and v44 at the thirty-third round's start)
    assert set(files) >= {f"utterances_v{i}.jsonl" for i in range(1, 45)}
    texts = {json.loads(line)["text"].strip() for name in files
             for line in (SHIPPED_LIBRARY / "examples" / name).read_text(encoding="utf-8").splitlines() if line.strip()}
    examples = {e for s in with_out_of_scope(load_library()).scripts for e in s.examples}
    assert len(texts) > 3000 and texts <= examples
