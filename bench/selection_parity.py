"""Suggestions with :func:`assist.lookup.search.best_columns` against ``argpartition``'s pick.

    python bench/selection_parity.py FILE.jsonl [FILE.jsonl ...] [--every N]

Looks every ``N``-th utterance of the files up twice with the default assistant, in batches
of 256 as an evaluation does: once as shipped, once with each text's best BM25 columns picked by
:func:`assist.lookup.search.partitioned_columns` (``argpartition``, the pick before the
fourteenth round's selection). Prints, as JSON, how many utterances were looked up, how many
suggestions differ in anything (scenarios, scores, replies, the example each candidate cites,
its dense and lexical scores), and how many differ in what an evaluation keeps
(:func:`assist.batch.decide.decision_of`). Both selections keep the same columns; only their
order differs, which can change the example a candidate cites where two examples of its scenario
tie exactly on the fused score.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

BATCH = 256


def _texts(files: list[Path], every: int) -> list[str]:
    texts: list[str] = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts[::every]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--every", type=int, default=1)
    options = parser.parse_args()

    from assist.batch.decide import decision_of
    from assist.lookup import search
    from assist.lookup.assistant import Assistant

    texts = _texts(options.files, options.every)
    assistant = Assistant.load(auto_build=False, log=lambda _: None)
    shipped: Callable[[np.ndarray, int], np.ndarray] = search.best_columns

    def suggest(select: Callable[[np.ndarray, int], np.ndarray]) -> list[object]:
        search.best_columns = select
        try:
            return [s for start in range(0, len(texts), BATCH)
                    for s in assistant.suggest_many(texts[start : start + BATCH])]
        finally:
            search.best_columns = shipped

    new, old = suggest(shipped), suggest(search.partitioned_columns)
    differ = sum(a != b for a, b in zip(new, old, strict=True))
    decisions = sum(decision_of(a) != decision_of(b) for a, b in zip(new, old, strict=True))  # type: ignore[arg-type]
    print(json.dumps({"utterances": len(texts), "suggestions_differ": differ, "decisions_differ": decisions}))


if __name__ == "__main__":
    main()
