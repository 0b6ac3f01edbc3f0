"""What a cache keyed on parsed library or rule files must hash besides the files themselves:
assist's own code and the versions text normalisation depends on. Shared by the validated
snapshot (assist/compliance/validated.py) and the out-of-scope cache (assist/library/out_of_scope.py),
so neither layer imports the other for it."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from assist.library.loader import hash_files

PACKAGE = Path(__file__).resolve().parents[1]
"""The ``assist`` package: every module of it, subpackages included, keys the caches."""


def normalisation_versions() -> str:
    """What text normalisation depends on beyond assist's code: OpenCC's conversion
    tables and the Unicode database of NFKC and case folding. A rule that matches a
    script after one normalisation may not after another."""
    return f"opencc {metadata.version('opencc')}; unicode {unicodedata.unidata_version}\0"


@lru_cache(maxsize=1)
def code_hash() -> str:
    """The package's code, hashed once per process (its files do not change under a running process)."""
    return hash_files(sorted(PACKAGE.rglob("*.py")), PACKAGE)
