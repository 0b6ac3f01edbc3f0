"""The validation snapshot: reused only while every input is unchanged, never hiding an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance import validated
from assist.compliance.validated import SNAPSHOT_FILE, load_validated, validate
from assist.errors import LibraryError


def test_snapshot_equals_a_fresh_validation(library_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    first = load_validated(library_dir, folder)
    assert (folder / SNAPSHOT_FILE).is_file()
    second = load_validated(library_dir, folder)
    fresh = validate(library_dir)
    assert second.library == fresh.library == first.library
    assert second.warnings == fresh.warnings
    assert [r.id for r in second.rules.rules] == [r.id for r in fresh.rules.rules]
    assert second.rules.content_hash == fresh.rules.content_hash
    draft = "这是系统问题，请把钱转到安全账户"
    assert second.rules.check(draft) == fresh.rules.check(draft)
    assert "test.safe_account" in [r.id for r, _ in second.rules.pins("有人让我转到安全账户")]


def test_current_snapshot_skips_the_yaml(library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "index"
    load_validated(library_dir, folder)

    def no_yaml(root: Path) -> None:
        raise AssertionError("validated from YAML although the snapshot is current")

    monkeypatch.setattr(validated, "validate", no_yaml)
    assert load_validated(library_dir, folder).library.scripts


def test_a_changed_rule_file_is_validated_again(library_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    load_validated(library_dir, folder)
    rules = library_dir / "rules" / "rules.yaml"
    # A new block rule that an existing script breaks must refuse the library, snapshot or not.
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("literal: 这是系统问题", "literal: 补卡的办法")
        .replace("severity: warn", "severity: block"),
        encoding="utf-8",
    )
    with pytest.raises(LibraryError, match=r"test\.blame"):
        load_validated(library_dir, folder)


def test_another_opencc_or_unicode_version_is_validated_again(
    library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "index"
    load_validated(library_dir, folder)
    validated_again: list[Path] = []
    fresh = validated.validate
    monkeypatch.setattr(validated, "validate", lambda root: (validated_again.append(root), fresh(root))[1])
    load_validated(library_dir, folder)
    assert validated_again == []
    monkeypatch.setattr(validated, "normalisation_versions", lambda: "opencc 9.9; unicode 99.0\0")
    load_validated(library_dir, folder)
    assert validated_again == [library_dir]


def test_a_changed_script_file_is_validated_again(library_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    load_validated(library_dir, folder)
    scripts = library_dir / "scripts" / "main.yaml"
    scripts.write_text(scripts.read_text(encoding="utf-8").replace("scenario: mortgage_process", "scenario: 7"),
                       encoding="utf-8")
    with pytest.raises(LibraryError) as raised:
        load_validated(library_dir, folder)
    assert raised.value.file is not None and raised.value.file.endswith("main.yaml")


@pytest.mark.parametrize("content", ["", "{not json", '{"key": "other"}', '{"key": null, "scripts": 3}', "[]"])
def test_an_unusable_snapshot_is_replaced(library_dir: Path, tmp_path: Path, content: str) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / SNAPSHOT_FILE).write_text(content, encoding="utf-8")
    loaded = load_validated(library_dir, folder)
    assert loaded.library == validate(library_dir).library
    assert (folder / SNAPSHOT_FILE).read_text(encoding="utf-8") != content


def test_an_unwritable_index_folder_still_loads(library_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the index folder's parent should be", encoding="utf-8")
    assert load_validated(library_dir, blocker / "index").library.scripts


def test_a_kept_rule_pack_equals_the_yaml_and_skips_it(
        library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = validated.cached_rule_pack(library_dir, cache)
    assert first.to_json() == validated.load_rule_pack(library_dir).to_json()
    [kept] = cache.glob("*.json")

    def no_yaml(root: Path) -> None:
        raise AssertionError("read the rule files' YAML although the kept pack is current")

    with monkeypatch.context() as patched:
        patched.setattr(validated, "load_rule_pack", no_yaml)
        again = validated.cached_rule_pack(library_dir, cache)
    assert again.to_json() == first.to_json()
    draft = "这是系统问题，请把钱转到安全账户"
    assert again.check(draft) == first.check(draft) and again.check(draft)
    kept.write_bytes(kept.read_bytes().replace(b"test.blame", b"test.blamf"))  # a hand edit: fails the checksum
    assert validated.cached_rule_pack(library_dir, cache).to_json() == first.to_json()


def test_a_changed_rule_file_or_code_reads_the_yaml_again(
        library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    validated.cached_rule_pack(library_dir, cache)
    read: list[Path] = []
    fresh = validated.load_rule_pack
    monkeypatch.setattr(validated, "load_rule_pack", lambda root: (read.append(root), fresh(root))[1])
    monkeypatch.setattr(validated, "code_hash", lambda: "other code")
    validated.cached_rule_pack(library_dir, cache)
    assert read == [library_dir]
    rules = library_dir / "rules" / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("severity: warn", "severity: loud"), encoding="utf-8")
    with pytest.raises(LibraryError):
        validated.cached_rule_pack(library_dir, cache)
    assert len(list(cache.glob("*.json"))) == 1  # one pack per library folder


def test_an_unwritable_cache_still_loads_the_pack(library_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    assert validated.cached_rule_pack(library_dir, blocker / "rules").rules
