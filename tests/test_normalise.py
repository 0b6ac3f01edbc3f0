from assist.text.normalise import normalise, normalise_with_offsets, to_simplified


def test_traditional_full_width_case_and_spaces() -> None:
    assert normalise("我的帳戶  被凍結") == "我的帐户 被冻结"
    assert normalise("ＯＴＰ") == "otp"
    assert normalise("  Hello\tWORLD \n") == "hello world"


def test_offsets_map_back_to_original() -> None:
    original = "請把ＯＴＰ  報給我"
    text, offsets = normalise_with_offsets(original)
    assert text == "请把otp 报给我"
    start = text.index("otp")
    assert original[offsets[start] : offsets[start + 2] + 1] == "ＯＴＰ"


def test_a_kept_conversion_answers_as_the_first() -> None:
    """:func:`to_simplified` keeps its answers: asked again, it gives the same text, and a
    new text is still converted."""
    assert to_simplified("我的帳戶") == "我的帐户" == to_simplified("我的帳戶")
    assert to_simplified("臺灣銀行") == "台湾银行"
    assert to_simplified("\ud800帳") == "\ufffd帐"
