"""The validated library and rule pack, cached by what they were validated from.

Reading and validating the library's YAML, checking the rule files and every
script against the block rules costs about a second on a 2-core machine: more
than a one-shot ``assist suggest`` can spend on every call. The outcome depends
only on the library's files, its rule files, the code that validates them and
the normalisation it uses, so it is kept as JSON beside the index
(``validated.json``) under a key that hashes all four. A load that finds the
same key rebuilds the typed objects from the JSON; anything else (no file,
another key, an unreadable file) validates from the YAML again, raising the
usual :class:`LibraryError`, and rewrites the file. ``assist validate`` and ``assist build`` always validate
from the YAML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import unicodedata
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from assist.atomic_write import write_json_atomic
from assist.compliance import checks as compliance
from assist.compliance.rules import Rule, RuleException, RulePack, load_rule_pack, rule_files
from assist.errors import LibraryError
from assist.library.loader import SUGGESTABLE, Library, hash_files, library_hash, load_library
from assist.types import Script, Violation

SNAPSHOT_FILE = "validated.json"
SNAPSHOT_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parents[1]
"""The ``assist`` package: every module of it, subpackages included, keys the snapshot."""


@dataclass(frozen=True)
class ValidatedLibrary:
    """A library, its rule pack, and the warn-level rule notes of each script."""

    library: Library
    rules: RulePack
    warnings: dict[str, tuple[Violation, ...]]


def validate_against_rules(library: Library, pack: RulePack) -> dict[str, tuple[Violation, ...]]:
    """Refuse scripts that break a block rule; return warn-level notes per script."""
    warnings: dict[str, tuple[Violation, ...]] = {}
    for script in library.scripts:
        found = compliance.script_violations(script, pack)
        blocked = compliance.blocking(found)
        if blocked and script.status in SUGGESTABLE:
            first = blocked[0]
            raise LibraryError(
                f"script '{script.id}' breaks block rule {first.rule_id} ({first.category}) "
                f"at 「{first.matched_text}」",
                file=script.source, line=script.line, field="id",
                fix=f"reword it, e.g. {first.suggestion}",
            )
        warnings[script.id] = tuple(v for v in found if v.severity == "warn")
    return warnings


def validate(root: Path) -> ValidatedLibrary:
    """Validate the library at ``root`` from its YAML files."""
    library = load_library(root)
    pack = load_rule_pack(library.root)
    return ValidatedLibrary(library, pack, validate_against_rules(library, pack))


def normalisation_versions() -> str:
    """What text normalisation depends on beyond assist's code: OpenCC's conversion
    tables and the Unicode database of NFKC and case folding. A rule that matches a
    script after one normalisation may not after another."""
    return f"opencc {metadata.version('opencc')}; unicode {unicodedata.unidata_version}\0"


def validation_key(root: Path) -> str | None:
    """A hash of every input to validation, or None when the files cannot be hashed
    (then the YAML path runs and reports the problem)."""
    try:
        digest = hashlib.sha256(f"format {SNAPSHOT_FORMAT}\0".encode())
        digest.update(normalisation_versions().encode())
        digest.update(hash_files(sorted(_PACKAGE.rglob("*.py")), _PACKAGE).encode())
        digest.update(library_hash(root).encode())
        digest.update(hash_files(rule_files(root), root).encode())
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def load_validated(root: Path, folder: Path) -> ValidatedLibrary:
    """The validated library at ``root``, from ``folder/validated.json`` when it is current."""
    key = validation_key(root)
    if key is not None:
        cached = read_snapshot(folder / SNAPSHOT_FILE, key, root)
        if cached is not None:
            return cached
    validated = validate(root)
    if key is not None:
        with contextlib.suppress(OSError):  # a read-only index folder: validate from YAML each time
            write_snapshot(folder / SNAPSHOT_FILE, key, validated)
    return validated


def write_snapshot(path: Path, key: str, validated: ValidatedLibrary) -> None:
    """Write the snapshot atomically (a temp file beside ``path``, renamed into place)."""
    library, pack = validated.library, validated.rules
    data = {
        "key": key,
        "scripts": [asdict(s) for s in library.scripts],
        "scenarios": list(library.scenarios),
        "library_hash": library.content_hash,
        "rules": [asdict(r) for r in pack.rules],
        "rules_hash": pack.content_hash,
        "warnings": {sid: [asdict(v) for v in found] for sid, found in validated.warnings.items() if found},
    }
    write_json_atomic(path, data, indent=None)  # read on every cold start: no indentation to parse


def read_snapshot(path: Path, key: str, root: Path) -> ValidatedLibrary | None:
    """The snapshot at ``path`` if it was written under ``key``, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        scripts = tuple(
            Script(**{**s, "examples": tuple(s["examples"]), "steps": tuple(s["steps"])}) for s in data["scripts"]
        )
        rules = tuple(
            Rule(**{
                **r,
                "pattern_sources": tuple(r["pattern_sources"]),
                "exceptions": tuple(RuleException(e["source"], e["scope"]) for e in r["exceptions"]),
            })
            for r in data["rules"]
        )
        warnings = {s.id: tuple(_violation(v) for v in data["warnings"].get(s.id, ())) for s in scripts}
        library = Library(root, scripts, tuple(data["scenarios"]), data["library_hash"])
        return ValidatedLibrary(library, RulePack(rules, data["rules_hash"]), warnings)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _violation(data: dict[str, Any]) -> Violation:
    return Violation(**{**data, "span": tuple(data["span"])})
