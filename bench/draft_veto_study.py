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

One category's own treatment (issue 19, twenty-fourth helper: is a flat refusal, the refusal
rule's strongest case, wrongly vetoed?)::

    python bench/draft_veto_study.py OUT v17 v18 dev --category bare_refusal --w -0.239

compares, per held set, the veto as shipped (every flag of a draft below W lost) with E (the
category's flags exempt) and M (the category's flags vetoed at its own W_c, the largest value
losing at most :data:`BUDGET` of the OTHER sets' true flags of that category): the category's
true flags lost and the clean drafts flagged under each. A set outside ``rules/drafts/`` (the
dev set, which no signal trains on) is written by ``extra``, its rules today's and its margins
the full shipped signal's::

    python bench/draft_veto_study.py extra OUT dev /work/shared/eval/drafts_dev.jsonl
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
    """One draft of a frozen set: the categories the rules flag and it is labelled with, and its
    highest margin."""

    flagged: frozenset[str]
    labels: frozenset[str]
    top: float

    @property
    def true_flags(self) -> int:
        return len(self.flagged & self.labels)

    @property
    def false_flags(self) -> int:
        return len(self.flagged - self.labels)

    @property
    def clean(self) -> bool:
        return not self.labels


def drafts(out: Path, name: str) -> list[Draft]:
    """The set's drafts joined from the two cached steps (rules of the day, today's margins)."""
    rules = json.loads((out / f"rules_{name}.json").read_text())
    margins = json.loads((out / f"scores_{name}.json").read_text())
    return [Draft(frozenset(r["rules"]), frozenset(r["labels"]), max(m.values()))
            for r, m in zip(rules, margins, strict=True)]


def write_extra(out: Path, name: str, path: Path) -> None:
    """``rules_NAME.json`` and ``scores_NAME.json`` for a labelled set no signal trains on: today's
    rules, and the margins of the full shipped signal (it has never seen the set)."""
    from assist.compliance.checks import read_labelled_drafts
    from assist.compliance.rule_files import load_rule_pack
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder
    from assist.library.loader import SHIPPED_LIBRARY

    pack = load_rule_pack(SHIPPED_LIBRARY)
    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    found = read_labelled_drafts(path)
    rules = [{"labels": sorted(d.categories), "rules": sorted({v.category for v in pack.check(d.text)})}
             for d in found]
    (out / f"rules_{name}.json").write_text(json.dumps(rules))
    (out / f"scores_{name}.json").write_text(json.dumps([signal.category_margins(d.text) for d in found]))


def category_margin(population: list[Draft], category: str) -> float:
    """W_c: the largest value such that vetoing ``category``'s flags on drafts whose top margin is
    below it loses at most :data:`BUDGET` of that category's true flags."""
    trues = sorted(d.top for d in population if category in d.flagged & d.labels)
    return trues[math.floor(BUDGET * len(trues))] if trues else -9.0


def kept(d: Draft, w: float, category: str, exempt: bool, w_c: float | None) -> frozenset[str]:
    """The flags of ``d`` that survive: all when its top margin reaches W; below W the category's
    own when it is exempt or reaches its own W_c, none otherwise."""
    if d.top >= w:
        return d.flagged
    if exempt or (w_c is not None and d.top >= w_c):
        return d.flagged & {category}
    return frozenset()


def category_table(sets: dict[str, list[Draft]], category: str, w: float) -> None:
    print(f"\n| held set | {category} true flags (rules) | W_c | true lost: shipped / E / M | "
          "clean drafts flagged: no veto / shipped / E / M |")
    print("|---|---|---|---|---|")
    total = [0] * 9
    for held, found in sets.items():
        w_c = category_margin([d for name, other in sets.items() if name != held for d in other], category)
        variants = [(False, None), (True, None), (False, w_c)]
        trues = sum(category in d.flagged & d.labels for d in found)
        lost = [sum(category in d.flagged & d.labels and category not in kept(d, w, category, e, c)
                    for d in found) for e, c in variants]
        clean = [sum(d.clean and bool(d.flagged) for d in found)]
        clean += [sum(d.clean and bool(kept(d, w, category, e, c)) for d in found) for e, c in variants]
        row = [trues, *lost, *clean]
        total = [a + b for a, b in zip(total, [*row, 0], strict=True)]
        print(f"| {held} | {trues} | {w_c:.3f} | {' / '.join(map(str, lost))} | {' / '.join(map(str, clean))} |")
    print(f"| all | {total[0]} | | {' / '.join(map(str, total[1:4]))} | {' / '.join(map(str, total[4:8]))} |")


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
    if argv[0] == "extra":
        write_extra(Path(argv[1]), argv[2], Path(argv[3]))
        return
    category = argv[argv.index("--category") + 1] if "--category" in argv else None
    w = float(argv[argv.index("--w") + 1]) if "--w" in argv else None
    names = [a for i, a in enumerate(argv[1:], 1) if not a.startswith("--") and not argv[i - 1].startswith("--")]
    out = Path(argv[0])
    sets = {n: drafts(out, n) for n in names}
    if category is not None:
        category_table(sets, category, w if w is not None else -0.239)
        return
    band_table(sets)
    fold_table(sets)


if __name__ == "__main__":
    main(sys.argv[1:])
