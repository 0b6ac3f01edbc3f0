"""bench/examples_leave_one_out.py: a file is measured by a library built without it, the library
copied (never changed), and example vectors memoised without changing what the index reads."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.conftest import HashEncoder, write_library

BENCH = Path(__file__).resolve().parents[1] / "bench" / "examples_leave_one_out.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("examples_leave_one_out", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = load_bench()


class CountingEncoder(HashEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode(texts)


NONSENSE = "qwv zkj"
"""A text no script's example shares a character pair with: only its own row can find it."""


def library_with_examples(root: Path) -> Path:
    write_library(root)
    (root / "examples").mkdir()
    joined = [{"text": NONSENSE, "scenario": "mortgage_process", "lang": "en", "kind": "in_scope"},
              {"text": "我的银行卡丢了，麻烦挂失", "scenario": "card_lost_stolen", "lang": "zh-Hans",
               "kind": "in_scope"}]
    (root / "examples" / "utterances_v1.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in joined), encoding="utf-8")
    return root


def test_a_file_left_out_loses_its_own_rows_and_the_library_is_unchanged(tmp_path: Path) -> None:
    root = library_with_examples(tmp_path / "lib")
    before = sorted((p.relative_to(root), p.read_bytes()) for p in root.rglob("*") if p.is_file())
    encoder = bench.MemoEncoder(HashEncoder())
    lines = bench.read_lines(root / "examples" / "utterances_v1.jsonl")

    joined = bench.load_assistant(root, tmp_path / "index", encoder, None, lambda _: None)
    seen, _ = bench.measure(joined, "utterances_v1.jsonl", lines)
    [(unseen, errors)] = bench.leave_one_out(root, "utterances_v1.jsonl", encoder, None)

    assert (seen.lines, seen.in_scope, seen.out_of_scope) == (2, 2, 0)
    assert seen.top1 == 1.0  # each line finds itself in the index
    assert unseen.top1 == 0.5  # left out, the nonsense line has nothing of its own to find
    assert sum(n for (gold, _), n in errors.confusions.items() if gold == "mortgage_process") == 1
    assert not any(gold == "card_lost_stolen" for gold, _ in errors.confusions)
    assert errors.in_scope == {("in_scope", "en"): 1, ("in_scope", "zh-Hans"): 1}
    assert errors.missed == {("in_scope", "en"): 1}  # the nonsense line, by its kind and language
    assert sum(errors.missed_by.values()) == 1 and set(errors.missed_by) <= {"full", "quick", "pin"}
    assert sorted((p.relative_to(root), p.read_bytes()) for p in root.rglob("*") if p.is_file()) == before
    # Both lines are short: the one length band holds the file's whole evaluation.
    assert list(errors.bands) == ["<=40 chars"]
    assert bench.figures_of("band", errors.bands["<=40 chars"]).top1 == unseen.top1


def test_length_bands_hold_their_bounds() -> None:
    assert bench.length_band("x" * 40) == "<=40 chars"
    assert bench.length_band("x" * 41) == "41-80 chars"
    assert bench.length_band("x" * 80) == "41-80 chars"
    assert bench.length_band("x" * 81) == ">80 chars"


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    root = library_with_examples(tmp_path / "lib")
    with pytest.raises(SystemExit, match=r"utterances_v9\.jsonl"):
        bench.library_without(root, "utterances_v9.jsonl", tmp_path / "copy")


def test_the_memo_embeds_a_text_once_and_returns_the_inner_rows() -> None:
    inner = CountingEncoder()
    memo = bench.MemoEncoder(inner)
    first = memo.encode(["a b", "c d", "a b"])
    second = memo.encode(["c d", "e f"])
    assert inner.texts == ["a b", "c d", "e f"]
    np.testing.assert_allclose(first, HashEncoder().encode(["a b", "c d", "a b"]), atol=1e-6)
    np.testing.assert_allclose(second, HashEncoder().encode(["c d", "e f"]), atol=1e-6)
    assert memo.encode([]).shape == (0, HashEncoder.dim)


def test_seeded_vectors_are_copies() -> None:
    """An index's vectors are a view of memory its index frees: the memo must own its rows."""
    memo = bench.MemoEncoder(HashEncoder())
    source = HashEncoder().encode(["a b"])
    memo.seed(["a b"], source)
    source[:] = 0.0
    np.testing.assert_allclose(memo.encode(["a b"]), HashEncoder().encode(["a b"]), atol=1e-6)
