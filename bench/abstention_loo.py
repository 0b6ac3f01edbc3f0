"""Abstention on unseen wording, leave one utterance file out: dump what decides each line, then
replay abstention rules on the dump without building again.

Why: :mod:`bench.examples_leave_one_out` builds a library without each joined file (minutes a file),
and an abstention rule (threshold, redirect margin, how they are calibrated) reads only a few
scores per line. So this script builds each fold once and writes, per line of the left-out file,
the quick and the full pass's ranked (scenario, score) lists and the pinned scenario, and the
library's own cross-validation points (:func:`assist.lookup.calibrate.cross_validate`), each
marked with whether its text comes from a joined utterance file. No customer text is written:
scores, labels and the file's free ``lang``/``kind`` fields only.

Usage: ``python bench/abstention_loo.py dump OUT_DIR NAME ... [--whole FILE] [--seed-index DIR
--seed-library DIR]`` then ``python bench/abstention_loo.py replay OUT_DIR [--errors] [--show-dev]``. The
replay checks that main's rule reproduces the evaluation's figures (``--errors`` of
:mod:`bench.examples_leave_one_out`) before it compares rules, and sums the figures over the development
half (even-numbered files, whose wrong lines ``--show-dev`` prints) and the confirmation half (odd-numbered
files, counted only) apart. To measure a change to the examples (the out-of-scope set), dump from a copy of
the checkout that holds the change, seeded from the unchanged checkout's index (``--seed-index
CHECKOUT/index --seed-library CHECKOUT/scripts_library``): only the new examples are embedded.
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
    from assist.lookup.calibrate import Point
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
    table = ranker._table
    head = ranker.index.head
    alone = rank_arrays(candidates, table, families, aggregation=head.aggregation if head else "best")
    retrieval = alone.lists()
    probs = head.probabilities(vectors) if head is not None else None
    outside = table.scenarios.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in table.scenarios else -1
    out = []
    for k, scenarios in enumerate(retrieval):
        part: dict[str, Any] = {"retrieval": _ranked(scenarios[:3])}
        if probs is not None:
            order = np.argsort(-probs[k])[:3]
            part["head"] = [[head.labels[j], round(float(probs[k, j]), 6)] for j in order]
        if outside >= 0:
            own = float(alone.scores[k, outside])
            rest = np.delete(alone.scores[k], outside)
            vote = (head.blend * float(probs[k, head.labels.index(OUT_OF_SCOPE)])
                    if probs is not None and head is not None and OUT_OF_SCOPE in head.labels else 0.0)
            part["oos_parts"] = [round(vote, 6), round(own if np.isfinite(own) else 0.0, 6),
                                 round(float(rest.max()) if np.isfinite(rest).any() else 0.0, 6)]
        out.append(part)
    return out


def _point(p: Point, joined_row: bool) -> list[Any]:
    return [p.family, p.out_of_scope, p.redirected, round(p.best_in_scope, 6), round(p.best_out_of_scope, 6),
            joined_row, round(p.head_out_of_scope, 6), round(p.retrieval_in_scope, 6),
            round(p.retrieval_out_of_scope, 6), round(p.second_in_scope, 6)]


def dump_fold(assistant: Assistant, name: str, lines: Sequence[Line], joined: set[str], out: Path) -> None:
    """Write ``out/NAME.json``: the fold's points and each line's passes and outcome."""
    from assist.batch.evaluate import run_outcomes
    from assist.indexing.store import example_rows
    from assist.lookup.assistant import DEFAULT_THRESHOLD
    from assist.lookup.calibrate import calibrate, cross_validate
    from assist.lookup.rank import customer_family
    from assist.text.datafiles import Utterance
    from assist.text.normalise import normalise
    from bench.examples_leave_one_out import measure

    lib = assistant.library
    ranker = assistant.ranker
    cascade = assistant.cascade
    points = cross_validate(lib, ranker)
    quick_points = cross_validate(lib, cascade.quick) if cascade is not None else None
    assistant.thresholds, assistant.margins, _ = calibrate(lib, ranker, DEFAULT_THRESHOLD, points=points)
    figures, _ = measure(assistant, name, lines)
    rows = example_rows(lib)
    origin = [normalise(text) in joined for _, text in rows]
    texts = [line.text for line in lines]
    normalised = [normalise(t) for t in texts]
    families = [customer_family(t) for t in texts]
    every = len(ranker._table.scenarios)  # every scenario listed: where the out-of-scope class stood
    quick = cascade.quick.rank(normalised, families, None, None, every) if cascade else None
    full = ranker.rank(normalised, families, None, None, every)
    parts = _parts(ranker, normalised, families)
    quick_parts = _parts(cascade.quick, normalised, families) if cascade else None
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
            "quick_sure": bool(q is not None and quick_sure(_ranked(q.scenarios), families[k], assistant.threshold)),
            "full": _ranked(full[k].scenarios), **parts[k],
            "quick_oos_parts": quick_parts[k].get("oos_parts") if quick_parts is not None else None,
        })
    payload = {
        "name": name, "figures": figures.__dict__,
        "thresholds": assistant.thresholds, "margins": assistant.margins,
        "points": [_point(p, joined_row) for p, joined_row in zip(points, origin, strict=True)],
        "quick_points": None if quick_points is None else [_point(p, joined_row) for p, joined_row in
                                                           zip(quick_points, origin, strict=True)],
        "lines": records,
    }
    (out / f"{name}.json").write_text(json.dumps(payload), encoding="utf-8")
    print(figures.row(), flush=True)


def dump(out: Path, names: Sequence[str], wholes: Sequence[Path], seed_index: Path | None = None,
         seed_library: Path | None = None) -> None:
    """Dump each named fold and each ``wholes`` file. Example vectors are seeded from ``seed_index``, a
    current index of ``seed_library`` (default: the shipped library's own index folder): an index of the
    library before a change to its examples seeds every text the change kept, so a changed library
    embeds only its new examples."""
    from assist.encoders.registry import get_encoder
    from assist.library.loader import SHIPPED_LIBRARY, example_files
    from assist.lookup.assistant import default_index_dir
    from assist.lookup.cascade import QUICK_MODEL, quick_index_dir
    from assist.text.normalise import normalise
    from bench.examples_leave_one_out import library_without, load_assistant, read_lines, seeded

    root = SHIPPED_LIBRARY
    out.mkdir(parents=True, exist_ok=True)
    seed_root = seed_library or root
    folder = seed_index or default_index_dir(seed_root)
    full = seeded(get_encoder(None), folder, seed_root)
    quick = seeded(get_encoder(QUICK_MODEL), quick_index_dir(folder), seed_root)
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


def quick_sure(quick: list[list[Any]], family: str, threshold: float | None = None) -> bool:
    """:func:`assist.lookup.cascade.is_sure` of a dumped quick ranking, as the lookup asks it (the
    default threshold; the out-of-scope class's gap read from the list, inf when it is not listed)."""
    from assist.lookup.cascade import is_sure

    best = quick[0][1] if quick else 0.0
    margin = round(best - quick[1][1], 4) if len(quick) >= 2 else round(best, 4)
    first = bool(quick) and quick[0][0] == OUT_OF_SCOPE
    own = next((v for s, v in quick if s == OUT_OF_SCOPE), None)
    return is_sure(best, margin, _default() if threshold is None else threshold, first, family,
                   best - own if own is not None else np.inf)


def out_of_scope_stand(ranked: list[list[Any]] | None) -> tuple[int | None, float | None]:
    """(rank from 1, gap to the first scenario) of the out-of-scope class in a dumped ranking (None, None:
    not listed)."""
    for number, (scenario, score) in enumerate(ranked or [], 1):
        if scenario == OUT_OF_SCOPE:
            return number, round(ranked[0][1] - score, 6) if ranked else None
    return None, None


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


def _revoted(ranked: list[list[Any]] | None, parts: list[float] | None, factor: float) -> list[list[Any]] | None:
    """``ranked`` with the out-of-scope class's head vote (``parts[0]``) multiplied by ``factor``."""
    if ranked is None or parts is None or factor == 1.0:
        return ranked
    moved = [[s, round(v - (1 - factor) * parts[0], 6) if s == OUT_OF_SCOPE else v] for s, v in ranked]
    return sorted(moved, key=lambda item: -item[1])


def revoted(payload: dict[str, Any], factor: float) -> dict[str, Any]:
    """``payload`` as if the head's out-of-scope vote (:data:`assist.indexing.head.OUT_OF_SCOPE_VOTE`)
    had been ``factor`` times the dumped one: the points' out-of-scope scores, both passes' rankings
    of each line and whether the quick pass was sure (:func:`assist.lookup.cascade.is_sure` at the
    default threshold, as the lookup asks it) follow; a dump without the vote's parts is unchanged."""
    if factor == 1.0:
        return payload
    points = []
    for f, o, r, b, w, joined_row, *extra in payload["points"]:
        if extra:
            w = w - (1 - factor) * extra[0]
            r, extra = w > b, [extra[0] * factor, *extra[1:]]
        points.append([f, o, r, b, w, joined_row, *extra])
    lines = []
    for line in payload["lines"]:
        quick = _revoted(line["quick"], line.get("quick_oos_parts"), factor)
        full = _revoted(line["full"], line.get("oos_parts"), factor)
        sure = line["quick_sure"]
        if quick is not None and line.get("quick_oos_parts") is not None:
            sure = quick_sure(quick, line["family"])
        lines.append(line | {"quick": quick, "full": full, "quick_sure": sure})
    return payload | {"points": points, "lines": lines}


def vote_curve(folder: Path, factors: Sequence[float]) -> None:
    """Per dump and language family, the best abstention F1 the calibration finds on the library's own
    cross-validation points (weighed as :func:`assist.lookup.calibrate.choose` weighs them) with the
    head's out-of-scope vote multiplied by each factor: how the vote is chosen, never on the left-out lines."""
    from assist.indexing.calibration import HIGH, LOW, MAX_MARGIN, MIN_MARGIN
    from assist.lookup.calibrate import OUT_OF_SCOPE_SHARE, STEP, Point, f1_grid

    thresholds = np.round(np.arange(LOW, HIGH + STEP / 2, STEP), 4)
    margins = np.round(np.arange(MIN_MARGIN, MAX_MARGIN + STEP / 2, STEP), 4)
    print("| dump | family | " + " | ".join(f"x{f:g}" for f in factors) + " |")
    for path in sorted(folder.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        for family in ("zh", "en"):
            best = []
            for factor in factors:
                rows = revoted(payload, factor)["points"]
                points = [Point(f, o, r, b, w, *extra) for f, o, r, b, w, _, *extra in rows if f == family]
                best.append(float(f1_grid(points, thresholds, margins, OUT_OF_SCOPE_SHARE).max()))
            print(f"| {payload['name']} | {family} | " + " | ".join(f"{b:.4f}" for b in best) + " |")


def _fold_points(rows: list[list[Any]], family: str) -> list[Point]:
    from assist.lookup.calibrate import Point

    return [Point(f, o, r, b, w, *extra) for f, o, r, b, w, _, *extra in rows if f == family]


def weighted_f1(abstain: np.ndarray, outside: np.ndarray, weight: np.ndarray) -> float:
    """The out-of-scope F1 of the abstentions ``abstain``, each point counted by its fold's ``weight``."""
    tp, fp = (abstain & outside) @ weight, (abstain & ~outside) @ weight
    fn = (~abstain & outside) @ weight
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def sure_curve_rows(
    payload: dict[str, Any], family: str, leads: Sequence[float],
) -> tuple[float, list[tuple[float, float, int]]]:
    """On one dump's library points of ``family``: the weighted abstention F1 of the two passes as
    the lookup decides them without :data:`assist.lookup.cascade.SURE_OUT_OF_SCOPE_LEAD`, and per lead
    in ``leads``, with the quick pass also sure of a point whose out-of-scope class it ranks first by at
    least that lead: the F1, the share of points it is newly sure of, and how many in-scope points it
    then redirects that the full pass answers. The quick pass's points (``quick_points``) and the full
    pass's are the same examples in the same folds; the calibration (threshold, redirect margin) is
    chosen on the full pass's points, as the lookup's is. Points the quick pass does not rank the class
    first on are the full pass's decision on both sides (the points do not carry the runner-up, and the
    rule moves none of them)."""
    from assist.lookup.assistant import DEFAULT_THRESHOLD
    from assist.lookup.calibrate import OUT_OF_SCOPE_SHARE, abstains, choose, in_scope_weight
    from assist.lookup.cascade import is_sure

    full = _fold_points(payload["points"], family)
    quick = _fold_points(payload["quick_points"], family)
    threshold, margin, _ = choose(full, DEFAULT_THRESHOLD)
    weight = np.array([1.0 if p.out_of_scope else in_scope_weight(full, OUT_OF_SCOPE_SHARE) for p in full])
    outside = np.array([p.out_of_scope for p in full], dtype=bool)
    by_full = np.array([abstains(p, threshold, margin) for p in full], dtype=bool)
    by_quick = np.array([abstains(p, threshold, margin) for p in quick], dtype=bool)
    first = np.array([q.redirected for q in quick], dtype=bool)
    lead = np.array([q.best_out_of_scope - q.best_in_scope for q in quick])
    sure_now = first & np.array([is_sure(q.best_out_of_scope, round(q.best_out_of_scope - q.best_in_scope, 4),
                                         DEFAULT_THRESHOLD) for q in quick], dtype=bool)

    def f1(sure: np.ndarray) -> float:
        return weighted_f1(np.where(sure, by_quick, by_full), outside, weight)

    rows = []
    for value in leads:
        newly = first & (lead >= value) & ~sure_now
        rows.append((f1(sure_now | newly), float(newly.mean()) if newly.size else 0.0,
                     int((newly & ~outside & by_quick & ~by_full).sum())))
    return f1(sure_now), rows


def sure_curve(folder: Path, leads: Sequence[float]) -> None:
    """Per dump and family, :func:`sure_curve_rows` (F1, +share newly sure, in-scope points newly
    redirected), then :func:`chosen_lead` over the dumps: how the quick pass's out-of-scope lead
    (:data:`assist.lookup.cascade.SURE_OUT_OF_SCOPE_LEAD`) is chosen, on the library's points only."""
    print("| dump | family | now | " + " | ".join(f"lead {v:g}" for v in leads) + " |")
    curves: dict[str, list[tuple[float, list[tuple[float, float, int]]]]] = {"zh": [], "en": []}
    for path in sorted(folder.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if not payload.get("quick_points") or not (SHIPPED_EXAMPLES / payload["name"]).is_file():
            continue  # a whole-library dump's points are every fold's: not one more fold
        for family in ("zh", "en"):
            now, rows = sure_curve_rows(payload, family, leads)
            curves[family].append((now, rows))
            print(f"| {payload['name']} | {family} | {now:.4f} | "
                  + " | ".join(f"{f:.4f} (+{share:.3f}, {bad})" for f, share, bad in rows) + " |")
    for family, found in curves.items():
        if found:
            now, means, chosen = chosen_lead(found, leads)
            print(f"| mean of {len(found)} | {family} | {now:.4f} | " + " | ".join(f"{m:.4f}" for m in means)
                  + f" | chosen: {chosen}")


def chosen_lead(
    found: Sequence[tuple[float, list[tuple[float, float, int]]]], leads: Sequence[float],
) -> tuple[float, list[float], float | None]:
    """The folds' mean F1 now and at each lead, and the lead chosen: the smallest at which the quick
    pass, in no fold, redirects an in-scope point the full pass answers, and the mean F1 is not below
    now's (None: no such lead; the family keeps the plain bars)."""
    now = float(np.mean([n for n, _ in found]))
    means = [float(np.mean([rows[k][0] for _, rows in found])) for k in range(len(leads))]
    fine = [k for k in range(len(leads)) if means[k] >= now and not any(rows[k][2] for _, rows in found)]
    return now, means, (float(leads[min(fine, key=lambda k: leads[k])]) if fine else None)


GAP_TOLERANCE = 0.001
"""Folds' mean F1 points within which a smaller gap counts as good as the best (:func:`chosen_gap`)."""


def quick_point_sure(point: Point, threshold: float, family: str) -> tuple[bool, float]:
    """(whether the quick pass is sure of a library point without any out-of-scope gap asked, the best
    in-scope score less the class's): :func:`assist.lookup.cascade.is_sure` read from the point's best
    in-scope, runner-up in-scope and out-of-scope scores."""
    from assist.lookup.cascade import is_sure

    inside, second, outside = point.best_in_scope, point.second_in_scope, point.best_out_of_scope
    if point.redirected:
        best, margin = outside, round(outside - inside, 4)
    else:
        best, margin = inside, round(inside - max(second, outside), 4)
    return is_sure(best, margin, threshold, point.redirected, family), inside - outside


def gap_curve_rows(
    payload: dict[str, Any], family: str, gaps: Sequence[float],
) -> tuple[float, float, list[tuple[float, float, int, int]]]:
    """On one dump's library points of ``family`` (the calibration's own cross-validation, never a
    left-out line): the weighted abstention F1 of the two passes as the lookup decides them with no
    out-of-scope gap asked, the share the quick pass is sure of, and per gap in ``gaps``, with the quick
    pass handing on a point whose best scenario leads the out-of-scope class by less: the F1, the share
    newly handed on, the out-of-scope points then redirected that the quick pass answered (gained) and
    the in-scope points then abstained that it answered (lost). Threshold and margin are chosen on the
    full pass's points, as the lookup's are."""
    from assist.lookup.calibrate import OUT_OF_SCOPE_SHARE, abstains, choose, in_scope_weight

    full = _fold_points(payload["points"], family)
    quick = _fold_points(payload["quick_points"], family)
    threshold, margin, _ = choose(full, _default())
    weight = np.array([1.0 if p.out_of_scope else in_scope_weight(full, OUT_OF_SCOPE_SHARE) for p in full])
    outside = np.array([p.out_of_scope for p in full], dtype=bool)
    by_full = np.array([abstains(p, threshold, margin) for p in full], dtype=bool)
    by_quick = np.array([abstains(p, threshold, margin) for p in quick], dtype=bool)
    read = [quick_point_sure(q, _default(), family) for q in quick]
    sure_now = np.array([sure for sure, _ in read], dtype=bool)
    lead = np.array([gap for _, gap in read])
    first = np.array([q.redirected for q in quick], dtype=bool)

    def f1(sure: np.ndarray) -> float:
        return weighted_f1(np.where(sure, by_quick, by_full), outside, weight)

    rows = []
    for value in gaps:
        handed = sure_now & ~first & (lead < value)
        moved = handed & ~by_quick & by_full
        rows.append((f1(sure_now & ~handed), float(handed.mean()) if handed.size else 0.0,
                     int((moved & outside).sum()), int((moved & ~outside).sum())))
    return f1(sure_now), float(sure_now.mean()) if sure_now.size else 0.0, rows


def chosen_gap(
    found: Sequence[tuple[float, list[tuple[float, float, int, int]]]], gaps: Sequence[float],
) -> tuple[float, list[float], float | None]:
    """The folds' mean F1 now and at each gap, and the gap chosen: the smallest whose mean F1 is within
    :data:`GAP_TOLERANCE` of the best gap's and above now's (None: no gap raises it; the family asks none)."""
    now = float(np.mean([n for n, _ in found]))
    means = [float(np.mean([rows[k][0] for _, rows in found])) for k in range(len(gaps))]
    top = max(means)
    fine = [k for k in range(len(gaps)) if means[k] > now and means[k] >= top - GAP_TOLERANCE]
    return now, means, (float(gaps[min(fine, key=lambda k: gaps[k])]) if fine else None)


def gap_curve(folder: Path, gaps: Sequence[float]) -> None:
    """Per dump and family, :func:`gap_curve_rows` (F1, +share handed on, out-of-scope points gained,
    in-scope points lost), then :func:`chosen_gap` over the dumps: how
    :data:`assist.lookup.cascade.SURE_OUT_OF_SCOPE_GAP` is chosen, on the library's points only."""
    print("| dump | family | now (sure) | " + " | ".join(f"gap {v:g}" for v in gaps) + " |")
    curves: dict[str, list[tuple[float, list[tuple[float, float, int, int]]]]] = {"zh": [], "en": []}
    for path in sorted(folder.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if not payload.get("quick_points") or not (SHIPPED_EXAMPLES / payload["name"]).is_file():
            continue
        if len(payload["quick_points"][0]) < 10:
            continue  # an older dump: its points lack the runner-up, so the quick pass's sureness
        for family in ("zh", "en"):
            now, sure, rows = gap_curve_rows(payload, family, gaps)
            curves[family].append((now, rows))
            print(f"| {payload['name']} | {family} | {now:.4f} ({sure:.3f}) | "
                  + " | ".join(f"{f:.4f} (+{share:.3f}, +{gain}, -{lost})" for f, share, gain, lost in rows) + " |")
    for family, found in curves.items():
        if found:
            now, means, chosen = chosen_gap(found, gaps)
            print(f"| mean of {len(found)} | {family} | {now:.4f} | " + " | ".join(f"{m:.4f}" for m in means)
                  + f" | chosen: {chosen}")


def with_gap(payload: dict[str, Any], gaps: dict[str, float] | None) -> dict[str, Any]:
    """``payload`` with the quick pass handing on each line it was sure of whose first scenario leads the
    out-of-scope class by less than its family's gap (None: as dumped)."""
    if gaps is None:
        return payload
    lines = []
    for line in payload["lines"]:
        quick = line["quick"]
        if line["quick_sure"] and quick and quick[0][0] != OUT_OF_SCOPE:
            _, gap = out_of_scope_stand(quick)
            if gap is not None and gap < gaps.get(line["family"], -np.inf):
                line = line | {"quick_sure": False}
        lines.append(line)
    return payload | {"lines": lines}


def replay_file(payload: dict[str, Any], errors: bool = False) -> dict[str, Any]:
    """The file's figures with the abstention :func:`assist.lookup.calibrate.calibrate` chooses on
    the dumped points (the product's calibration as it is now), and its errors by route as counts."""
    from assist.lookup.assistant import DEFAULT_THRESHOLD
    from assist.lookup.calibrate import Point, choose

    points = [Point(f, o, r, b, w, *extra) for f, o, r, b, w, _, *extra in payload["points"]]
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
                if line["quick_sure"]:
                    place, gap = out_of_scope_stand(line["quick"])
                    low = None if gap is None else float(np.floor(gap * 20) / 20)
                    band = "not listed" if low is None else f"gap {low:.2f}-{low + 0.05:.2f}"
                    routes[f"out of scope answered by the quick pass: class rank {place}, {band}"] += 1
                    _, held, _ = decide(line | {"quick_sure": False}, thresholds, margins, DEFAULT_THRESHOLD)
                    routes["out of scope answered by the quick pass: the full pass "
                           f"{'redirects' if held else 'answers too'}"] += 1
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


def sure_of_lead(payload: dict[str, Any], leads: dict[str, float] | None) -> dict[str, Any]:
    """``payload`` with the quick pass also sure of each line whose out-of-scope class it ranks first
    by at least its family's lead over the best scenario (None: as dumped)."""
    if leads is None:
        return payload
    lines = []
    for line in payload["lines"]:
        quick = line["quick"]
        if quick and quick[0][0] == OUT_OF_SCOPE and not line["quick_sure"]:
            inside = [v for s, v in quick if s != OUT_OF_SCOPE]
            if quick[0][1] - (inside[0] if inside else 0.0) >= leads.get(line["family"], np.inf):
                line = line | {"quick_sure": True}
        lines.append(line)
    return payload | {"lines": lines}


def parse_leads(text: str | None) -> dict[str, float] | None:
    """``0.05`` (both families) or ``zh=0,en=0.06`` as leads per family (None: none given)."""
    if text is None:
        return None
    if "=" not in text:
        return {"zh": float(text), "en": float(text)}
    return {family: float(value) for family, value in (part.split("=") for part in text.split(","))}


def half(name: str) -> str:
    """The file's half by parity (the split of ``bench/scam_halves.py``): ``dev`` for an even-numbered joined
    file (``utterances_v34.jsonl``), whose lines may be read, ``confirm`` for an odd one, counted only, and
    ``whole`` for a file outside the library (the dev set, a probe file)."""
    if not (SHIPPED_EXAMPLES / name).is_file():
        return "whole"
    digits = "".join(ch for ch in name.split(".")[0].rsplit("_v", 1)[-1] if ch.isdigit())
    return "dev" if digits and int(digits) % 2 == 0 else "confirm"


def wrong_lines(payload: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(line number from 1, gold, what happened) of each out-of-scope line answered and each in-scope line
    abstained, under the calibration :func:`replay_file` chooses."""
    got = replay_file(payload)
    found = []
    for number, line in enumerate(payload["lines"], 1):
        top, abstained, route = decide(line, got["thresholds"], got["margins"], _default())
        if line["gold"] == OUT_OF_SCOPE and not abstained:
            found.append((number, line["gold"], f"answered {top} ({'quick' if line['quick_sure'] else 'full'})"))
        elif line["gold"] != OUT_OF_SCOPE and abstained:
            found.append((number, line["gold"], f"abstained ({route}{_voter(line, route)})"))
    return found


def _default() -> float:
    from assist.lookup.assistant import DEFAULT_THRESHOLD

    return DEFAULT_THRESHOLD


def replay(folder: Path, errors: bool, factor: float = 1.0, lead: dict[str, float] | None = None,
           show_dev: bool = False, gap: dict[str, float] | None = None) -> None:
    """Each dump's figures under the current calibration (the head's out-of-scope vote multiplied by
    ``factor``, :func:`revoted`), and the sums of out-of-scope F1, top-1 and in-scope abstentions over
    the left-out files, all of them and each half (:func:`half`; the dev set, a ``--whole`` file, apart).
    ``show_dev`` prints the development half's wrong lines with their text (never the confirmation half's)."""
    sums: dict[str, list[float]] = {"all": [0.0, 0, 0, 0], "dev": [0.0, 0, 0, 0], "confirm": [0.0, 0, 0, 0]}
    for path in sorted(folder.glob("*.json")):
        payload = with_gap(sure_of_lead(revoted(json.loads(path.read_text(encoding="utf-8")), factor), lead), gap)
        got = replay_file(payload, errors)
        part = half(payload["name"])
        inside = sum(line["gold"] != OUT_OF_SCOPE for line in payload["lines"])
        if part != "whole":
            for key in ("all", part):
                sums[key][0] += got["oos_f1"]
                sums[key][1] += round(got["top1"] * inside)
                sums[key][2] += got["abstained_in_scope"]
                sums[key][3] += 1
        quick_share = sum(line["quick_sure"] for line in payload["lines"]) / max(len(payload["lines"]), 1)
        print(f"| {got['name']}{' (whole library)' if part == 'whole' else f' ({part})'} | {got['top1']:.3f} | "
              f"quick {quick_share:.3f} | {got['abstained_in_scope']} | {got['oos_precision']:.3f} / "
              f"{got['oos_recall']:.3f} / {got['oos_f1']:.3f} | {got['thresholds']} {got['margins']} | as dumped: "
              f"{payload['figures']['oos_f1']:.3f} |")
        for route, count in sorted(got["routes"].items()):
            print(f"  {route}: {count}")
        if show_dev and part == "dev":
            texts = read_texts(SHIPPED_EXAMPLES / payload["name"])
            for number, gold, what in wrong_lines(payload):
                print(f"    {number}: {gold} {what}: {texts[number - 1]}")
    for key, (f1, right, abstained, files) in sums.items():
        label = {"all": "left-out files", "dev": "development half", "confirm": "confirmation half"}[key]
        print(f"{label} ({files:.0f}), out-of-scope F1 summed: {f1:.3f}; top-1 {right:.0f}; "
              f"in scope abstained {abstained:.0f}")


def read_texts(path: Path) -> list[str]:
    return [json.loads(raw)["text"] for raw in path.read_text(encoding="utf-8").splitlines() if raw.strip()]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dumping = sub.add_parser("dump", help="build each fold and dump its lines and points")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("names", nargs="*")
    dumping.add_argument("--whole", type=Path, action="append", default=[])
    dumping.add_argument("--seed-index", type=Path, default=None, help="a current index to take example vectors "
                         "from (default: the shipped library's own index folder)")
    dumping.add_argument("--seed-library", type=Path, default=None, help="the library --seed-index was built "
                         "from (default: the shipped library), e.g. a checkout before a change to the examples")
    replaying = sub.add_parser("replay", help="figures of the dumps under the current calibration")
    replaying.add_argument("out", type=Path)
    replaying.add_argument("--errors", action="store_true", help="in-scope abstentions and out-of-scope "
                           "lines answered, by route and pass (counts)")
    replaying.add_argument("--vote", type=float, default=1.0, help="multiply the head's out-of-scope vote as "
                           "dumped by this factor (a dump made by this version)")
    replaying.add_argument("--show-dev", action="store_true", help="print the development half's (even-numbered "
                           "files') out-of-scope lines answered and in-scope lines abstained, with their text")
    replaying.add_argument("--sure-lead", default=None, help="the quick pass also sure of a line whose "
                           "out-of-scope class leads the best scenario by this much (0.05, or zh=0,en=0.06)")
    replaying.add_argument("--sure-gap", default=None, help="the quick pass hands on a line whose first "
                           "scenario leads the out-of-scope class by less than this (0.2, or zh=0.2,en=0.25)")
    gapping = sub.add_parser("gap-curve", help="the cascade's F1 on the library's own points per gap the "
                             "quick pass asks between its best scenario and the out-of-scope class")
    gapping.add_argument("out", type=Path)
    gapping.add_argument("--gaps", default="0,0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.5")
    curving = sub.add_parser("vote-curve", help="the calibration's best F1 on the library's own points per "
                             "factor of the head's out-of-scope vote")
    curving.add_argument("out", type=Path)
    curving.add_argument("--factors", default="1,0.8,0.6,0.4,0.3,0.2,0.1,0")
    sure = sub.add_parser("sure-curve", help="the cascade's F1 on the library's own points per lead of the "
                          "out-of-scope class the quick pass may be sure of")
    sure.add_argument("out", type=Path)
    sure.add_argument("--leads", default="0,0.02,0.04,0.06,0.08,0.1,0.12,0.15,0.2,0.25,0.3")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.names, args.whole, args.seed_index, args.seed_library)
    elif args.command == "sure-curve":
        sure_curve(args.out, [float(v) for v in args.leads.split(",")])
    elif args.command == "gap-curve":
        gap_curve(args.out, [float(v) for v in args.gaps.split(",")])
    elif args.command == "vote-curve":
        vote_curve(args.out, [float(f) for f in args.factors.split(",")])
    else:
        replay(args.out, args.errors, args.vote, parse_leads(args.sure_lead), args.show_dev,
               parse_leads(args.sure_gap))
