"""The out-of-scope set: what customers bring to a bank's line that the bank does not run.

Other institutions' products (mobile wallets, shops, telecoms, ride-hailing, couriers,
brokers and insurers, other banks, public services) and chit-chat, in zh-Hans, zh-Hant
and English, each with a redirect reply that says whose service it is and what the bank
can check on its own side. The scripts live in ``out_of_scope/*.yaml`` beside
``scripts/`` and name the reserved scenario ``out_of_scope``; retrieval and the head
rank them as one more class, and a lookup whose best class is ``out_of_scope``
answers with the redirect and counts as an abstention (:mod:`assist.lookup.reply`).

Every library gets the shipped set unless it has an ``out_of_scope/`` folder of its
own: its files replace the shipped ones, and an empty folder switches the set off. The ``out_of_scope``
lines of the library's ``examples/*.jsonl`` join the set's examples (:mod:`assist.library.examples`),
and so do the shipped library's when the shipped set applies; with the set switched off none joins.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import asdict, replace
from pathlib import Path

from assist.atomic_write import SealError, read_sealed_json, write_cache_entry
from assist.errors import LibraryError
from assist.library.examples import LabelledLine, join_examples
from assist.library.fingerprint import code_hash, normalisation_versions
from assist.library.loader import (
    SHIPPED_LIBRARY,
    Library,
    example_files,
    file_bytes,
    hash_files,
    labelled_lines,
    read_script_file,
    reading_once,
)
from assist.types import Script

OUT_OF_SCOPE = "out_of_scope"
FOLDER = "out_of_scope"


def out_of_scope_files(root: Path) -> tuple[Path, list[Path]]:
    """The library whose out-of-scope files apply (``root`` when it has its own folder, else
    the shipped library) and those files."""
    base = root if (root / FOLDER).is_dir() else SHIPPED_LIBRARY
    folder = base / FOLDER
    if not folder.is_dir():
        return base, []
    return base, sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def is_out_of_scope(script: Script) -> bool:
    return script.scenario == OUT_OF_SCOPE


def with_out_of_scope(library: Library, *, cache: Path | None = None) -> Library:
    """``library`` with its out-of-scope scripts added and its content hash covering them
    (so an index built without them, or with other ones, is stale). Idempotent.

    Parsing the set's YAML and picking its lines out of every ``examples/*.jsonl`` costs about
    0.15 CPU-s on each start, so the joined scripts are kept in ``cache`` (default
    :func:`cache_folder`) under a key that hashes every input they are made from (:func:`_key`);
    a missing, stale or damaged entry is parsed again and rewritten, never trusted."""
    if any(is_out_of_scope(s) for s in library.scripts):
        return library
    base, files = out_of_scope_files(library.root)
    if not files:
        return library
    with reading_once():  # each file hashed and, on a miss, parsed from the same bytes
        content_hash = _set_hash(library, base, files)
        key = _key(library, base, content_hash)
        folder = cache if cache is not None else cache_folder()
        entry = folder / f"{_place(library, base)}-{key}.json"
        added = _cached(entry, key, library)
        if added is None:
            ids = {s.id for s in library.scripts}
            parsed: list[Script] = []
            _add_files(files, base, ids, parsed)
            added = join_examples(parsed, _lines(library, base))
            _store(entry, key, added)
    return replace(library, scripts=library.scripts + tuple(added), content_hash=content_hash)


def _set_hash(library: Library, base: Path, files: list[Path]) -> str:
    """The library's content hash with the set's files and, when the set comes from another
    library (the shipped one), that library's examples: what an index built with them is keyed on."""
    digest = hashlib.sha256(library.content_hash.encode())
    for path in files:
        digest.update(f"{FOLDER}/{path.name}".encode() + b"\0" + file_bytes(path) + b"\0")
    if _elsewhere(library, base):
        for path in example_files(base):
            digest.update(f"{FOLDER}/../examples/{path.name}".encode() + b"\0" + file_bytes(path) + b"\0")
    return digest.hexdigest()


def _elsewhere(library: Library, base: Path) -> bool:
    return base.resolve() != library.root.resolve()


def _lines(library: Library, base: Path) -> list[LabelledLine]:
    """The ``out_of_scope`` lines of the library's ``examples/`` and, when the set comes from
    another library (the shipped one), that library's."""
    lines = labelled_lines(library.root, library.scenarios, only=OUT_OF_SCOPE)
    if _elsewhere(library, base):
        lines += labelled_lines(base, (), only=OUT_OF_SCOPE)
    return lines


CACHE_FORMAT = 1
"""Bump when the cached entry's layout changes."""
CACHE_SUBFOLDER = "out_of_scope"
CACHE_ENTRIES = 16
"""Entries the cache folder keeps at most (the newest; one per library folder)."""


def cache_folder() -> Path:
    """Where parsed out-of-scope sets are kept: ``out_of_scope/`` in ``$ASSIST_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/assist``, else ``~/.cache/assist`` (as the semantic signal's cache)."""
    configured = os.environ.get("ASSIST_CACHE_DIR")
    if configured:
        return Path(configured).expanduser() / CACHE_SUBFOLDER
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "assist" / CACHE_SUBFOLDER


def _key(library: Library, base: Path, content_hash: str) -> str:
    """A hash of every input of the joined set: the set's hash (:func:`_set_hash`: the library's
    content hash, the set's files, the other library's examples), this library's own example files
    (hashed here too, whatever its content hash was made from), the scenarios the lines are checked
    against, where both libraries lie (the scripts' ``source``), the code that parses them and the
    normalisation it uses. Inside :func:`reading_once`, of the bytes a miss then parses."""
    digest = hashlib.sha256(f"out-of-scope cache {CACHE_FORMAT}\0{content_hash}\0".encode())
    digest.update(hash_files(example_files(library.root), library.root).encode())
    digest.update("\0".join(library.scenarios).encode() + b"\0")
    digest.update(f"{library.root.resolve()}\0{base.resolve()}\0".encode())
    digest.update(code_hash().encode())
    digest.update(normalisation_versions().encode())
    return digest.hexdigest()


def _place(library: Library, base: Path) -> str:
    """A short hash of where the library and the set lie: each place keeps one entry, the
    latest (:func:`_store`), so edits to the code or the files do not pile entries up."""
    return hashlib.sha256(f"{library.root.resolve()}\0{base.resolve()}".encode()).hexdigest()[:16]


def _cached(entry: Path, key: str, library: Library) -> tuple[Script, ...] | None:
    """The entry filed under ``key`` if it is intact and its ids are still free in ``library``
    (else None: the set is parsed again, which reports a clash as the parse always did)."""
    try:
        data = read_sealed_json(entry)
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        scripts = tuple(
            Script(**{**s, "examples": tuple(s["examples"]), "steps": tuple(s["steps"])}) for s in data["scripts"]
        )
    except (OSError, SealError, ValueError, TypeError, KeyError, AttributeError):
        return None
    ids = {s.id for s in library.scripts}
    if any(s.id in ids or not is_out_of_scope(s) for s in scripts) or len({s.id for s in scripts}) != len(scripts):
        return None
    return scripts


def _store(entry: Path, key: str, scripts: tuple[Script, ...]) -> None:
    """File ``scripts`` under ``key`` at ``entry`` and drop the place's older entries (a process
    reading one as it goes finds it gone and parses). A folder that cannot be written only costs
    the next start the parse."""
    with contextlib.suppress(OSError):
        write_cache_entry(entry, {"key": key, "scripts": [asdict(s) for s in scripts]}, CACHE_ENTRIES)


def _add_files(files: list[Path], base: Path, ids: set[str], added: list[Script]) -> None:
    for path in files:
        for script in read_script_file(path, base, None, reserved_ok=True):
            if not is_out_of_scope(script):
                raise LibraryError(
                    f"script '{script.id}' names scenario '{script.scenario}' in the out-of-scope set",
                    file=script.source, line=script.line, field="scenario",
                    fix=f"use 'scenario: {OUT_OF_SCOPE}' here, or move the script to scripts/",
                )
            if script.id in ids:
                raise LibraryError(f"duplicate id '{script.id}'", file=script.source, line=script.line,
                                   field="id", fix="give each script a unique id")
            ids.add(script.id)
            added.append(script)
