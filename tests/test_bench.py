"""The benchmark's own measuring helpers (the figures themselves come from ``assist bench``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assist.batch.bench import percentile, product_gflops, step_timings, tree_rss_mb
from assist.lookup.assistant import Assistant
from tests.conftest import HashEncoder

HOLD_50_MB = "import sys, time; block = bytearray(50_000_000); print('ready', flush=True); time.sleep(30)"


def test_tree_memory_counts_the_workers() -> None:
    alone = tree_rss_mb(os.getpid())
    assert alone > 0
    child = subprocess.Popen([sys.executable, "-c", HOLD_50_MB], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert tree_rss_mb(os.getpid()) >= alone + 45
    finally:
        child.kill()
        child.wait()


def test_percentiles_pick_observed_values() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) in (50.0, 51.0)
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0


def test_step_timings_cover_the_main_steps(library_dir: Path) -> None:
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    steps = step_timings(assistant, ["我的卡被冻结了", "my card was stolen", "公安让我把钱转到安全账户"])
    assert set(steps) == {"encode", "dense search (exact, or FAISS HNSW)", "BM25 scores",
                          "search, both sides merged and fused", "customer rule pins"}
    assert all(value >= 0 for value in steps.values())


def test_two_pass_figures(library_dir: Path, tmp_path: Path) -> None:
    from assist.batch.bench import quick_share, time_full_model_alone
    from assist.lookup.cascade import quick_index_dir

    assistant = Assistant.load(library=library_dir, encoder=HashEncoder("full"), index_dir=tmp_path / "i",
                               log=lambda _: None)
    queries = ["我的卡被冻结了", "my card was stolen", "公安让我把钱转到安全账户"] * 20
    assert quick_share(assistant, queries) == 0.0  # no quick pass
    quick = Assistant.load(library=library_dir, encoder=HashEncoder("quick"),
                           index_dir=quick_index_dir(tmp_path / "i"), log=lambda _: None)
    assistant = assistant.with_quick_pass(quick.ranker)
    share = quick_share(assistant, queries)
    assert share == sum(s.quick_pass for s in assistant.suggest_many(queries)) / len(queries)
    p50, p99 = time_full_model_alone(assistant, queries)
    assert 0 < p50 <= p99
    assert assistant.cascade is not None  # the full model was timed on a copy; this one keeps its quick pass
    steps = step_timings(assistant, queries[:3])
    assert "encode (full model, for unsure lookups)" in steps


def test_given_utterances_are_timed_twice_and_kept_only_as_figures(library_dir: Path) -> None:
    from assist.batch.bench import time_given_utterances

    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    figures: dict[str, float | str] = {}
    texts = ["我的卡被冻结了，身份证 110101199003077777", "my card was stolen"] * 30
    time_given_utterances(assistant, texts, figures)
    assert set(figures) == {
        "given_utterances_lookup_p50_ms", "given_utterances_lookup_p99_ms", "given_utterances_lookup_p50_ms (again)",
        "given_utterances_lookup_p99_ms (again)", "share of the given utterances the quick pass decided alone",
    }
    assert all(isinstance(value, float) for value in figures.values())


def test_product_rate_is_a_positive_rate() -> None:
    assert product_gflops(repeats=2) > 0
