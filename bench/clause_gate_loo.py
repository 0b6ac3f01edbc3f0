"""Leave one file out with several clause-reading settings on each fold's one build.

    python bench/clause_gate_loo.py [--margins off,all,0.1,0.2] NAME ...

Each file of the shipped ``examples/`` named is left out and the library indexed once without it
(:func:`examples_leave_one_out.leave_one_out`'s build and calibration, which never read clauses);
then its lines are evaluated once per setting: ``off`` (long turns read whole only), ``all`` (every
long turn read clause by clause too, :data:`assist.lookup.rank.CLAUSE_SHARE`) and each margin (only
long turns whose whole reading's top two are closer than it, :func:`assist.lookup.rank.clause_turns`).
Prints each setting's row per file, then per setting the files summed, by length band, and the
clauses searched (both passes): the cost the gate saves. Counts only: customer text is never printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import examples_leave_one_out as loo

from assist.batch.evaluate import EvaluationReport
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import ranker as ranker_module
from assist.lookup.rank import CLAUSE_SHARE


class Counted:
    """:func:`assist.text.clauses.clauses` counting the clauses it returns."""

    def __init__(self) -> None:
        self.inner = ranker_module.clauses
        self.pieces = 0

    def __call__(self, text: str) -> list[str]:
        found = self.inner(text)
        self.pieces += len(found)
        return found


def setting(assistant: loo.Assistant, name: str) -> None:
    rankers = [assistant.ranker] + ([assistant.cascade.quick] if assistant.cascade is not None else [])
    for ranker in rankers:
        keep_top, _, gate = name.rpartition(":")
        ranker.clause_share = 0.0 if gate == "off" else CLAUSE_SHARE
        ranker.clause_margin = None if gate in ("off", "all") else float(gate)
        ranker.clause_keeps_top = keep_top == "top"


def main(argv: Sequence[str]) -> None:
    from assist.encoders.registry import get_encoder
    from assist.lookup.assistant import default_index_dir
    from assist.lookup.cascade import QUICK_MODEL, quick_index_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--margins", default="off,all,0.1,0.15,0.2,0.3")
    parser.add_argument("--whole", type=Path, action="append", default=[],
                        help="also evaluate this labelled file with the whole library (e.g. the dev set)")
    args = parser.parse_args(argv)
    settings = [item.strip() for item in args.margins.split(",")]
    root = SHIPPED_LIBRARY
    folder = default_index_dir(root)
    full = loo.seeded(get_encoder(None), folder, root)
    quick = loo.seeded(get_encoder(QUICK_MODEL), quick_index_dir(folder), root)
    counter = Counted()
    ranker_module.clauses = counter  # type: ignore[assignment]
    summed: dict[str, dict[str, EvaluationReport]] = {name: {} for name in settings}
    pieces = dict.fromkeys(settings, 0)
    print(loo.HEADER, flush=True)
    jobs = [(name, root / "examples" / name, True) for name in args.names]
    jobs += [(path.name, path, False) for path in args.whole]
    for name, path, left_out in jobs:
        lines = loo.read_lines(path)
        with tempfile.TemporaryDirectory(prefix="assist-loo-") as tmp:
            library = loo.library_without(root, name, Path(tmp)) if left_out else root
            assistant = loo.load_assistant(library, Path(tmp) / "index", full, quick,
                                           lambda m: print(m, file=sys.stderr))
            for choice in settings:
                setting(assistant, choice)
                before = counter.pieces
                figures, errors = loo.measure(assistant, f"{name} [{choice}]", lines)
                pieces[choice] += counter.pieces - before
                print(figures.row(), flush=True)
                if not left_out:
                    continue
                for _, band in loo.LENGTH_BANDS:
                    if band in errors.bands:
                        summed[choice].setdefault(band, loo.new_band_report()).merge(errors.bands[band])
    for choice in settings:
        every = loo.new_band_report()
        for _, band in loo.LENGTH_BANDS:
            if band in summed[choice]:
                print(loo.figures_of(f"all files [{choice}], {band}", summed[choice][band]).row())
                every.merge(summed[choice][band])
        print(loo.figures_of(f"all files [{choice}]", every).row() + f" clauses searched: {pieces[choice]}",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
