from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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


def bincount_scores(index: LexicalIndex, queries: list[str]) -> np.ndarray:
    """``scores_batch`` as it was before the sparse product: every query term's postings laid
    end to end and summed by one bincount. The product must give the same bits."""
    from collections import Counter

    from assist.indexing.lexical import K1, MAX_POSTINGS, B, normalised_terms

    average = float(index.doc_lengths.mean())
    lengths = np.diff(index.indptr)
    length_norm = (K1 * (1.0 - B + B * index.doc_lengths / average)).astype(np.float32)
    factor = (index.term_freqs * (K1 + 1) / (index.term_freqs + length_norm[index.doc_ids])).astype(np.float32)
    weight = factor * index.idf[np.repeat(np.arange(len(index.idf)), lengths)]
    owner_list: list[int] = []
    term_list: list[int] = []
    count_list: list[int] = []
    query_terms = np.zeros(len(queries))
    for position, query in enumerate(queries):
        counts = Counter(normalised_terms(query))
        owner_list.extend([position] * len(counts))
        term_list.extend(index.vocabulary.get(term, -1) for term in counts)
        count_list.extend(counts.values())
        query_terms[position] = sum(counts.values())
    owner, term_ids = np.asarray(owner_list, dtype=np.int64), np.asarray(term_list, dtype=np.int64)
    query_count = np.asarray(count_list, dtype=np.float64)
    known = term_ids >= 0
    term_idf = np.full(len(term_ids), np.log(1.0 + index.n_docs + 0.5))
    term_idf[known] = index.idf[term_ids[known]]
    query_norm = K1 * (1 - B + B * query_terms / average)
    self_scores = np.bincount(owner, weights=term_idf * query_count * (K1 + 1) / (query_count + query_norm[owner]),
                              minlength=len(queries))
    starts = index.indptr[term_ids[known]]
    postings = index.indptr[term_ids[known] + 1] - starts
    used = postings <= MAX_POSTINGS
    owners, starts, postings = owner[known][used], starts[used], postings[used]
    positions = np.arange(int(postings.sum()), dtype=np.int64) + np.repeat(starts - (np.cumsum(postings) - postings),
                                                                           postings)
    cells = index.doc_ids[positions].astype(np.int64) + np.repeat(owners * index.n_docs, postings)
    sums = np.bincount(cells, weights=weight[positions], minlength=len(queries) * index.n_docs)
    scores = sums.astype(np.float32).reshape(len(queries), index.n_docs)
    scores /= np.where(self_scores > 0, self_scores, 1.0).astype(np.float32)[:, None]
    return scores


@pytest.mark.parametrize(("max_postings", "dense_queries"),
                         [(5_000, 16), (40, 16), (5_000, 1), (5_000, 7), (40, 1_000)])
def test_batch_scores_are_the_postings_added_in_query_order_bit_for_bit(
    max_postings: int, dense_queries: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also with common terms skipped (a small MAX_POSTINGS), as in a large library, and whatever
    the blocks of queries the dense table is summed in (302 queries: blocks of 1, of 7 with a
    last of 1, of 16 with a last of 14, one block)."""
    import random

    monkeypatch.setattr("assist.indexing.lexical.MAX_POSTINGS", max_postings)
    monkeypatch.setattr("assist.indexing.lexical.DENSE_QUERIES", dense_queries)

    from assist.text.normalise import normalise

    rng = random.Random(7)
    pieces = ["我的", "卡", "被", "冻结", "了", "安全账户", "转账", "U盾", "丢了", "card", "blocked", "pending",
              "transfer", "额度", "信用卡", "怎么办", "，", "please", "17号", "2024"]
    docs = ["".join(rng.choice(pieces) for _ in range(rng.randint(2, 9))) for _ in range(400)]
    queries = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))) for _ in range(300)] + ["", "zzz"]
    index = LexicalIndex.build(docs)
    normalised = [normalise(q) for q in queries]
    assert np.array_equal(index.scores_batch(normalised), bincount_scores(index, normalised))
    for few in (normalised[:1], normalised[:2], normalised[-3:], normalised[:15]):  # the bincount path
        assert np.array_equal(index.scores_batch(few), bincount_scores(index, few))


def test_postings_are_added_out_of_query_order_only_where_every_sum_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch tables add a query's postings latest term first (``_order_free_scores``), which
    gives the query-order bits only because no sum rounds. Here sums would round: "x y z" has the
    terms x, xy, y, yz and z weighing 2^-54, 2^-54, 2^-53, 2^-24 and 1 (every document of one
    length and every term once, so each weight is its idf). In query order the small ones add up
    to 2^-52 before the 1 and the sum lands above float32's halfway point after 1; z first, they
    are each lost and the sum rounds to 1. Such an index keeps the query order; forced onto the
    other order, the bits differ (so this test sees the check)."""
    from assist.text.normalise import normalise

    built = LexicalIndex.build(["x y z", "w", "w v", "v"])
    idf = built.idf.copy()
    for term, weight in (("x", 2.0**-54), ("xy", 2.0**-54), ("y", 2.0**-53), ("yz", 2.0**-24), ("z", 1.0)):
        idf[built.vocabulary[term]] = np.float32(weight)
    index = LexicalIndex(built.vocabulary, built.indptr, built.doc_ids, np.ones_like(built.term_freqs),
                         np.full_like(built.doc_lengths, 5.0), idf)
    assert index._postings.data[: 5].tolist() == idf[: 5].astype(np.float64).tolist()
    queries = [normalise("x y z")] * 16  # a batch: the dense table's path
    owners, term_ids, _ = index.gathered_terms(queries)
    assert not index._sums_exact(owners, term_ids, len(queries))
    assert np.array_equal(index.scores_batch(queries), bincount_scores(index, queries))
    monkeypatch.setattr(index, "_exact_below", np.inf)
    assert not np.array_equal(index.scores_batch(queries), bincount_scores(index, queries))


def test_the_exact_bound_is_2_to_the_52_spacings_of_the_smallest_weight() -> None:
    index = LexicalIndex.build(DOCS)
    smallest = np.float32(np.abs(index._postings.data).min())
    assert index._exact_below == 2.0**52 * float(np.spacing(smallest))
    queries = [q for q in DOCS for _ in range(4)]
    assert index._sums_exact(*index.gathered_terms(queries)[:2], len(queries))


def test_batch_scores_without_scipys_private_kernels_are_the_same_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scipy release without ``_sparsetools.csr_row_index`` falls back on the public product."""
    import random

    from assist.indexing import lexical
    from assist.text.normalise import normalise

    assert lexical._KERNELS is not None  # the scipy this project pins has them
    rng = random.Random(11)
    pieces = ["挂失", "银行卡", "额度", "提升", "我的", "怎么", "limit", "raise", "card", "lost", "，", "了"]
    docs = ["".join(rng.choice(pieces) for _ in range(rng.randint(2, 8))) for _ in range(200)]
    queries = [normalise("".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))) for _ in range(64)]
    index = LexicalIndex.build(docs)
    fast = index.scores_batch(queries)
    monkeypatch.setattr(lexical, "_KERNELS", None)
    assert np.array_equal(index.scores_batch(queries), fast)


def plain_terms(text: str) -> list[str]:
    """The index terms written out plainly: per token, itself, the pair with the next token, the
    triple with the next two where it and the next are CJK, and a long Latin word's 4-grams."""
    import re

    tokens = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[a-z0-9]+(?:'[a-z]+)?", text)
    is_cjk = [re.fullmatch(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", token) is not None for token in tokens]
    out: list[str] = []
    for i, token in enumerate(tokens):
        out.append(token)
        if i + 1 < len(tokens):
            out.append(token + tokens[i + 1])
        if i + 2 < len(tokens) and is_cjk[i] and is_cjk[i + 1]:
            out.append(token + tokens[i + 1] + tokens[i + 2])
        if not is_cjk[i] and len(token) > 4:
            padded = f"<{token}>"
            out.extend("#" + padded[j : j + 4] for j in range(len(padded) - 3))
    return out


def test_normalised_terms_are_the_terms_written_out_plainly() -> None:
    """The loop of normalised_terms against the plain reference, on random mixes of CJK
    characters, short and long Latin words and digits."""
    import random

    from assist.indexing.lexical import normalised_terms

    rng = random.Random(11)
    pieces = ["我", "卡", "丢了", "安全账户", "a", "ab", "card", "pending", "don't", "transfers", "17", "2024",
              "，", " ", "！", "x1y2z3w", "u盾"]
    texts = ["", "中", "ab", "abcde", "中 abcdefg", "pending", "pending 中"] + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(1, 16))) for _ in range(500)]
    for text in texts:
        assert normalised_terms(text) == plain_terms(text), text


def test_gathered_terms_are_each_querys_counted_terms_written_out() -> None:
    """The arrays :meth:`LexicalIndex.gathered_terms` builds from its per-query lists (queries with
    no term, unknown terms and repeated ones among them) are those of a plain loop over the queries."""
    from collections import Counter

    from assist.indexing.lexical import K1, MAX_POSTINGS, B, normalised_terms
    from assist.text.normalise import normalise

    index = LexicalIndex.build(DOCS)
    queries = [normalise(q) for q in ["安全账户安全账户 转账", "", "！！", "zzqx unseen words", "信用卡额度太低 credit",
                                      "Ｕ盾不見了 u盾", "credit credit credit card"]]
    owners, terms, divisors = index.gathered_terms(queries)
    average = float(index.doc_lengths.mean())
    expected_owners, expected_terms, expected_divisors = [], [], []
    for position, query in enumerate(queries):
        found = normalised_terms(query)
        self_score = 0.0
        for term, count in Counter(found).items():
            term_id = index.vocabulary.get(term, -1)
            idf = float(index.idf[term_id]) if term_id >= 0 else float(np.log(1.0 + index.n_docs + 0.5))
            norm = K1 * (1 - B + B * len(found) / average)
            self_score += idf * count * (K1 + 1) / (count + norm)
            if term_id >= 0 and index.indptr[term_id + 1] - index.indptr[term_id] <= MAX_POSTINGS:
                expected_owners.append(position)
                expected_terms.append(term_id)
        expected_divisors.append(self_score if self_score > 0 else 1.0)
    assert owners.dtype == terms.dtype == np.int64 and divisors.dtype == np.float32
    assert owners.tolist() == expected_owners and terms.tolist() == expected_terms
    np.testing.assert_allclose(divisors, np.asarray(expected_divisors, dtype=np.float32), rtol=1e-6)
