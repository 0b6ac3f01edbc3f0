"""Reliability: index integrity and atomic builds, thread safety, limits and security.

* A truncated, corrupted, mismatched or missing index file, and a damaged
  manifest, end in an IndexStateError that names the fix (``assist build``).
* A build killed with SIGKILL at any point leaves the previous index loadable.
* One Assistant shared by 8 threads gives exactly the answers it gives one by one.
* Documented limits raise typed errors naming the limit or the file.
* Library files may not point outside the library; only safe YAML loading is used.
"""

from __future__ import annotations

import os
import random
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assist.atomic_write import read_sealed_json, write_sealed_json
from assist.compliance.rule_files import load_rule_pack
from assist.errors import IndexStateError, InputError, LibraryError
from assist.indexing.store import Manifest, build_index, load_index, read_manifest
from assist.library.loader import load_library
from assist.limits import MAX_LIBRARY_FILE_BYTES, MAX_TEXT_FIELD_CHARS, MAX_UTTERANCE_CHARS
from assist.lookup.assistant import Assistant
from assist.types import Suggestion
from tests.conftest import RULES_YAML, SCRIPTS_YAML, HashEncoder, write_library

REPO = Path(__file__).resolve().parents[1]
FROZEN = "卡被冻结了，钱取不出来"


def load_small(library_dir: Path, folder: Path, auto_build: bool = False) -> Assistant:
    return Assistant.load(
        library_dir, encoder=HashEncoder(), index_dir=folder, auto_build=auto_build, log=lambda _: None
    )


def answers_frozen(assistant: Assistant) -> None:
    suggestion = assistant.suggest(FROZEN)
    assert suggestion.candidates[0].scenario == "account_frozen"


@pytest.fixture
def built(library_dir: Path, tmp_path: Path) -> tuple[Path, Path, Manifest]:
    """A small library and its index (HashEncoder): (library, index folder, manifest)."""
    folder = tmp_path / "index"
    manifest = build_index(load_library(library_dir), HashEncoder(), folder)
    return library_dir, folder, manifest


# ===== index integrity =================================================================

INDEX_FILES = ("dense.faiss", "lexical.npz", "lexical_vocab.json", "head.npz")


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate_half":
        path.write_bytes(data[: len(data) // 2])
    elif how == "truncate_empty":
        path.write_bytes(b"")
    elif how == "flip_byte":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif how == "append":
        path.write_bytes(data + b"\0garbage")
    elif how == "delete":
        path.unlink()
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("name", INDEX_FILES)
@pytest.mark.parametrize("how", ["truncate_half", "truncate_empty", "flip_byte", "append", "delete"])
def test_damaged_index_file_is_detected_with_the_fix(built: tuple[Path, Path, Manifest], name: str, how: str) -> None:
    library_dir, folder, manifest = built
    damage(folder / manifest.build / name, how)
    with pytest.raises(IndexStateError, match="assist build") as caught:
        load_index(folder, manifest)
    assert name in str(caught.value)
    with pytest.raises(IndexStateError, match="assist build"):
        load_small(library_dir, folder)
    answers_frozen(load_small(library_dir, folder, auto_build=True))


def consistent_manifest(folder: Path, manifest: Manifest) -> None:
    """Re-checksum the build's files into the manifest, as if it had been forged to match."""
    from assist.indexing.store import sha256_file

    data = read_sealed_json(folder / "manifest.json")
    data["files"] = {name: sha256_file(folder / manifest.build / name) for name in manifest.files}
    write_sealed_json(folder / "manifest.json", data)


@pytest.mark.parametrize("name", INDEX_FILES)
def test_files_mixed_from_another_build_are_detected(
    built: tuple[Path, Path, Manifest], tmp_path: Path, name: str
) -> None:
    """A file copied in from the index of another library (checksums rewritten to match)."""
    library_dir, folder, manifest = built
    scripts = SCRIPTS_YAML.replace("      - 对方自称警察要我转账\n", "").replace("      - 二手房贷款流程是怎样的\n", "")
    other_library = write_library(tmp_path / "other", scripts=scripts)
    other = build_index(load_library(other_library), HashEncoder(), tmp_path / "other_index")
    shutil.copyfile(tmp_path / "other_index" / other.build / name, folder / manifest.build / name)
    with pytest.raises(IndexStateError, match="assist build"):
        load_index(folder, manifest)
    consistent_manifest(folder, manifest)
    forged = read_manifest(folder)
    assert forged is not None
    if name == "head.npz":
        # The head only re-weights scenarios; a head from another build of the same
        # scenarios is interchangeable, so it must at least load and answer.
        answers_frozen(load_small(library_dir, folder))
        return
    with pytest.raises(IndexStateError, match="assist build"):
        load_index(folder, forged)


def test_manifest_pointing_at_a_missing_build_folder(built: tuple[Path, Path, Manifest]) -> None:
    library_dir, folder, manifest = built
    shutil.rmtree(folder / manifest.build)
    with pytest.raises(IndexStateError, match="assist build"):
        load_index(folder, manifest)
    with pytest.raises(IndexStateError, match="assist build"):
        load_small(library_dir, folder)
    answers_frozen(load_small(library_dir, folder, auto_build=True))


def test_manifest_of_another_library_or_model_is_stale(built: tuple[Path, Path, Manifest]) -> None:
    library_dir, folder, _ = built
    data = read_sealed_json(folder / "manifest.json")
    for key, value in (("library_hash", "0" * 64), ("model_id", "another-model"), ("format", 999),
                       ("examples", data["examples"] + 1), ("rows", "0" * 64)):
        write_sealed_json(folder / "manifest.json", {**data, key: value})
        with pytest.raises(IndexStateError, match="assist build"):
            load_small(library_dir, folder)
    answers_frozen(load_small(library_dir, folder, auto_build=True))


MANIFEST_TEXTS = (
    "",
    "{",
    "[]",
    "null",
    "42",
    '"text"',
    "{}",
    '{"format": 1}',
    "\xff\xfe",
    '{"build": "x"}',
)
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.just("../x"),
    st.just("build-../../etc"),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers()), max_size=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.dictionaries(
        st.sampled_from(
            [
                "format",
                "model_id",
                "library_hash",
                "dim",
                "scripts",
                "examples",
                "index_type",
                "build",
                "created",
                "rows",
                "files",
                "extra",
            ]
        ),
        field_values,
        min_size=1,
        max_size=3,
    ),
    drop=st.lists(st.sampled_from(["files", "build", "dim", "examples"]), max_size=1),
)
def test_damaged_manifest_is_an_index_state_error(
    built: tuple[Path, Path, Manifest], changes: dict[str, Any], drop: list[str]
) -> None:
    library_dir, pristine, _ = built
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "index"
        shutil.copytree(pristine, folder)  # each example starts from the intact index
        path = folder / "manifest.json"
        data = {**read_sealed_json(path), **changes}
        for key in drop:
            data.pop(key, None)
        write_sealed_json(path, data)  # forged with a valid seal: the fields themselves are checked
        try:
            answers_frozen(load_small(library_dir, folder))
        except IndexStateError as error:
            assert "assist build" in str(error)
        try:
            answers_frozen(load_small(library_dir, folder, auto_build=True))
        except IndexStateError as error:
            assert "assist build" in str(error)


@pytest.mark.parametrize("text", MANIFEST_TEXTS)
def test_unreadable_manifest_text(built: tuple[Path, Path, Manifest], text: str) -> None:
    library_dir, folder, _ = built
    (folder / "manifest.json").write_bytes(text.encode("latin-1"))
    for auto_build in (False, True):
        try:
            answers_frozen(load_small(library_dir, folder, auto_build=auto_build))
        except IndexStateError as error:
            assert "assist build" in str(error)


# ===== atomic builds ===================================================================

BUILD_CHILD = r"""
import os, sys, time
from pathlib import Path

import assist.indexing.store as store
import assist.indexing.lexical as lexical
from assist.library.loader import Library
from assist.types import Script
from tests.conftest import HashEncoder

folder, phase, examples = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])


def pause(name):
    print(name, flush=True)
    time.sleep(600)


per_script = 500
scripts = tuple(
    Script(
        id=f"synthetic.s{i}", scenario=f"synthetic_{i}", language="en",
        examples=tuple(
            f"synthetic customer utterance {i}-{j} about card {j * 7919 % 10007}"
            for j in range(min(per_script, examples - i * per_script))
        ),
        empathy="I understand.", solution_preview="Let me check.",
    )
    for i in range((examples + per_script - 1) // per_script)
)
library = Library(root=folder.parent / "synthetic", scripts=scripts,
                  scenarios=tuple(s.scenario for s in scripts), content_hash="synthetic")


class SlowEncoder(HashEncoder):
    def encode(self, texts):
        pause("encoding")


save_lexical = lexical.LexicalIndex.save
replace = os.replace
if phase == "staging":
    def save_then_pause(self, staging):
        names = save_lexical(self, staging)
        pause("staging")
        return names
    lexical.LexicalIndex.save = save_then_pause
elif phase == "renamed":
    def pause_before_manifest(path, data, indent=None):
        pause("renamed")
    store.write_sealed_json = pause_before_manifest
elif phase == "manifest_temp":
    def replace_after_pause(source, target):
        if Path(target).name == "manifest.json":
            pause("manifest_temp")
        return replace(source, target)
    store.os.replace = replace_after_pause
print("started", flush=True)
store.build_index(library, SlowEncoder() if phase == "encoding" else HashEncoder(), folder)
print("finished", flush=True)
"""


def start_build(folder: Path, phase: str, examples: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BUILD_CHILD, str(folder), phase, str(examples)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def wait_for_line(process: subprocess.Popen[str], wanted: str, timeout: float) -> None:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
            if line.strip() == wanted:
                return
            if not line:
                break
    process.kill()
    raise AssertionError(f"child never printed {wanted!r}: {process.stderr.read() if process.stderr else ''}")


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def partials(folder: Path) -> list[Path]:
    return sorted(folder.glob(".build-*.partial"))


def assert_previous_index_intact(library_dir: Path, folder: Path, manifest: Manifest, manifest_bytes: bytes) -> None:
    assert (folder / "manifest.json").read_bytes() == manifest_bytes
    assert read_manifest(folder) == manifest
    loaded = load_index(folder, manifest)
    assert loaded.dense.ntotal == manifest.examples
    answers_frozen(load_small(library_dir, folder))


@pytest.mark.parametrize("phase", ["encoding", "staging", "renamed", "manifest_temp"])
def test_build_killed_at_each_step_leaves_the_previous_index(built: tuple[Path, Path, Manifest], phase: str) -> None:
    library_dir, folder, manifest = built
    before = (folder / "manifest.json").read_bytes()
    child = start_build(folder, phase, 2_000)
    try:
        wait_for_line(child, phase, timeout=120)
        if phase == "staging":
            assert partials(folder) and (partials(folder)[0] / "lexical.npz").is_file()
        if phase in ("renamed", "manifest_temp"):
            assert len(list(folder.glob("build-*"))) == 2
        kill(child)
    finally:
        if child.poll() is None:
            child.kill()
    assert_previous_index_intact(library_dir, folder, manifest, before)
    # The next build succeeds and clears what the killed one left behind.
    rebuilt = build_index(load_library(library_dir), HashEncoder(), folder)
    assert not partials(folder)
    assert [p.name for p in folder.glob("build-*")] == [rebuilt.build]
    answers_frozen(load_small(library_dir, folder))


def test_build_of_20000_examples_killed_mid_way(built: tuple[Path, Path, Manifest]) -> None:
    """No hooks: poll until the staging folder appears (or 1.5 s after the build
    starts, whichever comes first), then SIGKILL."""
    library_dir, folder, manifest = built
    before = (folder / "manifest.json").read_bytes()
    child = start_build(folder, "natural", 20_000)
    try:
        wait_for_line(child, "started", timeout=120)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and not partials(folder):
            time.sleep(0.002)
        assert child.poll() is None, "the build finished before it could be killed"
        kill(child)
    finally:
        if child.poll() is None:
            child.kill()
    assert_previous_index_intact(library_dir, folder, manifest, before)


# ===== thread safety ===================================================================

BASE_UTTERANCES = (
    "我的银行卡突然被冻结了，工资取不出来",
    "卡被锁了，说是风控，怎么解",
    "账户显示只收不付是什么情况",
    "钱包丢了，里面有两张你们的卡",
    "信用卡好像被偷了，赶紧帮我停掉",
    "昨天在地铁上把借记卡弄丢了",
    "取款机把我的卡吞了还没吐出来",
    "ATM吞卡了，我现在人还在机器旁边",
    "密码输错三次被锁了",
    "忘记手机银行登录密码了怎么重置",
    "给我妈转的钱三天了还没到账",
    "跨行转账一直显示处理中",
    "转账限额太低了，付不了房租",
    "怎么把每日转账额度调高一点",
    "同一笔消费扣了我两次钱",
    "超市刷卡被重复扣款了",
    "账单上有一笔我不认识的境外消费",
    "凌晨有人用我的卡刷了五千块",
    "年费凭什么扣我三百",
    "这个手续费我从来没同意过",
    "信用卡额度能不能提高到五万",
    "临时额度怎么申请",
    "我申请的信用卡寄到哪里了",
    "新卡收到了怎么激活",
    "这个月账单怎么分期还",
    "还款日能不能往后推几天",
    "逾期了两天会不会上征信",
    "罚息算得也太多了吧",
    "办房贷需要准备哪些材料",
    "公积金和商业贷款组合怎么办",
    "我想提前还一部分房贷",
    "提前还款要不要违约金",
    "贷款审批到哪一步了",
    "为什么我的贷款被拒了",
    "手机银行一直提示网络异常登录不上",
    "人脸识别老是失败",
    "你们系统是不是崩了，转账一直失败",
    "刚才付款页面卡住了钱扣了没到",
    "这个理财产品保本吗",
    "收益率是不是保证的",
    "买的基金亏了百分之二十，当初说没风险",
    "客户经理误导我买了高风险产品",
    "三年定期现在利率多少",
    "大额存单提前取出利息怎么算",
    "能不能不验证身份直接帮我查一下",
    "我没带身份证，你就帮我通融一下吧",
    "我是他老婆，帮我查下他卡里还有多少钱",
    "我爸住院了，我想替他取钱",
    "有个自称公安的人让我把钱转到安全账户",
    "对方说是客服，要我报验证码",
    "收到短信说我的积分要过期，让我点链接",
    "有人打电话说我的卡涉嫌洗钱",
    "你们这个流程说明写得太不清楚了",
    "网点排队排了两个小时",
    "电话打了半天都没人接",
    "柜员态度太差了，我要投诉她",
    "这个问题我已经打了四次电话了还没解决",
    "叫你们经理来跟我说",
    "我要向银保监会投诉你们",
    "我年纪大了，手机上的东西看不懂",
    "老人家不会用自助机，能不能教我",
    "我听力不好，能不能用文字沟通",
    "我坐轮椅，网点有没有无障碍通道",
    "I'm a foreign customer, how do I open an account here",
    "公司账户今天下午必须付款给供应商，很急",
    "企业网银转账被退回了，客户在催",
    "孩子在国外留学，怎么给他汇学费",
    "每年换汇额度是多少",
    "开个人账户需要带什么",
    "我要销户，怎么办理",
    "手机号换了，怎么改预留号码",
    "搬家了想改一下账单地址",
    "我父亲去世了，他的存款怎么继承",
    "家人过世后银行卡怎么处理",
    "My card was frozen and I can't pay for anything",
    "I lost my wallet with my debit card in it",
    "The ATM swallowed my card",
    "I forgot my online banking password",
    "My transfer to my landlord hasn't arrived after three days",
    "How can I raise my daily transfer limit",
    "I was charged twice for the same purchase",
    "There's a payment on my statement I don't recognise",
    "Why was I charged an annual fee",
    "Can you increase my credit limit",
    "When will my new credit card arrive",
    "Can I pay my credit card bill in instalments",
    "Will a late payment affect my credit score",
    "What documents do I need for a mortgage",
    "I want to pay off my loan early",
    "My loan application was rejected, why",
    "I can't log in to the mobile app",
    "Your system was down and my payment failed",
    "Is this investment product guaranteed",
    "I lost money on the fund you sold me",
    "What is the interest rate on a one-year deposit",
    "Can you skip the security questions this once",
    "I'm calling about my husband's account balance",
    "Someone claiming to be police told me to move my money",
    "A man on the phone asked for the code you just texted me",
    "I got a text with a link saying my account is locked",
    "I've been on hold for forty minutes",
    "The staff at the branch were really rude",
    "This is the third time I'm calling about the same issue",
    "I want to speak to a manager",
    "帳戶被凍結了，要怎麼解凍？",
    "信用卡不見了，請幫我掛失",
    "轉帳到現在還沒入帳",
    "我的卡 card 被 freeze 了",
    "transfer 一直 pending 怎么办",
    "今天天气怎么样",
    "推荐一家好吃的火锅店",
    "",
    "   ",
    "？？？",
    "啊",
    "hello",
)
PREFIXES = ("", "你好，", "Hi, ")
SUFFIXES = ("", "，谢谢", " please")


def utterance_pool() -> list[str]:
    pool = dict.fromkeys(
        f"{prefix}{text}{suffix}" for text in BASE_UTTERANCES for prefix, suffix in zip(PREFIXES, SUFFIXES, strict=True)
    )
    return [text for text in pool if text.strip()]  # a blank utterance is an InputError, not a lookup


def fingerprint(suggestion: Suggestion) -> tuple[Any, ...]:
    return (
        tuple((c.scenario, c.script_id, c.score, c.dense_score, c.lexical_score) for c in suggestion.candidates),
        suggestion.pinned_by,
        suggestion.abstained,
        suggestion.reply,
        suggestion.margin,
        tuple(suggestion.alerts),
        suggestion.escalation,
    )


@pytest.fixture(scope="module")
def shipped() -> Assistant:
    return Assistant.load(log=lambda _: None)


THREADS = 8
LOOKUPS = 10_000


def run_threads(work: list[str], call: Callable[[str], Any]) -> list[Any]:
    """``call`` on every item of ``work`` from THREADS threads; results in work order."""
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(offset: int) -> None:
        try:
            start.wait()
            for index in range(offset, len(work), THREADS):
                results[index] = call(work[index])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    return results


@pytest.mark.model
def test_shared_assistant_gives_identical_answers_from_8_threads(shipped: Assistant) -> None:
    pool = utterance_pool()
    assert len(pool) >= 300
    expected = {text: fingerprint(shipped.suggest(text)) for text in pool}
    assert len({answer[0][0][0] for answer in expected.values() if answer[0]}) >= 20, "pool too narrow"
    work = [pool[i % len(pool)] for i in range(LOOKUPS)]
    random.Random(8).shuffle(work)
    answers = run_threads(work, lambda text: fingerprint(shipped.suggest(text)))
    mismatches = [(text, got) for text, got in zip(work, answers, strict=True) if got != expected[text]]
    assert not mismatches, mismatches[:3]


@pytest.mark.model
def test_shared_assistant_checks_drafts_identically_from_8_threads(shipped: Assistant) -> None:
    drafts = [
        "这个产品保本保息，稳赚不赔",
        "请您把验证码告诉我，我帮您操作",
        "这是系统问题，我们也没办法",
        "您先把钱转到安全账户",
        "我们不会索要您的验证码",
        "This fund is guaranteed to return 8%",
        "Please read me the code we just sent",
        "We will never ask for your PIN",
        "好的，我马上为您核查",
        *utterance_pool()[:150],
    ]
    expected = {draft: shipped.check(draft) for draft in drafts}
    work = [drafts[i % len(drafts)] for i in range(4_000)]
    random.Random(9).shuffle(work)
    results = run_threads(work, shipped.check)
    assert all(got == expected[draft] for draft, got in zip(work, results, strict=True))


# ===== limits ==========================================================================


@pytest.mark.parametrize("length", [MAX_UTTERANCE_CHARS + 1, 100_000])
def test_too_long_utterance_names_the_limit(built: tuple[Path, Path, Manifest], length: int) -> None:
    library_dir, folder, _ = built
    assistant = load_small(library_dir, folder)
    text = "卡" * length
    limit = f"{MAX_UTTERANCE_CHARS:,}"
    for call in (assistant.suggest, assistant.check, lambda t: assistant.suggest_many(["卡", t])):
        with pytest.raises(InputError, match=limit):
            call(text)
    assert assistant.suggest("卡" * MAX_UTTERANCE_CHARS).reply


def test_over_limit_script_and_rule_files_name_the_file(library_dir: Path) -> None:
    padding = "# " + "x" * MAX_LIBRARY_FILE_BYTES + "\n"
    (library_dir / "scripts" / "big.yaml").write_text(padding, encoding="utf-8")
    with pytest.raises(LibraryError, match=r"lib/scripts/big\.yaml.*over the 5,000,000-byte limit"):
        load_library(library_dir)
    (library_dir / "scripts" / "big.yaml").unlink()
    (library_dir / "rules" / "big.yaml").write_text(RULES_YAML + padding, encoding="utf-8")
    with pytest.raises(LibraryError, match=r"lib/rules/big\.yaml.*over the 5,000,000-byte limit"):
        load_rule_pack(library_dir)
    (library_dir / "scenarios.yaml").write_text(padding, encoding="utf-8")
    with pytest.raises(LibraryError, match=r"lib/scenarios\.yaml"):
        load_library(library_dir)


def test_over_limit_text_field_names_file_and_line(library_dir: Path) -> None:
    long_example = "长" * (MAX_TEXT_FIELD_CHARS + 1)
    path = library_dir / "scripts" / "main.yaml"
    target = "      - 办房贷需要准备什么材料\n"
    assert target in SCRIPTS_YAML
    path.write_text(SCRIPTS_YAML.replace(target, f"{target}      - {long_example}\n"), encoding="utf-8")
    with pytest.raises(LibraryError, match=r"lib/scripts/main\.yaml:\d+: field 'examples'"):
        load_library(library_dir)


def test_too_many_examples_is_a_library_error(library_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assist.library.loader

    monkeypatch.setattr(assist.library.loader, "MAX_EXAMPLES", 5)
    with pytest.raises(LibraryError, match="exceed the 5 limit"):
        load_library(library_dir)


# ===== security ========================================================================


@pytest.mark.parametrize("which", ["scripts/evil.yaml", "scenarios.yaml", "rules/evil.yaml"])
def test_symlink_out_of_the_library_is_refused(library_dir: Path, tmp_path: Path, which: str) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(
        (library_dir / which.replace("evil", "main" if "scripts" in which else "rules")).read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    link = library_dir / which
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    with pytest.raises(LibraryError, match="outside the library") as caught:
        if which.startswith("rules"):
            load_rule_pack(library_dir)
        else:
            load_library(library_dir)
    assert str(link) in str(caught.value)


def test_symlinked_folder_out_of_the_library_is_not_read(library_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "extra.yaml").write_text(
        SCRIPTS_YAML.replace("id: ", "id: outside.").replace("scripts:\n", "scripts:\n", 1), encoding="utf-8"
    )
    (library_dir / "scripts" / "linked").symlink_to(outside, target_is_directory=True)
    try:
        library = load_library(library_dir)
    except LibraryError as error:
        assert "outside the library" in str(error)
        return
    assert not [s for s in library.scripts if s.id.startswith("outside.")]


def test_symlink_inside_the_library_is_allowed(library_dir: Path) -> None:
    (library_dir / "shared").mkdir()
    (library_dir / "scripts" / "main.yaml").rename(library_dir / "shared" / "main.yaml")
    (library_dir / "scripts" / "main.yaml").symlink_to(library_dir / "shared" / "main.yaml")
    assert len(load_library(library_dir).scripts) == 6


UNSAFE = re.compile(
    r"yaml\.load\(|yaml\.load_all\(|unsafe_load|full_load|yaml\.Loader\b|UnsafeLoader|FullLoader"
    r"|\bimport pickle\b|\bfrom pickle\b|\bpickle\.(?:load|Unpickler)|cPickle"
    r"|allow_pickle\s*=\s*True|\bdill\b|marshal\.load"
    r"|(?<![.\w])eval\(|(?<![.\w])exec\("
)


IN_JOB_PICKLE = {"ray_engine.py"}
"""Modules that pickle objects in memory to hand them between the processes of one Ray job (Ray's
own transport pickles every argument anyway); they never unpickle a file or anything from outside
the job, which the second check below holds them to."""


def test_package_uses_safe_loading_only() -> None:
    sources = sorted((REPO / "assist").rglob("*.py"))
    assert len(sources) > 10
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if UNSAFE.search(line) and not (path.name in IN_JOB_PICKLE and "pickle" in line and "pickle.load(" not in line)
    ]
    assert not found, found
    for path in sources:
        if path.name in IN_JOB_PICKLE:
            text = path.read_text(encoding="utf-8")
            assert "pickle.load(" not in text and "Unpickler" not in text and "open(" not in text, path
    loaders = {
        match.group(1)
        for path in sources
        for match in re.finditer(r"Loader=([\w.]+)", path.read_text(encoding="utf-8"))
    }
    assert loaders <= {"yaml.SafeLoader", "yaml.CSafeLoader"}, loaders
