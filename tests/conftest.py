"""Shared fixtures: small libraries written into tmp_path, and encoders.

``HashEncoder`` is a tiny deterministic encoder (hashed character bigrams) for
tests whose point is not the model; retrieval-quality tests use the real
default model through the session-scoped ``default_encoder`` fixture.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from assist.compliance.rules import RulePack

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval"

# Hypothesis profiles. "ci" (chosen when CI=true) is deterministic, so a CI failure reproduces
# on any machine, runs fewer examples where a test does not set its own count, and has no
# deadline: CI machines are shared and slow. HYPOTHESIS_PROFILE=NAME chooses one by hand.
settings.register_profile(
    "ci", derandomize=True, database=None, max_examples=25, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() == "true" else "default")
)

# Tests left out of the fast subset (`pytest -m "not slow"`, under a minute) besides every
# `model` test and every test that loads the real encoder: those that took half a second or more
# in a `pytest -m "not model" --junitxml` run on the shared 2-core VM (a busy one: about a fifth
# of a second idle), by file when most of a file's tests are slow, else by test (all its
# parameters). A new test that is slow belongs here, or under a `model` marker.
SLOW_FILES: frozenset[str] = frozenset({
    "test_assistant.py", "test_bench.py", "test_calls_e2e.py", "test_calls_http.py", "test_calls_loop.py",
    "test_console_browser.py", "test_server_console.py", "test_server_logs.py", "test_calls_store.py",
    "test_shipped_library.py", "test_inspect.py", "test_calibration.py",
    "test_calls_memory.py", "test_cascade.py", "test_evaluate.py", "test_fuzz.py", "test_gaps.py",
    "test_importer.py", "test_integrity.py", "test_parallel.py", "test_ranker.py", "test_ray_engine.py",
    "test_report.py", "test_search.py", "test_server_workers.py", "test_session.py", "test_st_module.py",
    "test_usem_loader.py", "test_validated.py", "test_wheel.py",
})
SLOW_TESTS: frozenset[str] = frozenset({
    "test_cli.py::test_build_and_import_are_quiet_when_piped",
    "test_cli.py::test_check_exit_codes",
    "test_cli.py::test_dash_reads_stdin",
    "test_cli.py::test_evaluate_and_calibrate",
    "test_cli.py::test_evaluate_bad_line",
    "test_cli.py::test_import_then_evaluate_a_bootstrapped_library",
    "test_cli.py::test_json_on_the_reporting_commands",
    "test_cli.py::test_shell_commands_and_json_lines",
    "test_cli.py::test_shell_keeps_a_session_and_checks_drafts",
    "test_cli.py::test_shell_new_call_forgets_the_scenarios",
    "test_cli.py::test_suggest_card",
    "test_cli.py::test_suggest_json",
    "test_cli.py::test_suggest_no_build_on_stale_index",
    "test_cli.py::test_validate",
    "test_cli.py::test_version_and_short_help",
    "test_cli_render.py::test_wrapping_loses_nothing_and_fits",
    "test_compliance.py::test_positive_is_flagged_with_exactly_its_categories",
    "test_compliance.py::test_shipped_scripts_break_no_block_rule",
    "test_datafiles.py::test_parquet_is_read_by_its_magic_number",
    "test_encoders.py::test_lookup_path_never_imports_torch",
    "test_encoders.py::test_model_path_errors_are_actionable",
    "test_out_of_scope.py::test_shipped_redirects_break_no_block_rule",
    "test_pii_persistence.py::test_labels_holding_personal_data_are_not_written_out",
    "test_cli.py::test_evaluate_reads_stdin",
    "test_encoders.py::test_sentence_transformers_path_gives_identical_vectors",
    "test_head.py::test_head_learns_its_training_examples",
    "test_head.py::test_warm_start_reaches_the_same_optimum",
    "test_head.py::test_stronger_penalty_gives_softer_probabilities",
    "test_head_blend.py::test_choice_is_on_the_grids_and_the_head_carries_it",
    "test_index_store.py::test_approximate_index_recall_at_1_against_exact_search",
    "test_index_store.py::test_large_libraries_get_an_approximate_index",
    "test_index_store.py::test_tuned_head_is_stored_and_drives_lookups",
    "test_pii_persistence.py::test_every_shape_is_redacted_in_reports_stubs_and_predictions",
    "test_pins.py::test_no_fraud_pin_on_banking77",
    "test_redact.py::test_100kb_is_fast",
    "test_redact.py::test_embedded_valid_card_is_always_removed",
    "test_redact.py::test_embedded_valid_id_is_always_removed",
    "test_redact.py::test_never_raises_and_matches_are_well_formed",
    "test_redact.py::test_output_has_no_card_and_no_resident_id",
    "test_redact.py::test_redact_is_idempotent",
    "test_reliability.py::test_build_killed_at_each_step_leaves_the_previous_index",
    "test_reliability.py::test_build_of_20000_examples_killed_mid_way",
    "test_reliability.py::test_damaged_index_file_is_detected_with_the_fix",
    "test_reliability.py::test_damaged_manifest_is_an_index_state_error",
    "test_reliability.py::test_files_mixed_from_another_build_are_detected",
    "test_reliability.py::test_manifest_of_another_library_or_model_is_stale",
    "test_reliability.py::test_manifest_pointing_at_a_missing_build_folder",
    "test_reliability.py::test_symlink_out_of_the_library_is_refused",
    "test_reliability.py::test_too_long_utterance_names_the_limit",
    "test_reliability.py::test_unreadable_manifest_text",
    "test_rules.py::test_a_library_adds_to_the_shipped_pack_and_switches_off_by_id",
    "test_rules.py::test_pack_round_trips_through_json",
    "test_serve.py::test_call_memory_is_shared_by_apps_on_one_state_folder",
    "test_serve.py::test_missing_body_and_wrong_method",
    "test_serve.py::test_suggest_returns_scenario_candidates_and_reply",
    "test_server_batching.py::test_http_lookups_are_batched_and_answers_match_unbatched",
    "test_server_logs.py::test_crlf_path_gives_one_escaped_access_line",
    "test_server_ratelimit.py::test_http_limit_by_agent_header",
    "test_server_ratelimit.py::test_limits_count_across_processes",
    "test_shipped_library.py::test_every_scenario_has_chinese_and_english_scripts",
    "test_shipped_library.py::test_scripts_have_varied_examples_and_required_variants",
    "test_shipped_library.py::test_the_readme_example_names_account_frozen",
    "test_usem_static.py::test_distilled_table_is_centred_without_its_top_directions_and_rank_weighted",
    "test_usem_static.py::test_sentence_transformers_path_gives_identical_vectors",
    "test_usem_static.py::test_single_token_vectors_are_the_full_model_on_one_token_sentences",
    "test_variants.py::test_phone_never_gets_a_chat_variant_and_a_segment_never_another_segments",
})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


def is_slow(item: pytest.Item) -> bool:
    if item.get_closest_marker("model") is not None:
        return True
    if "default_encoder" in getattr(item, "fixturenames", ()):
        return True
    name = getattr(item, "originalname", None) or item.name.split("[")[0]
    return item.path.name in SLOW_FILES or f"{item.path.name}::{name}" in SLOW_TESTS


class HashEncoder:
    """Bag of hashed character bigrams, L2-normalised. Deterministic and instant."""

    dim = 64

    def __init__(self, model_id: str = "test-hash-encoder") -> None:
        self.model_id = model_id

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"^{text}$"
            for i in range(len(padded) - 1):
                bucket = int(hashlib.md5(padded[i : i + 2].encode()).hexdigest(), 16) % self.dim
                out[row, bucket] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


SCENARIOS_YAML = """\
scenarios:
  - {id: account_frozen, kind: service}
  - {id: card_lost_stolen, kind: service}
  - {id: mortgage_process, kind: service}
  - {id: fraud_in_progress, kind: safety}
  - {id: repeated_unresolved, kind: complaint}
"""

SCRIPTS_YAML = """\
scripts:
  - id: account_frozen.zh
    scenario: account_frozen
    language: zh-Hans
    empathy: 我完全理解您现在的着急，账户安全是我们的首要关注，
    solution_preview: 我会立即为您核查冻结原因，并同步最优解冻路径。
    steps: [核实身份, 查询冻结原因]
    examples:
      - 我的卡被冻结了，钱取不出来
      - 账户被限制交易了怎么办
      - 帳戶被凍結了，沒辦法轉帳
  - id: account_frozen.en
    scenario: account_frozen
    language: en
    empathy: I completely understand how worrying a blocked account is.
    solution_preview: I'll check why it was frozen right now and walk you through the fastest way to unblock it.
    examples:
      - my account has been frozen and I cannot pay
      - card blocked, payments declined
  - id: card_lost_stolen.zh
    scenario: card_lost_stolen
    language: zh-Hans
    empathy: 卡丢了一定很着急，我们先保住您的资金安全，
    solution_preview: 我马上为您办理临时挂失，再告诉您补卡的办法。
    examples:
      - 我的银行卡丢了，快帮我挂失
      - 钱包被偷了，卡也在里面
  - id: mortgage_process.zh
    scenario: mortgage_process
    language: zh-Hans
    empathy: 买房是大事，您想把流程弄清楚很正常，
    solution_preview: 我先帮您梳理房贷需要的材料，再说明审批的大致步骤。
    examples:
      - 办房贷需要准备什么材料
      - 二手房贷款流程是怎样的
  - id: fraud_in_progress.zh
    scenario: fraud_in_progress
    language: zh-Hans
    empathy: 请先别着急，您的资金安全最重要，
    solution_preview: 根据您的描述，对方的操作存在风险特征，建议您立即挂断电话，我们会协助您冻结账户并报警。
    examples:
      - 有人让我把钱转到安全账户
      - 对方自称警察要我转账
  - id: repeated_unresolved.zh
    scenario: repeated_unresolved
    language: zh-Hans
    empathy: 同一个问题让您反复来电，我理解您的感受，非常抱歉，
    solution_preview: 这次我会全程跟进，并升级给主管处理。
    escalation: 坐席 → 主管 → 专家团队，期间我会每日向您同步进展。
    examples:
      - 这个问题我打了好几次电话都没解决
"""

RULES_YAML = """\
rules:
  - id: test.safe_account
    category: unsafe_transfer_instruction
    severity: block
    applies_to: both
    patterns:
      - literal: 安全账户
    exceptions:
      - regex: '(不会|请勿|不要|没有所谓).{0,12}$'
    explanation: 银行和警方从不要求转账到安全账户。
    reference: 测试规则
    suggestion: 请勿向任何所谓的安全账户转账。
    pin: fraud_in_progress
    priority: 100
    alert: 疑似电信诈骗
  - id: test.blame
    category: blame_shifting
    severity: warn
    applies_to: agent
    patterns:
      - literal: 这是系统问题
    explanation: 推卸责任。
    reference: 测试规则
    suggestion: 给您带来不便非常抱歉，我们马上处理。
"""


def write_library(
    root: Path, scripts: str = SCRIPTS_YAML, rules: str | None = RULES_YAML, out_of_scope: bool = False
) -> Path:
    """A small library; without ``out_of_scope`` its empty ``out_of_scope/`` folder switches the
    shipped out-of-scope set off, so fixtures rank their own scripts only."""
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    if not out_of_scope:
        (root / "out_of_scope").mkdir(exist_ok=True)
    (root / "scenarios.yaml").write_text(SCENARIOS_YAML, encoding="utf-8")
    (root / "scripts" / "main.yaml").write_text(scripts, encoding="utf-8")
    if rules is not None:
        (root / "rules").mkdir(exist_ok=True)
        (root / "rules" / "rules.yaml").write_text(rules, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def pack() -> RulePack:
    """The shipped library's rule pack, loaded once a test module."""
    from assist.compliance.rule_files import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY

    return load_rule_pack(SHIPPED_LIBRARY)


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    return write_library(tmp_path / "lib")


@pytest.fixture
def hash_encoder() -> HashEncoder:
    return HashEncoder()


@pytest.fixture(scope="session")
def default_encoder():  # type: ignore[no-untyped-def]
    from assist.encoders.registry import get_encoder

    return get_encoder()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a thread; yields its base URL, stops after."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
