"""Bootstrap a library from a bank's labelled historical utterances.

``assist import FILE --text-col text --label-col intent --out DIR`` writes one
examples-only script per label (``status: examples_only``: ranked like any
script, with no approved reply until a writer adds one), plus the library's
``scenarios.yaml``. Input is streamed; with ``--max-per-label N`` each label
keeps a seeded uniform sample of N lines (reservoir sampling), so memory is
bounded by labels × N. ``--holdout F`` sets aside a deterministic fraction of
lines (by a hash of the text) into a JSONL file for evaluation, never into the
library. Every example is PII-redacted before it is written.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from assist.errors import InputError
from assist.text.datafiles import Utterance
from assist.text.normalise import language_family
from assist.text.redact import redact

_NOT_ID = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class ImportSummary:
    labels: int
    examples: int
    held_out: int
    skipped: int
    out: Path


def label_id(label: str) -> str:
    """A readable scenario id from a label: ASCII labels slugged (``Card Lost`` → ``card_lost``),
    Chinese ones spelled in pinyin (挂失 → ``gua_shi``). Redacted first: a free-text label
    column must not carry a phone or card number into ids, file names or scenarios.yaml.
    The label itself is kept beside the id in scenarios.yaml, and evaluation maps it back
    (:func:`label_map`)."""
    shown = redact(label).strip()
    if not shown.isascii():
        from pypinyin import lazy_pinyin

        shown = " ".join(lazy_pinyin(shown, errors=lambda chars: chars))
    cleaned = _NOT_ID.sub("_", shown.lower()).strip("_")[:100]
    if not cleaned:
        digest = hashlib.sha256(label.encode("utf-8")).hexdigest()[:8]
        cleaned = f"label_{digest}"
    return cleaned if cleaned[0].isalnum() else f"s_{cleaned}"


def unique_id(label: str, taken: dict[str, str]) -> str:
    """:func:`label_id`, with ``_2``, ``_3``... when another label already has it (同音 labels)."""
    base = candidate = label_id(label)
    suffix = 2
    while candidate in taken and taken[candidate] != label:
        candidate = f"{base}_{suffix}"
        suffix += 1
    taken[candidate] = label
    return candidate


def label_map(library_root: Path) -> dict[str, str]:
    """Each scenario's ``label`` in ``scenarios.yaml`` → its id, so a file labelled with the
    bank's own names (挂失) is scored against the ids the import gave them."""
    path = library_root / "scenarios.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    items = data.get("scenarios") if isinstance(data, dict) else None
    mapping: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("label"), str):
            mapping[item["label"].strip()] = item["id"]
    return mapping


def is_held_out(text: str, fraction: float) -> bool:
    """Deterministic split: the same text always lands on the same side."""
    if fraction <= 0:
        return False
    digest = hashlib.sha256(text.strip().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


class _Reservoir:
    """A seeded uniform sample of at most ``size`` items from a stream."""

    def __init__(self, size: int | None, rng: random.Random) -> None:
        self.size = size
        self.items: list[str] = []
        self.seen = 0
        self.rng = rng

    def add(self, item: str) -> None:
        self.seen += 1
        if self.size is None or len(self.items) < self.size:
            self.items.append(item)
            return
        slot = self.rng.randrange(self.seen)
        if slot < self.size:
            self.items[slot] = item


def import_labelled(
    items: Iterable[Utterance],
    out: Path,
    *,
    max_per_label: int | None = None,
    holdout: float = 0.0,
    holdout_file: Path | None = None,
    seed: int = 0,
) -> ImportSummary:
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} exists and is not empty; choose a new --out folder")
    rng = random.Random(seed)
    samples: dict[str, _Reservoir] = {}
    languages: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    ids: dict[str, str] = {}
    taken: dict[str, str] = {}
    held_out = skipped = 0
    held_handle = open(holdout_file, "w", encoding="utf-8") if holdout_file else None  # noqa: SIM115
    try:
        for item in items:
            text = " ".join(item.text.split())
            if not text or not item.label:
                skipped += 1
                continue
            label = redact(item.label.strip())
            scenario = ids.get(label) or unique_id(label, taken)
            ids[label] = scenario
            names.setdefault(scenario, label)
            if is_held_out(text, holdout):
                held_out += 1
                if held_handle is not None:
                    record = {"text": redact(text), "scenario": scenario}
                    held_handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                continue
            samples.setdefault(scenario, _Reservoir(max_per_label, rng)).add(redact(text))
            languages.setdefault(scenario, Counter())[language_family(text)] += 1
    finally:
        if held_handle is not None:
            held_handle.close()
    if not samples:
        raise InputError("no labelled lines found; check --text-col and --label-col")
    write_library(out, samples, languages, names)
    examples = sum(len(r.items) for r in samples.values())
    return ImportSummary(len(samples), examples, held_out, skipped, out)


def write_library(
    out: Path, samples: dict[str, _Reservoir], languages: dict[str, Counter[str]], names: dict[str, str]
) -> None:
    scripts_dir = out / "scripts"
    scripts_dir.mkdir(parents=True, exist_ok=True)
    scenarios = [{"id": scenario, "kind": "imported", "label": names[scenario]} for scenario in sorted(samples)]
    dump(out / "scenarios.yaml", {"scenarios": scenarios})
    for scenario, reservoir in sorted(samples.items()):
        family = languages[scenario].most_common(1)[0][0]
        examples = list(dict.fromkeys(reservoir.items))
        script = {
            "id": f"{scenario}.imported",
            "scenario": scenario,
            "language": "zh-Hans" if family == "zh" else "en",
            "status": "examples_only",
            "examples": examples,
        }
        dump(scripts_dir / f"{scenario}.yaml", {"scripts": [script]})


def dump(path: Path, data: object) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
