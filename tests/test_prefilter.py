"""The prefilter never changes what the rules find: the literal filter and the rule plan against
running every rule on every sentence, on generated text built from the pack's own words."""

from __future__ import annotations

import json
import pickle
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import re2  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.compliance import prefilter
from assist.compliance.prefilter import RegexPrefilter, search
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.library.loader import SHIPPED_LIBRARY

EDGE_PATTERNS = (
    r"卡$", r"^请", r"\bpin\b", r"(?:转|汇)[^。?]{0,6}?账户", r"[0-9]{4,}", r"otp|验证码", r"(?i)code",
    r"\.$", r"^\s*好", r"a{2,}b", r"不[^,]*$",
    # no atom of three bytes: passed by the literal pass on every text, screened per text instead
    r"\b(?:he|we)\b", r"\ba\b", r"^\d", r"\d{2}[.。]?\d",
)
EDGE_TEXTS = ("请把卡", "转到安全账户", "pin 1234", "spinning", "不要告诉别人,好吗", "aaab", "好. 卡", "", " ", "。",
              "12。3", "he. A")
MARKS = ("。", "，", ",", "!", "?", "？", ";", ":", "、", ". ", " ", "\n", "…", "...", "“", "”", "'t", "")
FILLER = ("您", "我", "的", "了", "一下", "好", "we", "you", "the", "a", "1234", "6222 0212 3456 7890")


def regex_words(pack: RulePack) -> list[str]:
    """Literal runs inside the pack's regexes (CJK or Latin): what regex triggers look for."""
    words: set[str] = set()
    for rule in pack.rules:
        sources = [t.items[0] for t in rule.triggers if t.kind == "regex"] + [e.source for e in rule.exceptions]
        for source in sources:
            words.update(re.findall(r"[\u4e00-\u9fff]{2,6}|[a-z]{2,}(?: [a-z]{2,})?", source))
    return sorted(words)


@pytest.fixture(scope="module")
def words(pack: RulePack) -> list[str]:
    """Every lexicon phrase (scope words included; a gap filled), the regexes' literal runs, fillers."""
    phrases = sorted({p.replace("…", "一下") for lexicon in pack.lexicons for p in lexicon.phrases})
    return phrases + regex_words(pack) + list(FILLER)


def same(pack: RulePack, text: str) -> None:
    for audience in ("agent", "customer"):
        assert pack.hits(text, audience=audience) == pack.hits(text, audience=audience, exhaustive=True), (
            audience, text)


@pytest.mark.slow  # the shipped pack's load and every rule run exhaustively: seconds
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_prefilter_never_changes_the_shipped_packs_hits(pack: RulePack, words: list[str], data: st.DataObject) -> None:
    parts = st.one_of(st.sampled_from(words), st.sampled_from(MARKS))
    same(pack, data.draw(st.lists(parts, min_size=1, max_size=24).map("".join), label="text"))


@pytest.mark.slow
def test_generated_texts_reach_the_rules(pack: RulePack, words: list[str]) -> None:
    """Texts made of these words fire rules of both audiences, lexicon and regex triggers alike,
    so the test above compares real hits (a strategy that never fired would prove nothing)."""
    rng = random.Random(0)
    fired: set[str] = set()
    for _ in range(300):
        text = "".join(rng.choice(words) + rng.choice(MARKS) for _ in range(rng.randint(2, 10)))
        fired.update(rule.id for a in ("agent", "customer") for rule, _ in pack.hits(text, audience=a))
    rules = [rule for rule in pack.rules if rule.id in fired]
    kinds = {t.kind for rule in rules for t in rule.triggers}
    assert "regex" in kinds and kinds & {"any", "all"}
    assert any(rule.covers("agent") for rule in rules) and any(rule.covers("customer") for rule in rules)


@pytest.mark.parametrize("text", [*EDGE_TEXTS, "请把卡给我。验证码是1234", "otp,CODE 不给,好吧。pin?"])
def test_prefilter_keeps_every_pattern_that_matches(text: str) -> None:
    found = RegexPrefilter(EDGE_PATTERNS).matching(text)
    assert found is not None
    assert {i for i, source in enumerate(EDGE_PATTERNS) if re2.search(source, text)} <= found


def test_literal_passes_hold_one_script_each_and_answer_for_all_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shares by script (Chinese, then the rest), each within CHUNK_CHARS; the answer still names
    every pattern (by its own index) that matches."""
    monkeypatch.setattr(prefilter, "CHUNK_CHARS", 12)
    mixed = RegexPrefilter(EDGE_PATTERNS)
    shares = [indexes for _, indexes, _ in mixed._filter.parts]
    assert sorted(i for share in shares for i in share) == list(range(len(EDGE_PATTERNS)))
    for share in shares:
        scripts = {bool(re.search(r"[\u3400-\u9fff]", EDGE_PATTERNS[i])) for i in share}
        assert len(scripts) == 1 and (len(share) == 1 or sum(len(EDGE_PATTERNS[i]) for i in share) <= 12)
    for text in [*EDGE_TEXTS, "请把卡给我。验证码是1234", "otp,CODE 不给,好吧。pin?"]:
        found = mixed.matching(text)
        assert found is not None
        assert {i for i, source in enumerate(EDGE_PATTERNS) if re2.search(source, text)} <= found


def test_prefilter_leaves_out_patterns_whose_literals_are_missing() -> None:
    found = RegexPrefilter(EDGE_PATTERNS).matching("您好")
    assert found is not None
    assert EDGE_PATTERNS.index("otp|验证码") not in found and EDGE_PATTERNS.index(r"\bpin\b") not in found


def test_patterns_without_atoms_are_screened_on_the_whole_text() -> None:
    prefilter = RegexPrefilter(EDGE_PATTERNS)
    atomless = {EDGE_PATTERNS.index(p) for p in (r"[0-9]{4,}", r"\b(?:he|we)\b", r"\ba\b", r"\d{2}[.。]?\d")}
    anchored = {i for i, p in enumerate(EDGE_PATTERNS) if "^" in p or "$" in p}
    assert atomless <= prefilter.screened and not anchored & prefilter.screened  # ^\d has no atom either
    assert prefilter.screened_out("您好。请问") == prefilter.screened
    assert prefilter.screened_out("您好。we 走了") == frozenset()  # one of them matches: none is left out
    for text in [*EDGE_TEXTS, "he said。ok", "12。3", "a.b", "卡号 6222 0212"]:
        found = prefilter.matching(text)
        assert found is not None
        out = prefilter.screened_out(text)
        assert not {i for i in out if re2.search(EDGE_PATTERNS[i], text)}
        sentences = [s for s in re.split(r"[。!?;]|\.(?=\s|$)", text) if s.strip()]
        assert not {i for i in out for s in sentences if re2.search(EDGE_PATTERNS[i], s)}


EDGE_LEXICONS = """\
lexicons:
  code: {zh-Hans: [验证码, 密码], en: [code, pin]}
  give: {zh-Hans: [告诉我, 报…给我], en: [tell me]}
  card: {zh-Hans: [卡号], en: [card]}
  alt: {zh-Hans: [可以帮您], en: [instead]}
scope:
  negation: {zh-Hans: [不], en: ["not", never]}
  prohibition: {zh-Hans: [请勿]}
  reported: {zh-Hans: [对方让]}
  hypothetical: {zh-Hans: [如果有人]}
  verdict: {zh-Hans: [是诈骗]}
  pseudo: {zh-Hans: [不好意思]}
  terminator: {zh-Hans: [但是]}
  continuation: {zh-Hans: [也]}
"""
EDGE_WORDS = ("验证码", "密码", "code", "pin", "告诉我", "报一下给我", "tell me", "卡号", "card", "可以帮您", "instead",
              "不", "not", "请勿", "对方让", "如果有人", "是诈骗", "不好意思", "但是", "也")
LEXICON_RULES = (
    ("{any: [code, card]}", "agent", ""),
    ("{all: [code, give]}", "agent", ""),
    ("{all: [code, give, card], in: sentence}", "both", ""),
    ("[{all: [card, give], within: 8}, {any: [give]}]", "customer", ""),
    ("{any: [give]}", "agent", "\n    unless: [alt]\n    respects: [negation]"),
)


def edge_rule(i: int, when: str, audience: str, extra: str = "") -> str:
    category = "fraud_signal" if audience == "customer" else "jargon"
    return (f"  - id: edge.{i}\n    category: {category}\n    severity: warn\n    applies_to: {audience}\n"
            f"    {when}{extra}\n    explanation: x\n    reference: x\n    suggestion: x\n")


EDGE_PACK = EDGE_LEXICONS + "rules:\n" + "".join(
    edge_rule(i, f"patterns: [{{regex: '{source}'}}]", "agent" if i % 2 else "customer")
    for i, source in enumerate(EDGE_PATTERNS)
) + "".join(
    edge_rule(len(EDGE_PATTERNS) + i, f"when: {when}", audience, extra)
    for i, (when, audience, extra) in enumerate(LEXICON_RULES)
)


@pytest.fixture(scope="module")
def edge_rules(tmp_path_factory: pytest.TempPathFactory) -> RulePack:
    root = tmp_path_factory.mktemp("edge")
    (root / "rules").mkdir()
    (root / "rules" / "edge.yaml").write_text(EDGE_PACK, encoding="utf-8")
    return load_rule_pack(root, with_shipped=False)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*EDGE_TEXTS, *EDGE_WORDS, *MARKS, *FILLER]), min_size=1, max_size=16).map("".join))
def test_prefilter_on_a_pack_of_edge_cases(edge_rules: RulePack, text: str) -> None:
    """``$``, ``^`` and ``\\b`` depend on where a sentence ends, so the filter must read each sentence
    exactly as the rule does; lexicon triggers of every shape (any of several lexicons, all of
    two or three, within, in a sentence, unless, scopes) are skipped only where they cannot fire."""
    same(edge_rules, text)


@pytest.fixture
def failing_filter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A literal pass that 'fails' on every text: it answers nothing, sentinel included."""

    class Failing:
        def Match(self, text: str, potential: bool = False) -> None:
            return None

    original = RegexPrefilter.__init__

    def init(self: RegexPrefilter, sources: tuple[str, ...]) -> None:
        original(self, sources)
        if self.active:
            self._filter = Failing()

    monkeypatch.setattr(RegexPrefilter, "__init__", init)
    yield


@pytest.mark.slow
def test_a_failed_filter_runs_every_regex(failing_filter: None) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)  # a fresh pack: its plans are built with the failing filter
    prefilter = RegexPrefilter(EDGE_PATTERNS)
    assert prefilter.active and prefilter.matching("请把卡") is None
    text = "公安让我把钱转到安全账户，他还要我的验证码"
    assert pack.hits(text, audience="customer") == pack.hits(text, audience="customer", exhaustive=True) != []


def test_edge_texts_fire_every_edge_rule(edge_rules: RulePack) -> None:
    rng = random.Random(1)
    parts = [*EDGE_TEXTS, *EDGE_WORDS, *MARKS, *FILLER]
    fired: set[str] = set()
    for _ in range(400):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 16)))
        fired.update(rule.id for a in ("agent", "customer") for rule, _ in edge_rules.hits(text, audience=a))
    assert fired == {rule.id for rule in edge_rules.rules}


def test_a_pack_that_has_run_pickles(edge_rules: RulePack) -> None:
    text = "请把卡给我。验证码是1234, tell me the code"
    before = [edge_rules.hits(text, audience=a) for a in ("agent", "customer")]
    loaded = pickle.loads(pickle.dumps(edge_rules))
    assert [loaded.hits(text, audience=a) for a in ("agent", "customer")] == before
    assert RegexPrefilter(EDGE_PATTERNS).matching("pin") == pickle.loads(pickle.dumps(RegexPrefilter(EDGE_PATTERNS))
                                                                         ).matching("pin")


def test_search_finds_what_pyre2_search_finds_from_every_position() -> None:
    """:func:`search` answers as ``regex.search`` (the same span, or None), from every position
    of CJK, full-width and ASCII texts, with the bytes given or not."""
    for pattern in (*EDGE_PATTERNS, r"x*", r"账*户?", r"(卡)(号)?"):
        regex = re2.compile(pattern)
        for text in (*EDGE_TEXTS, "把卡里的钱转到安全账户。", "ｐｉｎ 是 1234", "卡 he 说 a"):
            for position in range(len(text) + 1):
                expected = regex.search(text, position)
                for found in (search(regex, text, position), search(regex, text, position, text.encode())):
                    assert found == (None if expected is None else expected.span())


def test_search_takes_a_regex_that_is_not_re2s() -> None:
    assert search(re.compile("卡"), "银行卡", 1) == (2, 3)
    assert search(re.compile("卡"), "银行卡", 3) is None


def test_without_pyre2_internals_the_public_calls_answer_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`search` and the chunked filter reach into pyre2's compiled module for speed; a pyre2
    without those parts gets the same answers through its public ``search`` and ``Match``."""
    import assist.compliance.prefilter as prefilter

    texts = (*EDGE_TEXTS, "把卡里的钱转到安全账户。", "ｐｉｎ 是 1234")
    regexes = [re2.compile(p) for p in (*EDGE_PATTERNS, r"账*户?")]
    fast = [[search(r, t, i) for r in regexes for i in range(len(t) + 1)] for t in texts]
    fast_filter = [RegexPrefilter(EDGE_PATTERNS).matching(t) for t in texts]
    monkeypatch.setattr(prefilter, "_NATIVE", None)
    assert [[search(r, t, i) for r in regexes for i in range(len(t) + 1)] for t in texts] == fast
    assert [RegexPrefilter(EDGE_PATTERNS).matching(t) for t in texts] == fast_filter


OWN_CUSTOMER_LINES = (
    "刚才有个自称公安的人打电话，说我的账户涉嫌洗钱，让我把钱转到他给的安全账户。",
    "对方让我把手机收到的验证码念给他听，我还没说，这样安全吗？",
    "我没有把密码告诉任何人。只是想问问怎么改限额。",
    "有人在网上说可以帮我刷高信用分，要先交一笔保证金。",
    "客服說我的卡被凍結了，要我下載一個App開遠端協助，我該怎麼辦？",
    "有個陌生人叫我把存款全部轉去一個新帳戶，說是為了保護資金。",
    "頭先有人打嚟話係銀行職員，叫我講埋張卡嘅驗證碼俾佢。",
    "我冇俾過密碼人，淨係想查下點解張卡用唔到。",
    "Someone claiming to be from the police told me to move my savings into a safe account today.",
    "A man on the phone asked me to read out the one-time code you just texted me. Is that normal?",
    "I did not share my PIN with anyone. I just want to raise my transfer limit.",
    "He said I had to pay a release fee first, then the loan would come through. Then he hung up.",
)


def customer_texts(step: int) -> list[str]:
    """Every ``step``-th utterance of the shipped library's example files, then the lines above."""
    texts = [json.loads(line)["text"]
             for path in sorted((SHIPPED_LIBRARY / "examples").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts[::step] + list(OWN_CUSTOMER_LINES)


def assert_customer_hits_unchanged(pack: RulePack, texts: list[str]) -> None:
    fired = 0
    for text in texts:
        fast = pack.hits(text, audience="customer")
        assert fast == pack.hits(text, audience="customer", exhaustive=True), text
        fired += bool(fast)
    assert fired >= len(texts) // 10, "too few texts reach a customer rule for the comparison to mean much"


def test_customer_hits_on_example_utterances_and_fresh_lines_match_every_rule_run(pack: RulePack) -> None:
    """A customer lookup's fast path (literal pass, screen, rule plan) against running every rule on
    every sentence: a sample of the library's utterances and fresh lines in each language."""
    assert_customer_hits_unchanged(pack, customer_texts(25))


@pytest.mark.slow  # every example utterance run exhaustively: about 15 s
def test_customer_hits_on_every_example_utterance_match_every_rule_run(pack: RulePack) -> None:
    assert_customer_hits_unchanged(pack, customer_texts(1))


def test_rules_sharing_a_pattern_each_fire_where_it_matches(tmp_path: Path) -> None:
    """Two customer rules holding the same pattern (and another one) each fire at each of its
    matches, in text order, as running every rule on every sentence does."""
    shared = "(?:转|汇)[^。?]{0,6}?账户"
    rules = "".join(edge_rule(i, f"patterns: [{{regex: 'otp'}}, {{regex: '{shared}'}}]", "customer")
                    for i in range(2))
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "shared.yaml").write_text("rules:\n" + rules, encoding="utf-8")
    pack = load_rule_pack(tmp_path, with_shipped=False)
    text = "他让我转到安全账户，再汇到另一个账户。没有otp"
    found = [(rule.id, violation.matched_text) for rule, violation in pack.hits(text, audience="customer")]
    assert found == [("edge.0", "转到安全账户"), ("edge.1", "转到安全账户"), ("edge.0", "汇到另一个账户"),
                     ("edge.1", "汇到另一个账户"), ("edge.0", "otp"), ("edge.1", "otp")]
    assert pack.hits(text, audience="customer") == pack.hits(text, audience="customer", exhaustive=True)
