"""Per draft, what the draft veto decides: the rule categories hit, the draft's highest margin and the
semantic-only flags, for labelled-draft files (issue 19, nineteenth round: is a category's exemption
from the veto, e.g. ``unsafe_transfer_instruction``, worth its clean flags?).

Usage: ``python bench/veto_exemption_study.py OUT.json FILE [FILE ...]`` writes one record per
draft (file, line, labels, rule categories, top margin, semantic categories; no text), scored by
the full shipped signal (in-sample for the library's own draft sets: a direction, not an estimate);
``python bench/veto_exemption_study.py --read OUT.json CATEGORY`` prints, per file, clean drafts
flagged and the category's true flags found with the veto as shipped and with CATEGORY exempt.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from assist.compliance.rules import DRAFT_VETO_MARGIN


def score(out: str, files: list[str]) -> None:
    from assist.compliance.checks import read_labelled_drafts
    from assist.compliance.rule_files import load_rule_pack
    from assist.compliance.rules import is_advisory
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder
    from assist.library.loader import SHIPPED_LIBRARY

    pack = load_rule_pack(SHIPPED_LIBRARY)
    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    records = []
    for name in files:
        for draft in read_labelled_drafts(Path(name)):
            rules = sorted({v.category for v in pack.check(draft.text, audience="agent")})
            top = signal.top_margin(draft.text, DRAFT_VETO_MARGIN) if rules else None
            found = pack.check(draft.text, audience="agent", semantic=signal)
            semantic = sorted({v.category for v in found if v.rule_id.startswith("semantic.") and not is_advisory(v)})
            records.append({"file": Path(name).name, "line": draft.line, "labels": sorted(draft.categories),
                            "rules": rules, "top": top, "semantic": semantic})
        print(name, flush=True)
    Path(out).write_text(json.dumps(records), encoding="utf-8")


def flagged(record: dict, exempt: str | None) -> set[str]:
    rules = set(record["rules"])
    if rules and record["top"] < DRAFT_VETO_MARGIN:
        return rules & {exempt} if exempt else set()
    return rules | set(record["semantic"])


def read(out: str, category: str) -> None:
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for r in json.loads(Path(out).read_text(encoding="utf-8")):
        row = rows[r["file"]]
        for i, exempt in enumerate((None, category)):
            found = flagged(r, exempt)
            if not r["labels"]:
                row[i] += bool(found)
            elif category in r["labels"]:
                row[2 + i] += category in found
        row[4] += not r["labels"]
        row[5] += category in r["labels"]
    print(f"file | clean flagged, shipped -> {category} exempt | {category} found, shipped -> exempt")
    total = [0] * 6
    for name, row in sorted(rows.items()):
        total = [a + b for a, b in zip(total, row, strict=True)]
        print(f"{name} | {row[0]} -> {row[1]} of {row[4]} | {row[2]} -> {row[3]} of {row[5]}")
    print(f"all | {total[0]} -> {total[1]} of {total[4]} | {total[2]} -> {total[3]} of {total[5]}")


if __name__ == "__main__":
    if sys.argv[1] == "--read":
        read(sys.argv[2], sys.argv[3])
    else:
        score(sys.argv[1], sys.argv[2:])
