"""The shipped library with the real default model: coverage rules and quality on the dev set."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from assist import Assistant
from assist.batch.evaluate import evaluate
from assist.library.loader import SHIPPED_LIBRARY, load_library
from assist.text.datafiles import read_utterances
from tests.conftest import SHARED_EVAL

DEV = SHARED_EVAL / "utterances_dev.jsonl"
needs_dev = pytest.mark.skipif(not DEV.is_file(), reason="shared/eval/utterances_dev.jsonl not beside the checkout")


@pytest.fixture(scope="module")
def shipped() -> Assistant:
    return Assistant.load(log=lambda _: None)


def taxonomy() -> list[dict[str, str]]:
    data = yaml.safe_load((SHIPPED_LIBRARY / "scenarios.yaml").read_text(encoding="utf-8"))
    return list(data["scenarios"])


def test_every_scenario_has_chinese_and_english_scripts() -> None:
    library = load_library()
    languages: dict[str, set[str]] = defaultdict(set)
    for script in library.scripts:
        languages[script.scenario].add(script.language)
    for scenario in taxonomy():
        assert {"zh-Hans", "en"} <= languages[scenario["id"]], scenario["id"]


def test_scripts_have_varied_examples_and_required_variants() -> None:
    library = load_library()
    for script in library.scripts:
        assert len(script.examples) >= 8, script.id
    elderly = {s.scenario for s in library.scripts if s.segment == "elderly"}
    assert len(elderly) >= 8
    complaints = [s["id"] for s in taxonomy() if s["kind"] == "complaint"]
    severities = {(s.scenario, s.severity) for s in library.scripts}
    for scenario in complaints:
        assert (scenario, "light") in severities or (scenario, "severe") in severities, scenario
    assert (("complaint_light", "light") in severities) and (("complaint_severe", "severe") in severities)
    enterprise = {s.scenario for s in library.scripts if s.segment == "enterprise"}
    assert {"transfer_not_arrived", "transfer_limit"} <= enterprise
    zh_hant_examples = sum(1 for s in library.scripts for e in s.examples if any(c in e for c in "帳戶轉凍結點唔係臺"))
    assert zh_hant_examples >= 100


def test_the_readme_example_names_account_frozen(shipped: Assistant) -> None:
    suggestion = shipped.suggest("我卡怎么刷不了了，提示账户被限制，明天还要交房租")
    assert suggestion.candidates[0].scenario == "account_frozen"
    assert not suggestion.abstained


@pytest.mark.parametrize(
    "utterance",
    [
        "公安让我把钱转到安全账户",
        "對方說是法院的，要我把存款轉去安全帳戶",
        "the bank's security team told me to move my savings to a safe account",
    ],
)
def test_scam_in_progress_pins_anti_fraud_first(shipped: Assistant, utterance: str) -> None:
    suggestion = shipped.suggest(utterance)
    assert suggestion.candidates[0].scenario == "fraud_in_progress"
    assert suggestion.pinned_by is not None and suggestion.alerts


def test_severe_complaint_signal_brings_an_escalation_path(shipped: Assistant) -> None:
    suggestion = shipped.suggest("同一笔消费扣了我两次钱，再不退我就去金融监管局投诉你们")
    assert suggestion.pinned_by is not None
    assert suggestion.candidates[0].severity == "severe"
    assert suggestion.escalation


@needs_dev
def test_every_dev_fraud_utterance_is_pinned_first(shipped: Assistant) -> None:
    fraud = [u.text for u in read_utterances(DEV) if u.label == "fraud_in_progress"]
    assert fraud
    for suggestion in shipped.suggest_many(fraud):
        assert suggestion.pinned_by is not None
        assert suggestion.candidates[0].scenario == "fraud_in_progress"


@needs_dev
def test_dev_set_quality_targets(shipped: Assistant) -> None:
    report = evaluate(shipped, read_utterances(DEV))
    summary = report.summary()
    assert summary["top1"] >= 0.90
    assert summary["top3"] >= 0.97
    assert summary["out_of_scope_f1"] >= 0.80


@needs_dev
def test_library_examples_are_not_copied_from_the_dev_set() -> None:
    dev = {json.loads(line)["text"].strip() for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()}
    examples = Counter(e.strip() for s in load_library().scripts for e in s.examples)
    assert not dev & set(examples)



LONG_TURN_PROBES = Path(__file__).parent / "long_turn_probes_r23.jsonl"


@pytest.mark.model
def test_long_turns_read_clause_by_clause_on_the_probe_file(shipped: Assistant) -> None:
    """tests/long_turn_probes_r23.jsonl (40 fresh lines, long32's): reading a close long turn clause by
    clause too (:func:`assist.lookup.rank.clause_turns`, :func:`assist.lookup.rank.with_clauses`) moves
    no out-of-scope decision. On the library it was merged on, it took the file's in-scope top-1 from 32
    to 33 of 36; with utterances_v26 and v29 joined (the twenty-fourth round's end) the whole reading
    alone gets the same 32 right, so the reading gains nothing here; with utterances_v32 and v35 joined (the
    twenty-seventh round's end) the clause reading gets 33 right and the whole reading alone 31; with
    utterances_v36 and v39 joined (the thirtieth round's start) 33 and 32; with utterances_v38 and v40 joined
    (the thirty-first round's start) 34 and 33 (measured, not tuned)."""
    items = list(read_utterances(LONG_TURN_PROBES))
    rankers = [shipped.ranker] + ([shipped.cascade.quick] if shipped.cascade is not None else [])
    on = evaluate(shipped, items).summary()
    shares = [ranker.clause_share for ranker in rankers]
    try:
        for ranker in rankers:
            ranker.clause_share = 0.0
        off = evaluate(shipped, items).summary()
    finally:
        for ranker, share in zip(rankers, shares, strict=True):
            ranker.clause_share = share
    inside = on["labelled_in_scope"]
    assert inside == 36
    assert (round(on["top1"] * inside), round(off["top1"] * inside)) == (34, 33), (on, off)
    assert on["out_of_scope_f1"] == off["out_of_scope_f1"]
