"""Evaluation on worker processes gives exactly what one process gives."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections import deque
from pathlib import Path

import pytest

from assist.batch import parallel
from assist.batch.evaluate import BATCH, run_outcomes
from assist.batch.gaps import GapCollector
from assist.batch.report import gaps_to_dict
from assist.batch.runner import run_local
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


@pytest.mark.model
@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_forked_and_spawned_workers_give_the_run_of_one_process(
    library_dir: Path, tmp_path: Path, start: parallel.StartMethod, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant.load(library=library_dir, index_dir=tmp_path / "index", log=lambda _: None)
    lines = items(2 * BATCH + 3) + [Utterance(f"今天天气怎么样，电话1380013{i:04d}", "weather") for i in range(20)]
    alone = run_local(assistant, lines)
    pools: list[parallel.WorkerPool] = []
    real = parallel.WorkerPool

    def recorded(*args: object, **options: object) -> parallel.WorkerPool:
        pool = real(*args, **{**options, "start": start})  # type: ignore[arg-type]
        pools.append(pool)
        return pool

    monkeypatch.setattr("assist.batch.runner.WorkerPool", recorded)
    spread = run_local(assistant, lines, workers=2)
    assert [pool.forked for pool in pools] == [start == "fork"]
    assert spread.summary == alone.summary
    assert alone.gaps is not None and spread.gaps is not None
    assert gaps_to_dict(spread.gaps) == gaps_to_dict(alone.gaps)


def test_workers_are_forked_only_while_no_other_thread_runs() -> None:
    assert parallel.fork_is_safe() == (threading.active_count() == 1)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not parallel.fork_is_safe()  # a lock held by that thread would stay held in a child
    finally:
        release.set()
        other.join()


def test_a_forked_worker_of_a_process_that_ran_openmp_does_not_hang() -> None:
    """GNU OpenMP's pool does not survive a fork: without the one-thread limit, a worker forked
    from a process that ran a parallel region (FAISS k-means here) waits forever in its first.
    Run in a fresh interpreter, which has no other thread (this one may: no fork here)."""
    script = textwrap.dedent("""
        import os, sys, time
        import faiss, numpy as np
        from threadpoolctl import threadpool_info, threadpool_limits
        from assist.batch import parallel

        if not any(pool["user_api"] == "openmp" for pool in threadpool_info()):
            print("no-openmp")
            sys.exit(0)
        points = np.random.default_rng(0).random((4000, 16), dtype=np.float32)
        def cluster():
            faiss.Kmeans(16, 8, niter=3, seed=1).train(points)
        with threadpool_limits(limits=2):
            cluster()  # a parallel region on two threads: the pool now exists here
        assert parallel.fork_is_safe()
        pid = os.fork()
        if pid == 0:  # what a forked worker does first, then OpenMP work
            parallel._one_thread_each()
            cluster()
            os._exit(0)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                print("exit", os.waitstatus_to_exitcode(status))
                sys.exit(0)
            time.sleep(0.05)
        os.kill(pid, 9)
        print("hung")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    if result.stdout.strip() == "no-openmp":
        pytest.skip("no OpenMP library is loaded with FAISS here")
    assert result.stdout.strip() == "exit 0"


@pytest.mark.model
def test_a_run_on_workers_embeds_its_gap_sample_there_with_the_same_result(
    library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant.load(library=library_dir, index_dir=tmp_path / "index", log=lambda _: None)
    # Redaction changes a text with a phone number, so its lookup's vector is not the sample's.
    lines = items(2 * BATCH + 3) + [Utterance(f"今天天气怎么样，电话1380013{i:04d}", None) for i in range(20)]
    alone = run_local(assistant, lines)
    collector = GapCollector(assistant)
    deque(run_outcomes(assistant, lines, collector.add_batch), maxlen=0)
    assert any(point.vector is None for point in collector.sample.points.values())  # some need embedding
    embedded_here: list[int] = []
    encode = assistant.encoder.encode

    def counted(texts: list[str]) -> object:
        embedded_here.append(len(texts))
        return encode(texts)

    monkeypatch.setattr(assistant.encoder, "encode", counted)
    spread = run_local(assistant, lines, workers=2)
    assert embedded_here == []  # the sample's missing vectors came from the workers
    assert alone.gaps is not None and spread.gaps is not None and alone.gaps.sampled > 0
    assert spread.summary == alone.summary
    assert gaps_to_dict(spread.gaps) == gaps_to_dict(alone.gaps)


@pytest.mark.model
def test_workers_abstain_with_the_parents_thresholds_per_language(library_dir: Path, tmp_path: Path) -> None:
    assistant = Assistant.load(library=library_dir, index_dir=tmp_path / "index", log=lambda _: None)
    assistant.thresholds = {"zh": 0.99}  # as calibrated per language: every Chinese line abstains
    assistant.margins = {"en": 0.05}
    lines = items(BATCH + 3)
    alone = list(run_outcomes(assistant, lines))
    assert any(o.abstained for o in alone) and not all(o.abstained for o in alone)
    assert list(run_outcomes(assistant, lines, workers=2)) == alone


def test_a_worker_pool_outlives_one_map_and_runs_in_process_after_close(library_dir: Path) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    with parallel.WorkerPool(assistant, 2) as pool:
        assert pool.workers == 1  # an encoder object cannot be rebuilt in another process
        assert list(pool.map([[1, 2], [3]], _lengths)) == [2, 1]
        pool.close()
        assert list(pool.map([[1]], _lengths)) == [1]


def _lengths(_: Assistant, batch: list[int]) -> int:
    return len(batch)


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_a_worker_reuses_the_memory_a_batch_frees() -> None:
    """A batch-sized table allocated and freed again and again is mapped once in a worker, not
    page by page on every batch (page faults counted in a fresh process)."""
    script = textwrap.dedent("""
        import resource, sys
        import numpy as np
        from assist.batch import parallel
        if sys.argv[1] == "worker":
            parallel.reuse_freed_memory()
        def batch():  # 8 MB tables, as a batch's scores, their negation and their order
            scores = np.ones(1 << 20)
            negated = -scores
            return float(scores.sum() + np.argpartition(negated, 10)[0])
        batch()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(20):
            batch()
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """)
    faults = {kind: int(subprocess.run([sys.executable, "-c", script, kind], capture_output=True, text=True,
                                       check=True).stdout) for kind in ("plain", "worker")}
    assert faults["worker"] < 1000 < 10_000 < faults["plain"], faults


def _thread_counts(_: Assistant, __: object) -> set[int]:
    from threadpoolctl import threadpool_info

    return {int(library["num_threads"]) for library in threadpool_info()}


def test_a_job_run_in_process_runs_on_one_thread_as_in_a_worker(library_dir: Path) -> None:
    """One worker and two give the same bits only if both run a batch's products on one thread."""
    from threadpoolctl import threadpool_info

    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    before = [library["num_threads"] for library in threadpool_info()]
    with parallel.WorkerPool(assistant, 1) as pool:
        assert list(pool.map([None], _thread_counts)) == [{1}]
    assert [library["num_threads"] for library in threadpool_info()] == before  # restored after the job


@pytest.mark.model
def test_pins_are_warmed_before_workers_are_forked(library_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assistant = Assistant.load(library=library_dir, index_dir=tmp_path / "index", log=lambda _: None)
    warmed: list[Assistant] = []
    real = parallel.warm_pins

    def recorded(one: Assistant) -> None:
        before = threading.active_count()
        real(one)
        assert threading.active_count() == before  # warming started no thread
        warmed.append(one)

    monkeypatch.setattr(parallel, "warm_pins", recorded)
    with parallel.WorkerPool(assistant, 2, start="fork") as pool:
        assert list(pool.map([[1, 2], [3]], _lengths)) == [2, 1]
    assert warmed == [assistant]
    assert "customer" in assistant.rules._plans  # the rule index is built, and carried by the fork
