"""CPU seconds of a batch evaluation's lookups in one process, as a worker runs them, by stage.

    python bench/batch_cpu.py LINES.jsonl [--lines N] [--profile]

Loads the default assistant, runs one warm batch, then :func:`assist.batch.runner.aggregate_batch`
over the file's lines in batches of :data:`assist.batch.evaluate.BATCH` as a worker runs them: on
one thread for every numerical library (:func:`assist.batch.parallel._in_process`), glibc keeping
freed memory (:func:`assist.batch.parallel.reuse_freed_memory`), predictions rendered. It prints
the batches' CPU seconds (``time.process_time``) and lines per CPU-second as one JSON object;
``--profile`` adds the CPU seconds spent in each timed stage (wrapped functions, inclusive, so
nested stages overlap). Run old and new checkouts one after the other, several times,
interleaved: the machine is shared, and only ratios within one sitting compare (docs/performance.md).
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAGES = (
    ("assist.indexing.lexical", "LexicalIndex", "scores_batch"),
    ("assist.lookup.search", None, "lexical_neighbours"),
    ("assist.lookup.search", None, "dense_search"),
    ("assist.lookup.search", None, "search_batch"),
    ("assist.lookup.ranker", "Ranker", "rank_arrays"),
    ("assist.batch.decide", None, "_batch_pins"),
    ("assist.batch.decide", None, "_decide_pass"),
    ("assist.batch.decide", None, "decide_batch"),
)


def _timed(spent: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - start

    return wrapper


def _instrument(spent: dict[str, float]) -> None:
    import importlib

    for module_name, owner_name, attribute in STAGES:
        if attribute is None:
            continue
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        name = f"{owner_name or module_name.rsplit('.', 1)[-1]}.{attribute}"
        setattr(owner, attribute, _timed(spent, name, getattr(owner, attribute)))
    # Functions imported by name elsewhere are replaced there too.
    import assist.batch.decide as decide
    import assist.batch.runner as runner
    import assist.lookup.ranker as ranker
    import assist.lookup.search as search

    ranker.search_batch = search.search_batch
    runner.decide_batch = decide.decide_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=Path)
    parser.add_argument("--lines", dest="count", type=int, default=5000)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()

    from assist.batch.evaluate import BATCH, batched
    from assist.batch.parallel import _in_process, reuse_freed_memory
    from assist.batch.runner import aggregate_batch
    from assist.lookup.assistant import Assistant
    from assist.text.datafiles import Utterance

    reuse_freed_memory()  # as a worker does
    spent: dict[str, float] = {}
    if options.profile:
        _instrument(spent)
    records = [json.loads(line) for line in options.lines.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [Utterance(text=r["text"], label=r.get("scenario")) for r in records[: options.count]]
    assistant = Assistant.load(auto_build=False, log=lambda _: None)
    job = functools.partial(aggregate_batch, low_confidence=None, predictions=True, render="jsonl")
    _in_process(job, assistant, items[:BATCH])
    spent.clear()
    start = time.process_time()
    lines = 0
    for batch in batched(items, BATCH):
        lines += _in_process(job, assistant, batch).lines
    cpu = time.process_time() - start
    out: dict[str, Any] = {"lines": lines, "cpu_s": round(cpu, 3), "lines_per_cpu_s": round(lines / cpu, 1)}
    if options.profile:
        out["stages_cpu_s"] = {name: round(value, 3) for name, value in sorted(spent.items())}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
