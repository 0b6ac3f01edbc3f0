"""A past scam told by its end or its catch, and a grandparent's own ask, thirty-third round (issue 20), on the
frozen probe file ``tests/pin_probes_past_r33.jsonl``.

All 24 lines (``written: first``) were written and committed (2a61a80) before any rule was changed: 12 textbook
scams in progress in new wording (a "safe" account, a fake prosecutor, court or immigration officer, an advance fee,
a remote screen share, a code read out; ``textbook_now``), several of them holding the words of the new readings (a
threat that the money will be gone, software installed on the caller's word, "caught"), and 12 lookalikes: a loss
told after software the customer installed, a demand seen through in time, a grandparent's own ask to set up the
banking app (``past_or_own``); four scripts.

The file's figures before and after the round are its row in tests/test_probe_rounds.py; this module keeps the
round's own checks: every reading that cancels a pin leaves the twelve textbook scams pinned by the rules.
"""

from __future__ import annotations

from pathlib import Path

from assist.compliance.rule_files import load_rule_pack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import pins
from tests.probe_sets import paired_file_problems, read_rows

PROBES = Path(__file__).with_name("pin_probes_past_r33.jsonl")
PAIRS = {"textbook_now": "past_or_own"}


def _hits(text: str) -> list[pins.Hit]:
    return load_rule_pack(SHIPPED_LIBRARY).hits(text, audience="customer")


def _has(text: str, rule_id: str) -> bool:
    return any(rule.id == rule_id for rule, _ in _hits(text))


def test_each_scam_type_has_its_lookalike_type_and_every_line_its_label() -> None:
    assert paired_file_problems(read_rows(PROBES), PAIRS, 12, {"zh-Hans", "zh-Hant-TW", "yue", "en"}) == []


def test_every_textbook_scam_of_the_file_keeps_its_rule_pattern() -> None:
    scams = [str(r["text"]) for r in read_rows(PROBES) if r["scam"]]
    assert len(scams) == 12
    assert [text for text in scams if pins.fraud_pattern(_hits(text)) is None] == []


def test_money_gone_after_software_the_customer_installed_is_a_loss() -> None:
    assert _has("装了个说是退税的APP之后，账户里的钱少了两万，这是上周的事", pins.LOSS)
    assert _has("裝咗個話係退稅嘅app之後，戶口啲錢就冇咗", pins.LOSS)
    assert _has("A fake courier text got me to install an app and after that the money in my account was gone",
                pins.LOSS)


def test_the_same_loss_as_a_threat_or_with_a_new_demand_is_no_loss() -> None:
    assert not _has("对方让我装了一个软件，说不然卡里的钱就没了", pins.LOSS)
    assert not _has("他让我装了远程软件，如果不配合户口啲钱就冇咗", pins.LOSS)
    assert not _has("装了他发的软件后卡里的钱就没了，现在他又让我转剩下的", pins.LOSS)


def test_a_demand_seen_through_in_time_is_a_refusal_unless_the_story_goes_on() -> None:
    assert _has("有人扮我老細叫我買禮品卡，好彩我識穿咗", pins.REFUSED)
    assert _has("A caller posing as HMRC wanted a fine paid, I caught on just in time", pins.REFUSED)
    assert not _has("I caught on in time but now he wants me to pay the release fee", pins.REFUSED)
    assert not _has("好彩我识破了，但佢而家又打嚟叫我转钱", pins.REFUSED)


def test_the_new_readings_keep_the_signal_training_gate() -> None:
    for text in ("装了个说是退税的APP之后，账户里的钱少了两万，这是上周的事",
                 "A caller posing as HMRC wanted a fine paid, I caught on just in time"):
        hits = _hits(text)
        assert pins.fraud_pattern(hits) is None
        assert pins.training_gate(hits)


def test_a_grandparent_asking_for_help_with_the_app_is_someone_the_customer_knows() -> None:
    hits = _hits("My gran asked me to help her set up the banking app so she can see her pension")
    assert pins.fraud_pattern(hits) is None
    assert pins.fraud_pattern(_hits("My grandad asked me to move his savings to a safe account a caller gave him"))


def test_a_collector_for_a_debt_the_customer_owns_up_to_still_pins_a_code_or_a_screen() -> None:
    """scam46 read a collector for a debt the customer admits (我确实逾期了) as a known counterpart whose ask needs
    a marker to pin; the lead reverted that at the merge, because it also cleared a collector's request for a
    code or a shared screen, which no real collector makes."""
    for text in ("催收的人打来，我确实逾期了，他要我共享屏幕给他看",
                 "追债公司话我真系欠咗钱，佢叫我装个app俾佢睇手机",
                 "收数公司打嚟，我係迟咗还，佢叫我讀個OTP俾佢"):
        assert pins.fraud_pattern(_hits(text)) is not None, text
