"""The leave-one-file-out false fraud banners (``bench/scam_loo.py``) by the rule and the parts that fired.

Runs :func:`bench.scam_loo.held_out` (the scam signal trained without each utterance file) and prints its
table, then every false banner counted by how it was pinned (``rules`` or ``completed``), the fraud rule
(or ``-`` for a pattern of parts alone), the kinds of part read (``scam.party``, ``scam.asks.money``, ...),
the row's kind and its language. Counts and line numbers only: customer text is never printed.

``--save FILE`` writes each file's false banners (line numbers within the file, the parts) and its scams left
unpinned (line numbers) as JSON, and ``--against FILE`` prints the line numbers that became or stopped being
false banners or missed scams since that run; ``--misses`` adds the table's missed scams by group and language.

Usage: ``python bench/pins_fp_loo.py [--save FILE] [--against FILE] [--misses] [names...]`` (about 15 minutes
on 2 cores).
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


def _part(rule_id: str) -> str:
    """A part's kind: its id's first three names (``scam.asks.money``), or the fraud rule's own id."""
    names = rule_id.split(".")
    return ".".join(names[:3]) if rule_id.startswith("scam.") else rule_id


def missed(found: dict[str, list[scam_loo.Row]], bars: dict[str, dict[str, float]],
           veto: float) -> dict[str, list[int]]:
    """Each file's scams left unpinned, by line number."""
    return {name: [j for j, row in enumerate(rows)
                   if row.scam and scam_loo.pinned(row, bars[name], veto) not in ("rules", "completed")]
            for name, rows in found.items()}


def false_banners(found: dict[str, list[scam_loo.Row]], bars: dict[str, dict[str, float]],
                  veto: float) -> dict[str, list[dict[str, object]]]:
    """Each file's false banners: the line's number, how it was pinned, kind, language, parts read."""
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup import pins

    pack = load_rule_pack(SHIPPED_LIBRARY)
    has_parts = pins.has_parts(pack)
    out: dict[str, list[dict[str, object]]] = {}
    for name, rows in found.items():
        lines = [json.loads(line) for line in (SHIPPED_LIBRARY / "examples" / name).read_text("utf-8").splitlines()
                 if line.strip()]
        texts = [str(r["text"]) for r in lines if "scam" in r]
        banners = []
        for j, (row, text) in enumerate(zip(rows, texts, strict=True)):
            way = scam_loo.pinned(row, bars[name], veto)
            if row.scam or way not in ("rules", "completed"):
                continue
            hits = pack.hits(text, audience="customer")
            pattern = pins.fraud_pattern(hits, has_parts) if way == "rules" else [
                h for h in hits if h[0].id.startswith(pins.PARTIAL)]
            rule = next((h[0].id for h in pattern or () if h[0].pin == pins.FRAUD), "-")
            parts = sorted({_part(h[0].id) for h in pattern or () if h[0].pin != pins.FRAUD})
            banners.append({"line": j, "way": way, "rule": rule, "parts": parts, "kind": row.kind, "lang": row.lang})
        out[name] = banners
    return out


def main(argv: Sequence[str]) -> None:
    from assist.lookup import scam_signal

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="utterance files (default: all)")
    parser.add_argument("--save", type=Path, help="write the false banners (line numbers, parts) as JSON")
    parser.add_argument("--against", type=Path, help="a saved run: print the banners gained and lost since")
    parser.add_argument("--misses", action="store_true", help="add each file's missed scams by group (counts)")
    args = parser.parse_args(argv)
    found, bars = scam_loo.held_out(args.names)
    scam_loo.table(found, bars, scam_signal.VETO, args.misses)
    banners = false_banners(found, bars, scam_signal.VETO)
    print("\nfalse banners by way, rule, parts, kind, language:")
    signature = Counter((b["way"], b["rule"], " + ".join(b["parts"]), b["kind"], b["lang"])  # type: ignore[arg-type]
                        for found_banners in banners.values() for b in found_banners)
    for (way, rule, parts, kind, lang), n in signature.most_common():
        print(f"  {n} x {way} | {rule} | {parts} | {kind} | {lang}")
    by_lang = Counter(str(b["lang"]) for found_banners in banners.values() for b in found_banners)
    print("by language: " + ", ".join(f"{lang} {n}" for lang, n in sorted(by_lang.items())))
    unpinned = missed(found, bars, scam_signal.VETO)
    by_lang = Counter(row.lang for name, rows in found.items() for j, row in enumerate(rows) if j in unpinned[name])
    print("scams missed by language: " + ", ".join(f"{lang} {n}" for lang, n in sorted(by_lang.items())))
    if args.save:
        saved = {"false": banners, "missed": unpinned}
        args.save.write_text(json.dumps(saved, indent=1, ensure_ascii=False) + "\n", "utf-8")
    if args.against:
        before = json.loads(args.against.read_text("utf-8"))
        for name in sorted(banners):
            was = {b["line"] for b in before["false"].get(name, [])}
            now = {b["line"] for b in banners[name]}
            if was != now:
                print(f"{name}: false banners gone {sorted(was - now)}, new {sorted(now - was)}")
            was_missed, now_missed = set(before["missed"].get(name, [])), set(unpinned[name])
            if was_missed != now_missed:
                print(f"{name}: scams now pinned {sorted(was_missed - now_missed)}, "
                      f"now missed {sorted(now_missed - was_missed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
