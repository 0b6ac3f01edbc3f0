"""jieba's prefix dictionary kept as arrays in the user cache, so a run need not load it as a dict.

jieba segments by a dict of every dictionary word and every prefix of one (about 500,000 keys,
a prefix's frequency 0) and their total. ``jieba.initialize`` unmarshals that dict from its
cache on every start: about a second of CPU and 60 MB, for the few thousand keys a run's gap
sample asks about. :class:`WordTable` holds the same keys and frequencies in four arrays (the
keys' UTF-8 in one blob, their offsets, their frequencies, an open-addressing hash table of
CRC-32 slots) read from one sealed ``.npz`` (:func:`assist.atomic_write.read_sealed_arrays`:
its checksum is checked on every read, a damaged file is rebuilt, never used), and answers
``in``, ``[]`` and ``get`` for a key exactly as the dict does. Those are the only questions
jieba's precise mode without HMM asks of it (``Tokenizer.get_DAG`` and ``Tokenizer.calc``), so
a :class:`jieba.Tokenizer` given the table cuts every text into the same words.

The table is built once from the dictionary file jieba reads (with jieba's own
``Tokenizer.gen_pfdict``), under a key that hashes that file, jieba's version and
:data:`LAYOUT`. Where the cache cannot be written, :func:`tokenizer` answers None and the
caller initialises jieba as before.
"""

from __future__ import annotations

import hashlib
import zlib
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from assist.atomic_write import CacheBound, read_sealed_arrays, write_sealed_arrays

LAYOUT = 1
"""The arrays' layout: a change makes a new key, so an old file is never read as a new one."""
_ARRAYS = ("blob", "offsets", "freqs", "slots", "total")
_MISSING = -1
REMEMBERED = 200_000
"""Keys whose answer a table keeps in a dict (a run asks about the same few thousand often)."""


class WordTable:
    """The prefix dictionary's keys and frequencies (see the module's docstring), read-only."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._blob = arrays["blob"].tobytes()
        self._offsets = np.ascontiguousarray(arrays["offsets"], dtype=np.int64).data.cast("B").cast("q")
        self._freqs = np.ascontiguousarray(arrays["freqs"], dtype=np.int64).data.cast("B").cast("q")
        self._slots = np.ascontiguousarray(arrays["slots"], dtype=np.int32).data.cast("B").cast("i")
        self._mask = len(self._slots) - 1
        self.total = int(arrays["total"])
        self._known: dict[str, int] = {}

    def _frequency(self, word: str) -> int:
        """The key's frequency, :data:`_MISSING` when it is not a key."""
        known = self._known.get(word)
        if known is not None:
            return known
        data = word.encode("utf-8")
        slot = zlib.crc32(data) & self._mask
        found = _MISSING
        while (index := self._slots[slot]) >= 0:
            if self._blob[self._offsets[index]:self._offsets[index + 1]] == data:
                found = self._freqs[index]
                break
            slot = (slot + 1) & self._mask
        if len(self._known) >= REMEMBERED:
            self._known.clear()
        self._known[word] = found
        return found

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._frequency(word) != _MISSING

    def __getitem__(self, word: str) -> int:
        found = self._frequency(word)
        if found == _MISSING:
            raise KeyError(word)
        return found

    def get(self, word: str, default: int | None = None) -> int | None:
        found = self._frequency(word)
        return default if found == _MISSING else found


def table_arrays(freq: dict[str, int], total: int) -> dict[str, np.ndarray]:
    """The arrays of a prefix dictionary ``freq`` (as ``gen_pfdict`` makes it) and its ``total``."""
    encoded = [word.encode("utf-8") for word in freq]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(data) for data in encoded], out=offsets[1:])
    size = 1 << max(1, (2 * len(encoded)).bit_length())  # at most half full
    mask = size - 1
    slots = [-1] * size
    for index, data in enumerate(encoded):
        slot = zlib.crc32(data) & mask
        while slots[slot] >= 0:
            slot = (slot + 1) & mask
        slots[slot] = index
    return {"blob": np.frombuffer(b"".join(encoded), dtype=np.uint8), "offsets": offsets,
            "freqs": np.fromiter(freq.values(), dtype=np.int64, count=len(freq)),
            "slots": np.array(slots, dtype=np.int32), "total": np.array(total, dtype=np.int64)}


def _dictionary(jieba: Any) -> bytes:
    with jieba.dt.get_dict_file() as file:
        data: bytes = file.read()
        return data


def table_key(dictionary: bytes) -> str:
    digest = hashlib.sha256(f"jieba word table {LAYOUT}\0{metadata.version('jieba')}\0".encode())
    digest.update(dictionary)
    return digest.hexdigest()


def load_table(cache: Path) -> WordTable | None:
    """The default dictionary's table from ``cache`` (built and written there on a miss); None
    when it cannot be kept there."""
    import io

    import jieba

    dictionary = _dictionary(jieba)
    key = table_key(dictionary)
    path = cache / f"{key[:32]}.npz"
    arrays = read_sealed_arrays(path, key, _ARRAYS)
    if arrays is None:
        freq, total = jieba.Tokenizer.gen_pfdict(io.BytesIO(dictionary))
        write_sealed_arrays(path, key, table_arrays(freq, total), _ARRAYS, CacheBound(2))
        arrays = read_sealed_arrays(path, key, _ARRAYS)
    return WordTable(arrays) if arrays is not None else None


def tokenizer(cache: Path) -> Any | None:
    """A :class:`jieba.Tokenizer` of the default dictionary reading the table (see the module's
    docstring), or None when the table cannot be kept in ``cache``."""
    import jieba

    if jieba.dt.dictionary != jieba.DEFAULT_DICT:
        return None  # a dictionary set by someone else: theirs is the one to load
    table = load_table(cache)
    if table is None:
        return None
    cutter = jieba.Tokenizer()
    cutter.FREQ, cutter.total, cutter.initialized = table, table.total, True
    return cutter
