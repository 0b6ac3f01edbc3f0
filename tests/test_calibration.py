"""Per-language abstention thresholds: cross-validated on the library, sealed in the index
folder, trusted only when intact, of this build and in range."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assist.indexing.calibration import FILE, read_language_thresholds, write_language_thresholds
from assist.indexing.store import example_rows
from assist.library.loader import load_library
from assist.lookup.assistant import Assistant
from assist.lookup.calibrate import Point, abstains, choose, f1_at, file_groups, in_scope_weight
from assist.text.normalise import normalise
from tests.conftest import HashEncoder, write_library


def test_the_best_f1_plateau_is_chosen_by_its_middle() -> None:
    points = [Point("zh", False, False, 0.8), Point("zh", False, False, 0.6),
              Point("zh", True, False, 0.3), Point("zh", True, True, 0.9)]
    assert f1_at(points, 0.5) == 1.0 and f1_at(points, 0.2) < 1.0 and f1_at(points, 0.7) < 1.0
    threshold, margin, f1 = choose(points, 0.45)
    assert f1 == 1.0 and 0.3 < threshold <= 0.6 and 0.0 <= margin <= 0.3
    assert choose([p for p in points if not p.out_of_scope], 0.45) == (0.45, 0.0, 0.0)


def test_a_margin_redirects_an_out_of_scope_class_close_behind() -> None:
    close = Point("zh", True, False, 0.6, 0.58)
    assert not abstains(close, 0.3, 0.0) and abstains(close, 0.3, 0.05)


def test_a_negative_margin_asks_the_out_of_scope_class_to_lead() -> None:
    """Ranked first by a hair, the out-of-scope class redirects at margin 0 but not at -0.05;
    a clear lead redirects at both."""
    narrow = Point("zh", False, True, 0.50, 0.52)
    clear = Point("zh", True, True, 0.30, 0.60)
    assert abstains(narrow, 0.3, 0.0) and not abstains(narrow, 0.3, -0.05)
    assert abstains(clear, 0.3, 0.0) and abstains(clear, 0.3, -0.05)


def test_the_calibration_chooses_a_negative_margin_when_in_scope_lines_lose_narrowly() -> None:
    """In-scope examples whose out-of-scope class leads by under 0.05 and out-of-scope ones
    it leads by over 0.2: only a margin under -0.05 answers the first and redirects the second."""
    inside = [Point("zh", False, True, 0.5, 0.5 + 0.001 * i) for i in range(40)]
    inside += [Point("zh", False, False, 0.7, 0.2) for _ in range(40)]
    outside = [Point("zh", True, True, 0.3, 0.55 + 0.002 * i) for i in range(20)]
    threshold, margin, f1 = choose(inside + outside, 0.45)
    assert f1 == 1.0 and -0.25 <= margin < -0.04 and threshold <= 0.5


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    library = write_library(tmp_path_factory.mktemp("calibration") / "lib", out_of_scope=True)
    return Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)


def test_the_assistant_calibrates_each_language_and_seals_it(loaded: Assistant) -> None:
    assert set(loaded.thresholds) == {"zh", "en"} and set(loaded.margins) == {"zh", "en"}
    assert all(0.05 <= t <= 0.95 for t in loaded.thresholds.values())
    assert read_language_thresholds(loaded.index_dir, loaded.manifest) == (loaded.thresholds, loaded.margins)
    assert loaded.threshold_for("我的卡被冻结了") == loaded.thresholds["zh"]
    assert loaded.threshold_for("my card is blocked") == loaded.thresholds["en"]


def test_a_tampered_foreign_or_out_of_range_file_is_not_trusted(loaded: Assistant, tmp_path: Path) -> None:
    manifest = loaded.manifest
    write_language_thresholds(tmp_path, manifest, {"zh": 0.4, "en": 0.5}, {"zh": 0.05}, {})
    assert read_language_thresholds(tmp_path, manifest) == ({"zh": 0.4, "en": 0.5}, {"zh": 0.05})
    path = tmp_path / FILE
    sealed = json.loads(path.read_text())
    sealed["payload"]["thresholds"]["zh"] = 0.9
    path.write_text(json.dumps(sealed))
    assert read_language_thresholds(tmp_path, manifest) is None
    path.write_text("{not json")
    assert read_language_thresholds(tmp_path, manifest) is None
    with pytest.raises(ValueError, match="out of range"):
        write_language_thresholds(tmp_path, manifest, {"zh": 0.99}, {}, {})
    with pytest.raises(ValueError, match="out of range"):
        write_language_thresholds(tmp_path, manifest, {"zh": 0.4}, {"zh": 0.9}, {})
    with pytest.raises(ValueError, match="out of range"):
        write_language_thresholds(tmp_path, manifest, {"zh": 0.4}, {"zh": -0.4}, {})
    write_language_thresholds(tmp_path, manifest, {"zh": 0.4}, {"zh": -0.05}, {})
    assert read_language_thresholds(tmp_path, manifest) == ({"zh": 0.4}, {"zh": -0.05})
    other = replace(manifest, library_hash="0" * 64)
    write_language_thresholds(tmp_path, other, {"zh": 0.4}, {}, {})
    assert read_language_thresholds(tmp_path, manifest) is None


def test_a_file_of_another_calibration_method_is_calibrated_again(
    loaded: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values the former method chose are not served once the code chooses them otherwise."""
    from assist.indexing import calibration

    write_language_thresholds(tmp_path, loaded.manifest, {"zh": 0.4}, {"zh": 0.05}, {})
    assert read_language_thresholds(tmp_path, loaded.manifest) is not None
    monkeypatch.setattr(calibration, "METHOD", calibration.METHOD + 1)
    assert read_language_thresholds(tmp_path, loaded.manifest) is None


def test_an_explicit_threshold_turns_per_language_calibration_off(loaded: Assistant) -> None:
    library = loaded.library.root
    fixed = Assistant.load(library=library, encoder=HashEncoder(), threshold=0.3, log=lambda _: None)
    assert fixed.thresholds == {} and fixed.threshold_for("我的卡被冻结了") == 0.3


def test_weighing_to_a_rarer_out_of_scope_share_abstains_on_fewer_in_scope_lines() -> None:
    """A calibration set with as many out-of-scope points as in-scope ones overprices missing
    one; weighed to a tenth out of scope, the chosen threshold drops and fewer in-scope lines abstain."""
    inside = [Point("zh", False, False, 0.2 + 0.7 * i / 49) for i in range(50)]
    outside = [Point("zh", True, False, 0.05 + 0.45 * i / 49) for i in range(50)]
    points = inside + outside
    as_they_come = choose(points, 0.45, share=None)[0]
    weighed = choose(points, 0.45, share=0.1)[0]
    assert weighed < as_they_come
    assert sum(abstains(p, weighed) for p in inside) < sum(abstains(p, as_they_come) for p in inside)
    assert in_scope_weight(points, 0.1) == pytest.approx(9.0) and in_scope_weight(points, None) == 1.0



def test_each_joined_utterance_file_is_one_group_of_the_cross_validation(tmp_path: Path) -> None:
    """A joined file's lines share a group (left out together, as the next writer's set would
    be); the scripts' own examples belong to none."""
    root = write_library(tmp_path / "lib")
    (root / "examples").mkdir()
    files = {"utterances_a.jsonl": [("我的银行卡丢在出租车上了", "card_lost_stolen"),
                                    ("how do I stop my lost card", "card_lost_stolen")],
             "utterances_b.jsonl": [("房贷的审批要等几天", "mortgage_process")]}
    for name, lines in files.items():
        (root / "examples" / name).write_text("".join(
            json.dumps({"text": text, "scenario": scenario}, ensure_ascii=False) + "\n" for text, scenario in lines),
            encoding="utf-8")
    library = load_library(root)
    texts = [normalise(text) for _, text in example_rows(library)]
    groups = file_groups(library, texts)
    assert sorted(groups[groups >= 0].tolist()) == [0, 0, 1]
    assert groups[texts.index(normalise("房贷的审批要等几天"))] == 1
    assert (groups == -1).sum() == len(texts) - 3
