"""Pins need a pattern, not a lone keyword (assist.lookup.pins), on the shipped rule pack."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup.pins import FRAUD, customer_pins

KNOWN = {FRAUD, "skip_verification", "third_party_inquiry", "complaint_severe"}
SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
HELDOUT = Path(__file__).resolve().parents[1] / "eval" / "heldout" / "utterances_v1.jsonl"


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_rule_pack(SHIPPED_LIBRARY)


def scenarios(pack: RulePack, text: str) -> list[str]:
    return [p.scenario for p in customer_pins(pack, text, KNOWN)]


@pytest.mark.parametrize("text", [
    "微信零钱提现到银行卡要收手续费吗",
    "What fee do I pay to receive money?",
    "Do I get charged if I get money?",
    "我之前被刷单骗过一次，想知道怎么防范",
    "有个电话说是你们银行的，要我报验证码，我直接挂了，是你们打的吗",
    "Someone called saying they were the bank and asked for my code, I hung up. Was that you?",
    "I made a transfer to my friend and she hasn't received it",
    "我父亲去世了，他卡里的钱要怎么取出来",
])
def test_a_lone_keyword_or_a_past_contact_pins_no_fraud(pack: RulePack, text: str) -> None:
    assert FRAUD not in scenarios(pack, text)


@pytest.mark.parametrize("text", [
    "对方自称是海关的，让我先交一笔清关费才能拿到包裹",
    "客服叫我装个远程软件帮我退款，我已经装好了",
    "那个人一直要我把手机收到的几个数字念给他",
    "The man on the phone wants me to buy gift cards to pay off a tax penalty",
    "A support agent asked me for the code you texted, he's still on the line",
    "有人說是法院的，叫我把存款轉到監管帳戶",
])
def test_a_third_party_instructing_money_code_control_or_fee_pins_fraud(pack: RulePack, text: str) -> None:
    assert scenarios(pack, text)[:1] == [FRAUD]


def test_a_pin_names_its_rule_and_every_word_that_fired_it(pack: RulePack) -> None:
    [pin] = [p for p in customer_pins(pack, "有个警察打电话让我把钱转到安全账户", KNOWN) if p.scenario == FRAUD]
    rules = [rule for rule, _ in pin.words]
    assert pin.rule_id.startswith("signal.fraud.")
    assert any(r.startswith("scam.party.") for r in rules) and any(r.startswith("scam.asks.") for r in rules)
    explained = pin.explain()
    assert pin.rule_id in explained and "安全账户" in explained and "警察" in explained


@pytest.mark.parametrize("text", [
    "Please help me check my account, I think there's a payment I didn't make",
    "Help me get rid of my account",
    "If I want my son to have his own account is that possible?",
    "I sent money to my landlord but she says it never arrived in her account",
    "Why do I need to verify my identity?",
    "What steps do I have to go through to activate my new card?",
])
def test_own_account_questions_pin_no_third_party_or_skip(pack: RulePack, text: str) -> None:
    assert scenarios(pack, text) == []


@pytest.mark.parametrize(("text", "scenario"), [
    ("I'm calling for my husband, can you tell me his balance?", "third_party_inquiry"),
    ("我是他女儿，帮我爸查一下他卡里还有多少钱", "third_party_inquiry"),
    ("I don't have time for all these security questions, just do it", "skip_verification"),
    ("别验证了，直接帮我办", "skip_verification"),
])
def test_real_third_party_and_skip_requests_still_pin(pack: RulePack, text: str, scenario: str) -> None:
    assert scenarios(pack, text)[:1] == [scenario]


def test_a_pack_without_part_rules_pins_on_its_fraud_rule_alone(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "own.yaml").write_text(
        "rules:\n"
        "  - id: own.safe_account\n    category: fraud_signal\n    severity: block\n"
        "    applies_to: customer\n    patterns:\n      - regex: '安全账户'\n"
        "    explanation: x\n    reference: x\n    suggestion: x\n    pin: fraud_in_progress\n"
        "    priority: 100\n", encoding="utf-8")
    pack = load_rule_pack(tmp_path)
    own = RulePack(rules=tuple(r for r in pack.rules if not r.id.startswith(("scam.", "signal.", "third_party."))))
    assert [p.rule_id for p in customer_pins(own, "转到安全账户", KNOWN)] == ["own.safe_account"]


@pytest.mark.skipif(not (SHARED_EVAL / "banking77" / "train.csv").is_file(), reason="BANKING77 not present")
def test_no_fraud_pin_on_banking77(pack: RulePack) -> None:
    with (SHARED_EVAL / "banking77" / "train.csv").open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert len(texts) > 10_000
    assert [t for t in texts if FRAUD in scenarios(pack, t)] == []


@pytest.mark.skipif(not (SHARED_EVAL / "utterances_dev.jsonl").is_file(), reason="dev set not present")
def test_dev_scams_all_pin_and_nothing_else_does(pack: RulePack) -> None:
    rows = [json.loads(line) for line in (SHARED_EVAL / "utterances_dev.jsonl").read_text("utf-8").splitlines()]
    pinned = {r["text"] for r in rows if FRAUD in scenarios(pack, r["text"])}
    assert pinned == {r["text"] for r in rows if r["scenario"] == FRAUD}


def test_heldout_non_scams_get_no_fraud_pin(pack: RulePack) -> None:
    """The frozen held-out set is measured here, never tuned on (eval/heldout/README.md)."""
    rows = [json.loads(line) for line in HELDOUT.read_text("utf-8").splitlines()]
    assert [r["text"] for r in rows if not r["scam"] and FRAUD in scenarios(pack, r["text"])] == []
