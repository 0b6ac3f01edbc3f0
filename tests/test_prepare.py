"""What ``assist build`` prepares beside the indexes: a first load and a first check after it
train nothing (the calibration and the semantic signal are found), and a lookup still rebuilds
what is missing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assist.compliance import semantic
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.indexing.calibration import FILE
from assist.indexing.store import build_index
from assist.library.loader import SHIPPED_LIBRARY, load_library
from assist.library.out_of_scope import with_out_of_scope
from assist.lookup import calibrate
from assist.lookup.assistant import Assistant
from assist.lookup.prepare import calibration, semantic_signal
from tests.conftest import HashEncoder, write_library

pytestmark = pytest.mark.slow  # ~30 s together on the shared VM: four small trainings and calibrations


def never(*args: object, **kwargs: object) -> None:
    raise AssertionError("trained on first use")


def small_pack() -> RulePack:
    """The shipped pack with every 25th exemplar: enough for the signal's folds, trained in a moment."""
    pack = load_rule_pack(SHIPPED_LIBRARY)
    return replace(pack, exemplars=pack.exemplars[::25])


def test_after_a_build_the_first_load_calibrates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_library(tmp_path / "lib", out_of_scope=True)
    library, encoder, folder = load_library(root), HashEncoder(), tmp_path / "index"
    build_index(with_out_of_scope(library), encoder, folder)
    assert not (folder / FILE).exists()
    made = calibration(library, encoder, folder, "assist build")
    assert made.made and (folder / FILE).is_file()
    assert not calibration(library, encoder, folder, "assist build").made  # found, not made again
    monkeypatch.setattr(calibrate, "calibrate", never)
    loaded = Assistant.load(root, encoder=encoder, index_dir=folder, auto_build=False)
    assert loaded.thresholds  # read from the sealed file


def test_a_damaged_calibration_is_made_again_by_the_load(tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib", out_of_scope=True)
    library, encoder, folder = load_library(root), HashEncoder(), tmp_path / "index"
    build_index(with_out_of_scope(library), encoder, folder)
    calibration(library, encoder, folder, "assist build")
    (folder / FILE).write_text("{", encoding="utf-8")
    assert Assistant.load(root, encoder=encoder, index_dir=folder, auto_build=False).thresholds
    assert not calibration(library, encoder, folder, "assist build").made  # the load sealed it again


def test_after_a_build_the_first_check_trains_no_semantic_signal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path / "cache"))
    encoder = HashEncoder()
    made = semantic_signal(small_pack(), encoder)
    assert made.made and Path(made.where) == tmp_path / "cache" / "semantic"
    assert list(Path(made.where).glob("*.npz"))
    monkeypatch.setattr(semantic, "_train", never)
    fresh = small_pack()  # as a new process loads it: no signal in memory
    assert fresh.semantic_signal(encoder).fits
    assert not semantic_signal(small_pack(), encoder).made


def test_a_changed_pack_is_trained_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path / "cache"))
    encoder = HashEncoder()
    semantic_signal(small_pack(), encoder)
    pack = load_rule_pack(SHIPPED_LIBRARY)
    other = replace(pack, exemplars=pack.exemplars[1::25])
    assert semantic_signal(other, encoder).made
