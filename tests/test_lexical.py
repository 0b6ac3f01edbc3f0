from __future__ import annotations

from pathlib import Path

import numpy as np

from assist.lexical import LexicalIndex, terms

DOCS = ["我的U盾丢了", "有人让我转到安全账户", "my transfer is still pending", "信用卡额度太低"]


def test_terms_cover_chinese_ngrams_and_latin_words() -> None:
    found = terms("U盾丢了 Pending")
    assert "u盾" in found and "盾丢了" in found and "pending" in found


def test_traditional_and_full_width_meet_simplified() -> None:
    index = LexicalIndex.build(DOCS)
    assert int(np.argmax(index.scores("轉到安全帳戶"))) == 1
    assert int(np.argmax(index.scores("Ｕ盾不見了"))) == 0


def test_keyword_scores_are_normalised() -> None:
    index = LexicalIndex.build(DOCS)
    scores = index.scores("信用卡额度太低")
    assert 0.9 <= scores[3] <= 1.01
    assert scores[0] == 0.0


def test_typo_tolerance_in_english() -> None:
    index = LexicalIndex.build(DOCS)
    assert int(np.argmax(index.scores("transfer pendng"))) == 2


def test_empty_query_and_save_load_round_trip(tmp_path: Path) -> None:
    index = LexicalIndex.build(DOCS)
    assert not index.scores("").any()
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    np.testing.assert_allclose(loaded.scores("安全账户"), index.scores("安全账户"))
