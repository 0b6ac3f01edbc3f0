"""Gap discovery: clustering what the library does not answer, and draft script stubs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from assist.batch.evaluate import run_outcomes
from assist.batch.gaps import (
    GapCollector,
    GapReport,
    cluster_sample,
    discover_gaps,
    emit_stubs,
    salient_candidates,
    scenarios_path,
    suggest_id,
)
from assist.errors import InputError
from assist.library.loader import load_library
from assist.lookup.assistant import Assistant
from assist.text.datafiles import Utterance, read_utterances
from tests.conftest import HashEncoder
from tests.pii_samples import luhn_complete

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "utterances_dev.jsonl"
SHIPPED = Path(__file__).resolve().parents[1] / "scripts_library"
REMOVED = ("card_swallowed_atm", "mortgage_process", "cross_border_remittance", "deposit_rates", "password_reset")
"""Five distinct needs (a machine, a loan, money abroad, savings, credentials) cut from the library."""
TOP = 10

TOPICS = {
    "atm": ["ATM吞卡了怎么办", "取款机把我的卡吞了", "自助机吞卡，卡拿不出来", "ATM不退卡了",
            "取款机吃卡了怎么取回", "机器吞了我的银行卡"],
    "fx": ["汇款到国外要多久", "跨境汇款手续费多少", "给国外的孩子汇学费", "境外汇款额度是多少",
           "国际汇款怎么填收款行", "汇钱到美国要几天"],
    "rate": ["定期存款利率是多少", "三年定期利息怎么算", "大额存单利率多少", "存款利息太低了",
             "定期提前支取利息怎么算", "一年定期利率多少"],
}


CARD = luhn_complete("622202123456789012")
PERSON_ID = "110101199003074514"
"""A valid-format resident ID (Beijing region, 1990-03-07, correct MOD 11-2 check character)."""


def topic_items(repeat: int = 1) -> list[Utterance]:
    items = []
    for label, texts in TOPICS.items():
        for round_ in range(repeat):
            items += [Utterance(f"{text}{'，急' * round_}", label, 0) for text in texts]
    return items


@pytest.fixture
def hash_assistant(library_dir: Path) -> Assistant:
    """Abstains on everything, so every utterance is a gap."""
    return Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.99, log=lambda _: None)


# ----- the must-show result: removed scenarios come back as top clusters -----------


@pytest.fixture(scope="module")
def library_without_five(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gaplib")
    shutil.copy(SHIPPED / "scenarios.yaml", root / "scenarios.yaml")
    shutil.copytree(SHIPPED / "scripts", root / "scripts")
    if (SHIPPED / "rules").is_dir():
        shutil.copytree(SHIPPED / "rules", root / "rules")
    for scenario in REMOVED:
        path = root / "scripts" / f"{scenario}.yaml"
        scripts = yaml.safe_load(path.read_text(encoding="utf-8"))["scripts"]
        assert {s["scenario"] for s in scripts} == {scenario}
        path.unlink()
    left = {s.scenario for s in load_library(root).scripts}
    assert len(set(REMOVED)) == 5 and not left & set(REMOVED)
    return root


@pytest.fixture(scope="module")
def assistant_without_five(library_without_five: Path) -> Assistant:
    return Assistant.load(library=library_without_five, log=lambda _: None)


@pytest.mark.model
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_removed_scenarios_come_back_as_top_clusters(assistant_without_five: Assistant, seed: int) -> None:
    if not DEV_SET.is_file():
        pytest.skip(f"{DEV_SET} not found")
    report = discover_gaps(assistant_without_five, read_utterances(DEV_SET), seed=seed)
    labels = [line.label for line in read_utterances(DEV_SET)]
    assert report.total_utterances == len(labels)
    top = report.clusters[:TOP]
    for cluster in report.clusters:
        print(f"{cluster.rank:2d} size {cluster.size:2d} {cluster.majority_label} {cluster.label_counts} "
              f"{cluster.top_terms}")
    # A scenario comes back when it is a top cluster's most frequent label, alone or tied (with
    # round 30's seeded k-means, seed 2 gave the swallowed cards a 4:4 tie with system outages).
    # Since round 31 the clustering has no seed: the three seeds give one list, and
    # bench/gap_seeds.py measures other sets of five removed scenarios.
    majorities = {label for cluster in top for label, count in cluster.label_counts.items()
                  if count == max(cluster.label_counts.values())}
    missing = [scenario for scenario in REMOVED if scenario not in majorities]
    assert not missing, f"not the majority of any top-{TOP} cluster: {missing}"
    assert [c.estimated_volume for c in report.clusters] == sorted(
        (c.estimated_volume for c in report.clusters), reverse=True)


@pytest.mark.model
def test_stubs_from_real_gaps_load_into_the_library(
    assistant_without_five: Assistant, library_without_five: Path, tmp_path: Path
) -> None:
    if not DEV_SET.is_file():
        pytest.skip(f"{DEV_SET} not found")
    report = discover_gaps(assistant_without_five, read_utterances(DEV_SET))
    library = tmp_path / "lib"
    shutil.copytree(library_without_five, library, ignore=shutil.ignore_patterns(".index"))
    stub, companion = emit_stubs(report, library / "scripts" / "gaps.yaml")
    assert stub.parent == library / "scripts"
    assert companion == (library / "gaps.scenarios.yaml").resolve()
    append_scenarios(library, companion)
    loaded = load_library(library)
    drafts = [s for s in loaded.scripts if s.status == "draft"]
    assert len(drafts) == len(report.clusters)


# ----- unit tests with the tiny deterministic encoder ------------------------------


def append_scenarios(library: Path, companion: Path) -> None:
    extra = yaml.safe_load(companion.read_text(encoding="utf-8"))["scenarios"]
    taxonomy = yaml.safe_load((library / "scenarios.yaml").read_text(encoding="utf-8"))
    taxonomy["scenarios"] += extra
    (library / "scenarios.yaml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True), encoding="utf-8")


def test_gaps_are_clustered_named_and_ranked(hash_assistant: Assistant) -> None:
    report = discover_gaps(hash_assistant, topic_items(repeat=2))
    assert isinstance(report, GapReport)
    assert report.total_utterances == report.gap_utterances == report.sampled == 36
    assert report.clusters
    sizes = [c.size for c in report.clusters]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) + report.unclustered == report.sampled
    for cluster in report.clusters:
        assert cluster.size >= 3
        assert 1 <= len(cluster.representatives) <= 5
        assert cluster.suggested_id.startswith(f"gap_{cluster.rank:02d}_")
        assert cluster.share == pytest.approx(cluster.estimated_volume / 36, abs=1e-4)
        assert cluster.majority_label in TOPICS


def test_only_low_confidence_and_abstained_lines_are_gaps(library_dir: Path) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.0, log=lambda _: None)
    report = discover_gaps(assistant, topic_items(), low_confidence=0.0)
    assert report.total_utterances == 18
    assert report.gap_utterances == report.sampled == 0
    assert report.clusters == ()
    assert report.low_confidence == 0.0
    default = GapCollector(assistant)
    assert default.low_confidence == pytest.approx(assistant.threshold + 0.15)


def test_empty_and_tiny_inputs(hash_assistant: Assistant) -> None:
    empty = discover_gaps(hash_assistant, [])
    assert (empty.total_utterances, empty.clusters) == (0, ())
    tiny = discover_gaps(hash_assistant, [Utterance("ATM吞卡了"), Utterance("汇款到国外")])
    assert tiny.sampled == 2
    assert sum(c.size for c in tiny.clusters) == 2


def test_sample_stays_bounded_on_a_long_stream(hash_assistant: Assistant) -> None:
    produced = 0

    def stream() -> Iterator[Utterance]:
        nonlocal produced
        for i in range(6000):
            produced += 1
            texts = TOPICS[list(TOPICS)[i % 3]]
            yield Utterance(f"{texts[i % len(texts)]}，单号{i}", None, i + 1)

    collector = GapCollector(hash_assistant, max_points=200, seed=3)
    for _ in run_outcomes(hash_assistant, stream(), on_batch=collector.add_batch):
        pass
    assert produced == 6000
    assert len(collector.sample.texts) == 200
    collector.sample.embed(hash_assistant.encoder)
    assert collector.sample.matrix().shape[0] == 200
    numbers = [int(text.rsplit("单号", 1)[1]) for text in collector.sample.texts]
    assert max(numbers) > 3000, "the sample keeps late lines too, not just the first ones"
    report = collector.report(max_clusters=5)
    assert (report.total_utterances, report.gap_utterances, report.sampled) == (6000, 6000, 200)
    assert len(report.clusters) <= 5
    assert sum(c.estimated_volume for c in report.clusters) <= 6000
    assert report.clusters[0].estimated_volume == pytest.approx(report.clusters[0].size / 200 * 6000, abs=0.1)


def test_planted_card_and_id_numbers_are_redacted(hash_assistant: Assistant, tmp_path: Path) -> None:
    spaced = " ".join(CARD[i : i + 4] for i in range(0, len(CARD), 4))
    planted = [
        Utterance(f"我的卡号是{CARD}，ATM吞卡了", "atm"),
        Utterance(f"卡号 {spaced} 被取款机吞了", "atm"),
        Utterance(f"身份证{PERSON_ID}，自助机吞卡，卡拿不出来", "atm"),
    ]
    report = discover_gaps(hash_assistant, [*planted, *topic_items()])
    stub, companion = emit_stubs(report, tmp_path / "gaps.yaml")
    shown = json.dumps([c.__dict__ for c in report.clusters], ensure_ascii=False, default=str)
    written = stub.read_text(encoding="utf-8") + companion.read_text(encoding="utf-8")
    for text in (shown, written):
        assert CARD not in text and spaced not in text and PERSON_ID not in text
    assert "[CARD]" in written and "[ID]" in written
    assert all("card" not in term and term != "id" for c in report.clusters for term in c.top_terms)


def test_stubs_pass_the_library_validator(hash_assistant: Assistant, library_dir: Path, tmp_path: Path) -> None:
    report = discover_gaps(hash_assistant, topic_items(repeat=2))
    stub, companion = emit_stubs(report, tmp_path / "out" / "gaps.yaml")
    assert companion == tmp_path / "out" / "gaps.scenarios.yaml"
    data = yaml.safe_load(stub.read_text(encoding="utf-8"))
    assert list(data) == ["scripts"]
    for entry in data["scripts"]:
        assert entry["status"] == "draft"
        assert entry["empathy"] == entry["solution_preview"] == ""
        assert entry["language"] == "zh-Hans"
        assert 0 < len(entry["examples"]) <= 12
        assert len(set(entry["examples"])) == len(entry["examples"])
    shutil.copy(stub, library_dir / "scripts" / "gaps.yaml")
    append_scenarios(library_dir, companion)
    library = load_library(library_dir)
    drafts = {s.id: s for s in library.scripts if s.status == "draft"}
    assert set(drafts) == {f"gap.{c.rank:02d}" for c in report.clusters}
    assert {s.scenario for s in drafts.values()} <= set(library.scenarios)
    reloaded = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    assert all(c.script_id not in drafts for c in reloaded.suggest("ATM吞卡了").candidates)


def test_stub_language_can_be_forced_and_is_checked(hash_assistant: Assistant, tmp_path: Path) -> None:
    report = discover_gaps(hash_assistant, topic_items(repeat=2))
    stub, _ = emit_stubs(report, tmp_path / "gaps.yaml", language="zh-Hant")
    assert {e["language"] for e in yaml.safe_load(stub.read_text(encoding="utf-8"))["scripts"]} == {"zh-Hant"}
    with pytest.raises(InputError):
        emit_stubs(report, tmp_path / "bad.yaml", language="fr")


def test_companion_file_never_lands_in_a_scripts_folder(tmp_path: Path) -> None:
    assert scenarios_path(tmp_path / "drafts" / "gaps.yaml") == tmp_path / "drafts" / "gaps.scenarios.yaml"
    inside = tmp_path / "lib" / "scripts" / "new" / "gaps.yaml"
    assert scenarios_path(inside) == (tmp_path / "lib" / "gaps.scenarios.yaml").resolve()


def test_clusters_do_not_depend_on_the_seed() -> None:
    """Three planted topics among scattered points: every seed gives the same clusters (issue 22:
    a rerun of the same file gives the same list), and each topic leads one of them."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(3, 48))
    topics = [centre + 0.35 * rng.normal(size=(40, 48)) for centre in centres]
    vectors = np.vstack([*topics, rng.normal(size=(60, 48))]).astype(np.float32)
    truth = np.repeat([0, 1, 2, -1], [40, 40, 40, 60])
    runs = [cluster_sample(vectors, max_clusters=8, seed=seed) for seed in range(5)]
    assert all(run == runs[0] for run in runs[1:])
    leaders = {int(np.bincount(truth[members] + 1).argmax()) - 1 for members in runs[0][:3]}
    assert leaders == {0, 1, 2}
    shuffled = rng.permutation(len(vectors))
    again = cluster_sample(vectors[shuffled], max_clusters=8)
    assert sorted(sorted(shuffled[m].tolist()) for m in again[:3]) == sorted(sorted(m) for m in runs[0][:3]), \
        "the planted topics' clusters do not depend on the order of the rows either"


def test_names_and_terms() -> None:
    assert suggest_id(1, ("atm", "吞卡")) == "gap_01_atm"
    assert suggest_id(12, ("吞卡",)) == "gap_12_cluster"
    assert suggest_id(3, ()) == "gap_03_cluster"
    found = salient_candidates("我的卡号是[CARD]，ATM吞卡了 2024 the machine")
    assert "ATM" in found and "吞卡" in found and "machine" in found
    assert not any(len(t) < 2 or t.isdigit() or t in ("card", "the") for t in found)
    assert "的卡" not in found, "n-grams glued to a function character are not topics"
    words = salient_candidates("数字人民币钱包怎么开通，ETC扣费不对")
    assert {"数字", "人民币", "ETC"} <= words, "whole words, not character fragments"
    assert not any(t in words for t in ("字人民", "数字人", "ET", "TC"))
