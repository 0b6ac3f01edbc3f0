"""Call memory within one session: scenarios counted, the repeated-contact escalation on the third raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.lookup.assistant import Assistant
from assist.lookup.session import REPEAT_LIMIT, REPEATED_SCENARIO, Session
from tests.conftest import HashEncoder


@pytest.fixture
def assistant(library_dir: Path, tmp_path: Path) -> Assistant:
    loaded = Assistant.load(library=library_dir, encoder=HashEncoder(), index_dir=tmp_path / "i", log=lambda _: None)
    loaded.threshold = 0.0  # every lookup answers: the session's counting is the point here
    return loaded


def test_a_scenario_raised_below_the_limit_carries_no_alert(assistant: Assistant) -> None:
    session = assistant.session()
    for _ in range(REPEAT_LIMIT - 1):
        suggestion = session.suggest("我的卡被冻结了，钱取不出来")
        assert suggestion.alerts == []
    assert session.raised == {"account_frozen": REPEAT_LIMIT - 1}


def test_the_third_raise_escalates_with_the_repeated_contact_script(assistant: Assistant) -> None:
    session = assistant.session()
    suggestions = [session.suggest("我的卡被冻结了，钱取不出来") for _ in range(REPEAT_LIMIT)]
    last = suggestions[-1]
    assert last.top is not None and last.top.scenario == "account_frozen"  # the answer itself stays
    assert any(REPEATED_SCENARIO in alert for alert in last.alerts)
    repeated = assistant.scenario_script(REPEATED_SCENARIO)
    assert repeated is not None and repeated.escalation is not None
    assert last.escalation is not None and repeated.escalation in last.escalation


def test_sessions_do_not_share_counts(assistant: Assistant) -> None:
    first, second = assistant.session(), assistant.session()
    for _ in range(REPEAT_LIMIT):
        first.suggest("我的卡被冻结了，钱取不出来")
    assert second.suggest("我的卡被冻结了，钱取不出来").alerts == []


def test_abstentions_are_not_counted(assistant: Assistant) -> None:
    assistant.threshold = 5.0  # nothing clears it (scores are a cosine plus small bonuses)
    session = Session(assistant)
    for _ in range(REPEAT_LIMIT):
        assert session.suggest("我的卡被冻结了，钱取不出来").abstained
    assert session.raised == {}
