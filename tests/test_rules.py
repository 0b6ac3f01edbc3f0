"""Rule-pack loading, validation errors and the matching engine, on small packs in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.compliance.rule_files import load_rule_pack as load_with_shipped
from assist.compliance.rules import RulePack
from assist.errors import LibraryError


def load_rule_pack(root: Path) -> RulePack:
    """The pack's own rules only: these tests are about the files they write."""
    return load_with_shipped(root, with_shipped=False)

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
    assert "linear-time engine" in str(error) and "missing )" in str(error)


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


# ----- the readable format: lexicons, triggers, scope, examples, switch_off -------------

LEXICON_PACK = """\
lexicons:
  code:
    zh-Hans: [验证码]
    zh-Hant: [驗證碼]
    en: [passcode]
  give:
    zh-Hans: [告诉我, 报…给我]
    yue: [話我知]
    en: [tell me]
scope:
  negation: {zh-Hans: [不], en: ["not", never]}
  prohibition: {zh-Hans: [请勿]}
  reported: {zh-Hans: [对方让]}
  hypothetical: {zh-Hans: [如果有人]}
  verdict: {zh-Hans: [是诈骗]}
  pseudo: {zh-Hans: [不好意思]}
  terminator: {zh-Hans: [但是]}
  continuation: {zh-Hans: [也]}
rules:
  - id: cred.ask
    category: credential_request
    severity: block
    applies_to: agent
    when:
      all: [code, give]
      within: 24
    explanation: 索要验证码。
    reference: 测试规范
    suggestion: 请勿透露验证码。
    flags: [验证码告诉我]
    passes: [请勿把验证码告诉我]
  - id: sig.ask
    category: fraud_signal
    severity: block
    applies_to: customer
    when: {all: [code, give]}
    explanation: 有人索要验证码。
    reference: 测试规范
    suggestion: 先劝阻。
"""


def lexicon_pack(tmp_path: Path, text: str = LEXICON_PACK) -> RulePack:
    return load_rule_pack(write_pack(tmp_path, pack=text))


@pytest.mark.parametrize(
    "text",
    ["验证码告诉我", "驗證碼告訴我", "把验证码报一下给我", "你個驗證碼話我知", "Tell me the passcode",
     "不好意思，验证码告诉我"],
)
def test_lexicon_trigger_fires_in_every_spelling(tmp_path: Path, text: str) -> None:
    assert [v.rule_id for v in lexicon_pack(tmp_path).check(text)] == ["cred.ask"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("请勿把验证码告诉我", "prohibition"),
        ("如果有人说验证码告诉我，请挂断", "hypothetical"),
        ("对方让您把验证码告诉我，是诈骗", "reported"),
        ("验证码告诉我是诈骗", "verdict"),
        ("我们不会让您把验证码告诉我", "negation"),
        ("We will never say tell me your passcode", "negation"),
    ],
)
def test_scope_cancels_agent_rules_and_says_why(tmp_path: Path, text: str, why: str) -> None:
    pack = lexicon_pack(tmp_path)
    assert pack.check(text) == []
    explained = pack.explain("cred.ask", text)
    assert explained and all(e.cancelled_by for e in explained)


def test_customer_rules_keep_firing_on_reported_speech(tmp_path: Path) -> None:
    pack = lexicon_pack(tmp_path)
    text = "对方让我把验证码告诉我"
    assert pack.check(text) == []  # for the agent it is a report, not a request
    assert [v.rule_id for v in pack.check(text, audience="customer")] == ["sig.ask"]


def test_within_limits_the_distance(tmp_path: Path) -> None:
    pack = lexicon_pack(tmp_path)
    assert pack.check("验证码这个东西很重要很重要很重要很重要很重要很重要，告诉我") == []


def test_terminator_closes_a_scope(tmp_path: Path) -> None:
    pack = lexicon_pack(tmp_path)
    assert [v.rule_id for v in pack.check("不着急但是验证码告诉我")] == ["cred.ask"]


REFUSAL_PACK = """\
lexicons:
  refuse: {zh-Hans: [办不了], en: ["can't change"]}
  offer: {zh-Hans: [帮您], en: [i can]}
  rightly: {en: [skip]}
scope:
  negation: {zh-Hans: [不, 没], en: ["can't", nothing]}
rules:
  - id: refusal.bare
    category: bare_refusal
    severity: warn
    applies_to: agent
    when: {any: [refuse]}
    unless: [offer, rightly]
    explanation: 只拒绝不给出路。
    reference: 测试规范
    suggestion: 给出替代办法。
"""


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("这个办不了，我帮您预约网点", False),       # an alternative offered
        ("这个办不了，我也没法帮您", True),          # 帮您 under a negation offers nothing
        ("We can't change it and there's nothing I can do", True),
        ("We can't change it, but I can book you in", False),
        ("We can't change or skip the checks", False),  # the refusal's own negation names what it refuses
    ],
)
def test_an_unless_phrase_under_a_negation_does_not_count(tmp_path: Path, text: str, flagged: bool) -> None:
    pack = lexicon_pack(tmp_path, REFUSAL_PACK)
    assert bool(pack.check(text)) is flagged


def test_a_clause_with_its_own_negation_does_not_continue_the_list(tmp_path: Path) -> None:
    text = REFUSAL_PACK.replace("negation: {zh-Hans: [不, 没], en: [\"can't\", nothing]}",
                                "negation: {zh-Hans: [不, 没], en: [\"can't\", nothing, \"not\"]}\n"
                                "  continuation: {zh-Hans: [也], en: [and]}")
    pack = lexicon_pack(tmp_path, text)
    assert [v.rule_id for v in pack.check("Not our fault, and we can't change it")] == ["refusal.bare"]
    assert [v.rule_id for v in pack.check("不是我们的错，也办不了")] == ["refusal.bare"]
    # a clause without a negation of its own still continues the negated list
    assert lexicon_pack(tmp_path / "list").check("我们不会问别的，也验证码告诉我") == []


SEQ_PACK = """\
lexicons:
  act: {zh-Hans: [退, 改], en: [moved, refund]}
  cannot: {zh-Hans: [不了]}
  before: {zh-Hans: [不能], en: ["can't be", "we can't"]}
  offer: {zh-Hans: [帮您, 网点], en: [i can]}
scope:
  negation: {zh-Hans: [不], en: ["can't"]}
  pseudo: {zh-Hans: [这个网点, 退出, 要不要]}
  offer: {zh-Hans: [吗, 要不要]}
rules:
  - id: refusal.bare
    category: bare_refusal
    severity: warn
    applies_to: agent
    when:
      - seq: [act, cannot]
      - seq: [before, act]
        gap: 1
    unless: [offer]
    explanation: 只拒绝不给出路。
    reference: 测试规范
    suggestion: 给出替代办法。
    flags: [年费退不了]
    passes: [年费退不了，我帮您申请减免]
"""


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("这笔退不了", True),
        ("这笔不能退", True),
        ("这笔不能给退", True),              # one character between, within gap: 1
        ("这笔不能随便退", False),            # two: beyond the gap
        ("不了，退款已经到了", False),         # the wrong order
        ("退，不了", False),                 # never across a clause mark
        ("The date can't be moved.", True),  # spaces are not counted
        ("We can't refund it, but I can book you in.", False),
        ("这笔不能退出", False),              # 退 is part of 退出, a pseudo phrase
    ],
)
def test_seq_trigger_wants_its_phrases_in_order_and_close(tmp_path: Path, text: str, flagged: bool) -> None:
    pack = lexicon_pack(tmp_path, SEQ_PACK)
    assert bool(pack.check(text)) is flagged


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("帮您改日子？这个改不了。", True),           # the question echoes the request
        ("这个改不了。要不要帮您预约？", False),       # a question that offers
        ("改不了，需要帮您转人工吗？", False),
        ("这个网点改不了。", True),                   # 网点 inside 这个网点 offers no branch
        ("这里改不了，您去网点办。", False),
        ("帮您改日子？", False),
    ],
)
def test_an_echoed_question_or_a_pseudo_phrase_offers_nothing(tmp_path: Path, text: str, flagged: bool) -> None:
    pack = lexicon_pack(tmp_path, SEQ_PACK)
    assert bool(pack.check(text)) is flagged


OVERLAP_PACK = """\
scope:
  negation: {zh-Hans: [不]}
rules:
  - id: cred.read
    category: credential_request
    severity: block
    applies_to: agent
    when: {regex: '(?:报|念)[^。]{0,15}验证码'}
    explanation: 索要验证码。
    reference: 测试规范
    suggestion: 请勿透露验证码。
  - id: transfer.to
    category: unsafe_transfer_instruction
    severity: block
    applies_to: agent
    when: {regex: '(?:交|转)[^。]{0,12}到这个账户'}
    exceptions:
      - regex: '水电费'
        scope: match
    explanation: 指示转账。
    reference: 测试规范
    suggestion: 请勿转账。
"""


def test_a_cancelled_regex_match_does_not_hide_a_valid_one_inside_it(tmp_path: Path) -> None:
    pack = lexicon_pack(tmp_path, OVERLAP_PACK)
    # 念…验证码 begins under 不 and is cancelled; 报一下验证码 inside it, after the comma, is a request
    # (matching was non-overlapping: the search went on after the cancelled match and found nothing)
    text = "不用念那串数字，报一下验证码"
    assert [(v.rule_id, v.matched_text) for v in pack.check(text)] == [("cred.read", "报一下验证码")]
    assert [e.cancelled_by is None for e in pack.explain("cred.read", text)] == [False, True]


def test_a_match_inside_a_cancelled_one_is_still_cancelled_when_the_scope_reaches_it(tmp_path: Path) -> None:
    pack = lexicon_pack(tmp_path, OVERLAP_PACK)
    text = "我们不会让您念出或者报验证码"
    assert pack.check(text) == []
    explained = pack.explain("cred.read", text)
    assert len(explained) == 2 and all("negation" in (e.cancelled_by or "") for e in explained)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("先交水电费，再转到这个账户", True),   # the instruction in a clause of its own
        ("先交水电费转到这个账户", False),     # the bill names what this clause's transfer is for
        ("水电费交了吗？", False),
    ],
)
def test_an_exception_cancels_by_clause_not_by_a_shorter_match(tmp_path: Path, text: str, flagged: bool) -> None:
    assert bool(lexicon_pack(tmp_path, OVERLAP_PACK).check(text)) is flagged


def test_an_all_group_cancelled_by_its_nearest_partner_tries_the_next(tmp_path: Path) -> None:
    pack = lexicon_pack(tmp_path)
    # 报给我 is nearest to 验证码 but under 不; 告诉我 in the next clause asks for it
    assert [v.rule_id for v in pack.check("验证码不用报给我，直接告诉我")] == ["cred.ask"]
    assert pack.check("验证码不用报给我，也不用告诉我") == []


def test_a_seq_chain_is_found_past_a_nearer_follower_that_leads_nowhere(tmp_path: Path) -> None:
    # 不 (of 不了) follows 退 first, and 啦 cannot follow it; the longer 不了 it overlaps can
    text = SEQ_PACK.replace("cannot: {zh-Hans: [不了]}",
                            "cannot: {zh-Hans: [不, 不了]}\n  tail: {zh-Hans: [啦]}").replace(
        "      - seq: [act, cannot]\n", "      - seq: [act, cannot, tail]\n").replace(
        "flags: [年费退不了]", "flags: [年费退不了啦]")
    pack = lexicon_pack(tmp_path, text)
    assert [v.matched_text for v in pack.check("这笔退不了啦")] == ["退不了啦"]


def test_seq_trigger_is_described_and_its_gap_checked(tmp_path: Path) -> None:
    pack = lexicon_pack(tmp_path, SEQ_PACK)
    rule = pack.rule("refusal.bare")
    assert rule is not None and "in that order" in rule.triggers[0].describe()
    assert type(pack).from_json(pack.to_json()).rule("refusal.bare") == rule
    error = load_error(tmp_path / "g", SEQ_PACK.replace("gap: 1", "gap: -1"))
    assert error.field == "rules[0].when[1].gap" or "gap" in str(error.field)
    error = load_error(tmp_path / "w", SEQ_PACK.replace("gap: 1", "within: 3"))
    assert "seq" in str(error)


def test_examples_run_at_load_and_the_failing_one_is_named(tmp_path: Path) -> None:
    from assist.compliance.explain import example_failures

    assert example_failures(lexicon_pack(tmp_path)) == []
    bad = LEXICON_PACK.replace("passes: [请勿把验证码告诉我]", "passes: [验证码告诉我]")
    error = load_error(tmp_path / "b", bad)
    assert error.field == "passes" and "cred.ask" in str(error) and "验证码告诉我" in str(error)
    assert "assist rules explain cred.ask" in str(error)


def test_unknown_lexicon_is_named_with_the_rule(tmp_path: Path) -> None:
    text = LEXICON_PACK.replace("all: [code, give]\n      within", "all: [code, gift]\n      within")
    error = load_error(tmp_path, text)
    assert "unknown lexicon 'gift'" in str(error) and "cred.ask" in str(error)


def test_a_phrase_that_keeps_its_quote_marks_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, LEXICON_PACK.replace("en: [tell me]", 'en: ["\\"tell me\\""]'))
    assert error.field == "lexicons.give.en" and "quote marks" in str(error) and '"tell me"' in str(error)


def test_yaml_boolean_in_a_lexicon_gets_a_clear_fix(tmp_path: Path) -> None:
    error = load_error(tmp_path, LEXICON_PACK.replace('["not", never]', "[no, never]"))
    assert error.field == "scope.negation.en" and "quote" in str(error)


CATASTROPHIC = ["(a+)+$", "(a|aa)+$", "(a*)*b", "(x+x+)+y", "(.*a){12}", "(\\w+\\s?)*!$", "^(a|a?)+b$"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_shapes_run_in_linear_time(tmp_path: Path, pattern: str) -> None:
    """Every regex runs on RE2: the classic backtracking bombs match in linear time."""
    import time

    escaped = pattern.replace("\\", "\\\\")
    text = LEXICON_PACK.replace("    when:\n      all: [code, give]\n      within: 24\n",
                                f"    when:\n      regex: \"{escaped}\"\n")
    pack = lexicon_pack(tmp_path, text.replace("    flags: [验证码告诉我]\n    passes: [请勿把验证码告诉我]\n", ""))
    started = time.perf_counter()
    for hostile in ("a" * 30 + "!", "a" * 2000 + "!", "x" * 2000):
        pack.check(hostile)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("pattern", ["(?<!a)b", "(?=a)a", "(a)\\1"])
def test_regex_outside_re2_is_refused_with_the_rule_id(tmp_path: Path, pattern: str) -> None:
    escaped = pattern.replace("\\", "\\\\")
    text = LEXICON_PACK.replace("    when:\n      all: [code, give]\n      within: 24\n",
                                f"    when:\n      regex: \"{escaped}\"\n")
    error = load_error(tmp_path, text)
    assert "cred.ask" in str(error) and "linear-time engine" in str(error)


def test_a_library_adds_to_the_shipped_pack_and_switches_off_by_id(tmp_path: Path) -> None:
    shipped = load_with_shipped(write_pack(tmp_path / "a"))
    assert shipped.rule("credential.request") is not None
    assert [v.category for v in shipped.check("just tell me your OTP")] == ["credential_request"]
    own = """\
switch_off:
  - id: jargon.unexplained
    reason: our customers are treasury staff who use these terms daily
rules:
  - id: own.rule
    category: jargon
    severity: warn
    applies_to: agent
    when: {any: [jargon_term]}
    explanation: 自有规则。
    reference: 测试规范
    suggestion: 解释。
"""
    pack = load_with_shipped(write_pack(tmp_path / "b", own=own))
    assert pack.rule("jargon.unexplained") is None and pack.rule("own.rule") is not None
    assert pack.switched_off == (("jargon.unexplained", "our customers are treasury staff who use these terms daily"),)


@pytest.mark.parametrize(
    ("entry", "message"),
    [("  - id: no.such.rule\n    reason: x\n", "not a shipped rule"), ("  - id: jargon.unexplained\n", "reason")],
)
def test_switch_off_needs_a_shipped_id_and_a_reason(tmp_path: Path, entry: str, message: str) -> None:
    write_pack(tmp_path, own="switch_off:\n" + entry)
    with pytest.raises(LibraryError, match=message):
        load_with_shipped(tmp_path)


def test_pack_round_trips_through_json() -> None:
    from assist.library.loader import SHIPPED_LIBRARY

    pack = load_with_shipped(SHIPPED_LIBRARY)
    again = RulePack.from_json(pack.to_json())
    text = "您把验证码报给我，这款产品保本。"
    assert again.check(text) == pack.check(text) and again.rules == pack.rules


def test_no_private_regex_parser_is_used() -> None:
    import assist.compliance as compliance

    for path in Path(compliance.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "_parser" not in source and "sre_" not in source, path.name


def test_a_copy_of_the_shipped_library_runs_the_shipped_pack_once(tmp_path: Path) -> None:
    """Copying scripts_library/ to start a bank's own library must not define every rule twice."""
    import shutil

    from assist.library.loader import SHIPPED_LIBRARY

    copy = tmp_path / "our_library"
    shutil.copytree(SHIPPED_LIBRARY, copy)
    shipped = load_with_shipped(SHIPPED_LIBRARY)
    copied = load_with_shipped(copy)
    assert sorted(r.id for r in copied.rules) == sorted(r.id for r in shipped.rules)
    (copy / "rules" / "lexicons.yaml").write_text(  # edited, the file is the library's own again
        (SHIPPED_LIBRARY / "rules" / "lexicons.yaml").read_text(encoding="utf-8") + "\n# ours\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="already defined"):
        load_with_shipped(copy)


@pytest.fixture(scope="module")
def shipped() -> RulePack:
    from assist.library.loader import SHIPPED_LIBRARY

    return load_with_shipped(SHIPPED_LIBRARY)


def _found(pack: RulePack, text: str) -> set[str]:
    return {v.category for v in pack.check(text, audience="agent")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a refusal stated as standing policy, with no way forward
        ("港币硬币我们这边不兑换。", {"bare_refusal"}),
        ("存折我们已经不补了。", {"bare_refusal"}),
        ("This branch no longer exchanges travellers' cheques.", {"bare_refusal"}),
        ("提前解约这个，系统不允许。", {"bare_refusal"}),
        ("这张卡我们是没有办法挂失的。", {"bare_refusal"}),
        # the same with a way forward, and a warning about what the bank never does
        ("港币硬币我们这边不兑换，您可以去总行的柜台换。", set()),
        ("我们从来不发链接让您填密码。", set()),
        ("我们这边不查您的密码，也看不到。", set()),  # a reassurance, not a refusal
        # a negated condition ends where its consequence starts (那就)
        ("您没带身份证那就没办法了。", {"bare_refusal"}),
        # the customer's request named back reaches its clause only; quoted back, the sentence
        ("关于您提到的挂失补卡，很遗憾这个我们办不了。", {"bare_refusal"}),
        ("您刚才提到的“保管账户”，根本没有这种账户，是骗局。", set()),
    ],
)
def test_shipped_pack_reads_policy_refusals_and_named_requests(
        shipped: RulePack, text: str, expected: set[str]) -> None:
    assert _found(shipped, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a waiver of a preset question or of ID; the check marked passed for the customer
        ("问题答错了，不过听着像本人，我这边就按已核实处理。", {"skip_verification"}),
        ("You don't have to show photo ID today, I'll sort it anyway.", {"skip_verification"}),
        ("You'll need photo ID with you when you come in.", set()),
        # a credential typed into the chat; read out from the screen
        ("When the code appears on your screen, read them out for me.", {"credential_request"}),
        ("We'll never ask you to type your password in the chat box.", set()),
        # money gathered onto a "safe" card; every permission prompt allowed
        ("如果有人让您把钱归集到所谓的安全卡，那是诈骗。", set()),
        # a relative told an account fact
        ("她的联系电话是139开头的，您记一下。", {"privacy_disclosure"}),
        ("You're her brother? OK, she has about 900 in her savings right now.", {"privacy_disclosure"}),
        # blame on another department or bank, or refused outright
        ("Honestly the hold-up is with the beneficiary bank's side, not ours.", {"blame_shifting"}),
        ("I'm not going to carry the can for the branch's decision.", {"blame_shifting"}),
        ("这个是我们的问题，我来跟进，不是另一个部门的事。", set()),
        # blame on the customer by hindsight, or by their own doing
        ("这都是您自己作的。", {"disparaging_customer"}),
        ("That was your own mistake, I'm afraid.", {"disparaging_customer"}),
        # a return assured, and the same denied
        ("This fund can lose money; nobody can assure you it will double your money.", set()),
    ],
)
def test_shipped_pack_reads_waivers_hand_overs_relatives_and_blame(
        shipped: RulePack, text: str, expected: set[str]) -> None:
    assert _found(shipped, text) == expected


def write_drafts(root: Path, name: str, lines: list[str]) -> Path:
    folder = root / "rules" / "drafts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


LABELLED = [
    '{"text": "密码报给我就行", "violations": ["credential_request"], "lang": "zh-Hans"}',
    '{"text": "本金保证不亏，收益也稳", "violations": ["promise_guaranteed_return", "overpromise"], '
    '"lang": "zh-Hant-TW"}',
    "",
    '{"text": "我们绝不会问您要密码", "violations": [], "lang": "en"}',
]


def test_labelled_drafts_train_as_exemplars(tmp_path: Path) -> None:
    """A violating draft is a violating exemplar of each of its categories; a clean draft a
    lookalike of every category (the semantic signal's EVERY_CATEGORY); Taiwan and Hong Kong
    tags read as zh-Hant."""
    from assist.compliance.semantic import EVERY_CATEGORY

    pack = load_rule_pack(write_drafts(tmp_path, "drafts_a.jsonl", LABELLED))
    assert [(e.text, e.category, e.violating, e.language) for e in pack.exemplars] == [
        ("密码报给我就行", "credential_request", True, "zh-Hans"),
        ("本金保证不亏，收益也稳", "overpromise", True, "zh-Hant"),
        ("本金保证不亏，收益也稳", "promise_guaranteed_return", True, "zh-Hant"),
        ("我们绝不会问您要密码", EVERY_CATEGORY, False, "en"),
    ]
    assert {Path(e.source).as_posix().endswith("rules/drafts/drafts_a.jsonl") for e in pack.exemplars} == {True}


def test_labelled_drafts_are_part_of_the_pack_hash(tmp_path: Path) -> None:
    first = load_rule_pack(write_drafts(tmp_path, "drafts_a.jsonl", LABELLED)).content_hash
    write_drafts(tmp_path, "drafts_a.jsonl", LABELLED[:2])
    assert load_rule_pack(tmp_path).content_hash != first


def test_a_bad_labelled_draft_names_file_line_and_field(tmp_path: Path) -> None:
    write_drafts(tmp_path, "drafts_a.jsonl", [LABELLED[0], '{"text": "随便", "violations": ["rudeness"]}'])
    with pytest.raises(LibraryError) as caught:
        load_rule_pack(tmp_path)
    error = caught.value
    assert str(error.file).endswith("rules/drafts/drafts_a.jsonl") and (error.line, error.field) == (2, "violations")
    assert "unknown category 'rudeness'" in str(error) and "随便" not in str(error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a way forward two sentences off answers another matter; next to the refusal it answers it
        ("账单日我们改不了。卡是上周寄出的。另外您可以在手机银行看积分。", {"bare_refusal"}),
        ("账单日我们改不了。您可以在手机银行申请调整，我帮您看看条件。", set()),
        ("您在手机银行设置里自己就能改。柜台这边改不了。", set()),
        ("The fee can't be waived. The card went out last week. You can see your points in the app.",
         {"bare_refusal"}),
        # a gloss of another word does not gloss the term
        ("这笔要走CNAPS。到账一般两小时。页面上的“冲正”也就是撤回。", {"jargon"}),
        ("这笔要走CNAPS。CNAPS是人民银行的跨行支付清算系统。", set()),
        # a hedge about another matter does not hedge the promise
        ("您的退款保证周三前到。地址已经改好。汇率怎么走我没法保证。", {"overpromise"}),
    ],
)
def test_an_unless_phrase_cancels_only_a_hit_of_its_own_or_a_neighbouring_sentence(
        shipped: RulePack, text: str, expected: set[str]) -> None:
    assert _found(shipped, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("工资我保证下周一到您卡上。", {"overpromise"}),
        ("这笔钱我保证不了哪天到，要看清算行。", set()),  # a negation in the gap of 保证…到
        ("退款我担保不了，一般七个工作日内处理。", set()),  # a complement right after the pledge
        ("我保证这笔钱征信上查不到任何记录。", {"overpromise"}),  # the complement of 查, a gap word
    ],
)
def test_a_negation_in_a_gap_of_a_hit_negates_it(shipped: RulePack, text: str, expected: set[str]) -> None:
    assert _found(shipped, text) == expected


class ReadsAs:
    """A stand-in semantic signal: every draft's highest category margin is ``top``; it flags nothing."""

    def __init__(self, top: float) -> None:
        self.top = top

    def top_margin(self, text: str, floor: float) -> float:
        return self.top

    def flags(self, texts: list[str], negated: list[bool] = (), context: str | None = None) -> list[list[object]]:
        return [[] for _ in texts]


def test_a_draft_the_signal_reads_as_clean_turns_rule_hits_into_advisories(tmp_path: Path) -> None:
    from assist.compliance.checks import LabelledDraft, blocking, score_drafts
    from assist.compliance.explain import explain_rule
    from assist.compliance.rules import DRAFT_VETO_MARGIN, is_advisory

    pack = load_rule_pack(write_pack(tmp_path, good=GOOD))
    clean = ReadsAs(DRAFT_VETO_MARGIN - 0.2)
    [advice] = pack.check("您稍后念一下验证码给系统核对", semantic=clean)
    assert is_advisory(advice) and advice.rule_id == "advisory.cred.code"
    assert advice.severity == "warn" and not blocking([advice])
    assert "cred.code" in advice.explanation and f"< W {DRAFT_VETO_MARGIN}" in advice.explanation
    drafts = [LabelledDraft("您稍后念一下验证码给系统核对", frozenset(), 1)]
    assert score_drafts(pack, drafts, semantic=clean).flagged_clean == 0
    [hit] = explain_rule(pack, "cred.code", "您稍后念一下验证码给系统核对", clean)["hits"]
    assert "semantic veto" in hit["cancelled_by"] and str(DRAFT_VETO_MARGIN) in hit["cancelled_by"]


def test_a_draft_the_signal_sees_as_violating_keeps_every_rule_flag(tmp_path: Path) -> None:
    from assist.compliance.rules import DRAFT_VETO_MARGIN

    pack = load_rule_pack(write_pack(tmp_path, good=GOOD))
    for top in (DRAFT_VETO_MARGIN, 0.3):
        found = pack.check("您稍后念一下验证码给系统核对", semantic=ReadsAs(top))
        assert [(v.rule_id, v.severity) for v in found] == [("cred.code", "block")]
    draft = "您稍后念一下验证码给系统核对"
    assert pack.check(draft) == pack.check(draft, semantic=ReadsAs(0.3))


def test_warm_compiles_every_regex_of_the_audience_and_changes_no_answer() -> None:
    from assist.library.loader import SHIPPED_LIBRARY

    cold, warm = load_with_shipped(SHIPPED_LIBRARY), load_with_shipped(SHIPPED_LIBRARY)
    warm.warm("customer")
    rules = [rule for rule in warm.rules if rule.covers("customer")]
    regexes = [t for rule in rules for t in rule.triggers if t.kind == "regex"] + [
        e for rule in rules for e in rule.exceptions]
    assert regexes and all("regex" in vars(item) for item in regexes)  # compiled, not left for first use
    texts = ["我收到短信说卡被冻结，让我把钱转到安全账户", "可以帮我查一下余额吗", "they asked for the code on my card"]
    assert [[(r.id, v) for r, v in warm.hits(t, audience="customer")] for t in texts] == [
        [(r.id, v) for r, v in cold.hits(t, audience="customer")] for t in texts]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the refusing place or the echoed request is no alternative; an offered branch is
        ("我们这个县城小网点换不了新版存折。", {"bare_refusal"}),
        ("您要改开户时登记的职业？这个改不了。", {"bare_refusal"}),
        ("这里换不了新版存折，您可以去附近网点换。", set()),
        ("本部门一律不会跟进这类投诉。", {"bare_refusal"}),
        # a composed verb (出 + 不了) and a put-off offer nothing
        ("那份收入证明我们出不了。", {"bare_refusal"}),
        ("这个月额度调不了，以后再说吧。", {"bare_refusal"}),
        # a check waived as a favour, or the business done without the missing document
        ("您是常来的客人，预留问题就不麻烦您了，我直接给您挂失。", {"skip_verification"}),
        ("I'll spare you the identity questions and reset the PIN now.", {"skip_verification"}),
        ("证件没带也不打紧，照样给您转。", {"skip_verification"}),
        ("I'll spare you the queue by running the identity questions over the phone.", set()),
        ("证件没带的话今天转不了，带来后我优先给您转。", set()),
    ],
)
def test_shipped_pack_reads_refusal_places_put_offs_and_favoured_waivers(
        shipped: RulePack, text: str, expected: set[str]) -> None:
    assert _found(shipped, text) == expected


# ----- the reach of an unless (issue 19, eighteenth round) -------------------------------

REACH_PACK = """\
lexicons:
  refuse: {zh-Hans: [办不了], en: ["can't change"]}
  offer: {zh-Hans: [帮您], en: [you can]}
  slight: {zh-Hans: [真笨]}
  kind: {zh-Hans: [没关系]}
scope:
  negation: {zh-Hans: [不, 没], en: ["can't", nothing]}
rules:
  - id: refusal.bare
    category: bare_refusal
    severity: warn
    applies_to: agent
    when: {any: [refuse]}
    unless: [offer]
    explanation: 只拒绝不给出路。
    reference: 测试规范
    suggestion: 给出替代办法。
  - id: disparage.slight
    category: disparaging_customer
    severity: warn
    applies_to: agent
    when: {any: [slight]}
    unless: [kind]
    explanation: 贬低客户。
    reference: 测试规范
    suggestion: 尊重客户。
"""


def reach_pack(tmp_path: Path, refusal: str = "sentence_and_neighbours", slight: str = "sentence") -> RulePack:
    reach = (f"reach:\n  bare_refusal: {{unless: {refusal}, why: an offer answers the refusal beside it}}\n"
             f"  disparaging_customer: {{unless: {slight}, why: a kind word undoes only its own sentence}}\n")
    return load_rule_pack(write_pack(tmp_path, pack=REACH_PACK, reach=reach))


@pytest.mark.parametrize(
    ("refusal", "text", "flagged"),
    [
        ("sentence_and_neighbours", "这个办不了。我帮您预约网点。", False),   # the next sentence answers it
        ("sentence_and_neighbours", "我帮您预约网点。这个办不了。", False),   # so does the one before
        ("sentence_and_neighbours", "这个办不了。卡已寄出。我帮您看积分。", True),  # two sentences on: another matter
        ("sentence_and_next", "我帮您预约网点。这个办不了。", True),         # the one before is out of reach
        ("sentence_and_next", "这个办不了。我帮您预约网点。", False),
        ("sentence", "这个办不了。我帮您预约网点。", True),
        ("sentence", "这个办不了，我帮您预约网点。", False),
        ("clause", "这个办不了，我帮您预约网点。", True),                  # another clause
        ("clause", "这个办不了我帮您预约网点。", False),
        ("draft", "这个办不了。卡已寄出。天气不错。我帮您看积分。", False),
    ],
)
def test_a_rules_unless_cancels_within_its_declared_reach(tmp_path: Path, refusal: str, text: str,
                                                          flagged: bool) -> None:
    pack = reach_pack(tmp_path, refusal=refusal)
    assert ("bare_refusal" in {v.category for v in pack.check(text)}) is flagged


def test_an_undeclared_category_keeps_the_default_reach(tmp_path: Path) -> None:
    from assist.compliance.reach import DEFAULT_REACH

    pack = load_rule_pack(write_pack(tmp_path, pack=REACH_PACK))
    assert pack.reaches == () and DEFAULT_REACH == "sentence_and_neighbours"
    assert not pack.check("这个办不了。我帮您预约网点。")
    assert pack.check("这个办不了。卡已寄出。我帮您看积分。")


class FlagsUnits:
    """A stand-in semantic signal: a scored unit holding ``word`` is flagged ``category`` (its score
    the unit's length, so a longer unit scores higher); every draft reads as violating."""

    def __init__(self, word: str, category: str) -> None:
        self.word, self.category = word, category

    def top_margin(self, text: str, floor: float) -> float:
        return 1.0

    def flags(self, texts: list[str], negated: list[bool] = (), context: str | None = None) -> list[list[object]]:
        from assist.compliance.semantic import SemanticFlag

        return [[SemanticFlag(self.category, len(t) / 100, 0.01, "例", 0.9)] if self.word in t else [] for t in texts]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("您这个操作实在是太离谱了。没关系，卡里的钱都在。", True),  # a kind word in the next sentence undoes nothing
        ("您这个操作实在是太离谱了，没关系，卡里的钱都在。", False),  # in its own sentence it does (reach: sentence)
        ("没关系，卡里的钱都在。您这个操作实在是太离谱了。", True),
    ],
)
def test_a_kind_word_in_another_sentence_does_not_hide_a_semantic_slight(tmp_path: Path, text: str,
                                                                        flagged: bool) -> None:
    pack = reach_pack(tmp_path)
    found = pack.check(text, semantic=FlagsUnits("离谱", "disparaging_customer"))  # type: ignore[arg-type]
    assert ("semantic.disparaging_customer" in {v.rule_id for v in found}) is flagged


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("这种事情我们这边没门的。我帮您预约网点。", False),  # an offer in the next sentence redirects
        ("这种事情我们这边没门的。卡已寄出。我帮您看积分。", True),  # two sentences on (was cancelled draft-wide)
        ("这种事情我们这边没门的，我也没法帮您。", True),  # an offer under a negation offers nothing
    ],
)
def test_an_offer_cancels_a_semantic_refusal_only_within_reach(tmp_path: Path, text: str, flagged: bool) -> None:
    pack = reach_pack(tmp_path)
    found = pack.check(text, semantic=FlagsUnits("没门", "bare_refusal"))  # type: ignore[arg-type]
    assert ("semantic.bare_refusal" in {v.rule_id for v in found}) is flagged


@pytest.mark.parametrize(
    ("beside", "text", "flagged"),
    [
        ("[]", "这种事情我们这边没门的，我帮您预约网点。", False),  # the sentence's offer cancels every unit
        ("[offer]", "这种事情我们这边没门的，我帮您预约网点。", True),  # the signal read the pair, offer and all
        ("[offer]", "这种事情我们这边没门的。我帮您预约网点。", False),  # beside the flagged sentence: it answers
        ("[offer]", "这种事情我们这边没门的。卡已寄出。我帮您看积分。", True),  # out of reach, as before
    ],
)
def test_a_semantic_beside_lexicon_cancels_a_semantic_flag_only_from_outside_the_flagged_unit(
        tmp_path: Path, beside: str, text: str, flagged: bool) -> None:
    """``semantic_beside``: a phrase of the lexicon inside the unit the signal flagged does not cancel
    it (the signal scored that unit with the phrase in it); one beside the unit, within reach, does."""
    reach = f"reach:\n  bare_refusal: {{unless: sentence_and_neighbours, why: x, semantic_beside: {beside}}}\n"
    pack = load_rule_pack(write_pack(tmp_path, pack=REACH_PACK, reach=reach))
    found = pack.check(text, semantic=FlagsUnits("没门", "bare_refusal"))  # type: ignore[arg-type]
    assert ("semantic.bare_refusal" in {v.rule_id for v in found}) is flagged


def test_a_semantic_beside_lexicon_leaves_the_rules_reading_as_declared(tmp_path: Path) -> None:
    reach = "reach:\n  bare_refusal: {unless: sentence, why: x, semantic_beside: [offer]}\n"
    pack = load_rule_pack(write_pack(tmp_path, pack=REACH_PACK, reach=reach))
    assert not pack.check("这个办不了，我帮您预约网点。")  # a rule's hit: the unless phrase cancels it as before
    declared = pack.reach_of("bare_refusal")
    assert declared is not None and declared.semantic_beside == ("offer",)
    assert "offer beside the flagged unit only" in declared.describe()
    assert RulePack.from_json(pack.to_json()).reaches == pack.reaches


def test_a_cancelled_best_unit_leaves_the_next_best_flag_and_its_score_is_kept_as_data(tmp_path: Path) -> None:
    """The unit scoring highest may sit beside the cancel; a lower-scoring one out of its reach is
    still a flag, and the best of those is the one kept (its score read from data, not from text)."""
    pack = reach_pack(tmp_path, slight="clause")
    text = "真离谱啊，没关系的。您这样做真是离谱。您这个操作实在离谱极了！"
    [flag] = [v for v in pack.check(text, semantic=FlagsUnits("离谱", "disparaging_customer"))  # type: ignore[arg-type]
              if v.rule_id == "semantic.disparaging_customer"]
    assert flag.matched_text == "您这个操作实在离谱极了"


@pytest.mark.parametrize(
    ("reach", "message"),
    [
        ("reach:\n  rudeness: {unless: sentence, why: x}\n", "not an agent category"),
        ("reach:\n  bare_refusal: {unless: paragraph, why: x}\n", "is not one of"),
        ("reach:\n  bare_refusal: {unless: sentence}\n", "needs 'unless:' and 'why:'"),
        ("reach:\n  bare_refusal: {unless: sentence, why: x, lexicons: {kind: clause}}\n",
         "'kind' is no unless lexicon of a bare_refusal rule"),
        ("reach:\n  bare_refusal: {unless: sentence, why: x, lexicons: {offer: far}}\n", "must map lexicon names"),
        ("reach: [bare_refusal]\n", "'reach' must map categories"),
        ("reach:\n  bare_refusal: {unless: sentence, why: x, semantic_beside: [kind]}\n",
         "'kind' is no unless lexicon of a bare_refusal rule"),
        ("reach:\n  bare_refusal: {unless: sentence, why: x, semantic_beside: offer}\n", "must list lexicon names"),
    ],
)
def test_a_bad_reach_is_refused_with_file_line_and_field(tmp_path: Path, reach: str, message: str) -> None:
    write_pack(tmp_path, pack=REACH_PACK, reach=reach)
    with pytest.raises(LibraryError) as caught:
        load_rule_pack(tmp_path)
    assert message in str(caught.value) and str(caught.value.file).endswith("reach.yaml")


def test_a_category_reach_is_declared_once(tmp_path: Path) -> None:
    declared = "reach:\n  bare_refusal: {unless: sentence, why: x}\n"
    write_pack(tmp_path, pack=REACH_PACK, reach=declared, again=declared)
    with pytest.raises(LibraryError) as caught:
        load_rule_pack(tmp_path)
    assert "already declared" in str(caught.value)


def test_a_lexicon_may_have_its_own_reach_and_the_pack_round_trips(tmp_path: Path) -> None:
    reach = "reach:\n  bare_refusal: {unless: sentence, why: x, lexicons: {offer: sentence_and_next}}\n"
    pack = load_rule_pack(write_pack(tmp_path, pack=REACH_PACK, reach=reach))
    assert not pack.check("这个办不了。我帮您预约网点。")
    declared = pack.reach_of("bare_refusal")
    assert declared is not None and declared.of("offer") == "sentence_and_next" and declared.of("other") == "sentence"
    assert RulePack.from_json(pack.to_json()).reaches == pack.reaches


def test_rules_explain_shows_the_reach_and_why(tmp_path: Path) -> None:
    from assist.cli.rules import format_explained
    from assist.compliance.explain import explain_rule

    pack = reach_pack(tmp_path, refusal="sentence_and_next")
    data = explain_rule(pack, "refusal.bare")
    assert data["unless_reach"]["reach"] == "sentence and next"
    shown = format_explained(data)
    assert "within reach: sentence and next" in shown and "an offer answers the refusal beside it" in shown


def test_the_shipped_reach_declares_every_category_with_an_unless(shipped: RulePack) -> None:
    with_unless = {r.category for r in shipped.rules if r.unless and r.covers("agent")}
    assert with_unless <= {r.category for r in shipped.reaches}
    assert all(r.why for r in shipped.reaches)


def test_hits_many_are_the_hits_of_each_text() -> None:
    """``hits_many`` asks the regex prefilter for every text before running any rule: the same
    hits as ``hits`` text by text, on the shipped pack, for customers and agents, with texts that
    match nothing, blanks and a repeated text in one batch."""
    from assist.library.loader import SHIPPED_LIBRARY

    pack = load_with_shipped(SHIPPED_LIBRARY)
    texts = [
        "有人说是公安局的，让我把钱转到安全账户，还让我下载一个会议软件共享屏幕",
        "我的卡被冻结了怎么办", "", "   ", "someone from the bank asked for my one-time passcode",
        "这款理财保本保息，稳赚不赔，您放心买", "I can guarantee you will not lose money on this",
        "帮我查一下余额", "帮我查一下余额", "my card was declined at the shop\nwhy?",
    ]
    for audience in ("customer", "agent"):
        expected = [pack.hits(text, audience=audience) for text in texts]
        assert pack.hits_many(texts, audience=audience) == expected
        assert any(expected)
    assert RulePack().hits_many(texts[:2], audience="customer") == [[], []]


NEGATION_EXEMPLARS = """\
exemplars:
  credential_request:
    violating:
      zh-Hans: [验证码念一下给我, 把短信里的数字告诉我, 密码报给我核对, 卡背面三位数说一下]
    compliant:
      zh-Hans: [验证码不要告诉任何人, 我不会问您要密码, 短信数字不用念给我, 卡号不必说出来]
"""


def test_the_exemplars_negation_flags_are_read_again_exactly_when_the_reading_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold pack finds its exemplars' negation flags beside the semantic signal; a changed scope
    term or lexicon reads them again (without retraining), and they are then what a fresh read gives."""
    from assist.compliance import semantic
    from tests.conftest import HashEncoder

    reads: list[str] = []
    holds = RulePack._holds_negation
    monkeypatch.setattr(RulePack, "_holds_negation", lambda self, text: reads.append(text) or holds(self, text))
    root, cache = write_pack(tmp_path / "lib", pack=LEXICON_PACK, exemplars=NEGATION_EXEMPLARS), tmp_path / "cache"
    first = load_rule_pack(root).semantic_signal(HashEncoder(), cache)
    assert len(reads) == 8 and first.negation_ok == frozenset()  # its compliant lookalikes are the negated ones
    assert load_rule_pack(root).semantic_signal(HashEncoder(), cache).negation_ok == first.negation_ok
    assert len(reads) == 8  # read, not recomputed

    def never(*args: object) -> None:
        raise AssertionError("retrained for a change of the scope engine's words")

    monkeypatch.setattr(semantic, "_train", never)
    for old, new in (("negation: {zh-Hans: [不]", "negation: {zh-Hans: [没有]"), ("[验证码]", "[验证码, 动态码]")):
        rules = root / "rules" / "pack.yaml"
        rules.write_text(rules.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        reads.clear()
        pack = load_rule_pack(root)
        signal = pack.semantic_signal(HashEncoder(), cache)
        assert len(reads) == 8
        fresh = [holds(pack, e.text) for e in pack.exemplars]
        assert signal.negation_ok == semantic.negation_ok([e.category for e in pack.exemplars],
                                                          [e.violating for e in pack.exemplars], fresh)
    assert not any(fresh)  # without 不 as a negation, no lookalike holds one


# ----- twenty-eighth round: work done once ----------------------------------------------------

def _library_utterances(step: int) -> list[str]:
    import json

    from assist.library.loader import SHIPPED_LIBRARY
    texts = [json.loads(line)["text"]
             for path in sorted((SHIPPED_LIBRARY / "examples").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts[::step]


def test_a_rules_first_search_of_a_sentence_is_reused_with_the_same_hits(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The searches made to see whether a rule may match a sentence are its hits' first searches:
    handed on, the hits are those of searching again, for fewer searches (customer utterances of
    the library and agent drafts made of its own rule examples)."""
    from assist.compliance import rules

    customer = _library_utterances(20)
    agent = [text for rule in pack.rules if rule.covers("agent") for text in (*rule.flags, *rule.passes)][::3]
    counted = {"searches": 0}
    real_search = rules.search

    def counting(*args: object, **kwargs: object) -> tuple[int, int] | None:
        counted["searches"] += 1
        return real_search(*args, **kwargs)  # type: ignore[arg-type]

    def answers() -> list[object]:
        return ([pack.hits(text, audience="customer") for text in customer]
                + [pack.hits(text, audience="agent") for text in agent])

    monkeypatch.setattr(rules, "search", counting)
    reused, reused_searches = answers(), counted["searches"]
    real_rule_hits = rules._rule_hits

    def searching_again(*args: object) -> object:
        return real_rule_hits(*args[:6])  # type: ignore[arg-type]  # without what was found

    monkeypatch.setattr(rules, "_rule_hits", searching_again)
    counted["searches"] = 0
    assert answers() == reused
    assert sum(map(bool, reused)) >= len(reused) // 10  # the comparison holds hits
    assert reused_searches < counted["searches"]


def test_the_pseudo_lexicon_alone_reads_what_the_whole_reading_reads(pack: RulePack) -> None:
    """A hit is checked against ``scope.pseudo`` from that lexicon's own automaton when the text's
    whole reading is not made: the same spans, and a customer check reads the scope words only
    where a rule respecting a scope is judged."""
    texts = _library_utterances(15) + [text for rule in pack.rules for text in rule.flags][::4]
    assert any(pack._read(text, "agent").phrase_hits.get("scope.pseudo") for text in texts)
    for text in texts:
        for audience in ("agent", "customer", None):
            alone, whole = pack._read(text, audience), pack._read(text, audience)  # type: ignore[arg-type]
            assert alone.pseudo == whole.phrase_hits.get("scope.pseudo", []), text
            assert "phrase_hits" not in alone.__dict__
    respecting = {rule.id for rule in pack.rules if rule.covers("customer") and rule.respects}
    whole_readings = 0
    for text in texts:
        reading = pack._read(text, "customer")
        list(pack._hits(reading, "customer"))
        whole_readings += "phrase_hits" in reading.__dict__
        if "phrase_hits" in reading.__dict__:
            assert any(hit.rule.id in respecting for hit, _ in pack._hits(pack._read(text, "customer"), "customer"))
    assert whole_readings < len(texts) // 2


def test_an_exception_of_the_whole_text_or_sentence_is_searched_once_a_reading(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    """An older-format exception of scope ``text`` or ``sentence`` looks at the same piece for
    every hit there: kept per reading, the hits are those of searching it for each hit."""
    from assist.compliance import rules

    texts = _library_utterances(10)
    kept = [pack.hits(text, audience="customer") for text in texts]
    assert sum(map(bool, kept)) >= len(texts) // 10

    class Forgetful(dict[tuple[str, int], bool]):
        def __setitem__(self, key: tuple[str, int], value: bool) -> None:
            pass  # nothing kept: every hit searches its exceptions again

    real_read = rules.RulePack._read

    def read(self: RulePack, text: str, audience: rules.Audience | None = None) -> object:
        reading = real_read(self, text, audience)
        reading.excepted = Forgetful()
        return reading

    monkeypatch.setattr(rules.RulePack, "_read", read)
    assert [pack.hits(text, audience="customer") for text in texts] == kept
    assert any(rule.covers("customer") and any(e.scope in ("text", "sentence") for e in rule.exceptions)
               for rule in pack.rules)
