"""Fraud pins of each joined utterance file, the scam signal trained WITHOUT that file.

Every outside writer's utterance set joins the library (``examples/utterances_v*.jsonl``) and then
trains the scam signal (:func:`assist.lookup.scam_signal.measured_sets`), so scoring a file with
the shipped signal reads its own lines. Here each file is scored as the next unseen set would be:

* the rules' part (today's pack: :func:`assist.lookup.pins.fraud_pattern`) as shipped. The lexicons
  were written by hand, partly on these files' lines in later rounds, so this part is in-sample for
  the older files; the column ``rules`` gives it apart;
* the signal's part (the veto of a rule pin with no demand, the completion of a partial pattern)
  with the ridge trained on every labelled set but the file (held-out scores exactly from the one
  inverse, as ``fit`` does) and the completion threshold the product would derive from the other
  sets (``fit``'s rule, :func:`assist.lookup.scam_signal.threshold`: the highest gated non-scam, capped where
  the rest of the tail puts it; leave the file and each other set out: leave-two-out), for each script apart
  (:func:`assist.lookup.scam_signal.script_thresholds`: an English text is held to the English bar).

Usage: ``python bench/scam_loo.py [--misses]`` from a checkout (about 2 minutes on 2 cores, 3 GB;
``PYTHONPATH=OTHER`` measures another checkout's code, from the twenty-first round's on, on this library).
Prints per file: scams pinned (by the rules, completed, vetoed), false banners by kind; ``--misses``
adds the missed scams by group (the rules' NONE / PARTIAL below the threshold / vetoed) and
language, ``--scores`` the held-out score quantiles of the PARTIAL scams and non-scams per script and the missed
scams per script by how far under their file's bar the gated ones score, ``--veto`` the vetoes re-derived by
``scam_signal.VETO``'s rule over every library set (each scored without itself; without and with a demand,
``scam_signal.DEMAND_VETO``) and the table under them; counts
and scores only: customer text is never printed.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EXAMPLES = "utterances_v"


@dataclass(frozen=True)
class Row:
    """One labelled line of a file: its kind and language, the rules' verdict, its held-out score."""

    scam: bool
    kind: str
    lang: str
    group: str
    """FULL (the rules pin; TAKEOVER is FULL and never vetoed), PARTIAL (gated) or NONE."""
    demand: bool
    score: float
    script: str = "zh"
    own: bool = False
    """The one who asks is of the customer's own people (``pins.own_asker``): no demand bar, the own veto."""


def _rows_meta(path: Path) -> list[tuple[str, str]]:
    import json

    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [(str(r.get("kind", "")), str(r.get("lang", ""))) for r in rows if "scam" in r]


@dataclass
class Fitted:
    """The two fits over every labelled set (``scam_signal.solve``) and what the rules read in each line."""

    sets: list[Any]
    targets: np.ndarray
    folds: np.ndarray
    hits: list[Any]
    patterns: list[Any]
    gated: np.ndarray
    scripts: list[str]
    leave_out: Callable[[np.ndarray], Callable[[np.ndarray], np.ndarray]]
    """``leave_out(block)``: the held-out scorer of the second fit as the product would make it without
    ``block`` (its own margin set); the scorer gives the rows of any block holding ``block`` their scores
    with that block left out too."""


def fitted() -> Fitted:
    """The shipped library's labelled sets, the rules' verdicts and the signal's two fits."""
    from assist.compliance import semantic
    from assist.compliance.rule_files import load_rule_pack
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup import pins, scam_signal

    pack = load_rule_pack(SHIPPED_LIBRARY)
    sets = scam_signal.measured_sets(SHIPPED_LIBRARY)
    texts, targets, folds = scam_signal.training_rows(sets)
    hits = [pack.hits(t, audience="customer") for s in sets for t in s.texts]
    patterns = [pins.fraud_pattern(h, pins.has_parts(pack)) for h in hits]
    gated = np.array([pins.training_gate(h) for h in hits])  # fit's gate: rule-pinned texts too
    dense = np.asarray(get_encoder(STATIC_MODEL).encode(texts), dtype=np.float64)
    grams = semantic.gram_matrix(texts)
    scripts = [scam_signal.script(t) for t in texts]
    first = scam_signal.penalties(targets > 0, gated, scripts)  # scam_signal.solve's two fits, both kept
    first_dual, first_inverse = semantic.ridge_solve(scam_signal.kernel(grams, dense, first), targets)
    second = scam_signal.margin_penalties(first, first_dual, targets, gated)
    dual, inverse = semantic.ridge_solve(scam_signal.kernel(grams, dense, second), targets)

    def margin_system(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The second fit as the product would make it without ``block``: the first fit's margin set read
        without the block (its dual weights by the block formula), the penalties that differ from the
        all-set second fit's changed by Woodbury's identity, so no system is solved again."""
        rest = np.flatnonzero(~np.isin(np.arange(len(texts)), block))
        moved = _columns(first_inverse, block)[rest] @ np.linalg.solve(
            semantic.symmetric_block(first_inverse, block), first_dual[block])
        own = second.copy()
        own[rest] = scam_signal.margin_penalties(first[rest], first_dual[rest] - moved, targets[rest], gated[rest])
        changed = np.flatnonzero(own != second)
        if not changed.size:
            return dual, np.zeros((len(texts), 0)), np.zeros((0, 0))
        columns = _columns(inverse, changed)
        inner = np.diag(1.0 / (own[changed] - second[changed])) + semantic.symmetric_block(inverse, changed)
        return dual - columns @ np.linalg.solve(inner, dual[changed]), columns, inner

    def leave_out(block: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        weights, columns, inner = margin_system(block)

        def without(rows: np.ndarray) -> np.ndarray:
            """The rows' held-out scores in the second fit with ``block``'s own margin set."""
            block_inverse = semantic.symmetric_block(inverse, rows)
            if inner.size:
                block_inverse = block_inverse - columns[rows] @ np.linalg.solve(inner, columns[rows].T)
            return targets[rows] - np.linalg.solve(block_inverse, weights[rows])

        return without

    return Fitted(sets, targets, folds, hits, patterns, gated, scripts, leave_out)


def group(fit: Fitted, row: int) -> str:
    """FULL, TAKEOVER, PARTIAL or NONE: the rules' verdict on one training row."""
    from assist.lookup import pins

    pattern = fit.patterns[row]
    return ("TAKEOVER" if pattern is not None and pins._is_takeover(pattern) else "FULL" if pattern is not None
            else "PARTIAL" if fit.gated[row] else "NONE")  # PARTIAL: the texts a completion is asked for


def demanded(fit: Fitted, row: int) -> bool:
    from assist.lookup import scam_signal

    return any(rule.id.startswith(scam_signal.DEMAND) for rule, _ in fit.hits[row])


def owned(fit: Fitted, row: int) -> bool:
    """Whether the row's demand is made by the customer's own people (``pins.own_asker``)."""
    from assist.lookup import pins

    return demanded(fit, row) and pins.own_asker(fit.hits[row])


def every_set(fit: Fitted) -> dict[str, list[tuple[str, bool, float, bool, bool]]]:
    """Every labelled set's rows scored without that set: (group, scam, held-out score, demand, own asker)."""
    out = {}
    for k, labelled in enumerate(fit.sets):
        block = np.flatnonzero(fit.folds == k)
        scores = fit.leave_out(block)(block)
        out[labelled.name] = [(group(fit, int(row)), bool(fit.targets[row] > 0), float(score), demanded(fit, int(row)),
                               owned(fit, int(row))) for row, score in zip(block, scores, strict=True)]
    return out


def derived_veto(scored: dict[str, list[tuple[str, bool, float, bool, bool]]], with_demand: bool = False,
                 own: bool = False) -> tuple[float, int]:
    """The veto by ``scam_signal.VETO``'s rule over the library's sets under today's rules: the lowest
    held-out score of a rule-pinned (FULL) scam with no demand (``with_demand``: with one,
    ``scam_signal.DEMAND_VETO``; and ``own``, made by the customer's own people, ``scam_signal.OWN_VETO``), minus an
    eighth of the target gap."""
    lowest = [score for rows in scored.values() for g, scam, score, demand, mine in rows
              if g == "FULL" and scam and demand == with_demand and (mine or not own)]
    return min(lowest) - VETO_MARGIN, len(lowest)


VETO_MARGIN = 0.25
"""One eighth of the +1/-1 target gap (``scam_signal.VETO``)."""


def held_out(names: Sequence[str] | None = None,
             fit: Fitted | None = None) -> tuple[dict[str, list[Row]], dict[str, dict[str, float]]]:
    """Every utterance file's rows scored without it, and each one's completion threshold by script."""
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup import scam_signal

    fit = fit if fit is not None else fitted()
    sets, targets, folds, gated, scripts = fit.sets, fit.targets, fit.folds, fit.gated, fit.scripts
    set_names = [s.name for s in sets]
    files = [n for n in set_names if n.startswith(EXAMPLES) and (not names or n in names)]
    found: dict[str, list[Row]] = {}
    bars: dict[str, dict[str, float]] = {}
    for name in files:
        k = set_names.index(name)
        block = np.flatnonzero(folds == k)
        without = fit.leave_out(block)
        scores = without(block)
        others, held = [], []  # the other sets' rows, each scored without its own set and this file
        for other in range(len(sets)):
            if other == k:
                continue
            pair = np.sort(np.concatenate([block, np.flatnonzero(folds == other)]))
            mine = folds[pair] == other
            others.append(pair[mine])
            held.append(without(pair)[mine])
        rows, scored = np.concatenate(others), np.concatenate(held)
        row_scripts = [scripts[r] for r in rows]
        found_bars = scam_signal.script_thresholds(scored, targets[rows] < 0, gated[rows], row_scripts)
        demand_bars = scam_signal.demand_thresholds(scored, targets[rows] < 0, gated[rows], row_scripts,
                                                    np.array([demanded(fit, int(r)) for r in rows]))
        bars[name] = dict(zip(scam_signal.SCRIPTS, (float(b) for b in found_bars), strict=True))
        bars[name].update({f"{s} {DEMANDED}": float(b) for s, b in zip(scam_signal.SCRIPTS, demand_bars, strict=True)})
        meta = _rows_meta(SHIPPED_LIBRARY / "examples" / name)
        found[name] = [Row(bool(targets[row] > 0), meta[j][0], meta[j][1], group(fit, int(row)),
                           demanded(fit, int(row)), float(scores[j]), scripts[row], owned(fit, int(row)))
                       for j, row in enumerate(block)]
    return found, bars


def _columns(lower: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The ``rows`` columns of a symmetric matrix of which only the ``lower`` triangle is filled."""
    out = np.empty((lower.shape[0], rows.size))
    for c, j in enumerate(rows):
        out[:j, c] = lower[j, :j]
        out[j:, c] = lower[j:, j]
    return out


DEMANDED = "demand"
"""The key suffix of a file's completion bar for a text holding a demand (``scam_signal.demand_thresholds``)."""


def bar_of(row: Row, bars: dict[str, float]) -> float:
    """The completion bar the row is held to: its script's, or with a demand no one of the customer's own people
    makes its script's demand bar (``pins._demanded``)."""
    return bars.get(f"{row.script} {DEMANDED}", bars[row.script]) if row.demand and not row.own else bars[row.script]


def pinned(row: Row, bars: dict[str, float], veto: float, demand_veto: float | None = None,
           own_veto: float | None = None) -> str:
    """How the product would treat the row (``bars``: its file's completion threshold by script; ``veto`` and
    ``demand_veto``, the veto of a rule pin without and with a demand, the latter ``scam_signal.DEMAND_VETO``
    unless given; ``own_veto`` with a demand the customer's own people make, ``scam_signal.OWN_VETO`` unless given):
    ``rules``, ``vetoed``, ``completed`` or ``""`` (no pin)."""
    from assist.lookup import scam_signal

    if row.group == "TAKEOVER":
        return "rules"
    if row.group == "FULL":
        bar = (scam_signal.DEMAND_VETO if demand_veto is None else demand_veto) if row.demand else veto
        if row.demand and row.own:
            bar = max(bar, scam_signal.OWN_VETO if own_veto is None else own_veto)
        return "vetoed" if row.score < bar else "rules"
    if row.group == "PARTIAL" and row.score >= bar_of(row, bars):
        return "completed"
    return ""


KINDS = ("lookalike", "past_scam", "call_check", "fee", "platform", "in_scope", "chat")


def table(found: dict[str, list[Row]], bars: dict[str, dict[str, float]], veto: float, misses: bool = False,
          demand_veto: float | None = None, own_veto: float | None = None) -> None:
    print("| file | threshold zh / en | scams | pinned | by rules | completed | vetoed scams | non-scams | "
          "false banners | " + " | ".join(KINDS) + " |")
    print("|---" * (9 + len(KINDS)) + "|")
    totals = Counter[str]()
    for name in sorted(found, key=lambda n: int(n[len(EXAMPLES):].split(".")[0])):
        rows, bar = found[name], bars[name]
        ways = [pinned(r, bar, veto, demand_veto, own_veto) for r in rows]
        scams = [w for r, w in zip(rows, ways, strict=True) if r.scam]
        false = Counter(r.kind for r, w in zip(rows, ways, strict=True) if not r.scam and w in ("rules", "completed"))
        count = Counter(scams)
        figures = {"scams": len(scams), "pinned": count["rules"] + count["completed"], "rules": count["rules"],
                   "completed": count["completed"], "vetoed": count["vetoed"],
                   "non": sum(1 for r in rows if not r.scam), "false": sum(false.values())}
        totals.update(figures)
        totals.update({f"kind:{k}": v for k, v in false.items()})
        print(f"| {name} | {bar['zh']:.3f} / {bar['en']:.3f} | {figures['scams']} | {figures['pinned']} | "
              f"{figures['rules']} | {figures['completed']} | {figures['vetoed']} | {figures['non']} | "
              f"{figures['false']} | "
              + " | ".join(str(false[k]) for k in KINDS) + " |")
        if misses:
            missed = Counter((r.group if w != "vetoed" else "VETOED", r.lang)
                             for r, w in zip(rows, ways, strict=True) if r.scam and w not in ("rules", "completed"))
            print("  missed (group, lang): " + ", ".join(f"{g}/{lang} x{n}" for (g, lang), n in missed.most_common()))
    print(f"| total | | {totals['scams']} | {totals['pinned']} | {totals['rules']} | {totals['completed']} | "
          f"{totals['vetoed']} | {totals['non']} | {totals['false']} | "
          + " | ".join(str(totals[f'kind:{k}']) for k in KINDS) + " |")


def distributions(found: dict[str, list[Row]], bars: dict[str, dict[str, float]]) -> None:
    """Per script: the held-out scores of the scams the rules leave PARTIAL against the gated (PARTIAL)
    non-scams', counts and quantiles only, and how many of each stand at or above their file's bar."""
    quantiles = (0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
    print("| script | group | n | at/above bar | " + " | ".join(f"q{q:g}" for q in quantiles) + " |")
    print("|---" * (4 + len(quantiles)) + "|")
    from assist.lookup.scam_signal import SCRIPTS

    for name in SCRIPTS:
        for label, scam in (("PARTIAL scams", True), ("PARTIAL non-scams", False)):
            rows = [(r.score, bar_of(r, bars[f])) for f, rs in found.items() for r in rs
                    if r.script == name and r.group == "PARTIAL" and r.scam == scam]
            if not rows:
                continue
            scores = np.array([s for s, _ in rows])
            above = sum(1 for s, b in rows if s >= b)
            print(f"| {name} | {label} | {len(rows)} | {above} | "
                  + " | ".join(f"{np.quantile(scores, q):+.3f}" for q in quantiles) + " |")



BELOW = (0.05, 0.1, 0.2, 0.4, 0.8)
"""The edges of how far under its file's bar a missed half-read scam scores (``below``)."""


def below(found: dict[str, list[Row]], bars: dict[str, dict[str, float]], veto: float) -> None:
    """The missed scams by script: the rules gate them (PARTIAL) and the signal leaves them under their file's
    bar, counted by how far under it (bar - score), beside the missed scams the rules read no part of (NONE)
    and the vetoed ones. Counts only."""
    from assist.lookup.scam_signal import SCRIPTS

    edges = (0.0, *BELOW, float("inf"))
    labels = [f"{a:g}-{b:g}" if np.isfinite(b) else f">{a:g}" for a, b in itertools.pairwise(edges)]
    print("| script | missed | NONE | vetoed | PARTIAL under bar | " + " | ".join(labels) + " |")
    print("|---" * (5 + len(labels)) + "|")
    for name in SCRIPTS:
        missed = [(r, bars[f]) for f, rs in found.items() for r in rs
                  if r.script == name and r.scam and pinned(r, bars[f], veto) not in ("rules", "completed")]
        gaps = [bar_of(r, bar) - r.score for r, bar in missed if r.group == "PARTIAL"]
        counts = np.histogram(gaps, bins=edges)[0] if gaps else np.zeros(len(labels), dtype=int)
        print(f"| {name} | {len(missed)} | {sum(r.group == 'NONE' for r, _ in missed)} | "
              f"{sum(r.group == 'FULL' for r, _ in missed)} | {len(gaps)} | "
              + " | ".join(str(c) for c in counts) + " |")


def main(argv: Sequence[str]) -> None:
    from assist.lookup import scam_signal

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="utterance files (default: all)")
    parser.add_argument("--misses", action="store_true", help="add each file's missed scams by group (counts)")
    parser.add_argument("--scores", action="store_true",
                        help="add the held-out score distributions of PARTIAL scams and non-scams per script")
    parser.add_argument("--veto", action="store_true",
                        help="add the veto re-derived by VETO's rule over every library set under today's rules, "
                             "and the table under it")
    args = parser.parse_args(argv)
    fit = fitted()
    found, bars = held_out(args.names, fit)
    table(found, bars, scam_signal.VETO, args.misses)
    if args.scores:
        distributions(found, bars)
        below(found, bars, scam_signal.VETO)
    if args.veto:
        scored = every_set(fit)
        veto, count = derived_veto(scored)
        demand_veto, demanding = derived_veto(scored, with_demand=True)
        own_veto, owning = derived_veto(scored, with_demand=True, own=True)
        print(f"\nVeto by its rule: lowest of {count} no-demand rule-pinned scams - {VETO_MARGIN} = {veto:+.3f} "
              f"(shipped {scam_signal.VETO:+.3f}); of {demanding} with a demand - {VETO_MARGIN} = {demand_veto:+.3f} "
              f"(shipped {scam_signal.DEMAND_VETO:+.3f}); of {owning} asked by the customer's own people - "
              f"{VETO_MARGIN} = {own_veto:+.3f} (shipped {scam_signal.OWN_VETO:+.3f})")
        table(found, bars, veto, demand_veto=demand_veto, own_veto=own_veto)


if __name__ == "__main__":
    main(sys.argv[1:])
