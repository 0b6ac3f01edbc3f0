"""Batch commands: ``evaluate``, ``inspect`` and ``bench``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from assist.batch.parallel import PARALLEL_FROM_LINES, default_workers
from assist.cli.app import IndexOpt, JsonOpt, LibraryOpt, ModelOpt, app, err, load_assistant, out, print_json

FormatOpt = Annotated[str | None, typer.Option(
    "--format", help="Input format: jsonl, csv, tsv, parquet or text (default: read from the content).")]
EncodingOpt = Annotated[str, typer.Option("--encoding", help="Input encoding, e.g. gbk or gb18030 for exports.")]


class OnError(StrEnum):
    stop = "stop"
    skip = "skip"


class Engine(StrEnum):
    local = "local"
    ray = "ray"


OnErrorOpt = Annotated[OnError, typer.Option(
    "--on-error", help="stop: stop at the first bad line and write nothing (exit 3); skip: skip bad lines and "
    "list them in the report.")]
EngineOpt = Annotated[Engine, typer.Option("--engine", help="local (this machine) or ray (a Ray cluster).")]
AddressOpt = Annotated[str | None, typer.Option(
    "--address", help="Ray cluster address (ray://head:10001 or auto); default: start a local Ray.")]


@app.command(epilog="Example: assist evaluate calls.jsonl --report out/ --predictions out/predictions.csv "
             "--id-col call_id --json")
def evaluate(
    file: Annotated[str, typer.Argument(
        help="JSONL {text, scenario}, CSV/TSV with a header, Parquet or plain text lines (- reads stdin); "
        "with --engine ray "
        "also a pyarrow filesystem URL (s3://, hdfs://, gs://).")],
    as_json: JsonOpt = False,
    calibrate: Annotated[bool, typer.Option(help="Choose and store the abstention threshold.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="Scenarios in the volume table.")] = 10,
    gaps: Annotated[bool, typer.Option("--gaps/--no-gaps", help="Cluster uncovered requests.")] = True,
    report_dir: Annotated[Path | None, typer.Option(
        "--report", help="Write report.md, report.html and PNG charts here.")] = None,
    emit_stubs: Annotated[Path | None, typer.Option("--emit-stubs", help="Write draft scripts for gap clusters.")]
    = None,
    predictions: Annotated[Path | None, typer.Option(
        "--predictions", help="Write one row per line here (.jsonl or .csv), with --id-col carried through.")]
    = None,
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "scenario",
    id_col: Annotated[str | None, typer.Option("--id-col", help="The input's id column, kept in predictions.")]
    = None,
    fmt: FormatOpt = None,
    encoding: EncodingOpt = "utf-8",
    on_error: OnErrorOpt = OnError.stop,
    engine: EngineOpt = Engine.local,
    address: AddressOpt = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Processes (local) or actors (ray) to evaluate with (default: local, one per "
        f"core for files of {PARALLEL_FROM_LINES:,} lines or more, else 1; ray, one per CPU).")] = None,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
) -> None:
    """Coverage, volume, accuracy, abstention, confusions and gap clusters for a file of utterances."""
    from assist.batch.terms import TermService
    from assist.errors import UsageError

    if file == "-" and (calibrate or engine == "ray"):
        raise UsageError("standard input (-) is read once, on this machine: give a file for --calibrate "
                         "or --engine ray")
    want_gaps = gaps or emit_stubs is not None
    lines = None if file == "-" or engine == "ray" else count_lines(Path(file))
    processes = workers if workers is not None else default_workers(lines)
    # Forked first: it loads jieba while the imports and the assistant's load below keep one core busy.
    terms = TermService.start() if want_gaps and processes > 1 else None
    from assist.batch.evaluate import best_threshold, run_outcomes
    from assist.batch.gaps import emit_stubs as write_stubs
    from assist.batch.predictions import StagedOutputs
    from assist.batch.report import gaps_to_dict, render_gaps_table, render_volume_table, warnings
    from assist.batch.report_files import write_report
    from assist.batch.runner import RunResult, run_local
    from assist.indexing.store import write_calibration
    from assist.text.datafiles import UtteranceReader

    outputs = StagedOutputs()
    result: RunResult
    try:
        if engine == "ray":
            from assist.batch.ray_engine import run_ray

            if calibrate:
                raise UsageError("--calibrate runs on the local engine; drop --engine ray")
            # The assistant loads on a thread of run_ray while Ray starts.
            result = run_ray(partial(load_assistant, library, model, index), file, text_field=text_col,
                             label_field=label_col, id_field=id_col, fmt=fmt, encoding=encoding,
                             on_error=on_error, gaps=want_gaps, address=address, actors=workers,
                             predictions=predictions, outputs=outputs, terms=terms)
        else:
            assistant = load_assistant(library, model, index)
            path = Path(file)
            reader = UtteranceReader(path, text_col, label_col, id_col, fmt, encoding,
                                     "skip" if on_error == "skip" else "stop")
            if calibrate:
                outcomes = list(run_outcomes(assistant, reader, workers=processes))
                threshold, f1 = best_threshold(outcomes)
                write_calibration(assistant.index_dir, assistant.manifest, threshold,
                                  {"f1": round(f1, 4), "source": path.name, "lines": len(outcomes)})
                assistant.threshold = threshold
                err.print(f"calibrated threshold {threshold:.4f} (out_of_scope F1 {f1:.3f}) stored in "
                          f"{assistant.index_dir / 'calibration.json'}")
            with progress_bar(lines) as advance:
                result = run_local(assistant, reader, workers=processes, gaps=want_gaps, predictions=predictions,
                                   outputs=outputs, progress=advance, terms=terms)
        summary = result.summary
        gap_report = result.gaps
        if report_dir is not None:
            write_report(summary, gap_report, outputs.folder(report_dir), top=top)
        outputs.commit()
    except BaseException:
        outputs.abort()
        raise
    finally:
        if terms is not None:
            terms.close()
    for note in warnings(summary):
        err.print(f"warning: {note}", style="yellow", markup=False, highlight=False)
    if report_dir is not None:
        err.print(f"report written: {report_dir / 'report.md'}, {report_dir / 'report.html'}")
    if predictions is not None:
        err.print(f"predictions written: {predictions}")
    if emit_stubs is not None:
        if gap_report is not None and gap_report.new_topics:
            stubs = write_stubs(gap_report, emit_stubs)
            err.print(f"draft scripts written: {', '.join(str(p) for p in stubs)} "
                      "(append the .scenarios.yaml entries to the library's scenarios.yaml)")
        else:
            err.print("no new-topic gap clusters found; no draft scripts written")
    if as_json:
        print_json({**summary, "gaps": gaps_to_dict(gap_report) if gap_report is not None else None})
        return
    render_evaluation(summary, top)
    out.print(render_volume_table(summary, top))
    if gap_report is not None:
        out.print(render_gaps_table(gap_report))


@app.command(epilog="Example: assist inspect calls.jsonl --report qa/ --json")
def inspect(
    calls: Annotated[str, typer.Argument(
        help="Turns, one a line: call_id, turn, speaker (customer/agent), text, optional agent and team "
        "(JSONL, CSV/TSV or Parquet).")],
    as_json: JsonOpt = False,
    report_dir: Annotated[Path | None, typer.Option(
        "--report", help="Write inspection.json and inspection.html here.")] = None,
    fmt: FormatOpt = None,
    encoding: EncodingOpt = "utf-8",
    on_error: OnErrorOpt = OnError.stop,
    engine: EngineOpt = Engine.local,
    address: AddressOpt = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Actors with --engine ray.")] = None,
    threshold: Annotated[float | None, typer.Option(
        "--adherence-threshold", min=0.0, max=1.0, help="Similarity from which the agent carried the script.")]
    = None,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
) -> None:
    """Quality inspection of call transcripts: coverage, compliance findings, script adherence per team and agent."""
    from assist.batch.inspect import ADHERENCE_THRESHOLD, inspect_calls, read_calls, write_inspection
    from assist.batch.predictions import StagedOutputs
    from assist.batch.runner import with_skipped

    cut = ADHERENCE_THRESHOLD if threshold is None else threshold
    assistant = load_assistant(library, model, index)
    turns, skipped = read_calls(Path(calls), fmt=fmt, encoding=encoding, on_error=on_error)
    if engine == "ray":
        from assist.batch.ray_engine import inspect_ray

        inspection = inspect_ray(assistant, turns, threshold=cut, address=address, actors=workers)
    else:
        inspection = inspect_calls(assistant, turns, cut)
    summary = with_skipped(inspection.summary(), skipped)
    if report_dir is not None:
        outputs = StagedOutputs()
        try:
            write_inspection(summary, inspection, outputs.folder(report_dir))
            outputs.commit()
        except BaseException:
            outputs.abort()
            raise
        err.print(f"inspection written: {report_dir / 'inspection.json'}, {report_dir / 'inspection.html'}")
    if as_json:
        print_json(summary)
        return
    overall = summary["overall"]
    table = Table("metric", "value", box=None, title="call inspection")
    for key, value in (("calls", summary["calls"]), ("coverage", summary["coverage"]),
                       ("findings per 100 calls", overall["findings_per_100_calls"]),
                       ("block findings per 100 calls", overall["block_findings_per_100_calls"]),
                       ("adherence rate", overall["adherence_rate"])):
        table.add_row(key, "n/a" if value is None else str(value))
    out.print(table)
    listen = Table("call", "agent", "team", "block", "findings", "missed scripts", box=None,
                   title="calls to listen to first")
    for row in summary["listen_first"][:10]:
        listen.add_row(Text(row["call_id"]), Text(row["agent"]), Text(row["team"]), str(row["block_findings"]),
                       str(row["findings"]), str(row["missed_scripts"]))
    out.print(listen)


@contextmanager
def progress_bar(total: int | None) -> Iterator[Callable[[int], None]]:
    """Progress on stderr for long runs; silent for short files or when stderr is not a terminal."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    quiet = not err.is_terminal or (total is not None and total < 2_000)
    columns = (TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    progress = Progress(*columns, console=err, transient=True, disable=quiet)
    task = progress.add_task("evaluating", total=total)
    shown = False

    def advance(lines: int) -> None:
        # The bar (and its refresh thread) starts with the first batch's result, after the
        # worker processes have started: they are forked only while no other thread runs.
        nonlocal shown
        if not shown:
            progress.start()
            shown = True
        progress.advance(task, lines)

    try:
        yield advance
    finally:
        if shown:
            progress.stop()


def count_lines(path: Path) -> int | None:
    """Newlines in the file (an upper bound on utterances), for the progress bar's total."""
    try:
        with open(path, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None


def render_evaluation(summary: dict[str, Any], top: int) -> None:
    table = Table("metric", "value", box=None)
    for key in ("utterances", "coverage", "abstained", "pinned", "answered_by_quick_pass", "threshold",
                "labelled_in_scope", "top1",
                "top3", "answered_and_correct", "out_of_scope_precision", "out_of_scope_recall",
                "out_of_scope_f1"):
        value = summary.get(key)
        table.add_row(key, "n/a" if value is None else str(value))
    out.print(table)
    if summary["labelled_in_scope"]:
        per = Table("scenario", "precision", "recall", "F1", "labelled", box=None, title="per scenario")
        for scenario, row in summary["per_scenario"].items():
            if not row["support"]:
                continue
            per.add_row(Text(scenario), *("n/a" if row[k] is None else f"{row[k]:.2f}"
                                          for k in ("precision", "recall", "f1")), str(row["support"]))
        out.print(per)
    if summary["top_confusions"]:
        pairs = Table("label", "predicted", "count", box=None, title="most confused")
        for row in summary["top_confusions"][:top]:
            pairs.add_row(Text(row["label"]), Text(row["predicted"]), str(row["count"]))
        out.print(pairs)


@app.command(epilog='Example: assist bench --scales "" --queries calls.jsonl --json')
def bench(
    lookups: Annotated[int, typer.Option(min=50)] = 1000,
    batch: Annotated[int, typer.Option(min=100)] = 5000,
    scales: Annotated[str, typer.Option(help="Synthetic library sizes, comma-separated ('' for none).")]
    = "1000,10000,100000",
    stream_lines: Annotated[int, typer.Option(help="Also stream-evaluate this many generated lines.")] = 0,
    queries: Annotated[Path | None, typer.Option(
        help="Also time lookups on these utterances (JSONL with 'text', CSV or plain text), "
        "e.g. a sample of real calls; only figures are printed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure latency, throughput, build time and memory on this machine."""
    from assist.batch.bench import run_bench
    from assist.text.datafiles import read_utterances

    sizes = tuple(int(x) for x in scales.split(",") if x.strip())
    given = [item.text for item in read_utterances(queries, label_field=None)] if queries else None
    result = run_bench(lookups=lookups, batch=batch, scales=sizes, stream_lines=stream_lines, queries=given,
                       progress=lambda message: err.print(message, style="dim"))
    if as_json:
        print_json({"machine": result.machine, "figures": result.figures})
        return
    table = Table("figure", "value", box=None, title="assist bench")
    for key, value in {**result.machine, **result.figures}.items():
        table.add_row(key, str(value))
    out.print(table)


