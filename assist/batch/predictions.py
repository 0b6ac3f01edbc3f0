"""Per-utterance predictions, and outputs that appear only when a run succeeds.

``predictions.jsonl`` or ``predictions.csv`` (by the file name's suffix) get one
row per input line: the input's own id (``--id-col``) and line number, the
redacted text, the gold label, the scenario answered (empty when abstained),
the top candidate and its score, and the top three scenarios. Rows are written
as they come, into a hidden temporary file beside the target.

:class:`StagedOutputs` holds every output of a run (predictions, report files,
stubs) in temporary places until :meth:`StagedOutputs.commit` moves them into
place; a run that stops on a bad line leaves nothing half-written, and files of
an earlier run stay as they were.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from assist.atomic_write import SHARED_FILE_MODE
from assist.batch.decide import DecidedBatch, Decision
from assist.batch.evaluate import OUT_OF_SCOPE
from assist.errors import InputError
from assist.text.datafiles import Utterance
from assist.text.redact import redact

COLUMNS = ("id", "line", "text", "label", "answered", "top", "score", "abstained", "pinned", "top3")


def prediction_row(item: Utterance, decision: Decision, redacted: str | None = None) -> dict[str, Any]:
    """One prediction, texts redacted (``redacted``: ``redact(item.text)``, when the caller has it)."""
    ranked = list(decision.scenarios)
    answered = ranked[0] if ranked and not decision.abstained else OUT_OF_SCOPE
    return {
        "id": item.id,
        "line": item.line,
        "text": redact(item.text) if redacted is None else redacted,
        "label": item.label,
        "answered": answered,
        "top": ranked[0] if ranked else None,
        "score": round(decision.score, 4) if ranked else 0.0,
        "abstained": decision.abstained,
        "pinned": decision.pinned,
        "top3": ranked[:3],
    }


def render_rows(rows: Sequence[dict[str, Any]], csv_format: bool) -> str:
    """``rows`` as :meth:`PredictionWriter.write_row` writes them (CSV without its header), to
    hand to :meth:`PredictionWriter.write_rendered`."""
    if not csv_format:
        return "".join([json.dumps(row, ensure_ascii=False) + "\n" for row in rows])
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, COLUMNS)
    for row in rows:
        writer.writerow({**row, "top3": " ".join(row["top3"])})
    return buffer.getvalue()


@dataclass
class StagedOutputs:
    """Temporary files and folders that become a run's outputs only on :meth:`commit`."""

    staged: list[tuple[Path, Path]] = field(default_factory=list)

    def file(self, target: Path) -> Path:
        """A temporary path in ``target``'s folder (same file system: the move is a rename)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        os.close(handle)
        staged = Path(name)
        self.staged.append((staged, target))
        return staged

    def folder(self, target: Path) -> Path:
        """A temporary folder whose files are moved into ``target`` on commit."""
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
        self.staged.append((staged, target))
        return staged

    def commit(self) -> None:
        for staged, target in self.staged:
            if staged.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                for path in sorted(staged.iterdir()):
                    os.replace(path, target / path.name)
                staged.rmdir()
            else:
                os.chmod(staged, SHARED_FILE_MODE)
                os.replace(staged, target)
        self.staged.clear()

    def abort(self) -> None:
        for staged, _ in self.staged:
            if staged.is_dir():
                shutil.rmtree(staged, ignore_errors=True)
            else:
                staged.unlink(missing_ok=True)
        self.staged.clear()


class PredictionWriter:
    """Streams prediction rows to a staged file (JSONL, or CSV for a ``.csv`` name)."""

    def __init__(self, target: Path, outputs: StagedOutputs) -> None:
        suffix = target.suffix.lower()
        if suffix not in (".jsonl", ".ndjson", ".csv"):
            raise InputError(f"--predictions {target.name}: name it .jsonl or .csv")
        self.csv = suffix == ".csv"
        self.path = outputs.file(target)
        self.handle: IO[str] = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.DictWriter(self.handle, COLUMNS) if self.csv else None
        if self.writer is not None:
            self.writer.writeheader()
        self.rows = 0

    @property
    def format(self) -> str:
        """``csv`` or ``jsonl``: how :func:`render_rows` renders rows for this file."""
        return "csv" if self.csv else "jsonl"

    def add_batch(self, batch: Sequence[Utterance], decided: DecidedBatch) -> None:
        for item, decision in zip(batch, decided.decisions, strict=True):
            self.write_row(prediction_row(item, decision))

    def write_rendered(self, text: str, rows: int) -> None:
        """``rows`` rows rendered by :func:`render_rows` (e.g. on a Ray actor) for this file's format."""
        self.handle.write(text)
        self.rows += rows

    def write_row(self, row: dict[str, Any]) -> None:
        if self.writer is not None:
            self.writer.writerow({**row, "top3": " ".join(row["top3"])})
        else:
            self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.rows += 1

    def close(self) -> None:
        self.handle.close()
