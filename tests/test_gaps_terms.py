"""Salient terms found in a process of their own (assist.batch.terms.TermService) are the ones found here."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assist.batch.gaps import candidate_terms
from assist.batch.terms import salient_candidates

TEXTS = ["数字人民币钱包怎么开通，ETC扣费不对", "ATM吞卡了怎么办", "我的卡号是[CARD]，the machine ate my card", ""]


def test_a_term_service_finds_the_terms_found_here() -> None:
    # In a fresh interpreter, which runs no other thread, so the service may be forked.
    script = textwrap.dedent(f"""
        import threading
        from assist.batch.terms import TermService, salient_candidates
        texts = {TEXTS!r}
        service = TermService.start()
        assert service is not None
        service.submit(texts * 50)
        assert service.result() == [salient_candidates(text) for text in texts * 50]
        service.close()
        assert not service._process.is_alive()
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    assert result.stdout.strip() == "ok"


def test_without_a_usable_service_the_terms_are_found_here() -> None:
    expected = [salient_candidates(text) for text in TEXTS]
    assert list(candidate_terms(TEXTS)) == expected
    assert list(candidate_terms(TEXTS, lambda: None)) == expected  # the service failed
    assert list(candidate_terms(TEXTS, lambda: expected[:1])) == expected  # not one set per text
    given = [frozenset({"x"})] * len(TEXTS)
    assert list(candidate_terms(TEXTS, lambda: given)) == given


def test_no_service_is_forked_while_another_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from assist.batch import parallel, terms

    monkeypatch.setattr(parallel, "fork_is_safe", lambda: False)
    assert terms.TermService.start() is None


def test_a_run_names_its_clusters_alike_with_and_without_a_term_service(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        from pathlib import Path
        from assist.batch.report import gaps_to_dict
        from assist.batch.runner import run_local
        from assist.batch.terms import TermService
        from assist.lookup.assistant import Assistant
        from assist.text.datafiles import Utterance
        from tests.conftest import HashEncoder, write_library

        service = TermService.start()  # first, as the evaluate command does
        assert service is not None
        assistant = Assistant.load(library=write_library(Path({str(tmp_path)!r}) / "lib"), encoder=HashEncoder(),
                                   log=lambda _: None)
        lines = [Utterance(text + f" {{i}}") for i in range(40) for text in {TEXTS[:3]!r}]
        here = run_local(assistant, lines)
        there = run_local(assistant, lines, terms=service)
        service.close()
        assert here.gaps is not None and there.gaps is not None and here.gaps.clusters
        assert gaps_to_dict(there.gaps) == gaps_to_dict(here.gaps)
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
