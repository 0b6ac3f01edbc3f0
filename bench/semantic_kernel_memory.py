"""Peak memory and time of the semantic signal's sparse kernel, the whole product at once (as
before) or a block of rows at a time (:func:`assist.compliance.semantic.add_sparse_products`), and
whether the two are bit for bit equal.

Usage: ``python bench/semantic_kernel_memory.py whole|blocks [EVERY]``: one way per process (peak
RSS is per process), on the shipped pack's training rows (every EVERY-th exemplar, default 1: a
fraction keeps the run small enough to measure beside others' trainings; both parts grow as the
square of the rows); the kernel's SHA-256 is printed (compare the two runs' digests).
"""

from __future__ import annotations

import hashlib
import resource
import sys
import time

import numpy as np

from assist.compliance import semantic
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import shipped_approved_texts
from assist.library.loader import SHIPPED_LIBRARY


def main(way: str, every: int) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    ex = pack.exemplars[::every]
    data = semantic.training_set([e.text for e in ex], [e.category for e in ex], [e.violating for e in ex],
                                 list(shipped_approved_texts().read()))
    rows = semantic.gram_matrix(data.texts)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if way == "whole":
        kernel = (rows @ rows.T).toarray()
    else:
        kernel = np.zeros((rows.shape[0], rows.shape[0]))
        semantic.add_sparse_products(kernel, rows)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = hashlib.sha256(kernel.tobytes()).hexdigest()[:16]
    print(f"{way}: {rows.shape[0]} rows, {took:.1f} s, peak RSS {peak / 1e6:.2f} GB "
          f"(before the kernel {before / 1e6:.2f} GB), sha256 {digest}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
