"""Fraud pins leave one file out (``bench/scam_loo.py``), the joined utterance files split in two halves by file.

The development half (even-numbered ``utterances_v*.jsonl``) may be read: its scams left unpinned are printed by
group (the rules' NONE, PARTIAL under the bar, VETOED) and language, and with ``--texts`` each missed scam's text
and the pattern parts the rules read in it, English first. The confirmation half (odd-numbered files) gives
counts only (scams pinned, false banners), never a line: a change to the rules is kept only if it carries there.

Usage: ``python bench/scam_halves.py [--texts]`` from a checkout (about 2 minutes on 2 cores, 3 GB).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scam_loo

PINNED = ("rules", "completed")


def number(name: str) -> int:
    """The file's number: ``utterances_v12.jsonl`` -> 12."""
    return int(name[len(scam_loo.EXAMPLES):].split(".")[0])


def half(name: str) -> str:
    """``dev`` for an even-numbered file, ``confirm`` for an odd one."""
    return "dev" if number(name) % 2 == 0 else "confirm"


def counts(found: dict[str, list[scam_loo.Row]], bars: dict[str, dict[str, float]], veto: float,
           names: Sequence[str]) -> Counter[str]:
    """Scams, scams pinned, non-scams and false banners over ``names``, English apart."""
    out = Counter[str]()
    for name in names:
        for row in found[name]:
            way = scam_loo.pinned(row, bars[name], veto)
            english = "en" if row.lang == "en" else "zh"
            if row.scam:
                out.update({"scams": 1, f"scams_{english}": 1})
                if way in PINNED:
                    out.update({"pinned": 1, f"pinned_{english}": 1})
            else:
                out["non"] += 1
                if way in PINNED:
                    out.update({"false": 1, f"false_{english}": 1})
    return out


def line(label: str, figures: Counter[str]) -> str:
    return (f"| {label} | {figures['pinned']}/{figures['scams']} | {figures['pinned_en']}/{figures['scams_en']} | "
            f"{figures['false']}/{figures['non']} | {figures['false_en']} |")


def texts_of(name: str) -> list[str]:
    from assist.library.loader import SHIPPED_LIBRARY

    rows = [json.loads(t) for t in (SHIPPED_LIBRARY / "examples" / name).read_text("utf-8").splitlines() if t.strip()]
    return [str(r["text"]) for r in rows if "scam" in r]


def show_misses(found: dict[str, list[scam_loo.Row]], bars: dict[str, dict[str, float]], veto: float,
                names: Sequence[str]) -> None:
    """The development half's missed scams (and false banners) with the parts the rules read, English first."""
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY

    pack = load_rule_pack(SHIPPED_LIBRARY)
    shown = []
    for name in names:
        for j, (row, text) in enumerate(zip(found[name], texts_of(name), strict=True)):
            way = scam_loo.pinned(row, bars[name], veto)
            if row.scam == (way in PINNED):
                continue
            parts = sorted({rule.id for rule, _ in pack.hits(text, audience="customer")})
            label = "MISSED" if row.scam else f"FALSE:{row.kind}"
            shown.append((row.lang != "en", label, name, j, row, text, parts))
    for _, label, name, j, row, text, parts in sorted(shown, key=lambda s: (s[0], s[1], s[2], s[3])):
        print(f"{label} {name}:{j} {row.lang} {row.group} {row.score:+.3f}/{bars[name][row.script]:.3f} {text}")
        print(f"    parts: {', '.join(parts) or '-'}")


def main(argv: Sequence[str]) -> None:
    from assist.lookup import scam_signal

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", action="store_true",
                        help="print the development half's missed scams and false banners with the parts read")
    args = parser.parse_args(argv)
    found, bars = scam_loo.held_out()
    veto = scam_signal.VETO
    dev = sorted((n for n in found if half(n) == "dev"), key=number)
    confirm = sorted((n for n in found if half(n) == "confirm"), key=number)
    print("| half | scams pinned | English | false banners | English false |")
    print("|---|---|---|---|---|")
    print(line(f"development ({len(dev)} files)", counts(found, bars, veto, dev)))
    print(line(f"confirmation ({len(confirm)} files)", counts(found, bars, veto, confirm)))
    missed = Counter((r.group if scam_loo.pinned(r, bars[n], veto) != "vetoed" else "VETOED", r.lang)
                     for n in dev for r in found[n] if r.scam and scam_loo.pinned(r, bars[n], veto) not in PINNED)
    listed = ", ".join(f"{g}/{lang} x{c}" for (g, lang), c in missed.most_common())
    print(f"\ndevelopment missed (group, lang): {listed}")
    if args.texts:
        show_misses(found, bars, veto, dev)


if __name__ == "__main__":
    main(sys.argv[1:])
