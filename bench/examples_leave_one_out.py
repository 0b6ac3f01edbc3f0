"""Honest figures for utterance files joined to the library: each file evaluated by an assistant
whose library and index were built without that file's examples (leave one file out).

Why: every measured utterance file joins the library (``examples/*.jsonl``,
:mod:`assist.library.examples`), so evaluating on it afterwards finds its own lines in the index
and reads optimistic. Leaving it out measures what a change does on wording the library has not
seen, the figure that carries to the next unseen set.

Usage: ``python bench/examples_leave_one_out.py [--errors] [NAME ...]`` (file names in the shipped
``examples/``, e.g. ``utterances_v17.jsonl``; default: every file). Prints one row per file: top-1,
top-3, in-scope lines abstained, out-of-scope precision/recall/F1 and the quick pass's share;
``--errors`` adds the file's confusions by scenario pair, its top-1 misses by kind (the files'
``kind`` field) and by language (each out of its in-scope lines) and by who put the wrong scenario
first (a pin, the quick pass alone, or the full pass), in-scope abstentions by language and
kind, and out-of-scope lines answered (counts only: customer text is never printed);
``--by-length`` adds the same row for the file's lines of each length band (:data:`LENGTH_BANDS`)
and, after the files, the bands summed over them.

The shipped library is never changed: it is copied into a temporary folder without the file and
indexed there. Example vectors are memoised by text across files (:class:`MemoEncoder`), seeded
from the shipped index when it is current, so each file costs the lookups and the per-language
calibration rather than embedding some 30,000 examples again. Run it under the helpers' build lock
(``flock ... python bench/examples_leave_one_out.py``): a stale semantic signal would train.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from assist.batch.evaluate import EvaluationReport, run_outcomes
from assist.encoders.base import Encoder
from assist.library.examples import OUT_OF_SCOPE
from assist.library.loader import SHIPPED_LIBRARY, example_files
from assist.lookup.assistant import DEFAULT_THRESHOLD, Assistant, load_ranker
from assist.text.datafiles import Utterance


class MemoEncoder:
    """``inner`` with its vectors remembered by text: a text embedded once (or seeded) is not
    embedded again. Rows are the ones ``inner`` returns, so indexes and lookups read the same."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.known: dict[str, np.ndarray] = {}

    def seed(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Remember ``vectors`` (copied: an index's vectors are a view of memory its index frees)."""
        for text, vector in zip(texts, np.array(vectors, dtype=np.float32, copy=True), strict=True):
            self.known.setdefault(text, vector)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.known))
        if missing:
            self.seed(missing, self.inner.encode(missing))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(np.stack([self.known[t] for t in texts]), dtype=np.float32)


@dataclass(frozen=True)
class Line:
    """One labelled line of an utterance file: gold scenario, language and kind (free labels)."""

    text: str
    scenario: str
    lang: str
    kind: str


@dataclass
class Errors:
    """Where one file's lines went wrong, as counts."""

    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(gold, top-1) of in-scope lines ranked wrong."""
    abstained: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(language, kind/route) of in-scope lines abstained on; route ``threshold`` when the best
    score fell under the language's threshold, else ``redirect`` (the out-of-scope class near)."""
    answered: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(language, scenario answered/pass) of out-of-scope lines answered (pass: quick or full)."""
    bands: dict[str, EvaluationReport] = field(default_factory=dict)
    """The evaluation of the lines of each length band (:data:`LENGTH_BANDS`), by band name."""
    in_scope: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(kind, language) of the in-scope lines: what :attr:`missed` is out of."""
    missed: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(kind, language) of in-scope lines whose top-1 is not their scenario."""
    missed_by: Counter[str] = field(default_factory=Counter)
    """Who put the wrong scenario first on those lines: ``pin``, ``quick`` (the quick pass alone) or ``full``."""


@dataclass(frozen=True)
class Figures:
    name: str
    lines: int
    in_scope: int
    out_of_scope: int
    top1: float
    top3: float
    abstained_in_scope: int
    oos_precision: float
    oos_recall: float
    oos_f1: float
    quick_share: float

    def row(self) -> str:
        return (f"| {self.name} | {self.lines} ({self.in_scope}+{self.out_of_scope}) | {self.top1:.3f} | "
                f"{self.top3:.3f} | {self.abstained_in_scope} | {self.oos_precision:.3f} | "
                f"{self.oos_recall:.3f} | {self.oos_f1:.3f} | {self.quick_share:.2f} |")


HEADER = ("| file | lines (in + out of scope) | top-1 | top-3 | in scope abstained | OOS precision | "
          "OOS recall | OOS F1 | quick pass |\n|---|---|---|---|---|---|---|---|---|")


LENGTH_BANDS = ((40, "<=40 chars"), (80, "41-80 chars"), (None, ">80 chars"))
"""Length bands of ``--by-length``: a line falls in the first band whose bound (characters, inclusive)
it does not pass."""


def length_band(text: str) -> str:
    return next(name for bound, name in LENGTH_BANDS if bound is None or len(text) <= bound)


def figures_of(name: str, report: EvaluationReport) -> Figures:
    inside = report.labelled_in_scope
    return Figures(
        name, report.total, inside, report.labelled_out_of_scope,
        report.top1 / inside if inside else 0.0, report.top3 / inside if inside else 0.0,
        report.abstention.false_positive, report.abstention.precision, report.abstention.recall,
        report.abstention.f1, report.quick / report.total if report.total else 0.0,
    )


def read_lines(path: Path) -> list[Line]:
    rows = (json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines() if raw.strip())
    return [Line(r["text"], r["scenario"], str(r.get("lang", "")), str(r.get("kind", ""))) for r in rows]


def library_without(root: Path, name: str, into: Path) -> Path:
    """A copy of the library at ``root`` in ``into`` whose ``examples/`` lacks ``name``."""
    if not (root / "examples" / name).is_file():
        raise SystemExit(f"{name} is not an utterance file of {root / 'examples'}")
    copy = into / "library"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("index", "__pycache__"))
    (copy / "examples" / name).unlink()
    return copy


def load_assistant(root: Path, folder: Path, full: Encoder, quick: Encoder | None,
                   log: Callable[[str], None], calibrated: bool = True) -> Assistant:
    """:meth:`Assistant.load` with given encoders, the quick pass included when ``quick`` is given
    (the load itself drops it for any encoder it is handed), calibrated per language on the build
    unless ``calibrated`` is False (the caller calibrates, :func:`measure_shares`)."""
    from assist.compliance.validated import load_validated
    from assist.library.out_of_scope import with_out_of_scope
    from assist.lookup.calibrate import language_thresholds
    from assist.lookup.cascade import quick_index_dir

    validated = load_validated(root, folder, log)
    lib = with_out_of_scope(validated.library)
    ranker = load_ranker(lib, full, folder, "examples_leave_one_out", True, log)
    quick_ranker = None if quick is None else load_ranker(lib, quick, quick_index_dir(folder),
                                                          "examples_leave_one_out", True, log)
    thresholds, margins = language_thresholds(lib, ranker, folder, DEFAULT_THRESHOLD, log) if calibrated else ({}, {})
    return Assistant(lib, ranker, validated.rules, DEFAULT_THRESHOLD, folder, validated.warnings, None,
                     quick_ranker, thresholds, margins)


def measure(assistant: Assistant, name: str, lines: Sequence[Line]) -> tuple[Figures, Errors]:
    """The evaluation's figures for ``lines`` and where they went wrong."""
    report = EvaluationReport(threshold=assistant.threshold, known=frozenset(assistant.library.scenarios))
    errors = Errors()
    items = [Utterance(line.text, line.scenario, number) for number, line in enumerate(lines, 1)]
    for line, outcome in zip(lines, run_outcomes(assistant, items), strict=True):
        report.add(outcome)
        band = length_band(line.text)
        errors.bands.setdefault(band, EvaluationReport(threshold=report.threshold, known=report.known)).add(outcome)
        if line.scenario == OUT_OF_SCOPE:
            if not outcome.abstained:
                errors.answered[(line.lang, f"{outcome.answered}/{'quick' if outcome.quick else 'full'}")] += 1
            continue
        errors.in_scope[(line.kind, line.lang)] += 1
        if outcome.predicted != line.scenario:
            errors.confusions[(line.scenario, outcome.predicted or "-")] += 1
            errors.missed[(line.kind, line.lang)] += 1
            errors.missed_by["pin" if outcome.pinned else "quick" if outcome.quick else "full"] += 1
        if outcome.abstained:
            route = "threshold" if outcome.score < assistant.threshold_for(line.text) else "redirect"
            errors.abstained[(line.lang, f"{line.kind}/{route}")] += 1
    return figures_of(name, report), errors


Shares = Sequence[float | None] | None
"""Out-of-scope shares to calibrate abstention with, each measured on the same build
(:data:`assist.lookup.calibrate.OUT_OF_SCOPE_SHARE`; None in it: points as they come); None:
the calibration the lookup makes."""


def measure_shares(assistant: Assistant, name: str, lines: Sequence[Line],
                   shares: Shares) -> list[tuple[Figures, Errors]]:
    """:func:`measure` once with the assistant's own calibration, or once for each of ``shares``
    (one cross-validation of the build, abstention chosen again for each share)."""
    if shares is None:
        return [measure(assistant, name, lines)]
    from assist.lookup.calibrate import calibrate, cross_validate

    points = cross_validate(assistant.library, assistant.ranker)
    measured = []
    for share in shares:
        assistant.thresholds, assistant.margins, _ = calibrate(
            assistant.library, assistant.ranker, DEFAULT_THRESHOLD, share, points)
        label = f"{name} (share {share}: {assistant.thresholds} / {assistant.margins})"
        measured.append(measure(assistant, label, lines))
    return measured


def leave_one_out(root: Path, name: str, full: Encoder, quick: Encoder | None,
                  log: Callable[[str], None] = lambda message: None,
                  shares: Shares = None) -> list[tuple[Figures, Errors]]:
    """File ``name`` of ``root``'s ``examples/`` evaluated by an assistant built without it."""
    lines = read_lines(root / "examples" / name)
    with tempfile.TemporaryDirectory(prefix="assist-loo-") as tmp:
        copy = library_without(root, name, Path(tmp))
        assistant = load_assistant(copy, Path(tmp) / "index", full, quick, log, calibrated=shares is None)
        return measure_shares(assistant, name, lines, shares)


def whole(root: Path, path: Path, full: Encoder, quick: Encoder | None,
          log: Callable[[str], None] = lambda message: None,
          shares: Shares = None) -> list[tuple[Figures, Errors]]:
    """A labelled file outside the library (e.g. the dev set) evaluated by the whole library,
    indexed in a temporary folder: the figure ``assist evaluate`` gives after a fresh build."""
    with tempfile.TemporaryDirectory(prefix="assist-loo-") as tmp:
        assistant = load_assistant(root, Path(tmp) / "index", full, quick, log, calibrated=shares is None)
        return measure_shares(assistant, path.name, read_lines(path), shares)


def seeded(encoder: Encoder, folder: Path, root: Path) -> MemoEncoder:
    """``encoder`` memoised, seeded with the vectors of the index in ``folder`` when it is a
    current build of ``root`` for this encoder (else it embeds on first use)."""
    from assist.errors import AssistError
    from assist.indexing.store import example_rows, open_index
    from assist.library.loader import load_library
    from assist.library.out_of_scope import with_out_of_scope
    from assist.text.normalise import normalise

    memo = MemoEncoder(encoder)
    lib = with_out_of_scope(load_library(root))
    try:
        index = open_index(folder, lib, encoder, auto_build=False)
    except AssistError:
        return memo
    memo.seed([normalise(text) for _, text in example_rows(lib)], index.vectors)
    return memo


def new_band_report() -> EvaluationReport:
    return EvaluationReport(threshold=DEFAULT_THRESHOLD)


def print_errors(errors: Errors) -> None:
    def show(title: str, counts: Counter[tuple[str, str]]) -> None:
        print(f"  {title}: " + ", ".join(f"{a} -> {b} x{n}" for (a, b), n in counts.most_common()))

    show("confusions (gold -> top-1)", errors.confusions)
    for position, title in ((0, "kind"), (1, "language")):
        missed, lines = Counter[str](), Counter[str]()
        for key, n in errors.missed.items():
            missed[key[position]] += n
        for key, n in errors.in_scope.items():
            lines[key[position]] += n
        print(f"  top-1 missed by {title}: " + ", ".join(f"{k} {missed[k]}/{n}" for k, n in lines.most_common()))
    print("  top-1 missed, first put by: " + ", ".join(f"{k} x{n}" for k, n in errors.missed_by.most_common()))
    show("in scope abstained (lang -> kind)", errors.abstained)
    show("out of scope answered (lang -> answer)", errors.answered)


def main(argv: Sequence[str]) -> None:
    from assist.encoders.registry import get_encoder
    from assist.lookup.assistant import default_index_dir
    from assist.lookup.cascade import QUICK_MODEL, quick_index_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--errors", action="store_true", help="add each file's errors (counts only)")
    parser.add_argument("--by-length", action="store_true",
                        help="add each file's rows by length band, and the bands summed over the files")
    parser.add_argument("--whole", type=Path, action="append", default=[],
                        help="also evaluate this labelled file with the whole library (e.g. the dev set)")
    parser.add_argument("--shares", default=None,
                        help="compare abstention calibrated to these out-of-scope shares on one build, "
                             "comma-separated, 'none' for the points as they come (e.g. none,0.1)")
    parser.add_argument("--seed-index", type=Path, default=None,
                        help="a current index of the shipped library to take example vectors from "
                             "(default: its own index folder)")
    args = parser.parse_args(argv)
    root = SHIPPED_LIBRARY
    names = args.names or ([] if args.whole else [path.name for path in example_files(root)])
    folder = args.seed_index or default_index_dir(root)
    full = seeded(get_encoder(None), folder, root)
    quick = seeded(get_encoder(QUICK_MODEL), quick_index_dir(folder), root)
    shares = None if args.shares is None else [
        None if item.strip() == "none" else float(item) for item in args.shares.split(",")]
    print(HEADER, flush=True)
    runs = [partial(leave_one_out, root, name) for name in names]
    runs += [partial(whole, root, path) for path in args.whole]
    summed: dict[str, EvaluationReport] = {}
    for run in runs:
        for figures, errors in run(full, quick, lambda m: print(m, file=sys.stderr), shares):
            print(figures.row(), flush=True)
            if args.errors:
                print_errors(errors)
            if args.by_length:
                for _, band in LENGTH_BANDS:
                    if band in errors.bands:
                        print(figures_of(f"{figures.name}, {band}", errors.bands[band]).row(), flush=True)
                        summed.setdefault(band, new_band_report()).merge(errors.bands[band])
    for _, band in LENGTH_BANDS:
        if band in summed:
            print(figures_of(f"all files, {band}", summed[band]).row(), flush=True)
    if summed:
        every = new_band_report()
        for report in summed.values():
            every.merge(report)
        print(figures_of("all files", every).row(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
