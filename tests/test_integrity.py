"""Integrity end to end (issue 18): no silent wrong answer, whatever happens to the files.

One test per silent failure of the issue, each failing on the code before the fix:

1. an edit saved during a build or a load (the index, or the validated snapshot,
   filed under another text's hash);
2. a block phrase split across empathy and solution preview;
3. side files trusted without a check (validated.json, calibration.json, a
   manifest with an empty ``files`` map);
5. two builds of one index folder at once;

then the read-only places, the staleness check the server reports, and a property
test: random valid edits at random moments during builds and loads, after which every
lookup answers from an index matching the files it reports, or the load raised.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from assist.errors import AssistError, IndexStateError, LibraryError
from assist.indexing.store import build_index, load_index, read_manifest
from assist.library.loader import Library, load_library
from assist.lookup.assistant import Assistant
from assist.text.normalise import normalise
from tests.conftest import SCRIPTS_YAML, HashEncoder, write_library

REPO = Path(__file__).resolve().parents[1]
QUIET: Callable[[str], None] = lambda _message: None  # noqa: E731
NEW_EXAMPLE = "      - 账户被冻结以后还能收工资吗\n"
FROZEN_EXAMPLES = "    examples:\n      - 我的卡被冻结了，钱取不出来\n"


def small_library(root: Path, scripts: str = SCRIPTS_YAML, rules: str | None = None) -> Path:
    """A small library (tests/conftest.py) with an empty ``out_of_scope/`` folder, which keeps
    the shipped out-of-scope set out of it: the index is then built from these files alone."""
    write_library(root, scripts=scripts, **({} if rules is None else {"rules": rules}))
    (root / "out_of_scope").mkdir(exist_ok=True)
    return root


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    return small_library(tmp_path / "lib")


def scripts_file(root: Path) -> Path:
    return root / "scripts" / "main.yaml"


def with_new_example(text: str) -> str:
    return text.replace(FROZEN_EXAMPLES, FROZEN_EXAMPLES + NEW_EXAMPLE, 1)


@contextmanager
def after_reads(path: Path, actions: list[Callable[[], None]]) -> Iterator[list[int]]:
    """Run ``actions[i]`` right after the (i+1)-th read of ``path``'s bytes: an editor saving
    the file at that moment. Yields the count of reads."""
    original = Path.read_bytes
    reads = [0]
    target = path.resolve()

    def read_bytes(self: Path) -> bytes:
        data = original(self)
        if self.resolve() == target:
            reads[0] += 1
            if reads[0] <= len(actions):
                actions[reads[0] - 1]()
        return data

    with mock.patch.object(Path, "read_bytes", read_bytes):
        yield reads


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    """Change a JSON file the way a forger would: in place, keeping any checksum envelope valid."""
    data = json.loads(path.read_bytes())
    if isinstance(data, dict) and set(data) == {"sha256", "data"}:
        payload = json.dumps(change(data["data"]), ensure_ascii=False).encode()
        digest = hashlib.sha256(payload).hexdigest().encode()
        path.write_bytes(b'{"sha256": "' + digest + b'", "data": ' + payload + b"}")
    else:
        path.write_text(json.dumps(change(data), ensure_ascii=False), encoding="utf-8")


def load_small(root: Path, folder: Path, auto_build: bool = False) -> Assistant:
    return Assistant.load(root, encoder=HashEncoder(), index_dir=folder, auto_build=auto_build, log=QUIET)


# ===== 1. an edit saved during a build or a load ========================================


def test_an_edit_saved_while_the_library_is_read_never_gets_the_old_texts_hash(library_dir: Path) -> None:
    path = scripts_file(library_dir)
    before = path.read_text(encoding="utf-8")
    with after_reads(path, [lambda: path.write_text(with_new_example(before), encoding="utf-8")]):
        racing = load_library(library_dir)
    now = load_library(library_dir)
    assert NEW_EXAMPLE.strip()[2:] not in racing.script("account_frozen.zh").examples  # type: ignore[union-attr]
    assert racing.content_hash != now.content_hash


def test_an_index_built_during_an_edit_is_stale_for_the_edited_library(library_dir: Path, tmp_path: Path) -> None:
    """The build reads the library, an edit lands, the index must not pass for the new files."""
    path = scripts_file(library_dir)
    before = path.read_text(encoding="utf-8")
    folder = tmp_path / "index"
    with after_reads(path, [lambda: path.write_text(with_new_example(before), encoding="utf-8")]):
        build_index(load_library(library_dir), HashEncoder(), folder)
    with pytest.raises(IndexStateError, match="assist build"):
        load_small(library_dir, folder)
    assistant = load_small(library_dir, folder, auto_build=True)
    assert assistant.index.dense.ntotal == sum(len(s.examples) for s in assistant.library.active_scripts)


def test_a_save_and_revert_during_a_load_never_files_text_under_the_wrong_key(
    library_dir: Path, tmp_path: Path
) -> None:
    """A first read sees A, an editor saves B, a second read would see B, and A is restored:
    the validated snapshot must never serve B's text for A's files."""
    from assist.compliance.validated import load_validated, validate

    path = scripts_file(library_dir)
    original = path.read_text(encoding="utf-8")
    edited = original.replace("我会立即为您核查冻结原因", "我会立即为您核查冻结原因（临时版本）")
    folder = tmp_path / "index"
    actions = [lambda: path.write_text(edited, encoding="utf-8"),
               lambda: path.write_text(original, encoding="utf-8")]
    with after_reads(path, actions):
        load_validated(library_dir, folder)
    served = load_validated(library_dir, folder).library
    assert served.scripts == validate(library_dir).library.scripts


def test_an_index_with_more_rows_than_the_library_is_refused(library_dir: Path, tmp_path: Path) -> None:
    """The index of a longer library, stamped with this library's hash, used to crash lookups
    with IndexError: the manifest's rows are the library's or the index is refused."""
    folder = tmp_path / "index"
    longer = small_library(tmp_path / "longer", scripts=with_new_example(SCRIPTS_YAML))
    build_index(load_library(longer), HashEncoder(), folder)
    edit_json(folder / "manifest.json",
              lambda data: {**data, "library_hash": load_library(library_dir).content_hash})
    with pytest.raises(IndexStateError, match="assist build"):
        load_small(library_dir, folder).suggest("我的卡被冻结了")


# ===== 2. a block phrase split across two fields =========================================

SPLIT_SCRIPT = """\
  - id: otp_split.zh
    scenario: account_frozen
    language: zh-Hans
    empathy: 我理解您的着急，为了核实身份，麻烦您报一下
    solution_preview: 手机上收到的验证码，我马上帮您处理。
    examples:
      - 帮我解冻账户
"""
CREDENTIAL_RULE = """\
  - id: test.credential
    category: credential_request
    severity: block
    applies_to: agent
    patterns:
      - regex: '报一下.{0,12}验证码'
    explanation: 银行不会向客户索要验证码。
    reference: 测试规则
    suggestion: 请勿向任何人透露验证码。
"""


def split_library(root: Path) -> Path:
    from tests.conftest import RULES_YAML

    return small_library(root, scripts=SCRIPTS_YAML + SPLIT_SCRIPT, rules=RULES_YAML + CREDENTIAL_RULE)


def test_a_block_phrase_split_across_empathy_and_preview_is_refused_by_validate(tmp_path: Path) -> None:
    from assist.cli import app
    from assist.compliance.rule_files import load_rule_pack
    from assist.types import join_reply

    root = split_library(tmp_path / "lib")
    pack = load_rule_pack(root)
    empathy, preview = "我理解您的着急，为了核实身份，麻烦您报一下", "手机上收到的验证码，我马上帮您处理。"
    assert not [v for v in pack.check(empathy) + pack.check(preview) if v.severity == "block"]
    assert [v for v in pack.check(join_reply(empathy, preview)) if v.severity == "block"]  # what the agent reads
    result = CliRunner().invoke(app, ["validate", "--library", str(root)])
    assert result.exit_code == 4, result.output
    assert "otp_split.zh" in result.output
    with pytest.raises(LibraryError, match=r"otp_split\.zh"):
        Assistant.load(root, encoder=HashEncoder(), index_dir=tmp_path / "index", log=QUIET)


def test_the_steps_as_shown_and_traditional_conversions_are_checked(tmp_path: Path) -> None:
    from assist.compliance.checks import served_texts
    from assist.types import Script

    script = Script(id="x.zh", scenario="account_frozen", language="zh-Hans", examples=("例",),
                    empathy="我理解您，", solution_preview="我们马上处理软件问题。", steps=("核实身份", "报一下验证码"))
    served = dict(served_texts(script))
    assert served["reply"] == "我理解您，我们马上处理软件问题。"
    assert served["card"] == "我理解您，我们马上处理软件问题。\n\n1. 核实身份\n2. 报一下验证码"
    assert any("軟體" in text for where, text in served.items() if "s2twp" in where)


# ===== 3. trusted side files ===============================================================


@pytest.fixture
def validated_once(library_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    from assist.compliance.validated import SNAPSHOT_FILE, load_validated

    folder = tmp_path / "index"
    load_validated(library_dir, folder)
    assert (folder / SNAPSHOT_FILE).is_file()
    return library_dir, folder


def test_a_flipped_byte_in_the_validated_snapshot_never_changes_a_reply(validated_once: tuple[Path, Path]) -> None:
    from assist.compliance.validated import SNAPSHOT_FILE, load_validated, validate

    root, folder = validated_once
    path = folder / SNAPSHOT_FILE
    raw = path.read_bytes()
    at = raw.index("冻结原因".encode())
    path.write_bytes(raw[:at] + "冻结理由".encode() + raw[at + len("冻结原因".encode()):])  # still valid JSON
    assert load_validated(root, folder).library.scripts == validate(root).library.scripts


def test_a_hand_edited_reply_in_the_validated_snapshot_is_never_served(validated_once: tuple[Path, Path]) -> None:
    from assist.compliance.validated import SNAPSHOT_FILE, load_validated

    root, folder = validated_once
    path = folder / SNAPSHOT_FILE
    path.write_bytes(path.read_bytes().replace("我会立即为您核查冻结原因".encode(), "请把钱转到安全账户".encode()))
    served = load_validated(root, folder).library.script("account_frozen.zh")
    assert served is not None and "安全账户" not in served.reply


def test_neutered_fraud_patterns_in_the_validated_snapshot_never_remove_a_pin(
    validated_once: tuple[Path, Path]
) -> None:
    from assist.compliance.validated import SNAPSHOT_FILE, load_validated

    root, folder = validated_once
    path = folder / SNAPSHOT_FILE
    path.write_bytes(path.read_bytes().replace("安全账户".encode(), "无此说法".encode()))
    pack = load_validated(root, folder).rules
    assert "test.safe_account" in [rule.id for rule, _ in pack.pins("公安让我把钱转到安全账户")]


@pytest.mark.parametrize("threshold", [9.5, math.nan])
def test_a_calibration_out_of_range_is_refused_with_the_command(
    library_dir: Path, tmp_path: Path, threshold: float
) -> None:
    """9.5 made every lookup abstain and NaN none; both are refused, naming the fix."""
    from assist.indexing.store import write_calibration

    folder = tmp_path / "index"
    manifest = build_index(load_library(library_dir), HashEncoder(), folder)
    write_calibration(folder, manifest, 0.42, {})
    edit_json(folder / "calibration.json", lambda data: {**data, "threshold": threshold})
    with pytest.raises(IndexStateError, match="--calibrate"):
        load_small(library_dir, folder)


def test_a_manifest_with_an_empty_files_map_never_serves_a_corrupted_index(library_dir: Path, tmp_path: Path) -> None:
    """An empty map skipped every checksum, and a corrupted dense.faiss scored 2.3e36."""
    folder = tmp_path / "index"
    manifest = build_index(load_library(library_dir), HashEncoder(), folder)
    edit_json(folder / "manifest.json", lambda data: {**data, "files": {}})
    dense = folder / manifest.build / "dense.faiss"
    raw = bytearray(dense.read_bytes())
    raw[-200:-8] = b"\x7f" * 192  # the last vectors become huge floats
    dense.write_bytes(bytes(raw))
    with pytest.raises(IndexStateError, match="assist build"):
        load_small(library_dir, folder)
    rebuilt = load_small(library_dir, folder, auto_build=True)
    scores = [c.score for c in rebuilt.suggest("我的卡被冻结了").candidates]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_a_partial_files_map_is_refused(library_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    build_index(load_library(library_dir), HashEncoder(), folder)
    edit_json(folder / "manifest.json",
              lambda data: {**data, "files": {k: v for k, v in data["files"].items() if k != "head.npz"}})
    with pytest.raises(IndexStateError, match=r"head\.npz"):
        load_small(library_dir, folder)


def test_a_damaged_manifest_seal_is_refused(library_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    build_index(load_library(library_dir), HashEncoder(), folder)
    path = folder / "manifest.json"
    path.write_bytes(path.read_bytes().replace(b'"examples": 12', b'"examples": 13'))
    with pytest.raises(IndexStateError, match="assist build"):
        read_manifest(folder)


# ===== 5. two builds at once ================================================================

BUILD_CHILD = r"""
import sys, time
from pathlib import Path

import assist.indexing.lexical as lexical
import assist.indexing.store as store
from assist.library.loader import load_library
from tests.conftest import HashEncoder

library, folder, go = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if go != "-":
    save = lexical.LexicalIndex.save

    def save_then_wait(self, staging):
        names = save(self, staging)
        print("staging", flush=True)
        deadline = time.monotonic() + 60
        while not Path(go).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return names

    lexical.LexicalIndex.save = save_then_wait
print("started", flush=True)
store.build_index(load_library(library), HashEncoder(), folder)
print("finished", flush=True)
"""


def start_build(library: Path, folder: Path, go: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BUILD_CHILD, str(library), str(folder), go], cwd=REPO, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def wait_for(process: subprocess.Popen[str], line: str, timeout: float = 120) -> bool:
    """Whether the child printed ``line`` within ``timeout`` seconds."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.1):
            got = process.stdout.readline()
            if not got:
                raise AssertionError(f"child ended before {line!r}: {process.stderr.read() if process.stderr else ''}")
            if got.strip() == line:
                return True
    return False


def test_two_builds_at_once_both_succeed_and_leave_a_whole_index(library_dir: Path, tmp_path: Path) -> None:
    """The first build pauses with its files half written; the second must not delete them."""
    folder, go = tmp_path / "index", tmp_path / "go"
    first = start_build(library_dir, folder, str(go))
    try:
        assert wait_for(first, "staging")
        second = start_build(library_dir, folder, "-")
        assert wait_for(second, "started")
        # Unlocked, the second build finishes (and cleans up) within this wait; locked, it waits.
        wait_for(second, "finished", timeout=10)
        go.touch()
        outputs = [p.communicate(timeout=120) for p in (first, second)]
    finally:
        for process in (first,):
            if process.poll() is None:
                process.kill()
    assert [first.returncode, second.returncode] == [0, 0], outputs
    manifest = read_manifest(folder)
    assert manifest is not None
    load_index(folder, manifest)
    assert [p.name for p in folder.glob("build-*")] == [manifest.build]
    assert not list(folder.glob(".build-*.partial"))


def test_a_second_build_gives_up_after_its_wait_naming_the_holder(library_dir: Path, tmp_path: Path) -> None:
    from assist.errors import UnavailableError
    from assist.folder_lock import folder_lock

    folder, go = tmp_path / "index", tmp_path / "go"
    first = start_build(library_dir, folder, str(go))
    try:
        assert wait_for(first, "staging")
        messages: list[str] = []
        with pytest.raises(UnavailableError, match=f"process {first.pid}") as raised, \
                folder_lock(folder, wait=0.3, emit=messages.append):
            pass
        assert raised.value.exit_code == 6
        assert messages and "waiting up to 0 s" in messages[0]
        go.touch()
        first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0
    with folder_lock(folder, wait=0):  # free again once the holder has finished
        pass


def test_a_lookup_that_waited_for_a_build_uses_it_instead_of_building_again(
    library_dir: Path, tmp_path: Path
) -> None:
    import threading

    folder, go = tmp_path / "index", tmp_path / "go"
    first = start_build(library_dir, folder, str(go))
    messages: list[str] = []
    loaded: list[Assistant] = []
    try:
        assert wait_for(first, "staging")
        lookup = threading.Thread(target=lambda: loaded.append(
            Assistant.load(library_dir, encoder=HashEncoder(), index_dir=folder, log=messages.append)))
        lookup.start()
        deadline = time.monotonic() + 60
        while not any("another build" in m for m in messages) and time.monotonic() < deadline:
            time.sleep(0.02)
        go.touch()
        lookup.join(timeout=120)
        first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert any("another build" in m and f"process {first.pid}" in m for m in messages), messages
    assert not any("building the index" in m for m in messages), messages
    manifest = read_manifest(folder)
    assert loaded and manifest is not None and loaded[0].manifest.build == manifest.build


# ===== 6. read-only places ====================================================================


def test_an_index_folder_that_cannot_be_written_names_index_and_the_variable(
    library_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    with pytest.raises(IndexStateError, match=r"--index.*ASSIST_INDEX_DIR"):
        load_small(library_dir, blocker / "index", auto_build=True)
    with pytest.raises(IndexStateError, match=r"--index.*ASSIST_INDEX_DIR"):
        build_index(load_library(library_dir), HashEncoder(), blocker / "index")


def test_a_read_only_library_serves_from_an_index_elsewhere(library_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    load_small(library_dir, folder, auto_build=True)
    modes = {p: p.stat().st_mode for p in [library_dir, *library_dir.rglob("*")]}
    try:
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        assistant = load_small(library_dir, folder)
        assert assistant.suggest("我的卡被冻结了").candidates[0].scenario == "account_frozen"
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_an_unwritable_model_cache_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from assist.encoders.usem import loader as usem_loader

    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(blocker))
    assert usem_loader.load_weights()["table"].shape[1] == 512
    err = capsys.readouterr().err
    assert str(blocker) in err and "ASSIST_CACHE_DIR" in err


def test_a_damaged_model_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assist.encoders.usem import loader as usem_loader

    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path))
    first = usem_loader.load_weights()
    folder = usem_loader.cache_folder()
    table = folder / "table.npy"
    raw = bytearray(table.read_bytes())
    raw[-10] ^= 0xFF  # a flipped byte near the end, size and time kept
    stat = table.stat()
    table.write_bytes(bytes(raw))
    os.utime(table, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert usem_loader.read_cache(folder) is None
    again = usem_loader.load_weights()
    assert np.array_equal(np.asarray(again["table"]), np.asarray(first["table"]))
    assert usem_loader.read_cache(folder) is not None


# ===== 9. staleness =============================================================================


def test_library_changed_notices_an_edit_and_a_touch_is_not_a_change(library_dir: Path, tmp_path: Path) -> None:
    assistant = load_small(library_dir, tmp_path / "index", auto_build=True)
    assert not assistant.library_changed()
    path = scripts_file(library_dir)
    text = path.read_text(encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    assert not assistant.library_changed()  # same bytes
    path.write_text(with_new_example(text), encoding="utf-8")
    assert assistant.library_changed()
    path.write_text(text, encoding="utf-8")
    assert not assistant.library_changed()
    rules = library_dir / "rules" / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("测试规则", "测试规则二"), encoding="utf-8")
    assert assistant.library_changed()


def test_library_changed_notices_a_new_out_of_scope_file(library_dir: Path, tmp_path: Path) -> None:
    assistant = load_small(library_dir, tmp_path / "index", auto_build=True)
    assert not assistant.library_changed()
    (library_dir / "out_of_scope" / "mine.yaml").write_text(
        "scripts:\n  - id: oos.weather\n    scenario: out_of_scope\n    language: zh-Hans\n"
        "    empathy: 您好，\n    solution_preview: 天气请查询气象台。\n    examples:\n      - 明天下雨吗\n",
        encoding="utf-8")
    assert assistant.library_changed()


def test_health_reports_stale_and_stays_ok(library_dir: Path, tmp_path: Path) -> None:
    from assist.server.api import AssistApi

    api = AssistApi(load_small(library_dir, tmp_path / "index", auto_build=True))
    assert api.health().stale is False
    path = scripts_file(library_dir)
    path.write_text(with_new_example(path.read_text(encoding="utf-8")), encoding="utf-8")
    health = api.health()
    assert health.status == "ok" and health.stale is True


def test_http_health_and_ready_say_stale_and_stay_200(library_dir: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from assist.server.http import create_app

    assistant = load_small(library_dir, tmp_path / "index", auto_build=True)
    app = create_app(assistant, rate_limit_per_minute=None, state_dir=tmp_path / "state")
    with TestClient(app) as client:
        assert client.get("/v1/health").json()["stale"] is False
        assert client.get("/v1/ready").json()["stale"] is False
        path = scripts_file(library_dir)
        path.write_text(with_new_example(path.read_text(encoding="utf-8")), encoding="utf-8")
        health, ready = client.get("/v1/health"), client.get("/v1/ready")
        assert (health.status_code, ready.status_code) == (200, 200)
        assert health.json()["stale"] is True and ready.json()["stale"] is True


# ===== the property test ========================================================================


class Moments:
    """Counts moments (a file read, an encoder call) and saves scheduled edits at chosen ones."""

    def __init__(self, path: Path, schedule: dict[int, Callable[[str], str]]) -> None:
        self.path = path
        self.schedule = schedule
        self.count = 0
        self.written: list[str] = []

    def tick(self) -> None:
        self.count += 1
        edit = self.schedule.get(self.count)
        if edit is not None:
            with open(self.path, encoding="utf-8") as handle:
                text = edit(handle.read())
            with open(self.path, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.written.append(text)


class TickingEncoder(HashEncoder):
    def __init__(self, moments: Moments | None) -> None:
        super().__init__()
        self.moments = moments

    def encode(self, texts: Any) -> np.ndarray:
        if self.moments is not None:
            self.moments.tick()
        return super().encode(texts)


EDITS: dict[str, Callable[[int], Callable[[str], str]]] = {
    "add_example": lambda n: lambda text: text.replace(
        FROZEN_EXAMPLES, FROZEN_EXAMPLES + f"      - 冻结的账户第{n}次问\n", 1),
    "drop_example": lambda n: lambda text: (
        text.replace("      - 钱包被偷了，卡也在里面\n", "") if "钱包被偷了" in text
        else text.replace("      - 我的银行卡丢了，快帮我挂失\n",
                          "      - 我的银行卡丢了，快帮我挂失\n      - 钱包被偷了，卡也在里面\n")),
    "reword_reply": lambda n: lambda text: text.replace(
        "我先帮您梳理房贷需要的材料", f"我先帮您梳理房贷需要的第{n}份材料", 1).replace(
        f"第{n - 1}份材料", f"第{n}份材料"),
    "add_script": lambda n: lambda text: text + (
        f"  - id: extra{n}.zh\n    scenario: mortgage_process\n    language: zh-Hans\n"
        f"    empathy: 您好，\n    solution_preview: 第{n}个补充说明。\n    examples:\n      - 补充问题第{n}个\n"),
}


def expected_library(text: str, scratch: Path) -> Library:
    """The library the file text stands for, loaded in a scratch copy with no edits racing."""
    if scratch.exists():
        shutil.rmtree(scratch)
    return load_library(small_library(scratch, scripts=text))


def assert_consistent(assistant: Assistant, versions: dict[str, Library]) -> None:
    """The assistant answers from an index matching the library it reports, and that library is
    one the files really held: never a mix."""
    library = assistant.library
    assert library.content_hash in versions, "serves a library no file ever held"
    truth = versions[library.content_hash]
    assert [(s.id, s.examples, s.reply) for s in library.scripts] == \
        [(s.id, s.examples, s.reply) for s in truth.scripts]
    assert assistant.manifest.library_hash == library.content_hash
    examples = [e for s in truth.active_scripts for e in s.examples]
    assert assistant.index.dense.ntotal == len(examples) == assistant.index.lexical.n_docs
    expected = HashEncoder().encode([normalise(e) for e in examples])
    assert np.allclose(assistant.index.vectors, expected, atol=1e-6)
    for script in truth.active_scripts[:3]:
        top = assistant.suggest(script.examples[0]).candidates[0]
        owner = truth.script(top.script_id)
        assert owner is not None and top.matched_example in owner.examples
        assert top.reply == owner.reply


@contextmanager
def ticking_reads(moments: Moments) -> Iterator[None]:
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        moments.tick()
        return original(self)

    with mock.patch.object(Path, "read_bytes", read_bytes):
        yield


@pytest.fixture(scope="module")
def own_rules_only() -> Iterator[None]:
    """The library's own rule file only: the shipped pack's parse (~0.1 s) on each of hundreds of
    revalidations is not what this test is about."""
    from functools import partial

    from assist.compliance import rule_files, validated

    if "with_shipped" not in rule_files.load_rule_pack.__code__.co_varnames:
        yield
        return
    with mock.patch.object(validated, "load_rule_pack", partial(rule_files.load_rule_pack, with_shipped=False)):
        yield


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(schedule={3: "add_example"}, mode="build_then_load", prebuilt=False)  # mixed on the code before
@example(schedule={2: "reword_reply", 5: "add_script"}, mode="auto_build", prebuilt=True)
@given(
    schedule=st.dictionaries(st.integers(1, 15), st.sampled_from(sorted(EDITS)), max_size=3),
    mode=st.sampled_from(["auto_build", "build_then_load", "load_built"]),
    prebuilt=st.booleans(),
)
def test_random_edits_at_random_moments_never_give_a_mixed_answer(
    own_rules_only: None, schedule: dict[int, str], mode: str, prebuilt: bool
) -> None:
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        root = small_library(scratch / "lib")
        folder = scratch / "index"
        path = scripts_file(root)
        versions: dict[str, Library] = {}

        def record(text: str) -> None:
            library = expected_library(text, scratch / "truth" / "lib")
            versions[library.content_hash] = library

        record(SCRIPTS_YAML)
        if prebuilt:
            load_small(root, folder, auto_build=True)
        moments = Moments(path, {at: EDITS[kind](at) for at, kind in schedule.items()})
        loaded: Assistant | None = None
        try:
            with ticking_reads(moments):
                if mode == "auto_build":
                    loaded = Assistant.load(root, encoder=TickingEncoder(moments), index_dir=folder, log=QUIET)
                elif mode == "build_then_load":
                    build_index(load_library(root), TickingEncoder(moments), folder)
                    loaded = Assistant.load(root, encoder=TickingEncoder(moments), index_dir=folder,
                                            auto_build=False, log=QUIET)
                else:
                    loaded = Assistant.load(root, encoder=TickingEncoder(moments), index_dir=folder,
                                            auto_build=False, log=QUIET)
        except AssistError:
            loaded = None  # raising is allowed; a wrong answer is not
        for text in moments.written:
            record(text)
        if loaded is not None:
            assert_consistent(loaded, versions)
        # Afterwards, with the files at rest: current and consistent, or refused with the command.
        try:
            rested = load_small(root, folder)
        except IndexStateError as error:
            assert "assist build" in str(error)
        else:
            assert_consistent(rested, versions)
            assert rested.library.content_hash == load_library(root).content_hash
