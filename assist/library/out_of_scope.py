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

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from assist.errors import LibraryError
from assist.library.examples import LabelledLine, join_examples
from assist.library.loader import (
    SHIPPED_LIBRARY,
    Library,
    example_files,
    file_bytes,
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


def with_out_of_scope(library: Library) -> Library:
    """``library`` with its out-of-scope scripts added and its content hash covering them
    (so an index built without them, or with other ones, is stale). Idempotent."""
    if any(is_out_of_scope(s) for s in library.scripts):
        return library
    base, files = out_of_scope_files(library.root)
    if not files:
        return library
    ids = {s.id for s in library.scripts}
    added: list[Script] = []
    digest = hashlib.sha256(library.content_hash.encode())
    with reading_once():  # each file parsed and hashed from the same bytes
        _add_files(files, base, ids, added, digest)
        lines = _lines(library, base, digest)
    added = list(join_examples(added, lines))
    return replace(library, scripts=library.scripts + tuple(added), content_hash=digest.hexdigest())


def _lines(library: Library, base: Path, digest: Any) -> list[LabelledLine]:
    """The ``out_of_scope`` lines of the library's ``examples/`` (its content hash covers them) and,
    when the set comes from another library (the shipped one), that library's (hashed here)."""
    lines = labelled_lines(library.root, library.scenarios, only=OUT_OF_SCOPE)
    if base.resolve() != library.root.resolve():
        lines += labelled_lines(base, (), only=OUT_OF_SCOPE)
        for path in example_files(base):
            digest.update(f"{FOLDER}/../examples/{path.name}".encode() + b"\0" + file_bytes(path) + b"\0")
    return lines


def _add_files(files: list[Path], base: Path, ids: set[str], added: list[Script], digest: Any) -> None:
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
        digest.update(f"{FOLDER}/{path.name}".encode() + b"\0" + file_bytes(path) + b"\0")
