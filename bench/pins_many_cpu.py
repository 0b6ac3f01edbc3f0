"""CPU seconds of the customer rules over a file's lines: one text at a time against a batch at once.

    python bench/pins_many_cpu.py LINES.jsonl [--lines N] [--repeats 3] [--audience customer]

Loads the shipped rule pack, then over the file's lines in batches of
:data:`assist.batch.evaluate.BATCH` (as a worker meets them) runs ``RulePack.hits`` on each line
("one") and ``RulePack.hits_many`` on the batch ("many"), alternating which goes first from batch
to batch, and checks both give the same hits. Each repeat goes over lines no repeat has seen (the
regex automata's states are built as new text needs them), so give it at least
``repeats x lines`` lines. Prints the CPU seconds (``time.process_time``) of each and their
ratio, one JSON object a repeat. The machine is shared: compare the ratio, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=Path)
    parser.add_argument("--lines", dest="count", type=int, default=6000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--audience", default="customer", choices=("customer", "agent"))
    options = parser.parse_args()

    from assist.batch.evaluate import BATCH, batched
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY

    rows = options.lines.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in rows if line.strip()]
    pack = load_rule_pack(SHIPPED_LIBRARY)
    pack.warm(options.audience)
    pack.hits_many(texts[:BATCH], audience=options.audience)  # the warm-up, not counted
    for repeat in range(options.repeats):
        lines = texts[BATCH + repeat * options.count : BATCH + (repeat + 1) * options.count]
        spent = {"one": 0.0, "many": 0.0}
        for number, batch in enumerate(batched(lines, BATCH)):
            order = ("one", "many") if number % 2 == 0 else ("many", "one")
            answers = {}
            for way in order:
                start = time.process_time()
                if way == "one":
                    answers[way] = [pack.hits(text, audience=options.audience) for text in batch]
                else:
                    answers[way] = pack.hits_many(batch, audience=options.audience)
                spent[way] += time.process_time() - start
            if answers["one"] != answers["many"]:
                raise SystemExit("hits_many differs from hits")
        print(json.dumps({
            "repeat": repeat, "lines": len(lines), "one_cpu_s": round(spent["one"], 3),
            "many_cpu_s": round(spent["many"], 3), "many_over_one": round(spent["many"] / spent["one"], 3),
        }))


if __name__ == "__main__":
    main()
