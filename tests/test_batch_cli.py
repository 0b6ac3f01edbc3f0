"""The ``evaluate`` command's progress bar: drawn on a terminal, started only with the first result."""

from __future__ import annotations

import io
import threading

import pytest
from rich.console import Console

from assist.cli import batch as cli_batch


def test_the_progress_bar_starts_its_thread_only_with_the_first_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # Worker processes are forked only while no other thread runs (assist.batch.parallel), and
    # they start with the first batch: a bar drawn before then would make them spawn instead.
    screen = io.StringIO()
    monkeypatch.setattr(cli_batch, "err", Console(file=screen, force_terminal=True, width=80))
    existing = set(threading.enumerate())
    before = len(existing)
    with cli_batch.progress_bar(20_000) as advance:
        assert threading.active_count() == before
        advance(256)
        assert threading.active_count() == before + 1  # rich's refresh thread
    for thread in set(threading.enumerate()) - existing:
        thread.join(timeout=5)  # stopped with the bar (rich does not wait for it to end)
    assert threading.active_count() == before
    assert "evaluating" in screen.getvalue()


def test_no_progress_bar_for_a_short_file_or_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(cli_batch, "err", Console(file=screen, force_terminal=True, width=80))
    before = threading.active_count()
    with cli_batch.progress_bar(100) as advance:
        advance(100)
        assert threading.active_count() == before
    assert screen.getvalue() == ""
