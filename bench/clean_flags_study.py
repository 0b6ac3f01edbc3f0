"""Which rules and which semantic flags fire on clean drafts (issue 19, nineteenth round).

Usage: ``python bench/clean_flags_study.py [--signal] FILE [FILE ...]``. For each labelled-draft
file, prints the clean drafts flagged (rules alone, or rules + the shipped semantic signal with
``--signal``), then per rule id how many clean drafts it flags and how many second-category false
flags it raises on violating drafts. With ``--lines`` it also prints the line numbers of the clean
drafts flagged (no texts: the files may hold personal-data shaped text).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from assist.compliance.checks import read_labelled_drafts
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import is_advisory
from assist.library.loader import SHIPPED_LIBRARY


def main(argv: list[str]) -> None:
    use_signal = "--signal" in argv
    lines = "--lines" in argv
    files = [Path(a) for a in argv if not a.startswith("--")]
    pack = load_rule_pack(SHIPPED_LIBRARY)
    signal = None
    if use_signal:
        from assist.encoders.base import STATIC_MODEL
        from assist.encoders.registry import get_encoder
        signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    on_clean: Counter[str] = Counter()
    second: Counter[str] = Counter()
    total_clean = flagged_clean = 0
    for path in files:
        drafts = read_labelled_drafts(path)
        clean = [d for d in drafts if not d.categories]
        hit_lines = []
        for draft in drafts:
            found = [v for v in pack.check(draft.text, audience="agent", semantic=signal) if not is_advisory(v)]
            wrong = {v.rule_id for v in found if v.category not in draft.categories}
            if not draft.categories and found:
                hit_lines.append(draft.line)
                on_clean.update(wrong)
            elif draft.categories:
                second.update(wrong)
        total_clean += len(clean)
        flagged_clean += len(hit_lines)
        print(f"{path.name}: clean flagged {len(hit_lines)}/{len(clean)}"
              + (f" lines {hit_lines}" if lines else ""), flush=True)
    print(f"all: clean flagged {flagged_clean}/{total_clean}")
    print("rule id | clean drafts flagged | second-category flags on violating drafts")
    for rule in sorted(set(on_clean) | set(second), key=lambda r: (-on_clean[r], -second[r], r)):
        print(f"{rule} | {on_clean[rule]} | {second[rule]}")


if __name__ == "__main__":
    main(sys.argv[1:])
