"""Can the semantic signal veto a rule's flag? Study on each frozen draft set measured by the rules
OF ITS DAY (the code at its freeze commit, before anyone had seen it), issue 19.

Three steps, each writing or reading JSON in a scratch folder ``OUT``:

1. Rules of the day, once per set, with the freeze commit's checkout first on the path::

       git worktree add --detach /tmp/at_d79f5c5 d79f5c5
       PYTHONPATH=/tmp/at_d79f5c5 python bench/veto_study.py rules OUT v15

   (only the rules, per draft the categories they flag; the set is read from this checkout's
   ``rules/drafts/``, never from where it sat at the freeze).
2. ``python bench/veto_study.py scores OUT v15 v14 ...``: with the current code, per draft and
   category the signal's score (max over the whole draft and its clauses) minus the category's
   threshold, the signal trained without that set (leave one set out; minutes per set, then cached).
3. ``python bench/veto_study.py table OUT v15 v14 ...``: every rule-of-the-day flag, true (the
   category is labelled) or false, counted per margin band and set; then, leaving one set out, the
   largest global margin V that loses at most 1 % of the other sets' true flags, applied to the held
   set (a flag is vetoed when its margin < V).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import sys
from pathlib import Path

BANDS = (-9.0, -1.0, -0.5, -0.25, 0.0, 9.0)
BUDGET = 0.01
"""Share of the training sets' true flags a veto threshold may lose."""


@dataclasses.dataclass(frozen=True)
class Flag:
    """One rule-of-the-day flag: its category, semantic margin, whether it is labelled, on a clean draft."""

    category: str
    margin: float
    true: bool
    clean: bool


def set_path(name: str) -> Path:
    from assist.library.loader import SHIPPED_LIBRARY

    return Path(SHIPPED_LIBRARY) / "rules" / "drafts" / f"drafts_{name}.jsonl"


def rules_of_day(out: Path, name: str) -> None:
    """Per draft, its labels and the categories the rules on the path flag (no semantic signal)."""
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY

    here = Path(__file__).resolve().parents[1]  # the set is read from this checkout, not the old one
    path = here / "scripts_library" / "rules" / "drafts" / f"drafts_{name}.jsonl"
    pack = load_rule_pack(SHIPPED_LIBRARY)
    rows = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            record = json.loads(line)
            rows.append({"labels": sorted(set(record["violations"])),
                         "rules": sorted({v.category for v in pack.check(record["text"])})})
    (out / f"rules_{name}.json").write_text(json.dumps(rows))


def scores(out: Path, names: list[str]) -> None:
    """Per draft and category, the leave-one-set-out signal's score minus the category's threshold."""
    from assist.compliance.checks import read_labelled_drafts
    from assist.compliance.rule_files import load_rule_pack
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder
    from assist.library.loader import SHIPPED_LIBRARY

    pack = load_rule_pack(SHIPPED_LIBRARY)
    encoder = get_encoder(STATIC_MODEL)
    for name in names:
        file = f"/drafts_{name}.jsonl"
        kept = tuple(e for e in pack.exemplars if not e.source.endswith(file))
        signal = dataclasses.replace(pack, exemplars=kept).semantic_signal(encoder)
        rows = [signal.category_margins(d.text) for d in read_labelled_drafts(set_path(name))]
        (out / f"scores_{name}.json").write_text(json.dumps(rows))


def flags(out: Path, name: str) -> list[Flag]:
    rules = json.loads((out / f"rules_{name}.json").read_text())
    margins = json.loads((out / f"scores_{name}.json").read_text())
    return [Flag(c, m[c], c in r["labels"], not r["labels"])
            for r, m in zip(rules, margins, strict=True) for c in r["rules"]]


def veto_margin(population: list[Flag]) -> float:
    """The largest V such that vetoing margins < V loses at most :data:`BUDGET` of the true flags."""
    trues = sorted(f.margin for f in population if f.true)
    return trues[math.floor(BUDGET * len(trues))] if trues else -9.0


def table(out: Path, names: list[str]) -> None:
    sets = {n: flags(out, n) for n in names}
    print("| set | " + " | ".join(f"[{a}, {b})" for a, b in itertools.pairwise(BANDS)) + " |")
    for name, found in sets.items():
        cells = [f"{sum(f.true and a <= f.margin < b for f in found)}T / "
                 f"{sum(not f.true and a <= f.margin < b for f in found)}F" for a, b in itertools.pairwise(BANDS)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\n| held set | V | true flags | true lost | false flags (on clean) | false removed (on clean) |")
    for held, found in sets.items():
        v = veto_margin([f for name, other in sets.items() if name != held for f in other])
        cut = [f for f in found if f.margin < v]
        print(f"| {held} | {v:.3f} | {sum(f.true for f in found)} | {sum(f.true for f in cut)} | "
              f"{sum(not f.true for f in found)} ({sum(f.clean for f in found)}) | "
              f"{sum(not f.true for f in cut)} ({sum(f.clean for f in cut)}) |")


def main(argv: list[str]) -> None:
    step, out, names = argv[0], Path(argv[1]), argv[2:]
    out.mkdir(parents=True, exist_ok=True)
    if step == "rules":
        rules_of_day(out, names[0])
    elif step == "scores":
        scores(out, names)
    else:
        table(out, names)


if __name__ == "__main__":
    main(sys.argv[1:])
