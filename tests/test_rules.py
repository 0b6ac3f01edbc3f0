"""Rule-pack loading, validation errors and the matching engine, on small packs in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rules import RulePack, load_rule_pack
from assist.errors import LibraryError

GOOD = """\
terms:
  code: '(?:验证码|动态码)'
rules:
  - id: cred.code
    category: credential_request
    severity: block
    applies_to: agent
    patterns:
      - regex: '(?:报|念)(?:一下)?{{code}}'
      - literal: 'ＯＴＰ給我'
    exceptions:
      - regex: '(?:不要|请勿)[^,]*$'
    explanation: 索要验证码。
    reference: 测试规范
    suggestion: 请勿透露验证码。
  - id: jargon.kyc
    category: jargon
    severity: warn
    applies_to: agent
    patterns:
      - regex: 'kyc'
    exceptions:
      - regex: '^,?也就是'
        scope: after
    explanation: 术语。
    reference: 测试规范
    suggestion: 解释术语。
"""

CUSTOMER = """\
rules:
  - id: sig.complaint
    category: escalation_signal
    severity: warn
    applies_to: customer
    patterns:
      - literal: 银保监
    explanation: 重大投诉。
    reference: 测试规范
    suggestion: 升级处理。
    pin: complaint_severe
    priority: 20
  - id: sig.fraud
    category: fraud_signal
    severity: block
    applies_to: customer
    patterns:
      - literal: 安全账户
    explanation: 诈骗。
    reference: 测试规范
    suggestion: 先劝阻。
    pin: fraud_in_progress
    priority: 100
    alert: 疑似诈骗
  - id: sig.third_party
    category: privacy_disclosure
    severity: warn
    applies_to: customer
    patterns:
      - regex: '我是他(?:妈|爸)'
    explanation: 第三方。
    reference: 测试规范
    suggestion: 请本人办理。
    pin: third_party_inquiry
    priority: 50
"""


def write_pack(root: Path, **files: str) -> Path:
    (root / "rules").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "rules" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def load_error(tmp_path: Path, text: str) -> LibraryError:
    write_pack(tmp_path, bad=text)
    with pytest.raises(LibraryError) as caught:
        load_rule_pack(tmp_path)
    return caught.value


def test_good_pack_loads_and_matches(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, good=GOOD))
    assert [r.id for r in pack.rules] == ["cred.code", "jargon.kyc"]
    assert len(pack.content_hash) == 64
    found = pack.check("麻烦报一下验证码")
    assert [(v.rule_id, v.matched_text, v.severity) for v in found] == [
        ("cred.code", "报一下验证码", "block")
    ]


def test_literal_is_normalised_like_the_text(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, good=GOOD))
    [violation] = pack.check("请把otp给我")
    assert violation.rule_id == "cred.code"


def test_exception_before_the_match_cancels_it(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, good=GOOD))
    assert pack.check("请不要向任何人报验证码") == []
    # A negation in another clause does not reach the hit.
    assert [v.rule_id for v in pack.check("不要着急,报一下验证码")] == ["cred.code"]


def test_exception_after_the_match(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, good=GOOD))
    assert pack.check("KYC，也就是核实您的身份") == []
    assert [v.category for v in pack.check("因为KYC没过")] == ["jargon"]


def test_spans_index_the_original_text(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, good=GOOD))
    text = "您好！\n麻煩報一下驗證碼，謝謝"
    [violation] = pack.check(text)
    start, end = violation.span
    assert text[start:end] == violation.matched_text == "報一下驗證碼"


def test_sentences_do_not_run_together(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, good=GOOD))
    # The negation sits in the previous sentence, so it does not cancel the hit.
    assert [v.rule_id for v in pack.check("请不要慌。报一下验证码")] == ["cred.code"]


def test_no_rules_folder_gives_an_empty_pack(tmp_path: Path) -> None:
    pack = load_rule_pack(tmp_path)
    assert pack.rules == ()
    assert pack.check("报一下验证码") == []
    assert pack.pins("安全账户") == []


def test_content_hash_follows_the_files(tmp_path: Path) -> None:
    first = load_rule_pack(write_pack(tmp_path, good=GOOD)).content_hash
    assert load_rule_pack(tmp_path).content_hash == first
    write_pack(tmp_path, good=GOOD.replace("索要验证码。", "索要验证码！"))
    assert load_rule_pack(tmp_path).content_hash != first


def test_audience_selects_rules(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, good=GOOD, customer=CUSTOMER))
    assert pack.check("安全账户", audience="agent") == []
    assert [v.category for v in pack.check("安全账户", audience="customer")] == ["fraud_signal"]
    assert pack.check("报一下验证码", audience="customer") == []


def test_pins_are_sorted_by_priority(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, customer=CUSTOMER))
    pins = pack.pins("我是他妈，我要去银保监投诉，他被人骗去转安全账户了")
    assert [rule.pin for rule, _ in pins] == [
        "fraud_in_progress", "third_party_inquiry", "complaint_severe",
    ]
    rule, evidence = pins[0]
    assert (rule.priority, rule.alert, evidence.matched_text) == (100, "疑似诈骗", "安全账户")


def test_overlapping_hits_of_one_category_are_merged(tmp_path: Path) -> None:
    text = GOOD.replace("      - literal: 'ＯＴＰ給我'\n", "      - literal: '报一下'\n")
    pack = load_rule_pack(write_pack(tmp_path, good=text))
    assert [v.matched_text for v in pack.check("报一下验证码")] == ["报一下验证码"]


# ----- validation errors --------------------------------------------------------------


def test_unknown_key_names_file_line_and_field(tmp_path: Path) -> None:
    typo = GOOD.replace("    severity: warn\n", "    severity: warn\n    serverity: x\n")
    error = load_error(tmp_path, typo)
    assert str(error.file).endswith("rules/bad.yaml")
    assert error.field == "serverity"
    assert error.line == 19
    assert "unknown field" in str(error) and "fix:" in str(error)


def test_bad_regex_reports_the_regex_error(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("'kyc'", "'(kyc'"))
    assert error.field == "patterns[0].regex"
    assert error.line == 21
    assert "does not compile" in str(error) and "missing )" in str(error)


def test_bad_category(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("category: jargon", "category: jargonn"))
    assert (error.field, error.line) == ("category", 17)
    assert "jargonn" in str(error)


def test_customer_category_on_an_agent_rule_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("category: jargon", "category: fraud_signal"))
    assert error.field == "category"


def test_bad_severity(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("severity: warn", "severity: fatal"))
    assert (error.field, error.line) == ("severity", 18)
    assert "block, warn" in str(error)


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write_pack(tmp_path, a=GOOD, b=GOOD.replace("id: jargon.kyc", "id: jargon.other"))
    with pytest.raises(LibraryError) as caught:
        load_rule_pack(tmp_path)
    assert str(caught.value.file).endswith("rules/b.yaml")
    assert caught.value.field == "id"
    assert caught.value.line == 4
    assert "rules/a.yaml:4" in str(caught.value)


def test_missing_field(tmp_path: Path) -> None:
    missing = GOOD.replace("    reference: 测试规范\n    suggestion: 解释术语。\n",
                           "    suggestion: 解释术语。\n")
    error = load_error(tmp_path, missing)
    assert (error.field, error.line) == ("reference", 16)
    assert "missing" in str(error)


def test_regex_must_be_in_normalised_form(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("'kyc'", "'KYC'"))
    assert error.field == "patterns[0].regex"
    assert "'K'" in str(error)
    error = load_error(tmp_path, GOOD.replace("'kyc'", "'驗證碼'"))
    assert "'驗'" in str(error)


def test_pattern_matching_empty_text_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("'kyc'", "'(?:kyc)?'"))
    assert "empty string" in str(error)


def test_unknown_term_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("{{code}}", "{{codes}}"))
    assert error.field == "patterns[0].regex"
    assert "unknown term" in str(error)


def test_bad_scope_and_unknown_top_level_key(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("scope: after", "scope: later"))
    assert error.field == "exceptions[0].scope"
    error = load_error(tmp_path, "rulez: []\n" + GOOD)
    assert error.field == "rulez"


def test_pin_only_on_customer_rules_and_priority_only_with_pin(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("    explanation: 术语。\n",
                                              "    explanation: 术语。\n    pin: x\n"))
    assert error.field == "pin"
    error = load_error(tmp_path, CUSTOMER.replace("    pin: complaint_severe\n", ""))
    assert (error.field, error.line) == ("priority", 11)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, GOOD.replace("    severity: warn\n", "    severity: [warn\n"))
    assert error.line in (18, 19)  # the line YAML reports: the bracket or where it gave up
    assert str(error.file).endswith("rules/bad.yaml")


def test_duplicate_key_in_a_rule_is_refused(tmp_path: Path) -> None:
    twice = GOOD.replace("    severity: warn\n", "    severity: warn\n    severity: block\n")
    error = load_error(tmp_path, twice)
    assert (error.field, error.line) == ("severity", 19)


def test_empty_pack_is_a_value() -> None:
    assert RulePack().check("anything") == []


def test_the_literal_prefilter_changes_no_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hits with each pattern's required-words test equal hits with every pattern searched."""
    import json

    from assist.compliance import rules
    from assist.library.loader import SHIPPED_LIBRARY, load_library
    from tests.conftest import SHARED_EVAL

    library = load_library(SHIPPED_LIBRARY)
    texts = [text for script in library.scripts for text in (*script.examples, script.empathy, script.solution_preview)]
    for name in ("utterances_dev.jsonl", "drafts_dev.jsonl"):  # beside the checkout in CI, not everywhere
        if (SHARED_EVAL / name).is_file():
            lines = (SHARED_EVAL / name).read_text(encoding="utf-8").splitlines()
            texts += [json.loads(line)["text"] for line in lines if line.strip()]
    texts += ["请勿向任何人透露验证码。把验证码告诉我", "公安让我转到安全账户！！", "", "。。。"]
    pack = load_rule_pack(SHIPPED_LIBRARY)
    customer = [literals for rule in pack.rules if rule.covers("customer") for literals in rule.pattern_literals]
    assert all(customer)  # every pattern a lookup runs has its words
    filtered = {(audience, text): pack.hits(text, audience=audience)
                for audience in ("customer", "agent") for text in texts}
    assert any(filtered.values())
    monkeypatch.setattr(rules.PatternGate, "candidates", lambda self, text: set(range(10_000)))
    for (audience, text), hits in filtered.items():
        assert pack.hits(text, audience=audience) == hits, text
