"""Stream utterances from JSONL, CSV or plain-text files, one at a time.

JSONL lines are objects with a text field (``text`` by default) and an
optional label (``scenario``); CSV files have a header row; plain text has one
utterance a line and no labels. Errors name the file and line.

Labels are redacted as they are read: a label column is free text in a bank's
export (a wrong ``--label-col`` can point at notes holding phone numbers), and
labels flow into reports, JSON and file names. Scenario ids are unchanged by it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from assist.errors import InputError
from assist.text.redact import redact


@dataclass(frozen=True)
class Utterance:
    text: str
    label: str | None = None
    line: int = 0


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    return "text"


def read_utterances(
    path: Path, *, text_field: str = "text", label_field: str | None = "scenario", fmt: str | None = None
) -> Iterator[Utterance]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    kind = fmt or detect_format(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            if kind == "jsonl":
                yield from _jsonl(path, handle, text_field, label_field)
            elif kind == "csv":
                yield from _csv(path, handle, text_field, label_field)
            else:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield Utterance(line.rstrip("\r\n"), None, number)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 ({exc.reason}); save the file as UTF-8") from None


def _jsonl(path: Path, handle: TextIO, text_field: str, label_field: str | None) -> Iterator[Utterance]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path}:{number}: not valid JSON ({exc.args[0]})") from None
        if not isinstance(record, dict) or not isinstance(record.get(text_field), str):
            raise InputError(f"{path}:{number}: expected an object with a text field '{text_field}'")
        label = record.get(label_field) if label_field else None
        yield Utterance(record[text_field], clean_label(label), number)


def _csv(path: Path, handle: TextIO, text_field: str, label_field: str | None) -> Iterator[Utterance]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(handle, delimiter=delimiter)
    if reader.fieldnames is None or text_field not in reader.fieldnames:
        raise InputError(
            f"{path}:1: no column '{text_field}' in the header {reader.fieldnames}; "
            "name the text column with --text-col"
        )
    for row in reader:
        label = row.get(label_field) if label_field else None
        yield Utterance(row[text_field] or "", clean_label(label), reader.line_num)


def clean_label(label: object) -> str | None:
    if not isinstance(label, str) or not label.strip():
        return None
    return redact(label.strip())
