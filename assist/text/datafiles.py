"""Stream utterances from JSONL, CSV/TSV, Parquet or plain-text files, one at a time.

JSONL lines are objects with a text field (``text`` by default), an optional
label (``scenario``) and an optional id column; CSV files have a header row;
plain text has one utterance a line and no labels. The format is read from the
content (a Parquet magic number, a first line that is a JSON object, a header
row holding the text column), or given with ``fmt``; the file name's extension
is only a tie-breaker, so a CSV export named ``.txt`` is still read as CSV.

Bad lines (not JSON, no text field, over-long text, undecodable bytes, a CSV
row with too many fields) are reported as ``file:line: what is wrong``. With
``on_error="stop"`` (the default) the first one raises :class:`InputError`;
with ``"skip"`` it is recorded in :attr:`UtteranceReader.skipped` and reading
goes on. Error messages never quote the line's text: it is customer data.

Labels are redacted as they are read: a label column is free text in a bank's
export (a wrong ``--label-col`` can point at notes holding phone numbers), and
labels flow into reports, JSON and file names. Scenario ids are unchanged by it.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from assist.errors import InputError
from assist.limits import MAX_UTTERANCE_CHARS
from assist.text.redact import redact

Format = Literal["jsonl", "csv", "tsv", "parquet", "text"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "tsv", "parquet", "text")
OnError = Literal["stop", "skip"]
PARQUET_MAGIC = b"PAR1"
STDIN = "-"
"""The path that means standard input."""
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Utterance:
    text: str
    label: str | None = None
    line: int = 0
    id: str | None = None
    """The input's own id for the line (``--id-col``), carried into predictions."""
    extra: tuple[tuple[str, str], ...] = ()
    """Further columns asked for (:attr:`UtteranceReader.fields`), as (name, value) pairs."""

    def get(self, name: str) -> str | None:
        return dict(self.extra).get(name)


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


@dataclass
class UtteranceReader:
    """An iterable over a file's utterances that remembers the lines it skipped."""

    path: Path
    text_field: str = "text"
    label_field: str | None = "scenario"
    id_field: str | None = None
    fmt: str | None = None
    encoding: str = "utf-8"
    on_error: OnError = "stop"
    skipped: list[BadLine] = field(default_factory=list)
    fields: tuple[str, ...] = ()
    """Further columns to carry (e.g. a call transcript's call_id, turn, speaker, agent, team)."""

    def __post_init__(self) -> None:
        if self.on_error not in ("stop", "skip"):
            raise InputError(f"--on-error must be 'stop' or 'skip', not {self.on_error!r}")
        if self.fmt is not None and self.fmt not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {self.fmt!r}")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise InputError(f"unknown --encoding {self.encoding!r}; e.g. utf-8, gbk, gb18030, big5") from None

    @property
    def format(self) -> str:
        return self.fmt or detect_format(self.path, self.text_field, self.encoding)

    def __iter__(self) -> Iterator[Utterance]:
        if str(self.path) == STDIN:
            yield from self._stdin()
            return
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        self.skipped.clear()
        kind = self.format
        if kind == "parquet":
            yield from self._parquet()
            return
        with open(self.path, "rb") as handle:
            yield from self._parse(kind, self._decoded(handle))

    def _stdin(self) -> Iterator[Utterance]:
        """Standard input (``-``), read once as it streams: the format from its first line unless
        ``fmt`` says. Parquet needs a file."""
        self.skipped.clear()
        stream = sys.stdin.buffer
        first = stream.readline()
        kind = self.fmt or format_of(first, self.text_field, self.encoding)
        if kind == "parquet":
            raise InputError("-: Parquet cannot be read from standard input; give the file's path")
        yield from self._parse(kind, self._decoded(itertools.chain([first], stream)))

    def _parse(self, kind: str, lines: Iterator[tuple[int, str]]) -> Iterator[Utterance]:
        if kind == "jsonl":
            yield from self._jsonl(lines)
        elif kind in ("csv", "tsv"):
            yield from self._csv(lines, "\t" if kind == "tsv" else ",")
        else:
            for number, line in lines:
                text = line.rstrip("\r\n")
                if text.strip() and self._length_ok(number, text):
                    yield Utterance(text, None, number)

    def bad(self, line: int, reason: str) -> None:
        """Stop on a bad line, or note it and go on."""
        if self.on_error == "stop":
            raise InputError(f"{self.path}:{line}: {reason} (--on-error skip skips bad lines)")
        self.skipped.append(BadLine(line, reason))

    def _length_ok(self, number: int, text: str) -> bool:
        if len(text) > MAX_UTTERANCE_CHARS:
            self.bad(number, f"text of {len(text):,} characters, over the {MAX_UTTERANCE_CHARS:,} limit")
            return False
        return True

    def _decoded(self, handle: Iterable[bytes]) -> Iterator[tuple[int, str]]:
        """(line number, text) of every physical line; an undecodable line is a bad line."""
        encoding = "utf-8-sig" if self.encoding.lower().replace("_", "-") in ("utf-8", "utf8") else self.encoding
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode(encoding if number == 1 else self.encoding)
            except UnicodeDecodeError as exc:
                self.bad(number, f"not valid {self.encoding} ({exc.reason}); give the file's --encoding")
                continue
            yield number, text

    def _jsonl(self, lines: Iterator[tuple[int, str]]) -> Iterator[Utterance]:
        for number, line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                self.bad(number, f"not valid JSON ({exc.args[0].split(':')[0]})")
                continue
            if not isinstance(record, dict) or not isinstance(record.get(self.text_field), str):
                self.bad(number, f"expected an object with a text field '{self.text_field}'")
                continue
            text = record[self.text_field]
            if not self._length_ok(number, text):
                continue
            label = record.get(self.label_field) if self.label_field else None
            ident = record.get(self.id_field) if self.id_field else None
            extra = tuple((name, clean_id(record.get(name)) or "") for name in self.fields)
            yield Utterance(text, clean_label(label), number, clean_id(ident), extra)

    def _csv(self, lines: Iterator[tuple[int, str]], delimiter: str) -> Iterator[Utterance]:
        current = [0]

        def physical() -> Iterator[str]:
            for number, line in lines:
                current[0] = number
                yield line

        reader = csv.reader(physical(), delimiter=delimiter)
        header = next(reader, None)
        if header is None or self.text_field not in header:
            raise InputError(
                f"{self.path}:1: no column '{self.text_field}' in the header {header}; "
                "name the text column with --text-col"
            )
        text_at = header.index(self.text_field)
        label_at = header.index(self.label_field) if self.label_field in header else None
        id_at = header.index(self.id_field) if self.id_field and self.id_field in header else None
        if self.id_field and id_at is None:
            raise InputError(f"{self.path}:1: no column '{self.id_field}' in the header {header}; check --id-col")
        field_at = [(name, header.index(name) if name in header else None) for name in self.fields]
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.bad(current[0], f"unreadable CSV ({exc})")
                continue
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                self.bad(current[0], f"{len(row)} fields where the header has {len(header)}")
                continue
            text = row[text_at] if text_at < len(row) else ""
            if not self._length_ok(current[0], text):
                continue
            label = row[label_at] if label_at is not None and label_at < len(row) else None
            ident = row[id_at] if id_at is not None and id_at < len(row) else None
            extra = tuple((name, clean_id(row[at]) or "" if at is not None and at < len(row) else "")
                          for name, at in field_at)
            yield Utterance(text, clean_label(label), current[0], clean_id(ident), extra)

    def _parquet(self) -> Iterator[Utterance]:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            from assist.errors import ExtraMissingError

            raise ExtraMissingError("reading Parquet", "ray") from None
        parquet = pq.ParquetFile(self.path)
        names = parquet.schema_arrow.names
        if self.text_field not in names:
            raise InputError(f"{self.path}: no column '{self.text_field}' in {names}; name it with --text-col")
        columns = [c for c in (self.text_field, self.label_field, self.id_field, *self.fields) if c and c in names]
        number = 0
        for batch in parquet.iter_batches(columns=columns, batch_size=4096):
            data = batch.to_pydict()
            for i, text in enumerate(data[self.text_field]):
                number += 1
                if not isinstance(text, str):
                    self.bad(number, f"row has no text in '{self.text_field}'")
                    continue
                if not self._length_ok(number, text):
                    continue
                label = data[self.label_field][i] if self.label_field in data else None
                ident = data[self.id_field][i] if self.id_field and self.id_field in data else None
                extra = tuple((name, clean_id(data[name][i]) or "" if name in data else "") for name in self.fields)
                yield Utterance(text, clean_label(label), number, clean_id(ident), extra)


def detect_format(path: Path, text_field: str = "text", encoding: str = "utf-8") -> str:
    """The format from the file's first bytes; the extension only decides between equals."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return "text"
    return format_of(head, text_field, encoding, path.suffix)


def format_of(head: bytes, text_field: str = "text", encoding: str = "utf-8", suffix: str = "") -> str:
    """The format of data starting with ``head`` (at least its first line); ``suffix`` decides
    between equals."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    first = head.split(b"\n", 1)[0].decode(encoding, errors="replace").lstrip("\ufeff").strip()
    if first.startswith("{"):
        try:
            if isinstance(json.loads(first), dict):
                return "jsonl"
        except ValueError:
            pass
    for kind, delimiter in (("tsv", "\t"), ("csv", ",")):
        if delimiter in first:
            header = next(csv.reader([first], delimiter=delimiter), [])
            if text_field in (cell.strip() for cell in header):
                return kind
    if first == text_field:
        return "csv"
    if suffix.lower() in (".jsonl", ".ndjson", ".json") and first.startswith("{"):
        return "jsonl"
    return "text"


def read_utterances(
    path: Path,
    *,
    text_field: str = "text",
    label_field: str | None = "scenario",
    fmt: str | None = None,
    id_field: str | None = None,
    encoding: str = "utf-8",
    on_error: OnError = "stop",
) -> Iterator[Utterance]:
    """Every utterance of ``path``; see :class:`UtteranceReader` for the skipped lines."""
    return iter(UtteranceReader(path, text_field, label_field, id_field, fmt, encoding, on_error))


def clean_label(label: object) -> str | None:
    if not isinstance(label, str) or not label.strip():
        return None
    return _redacted_label(label.strip())


@lru_cache(maxsize=1024)
def _redacted_label(label: str) -> str:
    """A file's labels repeat (a few hundred scenario names over millions of lines), and
    redacting each line's again was most of the cost of reading a labelled file."""
    return redact(label)


def clean_id(ident: object) -> str | None:
    """An id column's value as text (ints from JSON too), kept as it is: it is the bank's own
    key for joining predictions back (a call or ticket number), not customer text."""
    if ident is None or isinstance(ident, (dict, list)):
        return None
    text = str(ident).strip()
    return text or None
