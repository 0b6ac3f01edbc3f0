"""Load and validate a script library (``scripts/*.yaml``) into typed :class:`Script` s.

Errors name the file, the line, the field and the fix. Each file is parsed
once by PyYAML's pure-Python safe loader: the node tree is composed and
checked first (line numbers, alias bombs, depth), then the safe constructor
builds plain data from it, just as ``yaml.safe_load`` does. (libyaml's C
parser would be faster but overflows the C stack, a crash, on deeply nested
input; lookups reuse a validated snapshot instead, see :mod:`assist.compliance.validated`.)
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assist.errors import LibraryError
from assist.library.examples import OUT_OF_SCOPE, LabelledLine, join_examples, parse_lines, unique
from assist.limits import MAX_EXAMPLES, MAX_LIBRARY_FILE_BYTES, MAX_TEXT_FIELD_CHARS
from assist.types import Script

_PACKAGED_LIBRARY = Path(__file__).resolve().parents[1] / "_library"
"""The library inside an installed wheel (``scripts_library/`` mapped in as package data)."""
_CHECKOUT_LIBRARY = Path(__file__).resolve().parents[2] / "scripts_library"
SHIPPED_LIBRARY = _PACKAGED_LIBRARY if _PACKAGED_LIBRARY.is_dir() else _CHECKOUT_LIBRARY
CACHE_DIR_ENV = "ASSIST_CACHE_DIR"
INDEX_DIR_ENV = "ASSIST_INDEX_DIR"
"""The index folder for whichever library is loaded, as ``--index`` would say."""


def shipped_index_dir() -> Path:
    """Where the shipped library's index lives.

    In a source checkout, ``index/`` beside ``scripts_library/``. In an installed
    package, whose folder may be read-only and is shared by every user, the
    ``index`` folder of ``$ASSIST_CACHE_DIR`` or of the user's cache folder
    (platformdirs: ``~/.cache/assist`` on Linux). ``--index`` and ``$ASSIST_INDEX_DIR``
    override either (:func:`assist.lookup.assistant.default_index_dir`).
    """
    if SHIPPED_LIBRARY == _CHECKOUT_LIBRARY:
        return _CHECKOUT_LIBRARY.parent / "index"
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser() / "index"
    import platformdirs

    return platformdirs.user_cache_path("assist") / "index"

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
LANGUAGES = ("zh-Hans", "zh-Hant", "en")
SEGMENTS = ("elderly", "disabled", "foreign", "enterprise")
CHANNELS = ("phone", "chat", "email")
SEVERITIES = ("light", "severe")
STATUSES = ("approved", "examples_only", "draft")
"""approved: suggested; examples_only: ranked (e.g. a library imported from labelled
history) but with no approved reply yet; draft: loaded for review, never suggested."""
SUGGESTABLE = ("approved", "examples_only")
MAX_YAML_DEPTH = 32
"""Nesting levels allowed in a library YAML file (a script file needs five)."""
MAX_ALIAS_EXPANSION = 100_000
"""Values that anchors and aliases may add to a file once expanded."""
MAX_NUMBER_CHARS = 100
"""Longest unquoted number accepted; longer ones must be quoted as text."""
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
"""Lone surrogates (YAML "\\ud800" escapes) cannot be written as UTF-8: refused anywhere."""
RESERVED_SCENARIOS = ("out_of_scope",)

REQUIRED_FIELDS = ("id", "scenario", "language", "examples")
REPLY_FIELDS = ("empathy", "solution_preview")
"""Required of approved scripts; drafts and examples-only scripts may leave them empty."""
OPTIONAL_FIELDS = ("steps", "segment", "channel", "severity", "escalation", "status")
ALL_FIELDS = REQUIRED_FIELDS + REPLY_FIELDS + OPTIONAL_FIELDS
ENUMS: dict[str, tuple[str, ...]] = {
    "language": LANGUAGES,
    "segment": SEGMENTS,
    "channel": CHANNELS,
    "severity": SEVERITIES,
    "status": STATUSES,
}


@dataclass(frozen=True)
class Library:
    """A validated library: its scripts, its scenario ids and a content hash.

    The hash covers the script files and ``scenarios.yaml``, everything the
    index is built from; rule packs carry their own hash (:mod:`assist.compliance.rules`).
    """

    root: Path
    scripts: tuple[Script, ...]
    scenarios: tuple[str, ...]
    content_hash: str

    @property
    def active_scripts(self) -> tuple[Script, ...]:
        """Scripts that may be suggested (drafts are excluded)."""
        return tuple(s for s in self.scripts if s.status in SUGGESTABLE)

    def script(self, script_id: str) -> Script | None:
        return next((s for s in self.scripts if s.id == script_id), None)


@dataclass(frozen=True)
class FileStat:
    """What a cheap change check compares: a file's size and modification time (ns)."""

    path: str
    size: int
    mtime_ns: int


class FileSnapshot:
    """Files read at most once each: whatever is parsed and whatever is hashed are the same bytes.

    Reading a file to parse it and again to hash it let an edit saved in between stamp
    an index, or the validated snapshot, built from the old text with the new text's
    hash. Inside :func:`reading_once`, :func:`read_yaml` and :func:`hash_files` take
    every file's bytes from the active snapshot, which reads a file the first time it
    is asked for and returns those bytes ever after. Each file's stat is taken *before*
    its read, so a file changed after its read always shows a newer stat than the one
    recorded (see :class:`assist.compliance.validated.LibraryWatch`). ``parsed`` lists
    the files :func:`read_yaml` parsed.
    """

    def __init__(self) -> None:
        self._contents: dict[Path, bytes] = {}
        self._stats: dict[Path, FileStat] = {}
        self.parsed: set[Path] = set()
        self._lock = threading.Lock()

    def data(self, path: Path) -> bytes:
        """The bytes of ``path``: read now if this snapshot has not read it yet."""
        key = path.resolve()
        with self._lock:
            if key not in self._contents:
                before = key.stat()
                self._contents[key] = key.read_bytes()
                self._stats[key] = FileStat(str(key), before.st_size, before.st_mtime_ns)
            return self._contents[key]

    @property
    def stats(self) -> tuple[FileStat, ...]:
        with self._lock:
            return tuple(sorted(self._stats.values(), key=lambda s: s.path))

    def read_paths(self) -> set[Path]:
        """The (resolved) files read so far."""
        with self._lock:
            return set(self._contents)


_ACTIVE: ContextVar[FileSnapshot | None] = ContextVar("assist_file_snapshot", default=None)


@contextmanager
def reading_once() -> Iterator[FileSnapshot]:
    """A block in which every library, rule and code file is read at most once (the active
    :class:`FileSnapshot`, yielded). Nested blocks share the outer block's snapshot."""
    active = _ACTIVE.get()
    if active is not None:
        yield active
        return
    snapshot = FileSnapshot()
    token = _ACTIVE.set(snapshot)
    try:
        yield snapshot
    finally:
        _ACTIVE.reset(token)


def file_bytes(path: Path) -> bytes:
    """The bytes of ``path``: the active snapshot's inside :func:`reading_once`, else read now."""
    active = _ACTIVE.get()
    return active.data(path) if active is not None else path.read_bytes()


def _inside(path: Path, root: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise LibraryError(
            f"file lies outside the library folder (it links to {resolved})", file=str(path),
            fix="keep every script and rule file inside the library folder (no symlinks out)",
        )
    return resolved


def _read_limited(resolved: Path, label: str) -> bytes:
    try:
        size = resolved.stat().st_size
        raw = file_bytes(resolved) if size <= MAX_LIBRARY_FILE_BYTES else b""
    except OSError as exc:
        raise LibraryError(
            f"cannot be read ({exc.strerror or exc})", file=label,
            fix="check the file's permissions (assist only reads the library)",
        ) from None
    if size > MAX_LIBRARY_FILE_BYTES or len(raw) > MAX_LIBRARY_FILE_BYTES:
        size = max(size, len(raw))
        raise LibraryError(
            f"file is {size:,} bytes, over the {MAX_LIBRARY_FILE_BYTES:,}-byte limit",
            file=label, fix="split it into several files",
        )
    return raw


def read_text(path: Path, root: Path) -> str:
    """The text of one library file (within the size limit, UTF-8), marked as parsed: inside
    :func:`reading_once` the bytes are the active snapshot's, the ones its hash covers."""
    label = display_path(path, root)
    raw = _read_limited(_inside(path, root), label)
    active = _ACTIVE.get()
    if active is not None:
        active.parsed.add(path.resolve())
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LibraryError(
            f"not valid UTF-8 (byte {exc.start})", file=label,
            fix="save the file as UTF-8",
        ) from None


def read_yaml(path: Path, root: Path) -> tuple[Any, yaml.Node | None]:
    """Read one YAML file safely; return its data and its node tree for line lookups.

    Inside :func:`reading_once` the bytes are the active snapshot's."""
    label = display_path(path, root)
    text = read_text(path, root)
    try:
        node, data = _compose_and_construct(text, label)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise LibraryError(
            f"YAML syntax error: {problem}", file=label, line=line,
            fix="check indentation and quoting around that line",
        ) from None
    except RecursionError:
        raise LibraryError("YAML nests too deeply", file=label, fix="flatten the file") from None
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        # PyYAML's safe constructors raise these for values such as 2024-13-45, !!int abc
        # or !!bool maybe.
        raise LibraryError(
            f"a value cannot be read ({exc})", file=label,
            fix="quote values that are meant as text, e.g. '2024-13-45'",
        ) from None
    return data, node


def _compose_and_construct(text: str, label: str) -> tuple[yaml.Node | None, Any]:
    """One parse: the checked node tree, then the data the safe constructor builds from it."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        check_node_tree(node, label)
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def check_node_tree(root: yaml.Node | None, label: str) -> None:
    """Refuse, before any object is built, YAML whose shape would make loading or
    validation hang or recurse: alias bombs ("billion laughs"), an alias inside the
    node it names, nesting deeper than MAX_YAML_DEPTH and numbers longer than
    MAX_NUMBER_CHARS (PyYAML converts base-60 integers in quadratic time); and texts
    holding a lone surrogate, which no UTF-8 output (CLI, JSON, index) can hold.

    Iterative, and linear in the number of distinct nodes: aliases share nodes, so
    each node's expanded size and depth are computed once.
    """
    if root is None:
        return
    done: dict[int, tuple[int, int]] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    ceiling = MAX_ALIAS_EXPANSION * 10
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            entered.discard(key)
            sizes = [done[id(child)] for child in _children(node)]
            size = min(ceiling, 1 + sum(s for s, _ in sizes))
            depth = 1 + max((d for _, d in sizes), default=0)
            if depth > MAX_YAML_DEPTH:
                raise LibraryError(
                    f"YAML nests more than {MAX_YAML_DEPTH} levels deep", file=label,
                    line=line_of(node), fix="flatten the file",
                )
            done[key] = (size, depth)
            continue
        if key in done:
            continue
        if key in entered:
            raise LibraryError(
                "an alias refers to the node that contains it", file=label, line=line_of(node),
                fix="remove the recursive '*alias'",
            )
        if isinstance(node, yaml.ScalarNode) and _SURROGATE.search(node.value):
            raise LibraryError(
                "a text holds a lone surrogate (from a \\ud800-style escape), which cannot be shown or saved",
                file=label, line=line_of(node), fix="write the character itself instead of the \\u escape",
            )
        if (
            isinstance(node, yaml.ScalarNode)
            and node.tag in _NUMBER_TAGS
            and len(node.value) > MAX_NUMBER_CHARS
        ):
            raise LibraryError(
                f"a number of {len(node.value):,} characters is too long", file=label,
                line=line_of(node), fix="quote it if it is meant as text",
            )
        if isinstance(node, yaml.MappingNode):
            check_unique_keys(node, label)
        entered.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in done)
    expanded = done[id(root)][0]
    if expanded > len(done) + MAX_ALIAS_EXPANSION:
        raise LibraryError(
            f"anchors and aliases expand the file to over {len(done) + MAX_ALIAS_EXPANSION:,} "
            "values", file=label, line=line_of(root),
            fix="write the values out instead of nesting '*alias' references",
        )


def check_unique_keys(node: yaml.MappingNode, label: str) -> None:
    """YAML keeps the last of two equal keys silently (two ``empathy:`` lines); refuse them."""
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        if key_node.value in seen:
            raise LibraryError(
                "key appears twice in the same mapping", file=label, line=line_of(key_node),
                field=key_node.value, fix="keep one of the two entries",
            )
        seen.add(key_node.value)


def display_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve().parent))
    except ValueError:
        return str(path)


def mapping_child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node under ``key`` in a mapping node, if any."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    return None


def sequence_item(node: yaml.Node | None, index: int) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        return node.value[index]
    return None


def line_of(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def scenario_labels(library_root: Path) -> dict[str, dict[str, str]]:
    """Display names from ``scenarios.yaml`` (``zh``, ``en``, ``kind``), for the console and the call store.

    Labels are optional decoration: a library without them, or with a file the
    library loader accepts but that lacks these keys, simply shows scenario ids.
    """
    path = library_root / "scenarios.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError):
        return {}
    entries = data.get("scenarios") if isinstance(data, dict) else None
    labels: dict[str, dict[str, str]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            labels[entry["id"]] = {key: str(entry.get(key) or "") for key in ("kind", "zh", "en")}
    return labels


def load_scenarios(root: Path) -> tuple[str, ...] | None:
    """The library's scenario taxonomy (``scenarios.yaml``), or None when it has none."""
    path = root / "scenarios.yaml"
    if not path.is_file():
        return None
    return _read_scenarios(path, root)


def _read_scenarios(path: Path, root: Path) -> tuple[str, ...]:
    data, node = read_yaml(path, root)
    label = display_path(path, root)
    items = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise LibraryError(
            "expected a top-level 'scenarios:' list", file=label, line=line_of(node),
            fix="write 'scenarios:' followed by '- id: ...' items",
        )
    ids: list[str] = []
    items_node = mapping_child(node, "scenarios")
    for index, item in enumerate(items):
        scenario_id = item.get("id") if isinstance(item, dict) else item
        if not isinstance(scenario_id, str) or not ID_PATTERN.match(scenario_id):
            raise LibraryError(
                f"scenario #{index + 1} has no valid id", file=label,
                line=line_of(sequence_item(items_node, index)), field="id",
                fix="use lower-case letters, digits and underscores",
            )
        ids.append(scenario_id)
    return tuple(ids)


class _ScriptReader:
    """Validates the script entries of one file against the library's taxonomy."""

    def __init__(self, label: str, scenarios: tuple[str, ...] | None, reserved_ok: bool = False) -> None:
        self.label = label
        self.scenarios = scenarios
        self.reserved_ok = reserved_ok
        """Whether scripts may name a reserved scenario (the out-of-scope set, assist.library.out_of_scope)."""

    def error(self, message: str, node: yaml.Node | None, field: str | None, fix: str) -> LibraryError:
        return LibraryError(message, file=self.label, line=line_of(node), field=field, fix=fix)

    def text(self, entry: dict[str, Any], node: yaml.Node | None, key: str) -> str:
        value = entry.get(key)
        where = mapping_child(node, key) or node
        if not isinstance(value, str) or not value.strip():
            raise self.error("must be a non-empty text", where, key, f"give '{key}' a text value")
        if len(value) > MAX_TEXT_FIELD_CHARS:
            raise self.error(
                f"is {len(value)} characters, over the {MAX_TEXT_FIELD_CHARS} limit",
                where, key, "shorten it",
            )
        return value.strip()

    def optional_text(self, entry: dict[str, Any], node: yaml.Node | None, key: str) -> str:
        """A text field that may be absent or empty (then "")."""
        if entry.get(key) in (None, ""):
            return ""
        return self.text(entry, node, key)

    def text_list(self, entry: dict[str, Any], node: yaml.Node | None, key: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        list_node = mapping_child(node, key)
        if not isinstance(value, list):
            raise self.error("must be a list of texts", list_node or node, key, f"write '{key}:' then '- ...' lines")
        items: list[str] = []
        for index, item in enumerate(value):
            item_node = sequence_item(list_node, index)
            if not isinstance(item, str) or not item.strip():
                raise self.error(
                    f"item #{index + 1} must be a non-empty text", item_node, key,
                    "quote it or remove the empty item",
                )
            if len(item) > MAX_TEXT_FIELD_CHARS:
                raise self.error(f"item #{index + 1} is too long", item_node, key, "shorten it")
            items.append(item.strip())
        return tuple(items)

    def script(self, entry: Any, node: yaml.Node | None) -> Script:
        if not isinstance(entry, dict):
            raise self.error("each script must be a mapping of fields", node, None, "start it with '- id: ...'")
        unknown = sorted(str(k) for k in entry if k not in ALL_FIELDS)
        if unknown:
            key = unknown[0]
            raise self.error(
                f"unknown field (allowed: {', '.join(ALL_FIELDS)})",
                mapping_child(node, key) or node, key, "check its spelling or remove it",
            )
        status = entry.get("status", "approved")
        needed = REQUIRED_FIELDS + REPLY_FIELDS if status == "approved" else REQUIRED_FIELDS
        for key in needed:
            if key not in entry:
                raise self.error("is missing", node, key, f"add '{key}:' to this script")
        script_id = self.text(entry, node, "id")
        if not ID_PATTERN.match(script_id):
            raise self.error(
                f"'{script_id}' is not a valid id", mapping_child(node, "id"), "id",
                "use lower-case letters, digits, '.', '_' and '-'",
            )
        scenario = self.text(entry, node, "scenario")
        self.check_scenario(scenario, mapping_child(node, "scenario"))
        for key, allowed in ENUMS.items():
            if key in entry and entry[key] not in allowed:
                raise self.error(
                    f"'{entry[key]}' is not one of {', '.join(allowed)}",
                    mapping_child(node, key), key, "use one of the listed values",
                )
        examples = self.text_list(entry, node, "examples")
        if not examples:
            raise self.error("needs at least one example", mapping_child(node, "examples"), "examples",
                             "add customer utterances this script answers")
        seen: set[str] = set()
        for index, example in enumerate(examples):
            if example in seen:
                raise self.error(
                    f"example #{index + 1} repeats an earlier one",
                    sequence_item(mapping_child(node, "examples"), index), "examples", "remove the duplicate",
                )
            seen.add(example)
        reply_text = self.text if status == "approved" else self.optional_text
        return Script(
            id=script_id,
            scenario=scenario,
            language=str(entry["language"]),
            examples=examples,
            empathy=reply_text(entry, node, "empathy"),
            solution_preview=reply_text(entry, node, "solution_preview"),
            steps=self.text_list(entry, node, "steps"),
            segment=entry.get("segment"),
            channel=entry.get("channel"),
            severity=entry.get("severity"),
            escalation=self.optional_text(entry, node, "escalation") or None,
            status=str(entry.get("status", "approved")),
            source=self.label,
            line=line_of(node),
        )

    def check_scenario(self, scenario: str, node: yaml.Node | None) -> None:
        if scenario in RESERVED_SCENARIOS and not self.reserved_ok:
            raise self.error(f"'{scenario}' is reserved for evaluation labels", node, "scenario",
                             "name the customer situation this script answers")
        if self.scenarios is not None and scenario not in self.scenarios:
            raise self.error(
                f"unknown scenario '{scenario}'", node, "scenario",
                "use an id from scenarios.yaml or add the new scenario there",
            )
        if not ID_PATTERN.match(scenario):
            raise self.error(f"'{scenario}' is not a valid scenario id", node, "scenario",
                             "use lower-case letters, digits and underscores")


def read_script_file(
    path: Path, root: Path, scenarios: tuple[str, ...] | None, reserved_ok: bool = False
) -> list[Script]:
    data, node = read_yaml(path, root)
    reader = _ScriptReader(display_path(path, root), scenarios, reserved_ok)
    if data is None:
        return []
    if not isinstance(data, dict) or "scripts" not in data:
        raise reader.error("expected a top-level 'scripts:' list", node, None,
                           "start the file with 'scripts:' followed by '- id: ...' entries")
    extra = sorted(str(k) for k in data if k != "scripts")
    if extra:
        raise reader.error("unknown top-level key", mapping_child(node, extra[0]) or node, extra[0],
                           "only 'scripts:' is allowed at the top of a script file")
    entries = data["scripts"]
    entries_node = mapping_child(node, "scripts")
    if not isinstance(entries, list):
        raise reader.error("'scripts' must be a list", entries_node, "scripts", "write '- id: ...' entries")
    return [reader.script(entry, sequence_item(entries_node, i)) for i, entry in enumerate(entries)]


def script_files(root: Path) -> list[Path]:
    folder = root / "scripts"
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def example_files(root: Path) -> list[Path]:
    """The labelled utterances joining the scripts' examples (:mod:`assist.library.examples`)."""
    folder = root / "examples"
    return sorted(p for p in folder.rglob("*.jsonl") if p.is_file()) if folder.is_dir() else []


def library_files(root: Path) -> list[Path]:
    """What an index is built from: the script files, ``scenarios.yaml`` and ``examples/*.jsonl``."""
    extra = [root / "scenarios.yaml"] if (root / "scenarios.yaml").is_file() else []
    return [*script_files(root), *extra, *example_files(root)]


def library_hash(root: Path) -> str:
    """Hash of what an index is built from, read from the disk now."""
    return hash_files(library_files(root), root)


def _relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def hash_files(paths: Iterable[Path], root: Path) -> str:
    """SHA-256 over (path relative to ``root``, bytes) pairs in path order; inside
    :func:`reading_once`, of the bytes the active snapshot read (the ones parsed)."""
    digest = hashlib.sha256()
    for relative, path in sorted((_relative(p, root), p) for p in paths):
        digest.update(relative.encode())
        digest.update(b"\0")
        digest.update(file_bytes(path))
        digest.update(b"\0")
    return digest.hexdigest()


def load_library(root: Path | str | None = None) -> Library:
    """Read and validate every script file under ``root/scripts``.

    Each file is read once (:func:`reading_once`): the scripts and the content hash come
    from the same bytes and the same list of files. Raises :class:`LibraryError` on the
    first problem found, naming its place.
    """
    root = Path(root) if root is not None else SHIPPED_LIBRARY
    if not (root / "scripts").is_dir():
        raise LibraryError(
            "no 'scripts' folder", file=str(root),
            fix="point --library at a folder holding scripts/*.yaml (see docs/library-format.md)",
        )
    with reading_once():
        inputs = library_files(root)
        listed = root / "scenarios.yaml" in inputs
        scenarios = _read_scenarios(root / "scenarios.yaml", root) if listed else None
        scripts: list[Script] = []
        first_seen: dict[str, str] = {}
        for path in inputs:
            if path == root / "scenarios.yaml" or path.suffix == ".jsonl":
                continue
            for script in read_script_file(path, root, scenarios):
                if script.id in first_seen:
                    raise LibraryError(
                        f"duplicate id '{script.id}' (first defined in {first_seen[script.id]})",
                        file=script.source, line=script.line, field="id", fix="give each script a unique id",
                    )
                first_seen[script.id] = script.source
                scripts.append(script)
        scripts = _with_labelled_examples(root, scripts, scenarios)
        content_hash = hash_files(inputs, root)
    if not any(s.status in SUGGESTABLE for s in scripts):
        raise LibraryError("the library has no scripts to suggest", file=str(root / "scripts"),
                           fix="add at least one script without 'status: draft'")
    total = sum(len(s.examples) for s in scripts)
    if total > MAX_EXAMPLES:
        raise LibraryError(f"{total:,} examples exceed the {MAX_EXAMPLES:,} limit", file=str(root),
                           fix="split the library or trim examples")
    found = scenarios or tuple(sorted({s.scenario for s in scripts}))
    return Library(
        root=root,
        scripts=tuple(scripts),
        scenarios=found,
        content_hash=content_hash,
    )


def labelled_lines(root: Path, scenarios: Iterable[str], only: str | None = None) -> list[LabelledLine]:
    """The labelled utterances of ``root/examples/*.jsonl`` (:mod:`assist.library.examples`),
    those of scenario ``only`` when given, validated against ``scenarios`` and ``out_of_scope``."""
    known = {*scenarios, OUT_OF_SCOPE}
    lines: list[LabelledLine] = []
    for path in example_files(root):
        lines += parse_lines(read_text(path, root), display_path(path, root), known, only)
    return unique(lines)


def _with_labelled_examples(root: Path, scripts: list[Script], scenarios: tuple[str, ...] | None) -> list[Script]:
    """``scripts`` with the in-scope lines of ``root/examples/*.jsonl`` joined (the out-of-scope
    lines join the out-of-scope set, :func:`assist.library.out_of_scope.with_out_of_scope`)."""
    lines = labelled_lines(root, scenarios or {s.scenario for s in scripts})
    return list(join_examples(scripts, [item for item in lines if item.scenario != OUT_OF_SCOPE]))


def main(argv: list[str] | None = None) -> int:
    """``python -m assist.library.loader DIR``: validate a library without the model."""
    args = sys.argv[1:] if argv is None else argv
    try:
        library = load_library(args[0] if args else None)
    except LibraryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    examples = sum(len(s.examples) for s in library.scripts)
    print(f"ok: {len(library.scripts)} scripts, {examples} examples, {len(library.scenarios)} scenarios")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
