"""Evaluation on worker processes gives exactly what one process gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.batch import parallel
from assist.batch.evaluate import BATCH, run_outcomes
from assist.errors import IndexStateError
from assist.lookup.assistant import Assistant, AssistantSource
from assist.text.datafiles import Utterance
from tests.conftest import HashEncoder

UTTERANCES = [
    "我的卡被冻结了，钱取不出来", "my account has been frozen", "公安让我把钱转到安全账户",
    "钱包被偷了，卡也在里面", "今天天气怎么样", "帳戶被凍結了", "",
]


def items(count: int) -> list[Utterance]:
    return [Utterance(text=UTTERANCES[i % len(UTTERANCES)] + f" {i}", label=None) for i in range(count)]


@pytest.mark.model
def test_two_workers_give_the_outcomes_of_one_process(library_dir: Path, tmp_path: Path) -> None:
    assistant = Assistant.load(library=library_dir, index_dir=tmp_path / "index", log=lambda _: None)
    assert assistant.source == AssistantSource(library_dir, tmp_path / "index", None)
    lines = items(3 * BATCH + 5)  # several batches, the last one short
    seen: list[int] = []
    alone = list(run_outcomes(assistant, lines))
    spread = list(run_outcomes(assistant, lines, lambda batch, _: seen.append(len(batch)), workers=2))
    assert spread == alone
    assert seen == [BATCH, BATCH, BATCH, 5]  # on_batch still sees every batch, in order


def test_an_assistant_given_an_encoder_object_runs_in_process(
    library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    assert assistant.source is None  # another process could not rebuild the encoder

    def no_processes(*_: object) -> None:
        raise AssertionError("no worker process may be started")

    monkeypatch.setattr("multiprocessing.get_context", no_processes)
    lines = items(BATCH + 1)
    assert list(run_outcomes(assistant, lines, workers=2)) == list(run_outcomes(assistant, lines))


def test_a_worker_that_cannot_load_reports_why_on_its_first_batch(
    library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSIST_BLAS_THREADS", "1")  # the worker sets it; restored after the test
    monkeypatch.setattr(parallel, "_worker", parallel._worker)
    parallel._start_worker(AssistantSource(library_dir, tmp_path / "no-index", None), 0.45, 3)
    with pytest.raises(IndexStateError, match="assist build"):
        parallel._suggest(["我的卡被冻结了"])


def test_short_inputs_stay_in_process() -> None:
    assert parallel.default_workers(parallel.PARALLEL_FROM_LINES - 1) == 1
    assert parallel.default_workers(None) >= 1
