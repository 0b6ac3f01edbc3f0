"""Character n-gram BM25: the lexical half of hybrid retrieval.

Chinese is indexed as overlapping character uni-, bi- and tri-grams, so no word
segmenter can split 「安全账户」 or 「U盾」 wrongly; Latin-script words are
indexed whole and as character 4-grams, which tolerates typos and inflection.
Text is normalised first (:mod:`assist.text.normalise`), so traditional and
simplified, full-width and half-width forms meet on the same terms.

The index is a compressed sparse row postings table in numpy arrays plus a
JSON vocabulary: it saves and loads without pickle.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

from assist.text.normalise import normalise

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[a-z0-9]+(?:'[a-z]+)?")
K1 = 1.2
B = 0.75
MAX_POSTINGS = 5_000
"""Terms found in more documents than this are skipped at query time: in a 100k-example
library such stop-grams (「我」「的」) carry almost no weight but would dominate latency.
They still count in the query's self-score, so scores stay comparable."""
SPARSE_FROM = 16
"""Batches of this many queries or more sum their postings block by block into a dense table; fewer
(a lookup) with a bincount, which skips scipy's fixed cost of ~0.1 ms. Both add the same
float64 weights, in the same order or where every sum is exact (:func:`_exact_sums`), so they give
the same bits."""
DENSE_QUERIES = 16
"""Queries whose postings :meth:`LexicalIndex._dense_scores` copies and adds at a time: 16 queries'
postings (some 230,000 on the shipped library, 2.7 MB) and their float64 rows (1.5 MB) stay in
cache between the copy and the adding; a whole batch of 256 at once took about 1.7 times the CPU."""

def _private_kernels() -> Any:
    """scipy's C kernels behind sparse row indexing and ``toarray`` (``csr_row_index``,
    ``csr_todense``), called directly by :meth:`LexicalIndex._dense_scores`; None where a scipy
    release no longer has them under these names, and the public product serves instead (the same
    bits, slower)."""
    try:
        from scipy.sparse import _sparsetools  # type: ignore[import-untyped]
    except ImportError:
        return None
    needed = ("csr_row_index", "csr_todense")
    return _sparsetools if all(hasattr(_sparsetools, name) for name in needed) else None


_KERNELS = _private_kernels()


def _exact_sums(postings: Any) -> tuple[np.ndarray, float]:
    """Each term's largest posting weight (in magnitude), and the bound under which a query's sum
    of its terms' largest weights keeps every sum of its postings exact in float64.

    The weights are float32 numbers held in float64, so each is a whole multiple of the spacing of
    float32 numbers at the smallest weight (any float32 at or above a magnitude is a multiple of its
    spacing there). Every partial sum of them is then a whole multiple of that spacing too, and one
    of magnitude under 2^53 of it is a float64: no addition rounds, in any order. The bound is 2^52
    spacings, a margin for the rounding of the float64 sum of the largest weights it is compared
    with. On the shipped library the smallest weight is 0.595 (spacing 2^-24) and the largest such
    sum of the 20,000 ``lines.py`` lines 1,592, against a bound of 2^28 (docs/batch.md, twentieth
    round). Where the weights are not float32 numbers, no sum is taken as exact (bound 0)."""
    data = np.asarray(postings.data, dtype=np.float64)
    n_terms = postings.shape[0]
    magnitudes = np.abs(data)
    bounds = np.zeros(n_terms, dtype=np.float64)
    lengths = np.diff(postings.indptr)
    if data.size:
        bounds[lengths > 0] = np.maximum.reduceat(magnitudes, postings.indptr[:-1][lengths > 0].astype(np.int64))
    as_float32 = data.astype(np.float32)
    if not np.array_equal(as_float32.astype(np.float64), data) or not np.isfinite(as_float32).all():
        return bounds, 0.0
    nonzero = np.abs(as_float32[as_float32 != 0])
    if not nonzero.size:
        return bounds, math.inf
    return bounds, float(np.spacing(nonzero.min())) * 2.0**52


def terms(text: str) -> list[str]:
    """Index terms of one text (normalised here first)."""
    return normalised_terms(normalise(text))


def normalised_terms(text: str) -> list[str]:
    """Index terms of a text that has already been through :func:`assist.text.normalise.normalise`."""
    tokens = _TOKEN.findall(text)
    # A token is one CJK character or a run of ASCII letters and digits (see _TOKEN),
    # so a one-character token at or above U+3400 is CJK: no regex call per token.
    cjk = [len(token) == 1 and token >= "\u3400" for token in tokens]
    count = len(tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        out.append(token)
        if i + 1 < count:
            out.append(token + tokens[i + 1])
            if i + 2 < count and cjk[i] and cjk[i + 1]:
                out.append(token + tokens[i + 1] + tokens[i + 2])
        if not cjk[i] and len(token) > 4:
            padded = f"<{token}>"
            out.extend("#" + padded[j : j + 4] for j in range(len(padded) - 3))
    return out


@dataclass
class LexicalIndex:
    """BM25 over documents (here: library examples), with postings in CSR form."""

    vocabulary: dict[str, int]
    indptr: np.ndarray  # (n_terms + 1,) int64
    doc_ids: np.ndarray  # (n_postings,) int32
    term_freqs: np.ndarray  # (n_postings,) float32
    doc_lengths: np.ndarray  # (n_docs,) float32
    idf: np.ndarray  # (n_terms,) float32

    @property
    def n_docs(self) -> int:
        return int(self.doc_lengths.shape[0])

    def consistent(self) -> bool:
        """Whether the arrays and the vocabulary belong together (files of one build):
        a mixed-up index would otherwise fail with an IndexError mid-lookup."""
        n_terms, n_postings = len(self.vocabulary), int(self.doc_ids.shape[0])
        return (
            self.indptr.shape == (n_terms + 1,)
            and self.idf.shape == (n_terms,)
            and self.term_freqs.shape == (n_postings,)
            and (n_terms == 0 or (int(self.indptr[0]) == 0 and int(self.indptr[-1]) == n_postings))
            and bool(np.all(np.diff(self.indptr) >= 0))
            and (n_postings == 0 or 0 <= int(self.doc_ids.min()) <= int(self.doc_ids.max()) < self.n_docs)
        )

    @classmethod
    def build(cls, documents: Sequence[str]) -> LexicalIndex:
        vocabulary: dict[str, int] = {}
        postings: list[list[tuple[int, int]]] = []
        lengths = np.zeros(len(documents), dtype=np.float32)
        for doc_id, document in enumerate(documents):
            counts = Counter(terms(document))
            lengths[doc_id] = sum(counts.values())
            for term, count in counts.items():
                term_id = vocabulary.setdefault(term, len(vocabulary))
                if term_id == len(postings):
                    postings.append([])
                postings[term_id].append((doc_id, count))
        indptr = np.zeros(len(postings) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(p) for p in postings])
        doc_ids = np.fromiter((d for p in postings for d, _ in p), dtype=np.int32, count=int(indptr[-1]))
        freqs = np.fromiter((c for p in postings for _, c in p), dtype=np.float32, count=int(indptr[-1]))
        n = max(len(documents), 1)
        df = np.diff(indptr).astype(np.float64)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        return cls(vocabulary, indptr, doc_ids, freqs, lengths, idf)

    def __post_init__(self) -> None:
        average = float(self.doc_lengths.mean()) if self.n_docs else 1.0
        self._average = average or 1.0
        length_norm = (K1 * (1.0 - B + B * self.doc_lengths / self._average)).astype(np.float32)
        # Each posting's BM25 weight, idf times term-frequency factor, so a query only
        # gathers and sums its terms' postings.
        factor = (self.term_freqs * (K1 + 1) / (self.term_freqs + length_norm[self.doc_ids])).astype(np.float32)
        posting_term = np.repeat(np.arange(len(self.idf)), np.diff(self.indptr))
        weight = factor * self.idf[posting_term]
        self._unknown_idf = math.log(1.0 + self.n_docs + 0.5)
        lengths = np.diff(self.indptr)
        self._gathered = lengths <= MAX_POSTINGS
        """Terms whose postings a query gathers (see :data:`MAX_POSTINGS`)."""
        kept = np.repeat(self._gathered, lengths)
        index_type = np.int32 if int(kept.sum()) < np.iinfo(np.int32).max else np.int64
        kept_indptr = np.zeros(len(self.indptr), dtype=index_type)
        np.cumsum(np.where(self._gathered, lengths, 0), out=kept_indptr[1:])
        self._postings = sparse.csr_matrix(
            (weight[kept].astype(np.float64), self.doc_ids[kept].astype(index_type), kept_indptr),
            shape=(len(self.idf), self.n_docs),
        )
        """The postings' weights as a (terms, documents) matrix, the skipped terms' rows empty."""
        self._term_bounds, self._exact_below = _exact_sums(self._postings)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document, divided by the query's score against
        itself, so 1.0 means every query term was found at full weight."""
        return self.scores_batch([normalise(query)])[0]

    def scores_batch(self, normalised_queries: Sequence[str]) -> np.ndarray:
        """:meth:`scores` for a batch of already normalised queries: an (n_queries, n_docs) array.

        The postings of every query term are gathered and summed in one pass, so
        the per-query Python work is only splitting the query into terms.
        """
        n_queries = len(normalised_queries)
        owners, picked, divisors = self.gathered_terms(normalised_queries)
        if not picked.size or self.n_docs == 0:
            return np.zeros((n_queries, self.n_docs), dtype=np.float32)
        if n_queries >= SPARSE_FROM and _KERNELS is not None:
            if self._sums_exact(owners, picked, n_queries):
                return self._order_free_scores(owners, picked, divisors)
            return self._dense_scores(owners, picked, divisors)
        if n_queries >= SPARSE_FROM:
            scores = self._public_product_sums(owners, picked, n_queries).astype(np.float32)
        else:
            scores = self._bincount_sums(owners, picked, n_queries).astype(np.float32)
        scores /= divisors[:, None]
        return scores

    def gathered_terms(self, normalised_queries: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The terms :meth:`scores_batch` sums for each query: (owners, term ids) of the known terms
        with postings to gather, each query's in its term order, and each query's float32 divisor
        (its score against itself, 1.0 where that is 0)."""
        n_queries = len(normalised_queries)
        term_list: list[int] = []
        count_list: list[int] = []
        distinct: list[int] = []
        lengths: list[int] = []
        term_id = self.vocabulary.get
        for query in normalised_queries:
            found = normalised_terms(query)
            counts = Counter(found)
            term_list.extend(map(term_id, counts, repeat(-1, len(counts))))
            count_list.extend(counts.values())
            distinct.append(len(counts))
            lengths.append(len(found))
        # np.fromiter of a known count reads the lists once, without asarray's scan for their type.
        size = len(term_list)
        owner = np.repeat(np.arange(n_queries, dtype=np.int64), np.fromiter(distinct, np.int64, n_queries))
        term_ids = np.fromiter(term_list, np.int64, size)
        query_count = np.fromiter(count_list, np.float64, size)
        query_terms = np.fromiter(lengths, np.float64, n_queries)
        known = term_ids >= 0
        term_idf = np.full(len(term_ids), self._unknown_idf, dtype=np.float64)
        term_idf[known] = self.idf[term_ids[known]]
        query_norm = K1 * (1 - B + B * query_terms / self._average)
        self_scores = np.bincount(
            owner, weights=term_idf * query_count * (K1 + 1) / (query_count + query_norm[owner]),
            minlength=n_queries,
        )
        # Each query's known terms with postings to gather, in the query's term order: one row
        # of a 0/1 matrix whose product with the postings sums every document's weights.
        gathered = known.copy()
        gathered[known] = self._gathered[term_ids[known]]
        divisors = np.where(self_scores > 0, self_scores, 1.0).astype(np.float32)
        return owner[gathered], term_ids[gathered], divisors

    def _sums_exact(self, owners: np.ndarray, term_ids: np.ndarray, n_queries: int) -> bool:
        """Whether every sum of any of each query's postings at a document is exact in float64
        (:func:`_exact_sums`), so that adding them in any order gives the same bits."""
        bounds = np.bincount(owners, weights=self._term_bounds[term_ids], minlength=n_queries)
        return bool(bounds.max(initial=0.0) < self._exact_below)

    def _order_free_scores(self, owners: np.ndarray, term_ids: np.ndarray, divisors: np.ndarray) -> np.ndarray:
        """:meth:`_dense_scores` without copying the postings, where :meth:`_sums_exact` holds.

        scipy's ``csr_todense`` adds row ``i``'s postings (``indptr[i]`` to ``indptr[i + 1]``) into
        its output at row ``i`` x ``n_col``. Given the postings matrix's own arrays, ``n_col`` 0 and,
        for one query, the start and end of each of its terms' postings one after the other, it adds
        every term's postings into that query's row, in place; the rows between (one term's end to
        the next one's start) are empty when the terms come in descending order of their start. So
        each query is one call over the postings where they lie, instead of a copy of them end to
        end first (the copy took about as long as the adding, docs/batch.md, twenty-second round).
        The terms are added in another order than the query's, which keeps every bit only because
        each sum is exact: the float64 sums are those of :meth:`_dense_scores`, rounded to float32
        and divided by the same divisors."""
        n_queries = len(divisors)
        postings = self._postings
        index_type = postings.indices.dtype
        starts = postings.indptr[term_ids].astype(index_type)
        ends = postings.indptr[term_ids + 1].astype(index_type)
        order = np.lexsort((-starts.astype(np.int64), owners))  # by query, then latest start first
        bounds = np.zeros(2 * len(term_ids), dtype=index_type)
        bounds[0::2] = starts[order]
        bounds[1::2] = ends[order]
        first = np.zeros(n_queries + 1, dtype=np.int64)
        np.cumsum(np.bincount(owners, minlength=n_queries), out=first[1:])
        table = np.empty((n_queries, self.n_docs), dtype=np.float32)
        row = np.empty(self.n_docs, dtype=np.float64)
        assert _KERNELS is not None
        for query in range(n_queries):
            begin, end = 2 * int(first[query]), 2 * int(first[query + 1])
            row.fill(0.0)
            if end > begin:
                _KERNELS.csr_todense(end - begin - 1, 0, bounds[begin:end], postings.indices, postings.data, row)
            table[query] = row
        table /= divisors[:, None]
        return table

    def _dense_scores(self, owners: np.ndarray, term_ids: np.ndarray, divisors: np.ndarray) -> np.ndarray:
        """(n_queries, n_docs) float32 sums of the postings of each query's terms, each divided by
        its query's float32 ``divisors``, written straight into a dense table, :data:`DENSE_QUERIES`
        queries at a time.

        For each block of queries, scipy's ``csr_row_index`` copies the postings of their terms end
        to end (each query's in its term order) and ``csr_todense`` adds them into a zeroed float64
        block, cell by cell in that order from 0: for each (query, document), the terms' weights
        one after another in the query's term order, in float64 from 0, the sums of the bincount
        and of the sparse product bit for bit (tests/test_lexical.py). The block's sums are rounded
        to float32 into the table, and each row is divided by its query's divisor: the same
        operations on the same floats as on the sums alone (an empty cell stays 0, a divisor being
        positive).

        The sparse product (``csr_matmat``) did the same additions, but kept each row's documents
        in a linked list, with a branch per posting on whether its document was new to the row,
        which the CPU mostly mispredicts; here each posting is one add into a row that stays in
        cache, and the copy of a block's postings stays in cache too: about half the CPU of the
        product on the 20,000 ``lines.py`` lines (docs/performance.md, twenty-first round)."""
        n_queries = len(divisors)
        postings = self._postings
        index_type = postings.indices.dtype
        per_term = np.diff(postings.indptr)[term_ids]
        term_starts = np.zeros(n_queries + 1, dtype=np.int64)
        np.cumsum(np.bincount(owners, minlength=n_queries), out=term_starts[1:])
        picked = term_ids.astype(index_type)
        table = np.empty((n_queries, self.n_docs), dtype=np.float32)
        block = np.empty((min(DENSE_QUERIES, n_queries), self.n_docs), dtype=np.float64)
        assert _KERNELS is not None
        for start in range(0, n_queries, DENSE_QUERIES):
            stop = min(start + DENSE_QUERIES, n_queries)
            first, last = int(term_starts[start]), int(term_starts[stop])
            lengths = per_term[first:last].astype(np.int64)
            block_indptr = np.zeros(stop - start + 1, dtype=np.int64)
            np.cumsum(np.bincount(owners[first:last] - start, weights=lengths, minlength=stop - start
                                  ).astype(np.int64), out=block_indptr[1:])
            total = int(block_indptr[-1])
            kind = index_type if total <= np.iinfo(index_type).max else np.dtype(np.int64)
            docs = np.empty(total, dtype=kind)
            weights = np.empty(total, dtype=np.float64)
            _KERNELS.csr_row_index(
                last - first, picked[first:last].astype(kind, copy=False), postings.indptr.astype(kind, copy=False),
                postings.indices.astype(kind, copy=False), postings.data, docs, weights,
            )
            sums = block[: stop - start]
            sums.fill(0.0)
            _KERNELS.csr_todense(stop - start, self.n_docs, block_indptr.astype(kind), docs, weights, sums)
            table[start:stop] = sums
        table /= divisors[:, None]
        return table

    def _public_product_sums(self, owners: np.ndarray, term_ids: np.ndarray, n_queries: int) -> np.ndarray:
        """The sums of :meth:`_dense_scores` by scipy's public product, where its private kernels
        are missing (:data:`_KERNELS`): ``@`` adds, for each (query, document), the same float64
        weights in the same order from 0, so the same bits."""
        indptr = np.zeros(n_queries + 1, dtype=np.int64)
        np.cumsum(np.bincount(owners, minlength=n_queries), out=indptr[1:])
        queries = sparse.csr_matrix((np.ones(term_ids.size), term_ids, indptr), shape=(n_queries, len(self.idf)))
        return np.asarray((queries @ self._postings).toarray())

    def _bincount_sums(self, owners: np.ndarray, term_ids: np.ndarray, n_queries: int) -> np.ndarray:
        """(n_queries, n_docs) float64 sums of the postings of each query's terms, laid end to end
        and summed by one bincount: for a few queries, faster than building sparse matrices."""
        postings = self._postings
        starts = postings.indptr[term_ids].astype(np.int64)
        lengths = postings.indptr[term_ids + 1].astype(np.int64) - starts
        first_of_slice = np.cumsum(lengths) - lengths
        positions = np.arange(int(lengths.sum()), dtype=np.int64)
        positions += np.repeat(starts - first_of_slice, lengths)
        cells = postings.indices[positions].astype(np.int64)
        if n_queries > 1:
            cells += np.repeat(owners * self.n_docs, lengths)
        sums = np.bincount(cells, weights=postings.data[positions], minlength=n_queries * self.n_docs)
        return sums.reshape(n_queries, self.n_docs)

    def save(self, folder: Path) -> list[str]:
        """Write ``lexical.npz`` and ``lexical_vocab.json``; return the file names."""
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        (folder / "lexical_vocab.json").write_text(json.dumps(ordered, ensure_ascii=False), encoding="utf-8")
        with open(folder / "lexical.npz", "wb") as handle:
            np.savez(
                handle, indptr=self.indptr, doc_ids=self.doc_ids, term_freqs=self.term_freqs,
                doc_lengths=self.doc_lengths, idf=self.idf,
            )
        return ["lexical.npz", "lexical_vocab.json"]

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        ordered = json.loads((folder / "lexical_vocab.json").read_text(encoding="utf-8"))
        with np.load(folder / "lexical.npz", allow_pickle=False) as arrays:
            return cls(
                vocabulary={term: i for i, term in enumerate(ordered)},
                indptr=arrays["indptr"], doc_ids=arrays["doc_ids"], term_freqs=arrays["term_freqs"],
                doc_lengths=arrays["doc_lengths"], idf=arrays["idf"],
            )
