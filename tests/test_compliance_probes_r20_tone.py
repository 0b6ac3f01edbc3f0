"""The register probe set of the twentieth probe round (issue 19): patronising wording with no
insult word, sarcasm, polite dead ends, and blame put on other teams, vendors, a predecessor, the
regulator, the system or the customer.

``tests/compliance_probes_r20_tone.jsonl`` was written fresh (zh-Hans, zh-Hant TW and HK,
Cantonese, English) before the round's change: 96 violations (32 disparaging: "so you can keep
up", "surely you know", "most people get it first time", mock praise, "have someone younger read
it"; 32 bare refusals: thanks, apologies and understanding with nothing offered; 32 blame: the
back office, a vendor, the courier, the regulator, a predecessor, the customer's own entry) and
66 lookalikes (empathy, an error owned, a no with its reason and a route, another team's delay
apologised for with the follow-up taken on, a firm limit kept politely). bench/fresh_check.py: 0
of 162 within difflib 0.7 of the evaluation sets and test files.

Scored on main (8f1426d) before the change: rules alone 47/96 found (disparaging 10/32, bare
refusal 18/32, blame 19/32), 2/66 clean drafts flagged; rules and the shipped signal 73/96
(22/32, 24/32, 27/32), 2/66 clean flagged, the draft veto discarding one true rule hit. The
families were extended with the rules-alone misses in view, so the rules-alone figures after are
not unseen; ``exemplars_register.yaml`` was written apart from the probes (no sentence within
0.7 of one, tests/test_exemplar_files.py). See docs/compliance.md, "Twentieth round: register".

The file's figures (what it holds, the rules alone, the misses per category and, under ``-m model``,
the rules and the signal) are its row in tests/test_probe_rounds.py; this module keeps the round's
hand-written examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rules import RulePack
from tests.probe_sets import (
    flagged,
)

PROBES = Path(__file__).with_name("compliance_probes_r20_tone.jsonl")
CATEGORIES = ("disparaging_customer", "bare_refusal", "blame_shifting")
LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}


@pytest.mark.parametrize(("category", "text"), [
    # patronising with no insult word
    ("disparaging_customer", "我换个慢一点的讲法，省得您又弄混。"),
    ("disparaging_customer", "这点常识，您不至于不知道吧？"),
    ("disparaging_customer", "呢度好直接，係你想複雜咗啫。"),
    ("disparaging_customer", "Stay with me here, there are only three fields to fill."),
    ("disparaging_customer", "If you'd take a breath and stop overthinking it, you'd see the box."),
    # a courteous no with nothing offered
    ("bare_refusal", "很抱歉，提额这件事我们不能同意，谢谢您的来电。"),
    ("bare_refusal", "經覆核後本行決定不予接納，敬請見諒。"),
    ("bare_refusal", "呢單我哋插唔到手，唔好意思。"),
    ("bare_refusal", "We won't be making an exception on the late fee, sorry."),
    # blame on others with nothing owned
    ("blame_shifting", "这笔扣款是系统自动处理的，不能算在我头上。"),
    ("blame_shifting", "本行對是次延誤不負任何責任。"),
    ("blame_shifting", "The card team dropped the ball on this one."),
    ("blame_shifting", "The payments vendor is slow and there's not much we can do."),
])
def test_the_register_kinds_are_flagged(pack: RulePack, category: str, text: str) -> None:
    assert category in flagged(pack, text)


@pytest.mark.parametrize("text", [
    "汇率是成交时定的，之后不会再调整。",
    "您的固定利率在合同期内不会改变，请放心。",
])
def test_a_fact_said_not_to_change_is_no_refusal(pack: RulePack, text: str) -> None:
    """不会再调整 and 不会改变 were tried as refusals and left out for these."""
    assert "bare_refusal" not in flagged(pack, text)
