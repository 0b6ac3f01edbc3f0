"""``assist evaluate --engine ray``: the same evaluation on a Ray cluster (the ``ray`` extra).

Each Ray Data block goes to an actor that loaded the library, index and model once
(:class:`SuggestActor`); the actor runs ``suggest_many`` on the block and returns the
block's **mergeable aggregates** (an :class:`EvaluationReport` of counts, a
:class:`GapCollector` whose sample is keyed by a hash of the text) and, when asked, its
prediction rows already rendered as the file's text. The driver merges the aggregates as
they arrive, in whatever order; every merge is commutative and associative, so the figures
equal the local engine's on the same input (``tests/test_ray_engine.py``). The gap sample
is embedded and clustered on the driver, as on the local engine.

Input: a local path is parsed on the driver by :class:`UtteranceReader` (format from the
content, ``--encoding``, ``--on-error`` and ``file:line`` errors, exactly as locally) and
handed to Ray in numbered blocks of the local engine's lookup batches; a URL (``s3://``,
``gs://``, ``hdfs://``, any pyarrow file system) is read by Ray Data's own
JSONL/CSV/Parquet readers on the cluster, where a row without text is a bad row (counted,
or stopping the run).

The driver's own work stays off the critical path where it can: the assistant loads and a
local input is parsed on a thread while Ray starts (:func:`beside`); a local input's
predictions are written in input order while the actors run (:class:`InputOrder`); and the
gap sample is embedded while the last of them are written. Joining the cluster, and the
one clear error when it cannot be reached, is :mod:`assist.batch.ray_cluster`'s.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from assist.batch.evaluate import BATCH, EvaluationReport, batched, map_labels, new_report
from assist.batch.gaps import GapCollector, GapReport
from assist.batch.parallel import reuse_freed_memory
from assist.batch.predictions import PredictionWriter, StagedOutputs, render_rows
from assist.batch.ray_cluster import connect, import_ray
from assist.batch.runner import RunResult, aggregate_batch, submitted
from assist.batch.terms import TermService
from assist.errors import AssistError, InputError
from assist.library.importer import label_map
from assist.lookup.assistant import Assistant
from assist.text.datafiles import BadLine, Utterance, UtteranceReader, clean_id, clean_label

BLOCK_ROWS = 2048
"""Rows per block handed to an actor (suggest_many runs on the block in batches of 256)."""
CHUNKS_PER_BLOCK = BLOCK_ROWS // BATCH
"""A local input goes to Ray as chunks of one lookup batch each; this many per block."""
READ_CPUS = 0
"""A URL's read tasks ask for no CPU: the actors hold one CPU each, one per CPU of the cluster, so a
read that waited for a CPU would never start (a local Ray on 2 CPUs hung). Reading is brief beside
the lookups it feeds."""
URL_SCHEMES = ("s3://", "gs://", "gcs://", "hdfs://", "abfs://", "az://", "file://", "http://", "https://")


def is_url(source: str) -> bool:
    return source.startswith(URL_SCHEMES)


Piece = tuple[Any, str, int]
"""A part of the predictions file rendered on an actor: its place (a local input's chunk number,
or a URL row's ``(line, id, text)``), its text and how many rows it holds."""


class SuggestActor:
    """Loads the assistant once; turns each block into pickled mergeable aggregates, and the
    block's prediction rows already rendered as the file's text (:data:`Piece`), so the driver
    only writes them: no row comes back as a Python object."""

    def __init__(self, recipe: bytes, gaps: bool, low_confidence: float | None, predictions: str | None,
                 labels: dict[str, str]) -> None:
        os.environ.setdefault("ASSIST_BLAS_THREADS", "1")
        reuse_freed_memory()  # as in the local engine's workers: a batch's tables stay mapped
        self.assistant, self.failed = loaded_or_error(recipe)
        self.gaps = gaps
        self.low_confidence = low_confidence
        self.predictions = predictions
        """The predictions file's format (``csv`` or ``jsonl``), None when none is written."""
        self.labels = labels

    def __call__(self, block: dict[str, Any]) -> dict[str, list[bytes]]:
        if self.failed is not None:
            raise self.failed
        report = new_report(self.assistant)
        collector = (GapCollector(self.assistant, low_confidence=self.low_confidence) if self.gaps else None)
        pieces: list[Piece] = []
        for place, batch in self.batches(block):
            part = aggregate_batch(self.assistant, batch,
                                   low_confidence=collector.low_confidence if collector is not None else None,
                                   predictions=self.predictions is not None)
            report.merge(part.report)
            if collector is not None and part.gaps is not None:
                collector.total += part.lines
                collector.sample.merge(part.gaps)
            if part.rows is not None:
                pieces.extend(self.rendered(place, part.rows))
        if collector is not None:
            collector.assistant = None  # type: ignore[assignment]
        return {"aggregate": [pickle.dumps((report, collector, pieces), protocol=pickle.HIGHEST_PROTOCOL)]}

    def rendered(self, place: int | None, rows: list[dict[str, Any]]) -> list[Piece]:
        """A chunk's rows as one piece in its place, or (a URL's rows, ordered on the driver as the
        local engine would) one piece per row keyed by its line, id and text."""
        csv_format = self.predictions == "csv"
        if place is not None:
            return [(place, render_rows(rows, csv_format), len(rows))]
        return [((row["line"], row["id"] or "", row["text"]), render_rows([row], csv_format), 1) for row in rows]

    def batches(self, block: dict[str, Any]) -> Iterator[tuple[int | None, list[Utterance]]]:
        """The block's lookup batches, each with its chunk number: the driver's chunks as they were
        cut (the local engine's batches exactly, so scores match to the last bit), or a URL's rows
        in slices of 256 (numbered None)."""
        if "group" in block:
            for group in block["group"]:
                for place, chunk in pickle.loads(group):
                    items = [Utterance(text, label or None, line, ident or None) for text, label, line, ident in chunk]
                    yield place, list(map_labels(items, self.labels))
            return
        items = [Utterance(str(text), label or None, int(line), ident or None)
                 for text, label, line, ident in zip(block["text"], block["label"], block["line"], block["id"],
                                                     strict=True)]
        items = list(map_labels(items, self.labels))
        for start in range(0, len(items), BATCH):
            yield None, items[start : start + BATCH]


def recipe_of(assistant: Assistant) -> dict[str, Any]:
    """How an actor loads the same assistant: from its source, or (an assistant given an
    encoder object, as in tests) from the library folder and the pickled encoder."""
    if assistant.source is not None:
        source = assistant.source
        recipe: dict[str, Any] = {"library": source.library, "model": source.model, "index_dir": source.index_dir}
    else:
        recipe = {"library": assistant.library.root, "encoder": assistant.encoder}
    # Per-language thresholds and margins too: loading with a given threshold leaves them out.
    return {**recipe, "threshold": assistant.threshold, "thresholds": dict(assistant.thresholds),
            "margins": dict(assistant.margins)}


def loaded_or_error(recipe: bytes) -> tuple[Any, AssistError | None]:
    """An actor's assistant, or the error that kept it from loading (a library or index that
    differs on this node). The error is raised by the actor's first block, which hands it to the
    driver as itself: raised from the actor's constructor, Ray would report only its text."""
    try:
        return load_from_recipe(pickle.loads(recipe)), None
    except AssistError as error:
        return None, error


def assist_error(error: BaseException) -> AssistError | None:
    """The :class:`AssistError` a worker raised, out of the exceptions Ray and Ray Data wrap it in."""
    found = None
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, AssistError):
            found = current  # Ray's wrapper may be an AssistError too: the innermost is the worker's own
        for attribute in ("cause", "__cause__", "__context__"):
            inner = getattr(current, attribute, None)
            if isinstance(inner, BaseException):
                pending.append(inner)
    return found


def load_from_recipe(recipe: dict[str, Any]) -> Assistant:
    if "encoder" in recipe:
        assistant = Assistant.load(library=recipe["library"], encoder=recipe["encoder"],
                                   threshold=recipe["threshold"], log=lambda _: None)
    else:
        assistant = Assistant.load(recipe["library"], recipe["model"], index_dir=recipe["index_dir"],
                                   auto_build=False, threshold=recipe["threshold"], log=lambda _: None)
    assistant.thresholds = dict(recipe.get("thresholds", {}))
    assistant.margins = dict(recipe.get("margins", {}))
    return assistant


Chunk = list[tuple[str, str, int, str]]
"""One lookup batch of a local input: (text, label, line, id) of each of its lines."""


def _chunks(items: Iterator[Utterance]) -> Iterator[Chunk]:
    """The input in lookup batches of :data:`BATCH` lines, cut as the local engine cuts them."""
    for batch in batched(items, BATCH):
        yield [(u.text, u.label or "", u.line, u.id or "") for u in batch]


def read_local(source: str, *, text_field: str, label_field: str | None, id_field: str | None,
               fmt: str | None, encoding: str, on_error: str) -> tuple[list[Chunk], UtteranceReader]:
    """A local file parsed here, in the local engine's lookup batches (see :func:`_chunks`)."""
    reader = UtteranceReader(Path(source), text_field, label_field, id_field, fmt, encoding,
                             "skip" if on_error == "skip" else "stop")
    return list(_chunks(iter(reader))), reader


def group_sizes(chunks: int, actors: int) -> list[int]:
    """How many chunks each block of a local input holds: :data:`CHUNKS_PER_BLOCK`, then smaller
    blocks at the end (halves, quarters, single chunks, two per actor of each), so the actors
    finish together: an actor's queued last blocks cannot move to another that ran dry."""
    tail: list[int] = []
    left = chunks
    for size in (1, CHUNKS_PER_BLOCK // 4, CHUNKS_PER_BLOCK // 2):
        for _ in range(2 * actors):
            take = min(max(1, size), left)
            if take:
                tail.append(take)
                left -= take
    head = [CHUNKS_PER_BLOCK] * (left // CHUNKS_PER_BLOCK)
    if left % CHUNKS_PER_BLOCK:
        head.append(left % CHUNKS_PER_BLOCK)
    return head + tail[::-1]


def local_dataset(ray: Any, chunks: list[Chunk], actors: int) -> Any:
    """The parsed chunks, numbered, as a dataset of one row per block (see :func:`group_sizes`)."""
    groups: list[dict[str, bytes]] = []
    start = 0
    for size in group_sizes(len(chunks), actors):
        numbered = list(enumerate(chunks[start : start + size], start))
        groups.append({"group": pickle.dumps(numbered, protocol=pickle.HIGHEST_PROTOCOL)})
        start += size
    return ray.data.from_items(groups, override_num_blocks=max(1, len(groups)))


def read_tasks(reader: Callable[..., Any]) -> dict[str, Any]:
    """The read tasks' resources (:data:`READ_CPUS`) in the form ``reader`` takes: its own
    ``num_cpus`` parameter where it has one (recent Ray: ``ray_remote_args`` of the read functions
    is deprecated, and goes in Ray 2.64), else ``ray_remote_args`` (older Ray)."""
    if "num_cpus" in inspect.signature(reader).parameters:
        return {"num_cpus": READ_CPUS}
    return {"ray_remote_args": {"num_cpus": READ_CPUS}}


def read_dataset(ray: Any, source: str, *, text_field: str, label_field: str | None, id_field: str | None,
                 fmt: str | None, encoding: str, on_error: str) -> tuple[Any, UtteranceReader | None]:
    """A URL's dataset of rows {text, label, line, id} (a local input is :func:`local_dataset`)."""
    kind = fmt or Path(source.split("?")[0]).suffix.lower().lstrip(".")
    if kind in ("jsonl", "json", "ndjson"):
        dataset = ray.data.read_json(source, lines=True, **read_tasks(ray.data.read_json))
    elif kind in ("csv", "tsv"):
        import pyarrow.csv as pacsv

        dataset = ray.data.read_csv(source, read_options=pacsv.ReadOptions(encoding=encoding),
                                    parse_options=pacsv.ParseOptions(delimiter="\t" if kind == "tsv" else ","),
                                    **read_tasks(ray.data.read_csv))
    elif kind == "parquet":
        dataset = ray.data.read_parquet(source, **read_tasks(ray.data.read_parquet))
    else:
        raise InputError(f"{source}: give --format jsonl, csv, tsv or parquet for a URL")
    if text_field not in dataset.schema().names:
        raise InputError(f"{source}: no column '{text_field}' in {dataset.schema().names}; name it with --text-col")

    def shape(block: dict[str, Any]) -> dict[str, list[Any]]:
        texts = list(block[text_field])
        count = len(texts)
        labels = list(block[label_field]) if label_field and label_field in block else [None] * count
        ids = list(block[id_field]) if id_field and id_field in block else [None] * count
        return {"text": ["" if t is None else str(t) for t in texts],
                "label": [clean_label(v) or "" for v in labels], "line": [0] * count,
                "id": [clean_id(v) or "" for v in ids]}

    return dataset.map_batches(shape, batch_format="numpy"), None


def run_ray(
    assistant: Assistant | Callable[[], Assistant],
    source: str,
    *,
    text_field: str = "text",
    label_field: str | None = "scenario",
    id_field: str | None = None,
    fmt: str | None = None,
    encoding: str = "utf-8",
    on_error: str = "stop",
    gaps: bool = True,
    address: str | None = None,
    actors: int | None = None,
    predictions: Path | None = None,
    outputs: StagedOutputs | None = None,
    terms: TermService | None = None,
) -> RunResult:
    """Evaluate ``source`` on Ray (an existing cluster at ``address``, else a local one).

    ``assistant`` may be a function that loads it: it then loads, and a local input is parsed,
    on a thread while this one starts or joins Ray (seconds, mostly waiting for Ray's processes).
    ``terms`` (started by the caller, as for :func:`assist.batch.runner.run_local`) finds the gap
    sample's candidate terms while the sample is embedded and clustered here."""
    fields: dict[str, Any] = {"text_field": text_field, "label_field": label_field, "id_field": id_field,
                              "fmt": fmt, "encoding": encoding, "on_error": on_error}
    local = not is_url(source)
    with ray_output_to_stderr():
        loaded, chunks, reader, started_here = prepared(assistant, source if local else None, fields, address)
        ray = import_ray()
        size = actors or max(1, int(ray.available_resources().get("CPU", 1)))
        if local:
            dataset = local_dataset(ray, chunks, size)
        else:
            dataset, reader = read_dataset(ray, source, **fields)
        # Opened before the run, so a bad name fails at once; it is written as the blocks arrive.
        writer = (PredictionWriter(predictions, outputs if outputs is not None else StagedOutputs())
                  if predictions else None)
        collector = GapCollector(loaded) if gaps else None
        args = (pickle.dumps(recipe_of(loaded)), gaps, collector.low_confidence if collector else None,
                None if writer is None else ("csv" if writer.csv else "jsonl"), label_map(loaded.library.root))
        aggregated = dataset.map_batches(
            SuggestActor, fn_constructor_args=args, batch_size=1 if local else BLOCK_ROWS, batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=size), num_cpus=1,
        )
        report = new_report(loaded)
        ordered = InputOrder(writer, streamed=local)
        merge_blocks(aggregated, report, collector, ordered)
        # The gap sample is embedded (numerical work, mostly without the GIL) while the run finishes.
        gaps_found = beside(lambda: gap_report(collector, terms) if collector is not None else None,
                            lambda: finish(ordered, ray if started_here else None))
        skipped: list[BadLine] = list(reader.skipped) if reader is not None else []
        return RunResult(report, gaps_found, skipped)


def ray_output_to_stderr() -> contextlib.AbstractContextManager[Any]:
    """Everything written to ``sys.stdout`` goes to ``sys.stderr`` while Ray runs. Ray's driver
    prints the cluster's error messages (a worker died, an actor restarted, a task retried: Ray's
    memory monitor killed 168 of its workers in one 200,000-line run on a machine other jobs had
    filled) to whatever ``sys.stdout`` is at that moment, even with ``log_to_driver=False``, which
    put 34 such lines ahead of ``--json``'s report (``bench/ray_error_output.py`` shows it). The
    report itself is printed after the run, to the real stdout; on a cluster this process joined,
    Ray keeps listening after the run, and a message arriving then would still go to stdout."""
    return contextlib.redirect_stdout(sys.stderr)


def prepared(assistant: Assistant | Callable[[], Assistant], local: str | None, fields: dict[str, Any],
             address: str | None) -> tuple[Assistant, list[Chunk], UtteranceReader | None, bool]:
    """The assistant, the ``local`` input's chunks and reader, and whether this call started Ray:
    loaded and parsed on a thread while this one imports Ray and Ray Data (most of a second) and
    starts or joins Ray (seconds, mostly waiting for Ray's processes)."""

    def prepare() -> tuple[Assistant, list[Chunk], UtteranceReader | None]:
        loaded = assistant() if callable(assistant) else assistant
        chunks, reader = read_local(local, **fields) if local is not None else ([], None)
        return loaded, chunks, reader

    started: list[bool] = []

    def join() -> None:
        started.append(not import_ray().is_initialized())
        connect(address)

    loaded, chunks, reader = beside(prepare, join)
    return loaded, chunks, reader, started == [True]


def finish(ordered: InputOrder, started: Any) -> None:
    """Close the predictions file and stop ``started``, the local Ray this run started, if any:
    stopping waits a second or more for its processes to exit, so it is done beside the gap
    sample's embedding rather than at the process's exit, after the report."""
    ordered.close()
    if started is not None:
        started.shutdown()


class InputOrder:
    """Writes the actors' rendered prediction pieces in the input's order, the local engine's.

    A local input's pieces are its chunks, numbered from 0: each is written as soon as those
    before it are (``streamed``), so the file is written while the actors run and the driver
    holds only the pieces that arrived early. A URL's pieces are rows keyed by (line, id, text):
    they are sorted and written at :meth:`close`."""

    def __init__(self, writer: PredictionWriter | None, *, streamed: bool) -> None:
        self.writer = writer
        self.streamed = streamed
        self.waiting: dict[Any, tuple[str, int]] = {}
        self.next = 0

    def add(self, pieces: list[Piece]) -> None:
        if self.writer is None:
            return
        for place, text, rows in pieces:
            self.waiting[place] = (text, rows)
        while self.streamed and self.next in self.waiting:
            self.writer.write_rendered(*self.waiting.pop(self.next))
            self.next += 1

    def close(self) -> None:
        if self.writer is None:
            return
        for place in sorted(self.waiting):
            self.writer.write_rendered(*self.waiting[place])
        self.waiting.clear()
        self.writer.close()


def merge_blocks(aggregated: Any, report: EvaluationReport, collector: GapCollector | None,
                 ordered: InputOrder) -> None:
    """Merge each block's aggregates into ``report`` and ``collector`` as they arrive, in any order;
    its prediction pieces go to ``ordered``."""
    try:
        for record in aggregated.iter_rows():
            part, part_gaps, pieces = pickle.loads(record["aggregate"])
            report.merge(part)
            if collector is not None and part_gaps is not None:
                collector.merge(part_gaps)
            ordered.add(pieces)
    except Exception as error:  # a worker's AssistError arrives wrapped by Ray
        cause = assist_error(error)
        if cause is not None:
            raise cause from None
        raise


def gap_report(collector: GapCollector, terms: TermService | None) -> GapReport:
    """The merged sample embedded, clustered and named here, as the local engine does it: the
    texts without a vector embedded on one BLAS thread in batches of the sample's order (the
    local engine's workers, so the same bits), the candidate terms found meanwhile by ``terms``."""
    from assist.encoders.threads import capped_blas_threads

    found = submitted(terms, collector.sample.texts)
    with capped_blas_threads(1):
        collector.sample.embed(collector.assistant.encoder)
    return collector.report(term_sets=found)


T = TypeVar("T")


def beside(work: Callable[[], T], main: Callable[[], object]) -> T:
    """``work()`` on a thread while ``main()`` runs on this one; ``work``'s result, or the first
    error (``main``'s first: it is the one to report when both fail)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="assist-ray-prepare")
    thread.start()
    try:
        main()
    finally:
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


class InspectActor:
    """Loads the assistant once; inspects each block of whole calls."""

    def __init__(self, recipe: bytes, threshold: float) -> None:
        os.environ.setdefault("ASSIST_BLAS_THREADS", "1")
        reuse_freed_memory()  # as in the local engine's workers: a batch's tables stay mapped
        self.assistant, self.failed = loaded_or_error(recipe)
        self.threshold = threshold

    def __call__(self, block: dict[str, Any]) -> dict[str, list[bytes]]:
        from assist.batch.inspect import inspect_calls

        if self.failed is not None:
            raise self.failed

        calls = [pickle.loads(call) for call in block["call"]]
        return {"aggregate": [pickle.dumps(inspect_calls(self.assistant, calls, self.threshold))]}


def inspect_ray(assistant: Assistant, calls: list[list[Any]], *, threshold: float, address: str | None = None,
                actors: int | None = None) -> Any:
    """:func:`assist.batch.inspect.inspect_calls` on Ray, whole calls per block; merged on the driver."""
    from assist.batch.inspect import Inspection

    with ray_output_to_stderr():
        ray = connect(address)
        rows = [{"call": pickle.dumps(call)} for call in calls]
        dataset = ray.data.from_items(rows, override_num_blocks=max(1, -(-len(rows) // 200)))
        size = actors or max(1, int(ray.available_resources().get("CPU", 1)))
        parts = dataset.map_batches(InspectActor, fn_constructor_args=(pickle.dumps(recipe_of(assistant)), threshold),
                                    batch_size=200, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=size),
                                    num_cpus=1)
        inspection = Inspection(threshold=threshold)
        try:
            for record in parts.iter_rows():
                inspection.merge(pickle.loads(record["aggregate"]))
        except Exception as error:  # a worker's AssistError arrives wrapped by Ray
            cause = assist_error(error)
            if cause is not None:
                raise cause from None
            raise
        return inspection
