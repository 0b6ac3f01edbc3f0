"""Hostile-input benchmark for rule regexes (issue 18 §4): catastrophic patterns cannot stall.

    python bench/hostile_rules.py [--runs 200]

Writes a library in a temporary folder whose own rule file carries classic catastrophic
backtracking shapes as regex triggers, for the agent and for the customer (the ones a
lookup runs for pins). Every pattern is compiled by RE2, the only engine rules run on,
so matching is linear in the text. Times `check` (agent) and `pins` (customer, as every
lookup does) on hostile inputs of 30 and 2,000 characters, and prints p99 per length;
the requirement is p99 <= 50 ms. For contrast it times Python's backtracking `re` on the
first shape with a 24-character input only (each extra character doubles it).
Outside CI: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from assist.compliance.rule_files import load_rule_pack

SHAPES = [
    "(a+)+$",
    "(a|aa)+$",
    "(a|a?)+b",
    "(x+x+)+y",
    "(.*a){20}",
    "(\\\\w+\\\\s?)*!$",
    "([a-z]+)*[0-9]$",
    "(a*)*b",
]


def hostile_inputs(length: int) -> list[str]:
    return ["a" * (length - 1) + "!", "x" * length, ("a " * length)[:length - 1] + "?",
            ("ab" * length)[:length], "验证码" * (length // 3)]


def library_with_shapes(folder: Path) -> Path:
    rules = ["rules:"]
    for i, shape in enumerate(SHAPES):
        for audience, category in (("agent", "jargon"), ("customer", "fraud_signal")):
            rules += [
                f"  - id: hostile.{audience}.{i}",
                f"    category: {category}",
                "    severity: warn",
                f"    applies_to: {audience}",
                "    when:",
                f'      regex: "{shape}"',
                "    explanation: a catastrophic shape",
                "    reference: bench",
                "    suggestion: none",
            ]
    (folder / "rules").mkdir(parents=True)
    (folder / "rules" / "hostile.yaml").write_text("\n".join(rules) + "\n", encoding="utf-8")
    return folder


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pack = load_rule_pack(library_with_shapes(Path(tmp) / "lib"))
        print(f"{len(SHAPES)} catastrophic shapes x 2 audiences, loaded with the shipped pack "
              f"({len(pack.rules)} rules in force)")
        for length in (30, 2000):
            times = []
            for _ in range(args.runs):
                for text in hostile_inputs(length):
                    started = time.perf_counter()
                    pack.check(text, audience="agent")
                    pack.pins(text)
                    times.append((time.perf_counter() - started) * 1000)
            print(f"{length:>5} characters: check + pins p50 {percentile(times, 0.5):.2f} ms, "
                  f"p99 {percentile(times, 0.99):.2f} ms, max {max(times):.2f} ms ({len(times)} runs)")
    started = time.perf_counter()
    re.search(SHAPES[0], "a" * 24 + "!")
    print(f"for contrast, Python re on {SHAPES[0]!r} with 25 characters: "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
