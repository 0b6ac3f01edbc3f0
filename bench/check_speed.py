"""Warm `assist check` latency on ~200-character drafts, the semantic signal included.

    python bench/check_speed.py [--drafts eval/heldout/drafts_v1.jsonl] [--runs 2000]

Loads the shipped rule pack and its semantic signal on the static quick-pass encoder once,
as a warm process does (`assist serve`, `assist shell`), builds drafts of about 200
characters by joining labelled drafts (wording from the file given; nothing is stored),
and times `RulePack.check(text, audience="agent", semantic=signal)` per draft. Prints
p50 / p99 in milliseconds, with and without the semantic signal, and the machine.
Outside CI: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from assist.compliance.rule_files import load_rule_pack
from assist.encoders.base import STATIC_MODEL
from assist.encoders.registry import get_encoder
from assist.library.loader import SHIPPED_LIBRARY


def drafts_of_about(texts: list[str], length: int) -> list[str]:
    out, current = [], ""
    for text in texts * 4:
        current += text
        if len(current) >= length:
            out.append(current[:length])
            current = ""
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=Path, default=Path("eval/heldout/drafts_v1.jsonl"))
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    lines = args.drafts.read_text(encoding="utf-8").splitlines()
    drafts = drafts_of_about([json.loads(line)["text"] for line in lines if line.strip()], 200)
    pack = load_rule_pack(SHIPPED_LIBRARY)
    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    figures = {}
    for label, semantic in (("rules + semantic", signal), ("rules only", None)):
        for text in drafts[:50]:
            pack.check(text, semantic=semantic)  # warm: caches, encoder token tables
        times = []
        for i in range(args.runs):
            text = drafts[i % len(drafts)]
            started = time.perf_counter()
            pack.check(text, audience="agent", semantic=semantic)
            times.append((time.perf_counter() - started) * 1000)
        figures[label] = (percentile(times, 0.5), percentile(times, 0.99))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; {len(drafts)} drafts of 200 characters, {args.runs} checks")
    for label, (p50, p99) in figures.items():
        print(f"{label:<18} p50 {p50:.2f} ms   p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
