"""Long turns cut into clauses (:mod:`assist.text.clauses`)."""

from __future__ import annotations

from assist.text.clauses import LONG_TURN_CHARS, MAX_CLAUSES, clauses


def test_a_short_turn_is_read_whole_only() -> None:
    assert clauses("卡丢了，怎么挂失") == []
    assert clauses("x" * LONG_TURN_CHARS) == []


def test_a_long_turn_is_cut_at_clause_marks_which_stay_with_their_clause() -> None:
    turn = "our shop takes cards all day, the supplier is paid on friday. today the account shows blocked, why is that"
    assert clauses(turn) == ["our shop takes cards all day,", "the supplier is paid on friday.",
                             "today the account shows blocked,", "why is that"]
    chinese = "上个月家里老人住院，事情特别多，我这边房贷晚还了十几天；想问现在补上会不会影响征信？罚息大概多少？"
    assert len(chinese) <= LONG_TURN_CHARS  # a Chinese turn of this length is read whole
    assert clauses(chinese * 2)[:3] == ["上个月家里老人住院，", "事情特别多，", "我这边房贷晚还了十几天；"]


def test_numbers_and_decimals_are_not_cut() -> None:
    turn = "i moved £1,000 at 3:30 into the 2.5% saver and then, a day later, it was not there, what happened"
    assert clauses(turn) == ["i moved £1,000 at 3:30 into the 2.5% saver and then,", "a day later,",
                             "it was not there,", "what happened"]


def test_tiny_pieces_are_dropped_and_one_clause_is_not_a_reading() -> None:
    assert clauses("ok, so, " + "y" * LONG_TURN_CHARS) == []  # one clause of four characters or more
    many = ", ".join(f"clause number {n}" for n in range(20))
    assert len(clauses(many)) == MAX_CLAUSES
