"""Every pin the shipped customer rules (and the scam signal) put on BANKING77's training texts.

BANKING77 holds no scam and few questions about verification or a third party (issue 20: no fraud pin,
and no third-party or skip-verification pin on a question that is about neither). Prints the count of
pins per scenario and, for the third-party and skip-verification pins, the public BANKING77 text with the
rule and words that fired (``docs/quality.md`` lists them).

Usage: ``python bench/pins_fp_b77.py [CSV]`` (default ``../shared/eval/banking77/train.csv``; under a minute).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LISTED = ("skip_verification", "third_party_inquiry")


def main(argv: Sequence[str]) -> None:
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup import pins

    path = Path(argv[0]) if argv else ROOT.parent / "shared" / "eval" / "banking77" / "train.csv"
    with path.open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    pack = load_rule_pack(SHIPPED_LIBRARY)
    known = {pins.FRAUD, *LISTED}
    counts = Counter[str]()
    listed = []
    for text in texts:
        for pin in pins.customer_pins(pack, text, known):
            counts[pin.scenario] += 1
            if pin.scenario in LISTED:
                listed.append((pin.scenario, text, pin.rule_id, pin.words))
    print(f"{len(texts)} texts; pins: " + (", ".join(f"{s} {n}" for s, n in sorted(counts.items())) or "none"))
    for scenario, text, rule_id, words in listed:
        print(f"  {scenario}: {text!r} ({rule_id}: " + ", ".join(f"{w!r}" for _, w in words) + ")")


if __name__ == "__main__":
    main(sys.argv[1:])
