"""Batch inputs: format from the content, encodings, bad lines with file:line, skip or stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assist.errors import InputError
from assist.limits import MAX_UTTERANCE_CHARS
from assist.text.datafiles import UtteranceReader, detect_format, read_utterances


def test_format_comes_from_the_content_not_the_extension(tmp_path: Path) -> None:
    csv_as_txt = tmp_path / "export.txt"
    csv_as_txt.write_text("call_id,text,scenario\n7,卡被吞了,card_swallowed_atm\n", encoding="utf-8")
    assert detect_format(csv_as_txt) == "csv"
    [item] = read_utterances(csv_as_txt, id_field="call_id")
    assert (item.text, item.label, item.id, item.line) == ("卡被吞了", "card_swallowed_atm", "7", 2)
    jsonl_as_csv = tmp_path / "lines.csv"
    jsonl_as_csv.write_text(json.dumps({"text": "挂失", "scenario": "x"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert detect_format(jsonl_as_csv) == "jsonl"
    tsv = tmp_path / "t.data"
    tsv.write_text("text\tscenario\n你好\tgreet\n", encoding="utf-8")
    assert [u.label for u in read_utterances(tsv)] == ["greet"]
    plain = tmp_path / "plain.csv"
    plain.write_text("我的卡丢了\n还有一张, 也丢了\n", encoding="utf-8")
    assert detect_format(plain) == "text"
    assert [u.text for u in read_utterances(plain)] == ["我的卡丢了", "还有一张, 也丢了"]
    assert next(u.text for u in read_utterances(csv_as_txt, fmt="text")) == "call_id,text,scenario"


def test_gbk_exports_need_and_get_an_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("text,scenario\n我的卡被冻结了,account_frozen\n".encode("gbk"))
    with pytest.raises(InputError) as error:
        list(read_utterances(path, fmt="csv"))
    assert f"{path}:2: not valid utf-8" in str(error.value) and "--encoding" in str(error.value)
    assert [u.text for u in read_utterances(path, encoding="gbk")] == ["我的卡被冻结了"]
    with pytest.raises(InputError, match="unknown --encoding"):
        UtteranceReader(path, encoding="no-such-codec")


def bad_file(tmp_path: Path) -> Path:
    lines = [
        json.dumps({"text": "卡被吞了", "scenario": "a"}, ensure_ascii=False),
        json.dumps({"text": "转账没到", "scenario": "b"}, ensure_ascii=False),
        '{"text": "我的手机13812345678 坏掉的行',
        json.dumps({"txt": "no text field"}),
        json.dumps({"text": "x" * (MAX_UTTERANCE_CHARS + 1)}),
        json.dumps({"text": "最后一行", "scenario": "c"}, ensure_ascii=False),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_stop_names_the_file_and_line_and_never_echoes_the_text(tmp_path: Path) -> None:
    path = bad_file(tmp_path)
    seen = []
    with pytest.raises(InputError) as error:
        seen.extend(read_utterances(path))
    message = str(error.value)
    assert message.startswith(f"{path}:3: not valid JSON")
    assert "13812345678" not in message and "坏掉" not in message
    assert len(seen) == 2


def test_skip_goes_on_and_remembers_each_bad_line(tmp_path: Path) -> None:
    reader = UtteranceReader(bad_file(tmp_path), on_error="skip")
    assert [u.text for u in reader] == ["卡被吞了", "转账没到", "最后一行"]
    assert [b.line for b in reader.skipped] == [3, 4, 5]
    assert "text field" in reader.skipped[1].reason and "limit" in reader.skipped[2].reason


def test_csv_row_with_too_many_fields_is_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("text,scenario\n好的,a\n多了,b,c\n还行,d\n", encoding="utf-8")
    reader = UtteranceReader(path, on_error="skip")
    assert [u.text for u in reader] == ["好的", "还行"]
    assert [b.line for b in reader.skipped] == [3]
    with pytest.raises(InputError, match=r"rows.csv:3: 3 fields"):
        list(read_utterances(path))


def test_parquet_is_read_by_its_magic_number(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "calls.bin"
    pq.write_table(pa.table({"text": ["卡被吞了", "转账"], "scenario": ["a", None], "uid": [10, 11]}), path)
    assert detect_format(path) == "parquet"
    items = list(read_utterances(path, id_field="uid"))
    assert [(u.text, u.label, u.id, u.line) for u in items] == [("卡被吞了", "a", "10", 1), ("转账", None, "11", 2)]


def test_labels_are_redacted_ids_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps({"text": "t", "scenario": "call 13812345678", "id": 99}) + "\n", encoding="utf-8")
    [item] = read_utterances(path, id_field="id")
    assert item.label == "call [PHONE]" and item.id == "99"
