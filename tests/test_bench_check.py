"""``assist bench``'s compliance figures: drafts from the library, and check / pins timings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assist.batch.bench_check import (
    DRAFT_LENGTH,
    WARM_UP,
    check_figures,
    check_process,
    cold_check,
    drafts_from,
    percentile,
    time_calls,
)
from assist.lookup.assistant import Assistant
from tests.conftest import HashEncoder


@pytest.mark.slow  # builds an index
def test_drafts_come_from_the_library_and_its_rules(library_dir: Path) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    drafts = drafts_from(assistant.library, assistant.rules, count=20)
    assert drafts == drafts_from(assistant.library, assistant.rules, count=20)  # deterministic
    assert len(drafts) == 20 and all(len(d) == DRAFT_LENGTH for d in drafts)
    pool = [s.reply for s in assistant.library.active_scripts] + [
        t for r in assistant.rules.rules if r.covers("agent") for t in (*r.flags, *r.passes)]
    assert all(any(d.startswith(text[:DRAFT_LENGTH]) for text in pool) for d in drafts)
    assert any(assistant.check(d) for d in drafts)  # the rules have work to do on them


@pytest.mark.slow
def test_check_figures_time_check_and_pins(library_dir: Path) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    said = ("公安让我把钱转到安全账户", "我的卡被冻结了", "my card was stolen")
    queries = [f"{text} {i}" for i in range(30) for text in said]
    figures = check_figures(assistant, queries, runs=40)
    assert set(figures) == {"check_p50_ms", "check_p99_ms", "pins_p50_ms", "pins_p99_ms"}
    assert 0 < figures["check_p50_ms"] <= figures["check_p99_ms"]
    assert 0 < figures["pins_p50_ms"] <= figures["pins_p99_ms"]


def test_percentile_picks_observed_values() -> None:
    assert percentile([float(v) for v in range(1, 101)], 99) == 99.0
    assert percentile([3.0], 50) == 3.0


def test_fewer_texts_than_the_warm_up_are_still_timed() -> None:
    """``assist bench --lookups 50`` gave the pins fewer queries than the warm-up and failed on
    an empty list of timings."""
    seen: list[str] = []
    p50, p99 = time_calls(seen.append, [f"q{i}" for i in range(WARM_UP)])
    assert len(seen) == WARM_UP and 0 <= p50 <= p99
    p50, p99 = time_calls(seen.append, ["only one"])
    assert seen[-1] == "only one" and 0 <= p50 <= p99


def test_a_cold_check_is_one_fresh_process_timed_whole(tmp_path: Path) -> None:
    """Wall and CPU time of a process running the package of the folder it is given: here a stub
    package whose ``check`` spins for a moment and exits 1, as a flagged draft does."""
    (tmp_path / "assist").mkdir()
    (tmp_path / "assist" / "__main__.py").write_text(
        "import sys, time\nend = time.process_time() + 0.2\nwhile time.process_time() < end:\n    pass\n"
        "assert sys.argv[1:] == ['check', '请把验证码念给我']\nsys.exit(1)\n", encoding="utf-8")
    wall, cpu = check_process(tmp_path)
    assert 0.2 <= cpu <= wall
    assert all(figure >= 0.2 for figure in cold_check(2, tmp_path))
    (tmp_path / "assist" / "__main__.py").write_text("raise SystemExit(3)\n", encoding="utf-8")
    with pytest.raises(subprocess.CalledProcessError):
        check_process(tmp_path)
