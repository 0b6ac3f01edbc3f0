"""CPU of the customer rules for several literal-pass chunk sizes, on text new to each, in one process.

    python bench/prefilter_chunks.py LINES.jsonl [--chunks 48000 12000 200000] [--lines N]

Loads the shipped rule pack once for each :data:`~assist.compliance.prefilter.CHUNK_CHARS` named
(the first is the reference), each with its own regexes and literal passes, then, batch by batch of
:data:`assist.batch.evaluate.BATCH` lines, runs each pack's ``RulePack.hits_many`` on the batch
(customer audience), the order rotated from batch to batch. Every pack meets every line once, new
to its automata, as a worker meets a file's lines: RE2 builds a literal pass's automaton, and each
regex's, state by state as new text needs them, so the cost depends on how much a file's lines
repeat one another, not only on their number. The hits must be the same for every size (a pass's
atoms may differ with the patterns that share it, RE2 pruning atoms common to many, but only which
regexes are run changes, never what they find). Prints, one JSON object, each size's passes, CPU
seconds, microseconds a line, ratio to the first, and the mean number of regexes its passes let
through a line (what the rules then run). The machine is shared: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def measure(texts: list[str], chunks: list[int], batch: int) -> dict[str, Any]:
    """The figures :func:`main` prints for ``texts`` (raw lines) and the chunk sizes ``chunks``."""
    from assist.compliance import prefilter
    from assist.compliance.rule_files import load_rule_pack
    from assist.compliance.rules import _Context
    from assist.library.loader import SHIPPED_LIBRARY

    packs = []
    default = prefilter.CHUNK_CHARS
    try:
        for size in chunks:
            prefilter.CHUNK_CHARS = size
            pack = load_rule_pack(SHIPPED_LIBRARY)
            pack.warm("customer")  # its plan, so its literal passes, built with this size
            packs.append(pack)
    finally:
        prefilter.CHUNK_CHARS = default
    if len({id(pack) for pack in packs}) != len(packs):
        raise SystemExit("the rule pack was not loaded afresh for each chunk size")
    spent = [0.0] * len(chunks)
    for number, start in enumerate(range(0, len(texts), batch)):
        lines = texts[start : start + batch]
        shift = number % len(chunks)
        answers: dict[int, list[Any]] = {}
        for which in [*range(shift, len(chunks)), *range(shift)]:
            began = time.process_time()
            answers[which] = packs[which].hits_many(lines, audience="customer")
            spent[which] += time.process_time() - began
        if any(answer != answers[0] for answer in answers.values()):
            raise SystemExit("chunk sizes disagree on the hits")
    count = max(len(texts), 1)
    read = [_Context.of(text).norm for text in texts]
    plans = [pack._plan("customer") for pack in packs]
    passed = [sum(len(plan.sources) if (let := plan.matching(line)) is None else len(let) for line in read) / count
              for plan in plans]  # None: the pass could not say, and every regex runs
    return {
        "lines": len(texts),
        "chunks": [{
            "chunk_chars": size,
            "passes": len(plan.prefilter._filter.parts) if plan.prefilter.active else 0,
            "cpu_s": round(cpu, 3),
            "us_per_line": round(cpu / count * 1e6, 1),
            "over_first": round(cpu / spent[0], 3) if spent[0] else None,
            "regexes_let_through": round(through, 2),
        } for size, plan, cpu, through in zip(chunks, plans, spent, passed, strict=True)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=Path)
    parser.add_argument("--chunks", type=int, nargs="+", default=[48_000, 12_000, 200_000])
    parser.add_argument("--lines", dest="count", type=int, default=None)
    options = parser.parse_args()

    from assist.batch.evaluate import BATCH

    rows = options.lines.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(row)["text"] for row in rows if row.strip()][: options.count]
    print(json.dumps(measure(texts, options.chunks, BATCH)))


if __name__ == "__main__":
    main()
