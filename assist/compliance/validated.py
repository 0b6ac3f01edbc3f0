"""The validated library and rule pack, cached by what they were validated from.

Reading and validating the library's YAML, checking the rule files and every
script against the block rules costs about a second on a 2-core machine: more
than a one-shot ``assist suggest`` can spend on every call. The outcome depends
only on the library's files, its rule files, the code that validates them and
the normalisation it uses, so it is kept as JSON beside the index
(``validated.json``) under a key that hashes all four.

Integrity (docs/integrity.md):

* every library and rule file is read once (:class:`FileSnapshot`); the key is
  computed from those bytes and, on a miss, the same bytes are parsed, so an edit
  saved during a load can never file one text under another text's key;
* the file is sealed (:func:`assist.atomic_write.write_sealed_json`): a flipped byte
  or a hand edit (a reply, a neutered fraud pattern) fails the checksum and the
  library is validated from the YAML again, never served from the damaged copy.

A load that finds the same key in an intact file rebuilds the typed objects
from the JSON; anything else validates from the YAML again, raising the usual
:class:`LibraryError`, and rewrites the file. ``assist validate`` and ``assist
build`` always validate from the YAML.

The rule pack alone (``assist check``, ``assist rules``, which read no script) is
kept the same way in the user cache (:func:`cached_rule_pack`): reading its YAML
and running every rule's own examples took about 2 s of a cold ``assist check``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assist.atomic_write import SealError, read_sealed_json, write_cache_entry, write_sealed_json
from assist.compliance import checks as compliance
from assist.compliance.rule_files import load_rule_pack, rule_inputs, rules_hash
from assist.compliance.rules import RulePack
from assist.compliance.semantic import cache_folder
from assist.errors import LibraryError
from assist.library.fingerprint import code_hash, normalisation_versions
from assist.library.loader import (
    SHIPPED_LIBRARY,
    SUGGESTABLE,
    FileSnapshot,
    FileStat,
    Library,
    hash_files,
    library_files,
    library_hash,
    load_library,
    reading_once,
)
from assist.library.out_of_scope import out_of_scope_files
from assist.types import Script, Violation

SNAPSHOT_FILE = "validated.json"
SNAPSHOT_FORMAT = 2
"""2: sealed (checksummed) and keyed on the bytes parsed."""


@dataclass(frozen=True)
class ValidatedLibrary:
    """A library, its rule pack, and the warn-level rule notes of each script."""

    library: Library
    rules: RulePack
    warnings: dict[str, tuple[Violation, ...]]
    files: tuple[FileStat, ...] = field(default=(), compare=False)
    """The stats of the files it was read from, taken before they were read."""
    out_of_scope_hash: str = field(default="", compare=False)
    """The hash of the out-of-scope files in force when it was loaded (:func:`out_of_scope_hash`)."""

    def watch(self) -> LibraryWatch:
        """A :class:`LibraryWatch` of the files this was loaded from."""
        expected = (self.library.content_hash, self.rules.content_hash, self.out_of_scope_hash)
        return LibraryWatch(self.library.root, expected, self.files)


def validate_against_rules(library: Library, pack: RulePack) -> dict[str, tuple[Violation, ...]]:
    """Refuse scripts that break a block rule anywhere they are served (each field, the joined
    reply, the card with its steps, their traditional conversions: :func:`compliance.served_texts`);
    return warn-level notes per script."""
    warnings: dict[str, tuple[Violation, ...]] = {}
    for script in library.scripts:
        found = compliance.script_field_violations(script, pack)
        blocked = [(where, v) for where, v in found if v.severity == "block"]
        if blocked and script.status in SUGGESTABLE:
            where, first = blocked[0]
            shown = {"reply": "its reply as read out (empathy + solution_preview)",
                     "card": "its card (reply and steps)"}.get(where.split(" ")[0], where)
            raise LibraryError(
                f"script '{script.id}' breaks block rule {first.rule_id} ({first.category}) "
                f"at 「{first.matched_text}」 in {shown}{where[len(where.split(' ')[0]):]}",
                file=script.source, line=script.line, field="id",
                fix=f"reword it, e.g. {first.suggestion}",
            )
        warnings[script.id] = tuple(v for _, v in found if v.severity == "warn")
    return warnings


def validate(root: Path) -> ValidatedLibrary:
    """Validate the library at ``root`` from its YAML files, each read once."""
    root = Path(root)
    with reading_once() as files:
        library = load_library(root)
        pack = load_rule_pack(library.root)
    return ValidatedLibrary(library, pack, validate_against_rules(library, pack), files.stats)


def validation_key(root: Path) -> str:
    """A hash of every input to validation: the library's and the rules' files, the code, the
    normalisation. Inside :func:`reading_once`, of the very bytes the load then parses."""
    digest = hashlib.sha256(f"format {SNAPSHOT_FORMAT}\0".encode())
    digest.update(normalisation_versions().encode())
    digest.update(code_hash().encode())
    digest.update(library_hash(root).encode())
    digest.update(b"\0")
    digest.update(rules_hash(root).encode())
    return digest.hexdigest()


@contextmanager
def keyed_reading(key_of: Callable[[Path], str], root: Path) -> Iterator[tuple[str, FileSnapshot, set[Path]]]:
    """A :func:`reading_once` block, with ``key_of(root)`` computed first ("" when a file vanished
    while listed: the YAML path then reports what is wrong) and the files it read: on a miss, the
    block parses the very bytes the key hashed."""
    code_hash()  # outside the block: only library and rule files are then read inside it
    with reading_once() as files:
        try:
            key = key_of(root)
        except OSError:
            key = ""
        yield key, files, files.read_paths()


def load_validated(root: Path, folder: Path, log: Any = None) -> ValidatedLibrary:
    """The validated library at ``root``, from ``folder/validated.json`` when it is current and intact.

    One :func:`reading_once` block covers the key and the parse, so the key hashes the bytes
    that were parsed. When the files parsed are not exactly the files hashed (one was added
    or removed during the load), the result is served but not saved.

    ``log`` (a callable taking a message) hears when the snapshot cannot be written (a
    read-only index folder: every start then validates from the YAML, about a second)."""
    root = Path(root)
    with keyed_reading(validation_key, root) as (key, files, hashed):
        cached = read_snapshot(folder / SNAPSHOT_FILE, key, root) if key else None
        found = cached if cached is not None else validate(root)
        try:
            beside = out_of_scope_hash(root)  # read in this block too, for the watch
        except OSError:
            beside = ""  # a file vanished: the watch reports the library changed
        validated = ValidatedLibrary(found.library, found.rules, found.warnings, files.stats, beside)
    if cached is not None or not key or files.parsed != hashed:
        return validated  # current already, or the files listed changed during the load: not filed
    try:
        write_snapshot(folder / SNAPSHOT_FILE, key, validated)
    except OSError as exc:
        if log is not None:
            log(f"assist: cannot save the validated library in {folder} ({exc.strerror or exc}); "
                "each start validates from the YAML. Pass --index with a writable folder to keep it.")
    return validated


PACK_FORMAT = 1
PACK_ENTRIES = 16
"""Packs kept in the user cache: one per library folder, the newest of them (a test's temporary
libraries come and go)."""


def pack_key(root: Path) -> str:
    """A hash of every input to :func:`load_rule_pack` for the library at ``root``: its rule
    files and labelled drafts and the shipped ones, the code, the normalisation, and the folder
    (a pack names its files relative to it). Inside :func:`reading_once`, of the bytes then parsed."""
    digest = hashlib.sha256(f"rule pack {PACK_FORMAT}\0{root.resolve()}\0".encode())
    digest.update(normalisation_versions().encode())
    digest.update(code_hash().encode())
    digest.update(rules_hash(root).encode())
    return digest.hexdigest()


def cached_rule_pack(root: Path, cache: Path | None = None) -> RulePack:
    """:func:`load_rule_pack` of ``root``, from ``cache`` (default: the user cache's ``rules/``)
    when a sealed pack was kept there under :func:`pack_key`; otherwise read from the YAML, which
    raises the usual :class:`LibraryError`, then kept. As :func:`load_validated`: the key hashes
    the very bytes parsed, a pack read while a file was added or removed is not kept, a damaged
    file is read from the YAML again, and a folder that cannot be written is only not used."""
    root = Path(root)
    with keyed_reading(pack_key, root) as (key, files, hashed):
        place = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
        path = (cache if cache is not None else cache_folder() / "rules") / f"{place}-{key[:32]}.json"
        cached = _read_pack(path, key) if key else None
        pack = cached if cached is not None else load_rule_pack(root)
    if cached is None and key and files.parsed <= hashed:
        _store_pack(path, key, pack)
    return pack


def _store_pack(path: Path, key: str, pack: RulePack) -> None:
    """File ``pack`` under ``key`` at ``path`` (:func:`write_cache_entry`). A cache that cannot be
    written only costs the next start the YAML."""
    with suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_cache_entry(path, {"key": key, "rules": pack.to_json()}, PACK_ENTRIES)


def _read_pack(path: Path, key: str) -> RulePack | None:
    try:
        data = read_sealed_json(path)
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return RulePack.from_json(data["rules"])
    except (OSError, SealError, ValueError, TypeError, KeyError, AttributeError):
        return None


def write_snapshot(path: Path, key: str, validated: ValidatedLibrary) -> None:
    """Write the snapshot atomically (a temp file beside ``path``, renamed into place)."""
    library, pack = validated.library, validated.rules
    data = {
        "key": key,
        "scripts": [asdict(s) for s in library.scripts],
        "scenarios": list(library.scenarios),
        "library_hash": library.content_hash,
        "rules": pack.to_json(),
        "rules_hash": pack.content_hash,
        "warnings": {sid: [asdict(v) for v in found] for sid, found in validated.warnings.items() if found},
    }
    write_sealed_json(path, data)  # read on every cold start: no indentation to parse


def read_snapshot(path: Path, key: str, root: Path) -> ValidatedLibrary | None:
    """The snapshot at ``path`` if it is intact and was written under ``key``, else None."""
    try:
        data = read_sealed_json(path)
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        scripts = tuple(
            Script(**{**s, "examples": tuple(s["examples"]), "steps": tuple(s["steps"])}) for s in data["scripts"]
        )
        warnings = {s.id: tuple(_violation(v) for v in data["warnings"].get(s.id, ())) for s in scripts}
        library = Library(root, scripts, tuple(data["scenarios"]), data["library_hash"])
        return ValidatedLibrary(library, RulePack.from_json(data["rules"]), warnings)
    except (OSError, SealError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _violation(data: dict[str, Any]) -> Violation:
    return Violation(**{**data, "span": tuple(data["span"])})


RACY_SECONDS = 2.0
"""A file modified this recently may change again within its timestamp's resolution, so
its stat is not trusted as "unchanged" (git's "racily clean" rule)."""


class LibraryWatch:
    """Whether the library's files on disk (scripts, ``scenarios.yaml``, rule files) still hold
    the bytes that were loaded.

    Cheap on the common path: when every file's size and modification time equal the
    stats recorded when its bytes were last found current, nothing is read. Otherwise
    the files are read and hashed once, and compared with the hashes of the load; a file
    only touched (same bytes) is then recorded as current again.
    """

    def __init__(self, root: Path, expected: tuple[str, str, str] | None = None,
                 stats: tuple[FileStat, ...] = ()) -> None:
        """``expected``: the (library, rules, out-of-scope) hashes of the files as loaded; None
        takes them now."""
        self.root = Path(root)
        if expected is None:
            expected, stats = _hashes_now(self.root)
        self.expected = expected
        self._clean: tuple[FileStat, ...] | None = _settled(stats)

    def changed(self) -> bool:
        if self._clean is not None and _stats(_watched_files(self.root)) == self._clean:
            return False
        try:
            current, stats = _hashes_now(self.root)
        except (LibraryError, OSError):
            return True
        if current != self.expected:
            return True
        self._clean = _settled(stats)
        return False


def _hashes_now(root: Path) -> tuple[tuple[str, str, str], tuple[FileStat, ...]]:
    with reading_once() as files:
        hashes = (library_hash(root), rules_hash(root), out_of_scope_hash(root))
    return hashes, files.stats


def out_of_scope_hash(root: Path) -> str:
    """A hash of the out-of-scope files that join the library at ``root`` (:mod:`assist.library.out_of_scope`)."""
    base, files = out_of_scope_files(root)
    return hash_files(files, base)


def _settled(stats: tuple[FileStat, ...]) -> tuple[FileStat, ...] | None:
    """``stats`` when no file was modified in the last :data:`RACY_SECONDS`, else None."""
    now = time.time_ns()
    return stats if stats and all(now - s.mtime_ns > RACY_SECONDS * 1e9 for s in stats) else None


def _watched_files(root: Path) -> list[Path]:
    return [*library_files(root), *rule_inputs(root), *rule_inputs(SHIPPED_LIBRARY), *out_of_scope_files(root)[1]]


def _stats(paths: list[Path]) -> tuple[FileStat, ...] | None:
    try:
        found = {path.resolve(): path.stat() for path in paths}
    except OSError:
        return None
    return tuple(sorted((FileStat(str(p), st.st_size, st.st_mtime_ns) for p, st in found.items()),
                        key=lambda s: s.path))
