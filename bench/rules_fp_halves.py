"""The rules' false flags on clean drafts, on two halves of the joined outside sets (issue 19, round 27).

Usage: ``python bench/rules_fp_halves.py [--signal] [--show-dev] [--rule RULE_ID]``.

The outside writers' sets joined into the library (``drafts_v22`` .. ``drafts_v48``) are split by file
into a *development half* (v22, v24, ..., v34, v37; v36 and v38 from the twenty-ninth round, v40 from
the thirtieth, v42 from the thirty-first, v45 from the thirty-second, v47 from the thirty-third), whose
flagged clean drafts may be read to find why a reading is wrong, and a *confirmation half* (v23, v25,
..., v35; v39 and v41 from the twenty-ninth round, v43 from the thirtieth, v44 from the thirty-first,
v46 from the thirty-second, v48 from the thirty-third), of which only counts are ever printed. For each
half it prints clean drafts flagged, detected (draft, category) pairs and, per rule id, how many clean
drafts that rule flags. ``--signal`` adds the shipped semantic signal (loads the encoder; may train).
``--show-dev`` also prints the development half's flagged clean drafts with the rule and the matched
span; the confirmation half's texts are never printed.
``--rule RULE_ID`` counts one rule alone: its clean flags, and the pairs of its category it detects.
"""

from __future__ import annotations

import sys
from collections import Counter

from assist.compliance.checks import LabelledDraft, read_labelled_drafts
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack, is_advisory
from assist.library.loader import SHIPPED_LIBRARY

DRAFTS = SHIPPED_LIBRARY / "rules" / "drafts"
DEVELOPMENT = ("v22", "v24", "v26", "v28", "v30", "v32", "v34", "v37", "v36", "v38", "v40", "v42", "v45", "v47")
CONFIRMATION = ("v23", "v25", "v27", "v29", "v31", "v33", "v35", "v39", "v41", "v43", "v44", "v46", "v48")


def half(names: tuple[str, ...]) -> list[tuple[str, LabelledDraft]]:
    return [(name, d) for name in names for d in read_labelled_drafts(DRAFTS / f"drafts_{name}.jsonl")]


def _category(pack: RulePack, rule_id: str) -> str:
    return next(rule.category for rule in pack.rules if rule.id == rule_id)


def main(argv: list[str]) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    signal = None
    if "--signal" in argv:
        from assist.encoders.base import STATIC_MODEL
        from assist.encoders.registry import get_encoder
        signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    show = "--show-dev" in argv
    only = argv[argv.index("--rule") + 1] if "--rule" in argv else None
    for label, names in (("development", DEVELOPMENT), ("confirmation", CONFIRMATION)):
        per_rule: Counter[str] = Counter()
        clean = flagged = pairs = detected = 0
        for name, draft in half(names):
            found = [v for v in pack.check(draft.text, audience="agent", semantic=signal) if not is_advisory(v)]
            if only is not None:
                found = [v for v in found if v.rule_id == only]
            categories = {v.category for v in found}
            wanted = draft.categories if only is None else draft.categories & {_category(pack, only)}
            pairs += len(wanted)
            detected += len(wanted & categories)
            if draft.categories:
                continue
            clean += 1
            if found:
                flagged += 1
                per_rule.update({v.rule_id for v in found})
                if show and label == "development":
                    for v in found:
                        print(f"  {name}:L{draft.line} {v.rule_id} 「{v.matched_text}」 {draft.text}")
        print(f"{label}: clean flagged {flagged}/{clean} = {flagged / max(clean, 1):.4f}; "
              f"detected pairs {detected}/{pairs}")
        print("  " + ", ".join(f"{r} {n}" for r, n in sorted(per_rule.items(), key=lambda x: (-x[1], x[0]))))


if __name__ == "__main__":
    main(sys.argv[1:])
