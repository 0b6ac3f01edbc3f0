"""What each category's ``unless`` reach costs and buys, rules alone (issue 19, nineteenth round).

Usage: ``python bench/reach_sweep.py FILE [FILE ...]``. Every category is set to each reach in turn
(``clause`` .. ``draft``); a category's reach only decides what cancels its own hits, so one pass
per reach gives, per category, the labelled drafts found and the clean drafts it flags. Drafts no
rule flags at the narrowest reach (``clause``) cannot be flagged at a wider one and are read once.
Prints counts only.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from pathlib import Path

from assist.compliance.checks import LabelledDraft, read_labelled_drafts
from assist.compliance.reach import REACH_KINDS, UnlessReach
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import AGENT_CATEGORIES, RulePack
from assist.library.loader import SHIPPED_LIBRARY


def at(pack: RulePack, kind: str) -> RulePack:
    reaches = tuple(UnlessReach(c, kind, "sweep") for c in AGENT_CATEGORIES)  # type: ignore[arg-type]
    return dataclasses.replace(pack, reaches=reaches)


def tally(pack: RulePack, drafts: list[LabelledDraft]) -> tuple[Counter[str], Counter[str]]:
    found: Counter[str] = Counter()
    clean: Counter[str] = Counter()
    for draft in drafts:
        hit = {v.category for v in pack.check(draft.text, audience="agent")}
        found.update(hit & draft.categories)
        if not draft.categories:
            clean.update(hit)
    return found, clean


def main(argv: list[str]) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    drafts = [d for a in argv for d in read_labelled_drafts(Path(a))]
    narrow = at(pack, "clause")
    drafts = [d for d in drafts if narrow.check(d.text, audience="agent")]
    support = Counter(c for a in argv for d in read_labelled_drafts(Path(a)) for c in d.categories)
    rows = {kind: tally(at(pack, kind), drafts) for kind in REACH_KINDS}
    shipped = tally(pack, drafts)
    print("category | support | " + " | ".join(f"{k} found/clean" for k in REACH_KINDS) + " | shipped")
    for c in AGENT_CATEGORIES:
        cells = " | ".join(f"{rows[k][0][c]}/{rows[k][1][c]}" for k in REACH_KINDS)
        print(f"{c} | {support[c]} | {cells} | {shipped[0][c]}/{shipped[1][c]}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
