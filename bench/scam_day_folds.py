"""The scam signal as a veto or a lower completion, measured on the pins OF EACH SET'S DAY.

A frozen utterance set is honest only for the rules of the commit that froze it: later rounds
fixed the rules on its very lines. For each set this script checks out its freeze commit
(a detached ``git worktree``), runs that commit's rules alone on the set (today's copy in
``examples/``) and records per line FULL (a fraud pin), PARTIAL (no pin, a ``scam.party/asks/doing``
part and no ``scam.disengaged*``: today's :func:`assist.lookup.pins.partial_pattern`) or NONE.
The scores come from today's code: the signal trained on every library set but the line's own
(``fit``'s exact held-out identity), and fit's own completion threshold per fold (leave two sets
out). Then, each day set held out once, with MARGIN as in the tenth round:

* veto: V = lowest FULL-of-day scam score of the other day sets - MARGIN; on the held set,
  scams lost and false banners removed (FULL lines under V);
* completion: T = highest PARTIAL-of-day non-scam score of the other day sets + MARGIN; on the
  held set, scams pinned and non-scams pinned at T, beside fit's fold threshold.

Usage: ``python bench/scam_day_folds.py`` from a checkout (git needed; about 5 minutes on 2
cores). Prints aggregates only, never a customer text. ``day NAME OUT`` is the step run inside an
old worktree (only APIs every freeze commit has).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

FREEZES = {"utterances_v12.jsonl": "1a7764d", "utterances_v11.jsonl": "d79f5c5", "utterances_v10.jsonl": "e07b805",
           "utterances_v9.jsonl": "ff1934a",
           "utterances_v6.jsonl": "238cacb", "utterances_v4.jsonl": "132ff62", "utterances_v3.jsonl": "854ba5e"}
"""Each set's freeze commit (``git log --format='%h %s' | grep -i freeze``)."""
MARGIN = 0.25
"""One eighth of the +1/-1 target gap, as in the tenth round's veto rule."""
BANDS = (-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0)
NEEDED = ("scam.party.", "scam.asks.", "scam.doing.")
CHECKOUT = Path(__file__).resolve().parent.parent
EXAMPLES = CHECKOUT / "scripts_library" / "examples"
PIECES: dict[str, list[list[str]]] = {}
"""Per day set, per line: the customer rule ids that fired by the rules of its day (``pin:`` before a
fraud rule's id): read by ``bench/scam_demand_veto.py``."""


def day(name: str, out: str) -> None:
    """Groups of one set by the rules of the checkout on ``sys.path`` (an old commit)."""
    import inspect

    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup import pins

    pack = load_rule_pack(SHIPPED_LIBRARY)
    rules_only = {"complete": False} if "complete" in inspect.signature(pins.customer_pins).parameters else {}
    rows = [json.loads(line) for line in (EXAMPLES / name).read_text("utf-8").splitlines() if line.strip()]
    groups = []
    for row in (r for r in rows if "scam" in r):
        hits = pack.hits(row["text"], audience="customer")
        ids = sorted({rule.id for rule, _ in hits} | {"pin:" + rule.id for rule, _ in hits if rule.pin == pins.FRAUD})
        if any(p.scenario == pins.FRAUD for p in pins.customer_pins(pack, row["text"], {pins.FRAUD}, **rules_only)):
            groups.append(("FULL", bool(row["scam"]), ids))
            continue
        partial = any(i.startswith(NEEDED) for i in ids) and not any(i.startswith("scam.disengaged") for i in ids)
        groups.append(("PARTIAL" if partial else "NONE", bool(row["scam"]), ids))
    Path(out).write_text(json.dumps(groups), "utf-8")


def day_groups(folder: Path) -> dict[str, list[tuple[str, bool]]]:
    """Every set's groups, each by the rules of its freeze commit."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for name, commit in FREEZES.items():
        tree, out = folder / f"at_{commit}", folder / f"{name}.groups"
        subprocess.run(["git", "-C", str(CHECKOUT), "worktree", "add", "--detach", str(tree), commit],
                       check=True, capture_output=True)
        try:
            subprocess.run([sys.executable, __file__, "day", name, str(out)], check=True, cwd=tree,
                           env={**os.environ, "PYTHONPATH": str(tree)})
        finally:
            subprocess.run(["git", "-C", str(CHECKOUT), "worktree", "remove", "--force", str(tree)], check=True)
        found[name] = [(g, bool(s)) for g, s, _ in json.loads(out.read_text("utf-8"))]
        PIECES[name] = [ids for _, _, ids in json.loads(out.read_text("utf-8"))]
    return found


def band_counts(scores: list[float]) -> list[int]:
    return [sum(1 for s in scores if lo <= s < hi) for lo, hi in zip((-1e9, *BANDS), (*BANDS, 1e9), strict=True)]


Today = dict[str, list[tuple[str, bool, float]]]
"""Every library set's lines by today's rules: (FULL, PARTIAL or NONE, scam, held-out score)."""


def held_out_scores() -> tuple[dict[str, list[float]], dict[str, float], Today]:
    """Today's signal: each library set's scores trained without it, fit's threshold per day fold, and
    every library set's lines by today's rules (the lines a shipped veto or completion would meet)."""
    import numpy as np

    from assist.compliance import semantic
    from assist.compliance.rule_files import load_rule_pack
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup import pins, scam_signal
    from assist.text.normalise import normalise

    pack = load_rule_pack(SHIPPED_LIBRARY)
    sets = scam_signal.measured_sets(SHIPPED_LIBRARY)
    texts = [normalise(t) for s in sets for t in s.texts]
    targets = np.array([1.0 if scam else -1.0 for s in sets for scam in s.scams])
    folds = np.concatenate([np.full(len(s.texts), k) for k, s in enumerate(sets)])
    hits = [pack.hits(t, audience="customer") for s in sets for t in s.texts]
    full = [pins.fraud_pattern(h, pins.has_parts(pack)) is not None for h in hits]
    gated = np.array([pins.partial_pattern(h) for h in hits])
    rows = semantic.gram_matrix(texts)
    dense = np.asarray(get_encoder(STATIC_MODEL).encode(texts), dtype=np.float64)
    kernel = (rows @ rows.T).toarray() + dense @ dense.T + 1.0
    kernel[np.diag_indices_from(kernel)] += semantic.RIDGE
    dual, inverse = semantic.ridge_solve(kernel, targets)

    def without(block: np.ndarray) -> np.ndarray:
        return targets[block] - np.linalg.solve(semantic.symmetric_block(inverse, block), dual[block])

    scores = {s.name: [float(x) for x in without(np.flatnonzero(folds == k))] for k, s in enumerate(sets)}
    names = [s.name for s in sets]
    thresholds = {}
    for name in FREEZES:
        held, best = np.flatnonzero(folds == names.index(name)), -np.inf
        for k in set(range(len(sets))) - {names.index(name)}:
            block = np.sort(np.concatenate([held, np.flatnonzero(folds == k)]))
            keep = (folds[block] == k) & (targets[block] < 0) & gated[block]
            best = max(best, float(without(block)[keep].max())) if keep.any() else best
        thresholds[name] = best + scam_signal.MARGIN
    flat = [score for name in names for score in scores[name]]
    today: Today = {name: [] for name in names}
    for k, scam in enumerate(targets > 0):
        group = "FULL" if full[k] else "PARTIAL" if gated[k] else "NONE"
        today[names[folds[k]]].append((group, bool(scam), flat[k]))
    return scores, thresholds, today


Line = tuple[str, bool, float]


def veto_row(name: str, lines: dict[str, list[Line]]) -> str:
    lowest = min(s for other, rows in lines.items() if other != name for g, scam, s in rows if g == "FULL" and scam)
    veto = lowest - MARGIN
    scams = [s for g, scam, s in lines[name] if g == "FULL" and scam]
    false = [s for g, scam, s in lines[name] if g == "FULL" and not scam]
    return (f"| {name} | {veto:+.3f} | {min(scams):+.3f} | {len(false)} | {sum(s < veto for s in scams)} | "
            f"{sum(s < veto for s in false)} |")


def completion_row(name: str, lines: dict[str, list[Line]], fitted: float) -> str:
    highest = max(s for other, rows in lines.items() if other != name for g, scam, s in rows
                  if g == "PARTIAL" and not scam)
    bar = highest + MARGIN
    scams = [s for g, scam, s in lines[name] if g == "PARTIAL" and scam]
    false = [s for g, scam, s in lines[name] if g == "PARTIAL" and not scam]
    return (f"| {name} | {bar:.3f} | {fitted:.3f} | {len(scams)} | {sum(s >= bar for s in scams)} | "
            f"{sum(s >= fitted for s in scams)} | {len(false)} | {sum(s >= bar for s in false)} | {max(false):+.3f} |")


def report(lines: dict[str, list[Line]], fitted: dict[str, float]) -> None:
    print("| set | group | scams / non-scams by score band (<-1, -1, -.5, 0, .25, .5, .75, >=1) |\n|---|---|---|")
    for name, rows in lines.items():
        for group in ("FULL", "PARTIAL", "NONE"):
            scams = band_counts([s for g, scam, s in rows if g == group and scam])
            other = band_counts([s for g, scam, s in rows if g == group and not scam])
            print(f"| {name} | {group} | " + " ".join(f"{a}/{b}" for a, b in zip(scams, other, strict=True)) + " |")
    print("\n| held set | veto V | lowest FULL scam | false banners | scams lost | removed |")
    print("|---|---|---|---|---|---|")
    for name in lines:
        print(veto_row(name, lines))
    print("\n| held set | T | fit's threshold | partial scams | pinned at T | at fit's | partial non-scams | "
          "pinned at T | highest |\n|---|---|---|---|---|---|---|---|---|")
    for name in lines:
        print(completion_row(name, lines, fitted[name]))


def guard(lines: dict[str, list[Line]], today: Today) -> None:
    """What the constants chosen on all day sets would meet under today's rules in every library set
    (held-out scores): real scams the rules pin under the veto, gated non-scams at the completion."""
    veto = min(s for rows in lines.values() for g, scam, s in rows if g == "FULL" and scam) - MARGIN
    bar = max(s for rows in lines.values() for g, scam, s in rows if g == "PARTIAL" and not scam) + MARGIN
    print(f"\nShipped from all day sets: veto {veto:+.3f}, completion {bar:.3f}. Under today's rules:")
    print("| library set | pinned scams | under the veto (lowest) | false pins | gated non-scams | at the completion |")
    print("|---|---|---|---|---|---|")
    for name, rows in today.items():
        pinned = [s for g, scam, s in rows if g == "FULL" and scam]
        gated = [s for g, scam, s in rows if g == "PARTIAL" and not scam]
        print(f"| {name} | {len(pinned)} | {sum(s < veto for s in pinned)} ({min(pinned, default=0):+.2f}) | "
              f"{sum(1 for g, scam, _ in rows if g == 'FULL' and not scam)} | {len(gated)} | "
              f"{sum(s >= bar for s in gated)} |")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        groups = day_groups(Path(folder))
    scores, fitted, today = held_out_scores()
    lines = {name: [(g, scam, s) for (g, scam), s in zip(rows, scores[name], strict=True)]
             for name, rows in groups.items()}
    report(lines, fitted)
    guard(lines, today)


if __name__ == "__main__":
    if sys.argv[1:2] == ["day"]:
        day(sys.argv[2], sys.argv[3])
    else:
        main()
