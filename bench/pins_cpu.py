"""CPU seconds of the customer rules (``RulePack.hits`` for the customer audience) over a file's lines.

    python bench/pins_cpu.py LINES.jsonl [--passes N] [--dump OUT.json]

Loads the shipped rule pack, warms it for the customer audience as a worker does
(:meth:`~assist.compliance.rules.RulePack.warm`) and on the first 300 lines, then runs every line
``--passes`` times and prints each pass's CPU seconds (``time.process_time``) as one JSON object.
``--dump`` writes every line's hits (rule id, span, the words) and customer pins (scenario, rule
id, the words of every part; the scam signal left out) for comparing two checkouts with ``cmp``.
The machine is shared: run the old and the new checkout one after the other, several times,
interleaved, and compare ratios within one sitting (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=Path, nargs="+")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--dump", type=Path)
    options = parser.parse_args()

    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup.pins import customer_pins

    texts = [json.loads(line)["text"] for path in options.lines
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pack = load_rule_pack(SHIPPED_LIBRARY)
    if options.dump is not None:
        scenarios = {rule.pin for rule in pack.rules if rule.pin}
        dumped = [{"hits": [(rule.id, v.span, v.matched_text) for rule, v in pack.hits(text, audience="customer")],
                   "pins": [(p.scenario, p.rule_id, p.words)
                            for p in customer_pins(pack, text, scenarios, complete=False)]}
                  for text in texts]
        options.dump.write_text(json.dumps(dumped, ensure_ascii=False), encoding="utf-8")
    pack.warm("customer")
    for text in texts[:300]:
        pack.hits(text, audience="customer")
    passes = []
    for _ in range(options.passes):
        start = time.process_time()
        for text in texts:
            pack.hits(text, audience="customer")
        passes.append(round(time.process_time() - start, 3))
    print(json.dumps({"lines": len(texts), "cpu_s": passes,
                      "lines_per_cpu_s": round(len(texts) / min(passes), 1)}))


if __name__ == "__main__":
    main()
