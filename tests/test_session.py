"""Call memory within one session: scenarios counted, never escalated on the call's own repeats."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.lookup.assistant import Assistant
from assist.lookup.session import Session
from tests.conftest import HashEncoder

FROZEN = "我的卡被冻结了，钱取不出来"


@pytest.fixture
def assistant(library_dir: Path, tmp_path: Path) -> Assistant:
    loaded = Assistant.load(library=library_dir, encoder=HashEncoder(), index_dir=tmp_path / "i", log=lambda _: None)
    loaded.threshold = 0.0  # every lookup answers: the session's counting is the point here
    return loaded


def test_repeats_within_one_call_are_counted_but_never_escalated(assistant: Assistant) -> None:
    session = assistant.session()
    alone = assistant.suggest(FROZEN)
    answers = [session.suggest(FROZEN) for _ in range(3)]
    assert session.raised == {"account_frozen": 3}
    for answer in answers:
        assert answer.alerts == alone.alerts and answer.escalation == alone.escalation


def test_a_pinned_scam_keeps_its_own_escalation_on_every_mention(assistant: Assistant) -> None:
    session = assistant.session()
    answers = [session.suggest("有人让我把钱转到安全账户") for _ in range(3)]
    assert all(a.pinned_by is not None for a in answers)
    assert {a.escalation for a in answers} == {answers[0].escalation}
    assert {tuple(a.alerts) for a in answers} == {tuple(answers[0].alerts)}


def test_sessions_do_not_share_counts(assistant: Assistant) -> None:
    first, second = assistant.session(), assistant.session()
    first.suggest(FROZEN)
    second.suggest(FROZEN)
    assert first.raised == second.raised == {"account_frozen": 1}


def test_abstentions_are_not_counted(assistant: Assistant) -> None:
    assistant.threshold = 5.0  # nothing clears it (scores are a cosine plus small bonuses)
    session = Session(assistant)
    assert session.suggest(FROZEN).abstained
    assert session.raised == {}
