"""Batch commands: ``evaluate`` and ``bench``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assist.batch.parallel import PARALLEL_FROM_LINES, default_workers
from assist.cli.app import IndexOpt, JsonOpt, LibraryOpt, ModelOpt, app, err, load_assistant, out, print_json


@app.command(epilog="Example: assist evaluate calls.jsonl --report out/ --json")
def evaluate(
    file: Annotated[Path, typer.Argument(help="JSONL {text, scenario}, CSV with a header, or plain text lines.")],
    as_json: JsonOpt = False,
    calibrate: Annotated[bool, typer.Option(help="Choose and store the abstention threshold.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="Scenarios in the volume table.")] = 10,
    gaps: Annotated[bool, typer.Option("--gaps/--no-gaps", help="Cluster uncovered requests.")] = True,
    report_dir: Annotated[Path | None, typer.Option("--report", help="Write report.md and PNG charts here.")]
    = None,
    emit_stubs: Annotated[Path | None, typer.Option("--emit-stubs", help="Write draft scripts for gap clusters.")]
    = None,
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "scenario",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Processes to evaluate with (default: one per core for files of "
        f"{PARALLEL_FROM_LINES:,} lines or more, else 1).")] = None,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
) -> None:
    """Coverage, volume, accuracy, abstention, confusions and gap clusters for a file of utterances."""
    from assist.batch.evaluate import best_threshold, run_outcomes
    from assist.batch.evaluate import evaluate as run_evaluation
    from assist.batch.gaps import GapCollector
    from assist.batch.gaps import emit_stubs as write_stubs
    from assist.batch.report import gaps_to_dict, render_gaps_table, render_volume_table, write_report
    from assist.indexing.store import write_calibration
    from assist.text.datafiles import read_utterances

    def items() -> Any:
        return read_utterances(file, text_field=text_col, label_field=label_col)

    assistant = load_assistant(library, model, index)
    lines = count_lines(file)
    processes = workers if workers is not None else default_workers(lines)
    if calibrate:
        outcomes = list(run_outcomes(assistant, items(), workers=processes))
        threshold, f1 = best_threshold(outcomes)
        write_calibration(assistant.index_dir, assistant.manifest, threshold,
                          {"f1": round(f1, 4), "source": file.name, "lines": len(outcomes)})
        assistant.threshold = threshold
        err.print(f"calibrated threshold {threshold:.4f} (out_of_scope F1 {f1:.3f}) stored in "
                  f"{assistant.index_dir / 'calibration.json'}")
    collector = GapCollector(assistant) if gaps or emit_stubs else None
    with progress_bar(lines) as advance:
        def on_batch(batch: list[Any], suggestions: list[Any]) -> None:
            if collector is not None:
                collector.add_batch(batch, suggestions)
            advance(len(batch))

        report = run_evaluation(assistant, items(), on_batch=on_batch, workers=processes)
    gap_report = collector.report() if collector is not None else None
    summary = report.summary()
    if report_dir is not None:
        written = write_report(summary, gap_report, report_dir, top=top)
        err.print(f"report written: {', '.join(str(p) for p in written)}")
    if emit_stubs is not None:
        if gap_report is not None and gap_report.clusters:
            stubs = write_stubs(gap_report, emit_stubs)
            err.print(f"draft scripts written: {', '.join(str(p) for p in stubs)} "
                      "(append the .scenarios.yaml entries to the library's scenarios.yaml)")
        else:
            err.print("no gap clusters found; no draft scripts written")
    if as_json:
        print_json({**summary, "gaps": gaps_to_dict(gap_report) if gap_report is not None else None})
        return
    render_evaluation(summary, top)
    out.print(render_volume_table(summary, top))
    if gap_report is not None:
        out.print(render_gaps_table(gap_report))


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
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task("evaluating", total=total)
        yield lambda n: progress.advance(task, n)


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
        table.add_row(key, str(summary[key]))
    out.print(table)
    if summary["labelled_in_scope"]:
        per = Table("scenario", "accuracy", box=None, title="per-scenario accuracy")
        for scenario, accuracy in summary["per_scenario_accuracy"].items():
            per.add_row(scenario, f"{accuracy:.2f}")
        out.print(per)
    if summary["top_confusions"]:
        pairs = Table("label", "predicted", "count", box=None, title="most confused")
        for row in summary["top_confusions"][:top]:
            pairs.add_row(row["label"], row["predicted"], str(row["count"]))
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


