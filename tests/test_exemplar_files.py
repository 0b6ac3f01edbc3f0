"""What every fresh exemplar file of the semantic signal must hold: each of its categories with
forty sentences each way in every language, no sentence twice, and no near copy (difflib ratio
>= 0.7) of another exemplar file or of the probe file written with it, whose figures with the
signal would otherwise read better than they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rules import RulePack
from assist.text.normalise import normalise
from tests.probe_sets import exemplars_of, near_copies, read_rows, short_sides

LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}
HERE = Path(__file__).parent
EXEMPLAR_FILES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "exemplars_boundaries.yaml": (("overpromise", "skip_verification", "credential_request",
                                   "privacy_disclosure", "blame_shifting"), None),
    "exemplars_stance.yaml": (("bare_refusal", "blame_shifting", "disparaging_customer"),
                              "compliance_probes_r15_refusal.jsonl"),
    "exemplars_claims.yaml": (("jargon", "promise_guaranteed_return", "overpromise"),
                              "compliance_probes_r15_claims.jsonl"),
    "exemplars_checks.yaml": (("skip_verification", "privacy_disclosure", "credential_request", "overpromise"),
                              "compliance_probes_r16_access.jsonl"),
    "exemplars_voice.yaml": (("blame_shifting", "disparaging_customer", "bare_refusal"),
                             "compliance_probes_r16_stance.jsonl"),
}
"""Each file's categories, and the probe file written beside it (None: none was)."""


@pytest.mark.parametrize("file_name", EXEMPLAR_FILES)
def test_each_category_has_forty_each_way_in_every_language(pack: RulePack, file_name: str) -> None:
    categories, _ = EXEMPLAR_FILES[file_name]
    mine = exemplars_of(pack, file_name)
    assert {e.category for e in mine} == set(categories)
    assert short_sides(mine, categories, LANGUAGES) == []


@pytest.mark.parametrize("file_name", EXEMPLAR_FILES)
def test_no_sentence_is_repeated_or_a_near_copy_of_another_file_or_of_its_probes(
        pack: RulePack, file_name: str) -> None:
    _, probe_file = EXEMPLAR_FILES[file_name]
    mine = [normalise(e.text) for e in exemplars_of(pack, file_name)]
    assert len(set(mine)) == len(mine)
    probes = [str(r["text"]) for r in read_rows(HERE / probe_file)] if probe_file else []
    close = near_copies(pack, file_name, probes)
    assert not close, close[:5]
