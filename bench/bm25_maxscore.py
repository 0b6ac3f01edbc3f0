"""A MaxScore prototype of the batch BM25 top-k, checked against the full product and timed beside it.

    python bench/bm25_maxscore.py LINES.jsonl [--lines N] [--index DIR]

Not used by the lookups: this measures whether skipping the documents that cannot reach a
query's :data:`assist.lookup.search.LEXICAL_NEIGHBOURS` best is worth wiring in (issue 22), and
checks, on every line, that it picks exactly the columns :func:`assist.lookup.search.best_columns`
picks from the full table (``LexicalIndex.scores_batch``) and gives their scores and those of
random other documents bit for bit.

How it works, per batch of :data:`assist.batch.evaluate.BATCH` queries:

1. *Bound.* Each query's terms with the highest weight bound (``max_weight``: the term's largest
   posting weight), until their postings reach :data:`HEAD_POSTINGS`, are summed over their postings by one
   sparse product; the 64th best of these partial sums is a floor ``theta`` under the query's true
   64th best raw sum (a document's full sum is at least its partial sum: every weight is positive).
2. *Essential terms.* The query's terms of lowest bound whose bounds add up to less than ``theta``
   cannot lift a document that holds none of the others to the top: only documents in the postings
   of the other (essential) terms are candidates, and only those whose essential sum plus the
   skipped terms' bounds reaches ``theta`` survive. Comparisons keep a relative margin of
   :data:`MARGIN` (far above float32 rounding), so a skipped document's final float32 score is
   strictly below the 64th best: it can neither enter the top nor tie with its last member.
3. *Exact scores.* Each survivor's sum is recomputed from the documents' own term lists
   (``postings.T``), its query's terms added in the query's order from 0.0 by one ``bincount``
   (sequential, float64), as scipy's product adds them: the same bits. Rounded to float32 and
   divided by the query's float32 self-score, as ``scores_batch`` does.
4. *Selection.* The 64 best survivors in column order; a query whose 64th and 65th best tie,
   or that has too few positive partial sums to bound, falls back to its full row (the product)
   and :func:`best_columns` on it, exactly as before.

Prints one JSON object: lines, whether every line agreed, the mean postings read per query
(full product against the pruned one), and CPU seconds of each side (``time.process_time``),
the two run alternately batch by batch, order swapped each batch. The machine is shared: compare
the ratio, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import _sparsetools  # type: ignore[import-untyped]

from assist.indexing.lexical import LexicalIndex
from assist.lookup.search import LEXICAL_NEIGHBOURS, best_columns

HEAD_POSTINGS = 1024
MARGIN = 1e-5


@dataclass
class QueryTerms:
    owners: np.ndarray  # (n,) int64: the query of each gathered term, queries in order
    terms: np.ndarray  # (n,) int64: the gathered term ids, each query's in its term order
    divisors: np.ndarray  # (n_queries,) float32


def query_terms(lex: LexicalIndex, queries: list[str]) -> QueryTerms:
    """The gathered terms and divisors of ``LexicalIndex.scores_batch``."""
    return QueryTerms(*lex.gathered_terms(queries))


class Pruned:
    def __init__(self, lex: LexicalIndex) -> None:
        self.lex = lex
        postings = lex._postings
        self.postings = postings
        lengths = np.diff(postings.indptr)
        self.df = lengths
        self.max_weight = np.zeros(postings.shape[0])
        nonempty = lengths > 0
        self.max_weight[nonempty] = np.maximum.reduceat(postings.data, postings.indptr[:-1][nonempty])
        forward = postings.T.tocsr()
        forward.sort_indices()
        self.forward = forward
        self.read = 0

    def sums(self, owners: np.ndarray, terms: np.ndarray, n_queries: int) -> tuple[np.ndarray, ...]:
        """Sparse raw sums of the given (owner, term) pairs: (indptr, docs, sums), scipy's product."""
        postings = self.postings
        index_type = postings.indices.dtype
        per_term = np.diff(postings.indptr)[terms].astype(np.int64)
        self.read += int(per_term.sum())
        per_query = np.bincount(owners, weights=per_term, minlength=n_queries).astype(np.int64)
        bound = int(np.minimum(per_query, self.lex.n_docs).sum())
        query_indptr = np.zeros(n_queries + 1, dtype=index_type)
        np.cumsum(np.bincount(owners, minlength=n_queries), out=query_indptr[1:])
        out_indptr = np.empty(n_queries + 1, dtype=index_type)
        out_docs = np.empty(bound, dtype=index_type)
        out_sums = np.empty(bound, dtype=np.float64)
        _sparsetools.csr_matmat(
            n_queries, self.lex.n_docs, query_indptr, terms.astype(index_type), np.ones(terms.size),
            postings.indptr, postings.indices, postings.data, out_indptr, out_docs, out_sums)
        stored = int(out_indptr[-1])
        return out_indptr, out_docs[:stored].astype(np.int64), out_sums[:stored]

    def exact(self, q: QueryTerms, pair_queries: np.ndarray, pair_docs: np.ndarray) -> np.ndarray:
        """float32 final scores of (query, document) pairs, the bits of ``scores_batch``."""
        forward = self.forward
        starts = forward.indptr[pair_docs].astype(np.int64)
        lengths = forward.indptr[pair_docs + 1].astype(np.int64) - starts
        first = np.cumsum(lengths) - lengths
        positions = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - first, lengths)
        pair = np.repeat(np.arange(pair_docs.size), lengths)
        n_terms = forward.shape[1]
        keys = q.owners * n_terms + q.terms  # ascending owner; within one, query order
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        wanted = pair_queries[pair] * n_terms + forward.indices[positions]
        at = np.searchsorted(sorted_keys, wanted)
        at_clipped = np.minimum(at, max(sorted_keys.size - 1, 0))
        found = (at < sorted_keys.size) & (sorted_keys[at_clipped] == wanted)
        place = order[at_clipped[found]]  # the term's index in the query's term order
        pair, weights = pair[found], forward.data[positions[found]]
        sequence = np.lexsort((place, pair))
        self.read += int(lengths.sum())
        raw = np.bincount(pair[sequence], weights=weights[sequence], minlength=pair_docs.size)
        final = raw.astype(np.float32)
        final /= q.divisors[pair_queries]
        return final

    def best(self, queries: list[str], width: int) -> tuple[np.ndarray, QueryTerms]:
        lex = self.lex
        n = len(queries)
        q = query_terms(lex, queries)
        bounds = self.max_weight[q.terms]
        # 1. The head terms (highest bounds) of each query, their partial sums, the floor theta.
        rank = np.lexsort((-bounds, q.owners))  # by query, bound descending
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(q.owners, minlength=n), out=starts[1:])
        # Terms in bound order until their postings reach HEAD_POSTINGS (the one crossing it included).
        df_ranked = self.df[q.terms[rank]].astype(np.int64)
        cum_df = np.cumsum(df_ranked)
        before = np.concatenate([[0], cum_df])[starts[:-1]][q.owners[rank]]
        head = np.zeros(q.terms.size, dtype=bool)
        head[rank] = (cum_df - df_ranked - before) < HEAD_POSTINGS
        indptr, docs, sums = self.sums(q.owners[head], q.terms[head], n)
        theta = self._kth(indptr, sums, width)
        # 2. Essential terms: all but the lowest bounds adding up to under theta.
        ascending = np.lexsort((bounds, q.owners))
        cumulative = np.cumsum(bounds[ascending])
        query_start_cum = np.concatenate([[0.0], cumulative])[starts[:-1]]
        within = cumulative - query_start_cum[q.owners[ascending]]
        skipped = np.zeros(q.terms.size, dtype=bool)
        skipped[ascending] = within < theta[q.owners[ascending]] * (1 - MARGIN)
        skipped_bound = np.bincount(q.owners[skipped], weights=bounds[skipped], minlength=n)
        essential = ~skipped
        indptr, docs, sums = self.sums(q.owners[essential], q.terms[essential], n)
        owner_of = np.repeat(np.arange(n), np.diff(indptr))
        theta = np.maximum(theta, self._kth(indptr, sums, width))
        survive = (sums + skipped_bound[owner_of]) * (1 + MARGIN) >= theta[owner_of] * (1 - MARGIN)
        pair_queries, pair_docs = owner_of[survive], docs[survive]
        final = self.exact(q, pair_queries, pair_docs)
        # 4. Top ``width`` per query in column order; ties at the boundary or no floor: the full row.
        out = np.full((n, width), -1, dtype=np.int64)
        fallback = theta <= 0
        key_order = np.lexsort((pair_docs, -final, pair_queries))
        sorted_queries = pair_queries[key_order]
        counts = np.bincount(pair_queries[final > 0], minlength=n)
        first = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(pair_queries, minlength=n), out=first[1:])
        sorted_final = final[key_order]
        over = np.flatnonzero((counts > width) & ~fallback)
        tie = over[sorted_final[first[over] + width] == sorted_final[first[over] + width - 1]]
        fallback[tie] = True
        rank_in_query = np.arange(key_order.size) - first[sorted_queries]
        chosen = (rank_in_query < width) & (sorted_final > 0) & ~fallback[sorted_queries]
        chosen_queries = sorted_queries[chosen]
        chosen_docs = pair_docs[key_order][chosen]
        by_column = np.lexsort((chosen_docs, chosen_queries))
        chosen_queries, chosen_docs = chosen_queries[by_column], chosen_docs[by_column]
        kept_first = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(chosen_queries, minlength=n), out=kept_first[1:])
        out[chosen_queries, np.arange(chosen_queries.size) - kept_first[chosen_queries]] = chosen_docs
        rows = np.flatnonzero(fallback)
        if rows.size:
            self.read += int(np.diff(self.postings.indptr)[q.terms[np.isin(q.owners, rows)]].sum())
            full = lex.scores_batch([queries[i] for i in rows])
            out[rows] = best_columns(full, width)
        return out, q

    @staticmethod
    def _kth(indptr: np.ndarray, sums: np.ndarray, k: int) -> np.ndarray:
        n = len(indptr) - 1
        theta = np.zeros(n)
        lengths = np.diff(indptr)
        owner = np.repeat(np.arange(n), lengths)
        order = np.lexsort((-sums, owner))
        full = np.flatnonzero(lengths >= k)
        theta[full] = sums[order[indptr[full].astype(np.int64) + k - 1]]
        return theta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=Path)
    parser.add_argument("--lines", dest="count", type=int, default=None)
    parser.add_argument("--index", type=Path, default=None)
    options = parser.parse_args()

    from assist.batch.evaluate import BATCH
    from assist.text.normalise import normalise

    folder = options.index or max(Path("index").glob("build-*"))
    lex = LexicalIndex.load(folder)
    records = [json.loads(line) for line in options.lines.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [normalise(r["text"]) for r in records[: options.count]]
    pruned = Pruned(lex)
    width = min(LEXICAL_NEIGHBOURS, lex.n_docs)
    cpu = {"full": 0.0, "pruned": 0.0}
    full_read = 0
    agreed = True
    rng = np.random.default_rng(22)
    for number, start in enumerate(range(0, len(texts), BATCH)):
        batch = texts[start : start + BATCH]
        reference = table = best = None
        q: QueryTerms | None = None
        for side in (("full", "pruned") if number % 2 == 0 else ("pruned", "full")):
            began = time.process_time()
            if side == "full":
                table = lex.scores_batch(batch)
                reference = best_columns(table, width)
            else:
                best, q = pruned.best(batch, width)
            cpu[side] += time.process_time() - began
        assert reference is not None and table is not None and best is not None and q is not None
        agreed &= bool(np.array_equal(reference, best))
        # Scores at the picked columns and at random documents, bit for bit.
        rows = np.repeat(np.arange(len(batch)), width + 32)
        columns = np.concatenate([np.maximum(reference, 0), rng.integers(0, lex.n_docs, (len(batch), 32))], axis=1)
        read = pruned.read
        exact = pruned.exact(q, rows, columns.ravel())
        pruned.read = read
        agreed &= bool(np.array_equal(exact.view(np.uint32), table[rows, columns.ravel()].view(np.uint32)))
        full_read += int(np.diff(lex._postings.indptr)[q.terms].sum())
    print(json.dumps({
        "lines": len(texts), "identical": agreed,
        "postings_per_query": {"full": round(full_read / len(texts), 1), "pruned": round(pruned.read / len(texts), 1)},
        "cpu_s": {side: round(value, 3) for side, value in cpu.items()},
        "ratio_pruned_over_full": round(cpu["pruned"] / cpu["full"], 3),
    }))


if __name__ == "__main__":
    main()
