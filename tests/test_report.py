"""Coverage reports: Markdown, PNG charts, JSON and terminal views, all redacted."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from matplotlib.image import imread
from rich.console import Console

from assist.batch.evaluate import evaluate
from assist.batch.gaps import GapCollector, GapReport
from assist.batch.html_report import HTML_FILE
from assist.batch.report import (
    CJK_FONTS,
    CONFUSION_CHART,
    COVERAGE_CHART,
    HISTOGRAM_CHART,
    REPORT_FILE,
    gaps_to_dict,
    installed_fonts,
    render_gaps_table,
    render_markdown,
    render_volume_table,
    scenario_rows,
)
from assist.batch.report_files import write_report
from assist.lookup.assistant import Assistant
from assist.text.datafiles import Utterance
from tests.conftest import HashEncoder
from tests.test_gaps import CARD, PERSON_ID, TOPICS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PHONE = "13812345678"
SPACED_CARD = " ".join(CARD[i : i + 4] for i in range(0, len(CARD), 4))
PLANTED = (CARD, SPACED_CARD, PERSON_ID, PHONE)


def labelled_items() -> list[Utterance]:
    items = [
        Utterance("我的卡被冻结了，钱取不出来", "account_frozen"),
        Utterance("账户被限制交易了怎么办", "account_frozen"),
        Utterance("我的银行卡丢了，快帮我挂失", "card_lost_stolen"),
        Utterance("办房贷需要准备什么材料", "mortgage_process"),
        Utterance("今天天气怎么样", "out_of_scope"),
        Utterance(f"我卡号{CARD}，ATM吞卡了", "card_swallowed_atm"),
        Utterance(f"卡号 {SPACED_CARD} 被取款机吞了", "card_swallowed_atm"),
        Utterance(f"身份证{PERSON_ID}，自助机吞卡，电话{PHONE}", "card_swallowed_atm"),
    ]
    items += [Utterance(text, label) for label, texts in TOPICS.items() for text in texts]
    return items


def run(library_dir: Path, items: list[Utterance], threshold: float) -> tuple[dict[str, Any], GapReport]:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=threshold,
                               log=lambda _: None)
    collector = GapCollector(assistant, low_confidence=0.99)
    report = evaluate(assistant, items, on_batch=collector.add_batch)
    return report.summary(), collector.report()


@pytest.fixture
def labelled(library_dir: Path) -> tuple[dict[str, Any], GapReport]:
    return run(library_dir, labelled_items(), threshold=0.6)


def assert_no_planted_numbers(text: str) -> None:
    for number in PLANTED:
        assert number not in text


def test_report_files_are_written_and_valid(labelled: tuple[dict[str, Any], GapReport], tmp_path: Path) -> None:
    summary, gaps = labelled
    folder = tmp_path / "report"
    written = write_report(summary, gaps, folder)
    assert written == [folder / REPORT_FILE, folder / COVERAGE_CHART, folder / HISTOGRAM_CHART,
                       folder / CONFUSION_CHART, folder / HTML_FILE]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written), "no temp files left"
    for chart in (folder / COVERAGE_CHART, folder / HISTOGRAM_CHART, folder / CONFUSION_CHART):
        data = chart.read_bytes()
        assert data.startswith(PNG_MAGIC)
        image = imread(chart)
        assert image.shape[0] > 200 and image.shape[1] > 400
    markdown = (folder / REPORT_FILE).read_text(encoding="utf-8")
    for heading in ("## Coverage", "## Volume per scenario", "## Accuracy (labelled lines)",
                    "### Most confused pairs", "## Score distribution", "## Coverage gaps"):
        assert heading in markdown
    assert COVERAGE_CHART in markdown and HISTOGRAM_CHART in markdown
    assert gaps.clusters and gaps.clusters[0].suggested_id in markdown


def test_charts_name_only_installed_fonts(labelled: tuple[dict[str, Any], GapReport], tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """A missing font family in the style makes matplotlib warn at every glyph lookup."""
    fonts = installed_fonts()
    assert fonts[-1] == CJK_FONTS[-1] and set(fonts) <= set(CJK_FONTS)
    summary, gaps = labelled
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        write_report(summary, gaps, tmp_path / "report")
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_no_planted_number_in_any_written_file(
    labelled: tuple[dict[str, Any], GapReport], tmp_path: Path
) -> None:
    summary, gaps = labelled
    written = write_report(summary, gaps, tmp_path)
    everything = b"".join(path.read_bytes() for path in written).decode("utf-8", errors="replace")
    assert_no_planted_numbers(everything)
    assert any(placeholder in everything for placeholder in ("[CARD]", "[ID]", "[PHONE]"))


def test_labels_and_confusions_are_redacted_too(tmp_path: Path) -> None:
    summary: dict[str, Any] = {
        "utterances": 3, "labelled_in_scope": 2, "top1": 0.5, "top3": 1.0, "coverage": 1.0,
        "abstained": 0, "threshold": 0.45, "per_scenario_accuracy": {f"call {PHONE}": 0.0, "fee_dispute": 1.0},
        "top_confusions": [{"label": f"call {PHONE}", "predicted": "fee_dispute", "count": 1}],
        "volume": {"fee_dispute": 3}, "score_histogram": [0] * 12 + [3] + [0] * 7,
    }
    written = write_report(summary, None, tmp_path)
    assert_no_planted_numbers(written[0].read_text(encoding="utf-8"))
    assert "## Coverage gaps" not in written[0].read_text(encoding="utf-8")


def test_unlabelled_report_has_no_accuracy_section(library_dir: Path, tmp_path: Path) -> None:
    items = [Utterance(u.text, None) for u in labelled_items()]
    summary, gaps = run(library_dir, items, threshold=0.6)
    markdown = render_markdown(summary, gaps)
    assert "## Accuracy" not in markdown and "## Volume per scenario" in markdown
    written = write_report(summary, gaps, tmp_path)
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in written if p.suffix == ".png")
    assert not (tmp_path / CONFUSION_CHART).exists(), "no confusion matrix without labels"
    assert "n/a" in (tmp_path / HTML_FILE).read_text(encoding="utf-8")


def test_scenario_rows_keep_weak_labelled_scenarios() -> None:
    summary = {
        "volume": {f"s{i:02d}": 100 - i for i in range(30)} | {"out_of_scope": 50},
        "per_scenario_accuracy": {"missing": 0.0, "s00": 1.0},
    }
    rows = scenario_rows(summary, top=5)
    assert rows[:5] == ["s00", "s01", "s02", "s03", "s04"]
    assert "missing" in rows and "out_of_scope" not in rows


def test_json_and_terminal_views(labelled: tuple[dict[str, Any], GapReport]) -> None:
    summary, gaps = labelled
    data = gaps_to_dict(gaps)
    text = json.dumps(data, ensure_ascii=False)
    assert_no_planted_numbers(text)
    assert data["gap_utterances"] == gaps.gap_utterances
    assert [c["rank"] for c in data["clusters"]] == list(range(1, len(gaps.clusters) + 1))
    assert {"suggested_id", "estimated_volume", "share", "top_terms", "representatives",
            "majority_label"} <= set(data["clusters"][0])
    console = Console(record=True, width=200)
    console.print(render_gaps_table(gaps))
    console.print(render_volume_table(summary, top=3))
    shown = console.export_text()
    assert_no_planted_numbers(shown)
    assert "(abstained)" in shown and gaps.clusters[0].suggested_id in shown


def test_charts_split_bars_when_abstentions_per_scenario_are_known(tmp_path: Path) -> None:
    summary: dict[str, Any] = {
        "utterances": 40, "labelled_in_scope": 0, "coverage": 0.75, "abstained": 10, "threshold": 0.45,
        "volume": {"fee_dispute": 20, "card_lost_stolen": 10, "out_of_scope": 10},
        "abstained_by_scenario": {"fee_dispute": 6, "card_lost_stolen": 4},
        "score_histogram": [0] * 8 + [10] + [0] * 3 + [30] + [0] * 7,
    }
    written = write_report(summary, None, tmp_path)
    assert written[1].read_bytes().startswith(PNG_MAGIC)
    assert imread(written[1]).shape[0] > 200


def test_the_volume_table_holds_the_charts_rows_and_adds_up() -> None:
    from assist.batch.report import volume_rows

    summary = {
        "volume": {f"s{i:02d}": 100 - i for i in range(30)} | {"out_of_scope": 50},
        "per_scenario_accuracy": {"s29": 0.0, "s00": 1.0},
    }
    rows = volume_rows(summary, top=5)
    assert [r[0] for r in rows[:-2]] == scenario_rows(summary, top=5)
    assert rows[-2][0] == "24 more scenarios" and rows[-1][0] == "(abstained)"
    assert sum(r[1] for r in rows) == sum(summary["volume"].values())
