"""Abstention on unseen wording, leave one utterance file out: dump what decides each line, then
replay abstention rules on the dump without building again.

Why: :mod:`bench.examples_leave_one_out` builds a library without each joined file (minutes a file),
and an abstention rule (threshold, redirect margin, how they are calibrated) reads only a few
scores per line. So this script builds each fold once and writes, per line of the left-out file,
the quick and the full pass's ranked (scenario, score) lists and the pinned scenario, and the
library's own cross-validation points (:func:`assist.lookup.calibrate.cross_validate`), each
marked with whether its text comes from a joined utterance file. No customer text is written:
scores, labels and the file's free ``lang``/``kind`` fields only.

Usage: ``python bench/abstention_loo.py dump OUT_DIR NAME ... [--whole FILE]`` then
``python bench/abstention_loo.py replay OUT_DIR``. The replay checks that main's rule reproduces
the evaluation's figures (``--errors`` of :mod:`bench.examples_leave_one_out`) before it compares
rules.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assist.library.loader import SHIPPED_LIBRARY
from assist.library.out_of_scope import OUT_OF_SCOPE

SHIPPED_EXAMPLES = SHIPPED_LIBRARY / "examples"

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant
    from bench.examples_leave_one_out import Line


def _ranked(scenarios: Sequence[Any]) -> list[list[Any]]:
    return [[s.scenario, round(float(s.score), 6)] for s in scenarios]


def _parts(ranker: Any, normalised: list[str], families: list[str]) -> list[dict[str, Any]]:
    """Per text, what the full pass's blend is made of: the scenario retrieval alone ranks first
    (its nearest examples) and the one the head alone votes for, with their scores; the reason an
    in-scope line was redirected is read from them (an out-of-scope neighbour won, or the head's vote)."""
    from assist.lookup.rank import rank_arrays
    from assist.lookup.search import search_batch

    vectors = ranker.encoder.encode(normalised)
    candidates = search_batch(ranker.index, vectors, normalised, ranker.weights)
    retrieval = rank_arrays(candidates, ranker._table, families).lists()
    head = ranker.index.head
    probs = head.probabilities(vectors) if head is not None else None
    out = []
    for k, scenarios in enumerate(retrieval):
        part: dict[str, Any] = {"retrieval": _ranked(scenarios[:3])}
        if probs is not None:
            order = np.argsort(-probs[k])[:3]
            part["head"] = [[head.labels[j], round(float(probs[k, j]), 6)] for j in order]
        out.append(part)
    return out


def dump_fold(assistant: Assistant, name: str, lines: Sequence[Line], joined: set[str], out: Path) -> None:
    """Write ``out/NAME.json``: the fold's points and each line's passes and outcome."""
    from assist.batch.evaluate import run_outcomes
    from assist.indexing.store import example_rows
    from assist.lookup.assistant import DEFAULT_THRESHOLD
    from assist.lookup.calibrate import calibrate, cross_validate
    from assist.lookup.cascade import is_sure
    from assist.lookup.rank import customer_family
    from assist.text.datafiles import Utterance
    from assist.text.normalise import normalise
    from bench.examples_leave_one_out import measure

    lib = assistant.library
    ranker = assistant.ranker
    cascade = assistant.cascade
    points = cross_validate(lib, ranker)
    assistant.thresholds, assistant.margins, _ = calibrate(lib, ranker, DEFAULT_THRESHOLD, points=points)
    figures, _ = measure(assistant, name, lines)
    rows = example_rows(lib)
    origin = [normalise(text) in joined for _, text in rows]
    texts = [line.text for line in lines]
    normalised = [normalise(t) for t in texts]
    families = [customer_family(t) for t in texts]
    quick = cascade.quick.rank(normalised, families, None, None, 3) if cascade else None
    full = ranker.rank(normalised, families, None, None, 3)
    parts = _parts(ranker, normalised, families)
    items = [Utterance(t, line.scenario, k) for k, (t, line) in enumerate(zip(texts, lines, strict=True), 1)]
    records = []
    for k, outcome in enumerate(run_outcomes(assistant, items)):
        line = lines[k]
        q = quick[k] if quick is not None else None
        records.append({
            "gold": line.scenario, "lang": line.lang, "kind": line.kind,
            "family": families[k][:2], "pinned": outcome.pinned, "predicted": outcome.predicted,
            "abstained": outcome.abstained, "quick_used": outcome.quick,
            "quick": _ranked(q.scenarios) if q is not None else None,
            "quick_sure": bool(q is not None and is_sure(q.best, q.margin, assistant.threshold)),
            "full": _ranked(full[k].scenarios), **parts[k],
        })
    payload = {
        "name": name, "figures": figures.__dict__,
        "thresholds": assistant.thresholds, "margins": assistant.margins,
        "points": [[p.family, p.out_of_scope, p.redirected, round(p.best_in_scope, 6),
                    round(p.best_out_of_scope, 6), joined_row]
                   for p, joined_row in zip(points, origin, strict=True)],
        "lines": records,
    }
    (out / f"{name}.json").write_text(json.dumps(payload), encoding="utf-8")
    print(figures.row(), flush=True)


def dump(out: Path, names: Sequence[str], wholes: Sequence[Path]) -> None:
    from assist.encoders.registry import get_encoder
    from assist.library.loader import SHIPPED_LIBRARY, example_files
    from assist.lookup.assistant import default_index_dir
    from assist.lookup.cascade import QUICK_MODEL, quick_index_dir
    from assist.text.normalise import normalise
    from bench.examples_leave_one_out import library_without, load_assistant, read_lines, seeded

    root = SHIPPED_LIBRARY
    out.mkdir(parents=True, exist_ok=True)
    folder = default_index_dir(root)
    full = seeded(get_encoder(None), folder, root)
    quick = seeded(get_encoder(QUICK_MODEL), quick_index_dir(folder), root)
    joined = {normalise(line.text) for path in example_files(root) for line in read_lines(path)}

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    for name in names:
        with tempfile.TemporaryDirectory(prefix="assist-oos-") as tmp:
            copy = library_without(root, name, Path(tmp))
            assistant = load_assistant(copy, Path(tmp) / "index", full, quick, log, calibrated=False)
            dump_fold(assistant, name, read_lines(root / "examples" / name), joined, out)
    for path in wholes:
        with tempfile.TemporaryDirectory(prefix="assist-oos-") as tmp:
            assistant = load_assistant(root, Path(tmp) / "index", full, quick, log, calibrated=False)
            dump_fold(assistant, path.name, read_lines(path), joined, out)



def decide(line: dict[str, Any], thresholds: dict[str, float], margins: dict[str, float],
           default: float) -> tuple[str | None, bool, str]:
    """(top in-scope scenario, abstained, route) of one dumped line: the rule of
    :func:`assist.lookup.reply.build_suggestion` on the pass that decided it (the quick pass when
    it was sure); a pinned line keeps its answer."""
    ranked = line["quick"] if line["quick_sure"] else line["full"]
    if line["pinned"]:
        return line["predicted"], False, "pin"
    family = line["family"]
    in_scope = [(s, v) for s, v in ranked if s != OUT_OF_SCOPE]
    redirect = next((v for s, v in ranked if s == OUT_OF_SCOPE), None)
    best = in_scope[0][1] if in_scope else 0.0
    top = in_scope[0][0] if in_scope else None
    if redirect is not None and redirect >= best - margins.get(family, 0.0):
        return top, True, "redirect-first" if ranked[0][0] == OUT_OF_SCOPE else "redirect-margin"
    if not in_scope or best < thresholds.get(family, default):
        return top, True, "threshold"
    return top, False, "answer"


def _voter(line: dict[str, Any], route: str) -> str:
    """Which part of the full pass's blend put the out-of-scope class first on a redirected line:
    its nearest examples (retrieval alone ranks it first), the head's vote, both, or neither alone
    (the parts are the full pass's: a quick-pass decision or an older dump says nothing)."""
    if route != "redirect-first" or line["quick_sure"] or "retrieval" not in line or "head" not in line:
        return ""
    neighbour = bool(line["retrieval"]) and line["retrieval"][0][0] == OUT_OF_SCOPE
    head = bool(line["head"]) and line["head"][0][0] == OUT_OF_SCOPE
    return {(True, True): ": neighbour and head", (True, False): ": neighbour", (False, True): ": head",
            (False, False): ": the blend"}[(neighbour, head)]


def replay_file(payload: dict[str, Any], errors: bool = False) -> dict[str, Any]:
    """The file's figures with the abstention :func:`assist.lookup.calibrate.calibrate` chooses on
    the dumped points (the product's calibration as it is now), and its errors by route as counts."""
    from assist.lookup.assistant import DEFAULT_THRESHOLD
    from assist.lookup.calibrate import Point, choose

    points = [Point(f, o, r, b, w) for f, o, r, b, w, _ in payload["points"]]
    thresholds: dict[str, float] = {}
    margins: dict[str, float] = {}
    for family in ("zh", "en"):
        mine = [p for p in points if p.family == family]
        if any(p.out_of_scope for p in mine) and not all(p.out_of_scope for p in mine):
            thresholds[family], margins[family], _ = choose(mine, DEFAULT_THRESHOLD)
    tp = fp = fn = right = inside = 0
    routes: Counter[str] = Counter()
    for line in payload["lines"]:
        top, abstained, route = decide(line, thresholds, margins, DEFAULT_THRESHOLD)
        if line["gold"] == OUT_OF_SCOPE:
            tp, fn = tp + abstained, fn + (not abstained)
            if not abstained:
                routes[f"out of scope answered ({'quick' if line['quick_sure'] else 'full'} pass)"] += 1
            continue
        inside += 1
        right += top == line["gold"]
        if abstained:
            fp += 1
            decided = "quick" if line["quick_sure"] else "full"
            routes[f"in scope abstained ({route}{_voter(line, route)}, {decided} pass)"] += 1
            routes[f"in scope abstained, scenario {line['gold']}"] += 1
            routes[f"in scope abstained, kind {line['kind']}"] += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"name": payload["name"], "top1": right / inside if inside else 0.0, "abstained_in_scope": fp,
            "oos_precision": precision, "oos_recall": recall, "oos_f1": f1, "thresholds": thresholds,
            "margins": margins, "routes": dict(routes) if errors else {}}


def replay(folder: Path, errors: bool) -> None:
    """Each dump's figures under the current calibration, and the sum of out-of-scope F1 over the
    left-out files (the dev set, a ``--whole`` file, apart)."""
    total = 0.0
    for path in sorted(folder.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        got = replay_file(payload, errors)
        whole = not (SHIPPED_EXAMPLES / payload["name"]).is_file()
        total += 0.0 if whole else got["oos_f1"]
        print(f"| {got['name']}{' (whole library)' if whole else ''} | {got['top1']:.3f} | "
              f"{got['abstained_in_scope']} | {got['oos_precision']:.3f} / {got['oos_recall']:.3f} / "
              f"{got['oos_f1']:.3f} | {got['thresholds']} {got['margins']} | as dumped: "
              f"{payload['figures']['oos_f1']:.3f} |")
        for route, count in sorted(got["routes"].items()):
            print(f"  {route}: {count}")
    print(f"left-out files, out-of-scope F1 summed: {total:.3f}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dumping = sub.add_parser("dump", help="build each fold and dump its lines and points")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("names", nargs="*")
    dumping.add_argument("--whole", type=Path, action="append", default=[])
    replaying = sub.add_parser("replay", help="figures of the dumps under the current calibration")
    replaying.add_argument("out", type=Path)
    replaying.add_argument("--errors", action="store_true", help="in-scope abstentions and out-of-scope "
                           "lines answered, by route and pass (counts)")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.names, args.whole)
    else:
        replay(args.out, args.errors)
