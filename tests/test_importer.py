"""Import keeps labels readable, and evaluation maps a file's labels back to the imported ids."""

from __future__ import annotations

from pathlib import Path

import yaml

from assist.batch.evaluate import evaluate
from assist.library.importer import import_labelled, label_id, label_map, unique_id
from assist.library.loader import load_library
from assist.lookup.assistant import Assistant
from assist.text.datafiles import Utterance
from tests.conftest import HashEncoder


def test_chinese_labels_become_pinyin_ids() -> None:
    assert label_id("挂失") == "gua_shi"
    assert label_id("掛失") == "gua_shi"
    assert label_id("ETC办理") == "etc_ban_li"
    assert label_id("Card Lost / Stolen") == "card_lost_stolen"
    assert "13812345678" not in label_id("回电13812345678")
    assert label_id("！！！").startswith("label_")


def test_same_sounding_labels_get_distinct_ids() -> None:
    taken: dict[str, str] = {}
    assert unique_id("挂失", taken) == "gua_shi"
    assert unique_id("挂失", taken) == "gua_shi"
    assert unique_id("掛失", taken) == "gua_shi_2"


LINES = [
    ("我的银行卡丢了，快帮我挂失", "挂失"), ("钱包被偷了卡也没了", "挂失"), ("卡不见了要挂失", "挂失"),
    ("办房贷需要准备什么材料", "房贷"), ("二手房贷款流程是怎样的", "房贷"), ("房贷审批要多久", "房贷"),
]


def test_import_then_evaluate_with_the_original_labels(tmp_path: Path) -> None:
    out = tmp_path / "lib"
    import_labelled([Utterance(t, label) for t, label in LINES], out)
    library = load_library(out)
    assert set(library.scenarios) == {"gua_shi", "fang_dai"}
    scenarios = yaml.safe_load((out / "scenarios.yaml").read_text(encoding="utf-8"))["scenarios"]
    assert {s["id"]: s["label"] for s in scenarios} == {"fang_dai": "房贷", "gua_shi": "挂失"}
    assert label_map(out) == {"挂失": "gua_shi", "房贷": "fang_dai"}
    assistant = Assistant.load(library=out, encoder=HashEncoder(), threshold=0.0, log=lambda _: None)
    report = evaluate(assistant, [Utterance(t, label) for t, label in LINES])
    summary = report.summary()
    assert summary["top1"] == 1.0, "labels written as 挂失 are scored against gua_shi"
    assert summary["unknown_labels"] == {}
