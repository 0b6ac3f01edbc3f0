"""Required literals of a pattern: never a word a match can do without."""

from __future__ import annotations

import re

import pytest

from assist.compliance.required_text import PatternGate, required_literals


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("验证码", {"验证码"}),
        ("(?:让我|叫)[^,。]{0,6}(?:银行卡|存折)", {"银行卡", "存折"}),  # the longer words win
        ("(?:把钱|把存款)", {"把"}),  # re's parser takes the common 「把」 out of the branches first
        ("(?:安全|监管)(?:的)?(?:账户|帐户)", {"安全", "监管"}),
        ("a+bc", {"bc"}),
        ("(?:otp|动态码){1,2}", {"otp", "动态码"}),
        ("x(?:ab|cd)?y", {"x"}),  # two runs of one letter each: the first is kept
    ],
)
def test_words_a_match_cannot_do_without(pattern: str, expected: set[str]) -> None:
    assert required_literals(pattern) == frozenset(expected)


@pytest.mark.parametrize(
    "pattern",
    [
        "(?i)pin",  # case-insensitive: a word test would miss "PIN"
        "(?i:pin)",
        "[0-9]{6}",  # no literal at all
        "(?:验证码|[0-9]+)",  # a branch without a word
        "(?:验证码)?",  # optional
        "(?:ab|)",  # a branch that matches the empty string
        "(unbalanced",
    ],
)
def test_no_set_when_none_can_be_told(pattern: str) -> None:
    assert required_literals(pattern) is None


PATTERNS = [
    "验证码", "(?:让我|叫我)[^,。]{0,6}转", "x(?:ab|cd)?y", "(?:安全|监管)(?:的)?账户",
    r"\d+元(?:手续费|保证金)", "[0-9]{6}",
]
TEXTS = ["让我马上转", "xaby", "xy", "监管的账户", "安全账户", "先交500元保证金", "验证码", "无关的话", "xcd",
         "验证码是123456", "叫我转到安全账户", ""]


def test_the_gate_keeps_every_pattern_that_matches() -> None:
    gate = PatternGate([required_literals(p) for p in PATTERNS])
    for text in TEXTS:
        matching = {i for i, pattern in enumerate(PATTERNS) if re.search(pattern, text)}
        assert matching <= gate.candidates(text), text


def test_the_gate_skips_patterns_whose_words_are_absent() -> None:
    gate = PatternGate([required_literals(p) for p in PATTERNS])
    assert gate.candidates("无关的话") == {5}  # only the one without words: always searched
    assert gate.candidates("叫我转到安全账户") == {1, 3, 5}  # overlapping words are all found
    assert PatternGate([]).candidates("任何话") == set()
    assert PatternGate([None]).candidates("") == {0}
