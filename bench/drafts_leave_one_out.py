"""Honest figures for labelled drafts that train the semantic signal: each set scored by a signal
trained without it (leave one set out), beside a signal trained on the YAML exemplars alone.

Usage: ``python bench/drafts_leave_one_out.py [NAME ...]`` (file names in the shipped
``rules/drafts/``, e.g. ``drafts_v12.jsonl``; default: every file). Prints one row per set:
violations found and clean drafts flagged by the rules with each signal. Each set's signal is
trained once (1.5 to 4 minutes on a 2-core machine) and then kept in the user cache.
"""

from __future__ import annotations

import dataclasses
import sys

from assist.compliance.checks import read_labelled_drafts, score_drafts
from assist.compliance.rule_files import draft_files, load_rule_pack
from assist.compliance.rules import RulePack
from assist.encoders.base import STATIC_MODEL
from assist.encoders.registry import get_encoder
from assist.library.loader import SHIPPED_LIBRARY


def without(pack: RulePack, keep: object) -> RulePack:
    return dataclasses.replace(pack, exemplars=tuple(e for e in pack.exemplars if keep(e)))


def figures(pack: RulePack, name: str) -> tuple[int, int, int, int]:
    path = SHIPPED_LIBRARY / "rules" / "drafts" / name
    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    report = score_drafts(pack, read_labelled_drafts(path), name, semantic=signal)
    return report.detected_pairs, report.labelled_pairs, report.flagged_clean, report.clean_drafts


def main(names: list[str]) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    names = names or [p.name for p in draft_files(SHIPPED_LIBRARY)]
    exemplars_only = without(pack, lambda e: not e.source.endswith(".jsonl"))
    print("| set | found, exemplars only | found, other sets too | clean flagged, exemplars only | "
          "clean flagged, other sets too |")
    print("|---|---|---|---|---|")
    for name in names:
        alone = figures(exemplars_only, name)
        others = figures(without(pack, lambda e, name=name: not e.source.endswith("/" + name)), name)
        print(f"| {name} | {alone[0]}/{alone[1]} = {alone[0] / alone[1]:.3f} | "
              f"{others[0]}/{others[1]} = {others[0] / others[1]:.3f} | {alone[2]}/{alone[3]} | "
              f"{others[2]}/{others[3]} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
