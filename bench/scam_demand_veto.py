"""The thirteenth round's veto study: where the day folds and the probe rounds disagree, and a veto
gated on the rules' pattern holding no demand (``assist.lookup.scam_signal.veto``).

Builds on ``bench/scam_day_folds.py`` (seven frozen utterance sets, each under the rules of its
freeze commit; scores from today's signal trained without the line's own set) and prints:

1. last round's veto over seven folds (V = lowest FULL-of-day scam of the other sets - MARGIN);
2. the disagreement by mechanism: the real scams today's rules pin in the probe rounds under the
   veto from all seven sets, beside the false banners of the day, counted by which rule pieces
   fired (fraud rule, party, ask, doing, marker), script, length and score;
3. the demand-gated veto: per fold V = lowest no-demand rule-pinned scam (the other day sets, and
   every library set that is not a day set under today's rules) - MARGIN; scams lost and false
   banners removed per fold; the shipped V (all of them) against every library set today.

Usage: ``python bench/scam_demand_veto.py`` from a checkout (git needed; about 5 minutes on 2
cores). Aggregates only, never a customer text.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scam_day_folds as folds  # the sibling study script, found through sys.path

MARGIN = folds.MARGIN
DEMAND = ("scam.asks.", "scam.doing.")
PIECES = (("rule", "pin:"), ("party", "scam.party."), ("ask", "scam.asks."), ("doing", "scam.doing."),
          ("marker", "scam.marker."))
Line = tuple[str, bool, float, tuple[str, ...], int, bool]
"""(FULL, PARTIAL or NONE; scam; held-out score; rule ids; characters; written in Chinese)."""


def demand(line: Line) -> bool:
    return any(i.startswith(DEMAND) for i in line[3])


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def today_lines(today: folds.Today) -> dict[str, list[Line]]:
    """Every library set's lines under today's rules, with their rule ids (``pin:`` before a fraud rule)."""
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup import pins, scam_signal

    pack = load_rule_pack(SHIPPED_LIBRARY)
    found: dict[str, list[Line]] = {}
    for labelled in scam_signal.measured_sets(SHIPPED_LIBRARY):
        found[labelled.name] = []
        for (group, scam, score), text in zip(today[labelled.name], labelled.texts, strict=True):
            hits = pack.hits(text, audience="customer")
            ids = {rule.id for rule, _ in hits} | {f"pin:{rule.id}" for rule, _ in hits if rule.pin == pins.FRAUD}
            found[labelled.name].append((group, scam, score, tuple(sorted(ids)), len(text), chinese(text)))
    return found


def day_lines(groups: dict[str, list[tuple[str, bool]]], scores: dict[str, list[float]]) -> dict[str, list[Line]]:
    """The day sets' lines: group and rule ids by the rules of the freeze commit, today's scores."""
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup import scam_signal

    texts = {s.name: s.texts for s in scam_signal.measured_sets(SHIPPED_LIBRARY)}
    return {name: [(g, scam, score, tuple(ids), len(text), chinese(text)) for (g, scam), score, ids, text
                   in zip(rows, scores[name], folds.PIECES[name], texts[name], strict=True)]
            for name, rows in groups.items()}


def old_veto(day: dict[str, list[Line]]) -> float:
    """Last round's veto table over the day folds; returns the veto from all of them."""
    print("| held set | false banners of the day | V | lowest FULL scam | scams lost | removed |")
    print("|---|---|---|---|---|---|")
    for name, rows in day.items():
        veto = min(x[2] for other, r in day.items() if other != name for x in r if x[0] == "FULL" and x[1]) - MARGIN
        scams = [x[2] for x in rows if x[0] == "FULL" and x[1]]
        false = [x[2] for x in rows if x[0] == "FULL" and not x[1]]
        print(f"| {name} | {len(false)}/{sum(not x[1] for x in rows)} | {veto:+.3f} | {min(scams):+.2f} | "
              f"{sum(s < veto for s in scams)} | {sum(s < veto for s in false)} |")
    return min(x[2] for r in day.values() for x in r if x[0] == "FULL" and x[1]) - MARGIN


def describe(label: str, lines: list[Line]) -> None:
    counts = " | ".join(str(sum(any(i.startswith(p) for i in x[3]) for x in lines)) for _, p in PIECES)
    print(f"| {label} | {len(lines)} | {sum(x[5] for x in lines)} | {statistics.median(x[4] for x in lines):.0f} | "
          f"{counts} | {sum(not demand(x) for x in lines)} | {min(x[2] for x in lines):+.2f} .. "
          f"{max(x[2] for x in lines):+.2f} |")


def disagreement(day: dict[str, list[Line]], today: dict[str, list[Line]], veto: float) -> None:
    print(f"\nUnder the veto from all day sets ({veto:+.3f}):")
    print("| lines | n | Chinese | median chars | " + " | ".join(p for p, _ in PIECES)
          + " | no ask/doing | scores |\n|---|---|---|---|---|---|---|---|---|---|---|")
    probes = [x for name, r in today.items() if name.startswith("pin_probes") for x in r
              if x[0] == "FULL" and x[1] and x[2] < veto]
    describe("probe-round scams today's rules pin, under V", probes)
    describe("false banners of the day (7 sets)", [x for r in day.values() for x in r if x[0] == "FULL" and not x[1]])
    describe("all day scams the rules of the day pin", [x for r in day.values() for x in r if x[0] == "FULL" and x[1]])


def demand_veto(day: dict[str, list[Line]], today: dict[str, list[Line]]) -> None:
    outside = [x[2] for name, r in today.items() if name not in day for x in r
               if x[0] == "FULL" and x[1] and not demand(x)]
    print("\nDemand-gated veto:\n| held set | V | no-demand FULL scams | lowest | lost | false banners | "
          "no demand | removed |\n|---|---|---|---|---|---|---|---|")
    for name, rows in day.items():
        pool = [x[2] for other, r in day.items() if other != name for x in r
                if x[0] == "FULL" and x[1] and not demand(x)] + outside
        veto = min(pool) - MARGIN
        scams = [x[2] for x in rows if x[0] == "FULL" and x[1] and not demand(x)]
        false = [x for x in rows if x[0] == "FULL" and not x[1]]
        quiet = [x[2] for x in false if not demand(x)]
        lowest = f"{min(scams):+.2f}" if scams else "-"
        print(f"| {name} | {veto:+.3f} | {len(scams)} | {lowest} | "
              f"{sum(s < veto for s in scams)} | {len(false)} | {len(quiet)} | {sum(s < veto for s in quiet)} |")
    every = [x[2] for r in (*day.values(), *today.values()) for x in r if x[0] == "FULL" and x[1] and not demand(x)]
    veto = min(every) - MARGIN
    print(f"\nShipped V = {min(every):+.3f} - {MARGIN} = {veto:+.3f} ({len(every)} no-demand pinned scams). "
          "Under today's rules:\n| library set | pinned scams | no demand | lost | false pins | removed |"
          "\n|---|---|---|---|---|---|")
    for name, rows in today.items():
        quiet = [x for x in rows if x[0] == "FULL" and not demand(x)]
        print(f"| {name} | {sum(x[0] == 'FULL' and x[1] for x in rows)} | {sum(x[1] for x in quiet)} | "
              f"{sum(x[1] and x[2] < veto for x in quiet)} | {sum(x[0] == 'FULL' and not x[1] for x in rows)} | "
              f"{sum(not x[1] and x[2] < veto for x in quiet)} |")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        groups = folds.day_groups(Path(folder))
    scores, _, today = folds.held_out_scores()
    day, now = day_lines(groups, scores), today_lines(today)
    veto = old_veto(day)
    disagreement(day, now, veto)
    demand_veto(day, now)


if __name__ == "__main__":
    main()
