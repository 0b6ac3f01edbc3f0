"""The rule engine at a git revision against the working tree's, on the same current rule pack.

    python bench/engine_parity.py --base 9046559 [--quick]

The engine at ``--base`` (``assist/compliance/{rules,lexicon,scope,prefilter,reading}.py``, those
that exist there, read with ``git show`` into a temporary package) and the working tree's both
run the current pack (the old one is built from the new one's ``to_json()``, so both judge the
same rules and lexicons) over the
evaluation texts: agent drafts (the dev set, the frozen held-out drafts v1-v5), customer
utterances (the dev set, utterances v1, pins v2 and v3, banking77's training texts), and drafts
of about 200 characters joined from them with assorted sentence and clause marks. For every text
and both audiences it compares ``hits`` (rule ids and whole violations: category, severity,
span, matched text, explanation), ``check``, ``pins``, ``check`` with the semantic signal on the
agent drafts, and ``explain`` of every rule on a sample. Exits 1 and names set, line and rule ids
(never the text) on the first differences. A speed change must pass this before it is committed.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "eval"
MODULES = ("rules", "lexicon", "scope", "prefilter", "reading")
"""The engine's modules, taken at the base revision where they exist there."""
AGENT_SETS = (SHARED / "drafts_dev.jsonl",
              *(REPO / f"scripts_library/rules/drafts/drafts_v{i}.jsonl" for i in range(1, 6)))
CUSTOMER_SETS = (SHARED / "utterances_dev.jsonl", REPO / "eval/heldout/utterances_v1.jsonl",
                 REPO / "eval/heldout/pins_v2.jsonl", REPO / "eval/heldout/pins_v3.jsonl")
BANKING77 = SHARED / "banking77" / "train.csv"
JOINS = ("。", "，", "\n", " ", ". ", ", ", "！", "? ", "；", "", "...", "：")


def old_engine(base: str, folder: Path) -> Any:
    """The ``rules`` module at ``base``, with its lexicon and scope modules beside it."""
    package = folder / "_engine_at_base"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    for name in MODULES:
        shown = subprocess.run(["git", "show", f"{base}:assist/compliance/{name}.py"], cwd=REPO,
                               capture_output=True, text=True)
        if shown.returncode != 0:
            continue  # not at that revision: nothing of the engine there imports it
        source = shown.stdout
        for other in MODULES:
            source = source.replace(f"from assist.compliance.{other} import", f"from _engine_at_base.{other} import")
        (package / f"{name}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module("_engine_at_base.rules")


def read_texts(path: Path) -> list[str]:
    if not path.exists():
        return []
    if path.suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as handle:
            return [row["text"] for row in csv.DictReader(handle)]
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def joined(texts: list[str], count: int, seed: int) -> list[str]:
    """``count`` texts of about 200 characters joined from ``texts`` with assorted marks."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = ""
        while len(text) < 200:
            text += rng.choice(texts) + rng.choice(JOINS)
        out.append(text[: rng.randint(150, 230)])
    return out


def hits_of(pack: Any, text: str, audience: str) -> list[tuple[str, Any]]:
    return [(rule.id, violation) for rule, violation in pack.hits(text, audience=audience)]


def pins_of(pack: Any, text: str) -> list[tuple[str, Any]]:
    return [(rule.id, violation) for rule, violation in pack.pins(text)]


def explained(pack: Any, rule_ids: Iterable[str], text: str) -> list[Any]:
    return [(e.rule_id, e.matched, e.pieces, e.cancelled_by) for r in rule_ids for e in pack.explain(r, text)]


def ident(item: Any) -> str:
    """The rule id of a hit, pin, explanation or violation."""
    return str(getattr(item, "rule_id", None) or item[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision of the engine to compare with")
    parser.add_argument("--quick", action="store_true", help="the first 2,000 banking77 texts only")
    args = parser.parse_args()
    from assist.compliance.rule_files import load_rule_pack
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder
    from assist.library.loader import SHIPPED_LIBRARY

    with tempfile.TemporaryDirectory(prefix="engine-parity-") as scratch:
        old_rules = old_engine(args.base, Path(scratch))
        new = load_rule_pack(SHIPPED_LIBRARY)
        old = old_rules.RulePack.from_json(new.to_json())
        signal = new.semantic_signal(get_encoder(STATIC_MODEL))
        agent = {p.name: read_texts(p) for p in AGENT_SETS}
        customer = {p.name: read_texts(p) for p in CUSTOMER_SETS}
        banking = read_texts(BANKING77)
        customer[BANKING77.name] = banking[:2000] if args.quick else banking
        everything = [t for texts in (*agent.values(), *customer.values()) for t in texts]
        agent["joined (agent)"] = joined([t for texts in agent.values() for t in texts], 600, 1)
        customer["joined (customer)"] = joined([t for n, texts in customer.items() for t in texts], 600, 2)
        customer["joined (all)"] = joined(everything, 600, 3)
        rule_ids = [rule.id for rule in new.rules]
        checks: list[tuple[str, Callable[[Any, str], Any], dict[str, list[str]]]] = [
            ("hits agent", lambda p, t: hits_of(p, t, "agent"), {**agent, **customer}),
            ("hits customer", lambda p, t: hits_of(p, t, "customer"), {**agent, **customer}),
            ("check agent", lambda p, t: p.check(t, audience="agent"), {**agent, **customer}),
            ("check customer", lambda p, t: p.check(t, audience="customer"), customer),
            ("pins", pins_of, {**agent, **customer}),
            ("check agent + semantic", lambda p, t: p.check(t, audience="agent", semantic=signal), agent),
            ("explain every rule", lambda p, t: explained(p, rule_ids, t),
             {name: texts[:150] for name, texts in {**agent, **customer}.items()}),
        ]
        failures, compared = 0, 0
        by_label: dict[str, int] = {}
        started = time.perf_counter()
        for label, run, sets in checks:
            for name, texts in sets.items():
                for line, text in enumerate(texts, 1):
                    compared += 1
                    before, after = run(old, text), run(new, text)
                    if before != after:
                        failures += 1
                        by_label[label] = by_label.get(label, 0) + 1
                        if failures <= 20:
                            ids = sorted({ident(x) for x in before} ^ {ident(x) for x in after})
                            print(f"DIFFERENT {label}: {name} line {line} (rule ids only in one: {ids})")
        print(f"{compared} comparisons on the current pack ({len(new.rules)} rules, {len(new.lexicons)} lexicons) "
              f"against the engine at {args.base}: {failures} different "
              f"({time.perf_counter() - started:.1f} s)")
        for label, count in by_label.items():
            print(f"  {label}: {count} different")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
