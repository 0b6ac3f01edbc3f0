"""The fast normal form of a checked text is the definition's (assist.text.normalise), offsets included."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.compliance.reading import fold_with_offsets
from assist.text.normalise import normalise_with_offsets

AWKWARD = (
    "驗證碼", "帳戶", "臺灣", "髮", "ＯＴＰ", "１２３", "，", "。", "？", "Ａ", "ß", "İ", "ﬁ", "Ⅻ", "㎏", "½",
    "e\u0301",
    "\u0301", "¨", "\u3000", "\u00a0", "\u2009", " ", "  ", "\t", "\x0b", "\x1f", "\x00", "\x7f", "\u2019", "\ud800",
    "Σ", "ς", "ǅ", "①", "ｶ", "ﾞ", "한", "\u1100\u1161", "😀", "𠀋",
)


@pytest.mark.slow  # seconds: hundreds of generated texts
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(max_size=4)), max_size=30).map("".join))
def test_fold_is_the_definition(text: str) -> None:
    assert fold_with_offsets(text) == normalise_with_offsets(text)


@pytest.mark.parametrize(
    "text", ["", " ", "  a  ", "請把驗證碼告訴我，謝謝", "Tell me your OTP", "a\u3000b", "ﬁne", "x\ty",
             "好……", "您好…… 請稍等  ", "  ①  ②", "a ¨ b", "ﬁ  ﬂ ", "…", " … "])
def test_fold_on_plain_and_awkward_text(text: str) -> None:
    assert fold_with_offsets(text) == normalise_with_offsets(text)


def test_fast_path_offsets_are_the_identity() -> None:
    norm, offsets = fold_with_offsets("請把ＯＴＰ告訴我，謝謝")
    assert norm == "请把otp告诉我,谢谢" and offsets == list(range(len(norm)))
