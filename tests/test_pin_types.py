"""Fraud pins by scam type (issue 20, thirteenth round) on a frozen probe file.

``tests/pin_probes_types_r13.jsonl`` holds, for each of 14 common fraud types (task and rating jobs,
investment platforms, loan fees, shop and courier refunds, police and courts, credit repair, game
trading, romance, a boss or acquaintance on a new account, fake purchases, screen sharing, codes for
a "security team", safe accounts, SIM swaps), five scams in progress and five lookalikes in zh-Hans,
zh-Hant-TW, yue and en. It was committed before the round's rule change and measured once before
(67/70 scams, 0/70 false banners) and once after it; the after-figures are floors here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup.pins import FRAUD, customer_pins

KNOWN = {FRAUD, "skip_verification", "third_party_inquiry", "complaint_severe"}
PROBES = Path(__file__).with_name("pin_probes_types_r13.jsonl")
TYPES = ("task", "investment", "loan_fee", "refund_cs", "police", "credit_repair", "game_trade", "romance",
         "boss_acq", "fake_purchase", "remote", "otp", "safe_account", "sim_swap")
SCAMS_PINNED = dict.fromkeys(TYPES, 5)
"""Scams in progress pinned per type after the round (before: investment, loan_fee, boss_acq 4/5)."""
FALSE_BANNERS = dict.fromkeys(TYPES, 0)
"""Fraud pins on lookalikes per type after the round (before: 0 in every type)."""


def rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in PROBES.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def pinned() -> list[tuple[str, bool, bool]]:
    pack: RulePack = load_rule_pack(SHIPPED_LIBRARY)
    return [(str(r["type"]), bool(r["scam"]),
             any(p.scenario == FRAUD for p in customer_pins(pack, str(r["text"]), KNOWN))) for r in rows()]


def test_the_frozen_file_holds_five_scams_and_five_lookalikes_of_each_type() -> None:
    counts = Counter((str(r["type"]), bool(r["scam"])) for r in rows())
    assert counts == {(t, s): 5 for t in TYPES for s in (True, False)}
    assert {str(r["lang"]) for r in rows()} == {"zh-Hans", "zh-Hant-TW", "yue", "en"}


@pytest.mark.parametrize("kind", TYPES)
def test_each_type_keeps_its_scams_pinned_and_raises_no_false_banner(
        pinned: list[tuple[str, bool, bool]], kind: str) -> None:
    scams = sum(fraud for t, scam, fraud in pinned if t == kind and scam)
    false = sum(fraud for t, scam, fraud in pinned if t == kind and not scam)
    assert scams >= SCAMS_PINNED[kind]
    assert false <= FALSE_BANNERS[kind]
