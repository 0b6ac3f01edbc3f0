"""What every fresh exemplar file of the semantic signal must hold: each of its categories with
its sentences each way (forty, or twenty where the table says so) in every language, no sentence
twice, and no near copy (difflib ratio >= 0.7) of another exemplar file or of the probe file
written with it, whose figures with the signal would otherwise read better than they are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from assist.compliance.rules import RulePack
from assist.text.normalise import normalise
from tests.probe_sets import exemplars_of, near_copies, read_rows, short_sides

LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}
HERE = Path(__file__).parent


@dataclass(frozen=True)
class ExemplarFile:
    least: dict[str, int]
    """Each of the file's categories and the fewest sentences it holds each way."""
    probes: str | None
    """The probe file written beside it (None: none was)."""


def forty(*categories: str) -> dict[str, int]:
    return dict.fromkeys(categories, 40)


EXEMPLAR_FILES = {
    "exemplars_boundaries.yaml": ExemplarFile(forty("overpromise", "skip_verification", "credential_request",
                                                    "privacy_disclosure", "blame_shifting"), None),
    "exemplars_stance.yaml": ExemplarFile(forty("bare_refusal", "blame_shifting", "disparaging_customer"),
                                          "compliance_probes_r15_refusal.jsonl"),
    "exemplars_claims.yaml": ExemplarFile(forty("jargon", "promise_guaranteed_return", "overpromise"),
                                          "compliance_probes_r15_claims.jsonl"),
    "exemplars_checks.yaml": ExemplarFile(forty("skip_verification", "privacy_disclosure", "credential_request",
                                                "overpromise"), "compliance_probes_r16_access.jsonl"),
    "exemplars_voice.yaml": ExemplarFile(forty("blame_shifting", "disparaging_customer", "bare_refusal"),
                                         "compliance_probes_r16_stance.jsonl"),
    "exemplars_duty.yaml": ExemplarFile(dict.fromkeys(("skip_verification", "privacy_disclosure",
                                                       "unsafe_transfer_instruction", "jargon"), 20),
                                        "compliance_probes_r17_duty.jsonl"),
    "exemplars_manner.yaml": ExemplarFile({"disparaging_customer": 40, "blame_shifting": 20, "bare_refusal": 20},
                                          "compliance_probes_r17_stance.jsonl"),
    "exemplars_limits.yaml": ExemplarFile(dict.fromkeys(("bare_refusal", "blame_shifting"), 30),
                                          "compliance_probes_r18_limits.jsonl"),
    "exemplars_register.yaml": ExemplarFile(dict.fromkeys(("disparaging_customer", "bare_refusal",
                                                           "blame_shifting"), 24),
                                            "compliance_probes_r20_tone.jsonl"),
}


@pytest.mark.parametrize("file_name", EXEMPLAR_FILES)
def test_each_category_has_its_sentences_each_way_in_every_language(pack: RulePack, file_name: str) -> None:
    least = EXEMPLAR_FILES[file_name].least
    mine = exemplars_of(pack, file_name)
    assert {e.category for e in mine} == set(least)
    assert [side for category, n in least.items() for side in short_sides(mine, [category], LANGUAGES, n)] == []


@pytest.mark.parametrize("file_name", EXEMPLAR_FILES)
def test_no_sentence_is_repeated_or_a_near_copy_of_another_file_or_of_its_probes(
        pack: RulePack, file_name: str) -> None:
    probe_file = EXEMPLAR_FILES[file_name].probes
    mine = [normalise(e.text) for e in exemplars_of(pack, file_name)]
    assert len(set(mine)) == len(mine)
    probes = [str(r["text"]) for r in read_rows(HERE / probe_file)] if probe_file else []
    close = near_copies(pack, file_name, probes)
    assert not close, close[:5]
