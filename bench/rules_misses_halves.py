"""A category's pairs the rules miss, on the two halves of ``bench/rules_fp_halves.py`` (issue 19, round 28).

Usage: ``python bench/rules_misses_halves.py CATEGORY [CATEGORY ...] [--show-dev]``.

For each category and each half it prints the (draft, category) pairs the rules alone detect and miss.
``--show-dev`` also prints the development half's missed drafts with the rules that did fire (of other
categories); the confirmation half is only ever counted.
"""

from __future__ import annotations

import sys

from rules_fp_halves import CONFIRMATION, DEVELOPMENT, half

from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import is_advisory
from assist.library.loader import SHIPPED_LIBRARY


def main(argv: list[str]) -> None:
    show = "--show-dev" in argv
    categories = [a for a in argv if not a.startswith("--")]
    pack = load_rule_pack(SHIPPED_LIBRARY)
    for label, names in (("development", DEVELOPMENT), ("confirmation", CONFIRMATION)):
        pairs = dict.fromkeys(categories, 0)
        missed = dict.fromkeys(categories, 0)
        for name, draft in half(names):
            wanted = draft.categories & set(categories)
            if not wanted:
                continue
            found = [v for v in pack.check(draft.text, audience="agent") if not is_advisory(v)]
            hit = {v.category for v in found}
            for category in sorted(wanted):
                pairs[category] += 1
                if category in hit:
                    continue
                missed[category] += 1
                if show and label == "development":
                    others = ",".join(sorted({v.rule_id for v in found})) or "-"
                    print(f"  {category} {name}:L{draft.line} [{others}] {draft.text}")
        print(f"{label}: " + "; ".join(
            f"{c} missed {missed[c]}/{pairs[c]} (found {pairs[c] - missed[c]})" for c in categories))


if __name__ == "__main__":
    main(sys.argv[1:])
