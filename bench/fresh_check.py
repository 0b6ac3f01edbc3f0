"""Whether new texts are fresh: no line of FILE (JSONL ``text`` or a YAML of string lists) sits
within a difflib ratio of 0.7 of any line of the project's evaluation sets and test files.

Usage: ``python bench/fresh_check.py FILE [FILE ...]``; prints counts only (texts are personal-data
shaped), exits 1 when a text is too close. The sets compared: ``../shared/eval/*.jsonl``,
``eval/heldout/*.jsonl`` (not ``next/``), ``tests/*.jsonl``, the quoted strings of ``tests/*.py``
and the BANKING77 training texts; a FILE is not compared with itself.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "eval"
LIMIT = 0.7
_QUOTED = re.compile(r"\"([^\"\n]{8,})\"|'([^'\n]{8,})'")


def strings(node: object) -> list[str]:
    """Every string in a YAML tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return []


def texts(path: Path) -> list[str]:
    if path.suffix == ".jsonl":
        return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if path.suffix == ".csv":
        with path.open(encoding="utf-8") as handle:
            return [row["text"] for row in csv.DictReader(handle)]
    if path.suffix == ".py":
        return [a or b for a, b in _QUOTED.findall(path.read_text(encoding="utf-8"))]
    return [s for s in strings(yaml.safe_load(path.read_text(encoding="utf-8"))) if len(s) >= 8]


def existing(skip: set[Path]) -> list[str]:
    paths = [*SHARED.glob("*.jsonl"), *(ROOT / "eval" / "heldout").glob("*.jsonl"), *(ROOT / "tests").glob("*.jsonl"),
             *(ROOT / "tests").glob("*.py"), SHARED / "banking77" / "train.csv"]
    return [t for p in sorted(paths) if p.resolve() not in skip and p.is_file() for t in texts(p)]


def too_close(new: list[str], old: list[str]) -> int:
    """How many of ``new`` sit within :data:`LIMIT` of at least one of ``old``."""
    close: set[int] = set()
    for other in old:
        matcher = difflib.SequenceMatcher(None, "", other)  # indexes ``other`` once
        for i, text in enumerate(new):
            matcher.set_seq1(text)
            if matcher.real_quick_ratio() >= LIMIT and matcher.quick_ratio() >= LIMIT and matcher.ratio() >= LIMIT:
                close.add(i)
    return len(close)


def main(argv: list[str]) -> int:
    files = [Path(a).resolve() for a in argv]
    old = existing(set(files))
    worst = 0
    for path in files:
        found = too_close(texts(path), old)
        print(json.dumps({"file": path.name, "texts": len(texts(path)), "compared_with": len(old), "too_close": found}))
        worst = max(worst, found)
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
