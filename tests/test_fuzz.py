"""Property and fuzz tests: the library loader, lookups, checks and the CLI never crash.

Every library case ends in a loaded :class:`Library` (or rule pack) or a
:class:`LibraryError` naming the file; every lookup ends in a Suggestion, every
draft check in a list of Violations, or an :class:`AssistError` subclass; the CLI
never prints a traceback and exits 0, 1 or 2.

Case counts (CI): library loader 1,000 + 200 multi-file + 300 rule-pack cases;
utterances 200 batches x 50 = 10,000 through ``suggest_many`` plus 1,000 single
``suggest`` and 2,000 ``check`` calls; CLI 40 ``suggest`` + 100 ``check`` +
60 ``validate`` invocations.
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from assist.cli import app
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.errors import InputError, LibraryError
from assist.library.loader import (
    CHANNELS,
    ID_PATTERN,
    LANGUAGES,
    SEGMENTS,
    SEVERITIES,
    STATUSES,
    Library,
    load_library,
)
from assist.limits import MAX_LIBRARY_FILE_BYTES, MAX_TEXT_FIELD_CHARS, MAX_UTTERANCE_CHARS
from assist.lookup.assistant import Assistant
from assist.types import Suggestion, Violation
from tests.conftest import RULES_YAML, SCENARIOS_YAML, SCRIPTS_YAML, write_library

REPO = Path(__file__).resolve().parents[1]
QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fuzz(examples: int) -> settings:
    """Hypothesis settings for one fuzz test: ``examples`` cases, no per-case deadline."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=QUIET)


CASE_SECONDS = 20.0
"""One library load or lookup must finish within this (generous on a loaded 2-core CI box)."""


class Hang(BaseException):
    """Raised by the alarm when one case runs too long (BaseException: nothing swallows it)."""


@contextmanager
def time_limit(seconds: float = CASE_SECONDS) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hang(f"one case ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ===== library loader ===================================================================

SCENARIO_IDS = (
    "account_frozen",
    "card_lost_stolen",
    "mortgage_process",
    "fraud_in_progress",
    "repeated_unresolved",
)
SCRIPT_FIELDS = (
    "id",
    "scenario",
    "language",
    "examples",
    "empathy",
    "solution_preview",
    "steps",
    "segment",
    "channel",
    "severity",
    "escalation",
    "status",
)
REQUIRED = ("id", "scenario", "language", "examples", "empathy", "solution_preview")
PY_TAGS = (
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.check_output [['touch', '{marker}']]",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!!python/bytes Zm9v",
    "!!python/object:pathlib.Path {}",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
)
OTHER_TAGS = (
    "!!binary aGVsbG8=",
    "!!binary '@@@'",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!pairs [a: 1]",
    "!!timestamp 2024-01-01",
    "!!timestamp abc",
    "!!int abc",
    "!!int 0b",
    "!!float x",
    "!!bool maybe",
    "!!null x",
    "!!str 12",
    "!!seq [a]",
    "!!map {a: 1}",
    "!custom value",
    "!<tag:x.org,2000:y> v",
    "!!merge x",
    "!!value v",
    "2024-13-45",
    "2023-02-30",
    "1:2:3:4",
    "0x" + "f" * 5000,
    "1" * 5000,
    "1" + ":59" * 3000,
    ".nan",
    "-.inf",
    "0o777",
    "+12_345",
)
TOKENS = (
    "scripts:",
    "scripts:\n",
    "- ",
    "  - ",
    "id: ",
    "scenario: ",
    "language: ",
    "examples:",
    "empathy: ",
    "solution_preview: ",
    "status: draft",
    "  ",
    "    ",
    "\n",
    "\r\n",
    "\t",
    ":",
    ": ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "*nope",
    "? ",
    "|",
    "|-",
    ">",
    "'",
    '"',
    "#",
    "%YAML 1.1\n",
    "%YAML 9.9\n",
    "%TAG ! tag:x.org,2000:\n",
    "---\n",
    "...\n",
    "<<: ",
    "<<: *a",
    "\\u",
    "\\x",
    "\\",
    "~",
    "null",
    "yes",
    "no",
    "on",
    ".inf",
    "2024-13-45",
    "0x1F",
    "1e309",
    "\x00",
    "\ufeff",
    "\u2028",
    "\x85",
    "\x1b[31m",
    "卡",
    "帳戶",
    "é",
    "🏦",
    "\u202e",
    "account_frozen",
    "zh-Hans",
    "en",
    "account_frozen.zh",
    *(tag.replace("{marker}", "x") for tag in OTHER_TAGS[:12]),
)
ENCODINGS = ("utf-16", "utf-16-le", "utf-32", "gb18030", "big5", "shift_jis", "latin-1", "cp1252")

short_text = st.text(min_size=1, max_size=30).filter(lambda t: bool(t.strip()))
good_id = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,15}", fullmatch=True)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.binary(max_size=8),
    st.dates(),
    st.lists(st.integers(), max_size=3),
    st.just(""),
    st.just("   \n\t"),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.integers(MAX_TEXT_FIELD_CHARS + 1, MAX_TEXT_FIELD_CHARS + 50).map(lambda n: "长" * n),
    st.lists(st.one_of(st.none(), st.integers(), st.just(""), short_text), min_size=1, max_size=3),
)
bad_id = st.sampled_from(["Bad ID", "-lead", "_lead", "a" * 200, "有中文", "a b", "A.upper", "x/y", ""])
good_values: dict[str, st.SearchStrategy[Any]] = {
    "id": good_id,
    "scenario": st.sampled_from(SCENARIO_IDS),
    "language": st.sampled_from(LANGUAGES),
    "examples": st.lists(short_text, min_size=1, max_size=4, unique_by=str.strip),
    "empathy": short_text,
    "solution_preview": short_text,
    "steps": st.lists(short_text, max_size=3),
    "segment": st.sampled_from(SEGMENTS),
    "channel": st.sampled_from(CHANNELS),
    "severity": st.sampled_from(SEVERITIES),
    "escalation": short_text,
    "status": st.sampled_from(STATUSES),
}
odd_values: dict[str, st.SearchStrategy[Any]] = {
    "id": bad_id,
    "scenario": st.one_of(st.just("out_of_scope"), good_id, bad_id),
    "language": st.sampled_from(["fr", "zh", "ZH-HANS", "en "]),
    "examples": st.one_of(
        st.just([]),
        short_text.map(lambda t: [t, t]),
        short_text.map(lambda t: [t, f" {t} "]),
        st.just([None]),
        st.just(["ok", ""]),
        st.just("not a list"),
    ),
    "status": st.sampled_from(["Approved", "live", "examples-only"]),
}


@st.composite
def script_entry(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 30)) == 0:
        return draw(junk)
    entry: dict[Any, Any] = {}
    for key in SCRIPT_FIELDS:
        mode = draw(
            st.sampled_from(
                ["good"] * 40 + ["missing", "junk", "odd"]
                if key in REQUIRED
                else ["absent"] * 8 + ["good"] * 4 + ["junk", "odd"]
            )
        )
        if mode == "good":
            entry[key] = draw(good_values[key])
        elif mode == "junk":
            entry[key] = draw(junk)
        elif mode == "odd" and key in odd_values:
            entry[key] = draw(odd_values[key])
    if draw(st.integers(0, 12)) == 0:
        entry[draw(st.one_of(st.text(max_size=10), st.sampled_from(["ID", "example", "kind", "steps "])))] = draw(junk)
    return entry


@st.composite
def script_document(draw: st.DrawFn) -> Any:
    entries = draw(st.lists(script_entry(), min_size=1, max_size=4))
    if len(entries) > 1 and draw(st.integers(0, 6)) == 0:
        first, last = entries[0], entries[-1]
        if isinstance(first, dict) and isinstance(last, dict) and "id" in first:
            last["id"] = first["id"]
    shape = draw(st.sampled_from(["ok"] * 25 + ["extra", "not_list", "list", "scalar", "empty"]))
    if shape == "extra":
        return {"scripts": entries, draw(st.text(max_size=8)): draw(junk)}
    if shape == "not_list":
        return {"scripts": draw(junk)}
    if shape == "list":
        return entries
    if shape == "scalar":
        return draw(junk)
    if shape == "empty":
        return None
    return {"scripts": entries}


def dump(data: Any, allow_unicode: bool, flow: bool | None) -> str:
    return yaml.safe_dump(data, allow_unicode=allow_unicode, default_flow_style=flow, sort_keys=False)


@st.composite
def structured_yaml(draw: st.DrawFn) -> str:
    return dump(draw(script_document()), draw(st.booleans()), draw(st.sampled_from([False, True, None])))


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=60))
    return "".join(parts)


def mutate(text: str, draw: st.DrawFn) -> str:
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "dup_line", "indent", "swap"]))
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        lines = text.split("\n")
        a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "insert":
            text = text[:i] + draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4))) + text[i:]
        elif kind == "replace":
            text = text[:i] + draw(st.characters()) + text[i + 1 :]
        elif kind == "truncate":
            text = text[:i]
        elif kind == "dup_line":
            text = "\n".join([*lines[: a + 1], lines[a], *lines[a + 1 :]])
        elif kind == "indent":
            lines[a] = draw(st.sampled_from(["", " ", "   ", "\t", "      "])) + lines[a].lstrip()
            text = "\n".join(lines)
        else:
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    return mutate(draw(base), draw)


BASE_FIELDS = {
    "id": "bomb.zh",
    "scenario": "account_frozen",
    "language": "zh-Hans",
    "empathy": "我理解",
    "solution_preview": "我来查",
    "examples": "[卡被冻结了]",
}


def entry_yaml(fields: dict[str, str]) -> str:
    """A one-script file with the given fields, written in the given order."""
    return "scripts:\n  - " + "\n    ".join(f"{key}: {value}" for key, value in fields.items()) + "\n"


def valid_entry_yaml(**overrides: str) -> str:
    return entry_yaml({**BASE_FIELDS, **overrides})


def laughs(levels: int, fanout: int) -> str:
    """Anchors &l0..&lN where each level lists the previous one ``fanout`` times."""
    anchors = ['&l0 "lol"'] + [f"&l{i} [{', '.join([f'*l{i - 1}'] * fanout)}]" for i in range(1, levels + 1)]
    return f"[{', '.join(anchors)}]"


@st.composite
def alias_bomb(draw: st.DrawFn) -> str:
    """Billion-laughs documents: the anchors come first, the last level is used in a field."""
    levels, fanout = draw(st.integers(1, 14)), draw(st.integers(2, 10))
    use = draw(st.sampled_from(["language", "id", "segment", "examples", "scenario", "empathy"]))
    holder = draw(st.sampled_from(["steps", "x_defs", "top"]))
    fields = dict(BASE_FIELDS)
    fields[use] = f"*l{levels}"
    if holder == "top":
        return f"defs: {laughs(levels, fanout)}\n" + entry_yaml(fields)
    return entry_yaml({holder: laughs(levels, fanout), **fields})


@st.composite
def scenarios_bomb(draw: st.DrawFn) -> str:
    levels, fanout = draw(st.integers(1, 14)), draw(st.integers(2, 10))
    return f"scenarios:\n  - id: account_frozen\n  - x: {laughs(levels, fanout)}\n  - id: *l{levels}\n"


@st.composite
def deep_yaml(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 400))
    style = draw(st.sampled_from(["flow_seq", "flow_map", "block", "anchor_chain"]))
    if style == "flow_seq":
        value = "[" * depth + "x" + "]" * depth
    elif style == "flow_map":
        value = "{a: " * depth + "x" + "}" * depth
    elif style == "block":
        value = "\n      " + "- " * depth + "x"
    else:
        value = "[&d0 [x], " + ", ".join(f"&d{i} [*d{i - 1}]" for i in range(1, depth)) + "]"
    return valid_entry_yaml(**{draw(st.sampled_from(["language", "examples", "steps"])): value})


@st.composite
def tagged_yaml(draw: st.DrawFn, marker: str) -> str:
    tag = draw(st.sampled_from(PY_TAGS + OTHER_TAGS)).replace("{marker}", marker)
    place = draw(st.sampled_from(["language", "id", "examples_item", "top", "steps", "scenario"]))
    if place == "top":
        return f"{tag}\n" if draw(st.booleans()) else f"scripts: {tag}\n"
    if place == "examples_item":
        return valid_entry_yaml(examples=f"[卡被冻结了, {tag}]")
    return valid_entry_yaml(**{place: tag})


@st.composite
def file_bytes(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    """Mostly UTF-8; sometimes another encoding, a BOM, random or broken bytes."""
    content = draw(text)
    how = draw(st.sampled_from(["utf-8"] * 25 + ["bom", "other", "random", "broken", "nul"]))
    if how == "bom":
        return b"\xef\xbb\xbf" + content.encode("utf-8", "surrogatepass")
    if how == "other":
        return content.encode(draw(st.sampled_from(ENCODINGS)), "replace")
    if how == "random":
        return draw(st.binary(max_size=300))
    raw = content.encode("utf-8", "surrogatepass")
    if how == "broken":
        at = draw(st.integers(0, len(raw)))
        return (
            raw[:at]
            + draw(
                st.sampled_from(
                    [
                        b"\xff",
                        b"\xc3",
                        b"\xe4\xb8",
                        b"\x80\x80",
                        b"\xed\xa0\x80",
                        b"\xf4\x90\x80\x80",
                        b"\xc0\xaf",
                    ]
                )
            )
            + raw[at:]
        )
    if how == "nul":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + b"\x00" + raw[at:]
    return raw


MARKER = Path(tempfile.gettempdir()) / f"assist-fuzz-yaml-executed-{os.getpid()}"
script_text = st.one_of(
    structured_yaml(),
    structured_yaml(),
    structured_yaml(),
    token_soup(),
    mutated(st.one_of(st.just(SCRIPTS_YAML), structured_yaml())),
    mutated(st.one_of(st.just(SCRIPTS_YAML), structured_yaml())),
    alias_bomb(),
    deep_yaml(),
    tagged_yaml(str(MARKER)),
)


@st.composite
def scenarios_file(draw: st.DrawFn) -> bytes | None:
    """Mostly the valid taxonomy; sometimes none, junk, a bomb or a broken file."""
    kind = draw(st.sampled_from(["valid"] * 8 + ["none", "broken", "junk"]))
    if kind == "valid":
        return SCENARIOS_YAML.encode()
    if kind == "none":
        return None
    if kind == "broken":
        return draw(file_bytes(st.one_of(token_soup(), mutated(st.just(SCENARIOS_YAML)), scenarios_bomb())))
    entries = st.lists(st.one_of(good_id, junk, bad_id, st.fixed_dictionaries({"id": junk})), max_size=4)
    data = draw(st.one_of(st.fixed_dictionaries({"scenarios": entries}), junk))
    return dump(data, True, None).encode()


def labels_of(root: Path, files: dict[str, bytes | None]) -> set[str]:
    """What a LibraryError may name: a file we wrote, the scripts folder or the library."""
    named = {f"{root.name}/{name}" for name, content in files.items() if content is not None}
    return named | {str(root), str(root / "scripts")}


def write_files(root: Path, files: dict[str, bytes | None]) -> None:
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if content is not None:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content)


def check_library(library: Library) -> None:
    ids = [s.id for s in library.scripts]
    assert len(ids) == len(set(ids))
    assert library.active_scripts
    for script in library.scripts:
        assert ID_PATTERN.match(script.id) and script.scenario in library.scenarios
        assert script.examples and all(isinstance(e, str) and e == e.strip() and e for e in script.examples)
        assert len(set(script.examples)) == len(script.examples)
        assert all(len(e) <= MAX_TEXT_FIELD_CHARS for e in script.examples)
        assert script.language in LANGUAGES and script.status in STATUSES
        if script.status == "approved":
            assert script.empathy and script.solution_preview


def check_error(error: LibraryError, root: Path, files: dict[str, bytes | None]) -> None:
    assert error.file in labels_of(root, files), (error.file, str(error))
    assert str(error).startswith(error.file)


def run_loader(files: dict[str, bytes | None], load: Callable[[Path], object]) -> str:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "lib"
        write_files(root, files)
        try:
            with time_limit():
                loaded = load(root)
        except LibraryError as error:
            check_error(error, root, files)
            event(f"LibraryError: {error.problem[:40]}")
            return "error"
    if isinstance(loaded, Library):
        check_library(loaded)
    event("loaded")
    return "loaded"


@fuzz(1000)
@given(script=file_bytes(script_text), scenarios=scenarios_file())
def test_library_loader_never_crashes(script: bytes, scenarios: bytes | None) -> None:
    run_loader({"scripts/main.yaml": script, "scenarios.yaml": scenarios}, load_library)
    assert not MARKER.exists(), "a YAML tag executed code"


@fuzz(200)
@given(
    first=structured_yaml(),
    second=st.one_of(structured_yaml(), st.just(SCRIPTS_YAML)),
    scenarios=scenarios_file(),
    nested=st.booleans(),
)
def test_multi_file_libraries_and_duplicate_ids(first: str, second: str, scenarios: bytes | None, nested: bool) -> None:
    other = "scripts/team/b.yml" if nested else "scripts/b.yaml"
    files = {"scripts/a.yaml": first.encode(), other: second.encode(), "scenarios.yaml": scenarios}
    run_loader(files, load_library)


@st.composite
def rule_entry(draw: st.DrawFn) -> Any:
    entry: dict[str, Any] = {
        "id": draw(st.one_of(good_id, junk)) if draw(st.integers(0, 5)) else draw(junk),
        "category": draw(st.sampled_from(["blame_shifting", "promise_guaranteed_return", "fraud_signal", "nope"])),
        "severity": draw(st.sampled_from(["block", "warn", "info", None])),
        "applies_to": draw(st.sampled_from(["agent", "customer", "both", "nobody"])),
        "patterns": draw(
            st.lists(
                st.one_of(
                    st.fixed_dictionaries({"literal": st.one_of(short_text, junk)}),
                    st.fixed_dictionaries(
                        {
                            "regex": st.one_of(
                                st.sampled_from(
                                    [
                                        "(",
                                        "[a-",
                                        "a{2,1}",
                                        "(?<=a+)b",
                                        "{{missing}}",
                                        "(a*)*b",
                                        "\\",
                                        "x" * 3000,
                                        "(?P<n>a)(?P=n)",
                                        "安全账户",
                                        "[^,]{0,5}$",
                                    ]
                                ),
                                short_text,
                                junk,
                            )
                        }
                    ),
                    junk,
                ),
                max_size=3,
            )
        ),
        "explanation": draw(st.one_of(short_text, junk)),
        "reference": draw(st.one_of(short_text, junk)),
        "suggestion": draw(st.one_of(short_text, junk)),
    }
    for key in draw(st.lists(st.sampled_from(sorted(entry)), max_size=2, unique=True)):
        del entry[key]
    if draw(st.booleans()):
        entry[draw(st.sampled_from(["pin", "priority", "alert", "exceptions", "unknown"]))] = draw(
            st.one_of(junk, good_id, st.sampled_from(SCENARIO_IDS))
        )
    return entry


@st.composite
def rules_yaml(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["structured"] * 3 + ["mutated"] * 2 + ["soup", "bomb", "tags"]))
    if kind == "structured":
        doc: Any = {"rules": draw(st.lists(rule_entry(), max_size=3))}
        if draw(st.integers(0, 4)) == 0:
            doc["terms"] = draw(st.one_of(junk, st.dictionaries(good_id, st.one_of(short_text, junk), max_size=2)))
        return dump(doc, draw(st.booleans()), draw(st.sampled_from([False, None])))
    if kind == "mutated":
        return mutate(RULES_YAML, draw)
    if kind == "soup":
        return draw(token_soup())
    if kind == "bomb":
        return "rules: []\n" + draw(alias_bomb()).replace("scripts:", "anchors:", 1)
    return "rules:\n  - " + draw(tagged_yaml(str(MARKER))).split("  - ", 1)[-1]


@fuzz(300)
@given(rules=file_bytes(rules_yaml()))
def test_rule_pack_loader_never_crashes(rules: bytes) -> None:
    files = {"rules/r.yaml": rules}

    def load(root: Path) -> RulePack:
        return load_rule_pack(root)

    run_loader(files, load)
    assert not MARKER.exists(), "a YAML tag executed code"


def test_python_tags_are_refused_and_run_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    for tag in PY_TAGS:
        root = write_library(tmp_path / f"lib{PY_TAGS.index(tag)}")
        value = tag.replace("{marker}", str(marker))
        (root / "scripts" / "main.yaml").write_text(valid_entry_yaml(language=value), encoding="utf-8")
        with pytest.raises(LibraryError, match=r"lib\d+/scripts/main.yaml"):
            load_library(root)
    assert not marker.exists()


BOMB_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (768 * 2**20, 768 * 2**20))
from pathlib import Path
from assist.errors import LibraryError
from assist.library.loader import load_library
started = time.monotonic()
try:
    load_library(Path(sys.argv[1]))
except LibraryError as error:
    print("LibraryError", error)
print("seconds", round(time.monotonic() - started, 2))
"""


@pytest.mark.parametrize("use", ["language", "examples", "id"])
def test_billion_laughs_neither_hangs_nor_blows_memory(tmp_path: Path, use: str) -> None:
    """Nine levels of ten aliases (10^9 leaves) in a library file, loaded in a child
    process capped at 768 MB of address space and 30 s."""
    body = entry_yaml({"steps": laughs(9, 10), **BASE_FIELDS, use: "*l9"})
    root = write_library(tmp_path / "lib", scripts=body)
    child = subprocess.run(
        [sys.executable, "-c", BOMB_CHILD, str(root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert "LibraryError lib/scripts/main.yaml" in child.stdout
    assert float(child.stdout.split("seconds")[-1]) < 30


@pytest.mark.parametrize("depth", [33, 200, 5_000, 50_000])
def test_deep_nesting_is_a_library_error(tmp_path: Path, depth: int) -> None:
    root = write_library(tmp_path / "lib", scripts=f"scripts: {'[' * depth}{']' * depth}\n")
    with time_limit(), pytest.raises(LibraryError, match=r"lib/scripts/main\.yaml.*nest"):
        load_library(root)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "gb18030", "big5", "latin-1", "cp1252"])
def test_non_utf8_files_are_refused(tmp_path: Path, encoding: str) -> None:
    root = write_library(tmp_path / "lib")
    path = root / "scripts" / "main.yaml"
    path.write_bytes(SCRIPTS_YAML.replace("\n", " é\n", 1).encode(encoding, "replace"))
    with pytest.raises(LibraryError, match=r"lib/scripts/main\.yaml"):
        load_library(root)


def test_over_limit_file_is_refused_before_parsing(tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib")
    path = root / "scripts" / "huge.yaml"
    path.write_bytes(b"# " + b"x" * (MAX_LIBRARY_FILE_BYTES - 1) + b"\n")
    assert path.stat().st_size > MAX_LIBRARY_FILE_BYTES
    with time_limit(5), pytest.raises(LibraryError, match=r"lib/scripts/huge\.yaml.*5,000,000"):
        load_library(root)


@pytest.mark.parametrize("where", ["example", "empathy", "rule"])
def test_lone_surrogate_escape_in_a_text_is_refused(tmp_path: Path, where: str) -> None:
    """A YAML "\\ud800" escape decodes to a lone surrogate, which no UTF-8 output (CLI,
    JSON, index vocabulary) can hold: refused at load, naming the file and line."""
    scripts, rules = SCRIPTS_YAML, RULES_YAML
    if where == "example":
        scripts = SCRIPTS_YAML.replace("      - 账户被限制交易了怎么办", '      - "账户被限制\\ud800交易了怎么办"')
    elif where == "empathy":
        scripts = SCRIPTS_YAML.replace("empathy: 买房是大事，", 'empathy: "\\udfff买房是大事" #')
    else:
        rules = RULES_YAML.replace("suggestion: 请勿向任何所谓的安全账户转账。", 'suggestion: "请勿\\ud800转账"')
    assert (scripts, rules) != (SCRIPTS_YAML, RULES_YAML)
    root = write_library(tmp_path / "lib", scripts=scripts, rules=rules)
    expected = (
        r"lib/rules/rules\.yaml:\d+: .*surrogate" if where == "rule" else r"lib/scripts/main\.yaml:\d+: .*surrogate"
    )
    with pytest.raises(LibraryError, match=expected):
        load_library(root)
        load_rule_pack(root)


# ===== lookups and checks ==============================================================

BANKING = (
    "我的卡被冻结了",
    "转账三天还没到账",
    "I lost my card",
    "信用卡额度能不能提高",
    "有人让我把钱转到安全账户",
    "帳戶被凍結了怎麼辦",
    "my transfer has not arrived",
    "手机银行登录不上",
    "理财亏了要投诉",
    "忘记密码了",
)
SCRIPTS_BLOCKS = (
    (0x0041, 0x007A),
    (0x00C0, 0x024F),
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),
    (0x0590, 0x05FF),
    (0x0600, 0x06FF),
    (0x0900, 0x097F),
    (0x0E00, 0x0E7F),
    (0x3040, 0x30FF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xFF00, 0xFFEF),
    (0x1F300, 0x1FAFF),
    (0x20000, 0x2A6DF),
)
mixed_scripts = st.lists(
    st.sampled_from(SCRIPTS_BLOCKS).flatmap(lambda r: st.characters(min_codepoint=r[0], max_codepoint=r[1])),
    max_size=60,
).map("".join)
controls = st.text(
    st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\x85\x9b\u200b\u200d\ufeff\ufffe"),
    max_size=30,
)
surrogates = st.lists(
    st.one_of(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), st.sampled_from(BANKING)),
    min_size=1,
    max_size=8,
).map("".join)
emoji = st.lists(
    st.sampled_from(["🏦", "💳", "😡", "👍🏽", "👨‍👩‍👧", "🇨🇳", "🇭🇰", "❤️", "🤬", "\u200d", "\ufe0f", "🧓🏻"]),
    max_size=20,
).map("".join)
rtl = st.lists(
    st.sampled_from(
        [
            "\u202e",
            "\u202b",
            "\u200f",
            "\u2067",
            "\u2069",
            "שלום",
            "مرحبا",
            "حسابي مجمد",
            "卡被冻结",
            "card",
        ]
    ),
    max_size=12,
).map("".join)
combining = st.builds(
    lambda base, marks: "".join(b + "".join(marks) for b in base),
    st.text(max_size=8),
    st.lists(st.characters(min_codepoint=0x300, max_codepoint=0x36F), max_size=60),
)
punctuation = st.text(
    st.characters(categories=["Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So"]),
    max_size=40,
)
whitespace = st.text(st.sampled_from(" \t\n\r\x0b\x0c\u00a0\u2000\u2003\u3000\u2028\u2029\u180e"), max_size=20)
expanding = st.lists(
    st.sampled_from(["ﷺ", "㍿", "ﬄ", "ß", "İ", "ǅ", "ㇰ", "①", "⑽", "㈱", "ﾊﾟ", "Ａ"]), max_size=30
).map("".join)
banking_noise = st.builds(
    lambda a, noise, b: a + noise + b,
    st.sampled_from(BANKING),
    st.text(max_size=10),
    st.sampled_from(BANKING),
)
near_limit = st.builds(
    lambda piece, n: (piece * n)[:MAX_UTTERANCE_CHARS],
    st.sampled_from(["卡", "a", "ﷺ", "🏦", "安全账户", "e\u0301", " ", "\x00"]),
    st.integers(1900, 2000),
)
utterance = st.one_of(
    st.just(""),
    whitespace,
    st.text(),
    st.text(st.characters(codec="utf-8")),
    mixed_scripts,
    controls,
    surrogates,
    emoji,
    rtl,
    combining,
    punctuation,
    expanding,
    banking_noise,
    st.sampled_from(BANKING),
)


@st.composite
def utterance_or_long(draw: st.DrawFn) -> str:
    """An utterance; one in forty is 1,900-2,000 characters long (slow to embed)."""
    return draw(near_limit) if draw(st.integers(0, 39)) == 0 else draw(utterance)


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    return Assistant.load(log=lambda _: None)


def check_suggestion(suggestion: Suggestion, top_k: int) -> None:
    assert isinstance(suggestion, Suggestion)
    assert isinstance(suggestion.reply, str) and suggestion.reply
    assert isinstance(suggestion.abstained, bool)
    assert len(suggestion.candidates) <= max(1, top_k)
    for candidate in suggestion.candidates:
        assert math.isfinite(candidate.score)
    if suggestion.pinned_by is not None:
        assert not suggestion.abstained


def check_violations(text: str, violations: list[Violation]) -> None:
    """Spans index the text as given; lone surrogates come back as U+FFFD."""
    shown = re.sub("[\ud800-\udfff]", "\ufffd", text)
    assert isinstance(violations, list)
    for violation in violations:
        assert isinstance(violation, Violation)
        start, end = violation.span
        assert 0 <= start < end <= len(text)
        assert violation.matched_text == shown[start:end]


@pytest.mark.model
@fuzz(200)
@given(texts=st.lists(utterance, min_size=50, max_size=50))
def test_suggest_many_never_crashes(assistant: Assistant, texts: list[str]) -> None:
    with time_limit():
        suggestions = assistant.suggest_many(texts)
    assert len(suggestions) == len(texts)
    for suggestion in suggestions:
        check_suggestion(suggestion, 3)


SEGMENT_ARG = st.one_of(st.none(), st.sampled_from(SEGMENTS), st.text(max_size=5))
CHANNEL_ARG = st.one_of(st.none(), st.sampled_from(CHANNELS), st.text(max_size=5))


@pytest.mark.model
@fuzz(1000)
@given(text=utterance_or_long(), top_k=st.integers(-3, 25), segment=SEGMENT_ARG, channel=CHANNEL_ARG)
def test_single_suggest_never_crashes(
    assistant: Assistant, text: str, top_k: int, segment: str | None, channel: str | None
) -> None:
    if not text.strip():
        with pytest.raises(InputError, match="empty"):
            assistant.suggest(text, top_k=top_k, segment=segment, channel=channel)
        return
    with time_limit():
        suggestion = assistant.suggest(text, top_k=top_k, segment=segment, channel=channel)
    check_suggestion(suggestion, top_k)


@pytest.mark.model
@fuzz(2000)
@given(
    text=st.one_of(
        utterance_or_long(),
        st.sampled_from(["请把钱转到安全账户", "这是系统问题", "保本保息稳赚不赔"]).flatmap(
            lambda s: st.builds(lambda pre, post: pre + s + post, utterance, utterance)
        ),
    )
)
def test_check_never_crashes(assistant: Assistant, text: str) -> None:
    if not text.strip():
        with pytest.raises(InputError, match="empty"):
            assistant.check(text)
        return
    with time_limit():
        violations = assistant.check(text)
    check_violations(text, violations)


BLOCKED_DRAFTS = (
    "请您把验证码告诉我",
    "请把卡号和有效期告诉我",
    "您把验证码念给我听",
    "Please read me the code we just sent",
    "这个产品保本保息，稳赚不赔",
)
@pytest.mark.model
def test_a_stray_undecodable_byte_does_not_hide_a_violation(assistant: Assistant) -> None:
    """An undecodable byte inside a risky phrase must not hide it from the checker."""
    missed = []
    for draft in BLOCKED_DRAFTS:
        expected = {v.rule_id for v in assistant.check(draft)}
        assert expected, draft
        for at in range(1, len(draft)):
            found = {v.rule_id for v in assistant.check(draft[:at] + "\udcff" + draft[at:])}
            replaced = {v.rule_id for v in assistant.check(draft[:at] + "\ufffd" + draft[at:])}
            if replaced - found:
                missed.append((draft[:at] + "<byte>" + draft[at:], sorted(replaced - found)))
    assert not missed, missed


@pytest.mark.model
@fuzz(50)
@given(
    extra=st.integers(1, 100_000),
    piece=st.sampled_from(["卡", "a", "🏦", "\x00", " ", "\ud800"]),
    where=st.sampled_from(["suggest", "many", "check"]),
)
def test_too_long_input_is_an_input_error(assistant: Assistant, extra: int, piece: str, where: str) -> None:
    text = piece * (MAX_UTTERANCE_CHARS + extra)
    with pytest.raises(InputError, match=f"{MAX_UTTERANCE_CHARS:,}"):
        if where == "suggest":
            assistant.suggest(text)
        elif where == "many":
            assistant.suggest_many(["卡被冻结了", text])
        else:
            assistant.check(text)


@pytest.mark.model
@pytest.mark.parametrize("value", [None, 42, b"bytes", ["list"], 3.5])
def test_non_text_input_is_an_input_error(assistant: Assistant, value: Any) -> None:
    with pytest.raises(InputError):
        assistant.suggest(value)
    with pytest.raises(InputError):
        assistant.check(value)


# ===== CLI =============================================================================

runner = CliRunner()


@pytest.fixture(scope="module")
def built_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_library(tmp_path_factory.mktemp("cli") / "lib")
    result = runner.invoke(app, ["build", "--library", str(root)])
    assert result.exit_code == 0, result.output
    return root


def assert_clean_exit(result: Any) -> None:
    assert "Traceback" not in result.output, result.output
    # 0 ok, 1 a finding, 2 usage, 3 bad input, 4 invalid library (see assist.errors)
    assert result.exit_code in (0, 1, 2, 3, 4), (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


cli_text = st.one_of(
    utterance,
    st.just("-x"),
    st.just("--help-me"),
    st.just("--"),
    near_limit,
    st.integers(1, 500).map(lambda n: "长" * (MAX_UTTERANCE_CHARS + n)),
)


@pytest.mark.model
@fuzz(40)
@given(text=cli_text, as_json=st.booleans(), top_k=st.sampled_from(["0", "1", "3", "25", "x", "-1"]))
def test_cli_suggest_weird_inputs(built_library: Path, text: str, as_json: bool, top_k: str) -> None:
    args = ["suggest", "--library", str(built_library), "--top-k", top_k, "--no-build"]
    args += ["--json"] if as_json else []
    result = runner.invoke(app, [*args, "--", text])
    assert_clean_exit(result)


@fuzz(100)
@given(text=cli_text, as_json=st.booleans())
def test_cli_check_weird_inputs(built_library: Path, text: str, as_json: bool) -> None:
    args = ["check", "--library", str(built_library), *(["--json"] if as_json else []), "--", text]
    assert_clean_exit(runner.invoke(app, args))


@fuzz(60)
@given(script=file_bytes(script_text), rules=st.one_of(st.none(), file_bytes(rules_yaml())))
def test_cli_validate_weird_libraries(script: bytes, rules: bytes | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "lib"
        write_files(
            root,
            {
                "scripts/main.yaml": script,
                "scenarios.yaml": SCENARIOS_YAML.encode(),
                "rules/r.yaml": rules,
            },
        )
        with time_limit():
            result = runner.invoke(app, ["validate", "--library", str(root)])
    assert_clean_exit(result)


def run_cli_process(args: list[str | bytes], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``assist ARGS`` in a real process; bytes arguments reach it undecoded."""
    return subprocess.run(
        [sys.executable, "-c", "from assist.cli import main; main()", *args],
        cwd=REPO,
        capture_output=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def assert_clean_process(child: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in child.stderr + child.stdout, child.stderr.decode(errors="replace")[-3000:]
    assert child.returncode in (0, 1, 2)


@pytest.mark.parametrize("argv_bytes", [b"\xff\xfe\xfa", "卡被冻结".encode() + b"\xed\xa0\x80", b"\x1b[2J"])
def test_cli_undecodable_argv_in_a_real_process(built_library: Path, argv_bytes: bytes) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape)."""
    for command in (["check", "--json"], ["check"]):
        assert_clean_process(run_cli_process([*command, "--library", str(built_library), "--", argv_bytes]))


MATCH_WITH_SURROGATE = {"check": "请您把验证码\udcff告诉我", "suggest": "对方让我\udcff告诉他验证码"}
"""Rule matches that span an undecodable byte (a lone surrogate once decoded)."""


@pytest.mark.model
@pytest.mark.parametrize("command", ["check", "suggest"])
@pytest.mark.parametrize("as_json", [True, False])
def test_cli_undecodable_argv_with_a_strict_utf8_stdout(command: str, as_json: bool) -> None:
    """As under an en_US.UTF-8 or zh_CN.UTF-8 locale (stdout errors='strict'): a rule
    match holding the byte must still print. Run in a child process: in-process, a
    failed write would stay in rich's buffer and break the next command's output too."""
    raw = MATCH_WITH_SURROGATE[command].encode("utf-8", "surrogateescape")
    args: list[str | bytes] = [command, *(["--json"] if as_json else []), "--", raw]
    assert_clean_process(run_cli_process(args, {"PYTHONIOENCODING": "utf-8"}))
