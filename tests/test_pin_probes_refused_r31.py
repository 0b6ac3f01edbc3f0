"""A demand refused, deleted or checked, thirty-first round (issue 20), on the frozen probe file
``tests/pin_probes_refused_r31.jsonl``.

All 16 lines (``written: first``) were written and committed (8477e37) before any rule was changed: 8 demands a
stranger made that the customer then did not act on, deleted, checked with a call of their own or already lost to
(``refused_or_lost``), each beside the same opening acted on now (``acting_now``); four scripts.

The file's figures before and after the round are its row in tests/test_probe_rounds.py; this module keeps the
round's own checks.
"""

from __future__ import annotations

from pathlib import Path

from assist.compliance.rule_files import load_rule_pack
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import pins
from tests.probe_sets import paired_file_problems, read_rows

PROBES = Path(__file__).with_name("pin_probes_refused_r31.jsonl")
PAIRS = {"acting_now": "refused_or_lost"}


def test_each_scam_type_has_its_lookalike_type_and_every_line_its_label() -> None:
    assert paired_file_problems(read_rows(PROBES), PAIRS, 8, {"zh-Hans", "zh-Hant-TW", "yue", "en"}) == []


def _refused(text: str) -> bool:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    return any(rule.id == pins.REFUSED for rule, _ in pack.hits(text, audience="customer"))


def test_a_demand_not_acted_on_deleted_or_checked_reads_as_refused() -> None:
    assert _refused("有人冒充海关说我的包裹违规要交罚款，我没缴，要不要报警")
    assert _refused("对方让我报验证码，我发现不对劲后没有报")
    assert _refused("有人发短信说我的积分要过期，让我填卡号，我删了，没事吧")
    assert _refused("有人说是我外甥要借钱，好彩我打电话问咗我家姐")
    assert _refused("我女儿说学校要交资料费，我打电话确认过了")


def test_the_callers_own_instruction_and_a_live_story_are_not_refusals() -> None:
    assert not _refused("对方让我打电话确认了身份，现在要我把钱转到安全账户")
    assert not _refused("他叫我删了聊天记录再转")
    assert not _refused("有人冒充海关说我的包裹违规要交罚款，我没缴，他现在又打来催我")
    assert not _refused("我没缴，对方说今天不交就要我把钱转到监管账户")


def test_the_signal_keeps_a_refusal_in_its_training_gate() -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    hits = pack.hits("有人冒充社保局打电话要我交认证保证金，我没缴，想问问去哪里举报", audience="customer")
    assert pins.fraud_pattern(hits) is None
    assert not pins.partial_pattern(hits)
    assert pins.training_gate(hits)


def test_a_loss_told_as_money_missing_or_caused_by_the_caller_reads_as_past() -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)

    def loss(text: str) -> bool:
        return any(rule.id == pins.LOSS for rule, _ in pack.hits(text, audience="customer"))

    assert loss("我把验证码告诉了那个客服，然后卡里少了五千")
    assert loss("A caller got me to read him a code and now the money's gone")
    assert not loss("我没把验证码告诉别人，卡里少了五千")
