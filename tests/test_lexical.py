from __future__ import annotations

from pathlib import Path

import numpy as np

from assist.indexing.lexical import LexicalIndex, terms

DOCS = ["我的U盾丢了", "有人让我转到安全账户", "my transfer is still pending", "信用卡额度太低"]


def test_terms_cover_chinese_ngrams_and_latin_words() -> None:
    found = terms("U盾丢了 Pending")
    assert "u盾" in found and "盾丢了" in found and "pending" in found


def test_terms_exactly() -> None:
    """Uni- and bigrams everywhere, trigrams of three CJK characters, 4-grams of long Latin words."""
    assert terms("u盾丢了") == ["u", "u盾", "盾", "盾丢", "盾丢了", "丢", "丢了", "了"]
    assert terms("卡 pending 了") == [
        "卡", "卡pending", "pending", "pending了", "#<pen", "#pend", "#endi", "#ndin", "#ding", "#ing>", "了",
    ]
    assert terms("a1 我") == ["a1", "a1我", "我"]


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


def reference_bm25(documents: list[str], query: str) -> np.ndarray:
    """BM25 written out term by term, divided by the query's score against itself."""
    from collections import Counter

    from assist.indexing.lexical import K1, B

    doc_terms = [Counter(terms(d)) for d in documents]
    average = sum(sum(c.values()) for c in doc_terms) / len(documents)
    query_terms = Counter(terms(query))
    n = len(documents)

    def idf(term: str) -> float:
        df = sum(1 for c in doc_terms if term in c)
        if df == 0:  # the index's weight for a query term no document has (self-score only)
            return float(np.log(1.0 + n + 0.5))
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def score(counts: Counter[str], length: float) -> float:
        norm = K1 * (1 - B + B * length / average)
        return sum(idf(t) * counts[t] * (K1 + 1) / (counts[t] + norm) for t in query_terms if t in counts)

    self_score = sum(
        idf(t) * c * (K1 + 1) / (c + K1 * (1 - B + B * sum(query_terms.values()) / average))
        for t, c in query_terms.items()
    )
    raw = np.array([score(c, sum(c.values())) for c in doc_terms])
    return raw / self_score if self_score > 0 else raw


def test_batch_scores_equal_bm25_written_out() -> None:
    from assist.text.normalise import normalise

    index = LexicalIndex.build(DOCS)
    queries = ["安全账户安全账户 转账", "Ｕ盾不見了", "", "zzqx unseen words", "信用卡额度太低 credit"]
    batch = index.scores_batch([normalise(q) for q in queries])
    assert batch.shape == (len(queries), len(DOCS))
    for row, query in zip(batch, queries, strict=True):
        np.testing.assert_allclose(row, reference_bm25(DOCS, query), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(row, index.scores(query), rtol=1e-6)
