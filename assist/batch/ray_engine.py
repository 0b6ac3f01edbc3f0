"""``assist evaluate --engine ray``: the same evaluation on a Ray cluster (the ``ray`` extra).

Each Ray Data block goes to an actor that loaded the library, index and model once
(:class:`SuggestActor`); the actor runs ``suggest_many`` on the block and returns the
block's **mergeable aggregates** (an :class:`EvaluationReport` of counts, a
:class:`GapCollector` whose sample is keyed by a hash of the text) and, when asked,
its prediction rows. The driver merges the aggregates as they arrive, in whatever
order; every merge is commutative and associative, so the figures equal the local
engine's on the same input (``tests/test_ray_engine.py``). The gap sample is embedded
and clustered on the driver, as on the local engine.

Input: a local path is parsed on the driver by :class:`UtteranceReader` (format from the
content, ``--encoding``, ``--on-error`` and ``file:line`` errors, exactly as locally) and
handed to Ray in blocks; a URL (``s3://``, ``gs://``, ``hdfs://``, any pyarrow file
system) is read by Ray Data's own JSONL/CSV/Parquet readers on the cluster, where a row
without text is a bad row (counted, or stopping the run).

The driver's own work stays off the critical path where it can: the assistant loads and a
local input is parsed on a thread while Ray starts (:func:`beside`), and at the end the gap
sample is embedded while the prediction rows are written. :func:`connect` turns a cluster
that cannot be reached into one :class:`assist.errors.UnavailableError` (exit 6).
"""

from __future__ import annotations

import os
import pickle
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from assist.batch.evaluate import BATCH, EvaluationReport, batched, map_labels, new_report
from assist.batch.gaps import GapCollector, GapReport
from assist.batch.parallel import reuse_freed_memory
from assist.batch.predictions import PredictionWriter, StagedOutputs
from assist.batch.runner import RunResult, aggregate_batch, submitted
from assist.batch.terms import TermService
from assist.errors import AssistError, ExtraMissingError, InputError, UnavailableError
from assist.library.importer import label_map
from assist.lookup.assistant import Assistant
from assist.text.datafiles import BadLine, Utterance, UtteranceReader, clean_id, clean_label

BLOCK_ROWS = 2048
"""Rows per block handed to an actor (suggest_many runs on the block in batches of 256)."""
CHUNKS_PER_BLOCK = BLOCK_ROWS // BATCH
"""A local input goes to Ray as chunks of one lookup batch each; this many per block."""
URL_SCHEMES = ("s3://", "gs://", "gcs://", "hdfs://", "abfs://", "az://", "file://", "http://", "https://")


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise ExtraMissingError("--engine ray", "ray") from None
    return ray


INIT_OPTIONS: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
"""How this process joins or starts Ray: no dashboard, workers' output kept in their log files."""
WORKER_NICENESS = "RAY_worker_niceness"
"""Ray's setting (its raylet reads it, in this spelling) of how much nicer than the raylet its workers run."""
PROBE_SECONDS = 5.0
"""How long the address's port may take to accept a connection before the cluster counts as
unreachable (``ray.init`` itself waits about two minutes on a closed port)."""


def connect(address: str | None) -> Any:
    """Ray, joined to the cluster at ``address`` (or ``RAY_ADDRESS``), else to a new local Ray.

    Raises :class:`UnavailableError` (exit 6) naming the address, what failed and how to fix
    it. A ``host:port`` address is first tried with a plain TCP connection, so a closed port
    or an unknown host fails in at most :data:`PROBE_SECONDS`. Call it on the main thread:
    a driver that joined Ray on another thread loses its object store connection."""
    ray = import_ray()
    if not ray.is_initialized():
        _init(ray, address)
    # A worker's own error (an AssistError) reaches the driver as itself, not as Ray Data's
    # UserCodeException, which keeps only its text (see assist_error).
    ray.data.DataContext.get_current().raise_original_map_exception = True
    return ray


def _init(ray: Any, address: str | None) -> None:
    target = address or os.environ.get("RAY_ADDRESS") or None
    if target is not None:
        probe(target)
    else:
        # The local Ray's workers at this process's priority, as the local engine's: Ray starts
        # them 15 steps nicer than its raylet, so on a machine doing anything else the actors,
        # which do all the work, got the CPU last (an operator's own setting wins).
        os.environ.setdefault(WORKER_NICENESS, "0")
    try:
        ray.init(address=address, **INIT_OPTIONS)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as error:
        raise UnavailableError(unreachable(target, _first_line(error))) from None


def probe(address: str) -> None:
    """Raise :class:`UnavailableError` when ``address`` names a ``host:port`` that does not
    accept a TCP connection; other forms (``auto``, ``local``) are left to Ray."""
    parts = urlsplit("//" + address.removeprefix("ray://"))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return  # not a port: Ray says what is wrong with the address
    if not host or port is None:
        return
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS):
            return
    except socket.gaierror:
        reason = f"the host name {host} does not resolve"
    except ConnectionRefusedError:
        reason = f"nothing listens on port {port} of {host} (connection refused)"
    except TimeoutError:
        reason = f"{host}:{port} did not answer within {PROBE_SECONDS:.0f} s"
    except OSError as error:
        reason = f"{host}:{port} cannot be reached ({error.strerror or type(error).__name__})"
    raise UnavailableError(unreachable(address, reason))


def unreachable(address: str | None, reason: str) -> str:
    """The message of a cluster that could not be joined (or a local Ray that did not start)."""
    if address is None:
        return (f"could not start a local Ray on this machine: {reason}. Run `ray stop` if an earlier "
                "Ray is still running here, or give --address of a running cluster.")
    return (f"cannot reach the Ray cluster at {address}: {reason}. Start the cluster first "
            "(`ray start --head` on its head node), check --address (the head node's host:port such as "
            "10.0.0.5:6379, 'auto' for a cluster started on this machine, or ray://host:10001, which "
            "`pip install 'assist[ray]'` covers), or leave out --address to run on a local Ray.")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0].rstrip(". ") if text else type(error).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def is_url(source: str) -> bool:
    return source.startswith(URL_SCHEMES)


class SuggestActor:
    """Loads the assistant once; turns each block into pickled mergeable aggregates."""

    def __init__(self, recipe: bytes, gaps: bool, low_confidence: float | None, predictions: bool,
                 labels: dict[str, str]) -> None:
        os.environ.setdefault("ASSIST_BLAS_THREADS", "1")
        reuse_freed_memory()  # as in the local engine's workers: a batch's tables stay mapped
        self.assistant, self.failed = loaded_or_error(recipe)
        self.gaps = gaps
        self.low_confidence = low_confidence
        self.predictions = predictions
        self.labels = labels

    def __call__(self, block: dict[str, Any]) -> dict[str, list[bytes]]:
        if self.failed is not None:
            raise self.failed
        report = new_report(self.assistant)
        collector = (GapCollector(self.assistant, low_confidence=self.low_confidence) if self.gaps else None)
        rows: list[dict[str, Any]] = []
        for batch in self.batches(block):
            part = aggregate_batch(self.assistant, batch,
                                   low_confidence=collector.low_confidence if collector is not None else None,
                                   predictions=self.predictions)
            report.merge(part.report)
            if collector is not None and part.gaps is not None:
                collector.total += part.lines
                collector.sample.merge(part.gaps)
            rows.extend(part.rows or [])
        if collector is not None:
            collector.assistant = None  # type: ignore[assignment]
        return {"aggregate": [pickle.dumps((report, collector, rows))]}

    def batches(self, block: dict[str, Any]) -> Iterator[list[Utterance]]:
        """The block's lookup batches: the driver's chunks as they were cut (the local engine's
        batches exactly, so scores match to the last bit), or a URL's rows in slices of 256."""
        if "chunk" in block:
            for chunk in block["chunk"]:
                items = [Utterance(text, label or None, line, ident or None)
                         for text, label, line, ident in pickle.loads(chunk)]
                yield list(map_labels(items, self.labels))
            return
        items = [Utterance(str(text), label or None, int(line), ident or None)
                 for text, label, line, ident in zip(block["text"], block["label"], block["line"], block["id"],
                                                     strict=True)]
        items = list(map_labels(items, self.labels))
        for start in range(0, len(items), BATCH):
            yield items[start : start + BATCH]


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


def _chunks(items: Iterator[Utterance]) -> Iterator[dict[str, bytes]]:
    """One dataset row per lookup batch of :data:`BATCH` lines, cut as the local engine cuts them."""
    for batch in batched(items, BATCH):
        yield {"chunk": pickle.dumps([(u.text, u.label or "", u.line, u.id or "") for u in batch])}


def read_local(source: str, *, text_field: str, label_field: str | None, id_field: str | None,
               fmt: str | None, encoding: str, on_error: str) -> tuple[list[dict[str, bytes]], UtteranceReader]:
    """A local file parsed here, in the local engine's lookup batches (see :func:`_chunks`)."""
    reader = UtteranceReader(Path(source), text_field, label_field, id_field, fmt, encoding,
                             "skip" if on_error == "skip" else "stop")
    return list(_chunks(iter(reader))), reader


def local_dataset(ray: Any, chunks: list[dict[str, bytes]]) -> Any:
    """The parsed chunks as a dataset of blocks of :data:`CHUNKS_PER_BLOCK` chunks."""
    return ray.data.from_items(chunks, override_num_blocks=max(1, -(-len(chunks) // CHUNKS_PER_BLOCK)))


def read_dataset(ray: Any, source: str, *, text_field: str, label_field: str | None, id_field: str | None,
                 fmt: str | None, encoding: str, on_error: str) -> tuple[Any, UtteranceReader | None]:
    """A dataset of rows {text, label, line, id}, and the reader when parsed on the driver."""
    if not is_url(source):
        chunks, reader = read_local(source, text_field=text_field, label_field=label_field, id_field=id_field,
                                    fmt=fmt, encoding=encoding, on_error=on_error)
        return local_dataset(ray, chunks), reader
    kind = fmt or Path(source.split("?")[0]).suffix.lower().lstrip(".")
    if kind in ("jsonl", "json", "ndjson"):
        dataset = ray.data.read_json(source, lines=True)
    elif kind in ("csv", "tsv"):
        import pyarrow.csv as pacsv

        dataset = ray.data.read_csv(source, read_options=pacsv.ReadOptions(encoding=encoding),
                                    parse_options=pacsv.ParseOptions(delimiter="\t" if kind == "tsv" else ","))
    elif kind == "parquet":
        dataset = ray.data.read_parquet(source)
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

    def prepare() -> tuple[Assistant, list[dict[str, bytes]], UtteranceReader | None]:
        loaded = assistant() if callable(assistant) else assistant
        chunks, reader = read_local(source, **fields) if local else ([], None)
        return loaded, chunks, reader

    ray = import_ray()
    loaded, chunks, reader = beside(prepare, lambda: connect(address))
    if local:
        dataset = local_dataset(ray, chunks)
    else:
        dataset, reader = read_dataset(ray, source, **fields)
    size = actors or max(1, int(ray.available_resources().get("CPU", 1)))
    collector = GapCollector(loaded) if gaps else None
    args = (pickle.dumps(recipe_of(loaded)), gaps, collector.low_confidence if collector else None,
            predictions is not None, label_map(loaded.library.root))
    aggregated = dataset.map_batches(
        SuggestActor, fn_constructor_args=args,
        batch_size=CHUNKS_PER_BLOCK if reader is not None else BLOCK_ROWS, batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=size), num_cpus=1,
    )
    report = new_report(loaded)
    rows = merge_blocks(aggregated, report, collector)
    # The gap sample is embedded (numerical work, mostly without the GIL) while the rows are written.
    gaps_found = beside(lambda: gap_report(collector, terms) if collector is not None else None,
                        lambda: write_predictions(rows, predictions, outputs))
    skipped: list[BadLine] = list(reader.skipped) if reader is not None else []
    return RunResult(report, gaps_found, skipped)


def merge_blocks(aggregated: Any, report: EvaluationReport, collector: GapCollector | None) -> list[dict[str, Any]]:
    """Merge each block's aggregates into ``report`` and ``collector`` as they arrive; the blocks'
    prediction rows, in arrival order."""
    rows: list[dict[str, Any]] = []
    try:
        for record in aggregated.iter_rows():
            part, part_gaps, part_rows = pickle.loads(record["aggregate"])
            report.merge(part)
            if collector is not None and part_gaps is not None:
                collector.merge(part_gaps)
            rows.extend(part_rows)
    except Exception as error:  # a worker's AssistError arrives wrapped by Ray
        cause = assist_error(error)
        if cause is not None:
            raise cause from None
        raise
    return rows


def write_predictions(rows: list[dict[str, Any]], path: Path | None, outputs: StagedOutputs | None) -> None:
    """The rows in the input's order (the local engine's), to a staged file at ``path``."""
    if path is None:
        return
    writer = PredictionWriter(path, outputs if outputs is not None else StagedOutputs())
    rows.sort(key=lambda row: (row["line"], row["id"] or "", row["text"]))
    for row in rows:
        writer.write_row(row)
    writer.close()


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


def merged_report(parts: list[EvaluationReport]) -> EvaluationReport:
    """Merge reports in the given order (helper for tests of order independence)."""
    total = EvaluationReport(known=parts[0].known if parts else None)
    for part in parts:
        total.merge(part)
    return total


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
