"""Can the semantic signal veto the rules' flags on a draft it reads as wholly clean? Issue 19,
second question (the first, a veto by the flag's own category, is ``bench/veto_study.py``).

The measure is per DRAFT: its highest margin over all ten categories (``max`` of
``SemanticSignal.category_margins``: the whole draft and its clauses, minus each category's
threshold). A draft below W loses every rule flag; a draft the signal sees as violating in any
category keeps them all. Same population as ``veto_study.py``: each frozen set flagged by the
rules OF ITS DAY (the code at its freeze commit), scored by today's signal trained without it.
Steps 1 and 2 are ``veto_study.py``'s (``rules`` inside each freeze worktree, ``scores`` with
this checkout), writing ``rules_NAME.json`` and ``scores_NAME.json`` into ``OUT``; then::

    python bench/draft_veto_study.py OUT v16 v15 v14 v13 v10 v8 v7

prints the flags per draft-margin band (true / false, per set) and, leaving one set out, the
largest W that loses at most :data:`BUDGET` of the other sets' true flags, applied to the held
set: true flags lost, false flags removed, clean drafts flagged before and after. Aggregates
only, never a draft's text.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import sys
from pathlib import Path

BANDS = (-9.0, -0.5, -0.25, -0.15, -0.1, -0.05, 0.0, 9.0)
BUDGET = 0.005
"""Share of the training sets' true flags a draft-level veto threshold may lose (fixed before
any score was read, like the ship bar in ``docs/compliance.md``)."""


@dataclasses.dataclass(frozen=True)
class Draft:
    """One draft of a frozen set: the rules-of-the-day flags, true and false, and its highest margin."""

    true_flags: int
    false_flags: int
    clean: bool
    top: float


def drafts(out: Path, name: str) -> list[Draft]:
    """The set's drafts joined from the two cached steps (rules of the day, today's margins)."""
    rules = json.loads((out / f"rules_{name}.json").read_text())
    margins = json.loads((out / f"scores_{name}.json").read_text())
    rows = []
    for r, m in zip(rules, margins, strict=True):
        labels = set(r["labels"])
        true = sum(c in labels for c in r["rules"])
        rows.append(Draft(true, len(r["rules"]) - true, not labels, max(m.values())))
    return rows


def veto_margin(population: list[Draft]) -> float:
    """The largest W such that vetoing drafts whose top margin < W loses at most :data:`BUDGET`
    of the true flags (each true flag counted at its draft's top margin)."""
    trues = sorted(d.top for d in population for _ in range(d.true_flags))
    return trues[math.floor(BUDGET * len(trues))] if trues else -9.0


def band_table(sets: dict[str, list[Draft]]) -> None:
    print("| set | " + " | ".join(f"[{a}, {b})" for a, b in itertools.pairwise(BANDS)) + " |")
    print("|---" * (len(BANDS)) + "|")
    for name, found in sets.items():
        cells = [f"{sum(d.true_flags for d in found if a <= d.top < b)}T / "
                 f"{sum(d.false_flags for d in found if a <= d.top < b)}F "
                 f"({sum(d.clean and d.false_flags > 0 for d in found if a <= d.top < b)}c)"
                 for a, b in itertools.pairwise(BANDS)]
        print(f"| {name} | " + " | ".join(cells) + " |")


def fold_row(held: str, w: float, found: list[Draft]) -> tuple[int, ...]:
    cut = [d for d in found if d.top < w]
    counts = (sum(d.true_flags for d in found), sum(d.true_flags for d in cut),
              sum(d.false_flags for d in found), sum(d.false_flags for d in cut),
              sum(d.clean and d.false_flags > 0 for d in found), sum(d.clean and d.false_flags > 0 for d in cut),
              sum(d.clean for d in found))
    t, tl, f, fr, c, cr, n = counts
    print(f"| {held} | {w:.3f} | {t} | {tl} ({tl / max(t, 1):.1%}) | {f} | {fr} | {c} -> {c - cr} of {n} |")
    return counts


def fold_table(sets: dict[str, list[Draft]]) -> None:
    print("\n| held set | W | true flags | true lost | false flags | false removed | clean drafts flagged |")
    print("|---|---|---|---|---|---|---|")
    total = [0] * 7
    for held, found in sets.items():
        w = veto_margin([d for name, other in sets.items() if name != held for d in other])
        total = [a + b for a, b in zip(total, fold_row(held, w, found), strict=True)]
    t, tl, f, fr, c, cr, n = total
    print(f"| all | | {t} | {tl} ({tl / t:.1%}) | {f} | {fr} | {c} -> {c - cr} of {n} "
          f"({cr / max(c, 1):.0%} fewer) |")


def main(argv: list[str]) -> None:
    out, names = Path(argv[0]), argv[1:]
    sets = {n: drafts(out, n) for n in names}
    band_table(sets)
    fold_table(sets)


if __name__ == "__main__":
    main(sys.argv[1:])
