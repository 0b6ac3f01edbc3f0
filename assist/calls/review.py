"""``assist review``: approve or reject drafted examples; approval writes the library YAML.

The library file is edited with ruamel.yaml's round-trip mode (loading stays safe: the
round-trip loader builds plain mappings and sequences only), so comments, key order
and quoting survive and the change is a clean ``git diff`` of one added example line.
The drafts file's ``status`` is updated the same way.

A review never writes into the library inside the installed package: approved examples
belong in the bank's own library folder (``--library``), under version control.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

import assist
from assist.calls.propose import Draft, read_drafts
from assist.errors import InputError, LibraryError, NotFoundError
from assist.library.loader import load_library, script_files
from assist.text.normalise import normalise


def _yaml() -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def refuse_installed(library_root: Path) -> None:
    """An installed package's library is not the place for local edits."""
    root = library_root.resolve()
    package = Path(assist.__file__).resolve().parent
    parts = set(root.parts)
    if root.is_relative_to(package) or parts & {"site-packages", "dist-packages"}:
        raise InputError(
            f"refusing to write into the installed package's library ({root}): copy it to a folder of "
            "your own under version control and pass --library DIR")


def find_draft(drafts: list[Draft], wanted: str) -> Draft:
    for draft in drafts:
        if draft.id == wanted:
            return draft
    raise NotFoundError(f"no draft {wanted[:64]!r} in the drafts file; 'assist review DIR' lists them")


def _indent_of(text: str) -> tuple[int, int]:
    """(sequence indent, offset) as the file writes them, so a rewrite keeps its layout."""
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped.startswith("- ") and line != stripped:
            offset = len(line) - len(stripped)
            return offset + 2, offset
    return 2, 0


def add_example(library_root: Path, script_id: str, example: str) -> Path:
    """Append ``example`` to the script's ``examples`` in its YAML file; the file written."""
    refuse_installed(library_root)
    for path in script_files(library_root):
        text = path.read_text(encoding="utf-8")
        if script_id not in text:
            continue
        rt = _yaml()
        sequence, offset = _indent_of(text)
        rt.indent(mapping=2, sequence=sequence, offset=offset)
        try:
            data: Any = rt.load(text)
        except YAMLError:
            raise LibraryError("cannot parse the script file", file=str(path)) from None
        entries = data.get("scripts") if hasattr(data, "get") else None
        for entry in entries or []:
            if hasattr(entry, "get") and entry.get("id") == script_id:
                examples = entry.get("examples")
                if examples is None:
                    raise LibraryError(f"script {script_id} has no examples list", file=str(path),
                                       field="examples")
                if any(normalise(str(e)) == normalise(example) for e in examples):
                    return path
                examples.append(example)
                buffer = io.StringIO()
                rt.dump(data, buffer)
                temporary = path.with_suffix(path.suffix + ".tmp")
                temporary.write_text(buffer.getvalue(), encoding="utf-8")
                temporary.replace(path)
                return path
    raise NotFoundError(f"no script {script_id!r} in {library_root}; was it renamed since the draft was made?")


def set_status(drafts_file: Path, draft: str, status: str) -> None:
    rt = _yaml()
    data: Any = rt.load(drafts_file.read_text(encoding="utf-8"))
    for item in data["drafts"]:
        if item.get("id") == draft:
            item["status"] = status
    buffer = io.StringIO()
    rt.dump(data, buffer)
    temporary = drafts_file.with_suffix(".yaml.tmp")
    temporary.write_text(buffer.getvalue(), encoding="utf-8")
    temporary.replace(drafts_file)


def approve(drafts_file: Path, wanted: str, library_root: Path) -> Path:
    """Write the draft's example into the library and mark it approved; the library file written.

    The library is loaded afterwards to check the edit left it valid; if not, the file
    is restored and the error raised.
    """
    refuse_installed(library_root)
    draft = find_draft(read_drafts(drafts_file), wanted)
    if draft.status != "draft":
        raise InputError(f"draft {draft.id} is already {draft.status}")
    library = load_library(library_root)
    script = library.script(draft.script_id)
    if script is None or script.scenario != draft.scenario:
        raise NotFoundError(f"script {draft.script_id!r} of scenario {draft.scenario!r} is not in {library_root}")
    before = {p: p.read_bytes() for p in script_files(library_root)}
    written = add_example(library_root, draft.script_id, draft.example)
    try:
        load_library(library_root)
    except LibraryError:
        written.write_bytes(before[written])
        raise
    set_status(drafts_file, draft.id, "approved")
    return written


def reject(drafts_file: Path, wanted: str) -> None:
    draft = find_draft(read_drafts(drafts_file), wanted)
    if draft.status != "draft":
        raise InputError(f"draft {draft.id} is already {draft.status}")
    set_status(drafts_file, draft.id, "rejected")
