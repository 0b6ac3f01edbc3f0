"""The terminal card: Chinese wrapped by display width, step numbers and phone numbers kept whole."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from assist.cli.render import Wrapped, break_units, render_suggestion, render_violations, wrap_cells
from assist.types import Candidate, Suggestion, Violation

REPO = Path(__file__).resolve().parents[1]


def fraud_suggestion() -> Suggestion:
    """The shipped anti-fraud script as a suggestion: long Chinese steps holding 110 and 96110."""
    data = yaml.safe_load((REPO / "scripts_library" / "scripts" / "fraud_in_progress.yaml").read_text("utf-8"))
    script = next(s for s in data["scripts"] if "96110" in "".join(s.get("steps", ())))
    top = Candidate(
        script_id=script["id"], scenario=script["scenario"], score=0.91, empathy=script["empathy"],
        solution_preview=script["solution_preview"], matched_example="有人让我把钱转到安全账户",
        steps=tuple(script["steps"]), escalation=script.get("escalation"),
    )
    other = Candidate(script_id="card_lost_stolen.en", scenario="card_lost_stolen", score=0.31, empathy="e",
                      solution_preview="s", matched_example="I lost my card [CARD] yesterday, please block it")
    return Suggestion(reply=top.reply, abstained=False, candidates=[top, other], why="pinned by fraud.safe_account",
                      alerts=["疑似电信诈骗：请立即提醒客户挂断电话，需要时拨打110或96110"],
                      escalation=script.get("escalation"))


def rendered(render: object, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    render(console)  # type: ignore[operator]
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [100, 60])
def test_card_keeps_step_numbers_with_their_text_and_numbers_whole(width: int) -> None:
    suggestion = fraud_suggestion()
    lines = rendered(lambda console: render_suggestion(suggestion, console), width)
    assert all(cell_len(line) <= width for line in lines)
    text = "\n".join(lines)
    # Every step starts on a line of its own, its number followed by the step's first characters.
    for number, step in enumerate(suggestion.top.steps, 1):  # type: ignore[union-attr]
        assert re.search(rf"│ {number}\. {re.escape(step[:3])}", text), (number, text)
    # No number is left at a line's end without its text, and the hotlines are never split.
    assert not re.search(r"\d\.\s*│\s*$", text, re.MULTILINE)
    for line in lines:
        inner = line.strip("│ ")
        assert not re.fullmatch(r"\d+\.", inner)
    assert text.count("96110") >= 2  # the alert and the step, each on one line
    inner = [line.strip("│ ") for line in lines]
    for above, below in itertools.pairwise(inner):
        assert not (above[-1:].isdigit() and below[:1].isdigit()), (above, below)


@pytest.mark.parametrize("width", [100, 60])
def test_continuation_lines_hang_under_the_step_text(width: int) -> None:
    step = ("已转账或已泄露信息的：立即协助对涉及账户紧急止付、冻结，提示拨打110或到就近派出所报案，"
            "也可拨打96110反诈专线咨询")
    lines = [line.rstrip() for line in rendered(lambda console: console.print(Wrapped(step, label="3. ")), width)]
    assert lines[0].startswith("3. 已转账")
    assert len(lines) > 1
    assert all(line.startswith("   ") and not line.startswith("    ") for line in lines[1:])
    assert "".join(line.strip() for line in lines) == "3. " + step
    assert any("96110" in line for line in lines)


def test_break_units_keep_latin_runs_and_punctuation_with_their_neighbours() -> None:
    assert break_units("拨打96110反诈") == ["拨", "打", "96110", "反", "诈"]
    assert break_units("好的，马上（现在）办。") == ["好", "的，", "马", "上", "（现", "在）", "办。"]
    assert break_units("call  110 now") == ["call", " ", "110", " ", "now"]
    assert break_units("请拨打 96110。") == ["请", "拨", "打", " ", "96110。"]


def test_wrap_cells_measures_chinese_as_two_cells() -> None:
    assert wrap_cells("一二三四五六", 6) == ["一二三", "四五六"]
    assert wrap_cells("一二三四五六", 7) == ["一二三", "四五六"]
    assert wrap_cells("ab 一二", 4) == ["ab", "一二"]


def test_a_unit_wider_than_the_line_is_the_only_thing_cut() -> None:
    assert wrap_cells("号码1234567890结束", 6) == ["号码", "123456", "7890结", "束"]


@given(
    st.text(alphabet=st.sampled_from("一二三四账户卡，。（）abcXYZ0123 "), max_size=80),
    st.integers(min_value=2, max_value=40),  # a Chinese character is two cells
)
def test_wrapping_loses_nothing_and_fits(text: str, width: int) -> None:
    lines = wrap_cells(text, width)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # A run of Latin letters or digits is cut only when it is wider than a whole line.
    for run in re.findall(r"[a-zA-Z0-9]+", text):
        if len(run) <= width:
            assert any(run in line for line in lines), (run, lines)


def test_script_text_with_brackets_is_not_read_as_markup() -> None:
    violation = Violation(rule_id="r.card", category="credential_request", severity="block", span=(0, 4),
                          matched_text="[bold]卡号", reference="《办法》[2020]", suggestion="请勿提供 [CARD]",
                          explanation="索要卡号")
    lines = "\n".join(rendered(lambda console: render_violations([violation], console), 60))
    assert "[bold]卡号" in lines and "[2020]" in lines and "[CARD]" in lines
    assert "BLOCK" in lines and "safer wording: 请勿提供 [CARD]" in lines


def test_no_violation_says_so() -> None:
    assert rendered(lambda console: render_violations([], console), 60) == ["no compliance issue found"]


def test_an_abstained_suggestion_has_no_steps() -> None:
    suggestion = fraud_suggestion()
    abstained = Suggestion(reply="我理解您的着急，能再具体说说吗？", abstained=True, candidates=suggestion.candidates,
                           why="no script close enough")
    text = "\n".join(rendered(lambda console: render_suggestion(abstained, console), 80))
    assert "abstained: ask a clarifying question" in text
    assert "1. " not in text.split("why:")[0]
