"""bench/bm25_maxscore.py: the MaxScore prototype picks exactly the columns the full BM25 table gives
:func:`best_columns`, and scores any document with the table's bits, on random libraries and queries."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from assist.indexing.lexical import LexicalIndex
from assist.lookup.search import best_columns

BENCH = Path(__file__).resolve().parents[1] / "bench"
CHARACTERS = "我的卡被冻结了转账失败密码忘记挂失额度利息手机银行"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


def text(rng: np.random.Generator, low: int, high: int) -> str:
    return "".join(rng.choice(list(CHARACTERS), size=int(rng.integers(low, high))))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("head_postings", [1, 40, 100_000])
def test_pruned_top_equals_the_full_table(seed: int, head_postings: int, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load("bm25_maxscore")
    monkeypatch.setattr(bench, "HEAD_POSTINGS", head_postings)
    rng = np.random.default_rng(seed)
    index = LexicalIndex.build([text(rng, 2, 12) for _ in range(400)])
    queries = [text(rng, 1, 10) for _ in range(40)] + ["冻结冻结", "zzz", "卡"]
    pruned = bench.Pruned(index)
    table = index.scores_batch(queries)
    for width in (3, 8, 20):
        best, terms = pruned.best(queries, width)
        assert np.array_equal(best, best_columns(table, width))
    rows = np.repeat(np.arange(len(queries)), index.n_docs)
    columns = np.tile(np.arange(index.n_docs), len(queries))
    exact = pruned.exact(terms, rows, columns)
    assert np.array_equal(exact.view(np.uint32), table.ravel().view(np.uint32))
