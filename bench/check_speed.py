"""Warm `assist check` and customer-pin latency, this engine against the one at a git revision.

    python bench/check_speed.py [--against 9046559] [--runs 3000]

Loads the shipped rule pack and its semantic signal on the static quick-pass encoder once, as
a warm process does (`assist serve`, `assist shell`). Times, per call, `RulePack.check(draft,
audience="agent", semantic=signal)` on drafts of 200 characters built from the library's own
replies and rule examples (assist/batch/bench_check.py, as `assist bench` does; no evaluation
set) and `customer_pins` on utterances perturbed from the library's examples (as `assist bench`
does). With --against, the engine at that revision (bench/engine_parity.py) runs the same pack
in the same process, its calls interleaved with this engine's, so both see the same machine;
compare them as ratios. Prints p50 / p99 in ms and the load average before and after.
Outside CI: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine_parity import old_engine  # bench/ is on the path of a script run from it

from assist.batch.bench import queries_from
from assist.batch.bench_check import drafts_from, percentile
from assist.compliance.rule_files import load_rule_pack
from assist.encoders.base import STATIC_MODEL
from assist.encoders.registry import get_encoder
from assist.library.loader import SHIPPED_LIBRARY, load_library
from assist.lookup.pins import customer_pins


def interleaved(calls: dict[str, Callable[[str], object]], texts: list[str]) -> dict[str, list[float]]:
    """ms per call of each of ``calls`` on each text after the first 50, one call after the other
    on the same text; every timed text is new to the process, as a caller's next one is."""
    for text in texts[:50]:
        for call in calls.values():
            call(text)
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for text in texts[50:]:
        for name, call in calls.items():
            started = time.perf_counter()
            call(text)
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="git revision of the engine to time beside this one")
    parser.add_argument("--runs", type=int, default=3000, help="timed calls of each kind, each on a new text")
    args = parser.parse_args()
    load_before = os.getloadavg()
    library = load_library()
    pack = load_rule_pack(SHIPPED_LIBRARY)
    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    packs: dict[str, Any] = {"this engine": pack}
    with tempfile.TemporaryDirectory(prefix="check-speed-") as scratch:
        if args.against:
            packs[f"engine at {args.against}"] = old_engine(args.against, Path(scratch)).RulePack.from_json(
                pack.to_json())
        drafts = drafts_from(library, pack, count=50 + args.runs)
        queries = queries_from(library, 50 + args.runs)
        known = {script.scenario for script in library.active_scripts}
        gc.collect()
        measured = {
            "check + semantic": interleaved(
                {name: (lambda t, p=p: p.check(t, audience="agent", semantic=signal)) for name, p in packs.items()},
                drafts),
            "check, rules only": interleaved(
                {name: (lambda t, p=p: p.check(t, audience="agent")) for name, p in packs.items()},
                drafts),
            "pins of a lookup": interleaved(
                {name: (lambda t, p=p: customer_pins(p, t, known)) for name, p in packs.items()},
                queries),
        }
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; {len(drafts)} drafts of 200 characters, "
          f"{len(queries)} utterances; the first 50 of each warm up, the rest are timed once each")
    print("load average before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *load_before, *os.getloadavg()))
    for label, timings in measured.items():
        for name, values in timings.items():
            print(f"{label:<18} {name:<22} p50 {percentile(values, 50):6.3f} ms   p99 {percentile(values, 99):6.3f} ms")


if __name__ == "__main__":
    main()
