from __future__ import annotations

from pathlib import Path

import pytest

from assist.errors import LibraryError
from assist.library.loader import load_library, main
from tests.conftest import SCRIPTS_YAML, write_library


def test_loads_scripts_with_their_fields(library_dir: Path) -> None:
    library = load_library(library_dir)
    assert len(library.scripts) == 6
    frozen = library.script("account_frozen.zh")
    assert frozen is not None
    assert frozen.scenario == "account_frozen"
    assert frozen.steps == ("核实身份", "查询冻结原因")
    assert frozen.reply.startswith("我完全理解")
    assert "fraud_in_progress" in library.scenarios
    assert len(library.content_hash) == 64


def error_for(tmp_path: Path, scripts: str) -> LibraryError:
    root = write_library(tmp_path / "bad", scripts=scripts)
    with pytest.raises(LibraryError) as caught:
        load_library(root)
    return caught.value


def test_unknown_field_names_file_line_and_field(tmp_path: Path) -> None:
    bad = SCRIPTS_YAML.replace("    steps: [核实身份, 查询冻结原因]", "    stpes: [核实身份]")
    error = error_for(tmp_path, bad)
    assert error.field == "stpes"
    assert error.line == 7
    assert error.file is not None and error.file.endswith("main.yaml")
    assert "fix:" in str(error)


def test_missing_required_field(tmp_path: Path) -> None:
    bad = SCRIPTS_YAML.replace(
        "    solution_preview: 我马上为您办理临时挂失，再告诉您补卡的办法。\n", ""
    )
    error = error_for(tmp_path, bad)
    assert error.field == "solution_preview"
    assert "missing" in str(error)


def test_unknown_scenario_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, SCRIPTS_YAML.replace("scenario: mortgage_process", "scenario: mortage"))
    assert error.field == "scenario"
    assert "unknown scenario 'mortage'" in str(error)


def test_bad_enum_value(tmp_path: Path) -> None:
    error = error_for(tmp_path, SCRIPTS_YAML.replace("language: en", "language: english", 1))
    assert error.field == "language"
    assert "zh-Hans" in str(error)


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    root = write_library(tmp_path / "dup")
    (root / "scripts" / "more.yaml").write_text(
        SCRIPTS_YAML.split("  - id: account_frozen.en")[0], encoding="utf-8"
    )
    with pytest.raises(LibraryError, match=r"duplicate id 'account_frozen\.zh'"):
        load_library(root)


def test_yaml_syntax_error_reports_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, "scripts:\n  - id: x\n    examples: [unclosed\n")
    assert error.line is not None
    assert "YAML syntax error" in str(error)


def test_empty_and_duplicate_examples(tmp_path: Path) -> None:
    repeated = SCRIPTS_YAML.replace("      - 钱包被偷了，卡也在里面", "      - 我的银行卡丢了，快帮我挂失")
    error = error_for(tmp_path, repeated)
    assert error.field == "examples" and "repeats" in str(error)
    error = error_for(tmp_path, SCRIPTS_YAML.replace("      - 钱包被偷了，卡也在里面", "      - ''"))
    assert error.field == "examples"


def test_reserved_scenario(tmp_path: Path) -> None:
    root = write_library(tmp_path / "oos")
    (root / "scenarios.yaml").unlink()
    (root / "scripts" / "main.yaml").write_text(
        SCRIPTS_YAML.replace("scenario: mortgage_process", "scenario: out_of_scope"), encoding="utf-8"
    )
    with pytest.raises(LibraryError, match="reserved"):
        load_library(root)


def test_bad_encoding(tmp_path: Path) -> None:
    root = write_library(tmp_path / "enc")
    (root / "scripts" / "latin.yaml").write_bytes("scripts: []\n# caf\xe9".encode("latin-1"))
    with pytest.raises(LibraryError, match="UTF-8"):
        load_library(root)


def test_symlink_out_of_library_is_refused(tmp_path: Path) -> None:
    root = write_library(tmp_path / "link")
    outside = tmp_path / "outside.yaml"
    outside.write_text("scripts: []\n", encoding="utf-8")
    (root / "scripts" / "escape.yaml").symlink_to(outside)
    with pytest.raises(LibraryError, match="outside the library"):
        load_library(root)


def test_missing_scripts_folder(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no 'scripts' folder"):
        load_library(tmp_path)


def test_content_hash_changes_with_content(library_dir: Path) -> None:
    before = load_library(library_dir).content_hash
    path = library_dir / "scripts" / "main.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "      - 又一个例句\n", encoding="utf-8")
    assert load_library(library_dir).content_hash != before


def test_module_main_validates(library_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(library_dir)]) == 0
    assert "6 scripts" in capsys.readouterr().out
    assert main([str(library_dir / "nope")]) == 2
