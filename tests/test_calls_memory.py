"""Call memory on both databases: context, repeated contact, pins, idempotent turns, restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from calls_db import store_url  # noqa: F401  (fixture)
from conftest import HashEncoder

from assist.calls.feedback import record_feedback
from assist.calls.memory import CallMemory
from assist.calls.store import CallStore
from assist.errors import InputError, NotFoundError
from assist.lookup.assistant import Assistant

FROZEN = ["我的卡被冻结了，钱取不出来", "账户被限制交易了怎么办", "帳戶被凍結了，沒辦法轉帳"]
SCAM = "有人让我把钱转到安全账户"


@pytest.fixture
def assistant(library_dir: Path) -> Assistant:
    return Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)


@pytest.fixture
def memory(assistant: Assistant, store_url: str) -> CallMemory:  # noqa: F811
    return CallMemory(assistant, CallStore(store_url))


def codes(outcome: object) -> list[str]:
    return [a.code for a in outcome.alerts]  # type: ignore[attr-defined]


def test_three_phrasings_in_one_call_are_not_repeated_contact(memory: CallMemory) -> None:
    for number, text in enumerate([*FROZEN, FROZEN[0]]):
        outcome = memory.turn("call-1", f"t{number}", "customer", text, customer="13800000000")
        assert outcome.result["candidates"][0]["scenario"] == "account_frozen"
        assert "repeated_contact" not in codes(outcome)
    assert memory.store.call_scenarios("call-1") == ["account_frozen"]


def test_third_call_of_a_customer_is_repeated_contact(memory: CallMemory) -> None:
    seen = []
    for number in range(3):
        outcome = memory.turn(f"call-{number}", "t1", "customer", FROZEN[number], customer="cust-42")
        seen.append(codes(outcome))
    assert seen[0] == [] and seen[1] == []
    assert seen[2] == ["repeated_contact"]
    third = memory.store.turn("call-2", "t1")
    assert third is not None and "主管" in (third.result["escalation"] or "")
    # another customer with the same issue is not affected
    other = memory.turn("call-9", "t1", "customer", FROZEN[0], customer="cust-7")
    assert codes(other) == []


def test_window_is_configurable(assistant: Assistant, store_url: str) -> None:  # noqa: F811
    store = CallStore(store_url)
    strict = CallMemory(assistant, store, repeat_calls=1)
    strict.turn("a", "t1", "customer", FROZEN[0], customer="c")
    assert codes(strict.turn("b", "t1", "customer", FROZEN[1], customer="c")) == ["repeated_contact"]
    with pytest.raises(InputError):
        CallMemory(assistant, store, repeat_days=0)


def test_safety_pin_is_never_replaced_by_repeated_contact(memory: CallMemory) -> None:
    for number in range(4):
        outcome = memory.turn(f"scam-{number}", "t1", "customer", SCAM, customer="victim")
        assert codes(outcome) == ["fraud_pinned"]
        assert outcome.result["pinned_by"] is not None
        assert outcome.result["candidates"][0]["scenario"] == "fraud_in_progress"
        assert "主管" not in (outcome.result["escalation"] or "")


def test_follow_up_keeps_the_fraud_pin(memory: CallMemory) -> None:
    memory.turn("c", "t1", "customer", SCAM)
    follow = memory.turn("c", "t2", "customer", "那现在怎么办")
    assert follow.result["pinned_by"] is not None
    assert follow.result["candidates"][0]["scenario"] == "fraud_in_progress"
    assert codes(follow) == ["fraud_pinned"]
    assert follow.result["context_turns"] == 2
    alone = memory.turn("other", "t1", "customer", "那现在怎么办")
    assert alone.result["pinned_by"] is None


def test_retried_turn_is_stored_once_and_answered_the_same(memory: CallMemory) -> None:
    first = memory.turn("c", "t1", "customer", FROZEN[0], customer="x")
    again = memory.turn("c", "t1", "customer", FROZEN[0], customer="x")
    assert first.new and not again.new
    assert again.result == first.result
    assert memory.store.counts()["turns"] == 1
    assert len(memory.events("c")) == 1


def test_agent_turn_is_checked(memory: CallMemory) -> None:
    outcome = memory.turn("c", "a1", "agent", "这是系统问题，我也没办法")
    assert outcome.result["kind"] == "check"
    assert "test.blame" in [v["rule_id"] for v in outcome.result["violations"]]
    assert memory.events("c")[0].kind == "check"


def test_no_customer_text_or_key_stored_unredacted(memory: CallMemory, store_url: str) -> None:  # noqa: F811
    phone, card = "13912345678", "6222021234567890123"
    memory.turn("c", "t1", "customer", f"我的卡{card}被冻结了，电话{phone}", customer=phone)
    memory.turn("c", "a1", "agent", f"您的卡号是{card}吗")
    record_feedback(memory.assistant, memory.store, "c", "e1", "t1", "edited",
                    final_text=f"好的，已为您登记{phone}")
    import sqlalchemy as sa

    from assist.calls.store import metadata

    dumped = []
    with memory.store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            dumped += [str(row) for row in conn.execute(sa.select(table))]
    text = "\n".join(dumped)
    assert phone not in text and card not in text
    assert "[PHONE]" in text and "6222" not in text


def test_state_survives_restart(assistant: Assistant, store_url: str) -> None:  # noqa: F811
    first = CallMemory(assistant, CallStore(store_url))
    first.turn("a", "t1", "customer", FROZEN[0], customer="c")
    first.store.close()
    second = CallMemory(assistant, CallStore(store_url))
    second.turn("b", "t1", "customer", FROZEN[0], customer="c")
    assert codes(second.turn("d", "t1", "customer", FROZEN[1], customer="c")) == ["repeated_contact"]
    assert not second.turn("a", "t1", "customer", FROZEN[0]).new


def test_feedback_is_validated_and_idempotent(memory: CallMemory) -> None:
    memory.turn("c", "t1", "customer", FROZEN[0])
    outcome = record_feedback(memory.assistant, memory.store, "c", "e1", "t1", "runner_up",
                              script_id="card_lost_stolen.zh")
    assert outcome.new and outcome.scenario == "card_lost_stolen"
    again = record_feedback(memory.assistant, memory.store, "c", "e1", "t1", "runner_up",
                            script_id="card_lost_stolen.zh")
    assert not again.new
    assert memory.store.counts()["feedback"] == 1
    with pytest.raises(NotFoundError):
        record_feedback(memory.assistant, memory.store, "c", "e2", "nope", "used")
    with pytest.raises(InputError):
        record_feedback(memory.assistant, memory.store, "c", "e3", "t1", "edited")
    with pytest.raises(InputError):
        record_feedback(memory.assistant, memory.store, "c", "e4", "t1", "liked")


def test_bad_ids_are_refused(memory: CallMemory) -> None:
    with pytest.raises(InputError):
        memory.turn("bad id!", "t1", "customer", "x")
    with pytest.raises(InputError):
        memory.turn("c", "t1", "robot", "x")  # type: ignore[arg-type]
