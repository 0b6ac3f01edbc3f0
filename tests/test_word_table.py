from __future__ import annotations

import logging
from pathlib import Path

import jieba
import pytest

from assist.batch import word_table
from assist.batch.word_table import WordTable, table_arrays


def test_the_table_answers_as_the_dict_does() -> None:
    freq = {"数": 5, "数字": 9, "数字人": 0, "数字人民币": 3, "人民币": 7, "etc": 1, "a": 0}
    table = WordTable(table_arrays(freq, 25))
    assert table.total == 25
    for word, count in freq.items():
        assert word in table and table[word] == count and table.get(word) == count
    for absent in ("", "字人民", "数字人民", "ETC", "b"):
        assert absent not in table and table.get(absent) is None and table.get(absent, 1) == 1
        with pytest.raises(KeyError):
            table[absent]
    assert table.get("数字人") == 0 and (table.get("数字人") or 1) == 1  # a prefix: 0, as jieba reads it


def test_a_full_table_probes_past_collisions() -> None:
    freq = {f"词{k}": k for k in range(5000)}
    table = WordTable(table_arrays(freq, sum(freq.values())))
    assert all(table.get(word) == count for word, count in freq.items())
    assert table.get("词5000") is None


@pytest.fixture(scope="module")
def jiebas() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    own = jieba.Tokenizer()
    own.initialize()
    return own


def test_the_tokenizer_cuts_as_jieba_and_the_cache_is_sealed(tmp_path: Path, jiebas: jieba.Tokenizer) -> None:
    cutter = word_table.tokenizer(tmp_path)
    assert cutter is not None and cutter.total == jiebas.total
    texts = ["数字人民币怎么开通", "我的ETC卡被吞了，谢谢", "信用卡年费可以减免吗？please", "吞卡了怎么办！！123", ""]
    assert [cutter.lcut(t, HMM=False) for t in texts] == [jiebas.lcut(t, HMM=False) for t in texts]
    assert all(cutter.FREQ.get(word) == count for word, count in list(jiebas.FREQ.items())[::97])
    (path,) = tmp_path.glob("*.npz")
    path.write_bytes(path.read_bytes()[:1000])  # damaged: rebuilt, never read
    again = word_table.tokenizer(tmp_path)
    assert again is not None and again.lcut(texts[0], HMM=False) == jiebas.lcut(texts[0], HMM=False)


def test_no_table_where_the_cache_cannot_be_written(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert word_table.tokenizer(blocked / "jieba") is None
