"""The share of the customer rules' CPU that reading each text takes (normal form, offsets, sentences).

    python bench/rules_reading_share.py LINES.jsonl [LINES.jsonl ...] [--audience customer]

As a worker meets them: over each file's lines in batches of :data:`assist.batch.evaluate.BATCH`,
each batch is first read as the batch reads it before the rules (:func:`assist.text.normalise.normalise`
and :func:`assist.lookup.rank.customer_family`, which leaves OpenCC's conversion of each Chinese
text as it came in :func:`~assist.text.normalise.to_simplified`'s cache, where the rules' reading
finds it), then timed twice, the order swapped from batch to batch: ``RulePack.hits_many`` on the
batch, and the rules' reading of each of its texts alone (``RulePack._read``: the text's normal form
with offsets back to it, its sentences, the reading's set-up; the lexicon hits it finds on first
need are not included). The reading is the first thing ``hits_many`` does with each text, so its
share of the two is an estimate of what computing it elsewhere once (or never) could save: the
upper bound, since the batch's own normal form differs from the rules' (line breaks, a typographic
apostrophe, combining marks composed or not) and gives neither offsets nor sentences. Prints one
JSON object a file: lines, CPU seconds of each, and the share. The machine is shared: compare the
shares, not the seconds (docs/batch.md).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from assist.compliance.rules import Audience


def measure(texts: Sequence[str], audience: Audience = "customer", batch: int | None = None) -> dict[str, Any]:
    """The figures :func:`main` prints for ``texts`` (checked, not blank)."""
    from assist.batch.evaluate import BATCH
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup.rank import customer_family
    from assist.text.normalise import normalise

    pack = load_rule_pack(SHIPPED_LIBRARY)
    pack.warm(audience)
    spent = {"hits_many": 0.0, "reading": 0.0}
    size = batch or BATCH
    for number, first in enumerate(range(0, len(texts), size)):
        lines = texts[first : first + size]
        _ = [(normalise(text), customer_family(text)) for text in lines]  # as the batch does first
        for way in (("hits_many", "reading") if number % 2 == 0 else ("reading", "hits_many")):
            start = time.process_time()
            if way == "hits_many":
                pack.hits_many(lines, audience=audience)
            else:
                for text in lines:
                    pack._read(text, audience)
            spent[way] += time.process_time() - start
    return {"lines": len(texts), "hits_many_cpu_s": round(spent["hits_many"], 3),
            "reading_cpu_s": round(spent["reading"], 3),
            "reading_share": round(spent["reading"] / max(spent["hits_many"], 1e-9), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--audience", default="customer", choices=("customer", "agent"))
    options = parser.parse_args()
    for path in options.files:
        rows = path.read_text(encoding="utf-8").splitlines()
        texts = [text for line in rows if line.strip() and (text := json.loads(line)["text"]).strip()]
        print(json.dumps({"file": path.name, **measure(texts, cast("Audience", options.audience))}), flush=True)


if __name__ == "__main__":
    main()
