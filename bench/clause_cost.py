"""CPU of a batch evaluation's worker under several clause-reading settings, interleaved in one process.

    python bench/clause_cost.py LINES.jsonl [--lines N] [--repeats R] [--settings off,0.15,all]

Loads the default assistant once and runs :func:`assist.batch.runner.aggregate_batch` over the
file's lines in batches of :data:`assist.batch.evaluate.BATCH` on one thread, with the gap
collection, as a worker of ``assist evaluate`` does (``bench/batch_stages.py``), once per setting
per repeat, the settings' order rotated every repeat: ``off`` (long turns read whole only), ``all``
(every long turn also read clause by clause) or a margin (only long turns whose whole reading's top
two are closer than it, :func:`assist.lookup.rank.clause_turns`). Prints each run, then each
setting's median CPU over ``off``'s (the ratio, within one run of one process on a shared machine)
and the clauses it searched per line.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from pathlib import Path
from typing import Any

CPU = time.process_time


def apply(assistant: Any, setting: str) -> None:
    from assist.lookup.rank import CLAUSE_SHARE

    rankers = [assistant.ranker] + ([assistant.cascade.quick] if assistant.cascade is not None else [])
    for ranker in rankers:
        ranker.clause_share = 0.0 if setting == "off" else CLAUSE_SHARE
        ranker.clause_margin = None if setting in ("off", "all") else float(setting)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=Path)
    parser.add_argument("--lines", dest="count", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--settings", default="off,0.15,all")
    options = parser.parse_args()

    import assist.lookup.ranker as ranker_module
    from assist.batch.evaluate import BATCH, batched
    from assist.batch.gaps import GapCollector
    from assist.batch.parallel import _in_process, reuse_freed_memory
    from assist.batch.runner import aggregate_batch
    from assist.lookup.assistant import Assistant
    from assist.text.datafiles import Utterance

    counted = [0]
    inner = ranker_module.clauses

    def clauses(text: str) -> list[str]:
        found = inner(text)
        counted[0] += len(found)
        return found

    ranker_module.clauses = clauses  # type: ignore[assignment]
    reuse_freed_memory()
    records = [json.loads(line) for line in options.lines.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [Utterance(text=r["text"], label=r.get("scenario")) for r in records[: options.count]]
    assistant = Assistant.load(auto_build=False, log=lambda _: None)
    job = functools.partial(aggregate_batch, low_confidence=GapCollector(assistant).low_confidence,
                            predictions=False, render=None)
    settings = [item.strip() for item in options.settings.split(",")]
    _in_process(job, assistant, items[:BATCH])  # the warm-up, not counted
    spent: dict[str, list[float]] = {setting: [] for setting in settings}
    pieces: dict[str, int] = {}
    for repeat in range(options.repeats):
        shift = repeat % len(settings)
        for setting in settings[shift:] + settings[:shift]:
            apply(assistant, setting)
            counted[0] = 0
            start = CPU()
            for batch in batched(items, BATCH):
                _in_process(job, assistant, batch)
            spent[setting].append(CPU() - start)
            pieces[setting] = counted[0]
            print(json.dumps({"repeat": repeat, "setting": setting, "cpu_s": round(spent[setting][-1], 3)}),
                  flush=True)
    base = spent[settings[0]]
    for setting in settings:
        ratio = statistics.median(s / b for s, b in zip(spent[setting], base, strict=True))
        print(json.dumps({"setting": setting, "lines": len(items),
                          "median_cpu_s": round(statistics.median(spent[setting]), 3),
                          f"ratio_over_{settings[0]}": round(ratio, 4),
                          "clauses_per_line": round(pieces[setting] / max(len(items), 1), 4)}))


if __name__ == "__main__":
    main()
